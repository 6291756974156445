"""Measuring helpers shared by the benchmark modules: settings (full or quick), samples with their spread, timed processes."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMALLEST = "adi"
"""The smallest shared collection (82 documents, 35 queries): every section's data in quick mode."""


@dataclass(frozen=True)
class Settings:
    """How much to measure: the full run (`make bench`) or a quick smoke test of the harness (``BENCH_QUICK=1``)."""

    quick: bool = False

    def repeat(self, n: int) -> int:
        """Repetitions of a measurement: ``n`` normally, 1 in quick mode."""
        return 1 if self.quick else n

    def dataset(self, name: str) -> str:
        """The collection a section measures on: ``name`` normally, the smallest one in quick mode."""
        return SMALLEST if self.quick else name


@dataclass(frozen=True)
class Samples:
    """Repeated measurements of one quantity (seconds unless said otherwise)."""

    values: tuple[float, ...]

    @classmethod
    def of(cls, values: Sequence[float]) -> Samples:
        if not values:
            raise ValueError("no samples")
        return cls(tuple(float(v) for v in values))

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    def cell(self, digits: int = 2) -> str:
        """``median (min–max)``, or the single value when there is one sample."""
        if len(self.values) == 1:
            return f"{self.median:.{digits}f}"
        return f"{self.median:.{digits}f} ({self.low:.{digits}f}–{self.high:.{digits}f})"


def ratio_cell(ours: Samples, peer: Samples, digits: int = 2) -> str:
    """Ratio of the medians, with the range of the per-round ratios beside it when the rounds were paired."""
    head = f"{ours.median / peer.median:.{digits}f}x"
    if len(ours.values) == len(peer.values) and len(ours.values) > 1:
        per_round = [a / b for a, b in zip(ours.values, peer.values, strict=True)]
        head += f" ({min(per_round):.{digits}f}–{max(per_round):.{digits}f})"
    return head


def timed_process(cmd: Sequence[str], env: dict[str, str], timeout: float = 900) -> tuple[float, str]:
    """Run ``cmd`` as a fresh process from the repository root; (wall seconds from spawn to exit, its stdout).

    Raises:
        RuntimeError: the process failed (its stderr's tail is in the message).
    """
    t0 = time.perf_counter()
    proc = subprocess.run(list(cmd), env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        shown = " ".join(a if "\n" not in a else "<script>" for a in cmd)
        raise RuntimeError(f"{shown} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return elapsed, proc.stdout


def bench_cli() -> list[str]:
    """The `bench` console script of this interpreter's environment (what a user types), else ``python -m bench.cli``."""
    script = Path(sys.executable).with_name("bench")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "bench.cli"]


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without brewbench's cache/home/db variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in {"BENCH_HOME", "BENCH_CACHE", "BENCH_DB", "PYSERINI_CACHE"}}
    env.update(extra)
    return env
