"""`make bench`: run every benchmark module and write BENCHMARKS.md.

Each module in ``MODULES`` exposes ``run(report: Report) -> None`` and adds its sections.
``python -m benchmarks.run --only bm25`` runs one module.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.report import Report

MODULES = ["bm25", "leaderboard", "dense"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", type=Path, default=Path("BENCHMARKS.md"))
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    report = Report()
    for name in args.only or MODULES:
        print(f"[bench] {name}", flush=True)
        importlib.import_module(f"benchmarks.{name}").run(report)
    pre = (
        "# Benchmarks\n\n"
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}. Times are medians of repeated runs; ratios compare "
        "against a peer measured in the same run on the same machine (these machines are noisy: read ratios, not seconds).\n"
    )
    args.output.write_text(report.markdown(pre), encoding="utf-8")
    print(f"[bench] wrote {args.output}")


if __name__ == "__main__":
    main()
