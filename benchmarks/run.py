"""`make bench`: run every benchmark section and write BENCHMARKS.md.

Each section is a function ``(report, settings) -> None`` that adds its table. ``--only NAME ...`` runs
some of them (a section name, or a module name for all of that module's sections); ``--quick`` (or
``BENCH_QUICK=1``) measures once on the smallest collection, to smoke-test the harness, not to read.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.measure import SMALLEST, Settings
from benchmarks.report import Report, cpu_model, git_commit, load_average, memory_gib

SECTIONS: dict[str, str] = {
    "bm25-inprocess": "bm25:in_process",
    "bm25-processes": "bm25:processes",
    "evaluation": "evaluation:run",
    "leaderboard": "leaderboard:run",
    "dense-processes": "dense:processes",
    "dense-memory": "dense:memory",
    "multi-dataset": "multi:run",
    "splade": "splade:run",
    "tasks": "tasks:run",
    "backends": "backends:run",
    "backends-latency": "backends:latency",
    "backends-peers": "peers:run",
    "training": "training:run",
    "generation": "generation:run",
    "scale": "scale:run",
}
"""Section name -> ``module:function`` under ``benchmarks``, in report order."""

SHARED_LOAD = 0.5
"""A 1-minute load average above this before the start means other work was running on the machine."""


def selected(only: list[str] | None) -> list[str]:
    """Section names for ``--only`` (section names, or module names standing for all their sections), in report order."""
    if not only:
        return list(SECTIONS)
    unknown = [n for n in only if n not in SECTIONS and not any(t.split(":")[0] == n for t in SECTIONS.values())]
    if unknown:
        raise SystemExit(f"unknown benchmark section(s) {', '.join(unknown)}; choose from: {', '.join(SECTIONS)}")
    return [s for s, t in SECTIONS.items() if s in only or t.split(":")[0] in only]


def preamble(settings: Settings, started: datetime, elapsed_s: float, load_before, load_after) -> str:
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    mem = memory_gib()
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {started:%Y-%m-%d %H:%M} UTC in {elapsed_s / 60:.1f} min. Machine: {cpu_model()}, "
        f"{cores} cores ({usable} usable by this process){f', {mem:.0f} GiB memory' if mem else ''}, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}; code {git_commit()}.",
        "",
        "Every ratio compares us with a peer measured in the same run, on the same machine, interleaved round by round. "
        "Cells are the median with the spread (min–max) beside it; the number of repetitions is in each section. "
        "Whole-process numbers are wall time from spawn to exit of fresh processes, as a user meets them; in-process "
        "numbers say what is inside the timer on each side. Read ratios, not seconds: these machines are noisy.",
    ]
    if load_before and load_after:
        lines += [
            "",
            f"Load average (1 min) before the run {load_before[0]:.2f}, after it {load_after[0]:.2f} (5 min: {load_after[1]:.2f}).",
        ]
        if load_before[0] > SHARED_LOAD:
            lines[-1] += (
                f" The machine was shared with other work while this ran (a load of {load_before[0]:.2f} before the first "
                "measurement on a machine with " + f"{cores} cores): seconds are inflated and spreads wider than on an idle machine."
            )
    if note := os.environ.get("BENCH_NOTE"):
        lines += ["", note]
    if settings.quick:
        lines += [
            "",
            f"**QUICK MODE** (`BENCH_QUICK=1`): one repetition, collection `{SMALLEST}` everywhere. This checks that the "
            "harness runs; do not read or publish these numbers.",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--output", type=Path, default=None, help="default: BENCHMARKS.md; in quick mode $TMPDIR/BENCHMARKS.quick.md")
    parser.add_argument("--only", nargs="*", default=None, help=f"sections or modules: {', '.join(SECTIONS)}")
    parser.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK", "") not in {"", "0"})
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    settings = Settings(quick=args.quick)
    output = args.output or (Path(tempfile.gettempdir()) / "BENCHMARKS.quick.md" if settings.quick else Path("BENCHMARKS.md"))
    names = selected(args.only)
    started, t0, load_before = datetime.now(UTC), time.perf_counter(), load_average()
    report = Report()
    failed: list[str] = []
    for name in names:
        module, func = SECTIONS[name].split(":")
        print(f"[bench] {name}{' (quick)' if settings.quick else ''}", flush=True)
        s0 = time.perf_counter()
        try:
            getattr(importlib.import_module(f"benchmarks.{module}"), func)(report, settings)
        except Exception as e:  # one broken section must not throw away the others' minutes of measuring
            traceback.print_exc()
            failed.append(name)
            report.failure(name, f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
        print(f"[bench] {name} took {time.perf_counter() - s0:.0f} s", flush=True)
        partial = preamble(settings, started, time.perf_counter() - t0, load_before, load_average())
        output.write_text(report.markdown(partial + "\n(Partial: still measuring.)\n"), encoding="utf-8")  # kept if a later section dies
    text = report.markdown(preamble(settings, started, time.perf_counter() - t0, load_before, load_average()))
    output.write_text(text, encoding="utf-8")
    print(f"[bench] wrote {output}", file=sys.stderr)
    if failed:
        raise SystemExit(f"[bench] failed: {', '.join(failed)} (the report says so in their place)")


if __name__ == "__main__":
    main()
