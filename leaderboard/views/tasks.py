"""Embedding tasks: MTEB v2's task-type view (Mean(Task), Mean(TaskType), Borda with tasks as voters) and beyond it:
each model's rank interval from a paired bootstrap over the items of every task, and a paired test on one task."""

from __future__ import annotations

import altair as alt
import streamlit as st

from bench.evaluation import task_stats
from leaderboard import data, ui

BOOTSTRAP = 200

st.title("Embedding tasks")
runs = data.read("leaderboard_tasks")
if runs.empty:
    st.info("No embedding-task results yet: `bench run SPEC -t STS15 -t Banking77 ...` records them.")
    st.stop()
measured = task_stats.measured(runs)
imported = runs[runs["provenance"] == "imported"]
types = sorted(measured["type"].unique()) if not measured.empty else []
chosen = st.multiselect("Task types", types, default=types)
shown = measured[measured["type"].isin(chosen)]
if shown.empty:
    st.info("No measured results of the chosen task types.")
else:
    items = data.read("leaderboard_task_items", tuple(sorted(shown["run_id"])))
    board = task_stats.by_task_type(shown)
    intervals = task_stats.rank_intervals(shown, items, b=BOOTSTRAP)
    board["rank 95% low"] = [intervals[m].low for m in board.index]
    board["rank 95% high"] = [intervals[m].high for m in board.index]
    tasks = sorted(shown["task"].unique())
    st.caption(
        f"{len(board)} model(s) on {len(tasks)} task(s): {ui.md_escape(', '.join(tasks))}. Borda rank with tasks as voters "
        "(MTEB v2: a point per model beaten on a task, ties share, a missing task gives nothing); Mean(Task) over the "
        f"tasks a model has (coverage in `tasks`). Rank interval: 95% of {BOOTSTRAP} paired bootstrap resamples of every "
        "task's items (the same items for every model). Measured results only."
    )
    st.dataframe(
        board.drop(columns=["borda"]).reset_index().rename(columns={"index": "model"}),
        hide_index=True,
        width="stretch",
        column_config={c: st.column_config.NumberColumn(format="%.4f") for c in [*types, "Mean(Task)", "Mean(TaskType)"]},
    )
    plot = board.reset_index().rename(columns={"index": "model"})
    bars = (
        alt.Chart(plot)
        .mark_rule(strokeWidth=3)
        .encode(
            y=alt.Y("model:N", sort=list(plot["model"])), x=alt.X("rank 95% low:Q", title="Borda rank (95% interval)"), x2="rank 95% high:Q"
        )
    )
    dots = (
        alt.Chart(plot)
        .mark_point(filled=True, size=90)
        .encode(y=alt.Y("model:N", sort=list(plot["model"])), x="rank:Q", tooltip=["model", "rank", "Mean(Task)"])
    )
    st.altair_chart(bars + dots, width="stretch")

    st.subheader("Paired test on one task")
    cols = st.columns(3)
    task = cols[0].selectbox("Task", tasks)
    on_task = shown[shown["task"] == task]
    models = list(on_task["model"])
    a = cols[1].selectbox("Model A", models, index=0)
    b = cols[2].selectbox("Model B", models, index=min(1, len(models) - 1))
    run_a, run_b = (on_task[on_task["model"] == m]["run_id"].iloc[0] for m in (a, b))
    ttype = on_task["type"].iloc[0]
    if run_a in items and run_b in items:
        t = task_stats.paired_test(ttype, items[run_a], items[run_b], n_boot=BOOTSTRAP)
        st.markdown(
            f"**{ui.md_escape(a)}** − **{ui.md_escape(b)}** on {ui.md_escape(task)}: Δ {t.diff:+.4f} "
            f"(95% {t.low:+.4f} to {t.high:+.4f}), p = {t.p_value:.3f} over {t.items} items (paired bootstrap, {BOOTSTRAP} resamples)"
        )
    else:
        st.caption("One of the two runs has no per-item values.")

if not imported.empty:
    st.subheader("Imported results")
    st.caption("Published or imported numbers (`bench import mteb`): not measured here, never in the statistics above.")
    st.dataframe(
        imported.assign(badge="imported")[["badge", "model", "task", "type", "main_metric", "main_score"]],
        hide_index=True,
        width="stretch",
    )
