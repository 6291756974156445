"""`bench reproduce -t`: re-score a spec on embedding tasks with mteb and compare with its ``expected_tasks`` blocks.

The verdicts are the retrieval ones (:mod:`bench.evaluation.verdicts`: OK exact, OKish within the entry's tolerance,
FAIL beyond, either way). A block is found by the task's content hash: a task whose files or scoring rules (mteb
version included) changed has no expected block, and says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.errors import BenchError, SpecError
from bench.evaluation.verdicts import MetricCheck, compare
from bench.runners.base import Progress, Runner, make_runner
from bench.specs import ExpectedTask, ModelSpec
from bench.tasks.reader import Task, find_task

QUICK_TASKS: tuple[str, ...] = ("STS16",)
"""The tasks ``bench reproduce --all --quick`` (CI) checks: STS16 (1,186 pairs, ~15 s per encoder on 2 cores)."""


@dataclass(frozen=True)
class TaskCheck:
    spec: ModelSpec
    task_name: str
    expected: ExpectedTask | None
    checks: tuple[MetricCheck, ...] = ()
    problem: str | None = None
    published: str | None = None
    run_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        if self.problem or not self.checks:
            return "FAIL"
        v = {c.verdict for c in self.checks}
        return "FAIL" if "FAIL" in v else ("OKish" if "OKish" in v else "OK")

    def as_json(self) -> dict[str, Any]:
        return {
            "model": self.spec.name,
            "task": self.task_name,
            "verdict": self.verdict,
            "problem": self.problem,
            "published": self.published,
            "checks": [
                {"metric": c.metric, "expected": c.expected, "observed": c.observed, "tolerance": c.tolerance, "verdict": c.verdict}
                for c in self.checks
            ],
        }


def task_targets(spec: ModelSpec, source: str, names: Iterable[str] = (), quick: bool = False) -> list[tuple[Task, ExpectedTask | None]]:
    """The tasks to check: ``names`` (each resolved; a name without an expected block is listed with None), or every
    ``expected_tasks`` block of the spec (``quick``: those on :data:`QUICK_TASKS`)."""
    wanted = list(dict.fromkeys(names))
    if wanted:
        out = []
        for n in wanted:
            t = find_task(n)
            out.append((t, next((e for e in spec.expected_tasks if e.hash == t.content_hash), None)))
        return out
    out = []
    for e in spec.expected_tasks:
        if quick and e.task not in QUICK_TASKS:
            continue
        t = find_task(e.task)
        out.append((t, e))
    return out


def check_tasks(
    spec: ModelSpec,
    targets: list[tuple[Task, ExpectedTask | None]],
    db: Path | None,
    *,
    spec_path: Path | None,
    progress: Progress | None = None,
    runner: Runner | None = None,
) -> Iterator[TaskCheck]:
    """Score each task (recorded in ``db`` unless None) and compare with its expected block."""
    from bench.tasks.run import execute_task

    progress = progress or Progress()
    source = str(spec_path) if spec_path else "<spec>"
    runner = runner or make_runner(spec, source)
    for task, expected in targets:
        if expected is None:
            known = ", ".join(f"{e.task} ({e.hash[:12]})" for e in spec.expected_tasks) or "none"
            yield TaskCheck(
                spec, task.name, None,
                problem=f"{source} has no expected_tasks block for {task.name} with content hash {task.content_hash[:12]} "
                f"(its blocks: {known}); add one with `bench reproduce {source} -t {task.name} --print-expected`",
            )  # fmt: skip
            continue
        try:
            summary = execute_task(spec, task, db, runner=runner, spec_path=spec_path, progress=progress)
        except BenchError as e:
            yield TaskCheck(spec, task.name, expected, problem=str(e))
            continue
        observed = {**summary.result.scores, "main_score": summary.result.main_score}
        checks = compare(expected.scores, observed, lambda m, tol=expected.tolerance: tol.get(m, tol.get("default", 0.0)))
        yield TaskCheck(spec, task.name, expected, tuple(checks), published=expected.published, run_id=summary.run_id)


def measured_entries(spec: ModelSpec, names: Iterable[str], *, spec_path: Path | None, progress: Progress | None = None) -> list[dict]:
    """``expected_tasks:`` entries for ``names`` as measured now (not recorded): every main score, for a YAML file."""
    from bench.kernels import fingerprint, measured_on
    from bench.tasks.run import execute_task

    if not list(names):
        raise SpecError("--print-expected -t needs at least one task")
    runner = make_runner(spec, str(spec_path) if spec_path else "<spec>")
    out = []
    for n in dict.fromkeys(names):
        task = find_task(n)
        s = execute_task(spec, task, None, runner=runner, spec_path=spec_path, progress=progress or Progress())
        out.append({"task": task.name, "hash": task.content_hash, "scores": {task.main_score: s.result.main_score},
                    "measured_on": measured_on(fingerprint())})  # fmt: skip
    return out
