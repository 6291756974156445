"""Dense runner: end to end vs mteb and the cached re-run (fresh processes), corpus encoding vs a bare encode, search memory.

Every timing here is a fresh process on both sides, timed from spawn to exit (or, for the encoding
stage, a timer around the encoding alone on both sides), with brand-new cache folders, so a first
run really hashes the weights, loads the model and encodes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from benchmarks.measure import ROOT, Samples, Settings, bench_cli, clean_env, ratio_cell, timed_process
from benchmarks.report import Report

DATASET = "med"  # 1,033 Medline abstracts, 30 queries
MINILM = ROOT / "models" / "all-minilm-l6-v2.yaml"


BARE_ENCODE = textwrap.dedent(
    """
    import sys, time
    from sentence_transformers import SentenceTransformer
    from bench.datasets import resolve_dataset

    texts = [d.joined() for d in resolve_dataset(sys.argv[1]).iter_corpus()]
    model = SentenceTransformer(sys.argv[2], device="cpu")
    model.max_seq_length = int(sys.argv[3])
    t = time.perf_counter()
    model.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
    print(time.perf_counter() - t)
    """
)
MTEB_RUN = textwrap.dedent(
    """
    import json, sys
    import mteb
    from sentence_transformers import SentenceTransformer
    from bench.datasets import resolve_dataset
    from bench.interop import mteb_task

    ds = resolve_dataset(sys.argv[1])
    model = SentenceTransformer(sys.argv[2], device="cpu")
    model.max_seq_length = int(sys.argv[3])
    model.model_card_data.model_name = "brewbench-bench/all-MiniLM-L6-v2"  # mteb keys caches by model name
    result = mteb.evaluate(model, mteb_task(ds), cache=None, show_progress_bar=False, encode_kwargs={"batch_size": 32})
    scores = result.task_results[0].scores[ds.split][0]
    print(json.dumps({"nDCG@10": scores["ndcg_at_10"], "R@100": scores["recall_at_100"]}))
    """
)
WEIGHTS_HASH = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from bench.specs import load_spec
    from bench.weights import resolve_weights

    spec = load_spec(Path(sys.argv[1]))
    t = time.perf_counter()
    resolve_weights(spec.weights, sys.argv[1])
    print(time.perf_counter() - t)
    """
)


def _last_float(stdout: str) -> float:
    return float(stdout.strip().splitlines()[-1])


def _ours_twice(name: str, env: dict[str, str]) -> dict[str, Any]:
    """`bench run --no-record --json` in a fresh process on an empty cache, then again on the cache it filled."""
    cmd = [*bench_cli(), "run", str(MINILM), "-d", name, "--no-record", "--json"]
    first_s, out = timed_process(cmd, env)
    first = json.loads(out)
    if first["cost"]["corpus_cached"]:
        raise RuntimeError(f"the first run found its corpus in the cache {env['BENCH_CACHE']}: the cache was not fresh")
    cached_s, out = timed_process(cmd, env)
    again = json.loads(out)
    if not (again["cost"]["corpus_cached"] and again["cost"]["queries_cached"]):
        raise RuntimeError("the re-run did not find its vectors in the cache")
    return {"first_s": first_s, "first": first, "cached_s": cached_s, "again": again}


def _peers(name: str, path: str, max_len: str, env: dict[str, str]) -> dict[str, Any]:
    """The mteb script and the bare encode, each in a fresh process."""
    mteb_s, out = timed_process([sys.executable, "-c", MTEB_RUN, name, path, max_len], env)
    bare_s = _last_float(timed_process([sys.executable, "-c", BARE_ENCODE, name, path, max_len], env)[1])
    return {"mteb_s": mteb_s, "mteb": json.loads(out.strip().splitlines()[-1]), "bare_s": bare_s}


def processes(report: Report, cfg: Settings) -> None:
    """Fresh processes on both sides: `bench run` (fresh cache, then again warm) vs a script calling `mteb.evaluate`;
    our corpus encoding stage vs a bare `SentenceTransformer.encode` in a fresh process."""
    from bench.datasets import resolve_dataset
    from bench.specs import load_spec
    from bench.weights import PACKAGED

    spec = load_spec(MINILM)
    name = cfg.dataset(DATASET)
    ds = resolve_dataset(name)
    n_docs, n_queries = sum(1 for _ in ds.iter_corpus()), len(ds.judged_queries())
    found = PACKAGED[spec.weights.id].locate()
    if found is None:
        raise RuntimeError(f"{PACKAGED[spec.weights.id].distribution} is not installed: the peers need a local copy of {spec.weights.id}")
    path, max_len = str(found), str(spec.params["max_length"])
    rounds = cfg.repeat(3)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-dense-procs-") as tmp:
        work = Path(tmp)
        for i in range(rounds):
            env = clean_env(BENCH_HOME=str(work / f"home-{i}"), BENCH_CACHE=str(work / f"cache-{i}"), MTEB_CACHE=str(work / f"mteb-{i}"))
            row: dict[str, Any] = {}
            for side in ("ours", "peers") if i % 2 == 0 else ("peers", "ours"):
                row.update(_ours_twice(name, env) if side == "ours" else _peers(name, path, max_len, env))
            row["hash_s"] = _last_float(timed_process([sys.executable, "-c", WEIGHTS_HASH, str(MINILM)], env)[1])
            rows.append(row)
            print(f"[bench] dense processes, round {i + 1}/{rounds}", flush=True)

    def col(key: str) -> list[Any]:
        return [r[key] for r in rows]

    first_s, cached_s = col("first_s"), col("cached_s")
    encode_s = [n_docs / r["first"]["cost"]["encode_docs_per_s"] for r in rows]
    inside_s = [r["first"]["timings"]["total_s"] for r in rows]
    mteb_s, bare_s, hash_s = col("mteb_s"), col("bare_s"), col("hash_s")
    ours_m, cached_m, mteb_m = rows[-1]["first"]["metrics"], rows[-1]["again"]["metrics"], rows[-1]["mteb"]
    first, cached, theirs = Samples.of(first_s), Samples.of(cached_s), Samples.of(mteb_s)
    hashing, inside = Samples.of(hash_s), Samples.of(inside_s)
    per_round = [c / f for c, f in zip(cached_s, first_s, strict=True)]
    report.section(
        f"Dense on {name.upper()}, whole processes: `bench run` vs `mteb.evaluate`, and the cached re-run",
        f"all-MiniLM-L6-v2 on {name} ({n_docs:,} documents, {n_queries} queries, batch 32, max length {max_len}, CPU). "
        f"Every cell is a fresh process timed from spawn to exit, median (min–max) of {rounds} rounds; the order of the "
        "two sides alternates round by round. Ours: `bench run models/all-minilm-l6-v2.yaml --no-record --json` with a "
        "brand-new `BENCH_CACHE`: interpreter start and imports, dataset validation and hashing, resolving and sha256-hashing "
        "the weight files, loading the model, encoding corpus and queries into the embedding cache, exact search, evaluation. "
        "mteb: a fresh Python running a script that loads the same weights folder with `SentenceTransformer` and calls "
        f"`mteb.evaluate` (mteb {_version('mteb')}, results cache off) on the local `AbsTaskRetrieval` of `bench/interop.py` "
        "(it reads the dataset through brewbench's reader); it hashes nothing. Re-run: `bench run` again, a new process "
        "with the cache the first run filled: it still hashes the dataset and the weights and evaluates, but loads no model.",
        ["pipeline (fresh process)", "seconds", "nDCG@10", "R@100", "ratio"],
        [
            ["script calling mteb.evaluate", theirs.cell(1), f"{mteb_m['nDCG@10']:.4f}", f"{mteb_m['R@100']:.4f}", "1.00x"],
            [
                "`bench run`, first run (fresh cache)",
                first.cell(1),
                f"{ours_m['nDCG@10']:.4f}",
                f"{ours_m['R@100']:.4f}",
                f"{ratio_cell(first, theirs)} of mteb",
            ],
            [
                "`bench run`, re-run (warm cache)",
                cached.cell(2),
                f"{cached_m['nDCG@10']:.4f}",
                f"{cached_m['R@100']:.4f}",
                f"{cached.median / first.median:.3f}x of the first run",
            ],
        ],
        notes=f"The cached re-run takes {100 * cached.median / first.median:.1f}% of the first run (per round "
        f"{100 * min(per_round):.1f}–{100 * max(per_round):.1f}%). Inside the first run, `bench run` reports "
        f"{inside.cell(1)} s from dataset validation to the metrics (the rest is interpreter start, imports and printing). "
        f"Hashing the weight files alone, in a fresh process: {hashing.cell(2)} s (inside both of our rows; every new "
        "process hashes them again).",
    )
    bare, enc = Samples.of(bare_s), Samples.of(encode_s)
    report.section(
        f"Dense on {name.upper()}: corpus encoding, our runner vs a bare `SentenceTransformer.encode`",
        f"The same {n_docs:,} documents (title + text), batch 32, max length {max_len}, CPU, a freshly loaded model on both "
        f"sides (loading outside the timer), median (min–max) of {rounds}. Ours = the runner's corpus stage inside the "
        "first `bench run` above (its own timer: tokenize to order texts by token count, encode batch by batch, write the "
        "memory-mapped cache entry with checksums). Bare = a fresh process that loads the model and times only "
        "`model.encode(texts, batch_size=32, normalize_embeddings=True)` (sentence-transformers orders by character count). "
        "Target: overhead <= 10%.",
        ["pipeline", "seconds", "docs/s", "ours / bare"],
        [
            ["bare `model.encode`", bare.cell(1), f"{n_docs / bare.median:.1f}", "1.00x"],
            ["brewbench runner, corpus stage", enc.cell(1), f"{n_docs / enc.median:.1f}", ratio_cell(enc, bare)],
        ],
        notes=f"Our encoding stage vs bare encode: {100 * (enc.median / bare.median - 1):+.1f}% (negative means faster: "
        "batching by token count pads less).",
    )


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


_MEMORY_PROBE = textwrap.dedent(
    """
    import json, sys, tracemalloc
    import numpy as np
    from bench.runners.search import dense_topk

    def hwm():  # this process's peak RSS (ru_maxrss would include the parent's, inherited across fork)
        line = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024

    n_queries, n_docs, dim, k = (int(x) for x in sys.argv[1:5])
    rng = np.random.default_rng(0)
    corpus = rng.standard_normal((n_docs, dim), dtype=np.float32)
    queries = rng.standard_normal((n_queries, dim), dtype=np.float32)
    base_rss = hwm()
    tracemalloc.start()
    kept = 0
    for block in dense_topk(queries, corpus, k):
        kept += block.indices.size  # consumed as the runner consumes it
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(json.dumps({"peak": peak, "rss_growth": hwm() - base_rss, "kept": kept}))
    """
)


def memory(report: Report, cfg: Settings) -> None:
    """Peak working memory of the exact dense search, each size in a fresh process (memory is deterministic: one sample)."""
    n_docs, dim, k = (3000, 64, 100) if cfg.quick else (30000, 128, 100)
    sizes = (100, 1000) if cfg.quick else (1000, 10000)
    rows = []
    for n_queries in sizes:
        proc = subprocess.run(
            [sys.executable, "-c", _MEMORY_PROBE, str(n_queries), str(n_docs), str(dim), str(k)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        m = json.loads(proc.stdout.strip().splitlines()[-1])
        naive = n_queries * n_docs * 4
        rows.append([n_queries, n_docs, m["peak"] / 2**20, m["rss_growth"] / 2**20, naive / 2**20])
    report.section(
        "Dense: exact search memory as the query count grows 10x",
        f"`bench.runners.search.dense_topk` (query chunks of 256 x corpus chunks of 16,384, running top-{k}) on random "
        f"{dim}-d vectors (fixed seed), each size once in a fresh process (no timing here; memory repeats exactly). Peak = tracemalloc peak during the search (numpy buffers included); "
        "RSS growth = rise of the process's peak RSS (VmHWM) during the search. The last column is the score matrix a one-shot search would hold.",
        ["queries", "documents", "peak working MB", "RSS growth MB", "full score matrix MB"],
        rows,
        notes=f"Peak working memory grows {rows[1][2] / rows[0][2]:.2f}x for 10x the queries (the full matrix would grow 10x).",
    )
