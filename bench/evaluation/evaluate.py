"""Evaluate a run against qrels with trec_eval semantics (pytrec_eval).

Aggregates are means over *every judged query*, a judged query the run does not answer counting 0, as
``trec_eval -c`` computes them: a partial run is never flattered. Whenever a run answers every judged query
this equals trec_eval without ``-c`` and beir's ``EvaluateRetrieval.evaluate``. ``coverage`` says how many
judged queries the run answered; it is stored and shown beside every score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pytrec_eval

from bench.evaluation.measures import DEFAULT_MEASURES, Measure, parse_measure
from bench.types import Run


@dataclass(frozen=True)
class EvalResult:
    """Per-query values (``qid -> metric name -> value``, every judged query) and their means (``trec_eval -c``)."""

    per_query: Mapping[str, Mapping[str, float]]
    aggregate: Mapping[str, float]
    judged_queries: int
    answered_queries: int
    """Judged queries the run returned at least one document for (the others count 0 in every mean)."""

    @property
    def evaluated_queries(self) -> int:
        """Alias of :attr:`answered_queries` (the ``runs.evaluated_queries`` column)."""
        return self.answered_queries

    @property
    def coverage(self) -> float:
        return self.answered_queries / self.judged_queries if self.judged_queries else 0.0


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
    answered = sum(1 for qid in qrels_d if run.results.get(qid))
    for qid in qrels_d:  # trec_eval -c: a judged query without results scores 0 on every measure
        per_query.setdefault(qid, {})
        for name in names:
            per_query[qid].setdefault(name, 0.0)
    per_query = {qid: per_query[qid] for qid in qrels_d}  # judged queries only, in qrels order
    n = len(qrels_d)
    aggregate = {name: (sum(v[name] for v in per_query.values()) / n if n else 0.0) for name in names}
    return EvalResult(per_query=per_query, aggregate=aggregate, judged_queries=n, answered_queries=answered)
