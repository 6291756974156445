"""Imported results (``bench import mteb``): aggregates only, each run tied to the file it was read from.

An imported run is a ``runs`` row with provenance ``imported`` and its ``metrics``; it has no ``query_metrics`` and
no ``rankings`` (the other tool published means only), so it is never part of a paired test, and it has no spec,
so ``bench reproduce`` can never vouch for it. ``imports`` keeps what the file said: the tool and its version, the
task name and dataset revision, the evaluation time, and the file's sha256.

Its dataset is a synthetic identity (:func:`imported_dataset_hash`) that never equals a content hash of ours:
the other tool's copy of a collection cannot be verified to be ours, so its results never share a cell with runs
made here. The row carries the registry name the task maps to, and ``source`` says which task and revision it was.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from bench.errors import ResultsFileError
from bench.identity import Writer
from bench.provenance import json_sha256
from bench.store.db import transaction
from bench.store.models import ModelRow, claim_name


def imported_dataset_hash(tool: str, task: str, dataset_revision: str | None, split: str, subset: str) -> str:
    """The identity of another tool's evaluation data (never a content hash of a dataset brewbench read itself)."""
    return json_sha256({"imported_from": tool, "task": task, "dataset_revision": dataset_revision, "split": split, "hf_subset": subset})


@dataclass(frozen=True)
class ImportedRun:
    """One imported result: a model version's aggregates on one task split, and where they were read from."""

    model: ModelRow
    identity: str
    """The model version's synthetic identity (bench.identity.synthetic_identity)."""
    writer: Writer
    dataset: str
    """The registry dataset the task maps to."""
    tool: str
    task_name: str
    split: str
    hf_subset: str
    dataset_revision: str | None
    tool_version: str | None
    layout: str
    evaluation_time: float | None
    evaluated_at: datetime | None
    file: str
    file_sha256: str
    metrics: dict[str, float] = field(default_factory=dict)
    spec: Mapping[str, Any] | None = None
    """The reference spec (as JSON) whose version the results attach to, when ``identity`` is that spec's hash."""

    @property
    def dataset_hash(self) -> str:
        return imported_dataset_hash(self.tool, self.task_name, self.dataset_revision, self.split, self.hf_subset)

    @property
    def run_id(self) -> str:
        """Deterministic: the same file imported for the same model version is the same run."""
        return json_sha256({"model": self.model.name, "identity": self.identity, "dataset": self.dataset_hash, "file": self.file_sha256})[
            :16
        ]


@dataclass(frozen=True)
class Outcome:
    run: ImportedRun
    recorded: bool
    """False when this very file was imported before for this model version (nothing written again)."""


def record_imports(con: duckdb.DuckDBPyConnection, runs: list[ImportedRun], now: datetime) -> list[Outcome]:
    """Write ``runs`` in one transaction: all of them or none.

    Raises:
        NameTaken: a model name belongs to another owner (a reference, local or submission model, or another import).
        ResultsFileError: the model version already has results on that task split from a different file.
    """
    outcomes = []
    with transaction(con, "importing results"):
        for run in runs:
            outcomes.append(Outcome(run, _insert(con, run, now)))
    return outcomes


def _insert(con: duckdb.DuckDBPyConnection, run: ImportedRun, now: datetime) -> bool:
    claim_name(con, run.model, run.identity, run.spec, run.writer, now)
    same = con.execute(
        """SELECT i.run_id, i.file, i.file_sha256 FROM imports i JOIN runs r USING (run_id)
           WHERE r.model_name = ? AND r.spec_hash = ? AND r.dataset_hash = ?""",
        [run.model.name, run.identity, run.dataset_hash],
    ).fetchall()
    if any(sha == run.file_sha256 for _, _, sha in same):
        return False
    if same:
        raise ResultsFileError(
            f"{run.file}: {run.model.name} already has {run.tool} results for {run.task_name} ({run.split}) imported from another file "
            f"({same[0][1]}, sha256 {same[0][2][:12]}); results are never replaced silently; import this one under another name (--model)"
        )
    con.execute(
        """INSERT INTO datasets (dataset_hash, name, split, corpus_hash, drop_identical_ids, source, first_seen)
           VALUES (?, ?, ?, ?, false, ?, ?) ON CONFLICT (dataset_hash) DO NOTHING""",
        [
            run.dataset_hash,
            run.dataset,
            run.split,
            run.dataset_hash,
            f"{run.tool}:{run.task_name}@{run.dataset_revision or 'unknown'}",
            now,
        ],
    )
    environment = {"imported_from": run.tool, "tool_version": run.tool_version, "layout": run.layout}
    finished = run.evaluated_at or now
    con.execute(
        """INSERT INTO runs (run_id, model_name, dataset_hash, provenance, status, spec_hash, environment, environment_hash,
                             code_version, started_at, finished_at, wall_s, cost)
           VALUES (?, ?, ?, 'imported', 'complete', ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            run.run_id,
            run.model.name,
            run.dataset_hash,
            run.identity,
            json.dumps(environment),
            json_sha256(environment),
            f"{run.tool} {run.tool_version or '(version not recorded)'}",
            finished,
            finished,
            run.evaluation_time,
            json.dumps({}),
        ],
    )
    con.executemany(
        "INSERT INTO metrics (run_id, metric, value) VALUES (?, ?, ?)", [[run.run_id, m, v] for m, v in sorted(run.metrics.items())]
    )
    con.execute(
        """INSERT INTO imports (run_id, tool, tool_version, layout, task_name, split, hf_subset, dataset_revision, model_revision,
                                evaluation_time, file, file_sha256, mapping, imported_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            run.run_id,
            run.tool,
            run.tool_version,
            run.layout,
            run.task_name,
            run.split,
            run.hf_subset,
            run.dataset_revision,
            run.model.revision,
            run.evaluation_time,
            run.file,
            run.file_sha256,
            "task name (bench/datasets/mteb_tasks.yaml)",
            now,
        ],
    )
    return True


def imported_runs(con: duckdb.DuckDBPyConnection, model: str | None = None) -> list[dict[str, Any]]:
    """The recorded imports (optionally of one model name), newest first, as dicts of the ``imports`` columns plus model_name."""
    cur = con.execute(
        f"""SELECT r.model_name, i.* FROM imports i JOIN runs r USING (run_id)
            {"WHERE r.model_name = ?" if model else ""} ORDER BY i.imported_at DESC, i.run_id""",
        [model] if model else [],
    )
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
