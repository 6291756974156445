"""Task-type statistics as MTEB v2 defines them, and one step further: rank intervals and paired tests.

* Mean(Task): a model's mean main score over the tasks it has (with its coverage, n of N tasks shown);
* Mean(TaskType): the mean over task types of the model's per-type means;
* Borda rank with tasks as voters (MTEB v2): on each task, a model gets as many points as models it beats (ties share),
  a model missing a task gets nothing from it; rank by points.
* Beyond MTEB: a paired bootstrap over the items of every task (the same resampled items for every model) gives each
  model's 95% interval of its Borda rank, and a paired test between two models on one task.

Only measured results with per-item values take part; imported/published rows are the caller's to keep apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

B_DEFAULT = 1000
SEED = 0


def task_matrix(df: pd.DataFrame) -> pd.DataFrame:
    """Models x tasks of main scores from :func:`bench.store.tasks.task_results` rows."""
    return df.pivot_table(index="model", columns="task", values="main_score", aggfunc="first")


def borda(matrix: pd.DataFrame) -> pd.Series:
    """Borda points per model, tasks as voters (a missing task gives 0; ties share the points)."""
    points = pd.Series(0.0, index=matrix.index)
    for task in matrix.columns:
        col = matrix[task].dropna()
        if col.empty:
            continue
        points[col.index] += col.rank(method="average").to_numpy() - 1.0
    return points


def borda_rank(matrix: pd.DataFrame) -> pd.Series:
    """Rank 1 = most Borda points (ties share the better rank)."""
    return borda(matrix).rank(ascending=False, method="min")


def by_task_type(df: pd.DataFrame) -> pd.DataFrame:
    """Per model: mean per task type, Mean(Task), Mean(TaskType), tasks covered, Borda points and rank."""
    matrix = task_matrix(df)
    types = df.drop_duplicates("task").set_index("task")["type"]
    out = pd.DataFrame(index=matrix.index)
    for ttype in sorted(types.unique()):
        cols = [t for t in matrix.columns if types[t] == ttype]
        out[ttype] = matrix[cols].mean(axis=1, skipna=True)
    out["Mean(Task)"] = matrix.mean(axis=1, skipna=True)
    out["Mean(TaskType)"] = out[sorted(types.unique())].mean(axis=1, skipna=True)
    out["tasks"] = [f"{int(n)}/{matrix.shape[1]}" for n in matrix.notna().sum(axis=1)]
    out["borda"] = borda(matrix)
    out["rank"] = borda_rank(matrix).astype(int)
    return out.sort_values(["rank", "Mean(Task)"], ascending=[True, False])


def item_score(ttype: str, items: Mapping[str, Any], idx: np.ndarray | None = None) -> float:
    """The task's statistic on the items ``idx`` (None: all): Spearman (STS), cosine AP (pair classification),
    accuracy over experiments (classification, from predicted labels), mean of experiments (clustering)."""
    from scipy.stats import spearmanr

    if ttype == "STS":
        g, c = np.asarray(items["gold"]), np.asarray(items["cosine"])
        if idx is not None:
            g, c = g[idx], c[idx]
        return float(spearmanr(g, c)[0])
    if ttype == "PairClassification":
        from sklearn.metrics import average_precision_score

        y, c = np.asarray(items["label"]), np.asarray(items["cosine"])
        if idx is not None:
            y, c = y[idx], c[idx]
        return float(average_precision_score(y, c))
    if ttype == "Classification" and "predicted" in items:
        gold, pred = np.asarray(items["gold"]), np.asarray(items["predicted"])
        if idx is not None:
            gold, pred = gold[idx], pred[:, idx]
        return float((pred == gold[None, :]).mean())
    exp = np.asarray(items["experiments"], dtype=float)
    return float((exp if idx is None else exp[idx]).mean())


def n_items(ttype: str, items: Mapping[str, Any]) -> int:
    if ttype == "STS" or ttype == "PairClassification":
        return len(items["cosine"])
    if ttype == "Classification" and "predicted" in items:
        return len(items["gold"])
    return len(items["experiments"])


@dataclass(frozen=True)
class RankInterval:
    rank: float
    low: float
    high: float


def rank_intervals(
    df: pd.DataFrame, items: Mapping[str, Mapping[str, Any]], b: int = B_DEFAULT, seed: int = SEED
) -> dict[str, RankInterval]:
    """Each model's Borda rank and its 95% bootstrap interval: every task's items resampled, the same for all models."""
    rng = np.random.default_rng(seed)
    matrix = task_matrix(df)
    rows = {(r.model, r.task): r.run_id for r in df.itertuples()}
    types = df.drop_duplicates("task").set_index("task")["type"]
    ranks = np.zeros((b, len(matrix.index)))
    for i in range(b):
        m = matrix.copy()
        for task in matrix.columns:
            have = [mod for mod in matrix.index if (mod, task) in rows and rows[(mod, task)] in items]
            if not have:
                continue
            n = n_items(types[task], items[rows[(have[0], task)]])
            idx = rng.integers(0, n, n)
            for mod in have:
                m.loc[mod, task] = item_score(types[task], items[rows[(mod, task)]], idx)
        ranks[i] = borda_rank(m).reindex(matrix.index).to_numpy()
    point = borda_rank(matrix)
    return {
        mod: RankInterval(float(point[mod]), float(np.percentile(ranks[:, j], 2.5)), float(np.percentile(ranks[:, j], 97.5)))
        for j, mod in enumerate(matrix.index)
    }


@dataclass(frozen=True)
class PairedTest:
    diff: float
    low: float
    high: float
    p_value: float
    items: int


def paired_test(ttype: str, a: Mapping[str, Any], b: Mapping[str, Any], n_boot: int = B_DEFAULT, seed: int = SEED) -> PairedTest:
    """Model A minus model B on one task: the difference of the statistic, its 95% paired-bootstrap interval and a
    two-sided bootstrap p-value (the same resampled items on both sides)."""
    n = n_items(ttype, a)
    if n != n_items(ttype, b):
        raise ValueError(f"the two runs have {n} and {n_items(ttype, b)} items: not the same task content")
    rng = np.random.default_rng(seed)
    diff = item_score(ttype, a) - item_score(ttype, b)
    boots = np.empty(n_boot)
    for i in range(n_boot):
        idx = rng.integers(0, n, n)
        boots[i] = item_score(ttype, a, idx) - item_score(ttype, b, idx)
    same = bool(np.all(boots == 0)) and diff == 0
    p = 1.0 if same else float(min(1.0, 2 * min((boots <= 0).mean(), (boots >= 0).mean())))
    return PairedTest(diff, float(np.percentile(boots, 2.5)), float(np.percentile(boots, 97.5)), p, n)


def measured(df: pd.DataFrame) -> pd.DataFrame:
    """Rows that take part in statistics: not imported."""
    return df[df["provenance"] != "imported"]
