"""Variants beside their base model (a spec's ``variant_of``: another backend or precision of the same weights).

One row per variant version that shares datasets with a version of its base (:func:`bench.store.variants.leaderboard_variants`,
the numbers ``bench variants BASE`` prints): mean score of both over the datasets they share, the largest drift on any
one of them against the variant's declared tolerance, the median encode speed-up and the recorded query latency.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

COLUMNS = [
    "variant",
    "base",
    "datasets",
    "base score",
    "variant score",
    "Δ score",
    "max |Δ|",
    "declared tolerance",
    "within tolerance",
    "speed-up",
    "base ms/query",
    "variant ms/query",
    "variant provenance",
]


def variant_rows(reports: list[dict[str, Any]]) -> pd.DataFrame:
    """Variants against their base (columns :data:`COLUMNS`) from ``leaderboard_variants`` reports."""
    out = []
    for r in reports:
        ds = r["datasets"]
        base = sum(d["base"] for d in ds) / len(ds)
        variant = sum(d["variant"] for d in ds) / len(ds)
        tol = r["tolerance"]
        out.append(
            [
                r["variant"],
                r["base"],
                ", ".join(d["dataset"] for d in ds),
                base,
                variant,
                variant - base,
                r["max_abs_drift"],
                tol,
                "—" if tol is None else f"{r['within_tolerance']} of {len(ds)}",
                r["speedup"],
                r["base_ms_per_query"],
                r["variant_ms_per_query"],
                ", ".join(sorted({d["variant_provenance"] for d in ds})),
            ]
        )
    frame = pd.DataFrame(out, columns=COLUMNS)
    for c in ("max |Δ|", "declared tolerance", "speed-up", "base ms/query", "variant ms/query"):
        frame[c] = frame[c].astype("float64")
    return frame
