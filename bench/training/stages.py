"""The data stages of a recipe (mine -> teacher-score -> filter), each a pure step plus its cache entry format.

* mine: per query, the union of each source spec's top ``depth`` documents (rows ``collection/qid/doc``, best rank kept).
* teachers: every mined pair plus every positive pair, scored by each teacher and fused (see :mod:`.negatives`).
* filter: the examples (query, positive, ``k`` negatives, fused scores) and the margin rule's counts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.runners.base import Progress
from bench.runners.embedding_cache import CachedEmbeddings, EmbeddingCache
from bench.training.data import SpecRuns, TrainingCollection
from bench.training.negatives import Example, fuse, select_negatives, teacher_scores
from bench.training.recipe import Recipe

Pairs = dict[str, dict[str, dict[str, float]]]
"""collection -> qid -> doc -> value."""
_SEP = "\t"


def _row(c: str, q: str, d: str) -> str:
    return f"{c}{_SEP}{q}{_SEP}{d}"


def _unrow(row: str) -> tuple[str, str, str]:
    c, q, d = row.split(_SEP)
    return c, q, d


def pairs_to_entry(cache: EmbeddingCache, key: str, pairs: Pairs, meta: dict[str, Any], extra: dict[str, np.ndarray] | None = None) -> None:
    """Store ``pairs`` (sorted rows, values in ``value``) and any ``extra`` per-row arrays as one entry."""
    rows = [(c, q, d) for c in sorted(pairs) for q in sorted(pairs[c]) for d in sorted(pairs[c][q])]
    with cache.writer(key, meta) as w:
        w.set_ids([_row(*r) for r in rows])
        w.put("value", np.array([pairs[c][q][d] for c, q, d in rows], dtype=np.float64))
        for name, arr in (extra or {}).items():
            w.put(name, arr)


def entry_to_pairs(entry: CachedEmbeddings) -> Pairs:
    out: Pairs = defaultdict(lambda: defaultdict(dict))
    for row, v in zip(entry.ids, entry.arrays["value"].tolist(), strict=True):
        c, q, d = _unrow(row)
        out[c][q][d] = v
    return {c: dict(qs) for c, qs in out.items()}


# -- mine -----------------------------------------------------------------------------------------
def mine(recipe: Recipe, collections: list[TrainingCollection], runs: SpecRuns, progress: Progress) -> Pairs:
    """collection -> qid -> doc -> best (1-based) rank among the sources' top ``depth``."""
    out: Pairs = {}
    depth = recipe.candidates.depth
    steps = [(c, s) for c in collections for s in recipe.candidates.sources]
    for coll, src in progress.track(steps, f"mining candidates ({len(steps)} runs)", total=len(steps)):
        ranked = runs.run(src, "training.candidates.sources", coll)
        per = out.setdefault(coll.name, {})
        for q in coll.queries:
            got = per.setdefault(q.id, {})
            for rank, (doc, _) in enumerate(ranked.get(q.id, [])[:depth], start=1):
                got[doc] = min(got.get(doc, rank), rank)
    return out


# -- teachers -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Teacher:
    """One teacher as the card shows it."""

    name: str
    kind: str  # "runner" | "cross-encoder"
    weight: float
    ref: str  # spec hash or model-folder hash


def score_teachers(
    recipe: Recipe,
    collections: list[TrainingCollection],
    candidates: Pairs,
    runs: SpecRuns,
    folder: Path,
    progress: Progress,
) -> tuple[Pairs, list[dict[str, dict[str, dict[str, float]]]]]:
    """Fused teacher score of every candidate and positive pair, and each teacher's raw scores."""
    pairs = {
        c.name: {q.id: sorted(set(candidates.get(c.name, {}).get(q.id, {})) | {d for d, _ in c.positives(q.id)}) for q in c.queries}
        for c in collections
    }
    raw: list[dict[str, dict[str, dict[str, float]]]] = []
    weights: list[float] = []
    for t in recipe.teachers.runners:
        per: dict[str, dict[str, dict[str, float]]] = {}
        for coll in progress.track(collections, f"teacher {t.spec}", total=len(collections)):
            ranked = runs.run(t.spec, "training.teachers.runners", coll)
            per[coll.name] = {q: teacher_scores(ranked.get(q, []), docs) for q, docs in pairs[coll.name].items()}
        raw.append(per)
        weights.append(t.weight)
    if (ce := recipe.teachers.cross_encoder) is not None:
        raw.append(cross_encoder_scores(cross_encoder_folder(ce.path, folder), ce.batch_size, ce.max_length, collections, pairs, progress))
        weights.append(ce.weight)
    fused: Pairs = {}
    for coll in collections:
        fused[coll.name] = {q: fuse([r[coll.name][q] for r in raw], weights) for q in pairs[coll.name]}
    return fused, raw


def cross_encoder_folder(path: str, folder: Path) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else folder / p


def cross_encoder_scores(
    model_dir: Path,
    batch_size: int,
    max_length: int,
    collections: list[TrainingCollection],
    pairs: dict[str, dict[str, list[str]]],
    progress: Progress,
) -> dict[str, dict[str, dict[str, float]]]:
    """A CrossEncoder's score of every (query, document) pair, batched, in a stable order."""
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(str(model_dir), max_length=max_length, local_files_only=True, device="cpu")
    out: dict[str, dict[str, dict[str, float]]] = {}
    for coll in collections:
        flat = [(q, d) for q in sorted(pairs[coll.name]) for d in pairs[coll.name][q]]
        scores: list[float] = []
        steps = range(0, len(flat), batch_size)
        n_pairs = len(flat)
        for i in progress.track(
            steps, f"cross-encoder on {coll.name} ({n_pairs} pairs)", total=n_pairs, units=lambda i, n=n_pairs: min(batch_size, n - i)
        ):
            batch = flat[i : i + batch_size]
            texts = [(coll.query_texts[q], coll.doc_texts[d]) for q, d in batch]
            scores.extend(float(s) for s in model.predict(texts, batch_size=batch_size, show_progress_bar=False, convert_to_numpy=True))
        per: dict[str, dict[str, float]] = {}
        for (q, d), s in zip(flat, scores, strict=True):
            per.setdefault(q, {})[d] = s
        out[coll.name] = per
    return out


# -- filter ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FilterCounts:
    """What the margin filter did, summed over the training collections."""

    queries: int
    examples: int
    negatives_kept: int
    negatives_dropped: int
    examples_short: int


def build_examples(
    recipe: Recipe, collections: list[TrainingCollection], candidates: Pairs, fused: Pairs
) -> tuple[list[Example], FilterCounts]:
    """Apply the margin rule to every (query, positive) of every collection."""
    margin = recipe.margin.value if recipe.margin.rule == "topk-percpos" else None
    examples: list[Example] = []
    kept = dropped = short = queries = 0
    for coll in collections:
        for q in coll.queries:
            relevant = [d for d, _ in coll.positives(q.id)]
            sel = select_negatives(
                coll.name,
                q.id,
                relevant[: recipe.positives_per_query],
                list(candidates.get(coll.name, {}).get(q.id, {})),
                fused[coll.name][q.id],
                relevant=relevant,
                k=recipe.negatives,
                margin=margin,
            )
            queries += 1
            examples.extend(sel.examples)
            kept, dropped, short = kept + sel.kept, dropped + sel.dropped, short + sel.short
    return examples, FilterCounts(queries, len(examples), kept, dropped, short)


def examples_to_entry(cache: EmbeddingCache, key: str, examples: list[Example], counts: FilterCounts, k: int) -> None:
    with cache.writer(key, {"counts": counts.__dict__, "negatives": k}) as w:
        w.set_ids([_row(e.collection, e.qid, e.positive) for e in examples])
        w.put("negatives", np.array([list(e.negatives) for e in examples], dtype=np.str_).reshape(len(examples), k))
        w.put("scores", np.array([list(e.scores) for e in examples], dtype=np.float64).reshape(len(examples), k + 1))


def entry_to_examples(entry: CachedEmbeddings) -> tuple[list[Example], FilterCounts]:
    negs, scores = entry.arrays["negatives"].tolist(), entry.arrays["scores"].tolist()
    examples = []
    for row, n, s in zip(entry.ids, negs, scores, strict=True):
        c, q, p = _unrow(row)
        examples.append(Example(c, q, p, tuple(n), tuple(s)))
    return examples, FilterCounts(**entry.meta["counts"])
