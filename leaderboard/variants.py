"""Variants beside their base model (a spec's ``variant_of``: another backend or precision of the same weights).

One row per variant version that shares datasets with a version of its base: mean score, encode throughput and query
latency of both over the datasets they share, and the variant's speed-up.
"""

from __future__ import annotations

import pandas as pd

from leaderboard.tables import COSTS, dataset_labels

_THROUGHPUT = "encode throughput (docs/s)"
_LATENCY = "query latency (ms/query)"
COLUMNS = [
    "variant",
    "base",
    "datasets",
    "base score",
    "variant score",
    "Δ score",
    "base docs/s",
    "variant docs/s",
    "speed-up",
    "base ms/query",
    "variant ms/query",
]


def _mean_cost(cells: pd.DataFrame, rows: dict[str, dict], axis: str) -> float:
    values = [COSTS[axis].of_run(r, rows[r["dataset_hash"]]) for r in cells.to_dict("records")]
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else float("nan")


def variant_rows(cells: pd.DataFrame, models: pd.DataFrame, datasets: pd.DataFrame) -> pd.DataFrame:
    """Variants against their base (columns :data:`COLUMNS`), from ``leaderboard_cells``/``_models``/``_datasets`` frames."""
    labels = dataset_labels(datasets)
    ds_rows = {r["dataset_hash"]: r for r in datasets.to_dict("records")}
    out = []
    for m in models.to_dict("records"):
        base_name = (m.get("metadata") or {}).get("variant_of")
        if not base_name:
            continue
        mine = cells[(cells["model"] == m["name"]) & cells["value"].notna()]
        for base in models.loc[models["model_name"] == base_name, "name"]:
            theirs = cells[(cells["model"] == base) & cells["value"].notna()]
            shared = sorted(set(mine["dataset_hash"]) & set(theirs["dataset_hash"]))
            if not shared:
                continue
            a, b = theirs[theirs["dataset_hash"].isin(shared)], mine[mine["dataset_hash"].isin(shared)]
            base_dps, var_dps = _mean_cost(a, ds_rows, _THROUGHPUT), _mean_cost(b, ds_rows, _THROUGHPUT)
            out.append(
                [
                    m["name"],
                    base,
                    ", ".join(labels.get(h, h[:8]) for h in shared),
                    float(a["value"].mean()),
                    float(b["value"].mean()),
                    float(b["value"].mean() - a["value"].mean()),
                    base_dps,
                    var_dps,
                    var_dps / base_dps if base_dps and base_dps == base_dps else float("nan"),
                    _mean_cost(a, ds_rows, _LATENCY),
                    _mean_cost(b, ds_rows, _LATENCY),
                ]
            )
    return pd.DataFrame(out, columns=COLUMNS)
