"""Extra metrics recorded with a run (`bench eval --record --metric Judged@10`) appear in the leaderboard's metric menus."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from bench.cli import main
from bench.datasets import resolve_dataset
from bench.evaluation import write_trec_run
from bench.execute import execute_run
from bench.specs import load_spec
from bench.store.leaderboard import leaderboard_metrics
from leaderboard.tables import metric_choices
from tests.conftest import ROOT

APP = ROOT / "leaderboard" / "app.py"
DEFAULTS = ["nDCG@10", "R@100", "R@1000", "AP@1000", "RR@10", "P@10"]


@pytest.fixture(scope="module")
def extra_db(tmp_path_factory: pytest.TempPathFactory, data_root: Path) -> Path:
    """bm25-flat on adi (the default set only) and the same BM25 run file recorded with two extra metrics."""
    work = tmp_path_factory.mktemp("extra-metrics")
    db = work / "results.duckdb"
    assert main(["run", str(ROOT / "models" / "bm25-flat.yaml"), "-d", "adi", "--db", str(db)]) == 0
    _, out, _ = execute_run(load_spec(ROOT / "models" / "bm25-flat.yaml"), resolve_dataset("adi"), db=None)
    trec = work / "bm25.trec"
    write_trec_run(out.run, trec, tag="extra-probe")
    recorded = ["eval", str(trec), "-d", "adi", "--record", "--family", "lexical", "--db", str(db)]
    assert main([*recorded, "--metric", "Judged@10", "--metric", "success@5"]) == 0
    return db


def test_the_metric_menus_list_extra_metrics_after_the_default_set(extra_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con = duckdb.connect(str(extra_db), read_only=True)
    try:
        stored = leaderboard_metrics(con)
        judged = con.execute("SELECT value FROM metrics WHERE metric = 'Judged@10'").fetchall()
    finally:
        con.close()
    assert metric_choices(stored) == [*DEFAULTS, "Judged@10", "Success@5"]
    monkeypatch.setenv("BENCH_DB", str(extra_db))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    menu = next(s for s in at.selectbox if s.label == "Metric")
    assert list(menu.options) == [*DEFAULTS, "Judged@10", "Success@5"]
    menu.set_value("Judged@10").run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(df.value for df in at.dataframe if "adi" in df.value.columns and "Model" in df.value.columns).set_index("Model")
    assert table.at["extra-probe", "adi"] == pytest.approx(judged[0][0])  # the stored value, on the Overview
