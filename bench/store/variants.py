"""A model's variants against it, dataset by dataset (``bench variants``): drift, declared tolerance, speed-up, latency.

A variant is a spec with ``variant_of: BASE`` (another backend or precision of the same weights). For every recorded
version of a variant and of its base, the leaderboard's representative runs (:func:`bench.store.leaderboard.leaderboard_cells`)
on the dataset contents both ran on give one row each: the base's score, the variant's, their difference (the drift),
the variant's declared tolerance for the metric (its spec's ``tolerance``, as ``bench reproduce`` reads it) and whether
the drift is within it. The speed-up is the median over datasets of the variant's encode throughput over the base's, where both
runs measured one (a run that read its vectors from a cache measured none); the latency is the ms per query the runs
recorded (queries encoded in batches, plus search).
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

__all__ = ["VariantReport", "VariantRow", "leaderboard_variants", "variant_reports"]


@dataclass(frozen=True)
class VariantRow:
    dataset: str
    dataset_hash: str
    base: float
    variant: float
    base_docs_per_s: float | None = None
    variant_docs_per_s: float | None = None
    base_ms_per_query: float | None = None
    variant_ms_per_query: float | None = None
    base_provenance: str = ""
    variant_provenance: str = ""
    """Each run's provenance: a ``self-reported`` run's score and costs are its submitter's claim, not measured here."""

    @property
    def drift(self) -> float:
        return self.variant - self.base

    @property
    def speedup(self) -> float | None:
        """Variant over base encode throughput on this dataset; None unless both runs measured one."""
        if self.base_docs_per_s and self.variant_docs_per_s:
            return self.variant_docs_per_s / self.base_docs_per_s
        return None


@dataclass
class VariantReport:
    variant: str
    base: str
    metric: str
    tolerance: float | None
    """The variant's declared tolerance for ``metric`` (its spec's ``tolerance``: the metric's, else ``default``); None: none declared."""
    rows: list[VariantRow] = field(default_factory=list)

    @property
    def max_abs_drift(self) -> float | None:
        return max((abs(r.drift) for r in self.rows), default=None)

    @property
    def within(self) -> int:
        """How many rows drift no more than the declared tolerance (0 when none is declared)."""
        if self.tolerance is None:
            return 0
        return sum(abs(r.drift) <= self.tolerance + 1e-12 for r in self.rows)

    @property
    def speedup(self) -> float | None:
        """The median over datasets of the per-dataset speed-up (datasets where both runs measured throughput)."""
        got = [r.speedup for r in self.rows if r.speedup is not None]
        return statistics.median(got) if got else None

    def ms_per_query(self) -> tuple[float | None, float | None]:
        """Mean ms per query of base and variant over the datasets where both recorded one."""
        both = [r for r in self.rows if r.base_ms_per_query and r.variant_ms_per_query]
        if not both:
            return None, None
        return statistics.fmean(r.base_ms_per_query for r in both), statistics.fmean(r.variant_ms_per_query for r in both)  # type: ignore[misc]

    def as_json(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "base": self.base,
            "metric": self.metric,
            "tolerance": self.tolerance,
            "max_abs_drift": self.max_abs_drift,
            "within_tolerance": self.within,
            "datasets": [
                {
                    "dataset": r.dataset,
                    "dataset_hash": r.dataset_hash,
                    "base": r.base,
                    "variant": r.variant,
                    "drift": r.drift,
                    "within_tolerance": None if self.tolerance is None else abs(r.drift) <= self.tolerance + 1e-12,
                    "base_docs_per_s": r.base_docs_per_s,
                    "variant_docs_per_s": r.variant_docs_per_s,
                    "speedup": r.speedup,
                    "base_ms_per_query": r.base_ms_per_query,
                    "variant_ms_per_query": r.variant_ms_per_query,
                    "base_provenance": r.base_provenance,
                    "variant_provenance": r.variant_provenance,
                }
                for r in self.rows
            ],
            "speedup": self.speedup,
            "base_ms_per_query": self.ms_per_query()[0],
            "variant_ms_per_query": self.ms_per_query()[1],
        }


def _num(v: Any) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) and x > 0 else None


def _cost(cell: Mapping[str, Any], key: str) -> float | None:
    return _num((cell.get("cost") or {}).get(key))


def declared_tolerance(spec: Mapping[str, Any] | None, metric: str) -> float | None:
    """The tolerance a recorded spec declares for ``metric``: its own entry, else ``default``; None when it declares none."""
    tol = (spec or {}).get("tolerance")
    if not isinstance(tol, Mapping):
        return None
    v = tol.get(metric, tol.get("default"))
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) else None


def _spec(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any] | None:
    row = con.execute("SELECT spec FROM runs WHERE run_id = ?", [run_id]).fetchone()
    if not row or row[0] is None:
        return None
    value = json.loads(row[0]) if isinstance(row[0], str) else row[0]
    return value if isinstance(value, dict) else None


def variant_reports(
    con: duckdb.DuckDBPyConnection, base: str | None, metric: str, datasets: Mapping[str, set[str]] | None = None
) -> list[VariantReport]:
    """Every recorded variant version of model ``base`` (a model name) against every recorded version of ``base``.

    Args:
        con: a (read-only) connection.
        base: the base model's name (what the variants' ``variant_of`` says); None: every model that has variants.
        metric: canonical metric name.
        datasets: label -> the dataset contents it stands for; None: every content both ran on.

    Returns:
        One report per (variant version, base version) pair that shares at least one dataset content, variants by name.
    """
    from bench.store.leaderboard import leaderboard_cells, leaderboard_datasets, leaderboard_models

    models = leaderboard_models(con)
    cells = leaderboard_cells(con, metric)
    cells = cells[cells["value"].notna()]
    names = {r["dataset_hash"]: r["name"] for r in leaderboard_datasets(con).to_dict("records")}
    wanted: dict[str, str] | None = None
    if datasets is not None:
        wanted = {h: label for label, hashes in datasets.items() for h in hashes}
    of = {m["name"]: (m.get("metadata") or {}).get("variant_of") for m in models.to_dict("records")}
    variants = sorted(v for v, b in of.items() if b and (base is None or b == base))
    reports = []
    for v in variants:
        mine = {r["dataset_hash"]: r for r in cells[cells["model"] == v].to_dict("records")}
        for b in models.loc[models["model_name"] == of[v], "name"].tolist():
            theirs = {r["dataset_hash"]: r for r in cells[cells["model"] == b].to_dict("records")}
            shared = [h for h in mine if h in theirs and (wanted is None or h in wanted)]
            if not shared:
                continue
            label = (lambda h: wanted[h]) if wanted is not None else (lambda h: str(names.get(h) or h[:12]))
            shared.sort(key=lambda h: (list(wanted).index(h) if wanted is not None else 0, label(h)))
            rep = VariantReport(v, b, metric, declared_tolerance(_spec(con, mine[shared[0]]["run_id"]), metric))
            rep.rows = [
                VariantRow(
                    label(h),
                    h,
                    float(theirs[h]["value"]),
                    float(mine[h]["value"]),
                    _cost(theirs[h], "encode_docs_per_s"),
                    _cost(mine[h], "encode_docs_per_s"),
                    _cost(theirs[h], "query_latency_ms"),
                    _cost(mine[h], "query_latency_ms"),
                    str(theirs[h]["provenance"]),
                    str(mine[h]["provenance"]),
                )
                for h in shared
            ]
            reports.append(rep)
    return reports


def leaderboard_variants(con: duckdb.DuckDBPyConnection, metric: str) -> list[dict[str, Any]]:
    """The leaderboard's variants table: :func:`variant_reports` over every dataset both ran on, as JSON objects."""
    return [r.as_json() for r in variant_reports(con, metric=metric, base=None)]
