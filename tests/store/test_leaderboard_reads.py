"""The leaderboard's reads (bench.store.leaderboard) on a real DuckDB file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bench.datasets import resolve_dataset
from bench.evaluation import evaluate
from bench.execute import dataset_row
from bench.identity import Writer, synthetic_identity
from bench.store.db import open_read_only, open_writer
from bench.store.leaderboard import (
    leaderboard_cells,
    leaderboard_datasets,
    leaderboard_metrics,
    leaderboard_model_runs,
    leaderboard_models,
    leaderboard_query_values,
    leaderboard_run,
    leaderboard_top_documents,
)
from bench.store.models import ModelRow
from bench.store.runs import RunRecord, record_run, run_metrics
from bench.types import Run, Timings


def _record(db: Path, run_id: str, model: str, provenance: str, day: int, dataset: str = "adi", shift: float = 0.0) -> None:
    """A run that ranks judged documents first (scores from the qrels), shifted per query so models differ."""
    ds = resolve_dataset(dataset)
    scores = {q: {d: float(r) + shift * (i % 3) for i, (d, r) in enumerate(docs.items())} for q, docs in ds.qrels().items()}
    run = Run.from_scores(scores)
    family = "dense" if provenance in ("self-reported", "pending") else "lexical"
    owner = {"reference": "reference", "reproduced": "reference", "local": "local"}.get(provenance, "submission")
    rec = RunRecord(
        run_id=run_id,
        model=ModelRow(model, family, None, training_datasets=("adi",)),
        dataset=dataset_row(ds, ds.validate()),
        writer=Writer(provenance, owner, f"sub-{model}" if owner == "submission" else None),
        spec=None,
        spec_hash=synthetic_identity(model, family, "test"),
        weights_hash=None,
        environment={"python": "3.11"},
        environment_hash="env",
        code_version="test",
        started_at=datetime(2026, 1, day),
        finished_at=datetime(2026, 1, day, 1),
        timings=Timings(search_s=0.5),
        cost={"query_latency_ms": 2.0 + day},
        evaluation=evaluate(run, ds.qrels()),
        run=run,
    )
    with open_writer(db) as con:
        record_run(con, rec)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lbq") / "results.duckdb"
    _record(path, "r1", "m1", "reference", 1)
    _record(path, "r2", "m1", "reproduced", 2)
    _record(path, "r3", "m1", "reference", 3, shift=0.5)
    _record(path, "r4", "m2", "self-reported", 4, shift=1.0)
    _record(path, "r5", "secret", "pending", 5)
    _record(path, "r6", "secret", "pending", 6, dataset="time")
    return path


def test_pending_runs_are_invisible_everywhere(db: Path) -> None:
    with open_read_only(db) as con:
        assert list(leaderboard_models(con)["name"]) == ["m1", "m2"]
        assert list(leaderboard_datasets(con)["name"]) == ["adi"]  # time has only a pending run
        cells = leaderboard_cells(con, "nDCG@10")
        assert "secret" not in set(cells["model"])
        assert set(leaderboard_query_values(con, ["r2", "r5"], "nDCG@10")["run_id"]) == {"r2"}
        assert leaderboard_run(con, "r5") is None
        assert leaderboard_top_documents(con, "r5", ["1"]).empty
        assert leaderboard_model_runs(con, "secret").empty
        # asking for pending explicitly changes nothing
        assert leaderboard_cells(con, "nDCG@10", ["pending"]).empty


def test_representative_run_prefers_runs_made_here_then_the_newest(db: Path) -> None:
    with open_read_only(db) as con:
        cells = leaderboard_cells(con, "nDCG@10").set_index("model")
        assert cells.at["m1", "run_id"] == "r2"  # reproduced (day 2) beats the reference runs of days 1 and 3
        assert cells.at["m2", "run_id"] == "r4"
        assert cells.at["m1", "cost"] == {"query_latency_ms": 4.0}
        only_reference = leaderboard_cells(con, "nDCG@10", ["reference"]).set_index("model")
        assert only_reference.at["m1", "run_id"] == "r3"  # then the newest
        assert "m2" not in only_reference.index
        assert leaderboard_cells(con, "nDCG@10", []).empty
        expected = run_metrics(con, "r4")["nDCG@10"]
        assert cells.at["m2", "value"] == pytest.approx(expected)
        assert leaderboard_cells(con, "no-such-metric")["value"].isna().all()


def test_model_runs_history_and_run_record(db: Path) -> None:
    with open_read_only(db) as con:
        history = leaderboard_model_runs(con, "m1")
        assert list(history["run_id"]) == ["r3", "r2", "r1"]
        assert set(history["metrics"].iloc[0]) == {"nDCG@10", "R@100", "R@1000", "AP@1000", "RR@10", "P@10"}
        run = leaderboard_run(con, "r1")
        assert run is not None and run["environment"] == {"python": "3.11"} and run["cost"]["query_latency_ms"] == 3.0
        models = leaderboard_models(con).set_index("name")
        assert models.at["m1", "training_datasets"] == ["adi"]
        assert int(models.at["m1", "runs"]) == 3
        assert leaderboard_metrics(con) == sorted(["nDCG@10", "R@100", "R@1000", "AP@1000", "RR@10", "P@10"])


def test_query_values_and_top_documents(db: Path) -> None:
    with open_read_only(db) as con:
        pq = leaderboard_query_values(con, ["r2", "r4"], "nDCG@10")
        assert pq.groupby("run_id").size().to_dict() == {"r2": 35, "r4": 35}
        assert leaderboard_query_values(con, [], "nDCG@10").empty
        top = leaderboard_top_documents(con, "r2", ["1", "2"], depth=3)
        assert set(top["qid"]) == {"1", "2"}
        judged = resolve_dataset("adi").qrels()
        expected = {q: list(range(1, min(3, len(judged[q])) + 1)) for q in ("1", "2")}
        assert top.groupby("qid")["rank"].apply(list).to_dict() == expected
