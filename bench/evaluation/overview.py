"""The overview's arithmetic: models x datasets of one metric, mean and rank only over what is fair to average.

Shared by the leaderboard's Overview page and ``bench results --pivot``, free of Streamlit and of printing.
Fairness rules (DESIGN.md) enforced here:

* columns are dataset *contents* (hash), never names alone;
* the leaderboard's default ("borda", MTEB v2's rule) ranks every model by Borda count with datasets as voters: on each
  dataset the models that have it are ranked, a model gets one point per model it beats (ties share), a model missing a
  dataset gets nothing from it (:func:`bench.evaluation.task_stats.borda`); its mean is shown only when it has every
  shown dataset, and its coverage ("n of N") always;
* a mean and a rank are computed only over datasets every shown model has ("common"), or only for the
  models that have every shown dataset ("complete"); what was left out is returned so the caller says so;
* a cell where the model declares it trained on the dataset is flagged (and hidden in zero-shot mode);
* every score comes with its query coverage (judged queries the run answered / judged queries): a judged query
  without results counts 0 in the score (trec_eval -c), and a partial cell is flagged so a reader sees why.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from bench.store.leaderboard import PUBLIC_PROVENANCES

Average = Literal["borda", "common", "complete"]


def dataset_labels(datasets: pd.DataFrame) -> dict[str, str]:
    """``dataset_hash -> column label``: the name, qualified by split and hash only where names collide."""
    labels: dict[str, str] = {}
    counts = datasets.groupby("name")["dataset_hash"].nunique() if len(datasets) else pd.Series(dtype=int)
    for row in datasets.itertuples(index=False):
        label = row.name if row.split == "test" else f"{row.name}/{row.split}"
        if counts.get(row.name, 1) > 1:
            label = f"{label} [{row.dataset_hash[:8]}]"
        labels[row.dataset_hash] = label
    return labels


def _norm(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def trained_on(training_datasets: Iterable[str], dataset_name: str) -> bool:
    """Whether a model that declares ``training_datasets`` trained on ``dataset_name`` (case and ``_``/``-`` blind)."""
    target = _norm(dataset_name)
    return any(_norm(t) == target or _norm(t).split(":")[0] == target for t in training_datasets)


def adapted_on(training_datasets: Iterable[str], dataset_name: str) -> bool:
    """Whether the model read only the corpus of ``dataset_name`` (an entry ``NAME:corpus``: generated training queries on
    its documents, none of its queries or judgments) and did not train on its judgments."""
    target = _norm(dataset_name)
    hits = [_norm(t) for t in training_datasets if _norm(t) == target or _norm(t).split(":")[0] == target]
    return bool(hits) and all(h == f"{target}:corpus" for h in hits)


def zero_shot(training_datasets: Iterable[str], metadata: object, dataset_name: str) -> str:
    """``yes`` (no evaluation data of the collection read), ``no (adapted on the corpus)`` (its corpus only: a ``NAME:corpus``
    entry), ``no (trained on it)`` (its queries and judgments) or ``unknown`` (an import whose training data nothing
    declares: ``metadata["zero_shot"] == "unknown"``, never shown as zero-shot). Both ``no`` cases are flagged cells."""
    training_datasets = list(training_datasets)
    if adapted_on(training_datasets, dataset_name):
        return "no (adapted on the corpus)"
    if trained_on(training_datasets, dataset_name):
        return "no (trained on it)"
    if isinstance(metadata, dict) and metadata.get("zero_shot") == "unknown":
        return "unknown"
    return "yes"


def human_count(n: float | None) -> str:
    """``110_000_000 -> '110M'``; None/NaN -> ``'unknown'``."""
    if n is None or (isinstance(n, float) and math.isnan(n)) or n is pd.NA:
        return "unknown"
    if n == math.inf:
        return "any"
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            return f"{n / size:g}{unit}"
    return f"{n:g}"


@dataclass(frozen=True)
class Filters:
    """What the overview's controls select (None means everything)."""

    families: tuple[str, ...] | None = None
    zero_shot_only: bool = False
    min_parameters: float = 0.0
    max_parameters: float = math.inf
    include_unknown_size: bool = True
    datasets: tuple[str, ...] | None = None  # dataset hashes
    average: Average = "common"


@dataclass(frozen=True)
class Overview:
    """The models x datasets table and everything the page must say about it."""

    table: pd.DataFrame
    dataset_columns: list[str]
    averaged_over: list[str]
    left_out_datasets: dict[str, list[str]] = field(default_factory=dict)
    left_out_models: dict[str, list[str]] = field(default_factory=dict)
    trained: frozenset[tuple[str, str]] = frozenset()
    hidden_trained: int = 0
    hidden_unknown: int = 0
    """Cells hidden in zero-shot mode because nothing says whether the model trained there (an import, ``unknown``)."""
    empty_datasets: list[str] = field(default_factory=list)
    partial: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    """``(model, column) -> (answered, judged)`` for shown cells whose run did not answer every judged query."""

    def csv(self) -> bytes:
        """The table as CSV (missing cells empty) with ``trained_on`` and ``partial`` (dataset answered/judged) columns."""
        df = self.table.copy()
        df["trained_on"] = [";".join(c for c in self.dataset_columns if (m, c) in self.trained) for m in df["Model"]]
        df["partial"] = [
            ";".join(f"{c} {a}/{j}" for c in self.dataset_columns if (m, c) in self.partial for a, j in [self.partial[(m, c)]])
            for m in df["Model"]
        ]
        return df.to_csv(index=False).encode("utf-8")


def select_models(models: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Models passing the family and parameter-count filters."""
    keep = pd.Series(True, index=models.index)
    if filters.families is not None:
        keep &= models["family"].isin(filters.families)
    params = models["parameters"].astype("Float64")
    known = params.notna()
    in_range = (params >= filters.min_parameters) & (params <= filters.max_parameters)
    keep &= (known & in_range.fillna(False)) | (~known & filters.include_unknown_size)
    return models[keep.astype(bool)]


def build_overview(cells: pd.DataFrame, models: pd.DataFrame, datasets: pd.DataFrame, filters: Filters) -> Overview:
    """Pivot representative-run values into the overview table.

    Args:
        cells: one row per (model, dataset_hash) with ``value``, ``provenance``, ``answered_queries`` and
            ``judged_queries`` (``leaderboard_cells``).
        models: ``leaderboard_models``.
        datasets: ``leaderboard_datasets``.
        filters: the page's selections.
    """
    labels = dataset_labels(datasets)
    names = dict(zip(datasets["dataset_hash"], datasets["name"], strict=True))
    shown_models = select_models(models, filters)
    training = dict(zip(shown_models["name"], shown_models["training_datasets"], strict=True))
    c = cells[cells["model"].isin(training) & cells["value"].notna()]
    if filters.datasets is not None:
        c = c[c["dataset_hash"].isin(filters.datasets)]
    c = c[c["dataset_hash"].isin(labels)].copy()
    c["label"] = c["dataset_hash"].map(labels)
    c["trained"] = [trained_on(training[m], names[h]) for m, h in zip(c["model"], c["dataset_hash"], strict=True)]
    trained = frozenset(zip(c.loc[c["trained"], "model"], c.loc[c["trained"], "label"], strict=True))
    metadata = dict(zip(shown_models["name"], shown_models["metadata"], strict=True)) if "metadata" in shown_models else {}
    unknown = pd.Series([zero_shot((), metadata.get(m), "") == "unknown" for m in c["model"]], index=c.index, dtype=bool)
    c["unknown"] = unknown & ~c["trained"].astype(bool)
    hidden = hidden_unknown = 0
    if filters.zero_shot_only:  # zero-shot only: neither a trained cell nor one where nobody says (never a guess)
        hidden, hidden_unknown = int(c["trained"].sum()), int(c["unknown"].sum())
        c = c[~c["trained"] & ~c["unknown"]]
        trained = frozenset()

    wanted = [h for h in labels if filters.datasets is None or h in filters.datasets]
    present = set(c["label"])
    columns = [labels[h] for h in wanted if labels[h] in present]
    empty = [labels[h] for h in wanted if labels[h] not in present]
    wide = c.pivot(index="model", columns="label", values="value").reindex(columns=columns)
    models_shown = sorted(wide.index)
    wide = wide.reindex(models_shown)

    left_out_datasets: dict[str, list[str]] = {}
    left_out_models: dict[str, list[str]] = {}
    points: pd.Series | None = None
    if filters.average == "common":
        averaged = [col for col in columns if wide[col].notna().all()]
        for col in columns:
            if col not in averaged:
                left_out_datasets[col] = [m for m in models_shown if pd.isna(wide.at[m, col])]
        mean = wide[averaged].mean(axis=1) if averaged else pd.Series(float("nan"), index=wide.index)
    elif filters.average == "borda":  # ranked on what each model has; a mean only over all shown datasets
        from bench.evaluation.task_stats import borda

        averaged = list(columns)
        complete = wide.notna().all(axis=1)
        for m in models_shown:
            if not complete[m]:
                left_out_models[m] = [col for col in columns if pd.isna(wide.at[m, col])]
        mean = wide[averaged].mean(axis=1).where(complete) if averaged else pd.Series(float("nan"), index=wide.index)
        points = borda(wide[columns])
    else:
        averaged = list(columns)
        complete = wide.notna().all(axis=1)
        for m in models_shown:
            if not complete[m]:
                left_out_models[m] = [col for col in columns if pd.isna(wide.at[m, col])]
        mean = wide[averaged].mean(axis=1).where(complete) if averaged else pd.Series(float("nan"), index=wide.index)

    provenance = c.groupby("model")["provenance"].agg(lambda s: ", ".join(p for p in PUBLIC_PROVENANCES if p in set(s)))
    shown = c[c["label"].isin(columns)]
    answered = shown.groupby("model")["answered_queries"].sum()
    judged = shown.groupby("model")["judged_queries"].sum()
    partial = {
        (m, col): (int(a), int(j))
        for m, col, a, j in zip(shown["model"], shown["label"], shown["answered_queries"], shown["judged_queries"], strict=True)
        if a < j
    }
    meta = shown_models.set_index("name")
    ranked_by = mean if points is None else points
    head: dict[str, object] = {
        "Rank": ranked_by.rank(ascending=False, method="min").astype("Int64"),
        "Model": models_shown,
        "Family": [meta.at[m, "family"] for m in models_shown],
        "Provenance": [provenance.get(m, "") for m in models_shown],
        "Parameters": [human_count(meta.at[m, "parameters"]) for m in models_shown],
    }
    if points is not None:
        head["Borda"] = points.values
    table = pd.DataFrame(
        {
            **head,
            "Mean": mean.values,
            "Coverage": [answered.get(m, 0) / judged[m] if judged.get(m, 0) else float("nan") for m in models_shown],
            "Datasets": [f"{int(wide.loc[m].notna().sum())} of {len(columns)}" for m in models_shown],
        },
        index=wide.index,
    )
    table = pd.concat([table, wide], axis=1)
    table["_covered"] = wide.notna().sum(axis=1)
    table["_mean"] = mean
    table = table.sort_values(["Rank", "_mean", "_covered", "Model"], ascending=[True, False, False, True], na_position="last")
    table = table.drop(columns=["_covered", "_mean"]).reset_index(drop=True)
    return Overview(
        table=table,
        dataset_columns=columns,
        averaged_over=averaged,
        left_out_datasets=left_out_datasets,
        left_out_models=left_out_models,
        trained=trained,
        hidden_trained=hidden,
        hidden_unknown=hidden_unknown,
        empty_datasets=empty,
        partial=partial,
    )
