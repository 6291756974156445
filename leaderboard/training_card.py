"""The Model page's training card (``bench train``): teachers, collections, margin rule, counts, hyper-parameters, loss curve.

Reads through :mod:`bench.store.training` on a short read-only connection, like every other read of the app;
every value is rendered as text or data (a card's names come from a spec, which may be a submission's).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import altair as alt
import duckdb
import pandas as pd
import streamlit as st

from bench.store.db import open_read_only
from bench.store.training import latest_training_card
from leaderboard import data, ui


@st.cache_data(show_spinner=False, max_entries=128)
def _card(path: str, state: tuple[int, ...], model: str) -> dict[str, Any] | None:
    with open_read_only(Path(path)) as con:
        try:
            return latest_training_card(con, model)
        except duckdb.CatalogException:  # a database from before training cards existed
            return None


def read_card(model: str) -> dict[str, Any] | None:
    """The newest training card of ``model`` in the app's database, or None."""
    path = data.db_path().resolve()
    return _card(str(path), data._state(path), model)


def card_fields(card: dict[str, Any]) -> dict[str, Any]:
    """The card as ``field -> value`` rows (pure: tested without Streamlit)."""
    body = card["card"]
    recipe, counts = body["recipe"], body["counts"]
    loss = recipe["loss"]
    margin = recipe["margin"]
    teachers = [f"{t['name']} ({t['kind']}, weight {t['weight']:g})" for t in body["teachers"]]
    return {
        "teachers (fused)": teachers,
        "training collections (not zero-shot)": [f"{c['name']} ({c['split']}, {c['queries']} queries)" for c in body["collections"]],
        "candidates": f"top {recipe['candidates']['depth']} of " + ", ".join(recipe["candidates"]["sources"]),
        "margin rule": "none" if margin["rule"] == "none" else f"{margin['rule']} {margin['value']:g}",
        "labels": recipe["labels"],
        "examples": counts["examples"],
        "negatives kept / dropped by the margin": f"{counts['negatives_kept']} / {counts['negatives_dropped']}",
        "examples short of negatives (dropped)": counts["examples_short"],
        "loss": f"{loss['name']} (temperature {loss['temperature']:g}, kd weight {loss.get('kd_weight', 1.0):g}, "
        f"contrastive {loss['contrastive_weight']:g})",
        "epochs / batch / learning rate": f"{recipe['epochs']} / {recipe['batch_size']} / {recipe['learning_rate']:g}",
        "seed / threads": f"{card['seed']} / {card['threads']}",
        "steps": body["steps"],
        "training wall time (s)": body["train_s"],
        "examples/s": card["examples_per_s"],
        "weights sha256": card["weights_sha256"],
        "trained at": str(card["trained_at"])[:19],
    }


def render_training_card(model: str) -> None:
    """A "Training card" section with the card's fields and its loss curve; nothing when the model has no card."""
    card = read_card(model)
    if card is None:
        return
    st.subheader("Training card")
    fields_col, chart_col = st.columns([1, 1])
    with fields_col:
        ui.fields_table(card_fields(card))
    with chart_col:
        curve = pd.DataFrame(card["loss_curve"], columns=["step", "loss"])
        if curve.empty:
            st.caption("No loss values were logged.")
        else:
            st.altair_chart(
                alt.Chart(curve).mark_line(point=len(curve) <= 50).encode(x="step:Q", y="loss:Q", tooltip=["step", "loss"]),
                width="stretch",
            )
            st.caption("Training loss per optimiser step.")
