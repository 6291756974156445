"""Training cards (``bench train``): writes inside one transaction, and the reads the Model page needs.

A card is what a training of a recipe produced and how: teachers, training collections (the zero-shot
flag), margin rule, negatives kept and dropped, hyper-parameters, seed, threads, wall time, the final
weights hash and the loss curve. Every training adds a card; the history stays queryable.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import duckdb

from bench.store.db import transaction


def record_training_card(con: duckdb.DuckDBPyConnection, card: dict[str, Any]) -> str:
    """Insert one card (``bench.training.pipeline.TrainingResult.card()``) and return its id."""
    card_id = uuid.uuid4().hex[:16]
    body = {k: v for k, v in card.items() if k != "loss_curve"}
    with transaction(con, "recording the training card"):
        con.execute(
            """INSERT INTO training_cards (card_id, model_name, spec_hash, train_key, weights_sha256, training_datasets, seed, threads,
                                           wall_s, examples_per_s, card, loss_curve, trained_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                card_id,
                card["model"],
                card["spec_hash"],
                card["keys"]["train"],
                card["weights_sha256"],
                [c["name"] for c in card["collections"]] + [f"{c['name']}:corpus" for c in card.get("corpora", [])],
                int(card["seed"]),
                int(card["threads"]),
                float(card["wall_s"]),
                card.get("examples_per_s"),
                json.dumps(body, default=str),
                json.dumps(card.get("loss_curve", [])),
                datetime.now(UTC).replace(tzinfo=None),
            ],
        )
    return card_id


def training_cards(con: duckdb.DuckDBPyConnection, model: str) -> list[dict[str, Any]]:
    """Every card of ``model``, newest first: the columns, with ``card`` and ``loss_curve`` parsed."""
    rows = con.execute(
        """SELECT card_id, model_name, spec_hash, train_key, weights_sha256, training_datasets, seed, threads, wall_s,
                  examples_per_s, card, loss_curve, trained_at
           FROM training_cards WHERE model_name = ? ORDER BY trained_at DESC, card_id""",
        [model],
    ).fetchall()
    names = ("card_id", "model", "spec_hash", "train_key", "weights_sha256", "training_datasets", "seed", "threads", "wall_s")
    out = []
    for r in rows:
        item = dict(zip(names, r[:9], strict=True))
        item["training_datasets"] = list(item["training_datasets"] or [])
        item["examples_per_s"] = r[9]
        item["card"] = json.loads(r[10])
        item["loss_curve"] = [tuple(p) for p in json.loads(r[11])]
        item["trained_at"] = r[12]
        out.append(item)
    return out


def latest_training_card(con: duckdb.DuckDBPyConnection, model: str, weights_sha256: str | None = None) -> dict[str, Any] | None:
    """The newest card of ``model`` (that produced ``weights_sha256`` when given), or None."""
    for card in training_cards(con, model):
        if weights_sha256 is None or card["weights_sha256"] == weights_sha256:
            return card
    return None
