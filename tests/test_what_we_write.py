"""What we write (issue 21, class 8): `bench export -o` a file is a one-line usage error, and `--save-spec` never
replaces a file without --force and writes only after the run succeeded.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.clihelp import bench

MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("target", ["file", "file/below", "symlink-to-file"])
def test_export_into_an_existing_file_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str) -> None:
    mine = tmp_path / "notes.txt"
    mine.write_text("my notes\n")
    if target == "symlink-to-file":
        output = tmp_path / "link"
        output.symlink_to(mine)
    else:
        output = tmp_path / target.replace("file", "notes.txt")
    db = tmp_path / "results.duckdb"
    r = bench(capsys, "export", "-m", "bm25-flat", "-o", output, "--db", db)
    assert r.code == 2 and "Traceback" not in r.err and "is not a folder" in r.err, r.err
    assert mine.read_text() == "my notes\n" and not db.exists()


def _broken(tmp_path: Path) -> Path:
    folder = tmp_path / "broken"
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    (folder / "corpus.jsonl").write_text('{"_id": "d1", "title": "", "text": "a"}\n')
    (folder / "queries.jsonl").write_text('{"_id": "q1", "text": "a"}\n')
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\tnope\t1\n")
    return folder


@pytest.mark.parametrize("existing", ["a spec", "a folder", "a symlink"])
def test_save_spec_refuses_an_existing_path_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str], existing: str) -> None:
    path = tmp_path / "my.yaml"
    if existing == "a spec":
        path.write_text("name: mine\n")
    elif existing == "a folder":
        path.mkdir()
    else:
        (tmp_path / "other.yaml").write_text("name: other\n")
        path.symlink_to(tmp_path / "other.yaml")
    db = tmp_path / "results.duckdb"
    # a param other than the reference spec's: a local model, whose spec --save-spec would write
    r = bench(capsys, "run", "-m", MODEL, "--param", "batch_size=64", "-d", "adi", "--save-spec", path, "--db", db)
    assert r.code == 2 and "exists; pass --force" in r.err and "Traceback" not in r.err, r.err
    assert not db.exists()
    if existing == "a spec":
        assert path.read_text() == "name: mine\n"


def test_save_spec_is_written_only_after_the_run_succeeded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "my.yaml"
    r = bench(capsys, "run", "-m", MODEL, "-d", _broken(tmp_path), "--save-spec", path, "--no-record")
    assert r.code == 3 and "Traceback" not in r.err, r.err
    assert not path.exists()
    path.write_text("name: mine\n")
    r = bench(capsys, "run", "-m", MODEL, "-d", _broken(tmp_path), "--save-spec", path, "--force", "--no-record")
    assert r.code == 3 and path.read_text() == "name: mine\n"


@pytest.mark.parametrize("hits", [1001, 1500, 3000])
def test_eval_says_when_hits_past_1000_are_dropped(tmp_path: Path, capsys: pytest.CaptureFixture[str], hits: int) -> None:
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("q1 0 d0 1\nq2 0 d1 1\n")
    run = tmp_path / "run.trec"
    lines = [f"q1 Q0 d{i} {i + 1} {hits - i} t" for i in range(hits)] + ["q2 Q0 d1 1 1.0 t"]
    run.write_text("\n".join(lines) + "\n")
    r = bench(capsys, "eval", run, "--qrels", qrels, "--json")
    assert r.code == 0 and "Traceback" not in r.err, r.err
    notes = [line for line in r.err.splitlines() if "more than 1000 hits" in line]
    assert len(notes) == 1 and f"(up to {hits})" in notes[0] and "1 query has" in notes[0], r.err


def test_eval_at_depth_1000_says_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("q1 0 d0 1\n")
    run = tmp_path / "run.trec"
    run.write_text("\n".join(f"q1 Q0 d{i} {i + 1} {1000 - i} t" for i in range(1000)) + "\n")
    r = bench(capsys, "eval", run, "--qrels", qrels)
    assert r.code == 0 and "more than 1000" not in r.err


@pytest.mark.parametrize("where", ["empty folder", "missing folder", "folder of other files"])
def test_demo_outside_a_checkout_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str) -> None:
    models = tmp_path / "models"
    if where != "missing folder":
        models.mkdir()
    if where == "folder of other files":
        (models / "notes.txt").write_text("x\n")
    db = tmp_path / "results.duckdb"
    r = bench(capsys, "demo", "--models", models, "--db", db)
    assert r.code == 2 and r.err.strip().count("\n") == 0 and "Traceback" not in r.err, r.err
    assert "brewbench checkout" in r.err and "0 specs" not in r.out
    assert not db.exists()
