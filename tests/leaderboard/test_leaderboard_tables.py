"""The leaderboard's arithmetic (leaderboard.tables): fair means and ranks, zero-shot flags, costs, Pareto fronts."""

from __future__ import annotations

import io
import math

import pandas as pd
import pytest

from leaderboard import tables


def _frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    datasets = pd.DataFrame(
        {
            "dataset_hash": ["h-a", "h-b", "h-c", "h-c2"],
            "name": ["alpha", "beta", "gamma", "gamma"],
            "split": ["test", "test", "test", "dev"],
            "documents": [100, 200, 300, 300],
        }
    )
    models = pd.DataFrame(
        {
            "name": ["big", "small", "tuned", "anon"],
            "family": ["dense", "lexical", "soft-label", "dense"],
            "parameters": pd.array([1e9, 0, 1e8, None], dtype="Float64"),
            "training_datasets": [[], [], ["Beta"], []],
        }
    )
    rows = [
        ("big", "h-a", 0.5, {"query_latency_ms": 10.0, "index_bytes": 4e6}),
        ("big", "h-b", 0.7, {"query_latency_ms": 12.0, "index_bytes": 6e6}),
        ("big", "h-c", 0.3, {"query_latency_ms": 8.0, "index_bytes": 5e6}),
        ("small", "h-a", 0.4, {"query_latency_ms": 1.0, "index_bytes": 1e6}),
        ("small", "h-b", 0.5, {"query_latency_ms": 1.0, "index_bytes": 1e6}),
        ("tuned", "h-a", 0.45, {"query_latency_ms": 2.0}),
        ("tuned", "h-b", 0.9, {"query_latency_ms": 2.0}),
        ("anon", "h-a", 0.2, {}),
    ]
    cells = pd.DataFrame(
        {
            "model": [r[0] for r in rows],
            "dataset_hash": [r[1] for r in rows],
            "value": [r[2] for r in rows],
            "provenance": ["reference"] * 7 + ["self-reported"],
            "cost": [r[3] for r in rows],
            "search_s": [None] * 8,
            "encode_s": [None] * 8,
            "evaluated_queries": [10] * 8,
            "answered_queries": [10] * 7 + [4],  # anon answered 4 of alpha's 10 judged queries
            "judged_queries": [10] * 8,
        }
    )
    return cells, models, datasets


def test_labels_qualify_colliding_names_by_split_and_hash() -> None:
    _, _, datasets = _frames()
    labels = tables.dataset_labels(datasets)
    assert labels["h-a"] == "alpha"
    assert labels["h-c"] == "gamma [h-c]" and labels["h-c2"] == "gamma/dev [h-c2]"


def test_common_mode_averages_only_over_datasets_every_shown_model_has() -> None:
    cells, models, datasets = _frames()
    view = tables.build_overview(cells, models, datasets, tables.Filters())
    assert view.averaged_over == ["alpha"]
    assert set(view.left_out_datasets) == {"beta", "gamma [h-c]"}
    assert view.left_out_datasets["beta"] == ["anon"]
    t = view.table.set_index("Model")
    assert t.at["big", "Mean"] == pytest.approx(0.5) and t.at["big", "Rank"] == 1
    assert t.at["anon", "Datasets"] == "1 of 3"
    assert math.isnan(t.at["small", "gamma [h-c]"])  # missing stays missing
    assert view.empty_datasets == ["gamma/dev [h-c2]"]
    assert ("tuned", "beta") in view.trained  # declared training on "Beta": case-blind match


def test_coverage_is_answered_over_judged_queries_and_partial_cells_are_listed() -> None:
    cells, models, datasets = _frames()
    cells.loc[(cells["model"] == "big") & (cells["dataset_hash"] == "h-b"), ["answered_queries", "judged_queries"]] = (15, 20)
    view = tables.build_overview(cells, models, datasets, tables.Filters())
    t = view.table.set_index("Model")
    assert t.at["big", "Coverage"] == pytest.approx((10 + 15 + 10) / (10 + 20 + 10))  # over the model's shown cells
    assert t.at["anon", "Coverage"] == pytest.approx(0.4) and t.at["small", "Coverage"] == 1.0
    assert view.partial == {("anon", "alpha"): (4, 10), ("big", "beta"): (15, 20)}
    only_gamma = tables.build_overview(cells, models, datasets, tables.Filters(datasets=("h-c",)))
    assert only_gamma.partial == {} and only_gamma.table.set_index("Model").at["big", "Coverage"] == 1.0  # shown datasets only


def test_family_filter_widens_the_common_datasets() -> None:
    cells, models, datasets = _frames()
    view = tables.build_overview(cells, models, datasets, tables.Filters(families=("lexical", "soft-label")))
    assert list(view.table["Model"]) == ["tuned", "small"]
    assert view.averaged_over == ["alpha", "beta"]
    assert view.table.set_index("Model").at["tuned", "Mean"] == pytest.approx((0.45 + 0.9) / 2)


def test_complete_mode_leaves_incomplete_models_without_a_mean() -> None:
    cells, models, datasets = _frames()
    view = tables.build_overview(cells, models, datasets, tables.Filters(average="complete"))
    t = view.table.set_index("Model")
    assert t.at["big", "Mean"] == pytest.approx(0.5) and t.at["big", "Rank"] == 1
    assert pd.isna(t.at["small", "Mean"]) and pd.isna(t.at["small", "Rank"])
    assert view.left_out_models["small"] == ["gamma [h-c]"]
    assert view.table["Model"].iloc[0] == "big"


def test_borda_mode_ranks_every_model_on_what_it_has() -> None:
    """MTEB v2's rule, datasets as voters: a model gets one point per model it beats on each dataset it has (ties share),
    nothing from a dataset it misses; everyone is ranked, the mean is shown only with every dataset, coverage n of N."""
    from bench.evaluation.task_stats import borda

    cells, models, datasets = _frames()
    view = tables.build_overview(cells, models, datasets, tables.Filters(average="borda"))
    t = view.table.set_index("Model")
    # alpha: anon .2 < small .4 < tuned .45 < big .5 -> 0, 1, 2, 3; beta: small .5 < big .7 < tuned .9 -> 0, 1, 2; gamma: big 0
    assert t["Borda"].to_dict() == {"big": 4.0, "tuned": 4.0, "small": 1.0, "anon": 0.0}
    wide = view.table.set_index("Model")[view.dataset_columns]
    assert t["Borda"].to_dict() == borda(wide).to_dict()  # the one Borda of bench.evaluation.task_stats
    assert list(view.table["Model"]) == ["big", "tuned", "small", "anon"]  # a tie shares rank 1; the mean breaks it for display
    assert list(view.table["Rank"]) == [1, 1, 3, 4]
    assert t.at["big", "Mean"] == pytest.approx(0.5) and pd.isna(t.at["tuned", "Mean"]) and pd.isna(t.at["anon", "Mean"])
    assert t.at["anon", "Datasets"] == "1 of 3" and t.at["big", "Datasets"] == "3 of 3"
    assert view.left_out_models == {"small": ["gamma [h-c]"], "tuned": ["gamma [h-c]"], "anon": ["beta", "gamma [h-c]"]}
    assert list(view.table.columns[:7]) == ["Rank", "Model", "Family", "Provenance", "Parameters", "Borda", "Mean"]


def test_zero_shot_hides_trained_cells_and_parameters_filter_models() -> None:
    cells, models, datasets = _frames()
    view = tables.build_overview(cells, models, datasets, tables.Filters(zero_shot_only=True, families=("soft-label", "lexical")))
    t = view.table.set_index("Model")
    assert view.hidden_trained == 1 and pd.isna(t.at["tuned", "beta"])
    assert view.averaged_over == ["alpha"]
    sized = tables.build_overview(cells, models, datasets, tables.Filters(min_parameters=1e7, include_unknown_size=False))
    assert list(sized.table["Model"]) == ["tuned", "big"]  # means over alpha+beta: .675 vs .6
    unknown = tables.build_overview(cells, models, datasets, tables.Filters(min_parameters=1e7))
    assert "anon" in set(unknown.table["Model"])


def test_csv_has_every_column_missing_as_empty_and_the_trained_flags() -> None:
    cells, models, datasets = _frames()
    view = tables.build_overview(cells, models, datasets, tables.Filters())
    back = pd.read_csv(io.BytesIO(view.csv()))
    assert list(back.columns[:8]) == ["Rank", "Model", "Family", "Provenance", "Parameters", "Mean", "Coverage", "Datasets"]
    assert back.set_index("Model").at["tuned", "trained_on"] == "beta"
    assert back.set_index("Model").at["anon", "partial"] == "alpha 4/10" and pd.isna(back.set_index("Model").at["big", "partial"])
    assert pd.isna(back.set_index("Model").at["small", "gamma [h-c]"])


def test_efficiency_points_average_over_shared_datasets_and_mark_the_pareto_front() -> None:
    cells, models, datasets = _frames()
    points, averaged, left_out = tables.efficiency_points(cells, models, datasets, "query latency (ms/query)")
    assert averaged == ["alpha", "beta"]
    assert left_out == {"anon": "no query latency (ms/query) recorded"}
    p = points.set_index("model")
    assert p.at["big", "cost"] == pytest.approx(11.0) and p.at["big", "score"] == pytest.approx(0.6)
    assert p["pareto"].to_dict() == {"big": False, "small": True, "tuned": True}
    by_params, _, _ = tables.efficiency_points(cells, models, datasets, tables.PARAMETERS)
    assert set(by_params["model"]) == {"big", "small", "tuned"}


def test_efficiency_cost_is_the_mean_over_the_runs_that_measured_it() -> None:
    cells, models, datasets = _frames()
    cells.at[4, "cost"] = {}  # small on beta: no latency recorded (e.g. a cached run)
    points, averaged, left_out = tables.efficiency_points(cells, models, datasets, "query latency (ms/query)", ["lexical", "dense"])
    p = points.set_index("model")
    assert averaged == ["alpha", "beta"] and left_out == {"anon": "no query latency (ms/query) recorded"}
    assert p.at["small", "cost"] == pytest.approx(1.0) and p.at["small", "score"] == pytest.approx(0.45)
    throughput, _, why = tables.efficiency_points(cells, models, datasets, "encode throughput (docs/s)")
    assert throughput.empty and set(why) == {"big", "small", "tuned", "anon"}  # nobody recorded encode_docs_per_s


def test_pareto_front_directions() -> None:
    assert tables.pareto_front([1, 2, 3], [0.1, 0.3, 0.2]) == [True, True, False]
    assert tables.pareto_front([1, 2, 3], [0.1, 0.3, 0.2], lower_cost_is_better=False) == [False, True, True]
    assert tables.pareto_front([1, 1], [0.5, 0.5]) == [True, True]  # equal points do not dominate each other


def test_small_helpers() -> None:
    assert tables.metric_choices(["P@10", "R@100", "nDCG@10", "X@3"]) == ["nDCG@10", "R@100", "P@10", "X@3"]
    assert tables.human_count(110_000_000) == "110M" and tables.human_count(None) == "unknown" and tables.human_count(0) == "0"
    assert tables.trained_on(["ms_marco", "nq"], "MS-MARCO") and not tables.trained_on(["nq"], "scifact")


def test_zero_shot_unknown_is_never_taken_for_zero_shot() -> None:
    """Issue 21, class 9: an import whose training data nothing declares is 'unknown', hidden in zero-shot mode."""
    cells, models, datasets = _frames()
    models["metadata"] = [{}, {}, {}, {"imported_from": "mteb", "zero_shot": "unknown"}]
    everything = tables.build_overview(cells, models, datasets, tables.Filters())
    assert "anon" in set(everything.table["Model"]) and everything.hidden_unknown == 0
    view = tables.build_overview(cells, models, datasets, tables.Filters(zero_shot_only=True))
    assert view.hidden_unknown == 1 and view.hidden_trained == 1
    assert "anon" not in set(view.table["Model"])
    assert tables.zero_shot([], models.at[3, "metadata"], "alpha") == "unknown"
    assert tables.zero_shot(["Beta"], {"zero_shot": "unknown"}, "beta") == "no (trained on it)"
    assert tables.zero_shot([], {}, "alpha") == "yes"


def test_reproduces_published_names_the_table_worst_verdict_first() -> None:
    checks = pd.DataFrame(
        {
            "model": ["bm25-flat", "bm25-flat", "minilm"],
            "source": ["pyserini-2cr", "pyserini-2cr", "mteb-results"],
            "row_name": ["bm25-flat", "bm25-flat", "sentence-transformers/all-MiniLM-L6-v2"],
            "dataset": ["scifact", "nfcorpus", "scifact"],
            "split": ["test", "test", "dev"],
            "verdict": ["OK", "FAIL", "OKish"],
        }
    )
    assert tables.reproduces_published(checks) == {
        "bm25-flat": "FAIL vs pyserini-2cr bm25-flat (nfcorpus); OK vs pyserini-2cr bm25-flat (scifact)",
        "minilm": "OKish vs mteb-results sentence-transformers/all-MiniLM-L6-v2 (scifact/dev)",
    }
    assert tables.reproduces_published(checks.iloc[0:0]) == {}


def test_suite_notes_never_show_a_server_path() -> None:
    from bench.store.leaderboard import _no_paths

    note = "adi: the copy at /srv/data/shared/adi (0123456789ab) is not the registered content; see https://x.org/a/b"
    assert _no_paths(note) == "adi: the copy at adi (0123456789ab) is not the registered content; see https://x.org/a/b"
