"""A tiny report builder: Markdown sections (a table each) and the machine facts that head BENCHMARKS.md."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Report:
    sections: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)

    def section(self, title: str, intro: str, header: list[str], rows: list[list[object]], notes: str = "") -> None:
        lines = [f"## {title}", "", intro, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for r in rows:
            lines.append("| " + " | ".join(_fmt(v) for v in r) + " |")
        if notes:
            lines += ["", notes]
        self.titles.append(title)
        self.sections.append("\n".join(lines) + "\n")

    def failure(self, name: str, message: str) -> None:
        """Record that section ``name`` failed, in its place in the report."""
        self.titles.append(name)
        self.sections.append(f"## {name}: FAILED\n\nThis section raised `{message}`; its numbers are missing from this report.\n")

    def markdown(self, preamble: str) -> str:
        return preamble + "\n" + "\n".join(self.sections)


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 100 else f"{v:.1f}"
    return str(v)


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return None


def load_average() -> tuple[float, float, float] | None:
    try:
        return os.getloadavg()
    except OSError:
        return None


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "bench", "benchmarks"], cwd=ROOT, capture_output=True, text=True)
        return out.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
