"""A suite's table: per-member cells of every model and the suite mean, shown only for a model that has every member.

Cells come from the leaderboard's representative runs (:func:`bench.store.leaderboard.leaderboard_cells`) and the
latest task runs (:func:`bench.store.tasks.task_results`): measured and imported results, never published reference
numbers (those live in their own table). A nested suite is one cell, its own mean, so it counts once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from bench.suites.registry import MAIN_SCORE, Member, Suite, get_suite, member_path


@dataclass(frozen=True)
class SuiteRow:
    model: str
    values: dict[str, float | None]
    """member name -> value (None: not recorded)."""
    mean: float | None
    """Mean over the members; None unless every member has a value."""
    missing: tuple[str, ...]

    @property
    def have(self) -> int:
        return len(self.values) - len(self.missing)

    def as_json(self) -> dict:
        return {"model": self.model, "mean": self.mean, "have": self.have, "of": len(self.values), "missing": list(self.missing),
                "values": self.values}  # fmt: skip


@dataclass
class SuiteTable:
    suite: Suite
    metric: str
    rows: list[SuiteRow]
    notes: list[str] = field(default_factory=list)
    """Members whose recorded content is ambiguous (several contents under one name and no local copy)."""

    @property
    def columns(self) -> list[str]:
        return [m.name for m in self.suite.members]


def _dataset_hashes(con: duckdb.DuckDBPyConnection, member: Member, notes: list[str]) -> set[str]:
    """The content a dataset member's cells must have: the local copy's, else the one recorded under its name; plus
    imported results of its MTEB task (MTEB's copy, recorded under the registry name)."""
    rows = con.execute(
        "SELECT DISTINCT d.dataset_hash, r.provenance = 'imported' FROM datasets d JOIN runs r USING (dataset_hash) "
        "WHERE d.name = ? AND d.split = 'test'",
        [member.name],
    ).fetchall()
    imported = {h for h, imp in rows if imp}
    path = member_path(member)
    if path is not None:
        from bench.datasets.registry import resolve_dataset

        return {resolve_dataset(str(path)).content_hash} | imported
    ours = {h for h, imp in rows if not imp}
    if len(ours) > 1:
        notes.append(
            f"{member.name}: {len(ours)} recorded contents under this name and none here; not counted (put the copy on the data path)"
        )
        return imported
    return ours | imported


def _value(v: object) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)  # type: ignore[arg-type]


def build(con: duckdb.DuckDBPyConnection, suite: Suite, metric: str | None = None) -> SuiteTable:
    """The suite's table over what ``con`` holds; ``metric`` replaces the suite's metric for retrieval members."""
    from bench.store.leaderboard import leaderboard_cells
    from bench.store.tasks import task_results

    metric = metric or suite.metric
    retrieval_metric = "nDCG@10" if metric == MAIN_SCORE else metric
    notes: list[str] = []
    cells = leaderboard_cells(con, retrieval_metric)
    tasks = task_results(con)
    per_member: dict[str, dict[str, float]] = {}
    nested: dict[str, SuiteTable] = {}
    for m in suite.members:
        if m.kind == "dataset":
            hashes = _dataset_hashes(con, m, notes)
            sub = cells[cells["dataset_hash"].isin(hashes) & cells["value"].notna()]
            per_member[m.name] = dict(zip(sub["model"], sub["value"].astype(float), strict=True))
        elif m.kind == "task":
            sub = tasks[(tasks["task"] == m.ref) | (tasks["mteb_task"] == (m.mteb or m.ref))]
            per_member[m.name] = {r.model: float(r.main_score) for r in sub.itertuples() if _value(r.main_score) is not None}
        else:
            nested[m.name] = build(con, get_suite(m.ref), metric)
            notes += nested[m.name].notes
            per_member[m.name] = {r.model: r.mean for r in nested[m.name].rows if r.mean is not None}
    models = sorted({mod for vals in per_member.values() for mod in vals} | {r.model for t in nested.values() for r in t.rows})
    rows = []
    for model in models:
        values = {m.name: per_member[m.name].get(model) for m in suite.members}
        missing = tuple(n for n, v in values.items() if v is None)
        mean = None if missing else sum(v for v in values.values() if v is not None) / len(values)
        rows.append(SuiteRow(model, values, mean, missing))
    rows.sort(key=lambda r: (r.mean is None, -(r.mean or 0.0), -r.have, r.model))
    return SuiteTable(suite, metric, rows, notes)


def as_frame(t: SuiteTable) -> pd.DataFrame:
    return pd.DataFrame([{"model": r.model, **r.values, "mean": r.mean, "have": f"{r.have} of {len(r.values)}"} for r in t.rows])
