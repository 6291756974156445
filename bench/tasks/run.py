"""One spec on several embedding tasks in one process (model loaded once), each task recorded as it finishes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.errors import BenchError, DatabaseBusy, NameTaken
from bench.identity import Writer, spec_writer
from bench.provenance import code_version, environment, environment_hash
from bench.runners.base import Progress, Runner, make_runner
from bench.specs import ModelSpec
from bench.store.db import open_writer
from bench.store.models import ModelRow
from bench.store.tasks import TaskRow, TaskRunRecord, record_task_run
from bench.tasks.evaluate import TaskEval, evaluate_task
from bench.tasks.reader import Task


@dataclass(frozen=True)
class TaskSummary:
    run_id: str
    model: str
    task: Task
    result: TaskEval
    provenance: str | None

    def as_json(self) -> dict[str, Any]:
        t, r = self.task, self.result
        return {
            "run_id": self.run_id,
            "model": self.model,
            "task": {"name": t.name, "type": t.type, "mteb_task": t.known.mteb_task if t.known else None, "origin": t.where,
                     "hash": t.content_hash, "split": r.split},
            "main_score": {"metric": t.main_score, "value": r.main_score},
            "scores": r.scores,
            "cost": r.cost,
            "mteb_version": r.mteb_version,
            "provenance": self.provenance,
        }  # fmt: skip


@dataclass(frozen=True)
class TaskOutcome:
    task: Task
    summary: TaskSummary | None = None
    error: BenchError | None = None


def task_row(task: Task) -> TaskRow:
    return TaskRow(
        task_hash=task.content_hash, name=task.name, type=task.type, mteb_task=task.known.mteb_task if task.known else None,
        origin=task.where, main_score=task.main_score, splits={s: len(r) for s, r in task.rows.items()},
        files_hash=task.files_hash, scoring=task.scoring, source=str(task.path),
    )  # fmt: skip


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def task_record(
    spec: ModelSpec, model: ModelRow, task: Task, result: TaskEval, writer: Writer, started_at: datetime, weights_hash: str | None
) -> TaskRunRecord:
    env = environment()
    return TaskRunRecord(
        run_id=uuid.uuid4().hex[:16], model=model, task=task_row(task), writer=writer, spec=spec.model_dump(mode="json"),
        spec_hash=spec.spec_hash, weights_hash=weights_hash, environment=env, environment_hash=environment_hash(env),
        code_version=code_version(), mteb_version=result.mteb_version, started_at=started_at, finished_at=_now(),
        split=result.split, main_score=result.main_score, scores=result.scores, items=result.items, cost=result.cost,
        mteb_result=result.mteb_result,
    )  # fmt: skip


def execute_task(
    spec: ModelSpec, task: Task, db: Path | None, *, runner: Runner, spec_path: Path | None, progress: Progress
) -> TaskSummary:
    """Score ``runner`` on ``task`` with mteb and record it in ``db`` (None: not recorded)."""
    from bench.execute import model_row, precheck_name

    writer = spec_writer(spec_path, spec.spec_hash)
    precheck_name(db, spec.name, spec.spec_hash, writer)
    started = _now()
    result = evaluate_task(runner, task, progress, name=spec.name, revision=spec.weights.revision if spec.weights else None)
    run_id = "not-recorded"
    if db is not None:
        weights = getattr(runner, "_weights", None)
        rec = task_record(spec, model_row(spec), task, result, writer, started, weights.sha256 if weights else None)
        with progress.stage("recording in the results database"):
            try:
                with open_writer(db) as con:
                    run_id = record_task_run(con, rec)
            except DatabaseBusy as e:
                raise DatabaseBusy(f"{e}; the task scores are in the output above and the vectors are cached: re-run to record them") from e
    return TaskSummary(run_id, spec.name, task, result, writer.provenance if db is not None else None)


def execute_tasks(
    spec: ModelSpec,
    tasks: Iterable[Task],
    db: Path | None,
    *,
    spec_path: Path | None = None,
    progress: Progress | None = None,
    runner: Runner | None = None,
) -> Iterator[TaskOutcome]:
    """Run ``spec`` on each task (one runner: weights loaded once); a task that fails is reported and the others go on."""
    progress = progress or Progress()
    runner = runner or make_runner(spec, str(spec_path) if spec_path else "<command line>")
    for task in tasks:
        try:
            yield TaskOutcome(task, execute_task(spec, task, db, runner=runner, spec_path=spec_path, progress=progress))
        except NameTaken:
            raise
        except BenchError as e:
            yield TaskOutcome(task, error=e)
