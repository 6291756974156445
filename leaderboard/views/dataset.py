"""Dataset page: ranked runs on one dataset content with bootstrap CIs and corrected significance vs a baseline."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bench.evaluation import stats
from bench.store.leaderboard import PUBLIC_PROVENANCES
from leaderboard import data, tables, ui

ALPHA = 0.05

st.title("Dataset")
datasets = data.read("leaderboard_datasets")
if datasets.empty:
    st.info("No public runs yet.")
    st.stop()
labels = tables.dataset_labels(datasets)
hashes = list(labels)
wanted = st.query_params.get("dataset")
if wanted and wanted not in hashes:  # accept a name or a hash prefix in the URL
    wanted = next((h for h in hashes if h.startswith(wanted) or labels[h] == wanted), None)

top = st.columns([2, 1, 1, 1])
dataset_hash = top[0].selectbox(
    "Dataset", hashes, index=hashes.index(wanted) if wanted in hashes else 0, format_func=lambda h: f"{labels[h]} · {h[:12]}"
)
metric = top[1].selectbox("Metric", tables.metric_choices(data.read("leaderboard_metrics")), index=0)
test = top[2].radio("Paired test", stats.TESTS, horizontal=True)
correction = top[3].radio("Correction", list(stats.CORRECTIONS), horizontal=True, format_func=str.capitalize)
ui.set_params(dataset=dataset_hash)
ds = datasets.set_index("dataset_hash").loc[dataset_hash]
imported = str(ds["source"]).startswith("mteb:")  # bench.store.imports: a dataset identity of another tool's copy


def _count(v: object) -> object:
    """A count on the card; a dash where it is not known (results imported from another tool say none)."""
    return "—" if pd.isna(v) else int(v)  # type: ignore[call-overload]


with st.expander("Dataset card", expanded=True):
    ui.fields_table(
        {
            "name": ds["name"],
            "split": ds["split"],
            "content hash (corpus + queries + qrels)": dataset_hash,
            "corpus hash": ds["corpus_hash"],
            "documents": _count(ds["documents"]),
            "queries": _count(ds["queries"]),
            "judged queries": _count(ds["judged_queries"]),
            "judgments (qrels)": _count(ds["qrels"]),
            **({"imported from": f"{ds['source']} (another tool's copy: not verified to be this collection)"} if imported else {}),
            "drop identical query/doc ids": bool(ds["drop_identical_ids"]),
            "first seen": str(ds["first_seen"]),
        }
    )

cells = data.read("leaderboard_cells", metric, PUBLIC_PROVENANCES, dataset_hash)
cells = cells[cells["value"].notna()]
if cells.empty:
    st.info("No public run on this dataset records this metric.")
    st.stop()
models = data.read("leaderboard_models").set_index("name")
names = list(cells.sort_values("value", ascending=False)["model"])
per_query = data.read("leaderboard_query_values", tuple(cells["run_id"]), metric)
# runs without per-query values (imported: aggregates only) are ranked by their score but never tested
untested = [m for m, r in zip(cells["model"], cells["run_id"], strict=True) if r not in set(per_query["run_id"])]
testable = [n for n in names if n not in untested] or names
baseline = st.selectbox("Baseline", testable, index=testable.index(tables.BASELINE_MODEL) if tables.BASELINE_MODEL in testable else 0)


@st.cache_data(show_spinner=False, max_entries=64)
def _ranked(per_query: pd.DataFrame, cells: pd.DataFrame, baseline: str, test: str, correction: str) -> pd.DataFrame:
    values = {rid: dict(zip(g["qid"], g["value"], strict=True)) for rid, g in per_query.groupby("run_id")}
    base_run = cells.loc[cells["model"] == baseline, "run_id"].iloc[0]
    rows = []
    for cell in cells.itertuples(index=False):
        q = values.get(cell.run_id, {})
        if not q:  # aggregates only: no interval, no test
            rows.append(
                {"model": cell.model, "run_id": cell.run_id, "provenance": cell.provenance, "value": cell.value, "ci": (float("nan"),) * 2}
            )
            continue
        low, high = stats.bootstrap_ci(list(q.values()))
        row = {"model": cell.model, "run_id": cell.run_id, "provenance": cell.provenance, "value": cell.value, "ci": (low, high)}
        if cell.model != baseline and values.get(base_run):
            c = stats.compare(q, values.get(base_run, {}), test=test)
            row.update(delta=c.difference, p=c.p_value, wtl=f"{c.wins}/{c.ties}/{c.losses}", queries=c.queries)
        else:
            row.update(queries=len(q))
        rows.append(row)
    out = pd.DataFrame(rows)
    out["queries"] = (out["queries"] if "queries" in out else pd.Series(pd.NA, index=out.index)).astype("Int64")  # NA: not tested
    if "p" not in out:
        out["p"], out["delta"], out["wtl"] = float("nan"), float("nan"), ""
    tested = out["p"].notna()
    out["p_adj"] = float("nan")
    if tested.any():
        out.loc[tested, "p_adj"] = stats.CORRECTIONS[correction](out.loc[tested, "p"].tolist())
    return out


ranked = _ranked(per_query, cells[["model", "run_id", "provenance", "value"]], baseline, test, correction)
ranked = ranked.sort_values("value", ascending=False).reset_index(drop=True)
answered = dict(zip(cells["run_id"], zip(cells["answered_queries"], cells["judged_queries"], strict=True), strict=True))
table = pd.DataFrame(
    {
        "Rank": ranked["value"].rank(ascending=False, method="min").astype(int),
        "Model": ranked["model"],
        "Family": [models.at[m, "family"] for m in ranked["model"]],
        "Provenance": ranked["provenance"],
        metric: ranked["value"],
        "Coverage": [f"{int(a)}/{int(j)}" if pd.notna(a) and pd.notna(j) else "—" for a, j in (answered[r] for r in ranked["run_id"])],
        "95% CI": [f"[{lo:.4f}, {hi:.4f}]" if pd.notna(lo) else "—" for lo, hi in ranked["ci"]],
        "Δ vs baseline": ranked["delta"],
        "p": ranked["p"],
        f"p ({correction})": ranked["p_adj"],
        "Significant": [
            "baseline" if m == baseline else "not tested" if m in untested else ("yes" if p < ALPHA else "no")
            for m, p in zip(ranked["model"], ranked["p_adj"], strict=True)
        ],
        "W/T/L": ranked["wtl"],
        "Queries": ranked["queries"],
        "Zero-shot": [tables.zero_shot(models.at[m, "training_datasets"], models.at[m, "metadata"], ds["name"]) for m in ranked["model"]],
    }
)
st.caption(
    f"{len(table)} models. Bootstrap 95% CIs over queries; {test} test of each model against the baseline, paired over queries "
    f"(a query a run did not answer counts 0, in the score too: Coverage = judged queries answered), "
    f"{correction}-corrected over {int(ranked['p'].notna().sum())} comparisons, α = {ALPHA}."
)
if untested:
    st.caption(
        f"Not tested: {', '.join(untested)}: no per-query values (results imported from another tool are aggregates only), "
        "so no confidence interval, no paired test, never counted as reproduced."
    )
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    placeholder="—",
    column_config={
        metric: st.column_config.NumberColumn(format="%.4f"),
        "Δ vs baseline": st.column_config.NumberColumn(format="%+.4f"),
        "p": st.column_config.NumberColumn(format="%.4f"),
        f"p ({correction})": st.column_config.NumberColumn(format="%.4f"),
    },
)

import altair as alt  # noqa: E402  (imported here: only pages with charts pay for it)

chart_data = pd.DataFrame(
    {
        "model": ranked["model"],
        "value": ranked["value"],
        "low": [lo for lo, _ in ranked["ci"]],
        "high": [hi for _, hi in ranked["ci"]],
    }
)
order = list(chart_data["model"])
points = alt.Chart(chart_data).mark_point(filled=True, size=80).encode(x=alt.X("value:Q", title=metric), y=alt.Y("model:N", sort=order))
bars = alt.Chart(chart_data).mark_rule().encode(x="low:Q", x2="high:Q", y=alt.Y("model:N", sort=order, title=None))
st.altair_chart(bars + points, width="stretch")

other = [m for m in names if m != baseline]
if other:
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    with left:
        against = st.selectbox("Compare with the baseline query by query", other)
    with right:
        st.page_link(
            "views/compare.py",
            label="Open comparison",
            icon=":material/compare_arrows:",
            query_params={"a": against, "b": baseline, "dataset": dataset_hash},
        )
