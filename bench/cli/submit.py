"""`bench submit validate|ingest|process-inbox|approve|reject|withdraw|list`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from bench.cli.common import SUBMISSION_STATUSES, DbOption, JsonOption, app, db_path, emit_json, err, one_of, out, table

submit_app = typer.Typer(help="Validate, ingest and publish submissions (submissions/README.md).", no_args_is_help=True)
app.add_typer(submit_app, name="submit")


@contextmanager
def listing_problems() -> Iterator[None]:
    """Print every problem a SubmissionError carries (stderr), then let main() report it and exit."""
    from bench.errors import SubmissionError

    try:
        yield
    except SubmissionError as e:
        for p in e.problems:
            err.print(f"  {p}", markup=False, soft_wrap=True)
        raise


@submit_app.command("validate")
def submit_validate(
    folders: Annotated[list[Path], typer.Argument(help="Submission folder(s), e.g. submissions/acme-bm25plus/.")],
    json_out: JsonOption = False,
) -> None:
    """Check submission.yaml, the run files and the optional spec; list every problem with file:line and the fix."""
    from bench.errors import SubmissionError
    from bench.submissions.validate import check_submission

    report, failed = [], []
    for folder in folders:
        sub, problems = check_submission(folder)
        report.append({"folder": str(folder), "valid": sub is not None, "problems": problems, "notes": sub.notes() if sub else []})
        if sub is None:
            failed.append(str(folder))
            if not json_out:
                err.print(f"{folder}: {len(problems)} problem(s)", markup=False, soft_wrap=True)
                for p in problems:
                    err.print(f"  {p}", markup=False, soft_wrap=True)
        elif not json_out:
            out.print(
                f"{folder}: valid submission '{sub.meta.name}' ({sub.meta.family}), {len(sub.runs)} run file(s)",
                markup=False,
                soft_wrap=True,
            )
            for note in sub.notes():
                out.print(f"  {note}", markup=False, soft_wrap=True)
    if json_out:
        emit_json(report)
    if failed:
        raise SubmissionError(f"{len(failed)} of {len(folders)} submission(s) invalid: {', '.join(failed)}")


@submit_app.command("ingest")
def submit_ingest(
    folder: Annotated[Path, typer.Argument(help="A submission folder.")],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Validate, evaluate against our qrels, and record a submission as self-reported (all or nothing)."""
    from bench.submissions.ingest import ingest
    from bench.submissions.validate import validate_submission

    with listing_problems():
        sub = validate_submission(folder)
        done = ingest(sub, db_path(db), status="self-reported")
    if json_out:
        emit_json({"submission_id": done.submission_id, "status": done.status, "runs": done.runs})
        return
    from bench.evaluation.measures import HEADLINE

    rows = [[name, run_id, *(m.get(h) for h in HEADLINE)] for name, (run_id, m) in done.runs.items()]
    title = f"{done.submission_id}: {sub.meta.name} recorded as {done.status}"
    out.print(table(title, ["dataset", "run", *HEADLINE], rows))
    for note in sub.notes():
        out.print(f"  {note}", markup=False, soft_wrap=True)


@submit_app.command("process-inbox")
def submit_process_inbox(
    db: DbOption = None,
    inbox: Annotated[Path | None, typer.Option(help="Inbox folder (default: $BENCH_INBOX or <bench home>/inbox).")] = None,
) -> None:
    """Ingest every upload waiting in the inbox as pending (rejected ones get problems.txt)."""
    from bench.submissions.inbox import inbox_dir, process_inbox

    where = inbox or inbox_dir()
    done = process_inbox(db_path(db), where)
    if not done:
        out.print(f"{where}: nothing waiting", markup=False, soft_wrap=True)
    for p in done:
        if p.ingested:
            out.print(
                f"{p.submission_id}: pending review; publish it with `bench submit approve {p.submission_id}`", markup=False, soft_wrap=True
            )
        else:
            out.print(
                f"{p.submission_id}: rejected ({len(p.problems)} problem(s), see {p.folder / 'problems.txt'})", markup=False, soft_wrap=True
            )


@submit_app.command("approve")
def submit_approve(submission_id: Annotated[str, typer.Argument(help="The id `bench submit list` shows.")], db: DbOption = None) -> None:
    """Publish a pending submission (pending -> self-reported)."""
    from bench.submissions.ingest import approve

    model = approve(db_path(db), submission_id)
    out.print(f"{submission_id}: {model} is published as self-reported", markup=False, soft_wrap=True)


@submit_app.command("reject")
def submit_reject(
    submission_id: Annotated[str, typer.Argument(help="The id `bench submit list` shows.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with the submission; the submitter reads it).")],
    db: DbOption = None,
) -> None:
    """Reject a pending submission (a maintainer's decision, with a reason): kept on record, never shown, owns no name."""
    from bench.submissions.ingest import close

    model = close(db_path(db), submission_id, status="rejected", reason=reason)
    out.print(f"{submission_id}: {model} is rejected (kept on record, never shown)", markup=False, soft_wrap=True)


@submit_app.command("withdraw")
def submit_withdraw(
    submission_id: Annotated[str, typer.Argument(help="The id `bench submit list` shows.")],
    contact: Annotated[str, typer.Option("--contact", help="The contact your submission.yaml declares (who you are).")],
    reason: Annotated[str, typer.Option("--reason", help="Why, if you like (kept with the submission).")] = "",
    db: DbOption = None,
) -> None:
    """Withdraw your own pending submission: kept on record, never shown, owns no name."""
    from bench.submissions.ingest import close

    model = close(db_path(db), submission_id, status="withdrawn", reason=reason, contact=contact)
    out.print(f"{submission_id}: {model} is withdrawn (kept on record, never shown)", markup=False, soft_wrap=True)


@submit_app.command("list")
def submit_list(
    status: Annotated[str | None, typer.Option(help="Only this status.", **one_of(SUBMISSION_STATUSES, "a submission status"))] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Submissions in the database, newest first."""
    from bench.store.db import open_read_only
    from bench.store.submissions import submissions_table

    with open_read_only(db_path(db)) as con:
        df = submissions_table(con, status)
    if json_out:
        emit_json(json.loads(df.to_json(orient="records", date_format="iso")))
        return
    cols = ["submission_id", "model", "status", "runs", "received_at", "reason"]
    out.print(table(f"Submissions ({db_path(db)})", cols, df[cols].astype(object).where(df[cols].notna(), "").astype(str).values.tolist()))
