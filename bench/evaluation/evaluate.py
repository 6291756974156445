"""Evaluate a run against qrels with trec_eval semantics (pytrec_eval, through ir_measures).

Aggregates are means over *every judged query*, a judged query the run does not answer counting 0, as
``trec_eval -c`` computes them: a partial run is never flattered. Whenever a run answers every judged query
this equals trec_eval without ``-c`` and beir's ``EvaluateRetrieval.evaluate``. ``coverage`` says how many
judged queries the run answered; it is stored and shown beside every score.

Any measure ir_measures can compute is accepted (:mod:`bench.evaluation.measures`). Everything pytrec_eval computes
goes to ir_measures' pytrec_eval provider (one pytrec_eval call per relevance level, as ir_measures arranges it);
``RR@k``, which pytrec_eval cannot cut, is pytrec_eval's reciprocal rank on lists truncated to ``k`` (what
ir_measures' own RR@k gives, at pytrec_eval's speed); any other measure (``Judged@10``, ``ERR@20``, ``Compat``...)
goes to the ir_measures provider that computes it. Aggregates use each measure's own ir_measures aggregator
(a mean for every fraction) over every judged query.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import ir_measures

from bench.errors import EvaluationError
from bench.evaluation.measures import DEFAULT_MEASURES, Measure, parse_measures
from bench.types import Run

_PYTREC = ir_measures.providers.registry["pytrec_eval"]


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
        measures: canonical metrics (``Measure`` or ir_measures names like ``"nDCG@10"``, ``"P(rel=2)@10"``).
        drop_identical_ids: remove a document whose id equals the query id first (a dataset property).

    Raises:
        EvaluationError: a metric name is unknown, or its ir_measures provider failed.
    """
    ms = parse_measures(measures)
    results = run.as_dict()
    if drop_identical_ids:
        results = _drop_identical(results)
    qrels_d = {q: dict(d) for q, d in qrels.items()}
    values: dict[str, dict[str, float]] = {qid: {} for qid in qrels_d}
    for name, qid, value in _compute(ms, qrels_d, results, run, drop_identical_ids):
        row = values.get(qid)  # judged queries only
        if row is not None:
            row[name] = float(value)
    names = [str(m) for m in ms]
    # trec_eval -c: a judged query without results scores 0 on every measure; rows in qrels order
    per_query = {qid: {name: row.get(name, 0.0) for name in names} for qid, row in values.items()}
    answered = sum(1 for qid in qrels_d if run.results.get(qid))
    n = len(qrels_d)
    aggregate = {}
    for m, name in zip(ms, names, strict=True):
        agg = m.ir.aggregator()
        for row in per_query.values():
            agg.add(row[name])
        aggregate[name] = float(agg.result()) if n else 0.0
    return EvalResult(per_query=per_query, aggregate=aggregate, judged_queries=n, answered_queries=answered)


def _cut_rr(m: Measure) -> bool:
    return m.name == "RR" and m.cutoff is not None


def _compute(
    ms: tuple[Measure, ...], qrels: dict[str, dict[str, int]], results: dict[str, dict[str, float]], run: Run, drop_identical_ids: bool
) -> Iterator[tuple[str, str, float]]:
    """``(measure name, qid, value)`` of every measure, each from the fastest ir_measures provider that computes it."""
    direct = [m for m in ms if not _cut_rr(m) and _PYTREC.supports(m.ir)]
    if direct:
        yield from _calc(_PYTREC, {m.text: m for m in direct}, qrels, results)
    for k in sorted({m.cutoff for m in ms if _cut_rr(m) and m.cutoff is not None}):
        cut = {m.without_cutoff().text: m for m in ms if _cut_rr(m) and m.cutoff == k}
        yield from _calc(_PYTREC, cut, qrels, _top(run, k, drop_identical_ids), whole_ranking=True)
    others = [m for m in ms if not _cut_rr(m) and m not in direct]
    if others:
        answered = {q: docs for q, docs in results.items() if docs}  # some providers fail on an empty list; unanswered count 0
        yield from _calc(ir_measures.DefaultPipeline, {m.text: m for m in others}, qrels, answered)


def _calc(
    provider: ir_measures.providers.Provider,
    by_name: dict[str, Measure],
    qrels: dict[str, dict[str, int]],
    run: dict[str, dict[str, float]],
    whole_ranking: bool = False,
) -> Iterator[tuple[str, str, float]]:
    """Per-query values of ``by_name``'s measures (keyed by the name ir_measures is asked for; ``whole_ranking``: without cutoff)."""
    asked = [m.without_cutoff().ir if whole_ranking else m.ir for m in by_name.values()]
    names = {id(ir): str(m) for ir, m in zip(asked, by_name.values(), strict=True)}  # providers hand back the objects asked for
    try:
        for metric in provider.evaluator(asked, qrels).iter_calc(run):
            name = names.get(id(metric.measure))
            yield name if name is not None else str(by_name[str(metric.measure)]), metric.query_id, metric.value
    except EvaluationError:
        raise
    except Exception as e:  # a provider's own failure (gdeval's perl, a bad parameter) becomes one line
        names = ", ".join(str(m) for m in by_name.values())
        detail = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise EvaluationError(f"ir_measures could not compute {names}: {detail}; leave that metric out or use another") from None
