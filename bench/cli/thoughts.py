"""`bench thoughts show` and `bench thoughts export`: the thoughts a reasoning-embedder run recorded.

Thoughts are model output: they are printed as plain text (no markup, control characters escaped).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bench.cli.common import DbOption, JsonOption, app, db_path, emit_json, out, table

thoughts_app = typer.Typer(help="Show or export the thoughts of a reasoning-embedder run.", no_args_is_help=True)
app.add_typer(thoughts_app, name="thoughts")

if TYPE_CHECKING:
    from bench.types import Thought

RunOption = Annotated[str, typer.Option("--run", help="A run id (`bench results` lists them).")]


@thoughts_app.command("show")
def show(
    run: RunOption,
    query: Annotated[str, typer.Option("--query", "-q", help="A query id of the run's dataset.")],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Print one query and each thought sampled for it, with its tokens, seconds and finish reason."""
    from bench.errors import StoreError
    from bench.store.db import open_read_only
    from bench.store.thoughts import run_thoughts, thought_counts

    with open_read_only(db_path(db)) as con:
        found = run_thoughts(con, run, query)
        queries, _ = thought_counts(con, run)
    if not found:
        why = f"run {run} has thoughts for {queries} queries, not for query {query}" if queries else f"run {run} has no thoughts"
        raise StoreError(f"{why}; check the ids with `bench results` (only reasoning runs record thoughts)")
    if json_out:
        emit_json({"run_id": run, "qid": query, "query": found[0].query, "thoughts": [_row(t) for t in found]})
        return
    out.print(f"query {query}: {found[0].query}", markup=False)
    rows = [[t.sample, t.tokens, f"{t.seconds:.2f}", t.finish_reason, t.text] for t in found]
    out.print(table(f"thoughts of run {run}", ["sample", "tokens", "seconds", "finish", "thought"], rows))


@thoughts_app.command("export")
def export(
    run: RunOption,
    output: Annotated[Path, typer.Option("--output", "-o", help="JSON Lines file to write (one thought per line).")],
    db: DbOption = None,
) -> None:
    """Write every thought of a run as JSON Lines: run_id, qid, sample, query, thought, tokens, seconds, finish_reason."""
    from bench.errors import StoreError
    from bench.store.db import open_read_only
    from bench.store.thoughts import run_thoughts

    with open_read_only(db_path(db)) as con:
        found = run_thoughts(con, run)
    if not found:
        raise StoreError(f"run {run} has no thoughts; check the id with `bench results` (only reasoning runs record thoughts)")
    tmp = output.with_name(output.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for t in found:
            f.write(json.dumps({"run_id": run, **_row(t)}, ensure_ascii=False) + "\n")
    tmp.replace(output)
    out.print(f"wrote {len(found)} thoughts of run {run} to {output}", markup=False)


def _row(t: Thought) -> dict[str, object]:
    return {
        "qid": t.query_id,
        "sample": t.sample,
        "query": t.query,
        "thought": t.text,
        "tokens": t.tokens,
        "seconds": t.seconds,
        "finish_reason": t.finish_reason,
    }
