"""Imported MTEB results on the leaderboard: shown with their provenance, ranked by score, never in a paired test."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from bench.cli import main
from bench.store.imports import imported_dataset_hash
from bench.store.leaderboard import PUBLIC_PROVENANCES, leaderboard_cells, leaderboard_query_values
from tests.conftest import ROOT
from tests.interop.conftest import write_adi_run
from tests.interop.test_mteb_import import V1_SCIFACT, mteb_written

APP = ROOT / "leaderboard" / "app.py"
MINILM = "all-minilm-l6-v2"  # mteb files of its id + revision attach to the reference name
OTHER = "other-mteb-model"


@pytest.fixture(scope="module")
def imported_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A local run on ADI, and two imported models on MTEB's NFCorpus (one written by mteb, one in the 1.12 layout)."""
    import mteb

    work = tmp_path_factory.mktemp("imported")
    db = work / "results.duckdb"
    run = write_adi_run(work / "toy.run")
    assert main(["eval", str(run), "-d", "adi", "--record", "--model", "toy-run", "--family", "lexical", "--db", str(db)]) == 0
    assert main(["import", "mteb", str(mteb_written(work / "cache")), "--db", str(db)]) == 0
    revision = mteb.get_task("NFCorpus").metadata.revision
    other = work / "NFCorpus.json"
    other.write_text(json.dumps({**V1_SCIFACT, "task_name": "NFCorpus", "dataset_revision": revision}))
    assert main(["import", "mteb", str(other), "--model", OTHER, "--db", str(db)]) == 0
    return db, imported_dataset_hash("mteb", "NFCorpus", revision, "test", "default")


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


def test_imported_runs_are_public_cells_without_per_query_values(imported_db: tuple[Path, str]) -> None:
    db, nfcorpus = imported_db
    assert "imported" in PUBLIC_PROVENANCES
    con = duckdb.connect(str(db), read_only=True)
    try:
        cells = leaderboard_cells(con, "nDCG@10", dataset_hash=nfcorpus)
        assert sorted(cells["model"]) == sorted([OTHER, MINILM]) and set(cells["provenance"]) == {"imported"}
        assert leaderboard_query_values(con, tuple(cells["run_id"]), "nDCG@10").empty
        adi = leaderboard_cells(con, "nDCG@10")
        assert set(adi.loc[adi["model"] == "toy-run", "dataset_hash"]) != {nfcorpus}  # never the same cell as ours
    finally:
        con.close()


def test_dataset_page_ranks_imported_results_and_tests_none(imported_db: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    db, nfcorpus = imported_db
    at = _page(db, monkeypatch, "views/dataset.py", dataset=nfcorpus[:12])
    (table,) = [df.value for df in at.dataframe if {"Model", "Significant", "Provenance"} <= set(df.value.columns)]
    t = table.set_index("Model")
    assert list(table["Model"]) == [OTHER, MINILM]  # by score: 0.64508 > 0.3165
    assert set(t["Provenance"]) == {"imported"} and set(t["95% CI"]) == {"—"} and set(t["Coverage"]) == {"—"}
    assert sorted(t["Significant"]) == ["baseline", "not tested"] and t["p"].isna().all()
    assert any(c.value.startswith("Not tested: ") and "aggregates only" in c.value for c in at.caption)
    card = [df.value for df in at.dataframe if "imported from" in " ".join(map(str, df.value.iloc[:, 0]))]
    assert card, "the dataset card says where the data came from"


def test_compare_page_refuses_to_pair_aggregates(imported_db: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    db, nfcorpus = imported_db
    at = _page(db, monkeypatch, "views/compare.py", a=OTHER, b=MINILM, dataset=nfcorpus)
    assert any("No per-query values for A (imported), B (imported)" in w.value for w in at.warning)
    assert [m.value for m in at.metric] == ["0.6451", "0.3165"]


def test_overview_and_model_page_show_the_imported_badge(imported_db: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    db, _ = imported_db
    at = _page(db, monkeypatch, None)
    (overview,) = [df.value for df in at.dataframe if {"Model", "Provenance"} <= set(df.value.columns)]
    assert overview.set_index("Model").at[MINILM, "Provenance"] == "imported"
    _page(db, monkeypatch, "views/model.py", model=MINILM)
