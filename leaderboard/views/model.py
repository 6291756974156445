"""Model page: card, reproduction verdicts, run history, spec, weights hash, environment, cost; training card and sample thoughts.

Places kept for later runner families (rendered when present, as text):

* ``models.metadata["training_card"]``: a mapping or text describing how the model was trained
  (soft-label runners: teacher, negatives, margins, loss, seed, data hashes);
* ``runs.cost["sample_thoughts"]``: a list of ``{"qid": ..., "thought": ...}`` (reasoning embedders), and
  ``runs.cost["thinking_tokens"]``: the thinking tokens generated over the run's queries.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from leaderboard import data, tables, ui
from leaderboard.training_card import render_training_card

TRAINING_CARD = "training_card"
SAMPLE_THOUGHTS = "sample_thoughts"

st.title("Model")
models = data.read("leaderboard_models")
if models.empty:
    st.info("No public runs yet.")
    st.stop()
names = list(models["name"])
name = st.selectbox("Model", names, index=ui.param_index("model", names))
ui.set_params(model=name)
model = models.set_index("name").loc[name]
meta = model["metadata"]

ui.heading("", name)
card, runs_col = st.columns([1, 2])
with card:
    ui.fields_table(
        {
            "family": model["family"],
            "runner kind": model["kind"] if pd.notna(model["kind"]) else "— (self-reported)",
            "provenance": model["provenance"],
            "parameters": tables.human_count(model["parameters"]),
            "dimension": None if pd.isna(model["dimension"]) else int(model["dimension"]),
            "weights": f"{model['hf_id']}@{model['revision']}" if pd.notna(model["hf_id"]) else None,
            "training datasets": list(model["training_datasets"])
            or ("unknown (nothing declares them)" if meta.get("zero_shot") == "unknown" else "none declared"),
            "licence": meta.get("licence"),
        }
    )
    if meta.get("description"):
        st.text(str(meta["description"]))
    if meta.get("links"):
        st.caption("Links (shown as text, not followed)")
        st.text("\n".join(str(x) for x in meta["links"]))

runs = data.read("leaderboard_model_runs", name)
with runs_col:
    st.subheader("Run history")
    history = pd.DataFrame(
        {
            "finished": runs["finished_at"].astype(str).str[:19],
            "dataset": runs["dataset"],
            "provenance": runs["provenance"],
            **{m: [r.get(m) for r in runs["metrics"]] for m in tables.METRIC_ORDER[:3]},
            "coverage": [f"{a}/{j}" for a, j in zip(runs["evaluated_queries"], runs["judged_queries"], strict=True)],
            "spec": runs["spec_hash"].fillna("").str[:12],
            "weights": runs["weights_hash"].fillna("").str[:12],
            "environment": runs["environment_hash"],
            "code": runs["code_version"],
            "wall s": runs["wall_s"],
            "run": runs["run_id"],
        }
    )
    st.dataframe(
        history,
        hide_index=True,
        width="stretch",
        column_config={m: st.column_config.NumberColumn(format="%.4f") for m in tables.METRIC_ORDER[:3]},
    )
    spread = (
        runs.assign(v=[r.get("nDCG@10") for r in runs["metrics"]]).groupby(["dataset", "dataset_hash"])["v"].agg(["count", "min", "max"])
    )
    repeated = spread[spread["count"] > 1]
    if repeated.empty:
        st.caption("One run per dataset so far: no reproduction to compare yet.")
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "dataset": [d for d, _ in repeated.index],
                    "runs": repeated["count"].values,
                    "nDCG@10 spread (max - min)": (repeated["max"] - repeated["min"]).values,
                }
            ),
            hide_index=True,
            column_config={"nDCG@10 spread (max - min)": st.column_config.NumberColumn(format="%.6f")},
        )

verdicts = data.read("leaderboard_verdicts", str(model["model_name"]), str(model["spec_hash"]))
st.subheader("Reproduction checks")
if verdicts.empty:
    st.caption("No `bench reproduce` check recorded for this version yet.")
else:
    with st.container(horizontal=True):
        for row in verdicts.itertuples(index=False):
            color, icon = tables.VERDICT_BADGES[row.verdict]
            where = ui.md_escape(row.dataset) if ui.SAFE_NAME.match(row.dataset) else row.dataset_hash[:12]
            how = " (fresh)" if row.mode == "fresh" else ""  # the table's `how` column names the caches a check read
            st.badge(f"{where}: {row.verdict}{how}", icon=icon, color=color)
    st.dataframe(tables.verdict_table(verdicts), hide_index=True, width="stretch")
    st.caption(
        "The latest `bench reproduce` check of this version on each dataset: **OK** = the expected scores reproduced exactly, "
        "**OKish** = within the spec's tolerance, **FAIL** = beyond it (above or below). `how`: **fresh** = re-derived with "
        "`--fresh` (no cache read), else the caches it read. `code` is the brewbench that checked."
    )

run_ids = list(runs["run_id"])
labels = {r.run_id: f"{r.dataset} · {r.provenance} · {str(r.finished_at)[:19]} · {r.run_id}" for r in runs.itertuples()}
run_id = st.selectbox("Run", run_ids, format_func=labels.get)
run = data.read("leaderboard_run", run_id)
if run is None:
    st.stop()
ds_row = runs.set_index("run_id").loc[run_id]
cell = {**run, "evaluated_queries": ds_row["evaluated_queries"]}
costs = tables.run_costs(
    cell, {"documents": data.read("leaderboard_datasets").set_index("dataset_hash").at[run["dataset_hash"], "documents"]}
)

st.subheader("Cost")
cols = st.columns(len(costs) + 1)
for col, (label, value) in zip(cols, costs.items(), strict=False):
    col.metric(label, "—" if value is None else f"{value:,.2f}")
cols[-1].metric("wall time (s)", f"{run['wall_s']:,.2f}" if run["wall_s"] is not None else "—")
st.caption("Weights sha256")
st.code(run["weights_hash"] or "none (no weights: lexical or self-reported)", language=None)

spec_tab, env_tab, cost_tab = st.tabs(["Spec", "Environment", "Cost record"])
with spec_tab:
    if run["spec"]:
        st.caption(f"spec hash {run['spec_hash']}")
        st.json(run["spec"], expanded=True)
    else:
        st.caption("No spec: this run was submitted as a run file (self-reported), not run here from models/*.yaml.")
with env_tab:
    st.caption(f"environment hash {run['environment_hash']} · code {ui.md_escape(run['code_version'])}")
    st.json(run["environment"], expanded=True)
with cost_tab:
    st.json(run["cost"], expanded=True)

render_training_card(name)  # bench train's card (bench.store.training), when the model has one

card_data = meta.get(TRAINING_CARD)
thoughts = [t for r in runs["cost"] for t in (r.get(SAMPLE_THOUGHTS) or [])]
if card_data or thoughts:
    st.subheader("Training and reasoning")
if card_data:
    st.caption("Training card")
    if isinstance(card_data, dict | list):
        st.json(card_data, expanded=True)
    else:
        st.text(str(card_data))
if thoughts:
    st.caption("Sample thoughts")
    st.dataframe(
        pd.DataFrame([t if isinstance(t, dict) else {"thought": str(t)} for t in thoughts]).astype(str), hide_index=True, width="stretch"
    )

st.page_link("views/compare.py", label="Compare this model with another", icon=":material/compare_arrows:", query_params={"a": name})
