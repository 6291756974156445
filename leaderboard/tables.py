"""The leaderboard's arithmetic, free of Streamlit: overview table, zero-shot flags, costs, Pareto fronts.

Fairness rules (DESIGN.md) enforced here:

* columns are dataset *contents* (hash), never names alone;
* a mean and a rank are computed only over datasets every shown model has ("common"), or only for the
  models that have every shown dataset ("complete"); what was left out is returned so the page says so;
* a cell where the model declares it trained on the dataset is flagged (and hidden in zero-shot mode);
* every score comes with its query coverage (judged queries the run answered / judged queries): a judged query
  without results counts 0 in the score (trec_eval -c), and a partial cell is flagged so a reader sees why.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from bench.evaluation.measures import DEFAULT_MEASURES
from bench.evaluation.overview import (  # noqa: F401  (moved to bench/ for `bench results --pivot`; re-exported for the pages)
    Average,
    Filters,
    Overview,
    build_overview,
    dataset_labels,
    human_count,
    select_models,
    trained_on,
    zero_shot,
)

METRIC_ORDER: tuple[str, ...] = tuple(str(m) for m in DEFAULT_MEASURES)
BASELINE_MODEL = "bm25-flat"
"""The model the Dataset page tests against and the Compare page offers as B, when present."""
FAMILY_ORDER = ("lexical", "learned-sparse", "dense", "reasoning", "soft-label", "unknown")


def metric_choices(available: Iterable[str]) -> list[str]:
    """Recorded metrics, canonical headline order first (nDCG@10 leads)."""
    have = set(available)
    return [m for m in METRIC_ORDER if m in have] + sorted(have - set(METRIC_ORDER))


# ------------------------------------------------------------------------------------------- costs
@dataclass(frozen=True)
class Cost:
    """One cost axis: how to read it from a run (or model), its unit, and which direction is better."""

    label: str
    lower_is_better: bool
    of_run: Callable[[Mapping[str, Any], Mapping[str, Any]], float | None]
    """``(cell, dataset) -> value``; cell is a ``leaderboard_cells`` row with ``cost`` (dict) and timings."""


def _num(v: Any) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _latency(cell: Mapping[str, Any], _ds: Mapping[str, Any]) -> float | None:
    v = _num(cell["cost"].get("query_latency_ms"))
    if v is None and _num(cell.get("search_s")) and _num(cell.get("evaluated_queries")):
        v = 1000 * float(cell["search_s"]) / float(cell["evaluated_queries"])
    return v


def _index_mb(cell: Mapping[str, Any], _ds: Mapping[str, Any]) -> float | None:
    v = _num(cell["cost"].get("index_bytes"))
    return v / 1e6 if v is not None else None


def _throughput(cell: Mapping[str, Any], _ds: Mapping[str, Any]) -> float | None:
    # only what the runner measured: a run that reused cached embeddings did not encode the corpus
    return _num(cell["cost"].get("encode_docs_per_s"))


def _thinking(cell: Mapping[str, Any], ds: Mapping[str, Any]) -> float | None:
    total = _num(cell["cost"].get("thinking_tokens"))
    n = _num(cell.get("evaluated_queries"))
    return total / n if total is not None and n else None


COSTS: dict[str, Cost] = {
    c.label: c
    for c in (
        Cost("query latency (ms/query)", True, _latency),
        Cost("index size (MB)", True, _index_mb),
        Cost("encode throughput (docs/s)", False, _throughput),
        Cost("thinking tokens per query", True, _thinking),
    )
}
"""Cost axes read from each run's ``cost`` JSON: ``query_latency_ms`` (else search time per query), ``index_bytes``,
``encode_docs_per_s`` (absent when the corpus embeddings came from a cache), ``thinking_tokens`` (total over the run's queries)."""

PARAMETERS = "parameters"


def run_costs(cell: Mapping[str, Any], dataset: Mapping[str, Any]) -> dict[str, float | None]:
    """Every cost axis of one run (None where the run did not measure it)."""
    return {label: cost.of_run(cell, dataset) for label, cost in COSTS.items()}


def efficiency_points(
    cells: pd.DataFrame, models: pd.DataFrame, datasets: pd.DataFrame, axis: str, families: Sequence[str] | None = None
) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    """One point per model: mean score over the datasets every plotted model has, mean cost over its runs there.

    Returns:
        (points with columns model, family, score, cost, pareto; the dataset labels averaged over;
        models left out -> why).
    """
    labels = dataset_labels(datasets)
    ds_rows = {r["dataset_hash"]: r for r in datasets.to_dict("records")}
    m = models if families is None else models[models["family"].isin(families)]
    fam = dict(zip(m["name"], m["family"], strict=True))
    params = dict(zip(m["name"], m["parameters"], strict=True))
    c = cells[cells["model"].isin(fam) & cells["value"].notna()].copy()
    if axis == PARAMETERS:
        values = [_num(params[x]) if params[x] is not pd.NA else None for x in c["model"]]
    else:
        values = [COSTS[axis].of_run(r, ds_rows[r["dataset_hash"]]) for r in c.to_dict("records")]
    c["cost_value"] = pd.Series(values, index=c.index, dtype="float64")
    left_out: dict[str, str] = {}
    measured = set(c.loc[c["cost_value"].notna(), "model"])
    for name in sorted(set(c["model"]) - measured):
        left_out[name] = f"no {axis} recorded"
    c = c[c["model"].isin(measured)]
    plotted = sorted(measured)
    common = [h for h in labels if plotted and (c[c["dataset_hash"] == h]["model"].nunique() == len(plotted))]
    if plotted and not common:
        return _empty_points(), [], {**left_out, **{p: "no dataset shared by every plotted model" for p in plotted}}
    c = c[c["dataset_hash"].isin(common)]
    costed = set(c.loc[c["cost_value"].notna(), "model"])
    for name in sorted(set(plotted) - costed):
        left_out[name] = f"{axis} not recorded on the shared datasets"
    c = c[c["model"].isin(costed)]
    # score: mean over the shared datasets; cost: mean over those of its runs that measured it
    agg = c.groupby("model").agg(score=("value", "mean"), cost=("cost_value", "mean")).reset_index()
    agg["family"] = agg["model"].map(fam)
    lower = axis == PARAMETERS or COSTS[axis].lower_is_better
    agg["pareto"] = pareto_front(agg["cost"].tolist(), agg["score"].tolist(), lower_cost_is_better=lower)
    return agg[["model", "family", "score", "cost", "pareto"]], [labels[h] for h in common], left_out


def _empty_points() -> pd.DataFrame:
    return pd.DataFrame({"model": [], "family": [], "score": [], "cost": [], "pareto": []})


def pareto_front(cost: Sequence[float], score: Sequence[float], lower_cost_is_better: bool = True) -> list[bool]:
    """Which points no other point dominates (at least as good on both axes, better on one)."""
    sign = 1.0 if lower_cost_is_better else -1.0
    pts = [(sign * float(c), float(s)) for c, s in zip(cost, score, strict=True)]
    out = []
    for i, (ci, si) in enumerate(pts):
        dominated = any(cj <= ci and sj >= si and (cj < ci or sj > si) for j, (cj, sj) in enumerate(pts) if j != i)
        out.append(not dominated)
    return out


# -- reproduction verdicts (Model page) -----------------------------------------------------------------
VERDICT_BADGES: dict[str, tuple[str, str]] = {
    "OK": ("green", ":material/check_circle:"),
    "OKish": ("orange", ":material/change_circle:"),
    "FAIL": ("red", ":material/cancel:"),
}
"""Verdict -> (badge colour, icon) on the Model page."""


def _signed(v: Any) -> str:
    """A difference as ``bench reproduce`` prints it: ``0``, ``+1.20e-05``, or ``—`` when not computed."""
    x = _num(v)
    return "—" if x is None else ("0" if x == 0 else f"{x:+.2e}")


def verdict_table(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``latest_verdicts`` for display: dataset, verdict, how (fresh or the caches read), note, checked, code, spec,
    metrics, largest |diff|, diffs."""
    return pd.DataFrame(
        {
            "dataset": verdicts["dataset"],
            "verdict": verdicts["verdict"],
            "how": verdicts.get("mode", "unknown"),
            "note": [str(v) if isinstance(v, str) else "" for v in verdicts["note"]] if "note" in verdicts else "",
            "checked": verdicts["checked_at"].astype(str).str[:19],
            "code": [str(v) if isinstance(v, str) else "not recorded" for v in verdicts["code_version"]],
            "spec": verdicts["spec_hash"].fillna("").str[:12],
            "metrics": verdicts["metrics"],
            "largest |diff|": [_signed(v).lstrip("+") for v in verdicts["max_abs_diff"]],
            "diffs (observed - expected)": [", ".join(f"{m} {_signed(d)}" for m, d in diffs.items()) for diffs in verdicts["diffs"]],
            "dataset hash": verdicts["dataset_hash"].str[:12],
        }
    )


# -- published reference rows and reproductions of them (Overview) ----------------------------------------------------
PUBLISHED_BADGE = "published"
"""The badge of a published row: a number printed elsewhere, not measured here."""


def reproduces_published(checks: pd.DataFrame) -> dict[str, str]:
    """``model -> "OK vs pyserini-2cr bm25-flat (scifact); ..."``: the latest recorded check against each published row
    (``leaderboard_published_checks``), worst verdict first."""
    order = {"FAIL": 0, "OKish": 1, "OK": 2}
    out: dict[str, list[tuple[int, str]]] = {}
    for r in checks.itertuples(index=False):
        text = f"{r.verdict} vs {r.source} {r.row_name} ({r.dataset}{'' if r.split == 'test' else '/' + r.split})"
        out.setdefault(str(r.model), []).append((order.get(str(r.verdict), 0), text))
    return {m: "; ".join(t for _, t in sorted(v)) for m, v in out.items()}


def published_rows(published: pd.DataFrame, columns: Mapping[str, tuple[str, str]]) -> tuple[pd.DataFrame, int]:
    """Published numbers laid out in their own rows under the shown columns.

    Args:
        published: ``leaderboard_published`` rows of one metric.
        columns: shown column label -> (dataset name, split) it stands for.

    Returns:
        (one row per published table row that has a number in a shown column: Badge, Table, Row, Source (where it is
        printed), Loaded, then the shown columns, missing as NaN; how many published numbers fell outside the columns).
    """
    by_name = {v: k for k, v in columns.items()}
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    outside = 0
    for r in published.itertuples(index=False):
        label = by_name.get((str(r.dataset), str(r.split)))
        if label is None:
            outside += 1
            continue
        row = rows.setdefault(
            (str(r.source), str(r.row_name)),
            {"Badge": PUBLISHED_BADGE, "Table": str(r.source), "Row": str(r.row_name), "Source": str(r.source_ref),
             "Loaded": str(r.loaded_at)[:10], **dict.fromkeys(columns, float("nan"))},
        )  # fmt: skip
        row[label] = float(r.value)
    frame = pd.DataFrame(list(rows.values()), columns=["Badge", "Table", "Row", "Source", "Loaded", *columns])
    frame[list(columns)] = frame[list(columns)].astype("float64")
    return frame, outside
