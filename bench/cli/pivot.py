"""`bench results --pivot`: the leaderboard's Overview in the terminal (models x datasets of one metric).

The table is :func:`bench.evaluation.overview.build_overview` over the leaderboard's representative runs
(:func:`bench.store.leaderboard.leaderboard_cells`), so the terminal and the Overview page never disagree: the mean and
the rank cover only the datasets every shown model has, and what was left out is listed below the table.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from bench.cli.common import emit_json, out, table
from bench.evaluation.overview import Overview

PARTIAL_MARK = "*"
TRAINED_MARK = "†"


def overview(con: duckdb.DuckDBPyConnection, metric: str, dataset_hashes: list[str] | None, labels: list[str] | None) -> Overview:
    """The Overview table of ``metric`` for the chosen dataset contents and model versions (None: all of them).

    Raises:
        EvaluationError: no public run records ``metric``.
    """
    from bench.errors import EvaluationError
    from bench.evaluation.overview import Filters, build_overview
    from bench.store.leaderboard import leaderboard_cells, leaderboard_datasets, leaderboard_metrics, leaderboard_models

    recorded = leaderboard_metrics(con)
    if recorded and metric not in recorded:
        raise EvaluationError(
            f"no recorded run has metric {metric}; recorded metrics: {', '.join(recorded)} (or rerun with --metric {metric})"
        )
    models = leaderboard_models(con)
    if labels is not None:
        models = models[models["name"].isin(labels)]
    filters = Filters(datasets=tuple(dataset_hashes) if dataset_hashes is not None else None)
    return build_overview(leaderboard_cells(con, metric), models, leaderboard_datasets(con), filters)


def _number(v: Any) -> float | None:
    return None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else float(v)


def _rank(v: Any) -> int | None:
    n = _number(v)
    return None if n is None else int(n)


def _cell(view: Overview, model: str, column: str, value: Any) -> str:
    v = _number(value)
    if v is None:
        return "—"
    marks = (PARTIAL_MARK if (model, column) in view.partial else "") + (TRAINED_MARK if (model, column) in view.trained else "")
    return f"{v:.4f}{marks}"


def as_json(view: Overview, metric: str) -> dict[str, Any]:
    """The pivot as one JSON object: columns, what the mean covers and leaves out, and one entry per model."""
    rows = []
    for r in view.table.to_dict("records"):
        m = r["Model"]
        rows.append(
            {
                "rank": _rank(r["Rank"]),
                "model": m,
                "family": r["Family"],
                "provenance": r["Provenance"],
                "mean": _number(r["Mean"]),
                "coverage": _number(r["Coverage"]),
                "values": {c: _number(r[c]) for c in view.dataset_columns},
                "partial": {c: list(view.partial[(m, c)]) for c in view.dataset_columns if (m, c) in view.partial},
                "trained_on": [c for c in view.dataset_columns if (m, c) in view.trained],
            }
        )
    return {
        "metric": metric,
        "datasets": view.dataset_columns,
        "averaged_over": view.averaged_over,
        "left_out": view.left_out_datasets,
        "models": rows,
    }


def show(view: Overview, metric: str, db: Path, json_out: bool) -> None:
    """Print the pivot (or its JSON) with the mean's scope, what was left out, and the legend of the marks."""
    if json_out:
        emit_json(as_json(view, metric))
        return
    t = view.table
    if t.empty:
        out.print(f"no recorded run has a value of {metric} for these models and datasets", markup=False)
        return
    columns = ["Rank", "Model", "Provenance", "Mean", "Coverage", *view.dataset_columns]
    rows = []
    for r in t.to_dict("records"):
        rank = _rank(r["Rank"])
        coverage = _number(r["Coverage"])
        rows.append(
            [
                "—" if rank is None else str(rank),
                r["Model"],
                r["Provenance"],
                _number(r["Mean"]),
                "—" if coverage is None else f"{100 * coverage:.1f}%",
                *(_cell(view, r["Model"], c, r[c]) for c in view.dataset_columns),
            ]
        )
    out.print(table(f"{metric}: {len(t)} model(s) x {len(view.dataset_columns)} dataset(s) ({db})", columns, rows))
    n_avg, n_cols = len(view.averaged_over), len(view.dataset_columns)
    if n_avg:
        out.print(
            f"Mean and rank over the {n_avg} of {n_cols} dataset(s) every shown model has: {', '.join(view.averaged_over)}", markup=False
        )
    else:
        out.print("No dataset is shared by every shown model: no mean or rank (narrow the models with --model or the datasets with -d)")
    for column, missing in view.left_out_datasets.items():
        out.print(f"left out of the mean: {column} (missing for {', '.join(missing)})", markup=False, soft_wrap=True)
    out.print(
        "Coverage: judged queries the shown runs answered; an unanswered judged query counts 0 in every score (trec_eval -c)",
        markup=False,
    )
    if view.partial:
        partial = "; ".join(f"{m} on {c} {a}/{j}" for (m, c), (a, j) in sorted(view.partial.items()))
        out.print(
            f"{PARTIAL_MARK} the run answered only part of the judged queries (answered/judged): {partial}", markup=False, soft_wrap=True
        )
    if view.trained:
        out.print(f"{TRAINED_MARK} the model declares it trained on that dataset (not zero-shot)", markup=False)
