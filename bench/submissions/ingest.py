"""Ingest a validated submission: evaluate each run against our qrels, record everything in one transaction.

``bench submit ingest`` records a submission as ``self-reported``; the website's inbox records it as
``pending`` until ``bench submit approve`` publishes it, ``bench submit reject`` (a maintainer, with a reason) or
``bench submit withdraw`` (its submitter) closes it. Nothing is written unless every run file is valid and the model
name is free. A pending submission owns no name (:mod:`bench.store.models`): approving claims it, and a name taken
by then is refused (exit 9).
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
from bench.specs import ModelSpec
from bench.store.db import open_writer, transaction
from bench.store.models import ModelRow, check_name, claim_name
from bench.store.runs import insert_run
from bench.store.submissions import (
    SubmissionInfo,
    close_submission,
    insert_submission,
    set_provenance,
    submission_files,
    submission_info,
    submission_runs,
)
from bench.submissions.model import Submission
from bench.submissions.validate import ValidSubmission
from bench.types import Timings


@dataclass(frozen=True)
class Ingested:
    """What was recorded: the submission id, its status, and ``dataset name -> (run id, metrics)``."""

    submission_id: str
    status: str
    runs: dict[str, tuple[str, dict[str, float]]]


def model_row(sub: ValidSubmission) -> ModelRow:
    return card(sub.meta, sub.spec, sub.submission_id)


def card(m: Submission, spec: ModelSpec | None, submission_id: str) -> ModelRow:
    """The model card a submission's runs are recorded under."""
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
            "submission": submission_id,
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
    except NameTaken as e:  # exit 9, as every name conflict
        raise NameTaken(f"{sub.root / 'submission.yaml'}: name: {e}") from None


def submission_writer(sub: ValidSubmission, status: str) -> Writer:
    """Submissions write as themselves: the name belongs to this submission id."""
    return Writer(status, "submission", sub.submission_id)


def approve(db: Path, submission_id: str) -> str:
    """Publish a pending submission (pending -> self-reported), claiming its name; returns the model name.

    Raises:
        SubmissionError: no such submission, or it is not pending.
        NameTaken: the name was accepted for someone else meanwhile (another submission approved first, a run, an import).
    """
    with open_writer(db) as con:
        info = _pending(con, db, submission_id, "approve")
        run_ids = list(submission_runs(con, submission_id).values())
        files = submission_files(con, submission_id)
        model, spec = _card_of(info)
        identity = files[0] if files and files[0] else synthetic_identity(model.name, model.family, f"submission:{submission_id}")
        writer = Writer("self-reported", "submission", submission_id)
        with transaction(con, f"approving submission {submission_id}"):
            claim_name(con, model, identity, spec.model_dump(mode="json") if spec else None, writer, _now())
            set_provenance(
                con, submission_id=submission_id, model_name=info.model_name, run_ids=run_ids, provenance="self-reported", now=_now()
            )
    return info.model_name


MAX_REASON_CHARS = 2000


def close(db: Path, submission_id: str, *, status: str, reason: str, contact: str | None = None) -> str:
    """Close a pending submission without publishing it; returns the model name.

    ``rejected`` is a maintainer's decision and needs a ``reason``; ``withdrawn`` is the submitter's, who names
    themself with the ``contact`` their submission.yaml declares. Both keep the submission and its runs on record
    (never shown) and free nothing that was accepted: only a pending submission can be closed.
    """
    reason = reason.strip()
    if status == "rejected" and not reason:
        raise SubmissionError("a rejection says why: give --reason TEXT (it is kept with the submission)")
    if len(reason) > MAX_REASON_CHARS or any(not ch.isprintable() for ch in reason):
        raise SubmissionError(f"--reason: at most {MAX_REASON_CHARS} printable characters on one line")
    verb = "reject" if status == "rejected" else "withdraw"
    with open_writer(db) as con:
        info = _pending(con, db, submission_id, verb)
        if status == "withdrawn":
            declared = (info.metadata or {}).get("contact")
            if contact is None or contact.strip().lower() != str(declared).strip().lower():
                raise SubmissionError(
                    f"submission '{submission_id}' is withdrawn by its submitter: give --contact with the contact its "
                    "submission.yaml declares (a maintainer rejects it instead: `bench submit reject ID --reason TEXT`)"
                )
        with transaction(con, f"{'rejecting' if status == 'rejected' else 'withdrawing'} submission {submission_id}"):
            close_submission(
                con,
                submission_id=submission_id,
                status=status,
                by="maintainer" if status == "rejected" else "submitter",
                reason=reason,
                now=_now(),
            )
    return info.model_name


def _pending(con: duckdb.DuckDBPyConnection, db: Path, submission_id: str, verb: str) -> SubmissionInfo:
    info = submission_info(con, submission_id)
    if info is None:
        raise SubmissionError(f"no submission '{submission_id}' in {db}; see `bench submit list --db {db}`")
    if info.status != "pending":
        accepted = info.status in ("self-reported", "reproduced")
        why = "; an accepted submission keeps its name and results" if accepted and verb != "approve" else ""
        raise SubmissionError(f"submission '{submission_id}' is {info.status}, not pending; nothing to {verb}{why}")
    return info


def _card_of(info: SubmissionInfo) -> tuple[ModelRow, ModelSpec | None]:
    """The card a pending submission is published under, from what its row keeps (submission.yaml and spec as validated)."""
    import json

    try:
        meta = Submission.model_validate_json(json.dumps(info.metadata))
        spec = ModelSpec.model_validate_json(json.dumps(info.spec)) if info.spec is not None else None
    except ValueError as e:
        raise SubmissionError(f"submission '{info.submission_id}': its recorded submission.yaml no longer validates ({e})") from None
    return card(meta, spec, info.submission_id), spec


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
