"""`bench tasks list|validate`: embedding tasks (STS, pair classification, classification, clustering) as data folders."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from bench.cli import common
from bench.cli.common import JsonOption, app, emit_json, table

tasks_app = typer.Typer(help="Find and validate embedding tasks (MTEB layout).", no_args_is_help=True)
app.add_typer(tasks_app, name="tasks")

_SPLITS = {"train.jsonl", "test.jsonl", "dev.jsonl", "validation.jsonl"}


def _task_folders() -> list[Path]:
    """Folders on the data search path laid out as tasks: only ``<split>.jsonl`` files, no BEIR corpus."""
    from bench.paths import data_path

    found = []
    for root in data_path():
        for d in sorted(p for p in root.iterdir() if p.is_dir()):
            names = {p.name for p in d.glob("*.jsonl")}
            if names and names <= _SPLITS:
                found.append(d)
    return found


def _row(folder: Path) -> dict[str, Any]:
    from bench.errors import BenchError
    from bench.tasks import read_task

    try:
        t = read_task(folder)
    except BenchError as e:
        return {"name": folder.name, "where": str(folder), "error": str(e)}
    return _task_row(t)


def _derived_rows(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Registered derived tasks whose source task was found (e.g. Banking77Clustering from Banking77's test split)."""
    from bench.errors import BenchError
    from bench.tasks.reader import find_task, known_tasks

    names = {r["name"] for r in found if "error" not in r}
    out = []
    for k in known_tasks().values():
        if k.derived_from and k.derived_from in names:
            try:
                out.append(_task_row(find_task(k.name)) | {"where": f"derived from {k.derived_from}"})
            except BenchError as e:
                out.append({"name": k.name, "where": f"derived from {k.derived_from}", "error": str(e)})
    return out


def _task_row(t: Any) -> dict[str, Any]:
    return {
        "name": t.name,
        "type": t.type,
        "mteb_task": t.known.mteb_task if t.known else None,
        "origin": t.where,
        "splits": {s: len(r) for s, r in t.rows.items()},
        "main_score": t.main_score,
        "content_hash": t.content_hash,
        "where": str(t.path),
    }


@tasks_app.command("list")
def tasks_list(json_out: JsonOption = False) -> None:
    """Tasks found on the data search path: type, splits and rows, main score, content hash, where."""
    rows = [_row(f) for f in _task_folders()]
    rows += _derived_rows(rows)
    if json_out:
        emit_json(rows)
        return
    body = [
        [r["name"], r.get("type", "invalid"), r.get("origin", ""), " ".join(f"{s}={n}" for s, n in r.get("splits", {}).items()),
         r.get("main_score", ""), (r.get("content_hash") or "")[:12], r.get("error") or r["where"]]
        for r in rows
    ]  # fmt: skip
    common.out.print(table("Embedding tasks", ["name", "type", "origin", "rows", "main score", "content hash", "where"], body))


@tasks_app.command("validate")
def tasks_validate(
    folder: Annotated[str, typer.Argument(help="A task folder, or a task name on the data path.")], json_out: JsonOption = False
) -> None:
    """Check a task folder; a problem is one line `file:line: problem; fix` (exit 3)."""
    from bench.tasks import find_task

    t = find_task(folder)
    row = _task_row(t)
    if json_out:
        emit_json(row)
        return
    rows = ", ".join(f"{s} {n}" for s, n in row["splits"].items())
    common.out.print(
        f"{t.name} ({t.path}) is a valid {t.type} task ({row['origin']}): {rows} rows; main score {t.main_score}; content hash {t.content_hash}"
    )
