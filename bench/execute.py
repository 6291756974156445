"""One run, end to end: spec + dataset -> runner -> evaluation -> one transaction in DuckDB."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.datasets.beir import Dataset, DatasetStats
from bench.errors import BenchError, DatabaseBusy, NameTaken, RunnerUnavailable, SpecError, StoreError
from bench.evaluation.evaluate import EvalResult, evaluate
from bench.evaluation.measures import Measure, with_defaults
from bench.identity import Writer, spec_writer
from bench.provenance import code_version, environment, environment_hash
from bench.runners.base import Progress, Runner, RunOutput, make_runner
from bench.runners.executors import Executor
from bench.specs import ModelSpec
from bench.store.db import check_writable, open_read_only, open_writer
from bench.store.models import ModelRow, check_name
from bench.store.runs import DatasetRow, RunRecord, record_run
from bench.store.saved import save_record
from bench.types import Run, Thought, Timings


@dataclass(frozen=True)
class RunSummary:
    """What a finished run reports (and what ``bench run --json`` prints)."""

    run_id: str
    model: str
    dataset: str
    dataset_hash: str
    split: str
    metrics: dict[str, float]
    timings: Timings
    cost: dict[str, Any]
    evaluated_queries: int
    judged_queries: int
    provenance: str | None = None
    """How the recorded run was obtained (None: not recorded)."""

    def as_json(self) -> dict[str, Any]:
        t = self.timings
        return {
            "run_id": self.run_id,
            "model": self.model,
            "dataset": {"name": self.dataset, "hash": self.dataset_hash, "split": self.split},
            "metrics": self.metrics,
            "timings": {"index_s": t.index_s, "encode_s": t.encode_s, "search_s": t.search_s, "eval_s": t.eval_s, "total_s": t.total_s},
            "cost": self.cost,
            "queries": {"evaluated": self.evaluated_queries, "judged": self.judged_queries},
            "coverage": self.evaluated_queries / self.judged_queries if self.judged_queries else 0.0,
            "provenance": self.provenance,
        }


def dataset_row(dataset: Dataset, stats: DatasetStats) -> DatasetRow:
    return DatasetRow(
        dataset_hash=dataset.content_hash,
        name=dataset.name,
        split=dataset.split,
        corpus_hash=dataset.corpus_hash,
        documents=stats.documents,
        queries=stats.queries,
        judged_queries=stats.judged_queries,
        qrels=stats.qrels,
        drop_identical_ids=dataset.drop_identical_ids,
        source=str(dataset.path),
    )


def model_row(spec: ModelSpec) -> ModelRow:
    """The card of the model version ``spec`` describes."""
    return ModelRow(
        name=spec.name,
        family=spec.family,
        kind=spec.kind,
        hf_id=spec.weights.id if spec.weights else None,
        revision=spec.weights.revision if spec.weights else None,
        parameters=spec.parameters,
        dimension=spec.dimension,
        training_datasets=spec.training_datasets,
        metadata={
            "description": spec.description,
            "links": list(spec.links),
            "licence": spec.licence,
            "params": spec.params,
            **({"variant_of": spec.variant_of} if spec.variant_of else {}),
        },
    )


def record(db: Path, rec: RunRecord) -> str:
    """Write one evaluated run (all or nothing) and return its id.

    When another process holds the database past the lock timeout, the finished run is saved under the bench home
    (:func:`bench.store.saved.save_record`) and the error says so and how to record it later: nothing computed is lost.
    """
    try:
        with open_writer(db) as con:
            return record_run(con, rec)
    except DatabaseBusy as e:
        saved = save_record(rec, db)
        raise DatabaseBusy(f"{e}. The finished run was saved to {saved}; record it with `bench db record-saved --db {db}`") from e


def precheck_name(db: Path | None, name: str, spec_hash: str, writer: Writer) -> None:
    """Refuse a database that could not take the result, or a name this writer may not use, *before* the work.

    The write checks again, in its transaction.
    """
    if db is None:
        return
    check_writable(db)
    if not db.is_file():
        check_name(None, name, spec_hash, writer)
        return
    try:
        with open_read_only(db) as con:
            check_name(con, name, spec_hash, writer)
    except NameTaken:
        raise
    except StoreError:  # busy, or a schema to migrate: the write will check
        check_name(None, name, spec_hash, writer)


def run_record(
    *,
    model: ModelRow,
    dataset: Dataset,
    stats: DatasetStats,
    run: Run,
    evaluation: EvalResult,
    timings: Timings,
    started_at: datetime,
    writer: Writer,
    spec_hash: str,
    spec: ModelSpec | None = None,
    cost: dict[str, Any] | None = None,
    weights_hash: str | None = None,
    thoughts: tuple[Thought, ...] = (),
) -> RunRecord:
    """Everything the database keeps about one evaluated run, with a fresh run id and the environment."""
    env = environment()
    return RunRecord(
        run_id=uuid.uuid4().hex[:16],
        model=model,
        dataset=dataset_row(dataset, stats),
        writer=writer,
        spec=spec.model_dump(mode="json") if spec else None,
        spec_hash=spec_hash,
        weights_hash=weights_hash,
        environment=env,
        environment_hash=environment_hash(env),
        code_version=code_version(),
        started_at=started_at,
        finished_at=_now(),
        timings=timings,
        cost=cost or {},
        evaluation=evaluation,
        run=run,
        thoughts=thoughts,
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def execute_run(
    spec: ModelSpec,
    dataset: Dataset,
    db: Path | None,
    *,
    spec_path: Path | None = None,
    progress: Progress | None = None,
    runner: Runner | None = None,
    measures: tuple[Measure | str, ...] = (),
    replay_thoughts: Mapping[str, list[Thought]] | None = None,
) -> tuple[RunSummary, RunOutput, EvalResult]:
    """Run ``spec`` on ``dataset``, evaluate, and record in ``db`` (skip recording when ``db`` is None).

    ``replay_thoughts``: a reasoning embedder's logged thoughts (query id -> thoughts) used instead of generating.

    ``measures``: metrics computed (and recorded) on top of :data:`~bench.evaluation.measures.DEFAULT_MEASURES`.

    The provenance is derived from ``spec_path`` (:func:`bench.identity.spec_writer`): ``reference`` only for a
    committed ``models/*.yaml`` file, ``local`` for anything else (None: a spec built on the command line).
    ``runner``: one made for ``spec`` already (several datasets share its loaded weights and caches).
    """
    progress = progress or Progress()
    source = str(spec_path) if spec_path is not None else "<command line>"
    writer = spec_writer(spec_path, spec.spec_hash)
    precheck_name(db, spec.name, spec.spec_hash, writer)
    runner = runner or make_runner(spec, source)
    if replay_thoughts is not None and not hasattr(runner, "replay"):
        raise SpecError(f"{source}: kind '{spec.kind}' writes no thoughts, so there are none to replay; drop --replay-thoughts")
    if hasattr(runner, "replay"):  # a shared runner replays only what this call asks for
        runner.replay = dict(replay_thoughts) if replay_thoughts is not None else None
    started_at = _now()
    t0 = time.perf_counter()
    with progress.stage(f"validating {dataset.name}"):
        stats = dataset.validate()
        queries = dataset.judged_queries()
    out = runner.retrieve(dataset, queries, progress)
    t1 = time.perf_counter()
    evaluation = evaluate(out.run, dataset.qrels(), with_defaults(measures), dataset.drop_identical_ids)
    eval_s = time.perf_counter() - t1
    timings = Timings(
        index_s=out.timings.index_s,
        encode_s=out.timings.encode_s,
        search_s=out.timings.search_s,
        eval_s=eval_s,
        total_s=time.perf_counter() - t0,
        extra=out.timings.extra,
    )
    run_id = "not-recorded"
    if db is not None:
        with progress.stage("recording in the results database"):
            rec = run_record(
                model=model_row(spec),
                dataset=dataset,
                stats=stats,
                run=out.run,
                evaluation=evaluation,
                timings=timings,
                started_at=started_at,
                writer=writer,
                spec_hash=spec.spec_hash,
                spec=spec,
                cost=out.cost,
                weights_hash=out.weights_hash,
                thoughts=out.thoughts,
            )
            run_id = record(db, rec)
    summary = RunSummary(
        run_id=run_id,
        model=spec.name,
        dataset=dataset.name,
        dataset_hash=dataset.content_hash,
        split=dataset.split,
        metrics=dict(evaluation.aggregate),
        timings=timings,
        cost=out.cost,
        evaluated_queries=evaluation.evaluated_queries,
        judged_queries=evaluation.judged_queries,
        provenance=writer.provenance if db is not None else None,
    )
    return summary, out, evaluation


@dataclass(frozen=True)
class DatasetOutcome:
    """One dataset of :func:`execute_runs`: its summary and run, or the error that stopped it."""

    dataset: Dataset
    summary: RunSummary | None = None
    output: RunOutput | None = None
    error: BenchError | None = None


def execute_runs(
    spec: ModelSpec,
    datasets: Iterable[Dataset],
    db: Path | None,
    *,
    spec_path: Path | None = None,
    progress: Progress | None = None,
    measures: tuple[Measure | str, ...] = (),
    executor: Executor | None = None,
    runner: Runner | None = None,
) -> Iterator[DatasetOutcome]:
    """Run ``spec`` on several datasets in one process: one runner (weights, JVM and caches loaded once), each
    dataset recorded as it finishes; a dataset that fails is reported and the others go on. ``measures``: metrics
    computed and recorded on top of the default set. ``executor``: who encodes (local or Ray) for encoder kinds;
    the caller closes it.

    Raises:
        NameTaken: the name cannot be written by this spec (checked once, before any work).
    """
    source = str(spec_path) if spec_path is not None else "<command line>"
    precheck_name(db, spec.name, spec.spec_hash, spec_writer(spec_path, spec.spec_hash))
    datasets = list(datasets)
    if not datasets:
        return
    runner = runner or make_runner(spec, source)
    if executor is not None:
        use_executor(runner, executor)
    for ds in datasets:
        try:
            summary, out, _ = execute_run(spec, ds, db, spec_path=spec_path, progress=progress, runner=runner, measures=measures)
        except NameTaken:
            raise
        except BenchError as e:
            yield DatasetOutcome(ds, error=e)
            continue
        yield DatasetOutcome(ds, summary, out)


def use_executor(runner: Runner, executor: Executor) -> None:
    """Make ``runner`` encode with ``executor``; a kind that encodes nothing (BM25) refuses any engine but local."""
    if hasattr(runner, "executor"):
        runner.executor = executor  # type: ignore[attr-defined]
    elif executor.engine != "local":
        raise RunnerUnavailable(
            f"--engine {executor.engine}: kind '{runner.kind}' encodes nothing; use it with dense, splade or reasoning specs"
        )
