"""Several datasets in one `bench run` vs one process per dataset: what loading a model (or the JVM) once saves."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from benchmarks.measure import ROOT, Samples, Settings, bench_cli, clean_env, ratio_cell, timed_process
from benchmarks.report import Report

SPECS = {"BM25 (flat)": ROOT / "models" / "bm25-flat.yaml", "MiniLM (dense)": ROOT / "models" / "all-minilm-l6-v2.yaml"}
DATASETS = ("adi", "time", "med")


def run(report: Report, cfg: Settings) -> None:
    """N datasets in one invocation vs N fresh processes, per runner family; warm caches on both sides (the work is equal)."""
    datasets = DATASETS[:2] if cfg.quick else DATASETS
    rounds = cfg.repeat(3)
    bench = bench_cli()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-multi-") as tmp:
        env = clean_env(BENCH_HOME=str(Path(tmp) / "home"))
        for label, spec in SPECS.items():
            many = [str(a) for d in datasets for a in ("-d", d)]
            timed_process([*bench, "run", str(spec), *many, "--no-record"], env)  # untimed: fill the caches (index, vectors)
            one, each = [], []
            for i in range(rounds):
                one.append(timed_process([*bench, "run", str(spec), *many, "--no-record"], env)[0])
                each.append(sum(timed_process([*bench, "run", str(spec), "-d", d, "--no-record"], env)[0] for d in datasets))
                print(f"[bench] multi {label}, round {i + 1}/{rounds}", flush=True)
            so, se = Samples.of(one), Samples.of(each)
            rows.append([label, so.cell(2), se.cell(2), ratio_cell(so, se)])
    report.section(
        f"{len(datasets)} datasets in one `bench run` vs one process per dataset",
        f"`bench run SPEC {' '.join('-d ' + d for d in datasets)} --no-record` (one process: the model or the JVM loaded once, "
        f"each dataset evaluated as it finishes) vs `bench run SPEC -d D --no-record` once per dataset (fresh processes, "
        f"summed). Caches were warm on both sides (an untimed first invocation built the Lucene indexes and the corpus "
        f"vectors), so the difference is what a process pays to start: interpreter, imports, JVM, loading weights. "
        f"Median (min–max) of {rounds} interleaved rounds; python {sys.version.split()[0]}.",
        ["runner", "one invocation s", "one process per dataset s", "one / separate"],
        rows,
    )
