"""``bench export``: the stored results of one model version, out in another tool's format.

TREC runs and per-query tables go to ``out/<label>/`` beside a ``brewbench-export.json`` manifest (each file's
sha256, run id, provenance and spec hash); MTEB files carry the same record inside (see :mod:`.mteb_export`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from bench.interop.mteb_export import write_mteb
from bench.interop.per_query import write_per_query
from bench.interop.trec import write_trec
from bench.provenance import file_sha256
from bench.store.exports import StoredRun

FORMATS: tuple[str, ...] = ("trec", "csv", "parquet", "mteb")
MANIFEST = "brewbench-export.json"


@dataclass(frozen=True)
class Exported:
    """One file written by an export."""

    path: Path
    run: StoredRun
    fmt: str


def export_runs(con: duckdb.DuckDBPyConnection, runs: list[StoredRun], fmt: str, out: Path) -> list[Exported]:
    """Write ``runs`` (of one model version) to ``out`` in ``fmt``; every run is checked before the first file is written.

    Raises:
        StoreError: a run lacks what the format needs (rankings for trec, per-query values for csv/parquet, nDCG@10 for mteb).
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    if fmt == "mteb":
        from bench.interop.mteb_export import task_result

        results = [task_result(run, con) for run in runs]  # raises before anything is written
        return [Exported(write_mteb(run, out, con, result), run, fmt) for run, result in zip(runs, results, strict=True)]
    folder = out / runs[0].label
    _check_stored(con, runs, fmt)
    done = [Exported(write_trec(con, run, folder) if fmt == "trec" else write_per_query(con, run, folder, fmt), run, fmt) for run in runs]
    _write_manifest(folder, done)
    return done


def _check_stored(con: duckdb.DuckDBPyConnection, runs: list[StoredRun], fmt: str) -> None:
    from bench.errors import StoreError

    table, what = ("rankings", "stored rankings") if fmt == "trec" else ("query_metrics", "per-query values")
    for run in runs:
        row = con.execute(f"SELECT count(*) FROM {table} WHERE run_id = ?", [run.run_id]).fetchone()
        if not row or not row[0]:
            raise StoreError(
                f"{run.label} on {run.dataset}: run {run.run_id} has no {what} ({run.provenance} results carry aggregates only); "
                "export it with --format mteb, or leave this dataset out (-d)"
            )


def _write_manifest(folder: Path, done: list[Exported]) -> Path:
    """Add ``done`` to ``folder/brewbench-export.json`` (entries of another version in it are replaced)."""
    path = folder / MANIFEST
    run = done[0].run
    head = {"model": run.label, "model_name": run.model_name, "spec_hash": run.spec_hash, "family": run.family}
    files: dict[str, object] = {}
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(old, dict) and old.get("spec_hash") == run.spec_hash and isinstance(old.get("files"), dict):
            files = old["files"]
    except (OSError, ValueError):
        pass
    for e in done:
        files[e.path.name] = {"format": e.fmt, "sha256": file_sha256(e.path), **e.run.provenance_record()}
    path.write_text(json.dumps({**head, "files": dict(sorted(files.items()))}, indent=2) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class SuiteSelection:
    """What ``bench export --suite`` writes: the runs of the members the version has, and a line per missing member."""

    runs: list[StoredRun]
    tasks: list[str]
    """Embedding-task members with a recorded run (exported with ``--format mteb`` only)."""
    missing: list[str]


def suite_selection(con: duckdb.DuckDBPyConnection, model: str, suite_name: str, fmt: str, extra: tuple[str, ...] = ()) -> SuiteSelection:
    """The members of suite ``suite_name`` (nested suites expanded, each once) that model version ``model`` has results on.

    A member is exported when the version has a recorded run on it (a dataset: by registry name or folder name; an
    embedding task: by name or MTEB name, ``--format mteb`` only); every other member is one line saying why not and
    what to do. ``extra``: datasets given with ``-d`` besides the suite.

    Raises:
        DatasetError: no such suite (with the names there are).
        StoreError: no such model version, or the version has none of the members.
    """
    from bench.errors import StoreError
    from bench.store.exports import version_runs
    from bench.suites.registry import get_suite, member_path

    suite = get_suite(suite_name)
    every = version_runs(con, model)
    label = every[0].label if every else model
    runs: list[StoredRun] = [r for r in every if r.dataset in extra]
    tasks: list[str] = []
    missing: list[str] = []
    recorded_tasks = None
    for leaf in suite.leaves():
        if leaf.kind == "task":
            if recorded_tasks is None:
                from bench.store.tasks import task_results

                df = task_results(con, model=model)
                df = df[(df["model"] == label) & (df["provenance"] != "imported")]
                recorded_tasks = set(df["task"]) | set(df["mteb_task"].dropna())
            if leaf.ref not in recorded_tasks and (leaf.mteb or leaf.name) not in recorded_tasks:
                missing.append(
                    f"{suite.name}: {leaf.name}: no run of {label} on this embedding task recorded; `bench run SPEC -t {leaf.ref}` first"
                )
            elif fmt != "mteb":
                missing.append(f"{suite.name}: {leaf.name}: an embedding task, exported with --format mteb only")
            else:
                tasks.append(leaf.ref)
            continue
        names = {leaf.name, leaf.ref, Path(leaf.ref).name, leaf.ref.replace("/", "-")}
        found = [r for r in every if r.dataset in names and r not in runs]
        if found:
            runs += found
            continue
        here = member_path(leaf) is not None
        missing.append(
            f"{suite.name}: {leaf.name}: no run of {label} recorded; "
            + (
                f"its folder is at hand: `bench run SPEC -d {leaf.ref}` first"
                if here
                else "not at hand here either (`bench suites show " + suite.name + "`)"
            )
        )
    if not runs and not tasks:
        raise StoreError(
            f"--suite {suite.name}: {label} has a recorded run on none of its {len(suite.leaves())} members; "
            f"`bench run SPEC --suite {suite.name}` records them"
        )
    return SuiteSelection(runs, tasks, missing)
