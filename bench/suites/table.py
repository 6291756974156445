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
    """One line per member whose recorded runs are not counted: their content is not the member's registered one."""

    @property
    def columns(self) -> list[str]:
        return [m.name for m in self.suite.members]


def member_hashes(con: duckdb.DuckDBPyConnection, member: Member, notes: list[str]) -> set[str]:
    """The contents a dataset member's cells may have: its registered contents (:mod:`bench.datasets.contents`: the
    classic collections, the published content, the BEIR zips fetched here), else the copy found on the data path;
    plus imported results of its MTEB task (MTEB's copy, recorded under the registry name).

    A run recorded on another content under the member's name (a folder merely named like it) is not counted, and a
    note says so: a name is never evidence of content.
    """
    from bench.datasets.contents import registered_hashes

    rows = con.execute(
        "SELECT DISTINCT d.dataset_hash, r.provenance = 'imported' FROM datasets d JOIN runs r USING (dataset_hash) "
        "WHERE d.name IN (?, ?) AND d.split = 'test'",
        [member.name, member.ref],
    ).fetchall()
    imported = {h for h, imp in rows if imp}
    registered = registered_hashes(member.name) | registered_hashes(member.ref)
    allowed = set(registered)
    path = member_path(member)
    local = None
    if path is not None:
        from bench.datasets.registry import resolve_dataset

        local = resolve_dataset(str(path)).content_hash
        if not registered:  # nothing registered for it here: the copy on the data path stands for it
            allowed.add(local)
    stray = sorted({h for h, imp in rows if not imp} - allowed)
    if stray:
        from bench.datasets.registry import known

        entry = known(member.name)
        how = f"`bench datasets fetch {member.name}` registers the published copy" if entry is not None and entry.fetchable else (
            "put the registered copy on the data path")  # fmt: skip
        if registered:
            why = f"that is {', '.join(sorted(h[:12] for h in registered))}"
        elif local is not None:
            why = f"none is registered; the copy on the data path is {local[:12]}"
        else:
            why = "none is registered here and no copy is on the data path"
        notes.append(
            f"{member.name}: {len(stray)} recorded content(s) under this name ({', '.join(h[:12] for h in stray)}) not counted, "
            f"not the registered content of {member.name} ({why}); {how}"
        )
    if local is not None and registered and local not in registered:
        notes.append(f"{member.name}: the copy at {path} ({local[:12]}) is not the registered content; its runs are not counted")
    return allowed | imported


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
            hashes = member_hashes(con, m, notes)
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
