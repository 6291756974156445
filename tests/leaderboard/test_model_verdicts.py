"""The Model page shows the latest reproduction verdict per dataset (badges and a table), from real `bench reproduce` checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from lbdb import Built
from streamlit.testing.v1 import AppTest

from bench.cli import main
from tests.conftest import ROOT

APP = ROOT / "leaderboard" / "app.py"
EXAMPLE = ROOT / "submissions" / "acme-bm25plus"


@pytest.fixture(scope="module")
def verdict_db(tmp_path_factory: pytest.TempPathFactory, data_root: Path) -> Path:
    """bm25-flat run and reproduced on adi and time (OK); a submission whose spec does not reproduce its runs (FAIL)."""
    work = tmp_path_factory.mktemp("verdicts")
    db = work / "results.duckdb"
    assert main(["reproduce", str(ROOT / "models" / "bm25-flat.yaml"), "-d", "adi", "-d", "time", "--db", str(db)]) == 0
    folder = work / "acme-bm25plus"
    shutil.copytree(EXAMPLE, folder)
    spec = folder / "spec.yaml"
    spec.write_text(spec.read_text().replace("b: 0.75", "b: 0.5"))  # submitted like this: it cannot reproduce its run files
    assert main(["submit", "ingest", str(folder), "--db", str(db)]) == 0
    assert main(["reproduce", str(folder), "--db", str(db)]) == 8
    return db


def _model_page(db: Path, monkeypatch: pytest.MonkeyPatch, model: str) -> AppTest:
    monkeypatch.setenv("BENCH_DB", str(db))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["model"] = model
    at.switch_page("views/model.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _verdicts(at: AppTest) -> pd.DataFrame:
    (table,) = [df.value for df in at.dataframe if {"dataset", "verdict", "checked", "code"} <= set(df.value.columns)]
    return table.set_index("dataset")


def _badges(at: AppTest) -> list[str]:
    return [str(m.value) for m in at.markdown if "-badge[" in str(m.value)]


def test_model_page_shows_ok_verdicts_with_when_and_code_version(verdict_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _model_page(verdict_db, monkeypatch, "bm25-flat")
    assert any(s.value == "Reproduction checks" for s in at.subheader)
    table = _verdicts(at)
    assert list(table.index) == ["adi", "time"] and set(table["verdict"]) == {"OK"}
    assert table["code"].str.startswith("0.").all() and table["checked"].str.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()
    assert set(table["largest |diff|"]) == {"0"} and table.at["adi", "diffs (observed - expected)"].startswith("AP@1000 0, ")
    badges = _badges(at)
    assert len(badges) == 2 and all(":green-badge[" in b and ": OK" in b for b in badges)
    assert any("adi: OK" in b for b in badges) and any("time: OK" in b for b in badges)


def test_model_page_shows_a_failed_reproduction_in_red_with_its_differences(verdict_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _model_page(verdict_db, monkeypatch, "acme-bm25plus")
    table = _verdicts(at)
    assert set(table.index) == {"adi", "time"} and set(table["verdict"]) == {"FAIL"}
    assert "nDCG@10 +" in table.at["adi", "diffs (observed - expected)"] or "nDCG@10 -" in table.at["adi", "diffs (observed - expected)"]
    assert float(table.at["adi", "largest |diff|"]) > 0
    assert sorted(_badges(at)) == sorted(f":red-badge[:material/cancel: {d}: FAIL]" for d in ("adi", "time"))


def test_a_model_never_checked_says_so(leaderboard_db: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _model_page(leaderboard_db.db, monkeypatch, "bm25-tuned-med")
    assert any("No `bench reproduce` check recorded for this version yet." in c.value for c in at.caption)
    assert not _badges(at)
