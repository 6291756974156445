"""BM25 (flat) against Pyserini, two ways.

In process (:func:`in_process`): our runner vs Pyserini's own ``LuceneIndexer`` + ``LuceneSearcher`` on
the same JVM in the same process. The JVM is started and both packages are imported before any timer,
so the table compares indexing and searching only; identical scores are checked.

Whole processes (:func:`processes`): ``bench run ... --no-record`` vs the raw Pyserini CLI
(``python -m pyserini.index.lucene`` + ``python -m pyserini.search.lucene``), each a fresh process timed
from spawn to exit, so interpreter start, imports and JVM start are inside on both sides, as a user meets them.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import ROOT, Samples, Settings, bench_cli, clean_env, ratio_cell, timed_process
from benchmarks.report import Report

DATASET = "npl"
SPEC = ROOT / "models" / "bm25-flat.yaml"
BATCH = 64  # queries per batch_search call: what our runner and Pyserini's CLI (--batch-size 64) both use
PYSERINI = (
    "import bench.runners.java as j, runpy, sys; j.bootstrap(); sys.argv = ['pyserini'] + sys.argv[1:]; "
    "runpy.run_module('{mod}', run_name='__main__')"
)


def _threads() -> int:
    return max(1, os.cpu_count() or 1)


# -- in process ----------------------------------------------------------------------------------


def _ours(spec: Any, ds: Any, queries: list[Any], cache: Path) -> dict[str, Any]:
    """Our runner's ``retrieve`` with an empty index cache: its own index and search stage timers, and the scores."""
    from bench.runners.base import Progress, make_runner

    os.environ["BENCH_CACHE"] = str(cache)
    out = make_runner(spec, str(SPEC)).retrieve(ds, queries, Progress())
    if out.cost["index_reused"]:
        raise RuntimeError(f"the index cache {cache} was not empty: the index stage was not measured")
    return {"index_s": out.timings.index_s, "search_s": out.timings.search_s, "scores": out.run.as_dict()}


def _peer(ds: Any, queries: list[Any], folder: Path, k1: float, b: float, hits: int) -> dict[str, Any]:
    """Pyserini's in-process API: read corpus.jsonl, ``LuceneIndexer.add_batch_dict``, then ``LuceneSearcher.batch_search``."""
    from pyserini.index.lucene import LuceneIndexer
    from pyserini.search.lucene import LuceneSearcher

    threads = _threads()
    t0 = time.perf_counter()
    # Same index contents as ours (BeirFlatCollection: title + " " + text in one field, positions and doc vectors stored).
    indexer = LuceneIndexer(str(folder), args=["-index", str(folder), "-storePositions", "-storeDocvectors"], threads=min(threads, 8))
    docs = []
    with open(ds.corpus_path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                docs.append({"id": str(d["_id"]), "contents": f"{d.get('title') or ''} {d.get('text') or ''}".strip()})
    indexer.add_batch_dict(docs)
    indexer.close()
    t1 = time.perf_counter()
    searcher = LuceneSearcher(str(folder))
    searcher.set_bm25(k1, b)
    scores: dict[str, dict[str, float]] = {}
    for i in range(0, len(queries), BATCH):
        batch = queries[i : i + BATCH]
        found = searcher.batch_search([q.text for q in batch], [q.id for q in batch], k=hits, threads=threads)
        scores.update({q.id: {} for q in batch})
        scores.update({qid: {h.docid: float(h.score) for h in hs} for qid, hs in found.items()})
    searcher.close()
    t2 = time.perf_counter()
    return {"index_s": t1 - t0, "search_s": t2 - t1, "scores": scores}


def same_lists(a: dict[str, dict[str, float]], b: dict[str, dict[str, float]], tol: float = 1e-4) -> bool:
    """Every query has the same retrieved documents with the same scores (so the same ranked lists)."""
    if a.keys() != b.keys():
        return False
    return all(a[q].keys() == b[q].keys() and all(abs(a[q][d] - b[q][d]) <= tol for d in a[q]) for q in a)


def in_process(report: Report, cfg: Settings) -> None:
    """Index s, search s and queries/s of our runner vs Pyserini's own Python API, same JVM, interleaved rounds."""
    import bench.runners.java as java  # first: our JVM bootstrap (Java 21, options), before any pyserini import

    java.bootstrap()
    t = time.perf_counter()
    java.autoclass("io.anserini.search.SimpleSearcher")  # starts the JVM
    jvm_s = time.perf_counter() - t
    t = time.perf_counter()
    import pyserini.index.lucene
    import pyserini.search.lucene  # noqa: F401  (imports torch, transformers, onnxruntime for its dense searchers)

    pyserini_import_s = time.perf_counter() - t

    from bench.datasets import resolve_dataset
    from bench.specs import load_spec

    spec = load_spec(SPEC)
    k1, b, hits = float(spec.params["k1"]), float(spec.params["b"]), int(spec.params.get("hits", 1000))
    name = cfg.dataset(DATASET)
    ds = resolve_dataset(name)
    ds.validate()  # hashes and reads the dataset once, outside every timer (bench run does this before the runner)
    queries = ds.judged_queries()
    rounds = cfg.repeat(5)
    ours: list[dict[str, Any]] = []
    peer: list[dict[str, Any]] = []
    saved = os.environ.get("BENCH_CACHE")
    with tempfile.TemporaryDirectory(prefix="bench-bm25-inproc-") as tmp:
        work = Path(tmp)
        try:
            _ours(spec, ds, queries, work / "warm-ours")  # untimed warm-up of both (class loading, JIT)
            _peer(ds, queries, work / "warm-peer", k1, b, hits)
            for i in range(rounds):
                first, second = ("ours", "peer") if i % 2 == 0 else ("peer", "ours")
                for side in (first, second):
                    if side == "ours":
                        ours.append(_ours(spec, ds, queries, work / f"ours-{i}"))
                    else:
                        peer.append(_peer(ds, queries, work / f"peer-{i}", k1, b, hits))
                print(f"[bench] bm25 in process, round {i + 1}/{rounds}", flush=True)
        finally:
            if saved is None:
                os.environ.pop("BENCH_CACHE", None)
            else:
                os.environ["BENCH_CACHE"] = saved
    same = all(same_lists(o["scores"], p["scores"]) for o, p in zip(ours, peer, strict=True))
    n_docs = sum(1 for _ in ds.iter_corpus())
    o_idx, p_idx = Samples.of([r["index_s"] for r in ours]), Samples.of([r["index_s"] for r in peer])
    o_s, p_s = Samples.of([r["search_s"] for r in ours]), Samples.of([r["search_s"] for r in peer])
    o_qps, p_qps = Samples.of([len(queries) / x for x in o_s.values]), Samples.of([len(queries) / x for x in p_s.values])
    o_tot = Samples.of([r["index_s"] + r["search_s"] for r in ours])
    p_tot = Samples.of([r["index_s"] + r["search_s"] for r in peer])
    report.section(
        f"BM25 (flat) on {name.upper()}, in process: our runner vs Pyserini's `LuceneIndexer` + `LuceneSearcher`",
        f"One process, one JVM (Anserini from pyserini {_version('pyserini')}): {n_docs:,} documents, {len(queries)} queries, "
        f"k1={k1} b={b}, {hits} hits, batches of {BATCH} queries, {_threads()} search threads, {min(_threads(), 8)} indexing threads. "
        "The JVM was started and both packages imported before any timer; one untimed warm-up round of each side, then "
        f"{rounds} rounds alternating which side goes first, each with an empty index folder. Cells: median (min–max). "
        "Ours = the runner's `retrieve()` (what `bench run` calls) and its own stage timers: index = Anserini `IndexCollection` "
        "(BeirFlatCollection) from the corpus file into the cache; search = open the searcher, `batch_search`, hits to Python dicts. "
        "Pyserini = read corpus.jsonl with `json`, `LuceneIndexer(args=[-storePositions, -storeDocvectors]).add_batch_dict`, close; "
        "search = `LuceneSearcher` + `set_bm25` + `batch_search`, hits to Python dicts. Both indexes use the default analyzer "
        "and store positions and document vectors. "
        "The last column's bracket is the range of the per-round ratios.",
        ["stage", "ours", "Pyserini API", "ours / Pyserini"],
        [
            ["index s", o_idx.cell(3), p_idx.cell(3), ratio_cell(o_idx, p_idx)],
            ["search s", o_s.cell(3), p_s.cell(3), ratio_cell(o_s, p_s)],
            ["queries/s (higher is better)", o_qps.cell(1), p_qps.cell(1), ratio_cell(o_qps, p_qps)],
            ["index + search s", o_tot.cell(3), p_tot.cell(3), ratio_cell(o_tot, p_tot)],
        ],
        notes=f"Identical top-{hits} lists (same documents, same scores within 1e-4, every query, every round): "
        f"{'yes' if same else 'NO'}. Not in the table, measured once in this process before the timers: starting the JVM "
        f"{jvm_s:.2f} s (both sides pay it once per process) and `import pyserini.search.lucene` {pyserini_import_s:.2f} s "
        "(it imports torch, transformers and onnxruntime for its dense searchers; our BM25 path imports none of them). "
        "Those fixed costs are what the whole-process table below adds.",
    )


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


# -- whole processes -----------------------------------------------------------------------------


def _raw_index(env: dict[str, str], corpus_dir: Path, index: Path) -> float:
    args = ["--collection", "BeirFlatCollection", "--input", str(corpus_dir), "--index", str(index)]
    args += ["--generator", "DefaultLuceneDocumentGenerator", "--threads", str(min(_threads(), 8)), "--storePositions", "--storeDocvectors"]
    return timed_process([sys.executable, "-c", PYSERINI.format(mod="pyserini.index.lucene"), *args], env)[0]


def _raw_search(env: dict[str, str], index: Path, topics: Path, out: Path) -> float:
    args = ["--index", str(index), "--topics", str(topics), "--output", str(out), "--bm25", "--k1", "0.9", "--b", "0.4"]
    args += ["--hits", "1000", "--threads", str(_threads()), "--batch-size", str(BATCH)]
    return timed_process([sys.executable, "-c", PYSERINI.format(mod="pyserini.search.lucene"), *args], env)[0]


OURS_STARTUP = (
    "import bench.cli, bench.runners.lucene; from bench.runners.java import autoclass; autoclass('io.anserini.search.SimpleSearcher')"
)
RAW_STARTUP = "import bench.runners.java as j; j.bootstrap(); import {mod}"


def processes(report: Report, cfg: Settings) -> None:
    """Fresh processes: `bench run --no-record` vs the raw Pyserini CLI, cold and warm, plus each side's start-up alone."""
    from bench.datasets import resolve_dataset
    from bench.evaluation import evaluate, read_trec_run

    name = cfg.dataset(DATASET)
    ds = resolve_dataset(name)
    queries = ds.judged_queries()
    rounds = cfg.repeat(3)
    bench = bench_cli()
    with tempfile.TemporaryDirectory(prefix="bench-bm25-procs-") as tmp:
        work = Path(tmp)
        (work / "input").mkdir()
        corpus_dir = work / "input"
        shutil.copyfile(ds.corpus_path, corpus_dir / "corpus.jsonl")  # the raw CLI indexes every file of its input folder
        topics = work / "topics.tsv"
        topics.write_text("".join(f"{q.id}\t{' '.join(q.text.split())}\n" for q in queries), encoding="utf-8")
        ours_cmd = [*bench, "run", str(SPEC), "-d", name, "--no-record", "-o", str(work / "ours.trec")]
        s_ours, s_raw, c_ours, c_raw, w_ours, w_raw = [], [], [], [], [], []
        for i in range(rounds):
            # cold: brand-new cache folders on both sides (ours: BENCH_HOME; raw: a new index folder and PYSERINI_CACHE)
            env_ours = clean_env(BENCH_HOME=str(work / f"home-{i}"))
            env_raw = clean_env(BENCH_HOME=str(work / f"raw-home-{i}"), PYSERINI_CACHE=str(work / f"raw-cache-{i}"))
            index = work / f"raw-index-{i}"
            s_ours.append(timed_process([sys.executable, "-c", OURS_STARTUP], env_ours)[0])
            s_raw.append(
                timed_process([sys.executable, "-c", RAW_STARTUP.format(mod="pyserini.index.lucene")], env_raw)[0]
                + timed_process([sys.executable, "-c", RAW_STARTUP.format(mod="pyserini.search.lucene")], env_raw)[0]
            )
            c_ours.append(timed_process(ours_cmd, env_ours)[0])
            c_raw.append(_raw_index(env_raw, corpus_dir, index) + _raw_search(env_raw, index, topics, work / "raw.trec"))
            w_ours.append(timed_process(ours_cmd, env_ours)[0])
            w_raw.append(_raw_search(env_raw, index, topics, work / "raw.trec"))
            print(f"[bench] bm25 processes, round {i + 1}/{rounds}", flush=True)
        qrels = ds.qrels()
        ours_run, raw_run = read_trec_run(work / "ours.trec"), read_trec_run(work / "raw.trec")
        same = same_lists(ours_run.as_dict(), raw_run.as_dict())
        ours_m, raw_m = evaluate(ours_run, qrels).aggregate, evaluate(raw_run, qrels).aggregate
    rows = []
    for label, o, r in (
        ("start-up only: interpreter, imports, JVM start (no work)", s_ours, s_raw),
        ("cold: index + search", c_ours, c_raw),
        ("warm: search only (index exists)", w_ours, w_raw),
    ):
        so, sr = Samples.of(o), Samples.of(r)
        rows.append([label, so.cell(2), sr.cell(2), ratio_cell(so, sr)])
    report.section(
        f"BM25 (flat) on {name.upper()}, whole processes: `bench run` vs the raw Pyserini CLI",
        f"Each cell is fresh processes timed from spawn to exit, median (min–max) of {rounds} interleaved rounds; {len(queries)} "
        "queries, k1=0.9 b=0.4, 1000 hits. Ours: `bench run models/bm25-flat.yaml --no-record -o run.trec`, one process "
        "(dataset validation and hashing, index, search, evaluation, the TREC file). Raw CLI: `python -m pyserini.index.lucene` "
        "then `python -m pyserini.search.lucene` (two processes, two JVM starts; the search module imports torch), given "
        "the same Java 21 bootstrap and nothing else; it writes the TREC file and evaluates nothing. Cold = brand-new cache "
        "folders on both sides (no index yet; the operating system's file cache is warm for both). Warm = the index exists "
        "(ours finds it in its cache; the raw CLI is pointed at it). Start-up only = the same interpreters importing the same "
        "modules and starting the JVM, doing nothing else (raw: the two modules, in two processes).",
        ["case", "ours s", "raw Pyserini CLI s", "ours / raw"],
        rows,
        notes=f"Same ranked lists from both: {'yes' if same else 'NO'} (nDCG@10 ours {ours_m['nDCG@10']:.5f}, raw {raw_m['nDCG@10']:.5f}). "
        "Most of the difference is start-up: compare the start-up row with the in-process table above, where the work itself is timed.",
    )
