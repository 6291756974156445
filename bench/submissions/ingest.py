"""Ingest a validated submission: evaluate each run against our qrels, record everything in one transaction.

``bench submit ingest`` records a submission as ``self-reported``; the website's inbox records it as
``pending`` until ``bench submit approve`` publishes it. Nothing is written unless every run file
is valid and the model name is free.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from bench.errors import NameTaken, SubmissionError
from bench.evaluation.evaluate import evaluate
from bench.evaluation.measures import DEFAULT_MEASURES
from bench.execute import run_record
from bench.identity import Writer, synthetic_identity
from bench.store.db import open_writer, transaction
from bench.store.models import ModelRow, check_name
from bench.store.runs import insert_run
from bench.store.submissions import insert_submission, set_provenance, submission_info, submission_runs
from bench.submissions.validate import ValidSubmission
from bench.types import Timings


@dataclass(frozen=True)
class Ingested:
    """What was recorded: the submission id, its status, and ``dataset name -> (run id, metrics)``."""

    submission_id: str
    status: str
    runs: dict[str, tuple[str, dict[str, float]]]


def model_row(sub: ValidSubmission) -> ModelRow:
    m = sub.meta
    spec = sub.spec
    return ModelRow(
        name=m.name,
        family=m.family,
        kind=spec.kind if spec else None,
        hf_id=spec.weights.id if spec and spec.weights else None,
        revision=spec.weights.revision if spec and spec.weights else None,
        parameters=m.parameters,
        dimension=m.dimension,
        training_datasets=m.training_datasets,
        metadata={
            "description": m.description,
            "links": list(m.links),
            "licence": m.licence,
            "contact": m.contact,
            "submission": sub.submission_id,
            "params": spec.params if spec else None,
        },
    )


def ingest(sub: ValidSubmission, db: Path, status: str = "self-reported", source: str | None = None) -> Ingested:
    """Evaluate every run of ``sub`` and record them, the model and the submission in one transaction.

    Args:
        sub: a validated submission.
        db: the results database.
        status: ``self-reported`` (a maintainer ingests it) or ``pending`` (from the website's inbox, until approved).
        source: where the folder will be kept (default: where it is).

    Raises:
        SubmissionError: the submission id is taken, or the model name belongs to a reference model or another submission.
    """
    if status not in ("self-reported", "pending"):
        raise SubmissionError(f"a submission is ingested as self-reported or pending, not '{status}'")
    model = model_row(sub)
    writer = submission_writer(sub, status)
    identity = (
        sub.spec.spec_hash
        if sub.spec is not None
        else synthetic_identity(sub.meta.name, sub.meta.family, f"submission:{sub.submission_id}")
    )
    records = []
    for rf in sub.runs:
        started = _now()
        t0 = time.perf_counter()
        result = evaluate(rf.run, rf.dataset.qrels(), DEFAULT_MEASURES, rf.dataset.drop_identical_ids)
        eval_s = time.perf_counter() - t0
        rec = run_record(
            model=model,
            dataset=rf.dataset,
            stats=rf.dataset.validate(),
            run=rf.run,
            evaluation=result,
            timings=Timings(eval_s=eval_s, total_s=eval_s),
            started_at=started,
            writer=writer,
            spec_hash=identity,
            spec=sub.spec,
            cost={"submission": sub.submission_id, "file": rf.file, "coverage": rf.coverage},
        )
        records.append((rf, rec))

    with open_writer(db) as con:
        _check_free(con, sub, identity)
        with transaction(con, f"recording submission {sub.submission_id}"):
            for _, rec in records:
                insert_run(con, rec)
            insert_submission(
                con,
                submission_id=sub.submission_id,
                model_name=sub.meta.name,
                status=status,
                source=source or str(sub.root),
                metadata=sub.meta.model_dump(mode="json"),
                spec=sub.spec.model_dump(mode="json") if sub.spec else None,
                received_at=_now(),
                runs=[(rec.run_id, rec.dataset.dataset_hash, rf.file, rf.sha256, rf.coverage) for rf, rec in records],
            )
    return Ingested(sub.submission_id, status, {rf.dataset.name: (rec.run_id, dict(rec.evaluation.aggregate)) for rf, rec in records})


def _check_free(con: duckdb.DuckDBPyConnection, sub: ValidSubmission, identity: str) -> None:
    if submission_info(con, sub.submission_id) is not None:
        raise SubmissionError(
            f"submission '{sub.submission_id}' is already recorded; submit a new version in a folder with another name",
            [f"{sub.root}: submission id '{sub.submission_id}' is taken; rename the folder (e.g. add -v2)"],
        )
    try:
        check_name(con, sub.meta.name, identity, submission_writer(sub, "pending"))
    except NameTaken as e:
        raise SubmissionError(str(e), [f"{sub.root / 'submission.yaml'}: name: {e}"]) from None


def submission_writer(sub: ValidSubmission, status: str) -> Writer:
    """Submissions write as themselves: the name belongs to this submission id."""
    return Writer(status, "submission", sub.submission_id)


def approve(db: Path, submission_id: str) -> str:
    """Publish a pending submission (pending -> self-reported); returns the model name."""
    with open_writer(db) as con:
        info = submission_info(con, submission_id)
        if info is None:
            raise SubmissionError(f"no submission '{submission_id}' in {db}; see `bench submit list --db {db}`")
        if info.status != "pending":
            raise SubmissionError(f"submission '{submission_id}' is {info.status}, not pending; nothing to approve")
        run_ids = list(submission_runs(con, submission_id).values())
        with transaction(con, f"approving submission {submission_id}"):
            set_provenance(
                con, submission_id=submission_id, model_name=info.model_name, run_ids=run_ids, provenance="self-reported", now=_now()
            )
    return info.model_name


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
