"""Identity and provenance through the real CLI, a real DuckDB file and real Lucene runs (issue 8, items 1-4 and 6)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from bench.datasets import resolve_dataset
from bench.errors import DatasetError, NameTaken
from bench.identity import Writer, is_reference_spec
from tests.clihelp import bench, db_rows

ROOT = Path(__file__).resolve().parent.parent
FLAT = ROOT / "models" / "bm25-flat.yaml"


def _perfect_run(path: Path, tag: str = "bm25-flat", only: int | None = None) -> Path:
    """A run that ranks the judged documents first (from the qrels): what a cheater would submit."""
    qrels = resolve_dataset("adi").qrels()
    items = list(qrels.items())[:only]
    path.write_text("".join(f"{q} Q0 {d} {i} {100 - i} {tag}\n" for q, docs in items for i, d in enumerate(docs, start=1)))
    return path


# -- item 1: provenance is derived, names are owned -----------------------------------------------------------
def test_only_the_committed_models_file_is_reference(db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert is_reference_spec(FLAT)
    copy = tmp_path / "bm25-flat.yaml"
    shutil.copy(FLAT, copy)
    assert not is_reference_spec(copy)
    # a copy keeps the reference's name: refused before anything runs, nothing written
    r = bench(capsys, "run", copy, "-d", "adi", "--db", db_path)
    assert r.code == NameTaken.exit_code == 9, r.err
    assert "belongs to the reference spec models/bm25-flat.yaml" in r.err and "choose another name" in r.err
    assert not db_path.exists()
    # renamed, it is a local model; the committed file is reference
    copy.write_text(FLAT.read_text().replace("name: bm25-flat", "name: my-flat"))
    assert bench(capsys, "run", copy, "-d", "adi", "--db", db_path).code == 0
    assert bench(capsys, "run", FLAT, "-d", "adi", "--db", db_path).code == 0
    assert sorted(db_rows(db_path, "SELECT model_name, provenance FROM runs")) == [("bm25-flat", "reference"), ("my-flat", "local")]
    assert sorted(db_rows(db_path, "SELECT name, owner FROM models")) == [("bm25-flat", "reference"), ("my-flat", "local")]


def test_an_edited_models_file_is_not_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Against a real git repository: committed bytes are reference; an uncommitted edit is not."""
    import bench.identity as identity

    repo = tmp_path / "repo"
    (repo / "models").mkdir(parents=True)
    spec = repo / "models" / "x.yaml"
    spec.write_text(FLAT.read_text().replace("name: bm25-flat", "name: x"))
    for cmd in (["init", "-q"], ["add", "models/x.yaml"], ["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x"]):
        subprocess.run(["git", "-C", str(repo), *cmd], check=True)
    monkeypatch.setattr(identity, "REPO_ROOT", repo)
    monkeypatch.setattr(identity, "REFERENCE_MODELS", repo / "models")
    identity._committed.cache_clear()
    try:
        from bench.specs import load_spec

        assert identity.is_reference_spec(spec, load_spec(spec).spec_hash)
        assert identity.spec_writer(spec, load_spec(spec).spec_hash) == Writer("reference", "reference")
        spec.write_text(spec.read_text().replace("k1: 0.9", "k1: 1.2"))
        assert not identity.is_reference_spec(spec)
        assert identity.spec_writer(spec, load_spec(spec).spec_hash).provenance == "local"
    finally:
        identity._committed.cache_clear()


def test_eval_record_cannot_take_a_name_it_does_not_own(db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _perfect_run(tmp_path / "perfect.trec")
    for extra in ([], ["--model", "bm25-flat"], ["--model", "bm25-multifield"]):  # the run's tag, then explicit names
        r = bench(capsys, "eval", run, "-d", "adi", "--record", "--family", "lexical", "--db", db_path, *extra)
        assert r.code == 9 and "belongs to the reference spec" in r.err, r.err
    assert not db_path.exists()
    r = bench(capsys, "eval", run, "-d", "adi", "--record", "--family", "lexical", "--model", "Bad Name!", "--db", db_path)
    assert r.code == 2 and "not a model name" in r.err
    r = bench(capsys, "eval", run, "-d", "adi", "--record", "--family", "lexical", "--model", "oracle", "--db", db_path, "--json")
    assert r.code == 0 and r.json()["provenance"] == "local"
    # a local name is bound to its identity: another family (another synthetic identity) is refused
    r = bench(capsys, "eval", run, "-d", "adi", "--record", "--family", "dense", "--model", "oracle", "--db", db_path)
    assert r.code == 9 and "another spec" in r.err


def test_a_submission_name_and_a_local_name_exclude_each_other(db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    example = ROOT / "submissions" / "acme-bm25plus"
    assert bench(capsys, "submit", "ingest", example, "--db", db_path).code == 0
    run = _perfect_run(tmp_path / "perfect.trec", tag="acme-bm25plus")
    r = bench(capsys, "eval", run, "-d", "adi", "--record", "--family", "lexical", "--db", db_path)
    assert r.code == 9 and "already belongs to submission 'acme-bm25plus'" in r.err
    r = bench(capsys, "run", example / "spec.yaml", "-d", "adi", "--db", db_path)  # its own spec, run locally
    assert r.code == 9 and "already belongs to submission 'acme-bm25plus'" in r.err
    assert db_rows(db_path, "SELECT DISTINCT provenance FROM runs") == [("self-reported",)]


# -- item 2: versions never share a cell -------------------------------------------------------------------------
def test_a_changed_spec_is_a_new_version_never_a_replacement(db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text(FLAT.read_text().replace("name: bm25-flat", "name: mine"))
    assert bench(capsys, "run", mine, "-d", "adi", "--db", db_path).code == 0
    mine.write_text(mine.read_text().replace("k1: 0.9", "k1: 1.2"))
    r = bench(capsys, "run", mine, "-d", "adi", "--db", db_path)
    assert r.code == 9 and "another spec" in r.err and "choose another name" in r.err
    # the reference owner adds versions (the committed spec changed): both stay, in separate rows
    from bench.datasets import resolve_dataset as resolve
    from bench.evaluation import evaluate
    from bench.execute import model_row, record, run_record
    from bench.specs import load_spec
    from bench.store.db import open_read_only
    from bench.store.leaderboard import leaderboard_cells
    from bench.types import Run, Timings

    spec = load_spec(FLAT)
    assert bench(capsys, "run", FLAT, "-d", "adi", "--db", db_path).code == 0
    ds = resolve("adi")
    older = spec.model_copy(update={"params": {**spec.params, "k1": 1.1}})
    fake = Run.from_scores({q: {d: 1.0 for d in docs} for q, docs in ds.qrels().items()})
    record(
        db_path,
        run_record(
            model=model_row(older),
            dataset=ds,
            stats=ds.validate(),
            run=fake,
            evaluation=evaluate(fake, ds.qrels()),
            timings=Timings(),
            started_at=datetime(2020, 1, 1),
            writer=Writer("reference", "reference"),
            spec_hash=older.spec_hash,
            spec=older,
        ),
    )
    assert bench(capsys, "run", FLAT, "-d", "adi", "--db", db_path).code == 0  # the committed spec is current again
    with open_read_only(db_path) as con:
        cells = leaderboard_cells(con, "nDCG@10").set_index("model")
    assert set(cells.index) == {"mine", "bm25-flat", f"bm25-flat@{older.spec_hash[:8]}"}
    assert cells.at["bm25-flat", "spec_hash"] == spec.spec_hash
    assert cells.at["bm25-flat", "value"] == pytest.approx(spec.expected_for(ds.content_hash).metrics["nDCG@10"])  # type: ignore[union-attr]
    listed = bench(capsys, "results", "--db", db_path, "--json").json()
    assert sorted(x["model"] for x in listed) == sorted(cells.index)
    assert len(bench(capsys, "results", "--db", db_path, "--history", "--json").json()) == 4


# -- item 3: coverage -----------------------------------------------------------------------------------------------
def test_a_partial_run_counts_unanswered_queries_as_zero(db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = _perfect_run(tmp_path / "one.trec", tag="one-query", only=1)
    r = bench(capsys, "eval", one, "-d", "adi", "--record", "--family", "dense", "--db", db_path, "--json")
    assert r.code == 0, r.err
    body = r.json()
    assert body["queries"] == {"evaluated": 1, "judged": 35} and body["coverage"] == pytest.approx(1 / 35)
    assert body["metrics"]["nDCG@10"] == pytest.approx(1 / 35)  # trec_eval -c: 1.0 on one query, 0 on 34
    assert "answers 1 of 35 judged queries" in r.err
    table = bench(capsys, "results", "--db", db_path)
    assert "1/35" in table.out and "0.0286" in table.out
    # unknown documents are named
    bad = tmp_path / "bad.trec"
    bad.write_text("1 Q0 no-such-doc 1 1.0 x\n")
    r = bench(capsys, "eval", bad, "-d", "adi")
    assert r.code == 0 and "1 document id(s) that adi does not have (e.g. 'no-such-doc')" in r.err


def test_a_complete_run_scores_as_before(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """trec_eval -c equals the old mean whenever every judged query is answered: published scores do not move."""
    from bench.specs import load_spec

    out = tmp_path / "flat.trec"
    r = bench(capsys, "run", FLAT, "-d", "adi", "--no-record", "-o", out, "--json")
    expected = load_spec(FLAT).expected_for(resolve_dataset("adi").content_hash)
    assert expected is not None and r.json()["metrics"] == pytest.approx(expected.metrics, abs=1e-12)


# -- item 4: scoring rules are part of a dataset's identity ----------------------------------------------------
def test_scoring_rules_come_from_a_card_or_the_registry_never_a_folder_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.datasets.card import write_card

    src = resolve_dataset("adi").path
    plain = tmp_path / "copy"
    shutil.copytree(src, plain)
    dropped = tmp_path / "dropped"
    shutil.copytree(src, dropped)
    write_card(dropped, True)
    a, b = resolve_dataset(str(plain)), resolve_dataset(str(dropped))
    assert a.content_hash == resolve_dataset("adi").content_hash  # default rules: the published hash
    assert b.drop_identical_ids and b.content_hash != a.content_hash  # same files, other scoring: another identity
    # a folder named like a registered dataset with a non-default rule must say how it is scored
    arguana = tmp_path / "arguana"
    shutil.copytree(src, arguana)
    with pytest.raises(DatasetError, match=r"arguana.*dataset\.yaml"):
        resolve_dataset(str(arguana))
    write_card(arguana, False)
    assert resolve_dataset(str(arguana)).drop_identical_ids is False
    # asked for by its registered name, a card that contradicts the registry is refused
    data = tmp_path / "data"
    shutil.copytree(src, data / "adi")
    write_card(data / "adi", True)
    monkeypatch.setenv("BENCH_DATA_PATH", str(data))
    with pytest.raises(DatasetError, match="contradicts the registry"):
        resolve_dataset("adi")
    (data / "adi" / "dataset.yaml").write_text("drop_identical_ids: yes\n")
    with pytest.raises(DatasetError, match=r"dataset\.yaml"):
        resolve_dataset("adi")


# -- item 6: nothing computed is lost --------------------------------------------------------------------------
HOLDER = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)   # a notebook's read-only connection
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
    """
)


def test_a_finished_run_is_saved_when_the_database_stays_busy(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    env = {**os.environ, "BENCH_DB_LOCK_TIMEOUT": "1"}
    bench_cmd = [sys.executable, "-m", "bench.cli"]
    assert subprocess.run([*bench_cmd, "db", "migrate", "--db", str(db_path)], env=env, capture_output=True).returncode == 0
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db_path), "30"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        r = subprocess.run([*bench_cmd, "run", str(FLAT), "-d", "adi", "--db", str(db_path)], env=env, capture_output=True, text=True)
    finally:
        holder.kill()
        holder.wait()
    assert r.returncode == 5, r.stderr
    (line,) = r.stderr.strip().splitlines()[-1:]
    assert "another process held the results database" in line and "bench db record-saved" in line
    saved = Path(line.split("saved to ")[1].split(";")[0])
    assert saved.is_file() and saved.parent == Path(os.environ["BENCH_HOME"]) / "unsaved"
    assert db_rows(db_path, "SELECT count(*) FROM runs") == [(0,)]
    done = subprocess.run([*bench_cmd, "db", "record-saved", "--db", str(db_path)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "recorded run" in done.stdout and not saved.exists()
    (row,) = db_rows(db_path, "SELECT r.provenance, m.value FROM runs r JOIN metrics m USING (run_id) WHERE m.metric = 'nDCG@10'")
    from bench.specs import load_spec

    expected = load_spec(FLAT).expected_for(resolve_dataset("adi").content_hash)
    assert row[0] == "reference" and expected is not None and row[1] == pytest.approx(expected.metrics["nDCG@10"])
    again = subprocess.run([*bench_cmd, "db", "record-saved", "--db", str(db_path)], env=env, capture_output=True, text=True)
    assert again.returncode == 0 and "no saved runs" in again.stdout
