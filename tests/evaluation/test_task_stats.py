"""Task-type statistics: MTEB v2's Borda (tasks as voters, a missing task gives nothing), means, rank intervals, paired test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.evaluation import task_stats


def _df(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"run_id": f"{m}-{t}", "model": m, "task": t, "type": ty, "main_score": v, "provenance": "reference"} for m, t, ty, v in rows]
    )


def test_borda_tasks_vote_and_a_missing_task_gives_nothing() -> None:
    df = _df([("a", "t1", "STS", 0.9), ("b", "t1", "STS", 0.8), ("c", "t1", "STS", 0.7),
              ("a", "t2", "STS", 0.1), ("b", "t2", "STS", 0.5),  # c misses t2: 0 points from it
              ("a", "t3", "Classification", 0.6), ("b", "t3", "Classification", 0.6), ("c", "t3", "Classification", 0.9)])  # fmt: skip
    points = task_stats.borda(task_stats.task_matrix(df))
    assert points.to_dict() == {"a": 2 + 0 + 0.5, "b": 1 + 1 + 0.5, "c": 0 + 0 + 2}
    out = task_stats.by_task_type(df)
    assert out.loc["c", "tasks"] == "2/3" and out.loc["a", "tasks"] == "3/3"
    assert out.loc["a", "Mean(TaskType)"] == pytest.approx(((0.9 + 0.1) / 2 + 0.6) / 2)
    assert out.loc["c", "Mean(Task)"] == pytest.approx(0.8)


def _sts(seed: int, noise: float, n: int = 300) -> dict:
    rng = np.random.default_rng(seed)
    gold = rng.uniform(0, 5, n)
    return {"gold": gold.tolist(), "cosine": (gold + rng.normal(0, noise, n)).tolist()}


def test_rank_interval_contains_the_point_rank_and_separates_clear_winners() -> None:
    gold_items = {"good": _sts(1, 0.2), "bad": _sts(1, 5.0)}
    gold_items["bad"]["gold"] = gold_items["good"]["gold"]  # the same pairs: paired
    df = pd.DataFrame([
        {"run_id": m, "model": m, "task": "T", "type": "STS", "provenance": "reference",
         "main_score": task_stats.item_score("STS", gold_items[m])} for m in gold_items
    ])  # fmt: skip
    iv = task_stats.rank_intervals(df, gold_items, b=100)
    assert iv["good"].low <= iv["good"].rank <= iv["good"].high
    assert (iv["good"].rank, iv["good"].high, iv["bad"].low) == (1, 1, 2)


def test_paired_test_of_a_model_with_itself_and_with_a_worse_one() -> None:
    a = _sts(2, 0.3)
    same = task_stats.paired_test("STS", a, a, n_boot=200)
    assert same.diff == 0 and same.p_value == 1.0 and same.low == same.high == 0
    worse = {"gold": a["gold"], "cosine": (np.asarray(a["gold"]) + np.random.default_rng(3).normal(0, 4, 300)).tolist()}
    t = task_stats.paired_test("STS", a, worse, n_boot=200)
    assert t.diff > 0 and t.low > 0 and t.p_value < 0.01 and t.items == 300
    with pytest.raises(ValueError, match="not the same task content"):
        task_stats.paired_test("STS", a, {"gold": [1, 2], "cosine": [1, 2]})


def test_classification_items_are_scored_from_predictions() -> None:
    items = {"gold": [0, 1, 1, 0], "predicted": [[0, 1, 0, 0], [0, 1, 1, 0]], "experiments": [0.75, 1.0]}
    assert task_stats.item_score("Classification", items) == pytest.approx(0.875)
    assert task_stats.item_score("Classification", items, np.array([2, 2])) == pytest.approx(0.5)
