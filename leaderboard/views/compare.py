"""Compare: two models on one dataset content, query by query (scatter, win/tie/loss, largest differences, top documents)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from bench.evaluation import stats
from bench.store.leaderboard import PUBLIC_PROVENANCES
from leaderboard import data, tables, ui

TOP_QUERIES = 10
DEPTH = 10

st.title("Compare two models")
models = data.read("leaderboard_models")
datasets = data.read("leaderboard_datasets")
if len(models) < 2:
    st.info("Two models with public runs are needed for a comparison.")
    st.stop()
names = list(models["name"])
labels = tables.dataset_labels(datasets)

top = st.columns([2, 2, 2, 1])
a = top[0].selectbox("Model A", names, index=ui.param_index("a", names))
b_options = [n for n in names if n != a]
b = top[1].selectbox("Model B", b_options, index=ui.param_index("b", b_options, tables.BASELINE_MODEL))
metric = top[3].selectbox("Metric", tables.metric_choices(data.read("leaderboard_metrics")))
cells = data.read("leaderboard_cells", metric, PUBLIC_PROVENANCES)
cells = cells[cells["value"].notna()]
shared = [h for h in labels if {a, b} <= set(cells.loc[cells["dataset_hash"] == h, "model"])]
if not shared:
    top[2].selectbox("Dataset", ["—"], disabled=True)
    st.warning("These two models share no dataset content, so they cannot be compared.")
    st.stop()
dataset_hash = top[2].selectbox("Dataset", shared, index=ui.param_index("dataset", shared), format_func=labels.get)
ui.set_params(a=a, b=b, dataset=dataset_hash)

here = cells[cells["dataset_hash"] == dataset_hash].set_index("model")
run_a, run_b = here.at[a, "run_id"], here.at[b, "run_id"]
pq = data.read("leaderboard_query_values", (run_a, run_b), metric)
va = dict(zip(pq.loc[pq["run_id"] == run_a, "qid"], pq.loc[pq["run_id"] == run_a, "value"], strict=True))
vb = dict(zip(pq.loc[pq["run_id"] == run_b, "qid"], pq.loc[pq["run_id"] == run_b, "value"], strict=True))
if not va or not vb:  # aggregates only (results imported from another tool): nothing to pair
    st.text(f"A = {a}\nB = {b}")
    m = st.columns(2)
    m[0].metric(f"A {metric}", ui.fmt(here.at[a, "value"]))
    m[1].metric(f"B {metric}", ui.fmt(here.at[b, "value"]))
    missing = ", ".join(f"{side} ({here.at[n, 'provenance']})" for side, n, v in (("A", a, va), ("B", b, vb)) if not v)
    st.warning(f"No per-query values for {missing}: imported results are aggregates only, so the two cannot be compared query by query.")
    st.stop()
result = stats.compare(va, vb)

st.text(f"A = {a}\nB = {b}")
m = st.columns(6)
m[0].metric(f"A {metric}", ui.fmt(result.mean_a))
m[1].metric(f"B {metric}", ui.fmt(result.mean_b))
m[2].metric("Δ (A − B)", f"{result.difference:+.4f}", help=f"95% bootstrap CI [{result.ci_low:+.4f}, {result.ci_high:+.4f}]")
m[3].metric("p (randomization)", f"{result.p_value:.4f}")
m[4].metric("A wins / ties / B wins", f"{result.wins} / {result.ties} / {result.losses}")
m[5].metric("Queries", result.queries)
st.caption(
    f"95% bootstrap CI of Δ: [{result.ci_low:+.4f}, {result.ci_high:+.4f}]; paired randomization test over "
    f"{result.queries} queries (a query a run did not answer counts 0); ties within 1e-9."
)
coverage = {side: (int(here.at[m, "answered_queries"]), int(here.at[m, "judged_queries"])) for side, m in (("A", a), ("B", b))}
st.caption(
    "Coverage: "
    + ", ".join(
        f"{side} answered {n}/{j} judged queries ({n / j:.0%})" if j else f"{side}: no judged queries" for side, (n, j) in coverage.items()
    )
    + ". Each unanswered judged query counts 0 in the scores above."
)

drift = data.read("leaderboard_drift", run_a, run_b, DEPTH)
if drift is not None:
    with st.expander(f"Drift of B against A: document vectors and top-{DEPTH} lists"):
        d = st.columns(4)
        d[0].metric(f"Mean overlap@{DEPTH}", f"{drift.ranks.overlap:.3f}", help=f"over {drift.ranks.queries} queries both answered")
        d[1].metric(f"Mean Kendall tau (top {DEPTH})", f"{drift.ranks.kendall_tau:.3f}")
        if drift.vectors is not None:
            v = drift.vectors
            d[2].metric("Lowest document cosine", f"{v.min:.4f}", help=f"p1 {v.p1:.4f}, p5 {v.p5:.4f} over {v.documents} documents")
            d[3].metric("Median document cosine", f"{v.median:.4f}")
            st.caption(
                f"Cosine between each document's A and B vectors: min {v.min:.4f}, p1 {v.p1:.4f}, p5 {v.p5:.4f}, median {v.median:.4f}."
            )
        else:
            st.caption(f"No vector drift: {drift.why}.")

qids, xa, xb = stats.align(va, vb)
per_query = pd.DataFrame({"qid": qids, "A": xa, "B": xb})
per_query["Δ (A − B)"] = per_query["A"] - per_query["B"]
per_query["outcome"] = ["A better" if d > 1e-9 else ("B better" if d < -1e-9 else "tie") for d in per_query["Δ (A − B)"]]
scatter = (
    alt.Chart(per_query)
    .mark_circle(size=60, opacity=0.7)
    .encode(
        x=alt.X("A:Q", title=f"A {metric}", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("B:Q", title=f"B {metric}", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("outcome:N", scale=alt.Scale(domain=["A better", "tie", "B better"], range=["#1f77b4", "#999999", "#d62728"])),
        tooltip=["qid", "A", "B", "Δ (A − B)"],
    )
)
diagonal = alt.Chart(pd.DataFrame({"x": [0, 1], "y": [0, 1]})).mark_line(color="#888", strokeDash=[4, 4]).encode(x="x:Q", y="y:Q")
st.altair_chart(diagonal + scatter, width="stretch")

ds = datasets.set_index("dataset_hash").loc[dataset_hash]
texts = data.dataset_texts(str(ds["source"]), str(ds["name"]), str(ds["split"]), dataset_hash)
if texts is None:
    st.caption("The dataset folder recorded for this content is not available here: queries and documents are shown by id.")
largest = per_query.reindex(per_query["Δ (A − B)"].abs().sort_values(ascending=False, kind="stable").index).head(TOP_QUERIES)
largest = largest[largest["Δ (A − B)"].abs() > 1e-9]
st.subheader("Largest differences")
if largest.empty:
    st.caption("The two runs score every query the same.")
    st.stop()
shown = largest.copy()
shown.insert(1, "query", [texts.queries.get(q, "") if texts else "" for q in shown["qid"]])
st.dataframe(
    shown.drop(columns="outcome"),
    hide_index=True,
    width="stretch",
    column_config={c: st.column_config.NumberColumn(format="%.4f") for c in ("A", "B", "Δ (A − B)")},
)

qid = st.selectbox("Query", list(largest["qid"]), format_func=lambda q: f"{q}: {texts.queries.get(q, '')[:90]}" if texts else q)
if texts:
    st.text(texts.queries.get(qid, ""))
left, right = st.columns(2)
for col, model, run_id in ((left, a, run_a), (right, b, run_b)):
    docs = data.read("leaderboard_top_documents", run_id, (qid,), DEPTH)
    judged = texts.qrels.get(qid, {}) if texts else {}
    frame = pd.DataFrame(
        {
            "rank": docs["rank"],
            "docid": docs["docid"],
            "relevance": [judged.get(d, 0) if texts else None for d in docs["docid"]],
            "title": [texts.titles.get(d, "") if texts else "" for d in docs["docid"]],
            "score": docs["score"],
        }
    )
    with col:
        st.caption(
            f"Top {DEPTH} of {'A' if model == a else 'B'} (value {ui.fmt(per_query.set_index('qid').at[qid, 'A' if model == a else 'B'])})"
        )
        st.dataframe(frame, hide_index=True, width="stretch", column_config={"score": st.column_config.NumberColumn(format="%.3f")})
