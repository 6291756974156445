"""Published reference tables: Pyserini's 2CR read from the installed package, MTEB's results, content recognition, the
reproduce verdict against a published row at its printed precision, and published rows kept out of measured numbers."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.datasets.registry import resolve_dataset
from bench.published import tables
from bench.published.tables import PublishedScore
from bench.specs import load_spec
from tests.clihelp import bench, db_rows

ROOT = Path(__file__).resolve().parents[2]
FLAT = ROOT / "models" / "bm25-flat.yaml"


@pytest.fixture(autouse=True)
def _clear() -> Iterator[None]:
    yield
    for f in (tables.pyserini_2cr, tables.mteb_results, tables.registered_contents, tables.conditions):
        f.cache_clear()


def test_2cr_is_read_from_the_installed_pyserini() -> None:
    from importlib import metadata

    rows = tables.pyserini_2cr()
    conditions = {r.condition for r in rows}
    assert {"bm25-flat", "bm25-multifield", "splade-pp-ed", "contriever", "contriever-msmarco"} <= conditions
    flat = [r for r in rows if r.condition == "bm25-flat"]
    assert len({r.dataset for r in flat}) == 29 and {r.metric for r in flat} == {"nDCG@10", "R@100", "R@1000"}
    sf = {r.metric: r.value for r in flat if r.dataset == "scifact"}
    assert sf == {"nDCG@10": 0.6789, "R@100": 0.9253, "R@1000": 0.9767}  # the published numbers, read from the package
    mf = {r.metric: r.value for r in rows if r.condition == "bm25-multifield" and r.dataset == "scifact"}
    assert mf == {"nDCG@10": 0.6647, "R@100": 0.9076, "R@1000": 0.98}
    assert all(r.source_ref == f"pyserini {metadata.version('pyserini')}: pyserini/2cr/beir.yaml" and r.decimals == 4 for r in rows)
    m = {r.dataset: r.value for r in tables.mteb_results() if r.condition == "sentence-transformers/all-MiniLM-L6-v2"}
    assert m["scifact"] == 0.64508


def test_published_list_and_an_unknown_source(capsys: pytest.CaptureFixture[str]) -> None:
    r = bench(capsys, "published", "list", "--source", "pyserini-2cr", "--json")
    assert r.code == 0
    rows = r.json()
    assert len(rows) == len(tables.pyserini_2cr()) and {x["source"] for x in rows} == {"pyserini-2cr"}
    assert {x["content_registered"] for x in rows if x["dataset"] == "scifact"} == {True}
    assert {x["content_registered"] for x in rows if x["dataset"] == "nfcorpus"} == {False}
    r = bench(capsys, "published", "list", "--source", "pyserini2cr")
    assert r.code == 3 and r.err.strip().count("\n") == 0 and "did you mean: pyserini-2cr" in r.err.lower()


def _copy(tmp_path: Path, name: str, change_a_byte: bool = False) -> Path:
    dst = tmp_path / name
    shutil.copytree(resolve_dataset("adi").path, dst)
    if change_a_byte:
        corpus = dst / "corpus.jsonl"
        text = corpus.read_text()
        i = text.index('"text": "') + len('"text": "')
        corpus.write_text(text[:i] + ("X" if text[i] != "X" else "Y") + text[i + 1 :])
    return dst


def test_content_is_recognised_renamed_and_not_after_a_one_byte_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    adi = resolve_dataset("adi")
    monkeypatch.setattr(tables, "registered_contents", lambda: (("scifact", "test", dict(adi.file_hashes)),))
    renamed = resolve_dataset(str(_copy(tmp_path, "whatever-name")))
    assert tables.content_of(dict(renamed.file_hashes), "test") == "scifact"
    changed = resolve_dataset(str(_copy(tmp_path, "scifact", change_a_byte=True)))
    assert tables.content_of(dict(changed.file_hashes), "test") is None
    assert tables.content_of(dict(adi.file_hashes), "dev") is None
    # the real registration is SciFact's own files, which no shared collection is
    monkeypatch.undo()
    assert tables.content_of(dict(adi.file_hashes), "test") is None


def test_a_folder_built_from_data_at_hand_has_no_published_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = _copy(tmp_path, "scifact", change_a_byte=True)  # named scifact, but it is a changed ADI
    r = bench(capsys, "reproduce", str(FLAT), "-d", str(fake), "--no-record")
    assert r.code == 8 and "Traceback" not in r.err
    assert "no published table for this content" in r.out and "no expected scores for scifact" in r.out


@pytest.mark.parametrize(("shift", "verdict", "code"), [(0.0, "OK", 0), (0.0003, "OKish", 0), (0.002, "FAIL", 8)])
def test_reproduce_compares_with_the_published_row_at_four_decimals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], shift: float, verdict: str, code: int
) -> None:
    """A content no expected block covers (ADI with one byte changed), registered as the published table's data: the
    verdict comes from the published row alone. Its numbers are the run's own, measured first with --print-expected."""
    data = _copy(tmp_path, "changed-adi", change_a_byte=True)
    ds = resolve_dataset(str(data))
    r = bench(capsys, "reproduce", str(FLAT), "-d", str(data), "--print-expected")
    import yaml

    measured = yaml.safe_load(r.out)["expected"][0]["metrics"]
    rows = tuple(
        PublishedScore("pyserini-2cr", "pyserini test: 2cr/beir.yaml", "bm25-flat", "scifact", "test", m, round(measured[m], 4) + shift, 4)
        for m in ("nDCG@10", "R@100")
    )
    monkeypatch.setattr(tables, "registered_contents", lambda: (("scifact", "test", dict(ds.file_hashes)),))
    monkeypatch.setattr(tables, "pyserini_2cr", lambda: rows)
    r = bench(capsys, "reproduce", str(FLAT), "-d", str(data), "--no-record", "--json")
    assert r.code == code, r.err
    (doc,) = r.json()
    assert doc["checks"] == [] and doc["verdict"] == verdict
    assert doc["published"]["from"] == "pyserini-2cr bm25-flat / scifact (pyserini test: 2cr/beir.yaml)"
    assert [c["verdict"] for c in doc["published"]["checks"]] == [verdict, verdict]


def test_a_spec_of_the_same_name_with_other_contents_is_not_the_published_condition(tmp_path: Path) -> None:
    spec = load_spec(FLAT)
    assert tables.for_spec("bm25-flat", spec.spec_hash) == {"pyserini-2cr": "bm25-flat"}
    other = tmp_path / "bm25-flat.yaml"
    other.write_text(FLAT.read_text().replace("k1: 0.9", "k1: 1.2"))
    assert tables.for_spec("bm25-flat", load_spec(other).spec_hash) == {}


def test_published_rows_are_stored_apart_and_never_enter_measured_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "r.duckdb"
    assert bench(capsys, "run", str(FLAT), "-d", "adi", "--db", str(db)).code == 0
    r = bench(capsys, "published", "load", "--db", str(db))
    assert r.code == 0 and f"{len(tables.published())} published numbers" in r.out
    assert db_rows(db, "SELECT count(*) FROM published_scores")[0][0] == len(tables.published())
    assert db_rows(db, "SELECT count(*) FROM runs")[0][0] == 1  # no run, dataset or metric row was made for them
    assert db_rows(db, "SELECT count(*) FROM datasets")[0][0] == 1
    r = bench(capsys, "results", "--pivot", "--db", str(db), "--json")
    assert [m["model"] for m in r.json()["models"]] == ["bm25-flat"]


def test_reproduce_records_its_published_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The check against a published row is recorded (table reproduction_published) with the table, row, published value,
    observed value, decimals and verdict; the store's read gives the latest verdict per model and row."""
    data = _copy(tmp_path, "changed-adi", change_a_byte=True)
    ds = resolve_dataset(str(data))
    import yaml

    measured = yaml.safe_load(bench(capsys, "reproduce", str(FLAT), "-d", str(data), "--print-expected").out)["expected"][0]["metrics"]
    ref = "pyserini test: 2cr/beir.yaml"
    rows = (
        PublishedScore("pyserini-2cr", ref, "bm25-flat", "scifact", "test", "nDCG@10", round(measured["nDCG@10"], 4), 4),
        PublishedScore("pyserini-2cr", ref, "bm25-flat", "scifact", "test", "R@100", round(measured["R@100"], 4) + 0.0003, 4),
    )
    monkeypatch.setattr(tables, "registered_contents", lambda: (("scifact", "test", dict(ds.file_hashes)),))
    monkeypatch.setattr(tables, "pyserini_2cr", lambda: rows)
    db = tmp_path / "r.duckdb"
    r = bench(capsys, "reproduce", str(FLAT), "-d", str(data), "--db", str(db), "--json")
    assert r.code == 0, r.err
    run_id = r.json()[0]["run_id"]
    got = db_rows(
        db,
        "SELECT model_name, source, source_ref, row_name, dataset, split, metric, published, observed, decimals, verdict, run_id, "
        "dataset_hash FROM reproduction_published ORDER BY metric",
    )
    assert [g[:8] for g in got] == [
        ("bm25-flat", "pyserini-2cr", ref, "bm25-flat", "scifact", "test", "R@100", rows[1].value),
        ("bm25-flat", "pyserini-2cr", ref, "bm25-flat", "scifact", "test", "nDCG@10", rows[0].value),
    ]
    assert [g[8] for g in got] == pytest.approx([measured["R@100"], measured["nDCG@10"]], abs=1e-9)
    assert [(g[9], g[10], g[11], g[12]) for g in got] == [(4, "OKish", run_id, ds.content_hash), (4, "OK", run_id, ds.content_hash)]
    assert run_id is not None and db_rows(db, "SELECT count(*) FROM reproductions")[0][0] == 0  # no expected block: only published

    import duckdb

    from bench.store.reproductions import published_reproductions

    with duckdb.connect(str(db), read_only=True) as con:
        latest = published_reproductions(con)
    assert latest[["model", "source", "row_name", "dataset", "verdict"]].values.tolist() == [
        ["bm25-flat", "pyserini-2cr", "bm25-flat", "scifact", "OKish"]
    ]
    assert latest["metrics"].iloc[0].startswith(f"R@100 {rows[1].value:.4f} -> ")


def test_a_published_expected_entry_is_listed_where_its_set_is_not_at_hand() -> None:
    """An `expected:` entry with `published:` has no numbers of its own (the table's row is compared, as above, where
    the set is at hand); elsewhere it is NOT CHECKED with how to get the set; its source must be a table we hold."""
    from bench.published.tables import SOURCES
    from bench.reproduction import spec_targets
    from bench.specs import Expected, parse_spec_problems

    spec = Path(__file__).resolve().parents[2] / "models" / "bm25-flat.yaml"
    (entry,) = [e for e in load_spec(spec).expected if e.published]
    assert entry.published == "pyserini-2cr" and not entry.metrics
    assert set(SOURCES) == set(Expected.model_fields["published"].annotation.__args__[0].__args__)  # one list of sources
    (target,) = [t for t in spec_targets(spec) if t.dataset_name == entry.dataset]
    assert target.not_here and f"bench datasets fetch {entry.dataset}" in target.not_here
    bad = spec.read_text(encoding="utf-8").replace("published: pyserini-2cr", "published: pyserini-2rc")
    _, problems = parse_spec_problems(bad, "bm25-flat.yaml")
    assert problems and any("published" in p for p in problems), problems
    empty = spec.read_text(encoding="utf-8").replace("    published: pyserini-2cr\n", "")
    _, problems = parse_spec_problems(empty, "bm25-flat.yaml")
    assert any("needs metrics, or published" in p for p in problems), problems
