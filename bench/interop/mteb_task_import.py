"""``bench import mteb`` for embedding-task files (STS, classification, pair classification, clustering).

A results file whose ``task_name`` is the MTEB task of a registered embedding task (``mteb_task`` in
bench/tasks/registry.yaml) is recorded as a task run with provenance ``imported``: main score and every numeric
score, no per-item values (never in a paired test or a bootstrap), and a task identity of its own (MTEB's copy of the
data, which we cannot verify, never shares a cell with a task scored here). Checked as strictly as our own: the main
score must equal the task's main metric where both are given, a split appears once, scores are finite.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.errors import ResultsFileError
from bench.identity import Writer, synthetic_identity
from bench.interop.mteb_read import _model_of, load_json, results_files
from bench.provenance import json_sha256
from bench.store.models import ModelRow
from bench.store.tasks import TaskRow, TaskRunRecord
from bench.tasks.reader import KnownTask, known_tasks

TOOL = "mteb"


def embedding_task(task_name: Any) -> KnownTask | None:
    """The registered embedding task whose MTEB name is ``task_name`` (None: not an embedding task of ours)."""
    return next((k for k in known_tasks().values() if k.mteb_task and k.mteb_task == task_name), None)


def task_files(path: Path) -> list[Path]:
    """The results files under ``path`` whose task is a registered embedding task."""
    out = []
    for f in results_files(path):
        data, _ = load_json(f)
        if isinstance(data, dict) and embedding_task(data.get("task_name")) is not None:
            out.append(f)
    return out


def _fail(path: Path, problem: str, fix: str) -> ResultsFileError:
    return ResultsFileError(f"{path}: {problem}; {fix}")


def plan_task_import(files: list[Path], *, model: str | None, family: str | None, zero_shot: str | None = None) -> list[TaskRunRecord]:
    """Every task file checked and turned into a record before anything is written (raises one line on the first problem).

    Family and zero-shot as :func:`bench.interop.mteb_import.declared` finds them (options, model_meta.json, else unknown).
    """
    from bench.interop.mteb_export import PROVENANCE_KEY
    from bench.interop.mteb_import import brewbench_name, check_options, declared

    check_options(family, zero_shot)
    out: list[TaskRunRecord] = []
    for f in files:
        data, sha = load_json(f)
        if PROVENANCE_KEY in data:
            raise _fail(
                f,
                "a file brewbench exported (it has a 'brewbench' object)",
                "its run is in the database it came from; never import our own results as 'imported'",
            )
        known = embedding_task(data.get("task_name"))
        assert known is not None
        scores = data.get("scores")
        if not isinstance(scores, dict):
            raise _fail(f, "no 'scores' object", "an MTEB results file has scores: {split: [{main_score, ...}]}")
        model_id, revision, meta = _model_of(f)
        model_id = model_id or model
        if model_id is None:
            raise _fail(f, "cannot tell which model these results are of", "pass --model NAME")
        name = model or brewbench_name(model_id, f)
        known_model = declared(meta, f.parent / "model_meta.json", family=family, zero_shot=zero_shot, datasets=[known.name])
        identity = synthetic_identity(name, known_model.family, f"{TOOL}:{model_id}@{revision or 'unknown'}")
        split = known.splits[-1]
        entries = [e for e in scores.get(split) or [] if isinstance(e, dict) and e.get("hf_subset", "default") == "default"]
        if not entries:
            raise _fail(f, f"no default-subset scores for split '{split}'", f"{known.mteb_task} is scored on {split}")
        if len(entries) > 1:
            raise _fail(f, f"split '{split}' is listed {len(entries)} times", "keep one entry per split and subset")
        raw = entries[0]
        nums = {k: float(v) for k, v in raw.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        bad = next((k for k, v in nums.items() if not math.isfinite(v) or not -1.0 <= v <= 1.0), None)
        if bad is not None:
            raise _fail(f, f"score {bad} = {nums[bad]} is not a finite fraction in [-1, 1]", "mteb writes scores as fractions")
        main = nums.get("main_score", nums.get(known.main_score))
        if main is None or known.main_score not in nums:
            raise _fail(
                f,
                f"no {known.main_score} score for {known.mteb_task}",
                f"mteb (1.11 and later) writes main_score and {known.main_score} for this task",
            )
        if abs(nums[known.main_score] - main) > 1e-9:
            raise _fail(
                f,
                f"main_score {main} disagrees with {known.main_score} {nums[known.main_score]}",
                f"{known.mteb_task}'s main score is {known.main_score}",
            )
        task_hash = json_sha256({"tool": TOOL, "task": known.mteb_task, "revision": data.get("dataset_revision"), "split": split})
        when = data.get("date")
        finished = _when(f, when)
        card = ModelRow(name=name, family=known_model.family, kind=None, hf_id=model_id if "/" in model_id else None, revision=revision,
                        training_datasets=known_model.training,
                        metadata={"imported_from": TOOL, "mteb_model": model_id, **known_model.card_metadata()})  # fmt: skip
        out.append(
            TaskRunRecord(
                run_id=json_sha256({"file": sha, "split": split, "name": name})[:16], model=card,
                task=TaskRow(task_hash, known.name, known.type, known.mteb_task, "imported", known.main_score, {}, None,
                             {"tool": TOOL, "dataset_revision": data.get("dataset_revision")}, str(f)),
                writer=Writer("imported", "imported", f"{TOOL}:{model_id}"), spec=None, spec_hash=identity, weights_hash=None,
                environment={}, environment_hash="", code_version="", mteb_version=str(data.get("mteb_version")), started_at=None,
                finished_at=finished, split=split, main_score=main, scores={k: v for k, v in nums.items() if k != "main_score"},
                items=None, cost={"evaluation_time": data.get("evaluation_time")}, mteb_result=None, source=f"{f} (sha256 {sha[:12]})",
            )
        )  # fmt: skip
    return out


def _when(path: Path, when: Any) -> datetime:
    """The file's evaluation date: a timestamp (mteb 1.x) or an ISO string (mteb 2.x); absent: now."""
    if when is None:
        return datetime.now(UTC).replace(tzinfo=None)
    try:
        if isinstance(when, (int, float)) and not isinstance(when, bool):
            return datetime.fromtimestamp(when, UTC).replace(tzinfo=None)
        if isinstance(when, str):
            d = datetime.fromisoformat(when)
            return (d.astimezone(UTC) if d.tzinfo else d).replace(tzinfo=None)
    except (ValueError, OverflowError, OSError):
        pass
    raise _fail(path, f"date {str(when)[:40]!r} is neither a timestamp nor an ISO date", "mteb writes the evaluation date as one of those")
