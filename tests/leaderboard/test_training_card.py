"""The Model page's training card: fields and loss curve from the training_cards table, names shown as text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bench.datasets import resolve_dataset
from bench.evaluation import evaluate
from bench.execute import record, run_record
from bench.identity import LOCAL, synthetic_identity
from bench.store.db import open_writer
from bench.store.models import ModelRow
from bench.store.training import record_training_card
from bench.training.pipeline import TrainingResult
from bench.training.stages import FilterCounts
from bench.types import Run, Timings
from leaderboard.training_card import card_fields

APP = Path(__file__).resolve().parents[2] / "leaderboard" / "app.py"
RECIPE = {
    "candidates": {"sources": ["bm25-flat.yaml"], "depth": 30},
    "margin": {"rule": "topk-percpos", "value": 0.95},
    "labels": "soft",
    "loss": {"name": "distill-kl", "temperature": 0.05, "teacher_temperature": None, "kd_weight": 400.0, "contrastive_weight": 0.0},
    "epochs": 1,
    "batch_size": 16,
    "learning_rate": 3e-5,
    "seed": 42,
    "threads": 2,
}


def _card(name: str) -> dict:
    result = TrainingResult(
        model=name,
        spec_hash="a" * 64,
        recipe=RECIPE,
        collections=[{"name": "adi", "split": "test", "hash": "b" * 64, "queries": 35}],
        teachers=[
            {"name": "bm25-flat", "kind": "runner", "weight": 1.0, "ref": "c" * 64},
            {"name": "[x](https://evil.example)", "kind": "cross-encoder", "weight": 0.5, "ref": "d" * 64},
        ],
        keys={"mine": "1", "teachers": "2", "filter": "3", "train": "4" * 40},
        stages={"mine": "ran", "teachers": "ran", "filter": "ran", "train": "ran"},
        stage_s={"mine": 1.0, "teachers": 1.0, "filter": 0.1, "train": 9.0},
        counts=FilterCounts(queries=35, examples=30, negatives_kept=120, negatives_dropped=41, examples_short=5),
        model_folder=Path("/nowhere"),
        weights_sha256="e" * 64,
        files_sha256="f" * 64,
        steps=2,
        examples_trained=30,
        train_s=6.0,
        loss_curve=[(1, 0.9), (2, 0.7)],
        resumed_from=None,
        wall_s=12.0,
    )
    return result.card()


def test_card_fields_read_the_card() -> None:
    fields = card_fields({**_card("m"), "card": _card("m"), "trained_at": "2026-01-01 00:00:00"})
    assert fields["margin rule"] == "topk-percpos 0.95"
    assert fields["negatives kept / dropped by the margin"] == "120 / 41"
    assert fields["teachers (fused)"][0] == "bm25-flat (runner, weight 1)"
    assert fields["training collections (not zero-shot)"] == ["adi (test, 35 queries)"]
    assert fields["examples/s"] == pytest.approx(5.0) and fields["seed / threads"] == "42 / 2"


def test_model_page_shows_the_training_card_and_loss_curve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "results.duckdb"
    ds = resolve_dataset("adi")
    run = Run.from_scores({q: {d: float(r) for d, r in docs.items()} for q, docs in ds.qrels().items()}, tag="r")
    record(
        db,
        run_record(
            model=ModelRow("student", "soft-label", "dense", training_datasets=("adi",)),
            dataset=ds,
            stats=ds.validate(),
            run=run,
            evaluation=evaluate(run, ds.qrels()),
            timings=Timings(encode_s=2.0, total_s=3.0),
            started_at=datetime.now(UTC).replace(tzinfo=None),
            writer=LOCAL,
            spec_hash=synthetic_identity("student", "soft-label", "test"),
        ),
    )
    with open_writer(db) as con:
        record_training_card(con, _card("student"))
    monkeypatch.setenv("BENCH_DB", str(db))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["model"] = "student"
    at.switch_page("views/model.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Training card" in [s.value for s in at.subheader]
    fields = next(df.value for df in at.dataframe if "field" in df.value.columns and "margin rule" in set(df.value["field"]))
    shown = dict(zip(fields["field"], fields["value"], strict=True))
    assert shown["negatives kept / dropped by the margin"] == "120 / 41"
    assert "[x](https://evil.example) (cross-encoder, weight 0.5)" in shown["teachers (fused)"]  # a name is data, never a link
    assert shown["weights sha256"] == "e" * 64
    assert len(at.get("vega_lite_chart")) == 1  # the loss curve
