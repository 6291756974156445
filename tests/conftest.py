"""Shared fixtures: the real test collections (via the data search path), a real DuckDB file, isolated caches.

Tests never touch the network: HF_HUB_OFFLINE=1 is forced, and datasets come from BENCH_DATA_PATH
(``.ci/run`` and the Makefile point it at ../shared/datasets; here it defaults to that folder too).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
SHARED_TASKS = (ROOT.parent / "shared" / "embedding-tasks").resolve()
"""The shared embedding tasks (STS, classification, pair classification in MTEB's layout): tests fail without them."""
if not os.environ.get("BENCH_DATA_PATH"):
    os.environ["BENCH_DATA_PATH"] = str((ROOT.parent / "shared" / "datasets").resolve())
if str(SHARED_TASKS) not in os.environ["BENCH_DATA_PATH"].split(os.pathsep):
    os.environ["BENCH_DATA_PATH"] += os.pathsep + str(SHARED_TASKS)


@pytest.fixture(scope="session", autouse=True)
def bench_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One brewbench home per test session: caches (indexes, embeddings) are shared by tests, never by users."""
    home = tmp_path_factory.mktemp("bench-home")
    os.environ["BENCH_HOME"] = str(home)
    os.environ.pop("BENCH_CACHE", None)
    os.environ.pop("BENCH_DATA_DIR", None)
    os.environ.pop("BENCH_DB", None)
    return home


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The folder holding the seven shared collections; a missing folder fails (never skips)."""
    root = Path(os.environ["BENCH_DATA_PATH"].split(os.pathsep)[0])
    assert (root / "npl" / "corpus.jsonl").is_file(), f"test collections not found at {root}; set BENCH_DATA_PATH"
    return root


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "results.duckdb"


CLASSIC = ("cranfield", "med", "cisi", "cacm", "npl", "adi", "time")
