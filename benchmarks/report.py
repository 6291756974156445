"""A tiny report builder: sections of Markdown with median timings and ratios against a peer."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def median_time(fn: Callable[[], object], repeat: int = 5, warmup: int = 1) -> tuple[float, list[float]]:
    """Median wall time of ``fn`` over ``repeat`` runs after ``warmup`` runs (these machines are noisy)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


@dataclass
class Report:
    sections: list[str] = field(default_factory=list)

    def section(self, title: str, intro: str, header: list[str], rows: list[list[object]], notes: str = "") -> None:
        lines = [f"## {title}", "", intro, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for r in rows:
            lines.append("| " + " | ".join(_fmt(v) for v in r) + " |")
        if notes:
            lines += ["", notes]
        self.sections.append("\n".join(lines) + "\n")

    def markdown(self, preamble: str) -> str:
        return preamble + "\n" + "\n".join(self.sections)


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 100 else f"{v:.1f}"
    return str(v)
