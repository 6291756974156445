"""A recorded run to export: a deterministic TREC run over ADI, evaluated and recorded by the real `bench eval --record`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.datasets.registry import resolve_dataset
from tests.clihelp import bench


def write_adi_run(path: Path, shift: int = 1) -> Path:
    """Every judged ADI query: ``shift`` non-relevant documents first, then its relevant ones, then ten more (all real ids)."""
    ds = resolve_dataset("adi")
    docs = sorted(ds.corpus_ids())
    lines = []
    for qid, judged in sorted(ds.qrels().items()):
        relevant = [d for d, g in sorted(judged.items()) if g > 0]
        others = [d for d in docs if d not in judged]
        ranked = others[:shift] + relevant + others[shift : shift + 10]
        lines += [f"{qid} Q0 {d} {r} {100 - r} toy" for r, d in enumerate(ranked, start=1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def recorded(tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """``db_path`` holding one local run of model ``toy-run`` on ADI."""
    run = write_adi_run(tmp_path / "toy.run")
    r = bench(capsys, "eval", run, "-d", "adi", "--record", "--model", "toy-run", "--family", "lexical", "--db", db_path)
    assert r.code == 0, r.err
    return db_path
