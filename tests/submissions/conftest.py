"""Fixtures of the submission tests: a fresh copy of the example submission, a database that already holds one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.submissions.ingest import ingest
from bench.submissions.validate import validate_submission
from tests.submissions.subhelp import EXAMPLE


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A writable copy of submissions/acme-bm25plus/ (named acme-copy)."""
    folder = tmp_path / "acme-copy"
    shutil.copytree(EXAMPLE, folder)
    return folder


@pytest.fixture(scope="module")
def populated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results database that already holds the example submission (so "unchanged" means something)."""
    db = tmp_path_factory.mktemp("submissions-db") / "results.duckdb"
    ingest(validate_submission(EXAMPLE), db)
    return db
