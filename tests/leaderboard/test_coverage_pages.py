"""Coverage beside every score: a run that answers 5 of ADI's 35 judged queries, next to a complete one, on each page."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from bench.cli import main
from bench.datasets import resolve_dataset
from bench.evaluation import write_trec_run
from bench.types import Run
from tests.conftest import ROOT

APP = ROOT / "leaderboard" / "app.py"
PARTIAL = "partial-oracle"
ANSWERED = 5


@pytest.fixture(scope="module")
def coverage_db(tmp_path_factory: pytest.TempPathFactory, data_root: Path) -> Path:
    """bm25-flat on adi (35/35 answered) and a perfect ranking for the first 5 judged ADI queries only (5/35), recorded by the CLI."""
    work = tmp_path_factory.mktemp("coverage")
    db = work / "results.duckdb"
    assert main(["run", str(ROOT / "models" / "bm25-flat.yaml"), "-d", "adi", "--db", str(db)]) == 0
    qrels = resolve_dataset("adi").qrels()
    first = sorted(qrels)[:ANSWERED]
    trec = work / "partial.trec"
    write_trec_run(Run.from_scores({q: {d: float(g) for d, g in qrels[q].items()} for q in first}, tag=PARTIAL), trec)
    assert main(["eval", str(trec), "-d", "adi", "--record", "--model", PARTIAL, "--family", "lexical", "--db", str(db)]) == 0
    return db


def _page(db: Path, monkeypatch: pytest.MonkeyPatch, page: str | None, **params: str) -> AppTest:
    monkeypatch.setenv("BENCH_DB", str(db))
    at = AppTest.from_file(str(APP), default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _table(at: AppTest, *columns: str) -> pd.DataFrame:
    found = [df.value for df in at.dataframe if set(columns) <= set(df.value.columns)]
    assert found, f"no table with {columns}"
    return found[0]


def test_overview_shows_query_coverage_and_lists_the_partial_cell(coverage_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(coverage_db, monkeypatch, None)
    t = _table(at, "Model", "Mean", "Coverage").set_index("Model")
    assert t.at[PARTIAL, "Coverage"] == pytest.approx(ANSWERED / 35) and t.at["bm25-flat", "Coverage"] == 1.0
    assert t.at[PARTIAL, "adi"] == pytest.approx(ANSWERED / 35)  # perfect on 5 queries, 0 on the 30 it did not answer
    assert t.at[PARTIAL, "adi"] < t.at["bm25-flat", "adi"]  # not flattered: the partial run ranks below
    partial = _table(at, "model", "dataset", "answered / judged queries")
    assert partial.to_dict("records") == [{"model": PARTIAL, "dataset": "adi", "answered / judged queries": f"{ANSWERED}/35"}]
    assert any("Red italic cells" in c.value and "trec_eval -c" in c.value for c in at.caption)


def test_dataset_page_shows_coverage_beside_the_score(coverage_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(coverage_db, monkeypatch, "views/dataset.py", dataset="adi")
    t = _table(at, "Model", "nDCG@10", "Coverage").set_index("Model")
    assert t.at[PARTIAL, "Coverage"] == f"{ANSWERED}/35" and t.at["bm25-flat", "Coverage"] == "35/35"
    assert list(t.columns).index("Coverage") == list(t.columns).index("nDCG@10") + 1


def test_compare_page_says_how_many_queries_each_side_answered(coverage_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(coverage_db, monkeypatch, "views/compare.py", a=PARTIAL, b="bm25-flat")
    (line,) = [c.value for c in at.caption if c.value.startswith("Coverage: ")]
    assert f"A answered {ANSWERED}/35 judged queries (14%)" in line and "B answered 35/35 judged queries (100%)" in line


def test_model_page_run_history_shows_coverage(coverage_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(coverage_db, monkeypatch, "views/model.py", model=PARTIAL)
    history = _table(at, "finished", "dataset", "coverage")
    assert list(history["coverage"]) == [f"{ANSWERED}/35"]


def test_efficiency_table_shows_coverage_beside_the_mean(coverage_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(coverage_db, monkeypatch, "views/efficiency.py")
    points = _table(at, "model", "mean nDCG@10", "coverage").set_index("model")
    assert points.at["bm25-flat", "coverage"] == 1.0
    assert any(c.value.startswith("Coverage: judged queries answered") for c in at.caption)
