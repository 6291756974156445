"""The benchmark harness (`make bench`): the quick mode of the cheap section runs and writes a report that says what it measured."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.measure import Samples, Settings, ratio_cell
from benchmarks.run import SECTIONS, selected

ROOT = Path(__file__).resolve().parent.parent


def test_quick_bm25_in_process_report(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    env = {**os.environ, "BENCH_QUICK": "1", "BENCH_HOME": str(tmp_path / "home")}
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--only", "bm25-inprocess", "--output", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks")
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", text), "the date is missing"
    assert re.search(r"\d+ cores", text), "the machine facts are missing"
    assert "QUICK MODE" in text
    assert "## BM25 (flat) on ADI, in process: our runner vs Pyserini's `LuceneIndexer` + `LuceneSearcher`" in text
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]] for line in text.splitlines() if line.startswith("| ")}
    for stage in ("index s", "search s", "queries/s (higher is better)", "index + search s"):
        ours, peer, ratio = rows[stage]
        assert float(ours) > 0 and float(peer) > 0, (stage, ours, peer)
        assert re.fullmatch(r"\d+\.\d\dx", ratio), (stage, ratio)
        assert abs(float(ratio[:-1]) - float(ours) / float(peer)) < 0.02 * float(ours) / float(peer) + 0.01, (stage, ours, peer, ratio)
    assert "Identical top-1000 lists (same documents, same scores within 1e-4, every query, every round): yes" in text
    assert "import pyserini.search.lucene" in text  # the fixed cost left out of the in-process timers is stated


def test_sections_select_by_name_or_module() -> None:
    assert selected(None) == list(SECTIONS)
    assert selected(["bm25"]) == ["bm25-inprocess", "bm25-processes"]
    assert selected(["splade", "bm25-processes"]) == ["bm25-processes", "splade"]
    with pytest.raises(SystemExit, match="unknown benchmark section"):
        selected(["bm26"])


def test_samples_show_median_and_spread() -> None:
    s = Samples.of([3.0, 1.0, 2.0])
    assert (s.median, s.low, s.high) == (2.0, 1.0, 3.0)
    assert s.cell(1) == "2.0 (1.0–3.0)"
    assert Samples.of([2.5]).cell(2) == "2.50"
    assert ratio_cell(Samples.of([1.0, 2.0, 4.0]), Samples.of([2.0, 2.0, 2.0])) == "1.00x (0.50–2.00)"
    assert Settings(quick=True).repeat(5) == 1 and Settings().repeat(5) == 5
    assert Settings(quick=True).dataset("npl") == "adi" and Settings().dataset("npl") == "npl"
