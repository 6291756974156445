"""Cost growth to MS MARCO size (issue 13): encode and search time and peak memory as the corpus grows, local and Ray,
and the results store as runs and ranking depth grow.

* **Search** (random unit vectors, 384-d as MiniLM; the model is not the point): exact sharded top-100 search
  (:func:`bench.runners.search.sharded_dense_topk`, the runner's path) over a memory-mapped float32 corpus of 10k, 100k and
  1M rows, 100 queries; then 100 vs 1,000 queries at 100k. Peak memory is what the search allocates (tracemalloc),
  not the page cache of the memory-mapped corpus.
* **Encoding** (`bench run -m MODEL -d FOLDER --no-record` processes on synthetic BEIR folders): a tiny random 1-layer
  BERT (64-d) at 10k and 100k documents where throughput growth is the point, and MiniLM itself on 500 and 1,000 documents for
  the rates the capacity plan uses; local (one process, 2 torch threads) and Ray (2 actors x 1 thread, a local instance
  started by the run). Peak memory: the driver process's max RSS (Ray's actors are other processes).
* **Store**: the synthetic leaderboard database (:mod:`benchmarks.leaderboard_db`) at 100 and 400 runs and ranking
  depth 10, 100, 1000: file size, write time, the Overview's first render in a warm process, and the rankings as Parquet.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.measure import ROOT, Settings
from benchmarks.report import Report

DIM = 384
K = 100
SEARCH_SIZES = (10_000, 100_000, 1_000_000)
QUICK_SEARCH_SIZES = (2_000, 10_000)
TINY_SIZES = (10_000, 100_000)
QUICK_TINY_SIZES = (500, 1_000)
MINILM_SIZES = (500, 1_000)
QUICK_MINILM_SIZES = (100, 200)
MSMARCO = 8_841_823
"""Passages in MS MARCO's passage corpus."""
MINILM_PARAMS, BIG_PARAMS, BIG_DIM = 22_713_216, 7_000_000_000, 4096
WORDS_PER_DOC = 50
"""~65 MiniLM tokens per synthetic passage: MS MARCO passages average ~60-70."""
STORE_POINTS = ((25, 4), (50, 8))
"""(models, datasets) of the store databases: 100 and 400 runs."""
STORE_QUERIES = 50
DEPTHS = (10, 100, 1000)


def fit_exponent(xs: list[float], ys: list[float]) -> float:
    """``b`` of ``y ~ a * x**b`` by least squares on logs (1: linear growth, 0: flat)."""
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


# -- search ------------------------------------------------------------------------------------------------------------
def _corpus(path: Path, n: int) -> np.ndarray:
    rng = np.random.default_rng(n)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, DIM))
    for s in range(0, n, 65536):
        block = rng.standard_normal((min(65536, n - s), DIM)).astype(np.float32)
        out[s : s + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    out.flush()
    del out
    return np.load(path, mmap_mode="r")


def _search(corpus: np.ndarray, n_queries: int) -> tuple[float, int]:
    from bench.runners.search import row_shards, sharded_dense_topk

    q = np.random.default_rng(1).standard_normal((n_queries, DIM)).astype(np.float32)
    tracemalloc.start()
    tracemalloc.reset_peak()
    t = time.perf_counter()
    for _ in sharded_dense_topk(q, [(s, corpus[s:e]) for s, e in row_shards(corpus.shape[0])], K):
        pass
    elapsed = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak


def search_growth(report: Report, cfg: Settings) -> dict[str, float]:
    sizes = QUICK_SEARCH_SIZES if cfg.quick else SEARCH_SIZES
    rows, times, peaks = [], [], []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        by_queries = {}
        for n in sizes:
            corpus = _corpus(Path(tmp) / f"c{n}.npy", n)
            s, peak = _search(corpus, 100)
            times.append(s)
            peaks.append(peak)
            rows.append([f"{n:,}", 100, f"{s:.2f}", f"{1000 * s / 100:.1f}", f"{peak / 2**20:.1f}", f"{n * DIM * 4 / 2**20:,.0f}"])
            if n == sizes[1]:
                for nq in (1000,):
                    s2, peak2 = _search(corpus, nq)
                    by_queries[nq] = (s2, peak2)
                    rows.append([f"{n:,}", nq, f"{s2:.2f}", f"{1000 * s2 / nq:.1f}", f"{peak2 / 2**20:.1f}", f"{n * DIM * 4 / 2**20:,.0f}"])
            del corpus
    time_exp, mem_exp = fit_exponent(list(sizes), times), fit_exponent(list(sizes[-2:]), peaks[-2:])
    q_ratio = by_queries[1000][1] / peaks[1]
    report.section(
        "Cost growth: exact sharded search",
        f"Random unit vectors ({DIM}-d float32, memory-mapped), exact top-{K} by inner product with the runner's search "
        "(corpus shards of 1M rows, each scanned in 256-query x 16,384-document blocks, lists merged). One sample per cell.",
        ["documents", "queries", "search s", "ms / query", "peak search memory MiB", "corpus on disk MiB"],
        rows,
        notes=f"Fitted growth over corpus size: time ~ N^{time_exp:.2f} (linear is 1); peak memory ~ N^{mem_exp:.2f} between the "
        f"two largest corpora (bounded: once the corpus outgrows one 16,384-row block, memory is blocks and k, not the corpus); 10x the queries at {sizes[1]:,} documents: peak memory x{q_ratio:.2f} "
        "(flat in query count: queries are scored 256 at a time).",
    )
    return {"search_s_per_query_per_mdoc": times[-1] / 100 / (sizes[-1] / 1e6), "search_time_exp": time_exp, "search_mem_exp": mem_exp}


# -- encoding ----------------------------------------------------------------------------------------------------------
def _vocabulary() -> list[str]:
    from bench.datasets import resolve_dataset

    words = set()
    for d in resolve_dataset("npl").iter_corpus():
        words.update(w for w in d.text.split() if w.isalpha())
    return sorted(words)


def _beir(folder: Path, n: int, words: list[str]) -> Path:
    rnd = random.Random(n)
    (folder / "qrels").mkdir(parents=True)
    with (folder / "corpus.jsonl").open("w") as f:
        for i in range(n):
            f.write(json.dumps({"_id": f"d{i}", "title": "", "text": " ".join(rnd.choices(words, k=WORDS_PER_DOC))}) + "\n")
    with (folder / "queries.jsonl").open("w") as f:
        for i in range(20):
            f.write(json.dumps({"_id": f"q{i}", "text": " ".join(rnd.choices(words, k=8))}) + "\n")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(f"q{i}\td{i}\t1\n" for i in range(20)))
    return folder


def _tiny_model(folder: Path) -> Path:
    """A random 1-layer, 64-d BERT with MiniLM's tokenizer, saved as a sentence-transformers folder (seeded)."""
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import AutoTokenizer, BertConfig, BertModel

    from bench.weights import PACKAGED

    src = PACKAGED["sentence-transformers/all-MiniLM-L6-v2"].locate()
    tok = AutoTokenizer.from_pretrained(str(src))
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=64, num_hidden_layers=1, num_attention_heads=2, intermediate_size=128)
    raw = folder / "raw"
    BertModel(cfg).save_pretrained(raw)
    tok.save_pretrained(raw)
    word = models.Transformer(str(raw), max_seq_length=128)
    st = SentenceTransformer(modules=[word, models.Pooling(64, "mean"), models.Normalize()], device="cpu")
    st.save(str(folder / "tiny"))
    return folder / "tiny"


def _bench_run(model: str, data: Path, engine: str, cache: Path) -> dict[str, Any]:
    env = {**os.environ, "BENCH_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    threads = "1"  # local: 1 process x 1 thread; Ray: 2 actors x 1 thread (2 threads per process spin when cores are shared)
    cmd = [sys.executable, "-m", "bench.cli", "run", "-m", model, "-d", str(data), "--engine", engine, "--threads", threads]
    cmd += ["--no-record", "--json", "--param", "batch_size=32"]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    out, err = proc.communicate(timeout=1800)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"bench run {engine} on {data.name} failed: {err.strip().splitlines()[-1] if err.strip() else proc.returncode}")
    summary = json.loads(out.strip().splitlines()[-1])
    return {"wall": wall, "encode": summary["timings"]["encode_s"], "rate": summary["cost"]["encode_docs_per_s"], "cost": summary["cost"]}


def _maxrss_run(model: str, data: Path, engine: str, cache: Path) -> dict[str, Any]:
    """:func:`_bench_run` in a wrapper process that reports its child's max RSS."""
    wrapper = (
        "import resource, sys, json; from benchmarks.scale import _bench_run; from pathlib import Path; "
        "r = _bench_run(sys.argv[1], Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])); "
        "r['maxrss_mib'] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024; del r['cost']; print(json.dumps(r))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", wrapper, model, str(data), engine, str(cache)], env=env, capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "encode run failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def encode_growth(report: Report, cfg: Settings) -> dict[str, float]:
    tiny_sizes = QUICK_TINY_SIZES if cfg.quick else TINY_SIZES
    minilm_sizes = QUICK_MINILM_SIZES if cfg.quick else MINILM_SIZES
    words = _vocabulary()
    rows: list[list[object]] = []
    fits: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-scale-enc-") as tmp:
        root = Path(tmp)
        tiny = str(_tiny_model(root / "model"))
        minilm = "sentence-transformers/all-MiniLM-L6-v2"
        for label, model, sizes in (("tiny (1 layer, 64-d)", tiny, tiny_sizes), ("all-MiniLM-L6-v2", minilm, minilm_sizes)):
            per_engine: dict[str, list[dict[str, Any]]] = {"local": [], "ray": []}
            for n in sizes:
                data = _beir(root / f"{label[:4]}-{n}", n, words)
                for engine in ("local", "ray"):
                    r = _maxrss_run(model, data, engine, root / f"cache-{engine}-{label[:4]}-{n}")
                    per_engine[engine].append(r)
                    rows.append(
                        [
                            label,
                            f"{n:,}",
                            engine,
                            f"{r['encode']:.1f}",
                            f"{n / r['encode']:.0f}",
                            f"{r['wall']:.1f}",
                            f"{r['maxrss_mib']:.0f}",
                        ]
                    )
            for engine, rs in per_engine.items():
                fits[f"{label}:{engine}:exp"] = fit_exponent(list(sizes), [r["encode"] for r in rs])
                # T(N) = fixed + N / rate from the two sizes: the fixed part is the engine's overhead
                (n1, n2), (t1, t2) = sizes, (rs[0]["wall"], rs[1]["wall"])
                slope = (t2 - t1) / (n2 - n1)
                fits[f"{label}:{engine}:fixed_s"] = t1 - slope * n1
                fits[f"{label}:{engine}:docs_per_s"] = 1 / slope if slope > 0 else float("inf")  # inf: noise beat the slope
    notes = []
    for label in ("tiny (1 layer, 64-d)", "all-MiniLM-L6-v2"):
        lf, rf = fits[f"{label}:local:fixed_s"], fits[f"{label}:ray:fixed_s"]
        lr, rr = fits[f"{label}:local:docs_per_s"], fits[f"{label}:ray:docs_per_s"]
        cross = (rf - lf) / (1 / lr - 1 / rr) if rr > lr and rf > lf else None
        fits[f"{label}:crossover"] = cross if cross is not None else float("nan")
        notes.append(
            f"{label}: encode time ~ N^{fits[f'{label}:local:exp']:.2f} local, N^{fits[f'{label}:ray:exp']:.2f} Ray; whole run = "
            f"{lf:.1f} s + N / {lr:.0f} docs/s local, {rf:.1f} s + N / {rr:.0f} docs/s on Ray (2 actors x 1 thread); "
            + (f"Ray is faster above ~{cross:,.0f} documents" if cross is not None else "no crossover in this range")
        )
    report.section(
        "Cost growth: encoding, local vs Ray",
        f"`bench run -m MODEL -d FOLDER --engine local|ray --no-record` on synthetic BEIR folders ({WORDS_PER_DOC} words "
        "per passage drawn from NPL's vocabulary, 20 queries), batch size 32, a fresh cache each. Local: one process, 1 torch "
        "thread (2 threads spin when the cores are shared); Ray: a local instance started by the run, 2 actors x 1 thread, so "
        "Ray uses both cores and local one. Encode s: corpus + queries, inside the run (token counts, plan, shards, assembly; "
        "on Ray also the actors' start and model loads, which is why its growth exponent is below 1); whole run: process spawn to exit (Ray's start and actors' model loads "
        "included). Max RSS: the driver process only. One sample per cell.",
        ["model", "documents", "engine", "encode s", "docs / s", "whole run s", "driver max RSS MiB"],
        rows,
        notes="Fits from the two sizes: " + "; ".join(notes) + ".",
    )
    return fits


# -- results store -----------------------------------------------------------------------------------------------------
def store_growth(report: Report, cfg: Settings) -> None:
    import duckdb

    from benchmarks.leaderboard import _session_render
    from benchmarks.leaderboard_db import generate

    points = ((5, 2),) if cfg.quick else STORE_POINTS
    depths = (10, 100) if cfg.quick else DEPTHS
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-store-") as tmp:
        saved = os.environ.get("BENCH_DB")
        try:
            for models, datasets in points:
                for depth in depths:
                    db = Path(tmp) / f"s-{models}-{depth}.duckdb"
                    t = time.perf_counter()
                    counts = generate(db, models=models, datasets=datasets, queries=STORE_QUERIES, depth=depth)
                    write_s = time.perf_counter() - t
                    size = db.stat().st_size
                    parquet = Path(tmp) / f"r-{models}-{depth}.parquet"
                    con = duckdb.connect(str(db))
                    t = time.perf_counter()
                    con.execute(f"COPY rankings TO '{parquet}' (FORMAT parquet, COMPRESSION zstd)")
                    parquet_s = time.perf_counter() - t
                    con.close()
                    os.environ["BENCH_DB"] = str(db)
                    _session_render(None)  # warm imports
                    render = min(_session_render(None)[0] for _ in range(cfg.repeat(2)))
                    rows.append(
                        [
                            counts["runs"],
                            depth,
                            f"{counts['rankings']:,}",
                            f"{size / 2**20:.1f}",
                            f"{write_s:.1f}",
                            f"{render:.2f}",
                            f"{parquet.stat().st_size / 2**20:.1f}",
                            f"{parquet_s:.2f}",
                        ]
                    )
        finally:
            if saved is None:
                os.environ.pop("BENCH_DB", None)
            else:
                os.environ["BENCH_DB"] = saved
    report.section(
        "Results store growth: runs x ranking depth",
        f"The synthetic leaderboard database (`benchmarks/leaderboard_db.py`, {STORE_QUERIES} queries per run, every default "
        "metric per query) written at each size; Overview: its first render in a warm process with cold Streamlit caches "
        "(best of the samples); Parquet: the rankings table alone written as a zstd Parquet file beside the database.",
        ["runs", "depth", "ranking rows", "DuckDB MiB", "write s", "Overview render s", "rankings as Parquet MiB", "Parquet write s"],
        rows,
    )


def capacity_plan(report: Report, search: dict[str, float], encode: dict[str, float]) -> None:
    """An 8.8M-passage MiniLM run and a 7B embedder, from the measured per-process rates (scaled as stated)."""
    rate = encode["all-MiniLM-L6-v2:local:docs_per_s"]  # one process, one thread
    ray_fixed = encode["all-MiniLM-L6-v2:ray:fixed_s"] - encode["all-MiniLM-L6-v2:local:fixed_s"]
    big_rate = rate * MINILM_PARAMS / BIG_PARAMS  # compute per token scales with parameters
    search_s = search["search_s_per_query_per_mdoc"] * MSMARCO / 1e6
    rows = []
    for label, r, dim, model_gb in (("all-MiniLM-L6-v2", rate, DIM, MINILM_PARAMS * 4 / 1e9), ("7B embedder", big_rate, BIG_DIM, 14.0)):
        for workers in (1, 8, 64):
            hours = (MSMARCO / (r * workers) + max(ray_fixed, 0)) / 3600
            rows.append(
                [label, workers, f"{hours:,.1f}", f"{MSMARCO * dim * 4 / 1e9:,.0f} ({MSMARCO * dim * 2 / 1e9:,.0f})", f"{model_gb:.1f}"]
            )
    report.section(
        "Capacity plan: MS MARCO passages (8.8M)",
        f"Encoding hours for {MSMARCO:,} passages with N workers, each as fast as one measured CPU process (1 thread): MiniLM "
        f"{rate:.0f} passages/s (the local fit above); the 7B embedder scaled by parameters ({BIG_PARAMS / MINILM_PARAMS:.0f}x the "
        f"compute per token: {big_rate:.2f} passages/s per worker). A worker is a Ray actor: one GPU each when present, "
        "whose rate replaces the CPU rate in the same arithmetic (not measured here: no GPU on this machine). Ray's fixed "
        f"cost ({ray_fixed:.0f} s over a local run: start and one model load per actor) is added once.",
        ["model", "workers", "encode hours", "vectors GB float32 (float16)", "model GB per worker"],
        rows,
        notes=f"Search, exact and sharded, on one CPU process: {1000 * search_s:.0f} ms per query over {MSMARCO:,} 384-d vectors "
        f"(measured per million documents above, linear in the corpus), peak memory a few tens of MiB (blocks and k). "
        "Disk during encoding: the shards and then the assembled entry, so twice the vectors until the shards are removed.",
    )


def run(report: Report, cfg: Settings) -> None:
    search = search_growth(report, cfg)
    encode = encode_growth(report, cfg)
    store_growth(report, cfg)
    capacity_plan(report, search, encode)
