"""Fixtures of the leaderboard tests: one results database built by real runs, shared by the session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lbdb import Built, build
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "leaderboard" / "app.py"


@pytest.fixture(scope="session")
def leaderboard_db(tmp_path_factory: pytest.TempPathFactory, data_root: Path) -> Built:
    """bm25-flat/multifield on adi, time, med (+ a reproduction), a tuned model, a self-reported and a pending run."""
    work = tmp_path_factory.mktemp("leaderboard-db")
    return build(work / "results.duckdb", work)


@pytest.fixture
def app(leaderboard_db: Built, monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """``app(page, **query_params)``: the real app, rendered once on ``page`` against the session database."""
    monkeypatch.setenv("BENCH_DB", str(leaderboard_db.db))

    def render(page: str | None = None, **params: str) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=60)
        for k, v in params.items():
            at.query_params[k] = v
        at.run()
        if page is not None:
            at.switch_page(page)
            at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return render
