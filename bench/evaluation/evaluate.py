"""Evaluate a run against qrels with trec_eval semantics (pytrec_eval).

Aggregates are means over the queries that are both judged and present in the run, as trec_eval
(without ``-c``) and beir's ``EvaluateRetrieval.evaluate`` compute them. ``coverage`` says how many
judged queries the run answered, so a partial run is never mistaken for a complete one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pytrec_eval

from bench.evaluation.measures import DEFAULT_MEASURES, Measure, parse_measure
from bench.types import Run


@dataclass(frozen=True)
class EvalResult:
    """Per-query values (``qid -> metric name -> value``) and their means."""

    per_query: Mapping[str, Mapping[str, float]]
    aggregate: Mapping[str, float]
    judged_queries: int

    @property
    def evaluated_queries(self) -> int:
        return len(self.per_query)

    @property
    def coverage(self) -> float:
        return self.evaluated_queries / self.judged_queries if self.judged_queries else 0.0


def _top(run: Run, k: int, drop_identical_ids: bool) -> dict[str, dict[str, float]]:
    """The first ``k`` of each list; Run lists are already in trec_eval order, so this is slicing."""
    out = {}
    for qid, docs in run.results.items():
        kept = [(d, s) for d, s in docs if d != qid] if drop_identical_ids else docs
        out[qid] = dict(kept[:k])
    return out


def _drop_identical(run: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    return {q: {d: s for d, s in docs.items() if d != q} for q, docs in run.items()}


def evaluate(
    run: Run,
    qrels: Mapping[str, Mapping[str, int]],
    measures: Iterable[Measure | str] = DEFAULT_MEASURES,
    drop_identical_ids: bool = False,
) -> EvalResult:
    """Score ``run`` against ``qrels``.

    Args:
        run: the ranked lists.
        qrels: graded judgments.
        measures: canonical metrics (``Measure`` or names like ``"nDCG@10"``).
        drop_identical_ids: remove a document whose id equals the query id first (a dataset property).
    """
    ms = [m if isinstance(m, Measure) else parse_measure(m) for m in measures]
    results = run.as_dict()
    if drop_identical_ids:
        results = _drop_identical(results)
    qrels_d = {q: dict(d) for q, d in qrels.items()}
    per_query: dict[str, dict[str, float]] = {}

    plain = [m for m in ms if m.name != "RR"]
    if plain:
        evaluator = pytrec_eval.RelevanceEvaluator(qrels_d, {m.trec_measure for m in plain})
        for qid, vals in evaluator.evaluate(results).items():
            per_query[qid] = {str(m): float(vals[m.trec_key]) for m in plain}
    for m in (m for m in ms if m.name == "RR"):
        source = results
        if m.cutoff is not None:
            source = _top(run, m.cutoff, drop_identical_ids)
        evaluator = pytrec_eval.RelevanceEvaluator(qrels_d, {"recip_rank"})
        for qid, vals in evaluator.evaluate(source).items():
            per_query.setdefault(qid, {})[str(m)] = float(vals["recip_rank"])

    names = [str(m) for m in ms]
    n = len(per_query)
    aggregate = {name: (sum(v[name] for v in per_query.values()) / n if n else 0.0) for name in names}
    return EvalResult(per_query=per_query, aggregate=aggregate, judged_queries=len(qrels_d))
