"""Overview: models x datasets of one metric, ranked by Borda count over what each model has (MTEB v2's rule) with its
coverage, or mean and rank over shared datasets; filters, CSV download."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from bench.store.leaderboard import PUBLIC_PROVENANCES
from bench.suites.registry import suite_names, suite_title
from leaderboard import data, tables, ui

PARAMETER_STEPS = [0.0, 1e6, 1e7, 1e8, 3e8, 1e9, 1e10, math.inf]
AVERAGES = {
    "borda": "Borda count over what each model has (MTEB v2)",
    "common": "mean over the datasets every shown model has",
    "complete": "mean over all shown datasets (incomplete models get no mean)",
}
TRAINED_STYLE = "background-color: rgba(255, 170, 0, 0.28)"
PARTIAL_STYLE = "color: #c62828; font-style: italic"

st.title("Leaderboard")
models = data.read("leaderboard_models")
datasets = data.read("leaderboard_datasets")
if models.empty:
    st.info("No public runs yet. Record one with `bench run models/bm25-flat.yaml --dataset adi --db <this database>`.")
    st.stop()
labels = tables.dataset_labels(datasets)

with st.sidebar:
    st.header("Filters")
    metric = st.selectbox("Metric", tables.metric_choices(data.read("leaderboard_metrics")))
    families = st.multiselect("Family", tables.FAMILY_ORDER, default=list(tables.FAMILY_ORDER))
    provenances = st.multiselect("Provenance", PUBLIC_PROVENANCES, default=list(PUBLIC_PROVENANCES))
    zero_shot = st.toggle("Zero-shot only", help="Hide cells where a model declares it trained on that dataset.")
    low, high = st.select_slider(
        "Parameters", options=PARAMETER_STEPS, value=(PARAMETER_STEPS[0], PARAMETER_STEPS[-1]), format_func=tables.human_count
    )
    unknown_size = st.checkbox("Include models of unknown size", value=True)
    suite_name = st.selectbox(
        "Suite",
        ["", *suite_names()],
        format_func=lambda n: f"{n}: {suite_title(n)}" if n else "all datasets (no suite)",
        help="A named suite (bench/suites/suites.yaml): its members as columns, a nested suite as one column (its mean), "
        "and the suite mean only for a model that has every member.",
    )
    chosen = st.multiselect("Datasets", list(labels), default=list(labels), format_func=labels.get, disabled=bool(suite_name))
    average = st.radio("Rank by", list(AVERAGES), format_func=AVERAGES.get, disabled=bool(suite_name))

repro = tables.reproduces_published(data.read("leaderboard_published_checks"))
published = data.read("leaderboard_published", metric)
NO_CHECK = "—"


def _published_section(columns: dict[str, tuple[str, str]]) -> None:
    """Published reference rows under the shown columns: their own rows, badge, table and source; never in a mean."""
    rows, outside = tables.published_rows(published, columns)
    if rows.empty and not outside:
        return
    st.subheader("Published reference rows")
    st.badge(tables.PUBLISHED_BADGE, icon=":material/menu_book:", color="violet")
    st.caption(
        "Numbers printed by another table (source and version beside each row), not measured here: never part of a mean, "
        "a rank, a Borda count or a significance test above. A published row was measured on the table's own copy of "
        "the data (bench/published/content.yaml)."
        + (f" {outside} published {ui.md_escape(metric)} number(s) are on datasets not shown." if outside else "")
    )
    if not rows.empty:
        # st.dataframe, never st.table: st.table renders Markdown in its cells, and names and sources are untrusted
        st.dataframe(rows.style.format("{:.4f}", subset=list(columns), na_rep="—"), hide_index=True, placeholder="—")


if suite_name:  # the suite preset: members as columns, the mean only with every member
    got = data.read("leaderboard_suite", suite_name, metric)
    frame = got["frame"]
    keep = set(tables.select_models(models, tables.Filters(families=tuple(families), min_parameters=low, max_parameters=high,
                                                           include_unknown_size=unknown_size))["name"])  # fmt: skip
    frame = frame[frame["Model"].isin(keep) | ~frame["Model"].isin(set(models["name"]))].reset_index(drop=True)
    members = list(got["members"])
    nested = int(got["leaves"])
    st.caption(
        f"Suite {ui.md_escape(suite_name)}: {len(members)} members"
        + (f" ({nested} datasets and tasks: a nested suite counts once, as its own mean)" if nested != len(members) else "")
        + f", {ui.md_escape(str(got['metric']))}. The suite mean is shown only for a model that has every member; "
        "otherwise Members says n of N and Missing names the members it lacks."
    )
    complete = int(frame["Suite mean"].notna().sum())
    st.caption(f"{complete} of {len(frame)} model(s) have every member of {ui.md_escape(suite_name)}.")
    for note in got["notes"]:
        st.caption(ui.md_escape(str(note)))
    if frame.empty:
        st.info(f"No shown model has a result on any member of {ui.md_escape(suite_name)} here.")
    else:
        frame.insert(frame.columns.get_loc("Members"), "Reproduces published", [repro.get(m, NO_CHECK) for m in frame["Model"]])
        st.dataframe(
            frame.style.format("{:.4f}", subset=members, na_rep="missing").format("{:.4f}", subset=["Suite mean"], na_rep="—"),
            hide_index=True,
            width="stretch",
            key="suite_table",
            placeholder="missing",
            column_config={"Rank": st.column_config.NumberColumn("Rank", format="%d", width="small")},
        )
        incomplete = frame[frame["Suite mean"].isna()]
        if len(incomplete):
            st.markdown("**No suite mean: members missing**")
            st.dataframe(  # never st.table (it renders Markdown in cells: model names are untrusted)
                pd.DataFrame({"model": incomplete["Model"], "has": incomplete["Members"], "missing": incomplete["Missing"]}),
                hide_index=True,
            )
    _published_section({m: (m, "test") for m in members})
    st.stop()

cells = data.read("leaderboard_cells", metric, tuple(provenances))
view = tables.build_overview(
    cells,
    models,
    datasets,
    tables.Filters(
        families=tuple(families),
        zero_shot_only=zero_shot,
        min_parameters=low,
        max_parameters=high,
        include_unknown_size=unknown_size,
        datasets=tuple(chosen),
        average=average,
    ),
)
table = view.table
if table.empty:
    st.warning("No model matches these filters.")
    st.stop()

n_avg, n_cols = len(view.averaged_over), len(view.dataset_columns)
if average == "borda":
    st.caption(
        f"{ui.md_escape(metric)} of {len(table)} models on {n_cols} dataset contents, ranked by Borda count (MTEB v2's rule): "
        "on each dataset a model gets one point per shown model it beats (ties share the points), and nothing from a "
        "dataset it misses. Datasets says how many of them each model has; the mean is shown only for a model that has all "
        f"{n_cols}."
    )
else:
    st.caption(
        f"{ui.md_escape(metric)} of {len(table)} models on {n_cols} dataset contents. "
        f"Mean and rank over {n_avg} of {n_cols} datasets: {ui.md_escape(', '.join(view.averaged_over)) or 'none'}."
    )
if view.left_out_datasets:
    st.warning(f"{len(view.left_out_datasets)} dataset(s) left out of the mean and rank because some shown models lack them:")
    st.dataframe(
        pd.DataFrame({"dataset": list(view.left_out_datasets), "missing for": [", ".join(v) for v in view.left_out_datasets.values()]}),
        hide_index=True,
    )
if view.left_out_models:
    if average == "borda":
        st.info(f"{len(view.left_out_models)} model(s) are ranked on the datasets they have and get no mean; they miss:")
    else:
        st.warning(f"{len(view.left_out_models)} model(s) have no mean or rank because they miss shown datasets:")
    st.dataframe(
        pd.DataFrame({"model": list(view.left_out_models), "missing": [", ".join(v) for v in view.left_out_models.values()]}),
        hide_index=True,
    )
if n_cols and n_avg == 0:
    st.warning("No dataset is shared by every shown model, so there is no mean or rank. Narrow the models or datasets.")
if view.hidden_trained or view.hidden_unknown:
    st.info(
        f"Zero-shot only: {view.hidden_trained} cell(s) hidden where the model trained on the dataset"
        + (f", {view.hidden_unknown} where nothing says whether it did (imported, zero-shot unknown)" if view.hidden_unknown else "")
        + "."
    )
elif view.trained:
    st.caption("Shaded cells: the model declares it trained on that dataset (not zero-shot).")
if view.empty_datasets:
    st.caption(f"No results under these filters for: {ui.md_escape(', '.join(view.empty_datasets))}.")
st.caption(
    "Coverage: the share of judged queries the shown runs answered. A judged query without results counts 0 in every "
    "score (as trec_eval -c), so a partial run is not flattered."
    + (" Red italic cells: the run answered only part of the judged queries (listed below)." if view.partial else "")
)
if view.partial:
    st.dataframe(
        pd.DataFrame(
            {
                "model": [m for m, _ in view.partial],
                "dataset": [col for _, col in view.partial],
                "answered / judged queries": [f"{a}/{j}" for a, j in view.partial.values()],
            }
        ),
        hide_index=True,
    )

positions = {m: i for i, m in enumerate(table["Model"])}


def _shade(frame: pd.DataFrame) -> pd.DataFrame:
    style = pd.DataFrame("", index=frame.index, columns=frame.columns)
    for model, column in view.trained:
        if model in positions and column in style.columns:
            style.iat[positions[model], style.columns.get_loc(column)] = TRAINED_STYLE
    for model, column in view.partial:
        if model in positions and column in style.columns:
            cell = style.iat[positions[model], style.columns.get_loc(column)]
            style.iat[positions[model], style.columns.get_loc(column)] = f"{cell}; {PARTIAL_STYLE}" if cell else PARTIAL_STYLE
    return style


table.insert(table.columns.get_loc("Provenance") + 1, "Reproduces published", [repro.get(m, NO_CHECK) for m in table["Model"]])
styled = (
    table.style.format("{:.4f}", subset=view.dataset_columns, na_rep="missing")
    .format("{:.4f}", subset=["Mean"], na_rep="—")
    .format("{:.1%}", subset=["Coverage"], na_rep="—")
    .apply(_shade, axis=None)
)
event = st.dataframe(
    styled,
    hide_index=True,
    width="stretch",
    height=min(38 + 35 * len(table), 720),
    on_select="rerun",
    selection_mode="single-row",
    key="overview_table",
    placeholder="missing",
    column_config={
        "Rank": st.column_config.NumberColumn("Rank", format="%d", width="small"),
        "Borda": st.column_config.NumberColumn("Borda", format="%g", help="Borda points: models beaten, summed over datasets"),
    },
)
if event.selection.rows:
    st.switch_page("views/model.py", query_params={"model": table["Model"].iloc[event.selection.rows[0]]})

if repro:
    st.caption(
        "Reproduces published: the latest recorded `bench reproduce` check of the model against a published table's row "
        "(OK equal at its printed decimals, OKish within five units of the next place, FAIL beyond)."
    )
ds_rows = datasets.set_index("dataset_hash")
_published_section(
    {labels[h]: (str(ds_rows.at[h, "name"]), str(ds_rows.at[h, "split"])) for h in labels if labels[h] in view.dataset_columns}
)

left, middle, right = st.columns([2, 2, 1], vertical_alignment="bottom")
with left:
    model = st.selectbox("Open a model", list(table["Model"]))
    st.page_link("views/model.py", label="Open model page", icon=":material/arrow_forward:", query_params={"model": model})
with middle:
    st.page_link("views/compare.py", label="Compare two models query by query", icon=":material/compare_arrows:")
    st.page_link("views/efficiency.py", label="Score vs cost", icon=":material/speed:")
with right:
    st.download_button("Download CSV", view.csv(), file_name=f"brewbench-{metric}.csv", mime="text/csv", icon=":material/download:")
