"""A validated task folder as an mteb 2.26 task object, its data set from our local rows (no Hub access).

A task whose content is MTEB's (``mteb_task`` in the registry) is MTEB's own task class (``mteb.get_task``), so
its protocol (seeds, experiments, undersampling, score normalisation) is MTEB's exactly; any other task is a
subclass of the type's abstract class (``AbsTaskSTS``, ``AbsTaskPairClassification``, ``AbsTaskClassification``,
``AbsTaskClustering``) with mteb's defaults, named ``Brewbench<Name>``. Evaluator settings from the registry are set
on the task object (they are part of the task's identity, :attr:`bench.tasks.reader.Task.scoring`).
"""

from __future__ import annotations

from typing import Any

from bench.tasks.reader import DEFAULT_SCORE_RANGE, Task

_ABSTRACT = {
    "STS": ("mteb.abstasks.sts", "AbsTaskSTS"),
    "PairClassification": ("mteb.abstasks.pair_classification", "AbsTaskPairClassification"),
    "Classification": ("mteb.abstasks.classification", "AbsTaskClassification"),
    "Clustering": ("mteb.abstasks.clustering", "AbsTaskClustering"),
}


def label_ids(task: Task) -> dict[object, int]:
    """Labels as integers, in sorted order (MTEB's Hub copies store class indices; string labels are mapped)."""
    labels = {r["label"] for rows in task.rows.values() for r in rows if "label" in r}
    labels |= {lab for rows in task.rows.values() for r in rows for lab in r.get("labels", []) if isinstance(r.get("labels"), list)}
    return {lab: i for i, lab in enumerate(sorted(labels, key=lambda x: (isinstance(x, str), x)))}


def split_rows(task: Task, split: str) -> list[dict[str, Any]]:
    """The rows of ``split`` in the columns mteb's task class of this type reads."""
    rows = task.rows[split]
    if task.type == "STS":
        return [{"sentence1": r["sentence1"], "sentence2": r["sentence2"], "score": float(r["score"])} for r in rows]
    if task.type == "PairClassification":
        return [{"sentence1": r["sentence1"], "sentence2": r["sentence2"], "labels": int(r["label"])} for r in rows]
    ids = label_ids(task)
    if task.type == "Classification":
        return [{"text": r["text"], "label": ids[r["label"]]} for r in rows]
    out = []  # clustering: one row per text (MTEB v2's layout); a v1 row of lists is unrolled
    for r in rows:
        if "sentences" in r:
            out += [{"sentences": s, "labels": ids[lab]} for s, lab in zip(r["sentences"], r["labels"], strict=True)]
        else:
            out.append({"sentences": r["text"], "labels": ids[r["label"]]})
    return out


def mteb_task_for(task: Task) -> Any:
    """The mteb task object for ``task``, data loaded, evaluator settings applied."""
    import importlib

    from datasets import Dataset, DatasetDict

    if task.known and task.known.mteb_task:
        import mteb

        obj = mteb.get_task(task.known.mteb_task)
    else:
        module, name = _ABSTRACT[task.type]
        obj = _local_class(task, getattr(importlib.import_module(module), name))()
    if task.type == "STS" and not (task.known and task.known.mteb_task):
        lo, hi = task.known.score_range if task.known and task.known.score_range else DEFAULT_SCORE_RANGE
        obj.min_score, obj.max_score = lo, hi
    for attr, value in task.known.evaluator if task.known else ():
        setattr(obj, attr, value)
    obj.dataset = DatasetDict({s: Dataset.from_list(split_rows(task, s)) for s in task.splits})
    obj.data_loaded = True
    return obj


def eval_splits(task: Task) -> list[str]:
    """The splits scored: ``test`` (classification trains on ``train``)."""
    return ["test"] if "test" in task.splits else [task.splits[-1]]


def _local_class(task: Task, base: type) -> type:
    from mteb.abstasks.task_metadata import TaskMetadata

    main = task.main_score
    metadata = TaskMetadata(
        name=task.mteb_name,
        description=f"{task.name} from its local folder ({task.where}; brewbench)",
        type=task.type,
        category="t2t",
        reference=None,
        dataset={"path": f"local/{task.name}", "revision": task.content_hash[:12]},
        eval_splits=eval_splits(task),
        eval_langs=["eng-Latn"],
        main_score=main,
        date=None,
        domains=None,
        task_subtypes=None,
        license="not specified",
        annotations_creators="expert-annotated",
        dialect=[],
        sample_creation="found",
        bibtex_citation="",
    )
    return type(f"Local{task.mteb_name}", (base,), {"metadata": metadata, "load_data": _loaded})


def _loaded(self: Any, num_proc: int | None = None, **kwargs: Any) -> None:
    """Data is set by :func:`mteb_task_for`; never fetched."""
