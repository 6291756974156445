"""Efficiency: score vs cost, one point per model, with the Pareto front."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from bench.store.leaderboard import PUBLIC_PROVENANCES
from leaderboard import data, tables, ui
from leaderboard.variants import variant_rows

st.title("Efficiency")
models = data.read("leaderboard_models")
datasets = data.read("leaderboard_datasets")
if models.empty:
    st.info("No public runs yet.")
    st.stop()

top = st.columns([1, 2, 3, 1], vertical_alignment="bottom")
metric = top[0].selectbox("Metric", tables.metric_choices(data.read("leaderboard_metrics")))
axis = top[1].selectbox("Cost", [*tables.COSTS, tables.PARAMETERS])
families = top[2].multiselect("Family", tables.FAMILY_ORDER, default=list(tables.FAMILY_ORDER))
log_x = top[3].toggle("Log scale", value=True)

cells = data.read("leaderboard_cells", metric, PUBLIC_PROVENANCES)
points, averaged, left_out = tables.efficiency_points(cells, models, datasets, axis, families)
lower = axis == tables.PARAMETERS or tables.COSTS[axis].lower_is_better
st.caption(
    f"Mean {ui.md_escape(metric)} and mean {ui.md_escape(axis)} over the {len(averaged)} datasets every plotted model has: "
    f"{ui.md_escape(', '.join(averaged)) or 'none'}. {'Lower' if lower else 'Higher'} cost is better; "
    "the line joins the Pareto front (no other model is both cheaper and better)."
)
if left_out:
    st.warning(f"{len(left_out)} model(s) not plotted:")
    st.dataframe(pd.DataFrame({"model": list(left_out), "why": list(left_out.values())}), hide_index=True)
if points.empty:
    st.stop()

labels = tables.dataset_labels(datasets)
shared = cells[cells["model"].isin(points["model"]) & cells["dataset_hash"].map(labels).isin(averaged)]
answered, judged = shared.groupby("model")["answered_queries"].sum(), shared.groupby("model")["judged_queries"].sum()
points["coverage"] = [answered[m] / judged[m] if judged.get(m, 0) else float("nan") for m in points["model"]]
st.caption("Coverage: judged queries answered on those datasets; each unanswered judged query counts 0 in the score.")

environments = cells[cells["model"].isin(points["model"])]["environment_hash"].nunique()
if environments > 1:
    st.warning(f"Costs come from {environments} different environments: compare timings with care.")

plot = points.copy()
if log_x:
    plot = plot[plot["cost"] > 0]
    if len(plot) < len(points):
        st.caption(f"{len(points) - len(plot)} model(s) with zero cost are not drawn on the log scale (see the table).")
scale = alt.Scale(type="log") if log_x else alt.Scale(zero=True)
base = alt.Chart(plot).encode(
    x=alt.X("cost:Q", title=axis, scale=scale), y=alt.Y("score:Q", title=f"mean {metric}", scale=alt.Scale(zero=False))
)
dots = base.mark_circle(size=120).encode(
    color=alt.Color("family:N", scale=alt.Scale(domain=list(tables.FAMILY_ORDER))),
    tooltip=["model", "family", "score", alt.Tooltip("coverage:Q", format=".1%"), "cost"],
)
names = base.mark_text(align="left", dx=8, dy=-6, fontSize=11).encode(text="model:N")
front = alt.Chart(plot[plot["pareto"]].sort_values("cost")).mark_line(color="#444", strokeDash=[6, 3]).encode(x="cost:Q", y="score:Q")
st.altair_chart(front + dots + names, width="stretch")

st.dataframe(
    points.rename(columns={"score": f"mean {metric}", "cost": axis, "pareto": "on Pareto front"}).sort_values(
        f"mean {metric}", ascending=False
    ),
    hide_index=True,
    width="stretch",
    column_config={
        f"mean {metric}": st.column_config.NumberColumn(format="%.4f"),
        "coverage": st.column_config.NumberColumn(format="percent"),
        axis: st.column_config.NumberColumn(format="%.3f"),
    },
)

variants = variant_rows(data.read("leaderboard_variants", metric))
if not variants.empty:
    st.subheader("Variants beside their base")
    st.caption(
        f"Each variant (another backend or precision of the same weights) against its base model: mean {ui.md_escape(metric)} "
        "over the datasets both have, the largest drift on any one of them beside the tolerance the variant's spec declares, "
        "the median encode speed-up and the recorded query latency. `bench variants BASE` lists the drift dataset by dataset; "
        "`bench compare BASE VARIANT -d D --drift` gives the paired test and the drift of vectors and rankings."
    )
    st.dataframe(
        variants,
        hide_index=True,
        width="stretch",
        column_config={
            c: st.column_config.NumberColumn(format="%.4f")
            for c in ("base score", "variant score", "Δ score", "max |Δ|", "declared tolerance")
        }
        | {c: st.column_config.NumberColumn(format="%.2f") for c in ("speed-up", "base ms/query", "variant ms/query")},
    )
