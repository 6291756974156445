"""Evaluation only, in process: ``bench.evaluation.evaluate`` vs beir's ``EvaluateRetrieval.evaluate`` on the same BM25 run.

Both evaluate in-memory data (nothing is read from disk inside the timer). Ours receives the ``Run`` the
runner produced and converts it to pytrec_eval's dicts inside its timer; beir receives those dicts ready,
as a beir user holds them. A third row times ours asked for three more measures by their ir_measures names.
"""

from __future__ import annotations

import os
import tempfile
import time

from benchmarks.bm25 import DATASET, SPEC
from benchmarks.measure import Samples, Settings, ratio_cell
from benchmarks.report import Report

EXTRA = ("nDCG@20", "P(rel=2)@10", "Judged@10")
"""Measures beyond the default set, named as ir_measures names them (the third row)."""


def run(report: Report, cfg: Settings) -> None:
    from beir.retrieval.evaluation import EvaluateRetrieval

    from bench.datasets import resolve_dataset
    from bench.evaluation import evaluate
    from bench.evaluation.measures import with_defaults
    from bench.runners.base import Progress, make_runner
    from bench.specs import load_spec

    name = cfg.dataset(DATASET)
    ds = resolve_dataset(name)
    queries = ds.judged_queries()
    saved = os.environ.get("BENCH_CACHE")
    with tempfile.TemporaryDirectory(prefix="bench-eval-") as tmp:
        os.environ["BENCH_CACHE"] = tmp
        try:
            bm25_run = make_runner(load_spec(SPEC), str(SPEC)).retrieve(ds, queries, Progress()).run
        finally:
            if saved is None:
                os.environ.pop("BENCH_CACHE", None)
            else:
                os.environ["BENCH_CACHE"] = saved
    qrels = ds.qrels()
    results = bm25_run.as_dict()
    repeat = cfg.repeat(7)
    ours: list[float] = []
    beir: list[float] = []
    more: list[float] = []
    extra = with_defaults(EXTRA)
    evaluate(bm25_run, qrels)  # untimed warm-up of each
    evaluate(bm25_run, qrels, extra)
    EvaluateRetrieval.evaluate(qrels, results, [10, 100, 1000], ignore_identical_ids=False)
    for i in range(repeat):
        for side in ("ours", "beir") if i % 2 == 0 else ("beir", "ours"):
            t = time.perf_counter()
            if side == "ours":
                mine = evaluate(bm25_run, qrels)
                ours.append(time.perf_counter() - t)
            else:
                ndcg, _map, recall, _p = EvaluateRetrieval.evaluate(qrels, results, [10, 100, 1000], ignore_identical_ids=False)
                beir.append(time.perf_counter() - t)
        t = time.perf_counter()
        evaluate(bm25_run, qrels, extra)
        more.append(time.perf_counter() - t)
    o, b, m = Samples.of([1000 * x for x in ours]), Samples.of([1000 * x for x in beir]), Samples.of([1000 * x for x in more])
    same = abs(mine.aggregate["nDCG@10"] - ndcg["NDCG@10"]) < 1e-4 and abs(mine.aggregate["R@100"] - recall["Recall@100"]) < 1e-4
    depth = max(len(v) for v in results.values())
    report.section(
        f"Evaluation on {name.upper()}: `bench.evaluation.evaluate` vs beir `EvaluateRetrieval.evaluate`",
        f"The same BM25 run ({len(results)} queries x up to {depth} documents), in process, median (min–max) of {repeat} "
        "interleaved calls after one untimed call of each. Ours computes nDCG@10, R@100, R@1000, AP@1000, RR@10, P@10 "
        "(trec_eval -c means) and converts the `Run` to dicts inside its timer; beir computes nDCG, MAP, Recall and P at "
        "10, 100 and 1000 (12 measures, no RR) from dicts built before its timer. Both call pytrec_eval (ours through "
        "ir_measures' pytrec_eval provider, RR@10 on lists cut at 10). The last row adds "
        f"{', '.join(EXTRA)} by name (ir_measures: a second pytrec_eval pass at rel=2, its Python Judged provider).",
        ["evaluator", "ms", "ours / beir"],
        [
            ["ours", o.cell(1), ratio_cell(o, b)],
            ["beir", b.cell(1), "1.00x"],
            [f"ours + {len(EXTRA)} by name", m.cell(1), ratio_cell(m, b)],
        ],
        notes=f"Same nDCG@10 and R@100 from both: {'yes' if same else 'NO'} (ours {mine.aggregate['nDCG@10']:.5f}, beir {ndcg['NDCG@10']:.5f}).",
    )
