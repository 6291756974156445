"""One embedding task, scored by mteb's own evaluator: every mteb score kept, per-item values for paired statistics.

``mteb.evaluate`` runs the task object of :mod:`bench.tasks.mteb_tasks` with :class:`~bench.tasks.adapter.MtebEncoder`
and mteb's defaults (seeds, experiments, undersampling). Its prediction file gives the per-item values kept for
paired comparisons: per-pair similarities (STS, pair classification), per-experiment scores (classification,
clustering) and, for classification, each experiment's predicted label per test text.
"""

from __future__ import annotations

import json
import logging
import math
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.provenance import package_version
from bench.runners.base import Progress
from bench.tasks.adapter import MtebEncoder
from bench.tasks.mteb_tasks import eval_splits, label_ids, mteb_task_for, split_rows
from bench.tasks.reader import Task

_SKIP = {"hf_subset", "languages", "scores_per_experiment"}


@dataclass(frozen=True)
class TaskEval:
    """What mteb measured on one split of a task."""

    split: str
    main_score: float
    scores: dict[str, float]
    """Every numeric score mteb reported for the split (main score included)."""
    items: dict[str, list[Any]] = field(repr=False)
    """Per-item values: ``gold`` + ``cosine`` (STS), ``label`` + ``cosine`` (pair classification), ``experiments``
    (per-experiment main score: classification, clustering), ``gold`` + ``predicted`` (classification: labels of
    each experiment)."""
    cost: dict[str, Any]
    mteb_version: str
    mteb_result: dict[str, Any] = field(repr=False)
    """mteb's ``TaskResult`` as its JSON (what ``bench export --format mteb`` writes back)."""


def evaluate_task(runner: Any, task: Task, progress: Progress, *, name: str, revision: str | None) -> TaskEval:
    """Score ``runner``'s encoder on ``task`` with mteb (one split: test). Raises RunnerUnavailable for a runner without embeddings."""
    import mteb

    encoder = MtebEncoder(runner, progress, name, revision)
    obj = mteb_task_for(task)
    split = eval_splits(task)[0]
    t0 = time.perf_counter()
    logging.getLogger("mteb").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-mteb-") as tmp, progress.stage(f"mteb {obj.metadata.name} ({task.type})"):
        result = mteb.evaluate(
            encoder,
            obj,
            cache=None,
            prediction_folder=Path(tmp),
            show_progress_bar=False,
            encode_kwargs={"batch_size": runner.params.batch_size},
        )
        pred_file = next(Path(tmp).glob("*_predictions.json"), None)
        predictions = json.loads(pred_file.read_text()) if pred_file else {}
    seconds = time.perf_counter() - t0
    tr = result.task_results[0]
    raw = tr.scores[split][0]
    scores = {
        k: float(v)
        for k, v in raw.items()
        if k not in _SKIP and isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    }  # mteb reports nan for a score a task type does not define (ap of a multi-class task): left out
    main = float(raw["main_score"])
    subset = raw.get("hf_subset", "default")
    items = _items(task, split, raw, predictions.get(subset, {}).get(split))
    texts = encoder.texts_encoded + encoder.texts_cached
    cost = {
        "texts": texts,
        "texts_encoded": encoder.texts_encoded,
        "texts_cached": encoder.texts_cached,
        "seconds": seconds,
        "texts_per_s": texts / seconds if seconds > 0 else None,
        "eval_s_mteb": float(getattr(tr, "evaluation_time", 0.0) or 0.0),
    }
    return TaskEval(split, main, scores, items, cost, package_version("mteb"), _finite(tr.to_dict()))


def _finite(obj: Any) -> Any:
    """``obj`` with every non-finite float as None (JSON has no NaN)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def _items(task: Task, split: str, raw: dict[str, Any], pred: Any) -> dict[str, list[Any]]:
    rows = split_rows(task, split)
    out: dict[str, list[Any]] = {}
    if task.type == "STS" and isinstance(pred, dict):
        out = {"gold": [r["score"] for r in rows], "cosine": [float(x) for x in pred["cosine_scores"]]}
    elif task.type == "PairClassification" and isinstance(pred, dict):
        out = {"label": [r["labels"] for r in rows], "cosine": [float(x) for x in pred["cosine_scores"]]}
    elif task.type == "Classification":
        per = raw.get("scores_per_experiment") or []
        out = {"experiments": [float(e[task.main_score]) for e in per if task.main_score in e]}
        if isinstance(pred, list) and pred and all(isinstance(p, list) and len(p) == len(rows) for p in pred):
            out["gold"] = [r["label"] for r in rows]
            out["predicted"] = [[int(x) for x in p] for p in pred]
    elif task.type == "Clustering":
        v = raw.get(f"{task.main_score}s") or raw.get("v_measures") or {}
        vals = next(iter(v.values()), []) if isinstance(v, dict) else v
        out = {"experiments": [float(x) for x in vals]}
    if out.get("gold") and task.type == "Classification":
        names = {i: lab for lab, i in label_ids(task).items()}
        out["labels"] = [str(names[i]) for i in sorted(names)]
    return out
