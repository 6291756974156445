"""The leaderboard's suite view (:func:`leaderboard_suite`), above both the store's reads and the suite tables.

Kept out of :mod:`bench.store.leaderboard` so that the layers point one way: :mod:`bench.suites.table` reads the
store's leaderboard cells, and this module presents a suite table for the public page.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from bench.store.leaderboard import _no_paths

__all__ = ["leaderboard_suite"]


def leaderboard_suite(con: duckdb.DuckDBPyConnection, name: str, metric: str) -> dict[str, Any]:
    """A suite's table (:func:`bench.suites.table.build`) of public results: ``frame`` (Rank, Model, Suite mean, Members
    ``n of N``, Missing, one column per member; a nested suite is one column, its own mean), ``members``, ``title``,
    ``source``, ``metric``, ``leaves`` (datasets and tasks under it, nested suites expanded) and ``notes``.

    ``metric`` is used for a retrieval suite; a ``main_score`` suite keeps each member's own main score. Published
    numbers never enter it (the suite table reads measured and imported results only)."""
    from bench.suites.registry import MAIN_SCORE, get_suite
    from bench.suites.table import build

    suite = get_suite(name)
    table = build(con, suite, None if suite.metric == MAIN_SCORE else metric)
    members = table.columns
    rows = [
        {"Model": r.model, "Suite mean": r.mean, "Members": f"{r.have} of {len(r.values)}", "Missing": ", ".join(r.missing),
         **{m: r.values.get(m) for m in members}}
        for r in table.rows
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["Model", "Suite mean", "Members", "Missing", *members])
    frame[["Suite mean", *members]] = frame[["Suite mean", *members]].astype("float64")
    frame.insert(0, "Rank", frame["Suite mean"].rank(ascending=False, method="min").astype("Int64"))
    return {"frame": frame, "members": members, "title": suite.title, "source": suite.source, "metric": table.metric,
            "leaves": len(suite.leaves()), "notes": [_no_paths(n) for n in table.notes]}  # fmt: skip
