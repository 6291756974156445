"""Errors once, complete, with the documented code (issue 21, class 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clihelp import bench

ROOT = Path(__file__).resolve().parent.parent
FLAT = ROOT / "models" / "bm25-flat.yaml"


def _broken_dataset(tmp_path: Path, how: str) -> Path:
    folder = tmp_path / how
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text('{"_id": "d1", "title": "", "text": "a b c"}\n')
    (folder / "queries.jsonl").write_text('{"_id": "q1", "text": "a"}\n')
    qrels = {
        "unknown-doc": "query-id\tcorpus-id\tscore\nq1\tnope\t1\n",
        "bad-grade": "query-id\tcorpus-id\tscore\nq1\td1\tx\n",
        "broken-corpus": "query-id\tcorpus-id\tscore\nq1\td1\t1\n",
    }[how]
    (folder / "qrels" / "test.tsv").write_text(qrels)
    if how == "broken-corpus":
        (folder / "corpus.jsonl").write_text('{"_id": "d1", "title": "", "text": "a b c"}\n{"_id": \n')
    return folder


@pytest.mark.parametrize("how", ["unknown-doc", "bad-grade", "broken-corpus"])
def test_a_dataset_failure_is_printed_once(tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str) -> None:
    folder = _broken_dataset(tmp_path, how)
    db = tmp_path / "results.duckdb"
    r = bench(capsys, "run", FLAT, "-d", folder, "--db", db)
    assert r.code != 0 and "Traceback" not in r.err
    errors = [line for line in r.err.splitlines() if line.startswith("error")]
    assert len(errors) == 1, r.err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: Bad Name\nfamily: dense\nkind: dense\nparams:\n  foo: 1\n", ["name:", "params.foo: unknown parameter"]),
        ("name: ok\nfamily: nope\nkind: lucene-bm25\nparams:\n  k1: -1\n", ["family:", "params.k1"]),
        ("name: ok\nfamily: dense\nkind: dense\nsurprise: 1\nparams:\n  batch_size: 0\n", ["surprise: unknown field", "params.batch_size"]),
    ],
)
def test_spec_validate_shows_params_problems_beside_top_level_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: list[str]
) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(text)
    r = bench(capsys, "spec", "validate", spec)
    assert r.code == 2 and "Traceback" not in r.err
    for e in expected:
        assert e in r.err, r.err


@pytest.mark.parametrize("metric", ["nDGC@10", "recall@", "ndcg@ten"])
def test_a_tolerance_metric_typo_is_a_spec_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], metric: str) -> None:
    spec = tmp_path / "tol.yaml"
    spec.write_text(_with_tolerance(FLAT.read_text(), metric))
    db = tmp_path / "results.duckdb"
    for args in (("spec", "validate", spec), ("run", spec, "-d", "adi", "--db", db)):
        r = bench(capsys, *args)
        assert r.code == 2, (args, r.err)
        assert r.err.strip().count("\n") == (2 if args[0] == "spec" else 0) and "Traceback" not in r.err, r.err
        assert f"tolerance.{metric}" in r.err or metric in r.err
    assert not db.exists()


def _with_tolerance(text: str, metric: str) -> str:
    kept, skip = [], False
    for line in text.splitlines():  # the spec's own tolerance block replaced by one with the typo
        if line.startswith("tolerance:"):
            skip = True
            continue
        if skip and line.startswith("  "):
            continue
        skip = False
        kept.append(line)
    return "\n".join(kept) + f"\ntolerance:\n  {metric}: 0.01\n"
