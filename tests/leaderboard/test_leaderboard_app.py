"""Every page of the leaderboard, through streamlit.testing.v1.AppTest, against a database built by real runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from clihelp import bench
from lbdb import HOSTILE, PENDING, PUBLISHED_REF, TOP_ROW, Built
from streamlit.testing.v1 import AppTest

from bench.datasets import resolve_dataset
from bench.evaluation import evaluate
from bench.evaluation.stats import compare
from bench.execute import record, run_record
from bench.identity import LOCAL, synthetic_identity
from bench.store.db import open_read_only
from bench.store.leaderboard import leaderboard_cells, leaderboard_datasets
from bench.store.models import ModelRow
from bench.store.runs import query_metrics
from bench.types import Run, Timings

App = Callable[..., AppTest]
MARKDOWN_ELEMENTS = ("markdown", "caption", "title", "header", "subheader", "warning", "info", "error", "success")


def _widget(at: AppTest, kind: str, label: str):  # AppTest's widget classes are internal
    found = [w for w in getattr(at, kind) if w.label == label]
    assert found, f"no {kind} labelled {label!r}; have {[w.label for w in getattr(at, kind)]}"
    return found[0]


def _table(at: AppTest, *columns: str) -> pd.DataFrame:
    for df in at.dataframe:
        if set(columns) <= set(df.value.columns):
            return df.value
    raise AssertionError(f"no dataframe with columns {columns}")


def _markdown_texts(at: AppTest) -> list[str]:
    return [str(e.value) for kind in MARKDOWN_ELEMENTS for e in getattr(at, kind)]


def _everything(at: AppTest) -> str:
    """All text an AppTest tree shows: Markdown, plain text, dataframes, widget options."""
    parts = _markdown_texts(at) + [str(t.value) for t in at.text] + [str(c.value) for c in at.code]
    parts += [df.value.to_csv() for df in at.dataframe]
    for kind in ("selectbox", "multiselect"):
        parts += [" ".join(map(str, w.options)) for w in getattr(at, kind)]
    return "\n".join(parts)


def _cell(db: Path, model: str, dataset: str, metric: str = "nDCG@10") -> float:
    with open_read_only(db) as con:
        cells = leaderboard_cells(con, metric)
        hashes = leaderboard_datasets(con).set_index("name")["dataset_hash"]
    row = cells[(cells["model"] == model) & (cells["dataset_hash"] == hashes[dataset])]
    return float(row["value"].iloc[0])


# ------------------------------------------------------------------------------------------- overview
def test_overview_is_ranked_by_borda_by_default_with_coverage(app: App) -> None:
    """Issue 20: a model that misses a dataset no longer empties the ranking: everyone is ranked by Borda count over
    the datasets it has (task_stats.borda), coverage n of N beside it; the mean only for models with every dataset."""
    from bench.evaluation.task_stats import borda

    at = app()
    table = _table(at, "Rank", "Model", "Borda", "Mean")
    t = table.set_index("Model")
    assert t["Rank"].notna().all() and list(table["Rank"]) == sorted(table["Rank"])
    assert t["Borda"].to_dict() == borda(t[["adi", "med", "time"]]).to_dict()
    assert t.at["bm25-tuned-med", "Datasets"] == "2 of 3" and t.at[HOSTILE, "Datasets"] == "2 of 3"
    assert pd.isna(t.at["bm25-tuned-med", "Mean"]) and t.at["bm25-flat", "Mean"] == pytest.approx(
        t.loc["bm25-flat", ["adi", "med", "time"]].mean()
    )
    captions = " ".join(c.value for c in at.caption)
    assert "ranked by Borda count" in captions and "over 0 of" not in captions
    assert _table(at, "model", "missing").set_index("model")["missing"].to_dict() == {"bm25-tuned-med": "time", HOSTILE: "med"}


def test_overview_shows_every_public_model_with_a_fair_mean(app: App, leaderboard_db: Built) -> None:
    at = app()
    _widget(at, "radio", "Rank by").set_value("common").run()
    table = _table(at, "Rank", "Model", "Mean")
    assert set(table["Model"]) == {"bm25-flat", "bm25-multifield", "bm25-tuned-med", HOSTILE}
    assert [c for c in table.columns if c in ("adi", "med", "time")] == ["adi", "med", "time"]
    t = table.set_index("Model")
    # the tuned model lacks time and the self-reported one lacks med: the mean runs over adi alone
    assert t["Mean"].to_dict() == pytest.approx(t["adi"].to_dict())
    assert t.at["bm25-flat", "adi"] == pytest.approx(_cell(leaderboard_db.db, "bm25-flat", "adi"))
    assert t.at["bm25-flat", "Datasets"] == "3 of 3" and t.at[HOSTILE, "Datasets"] == "2 of 3"
    assert t.at["bm25-flat", "Coverage"] == 1.0 and t.at[HOSTILE, "Coverage"] == 1.0  # every judged query answered
    assert pd.isna(t.at[HOSTILE, "med"]) and pd.isna(t.at["bm25-tuned-med", "time"])
    assert list(table["Rank"]) == sorted(table["Rank"])
    assert t.at["bm25-flat", "Provenance"] == "reference, reproduced"
    assert "Mean and rank over 1 of 3 datasets: adi" in " ".join(c.value for c in at.caption)
    left_out = _table(at, "dataset", "missing for").set_index("dataset")["missing for"].to_dict()
    assert left_out == {"med": HOSTILE, "time": "bm25-tuned-med"}
    assert [b.label for b in at.get("download_button")] == ["Download CSV"]


def test_overview_metric_and_dataset_filters(app: App, leaderboard_db: Built) -> None:
    at = app()
    _widget(at, "radio", "Rank by").set_value("common").run()
    _widget(at, "selectbox", "Metric").set_value("R@100").run()
    t = _table(at, "Model", "Mean").set_index("Model")
    assert t.at["bm25-multifield", "time"] == pytest.approx(_cell(leaderboard_db.db, "bm25-multifield", "time", "R@100"))
    datasets = _widget(at, "multiselect", "Datasets")
    with open_read_only(leaderboard_db.db) as con:
        hashes = leaderboard_datasets(con).set_index("name")["dataset_hash"]
    datasets.set_value([hashes["med"], hashes["time"]]).run()
    t = _table(at, "Model", "Mean").set_index("Model")
    assert [c for c in t.columns if c in ("adi", "med", "time")] == ["med", "time"]
    assert set(t.index) == {"bm25-flat", "bm25-multifield", "bm25-tuned-med", HOSTILE}
    assert t["Mean"].isna().all()  # no dataset among med, time is shared by all four
    assert any("No dataset is shared by every shown model" in w.value for w in at.warning)


def test_overview_family_and_provenance_filters(app: App) -> None:
    at = app()
    _widget(at, "radio", "Rank by").set_value("common").run()
    _widget(at, "multiselect", "Family").set_value(["lexical"]).run()
    t = _table(at, "Model", "Mean").set_index("Model")
    assert HOSTILE not in t.index
    assert t.at["bm25-flat", "Mean"] == pytest.approx((t.at["bm25-flat", "adi"] + t.at["bm25-flat", "med"]) / 2)  # adi+med now shared
    _widget(at, "multiselect", "Family").set_value(["dense"]).run()
    _widget(at, "multiselect", "Provenance").set_value(["local"]).run()
    assert list(_table(at, "Model", "Mean")["Model"]) == [HOSTILE]
    _widget(at, "multiselect", "Family").set_value(["lexical", "dense"]).run()
    _widget(at, "multiselect", "Provenance").set_value(["reproduced"]).run()
    t = _table(at, "Model", "Mean").set_index("Model")
    assert list(t.index) == ["bm25-flat"] and t.at["bm25-flat", "Datasets"] == "1 of 1"


def test_overview_suite_selector_restricts_columns_to_the_suite(app: App) -> None:
    """classic-7 from bench/suites/suites.yaml: its seven members as columns (4 not recorded here), no suite mean for a
    model without all seven, "n of 7" and the missing members named; beir-18's CQADupStack is one member of 18."""
    at = app()
    _widget(at, "selectbox", "Suite").set_value("classic-7").run()
    assert not at.exception, [e.value for e in at.exception]
    t = _table(at, "Model", "Suite mean", "Members", "Missing").set_index("Model")
    assert list(t.columns[t.columns.get_loc("Missing") + 1 :]) == ["adi", "time", "med", "cisi", "cranfield", "cacm", "npl"]
    assert "Borda" not in t.columns and t["Suite mean"].isna().all()
    assert t.at["bm25-flat", "Members"] == "3 of 7" and t.at["bm25-flat", "Missing"] == "cisi, cranfield, cacm, npl"
    assert t.at["bm25-tuned-med", "Members"] == "2 of 7" and t.at["bm25-tuned-med", "Missing"].startswith("time, ")
    assert any("0 of 4 model(s) have every member of classic" in c.value for c in at.caption)
    _widget(at, "selectbox", "Suite").set_value("beir-18").run()
    assert any("18 members (29 datasets and tasks: a nested suite counts once" in c.value for c in at.caption)
    _widget(at, "selectbox", "Suite").set_value("").run()
    assert "Borda" in _table(at, "Model", "Borda").columns  # back to every dataset


def test_overview_suite_mean_only_with_every_member_and_a_nested_suite_once(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench.suites import registry

    yaml_file = tmp_path / "suites.yaml"
    yaml_file.write_text(
        "suites:\n"
        "  - {name: lb-three, title: three, metric: nDCG@10, source: test, members: [adi, time, med]}\n"
        "  - {name: lb-nested, title: nested, metric: nDCG@10, source: test, members: [{suite: lb-three}, cranfield]}\n"
    )
    monkeypatch.setattr(registry, "SUITES_FILE", yaml_file)
    registry._raw.cache_clear()
    registry.get_suite.cache_clear()
    try:
        at = app()
        _widget(at, "selectbox", "Suite").set_value("lb-three").run()
        t = _table(at, "Model", "Suite mean").set_index("Model")
        assert t.at["bm25-flat", "Suite mean"] == pytest.approx(t.loc["bm25-flat", ["adi", "time", "med"]].mean())
        assert t.at["bm25-flat", "Rank"] in (1, 2) and t.at["bm25-flat", "Members"] == "3 of 3"
        assert pd.isna(t.at["bm25-tuned-med", "Suite mean"]) and pd.isna(t.at["bm25-tuned-med", "Rank"])
        assert t.at["bm25-tuned-med", "Members"] == "2 of 3" and t.at["bm25-tuned-med", "Missing"] == "time"
        three = t["Suite mean"].to_dict()
        _widget(at, "selectbox", "Suite").set_value("lb-nested").run()
        n = _table(at, "Model", "Suite mean").set_index("Model")
        assert list(n.columns[n.columns.get_loc("Missing") + 1 :]) == ["lb-three", "cranfield"]  # the nested suite is one column
        assert n.at["bm25-flat", "lb-three"] == pytest.approx(three["bm25-flat"])
        assert n.at["bm25-flat", "Members"] == "1 of 2" and n.at["bm25-flat", "Missing"] == "cranfield"
        assert n.at["bm25-tuned-med", "Missing"] == "lb-three, cranfield" and n["Suite mean"].isna().all()
    finally:
        registry._raw.cache_clear()
        registry.get_suite.cache_clear()


def test_overview_published_rows_apart_and_the_reproduces_published_column(app: App, leaderboard_db: Built) -> None:
    """Published rows (lbdb: a test table's bm25-flat and top-of-the-table rows on adi) sit in their own table with the
    badge, table and source; the 0.9999 row never enters the measured table, its Borda count or its mean. bm25-flat's
    recorded check against its published row shows as OK in the Reproduces published column."""
    from bench.evaluation.task_stats import borda

    at = app()
    published = [df.value for df in at.dataframe if "Badge" in df.value.columns]
    assert len(published) == 1, [df.value.columns for df in at.dataframe]
    rows = published[0]
    assert list(rows["Row"]) == ["bm25-flat", TOP_ROW] and set(rows["Badge"]) == {"published"}
    assert set(rows["Source"]) == {PUBLISHED_REF} and set(rows["Table"]) == {"lbdb-table"}
    assert list(rows.set_index("Row")["adi"]) == [pytest.approx(round(_cell(leaderboard_db.db, "bm25-flat", "adi"), 4)), 0.9999]
    assert any("1 published nDCG@10 number(s) are on datasets not shown" in c.value for c in at.caption)
    t = _table(at, "Model", "Borda", "Reproduces published").set_index("Model")
    assert TOP_ROW not in t.index and "lbdb-table" not in " ".join(t.index)
    assert t["Borda"].to_dict() == borda(t[["adi", "med", "time"]]).to_dict()  # over measured cells only
    assert t.at["bm25-flat", "Mean"] == pytest.approx(t.loc["bm25-flat", ["adi", "med", "time"]].mean())
    assert t.at["bm25-flat", "Reproduces published"] == "OK vs lbdb-table bm25-flat (adi)"
    assert set(t.drop(index="bm25-flat")["Reproduces published"]) == {"—"}
    _widget(at, "selectbox", "Suite").set_value("classic-7").run()
    s = _table(at, "Model", "Suite mean", "Reproduces published").set_index("Model")
    assert s.at["bm25-flat", "Reproduces published"] == "OK vs lbdb-table bm25-flat (adi)" and TOP_ROW not in s.index
    assert any("Badge" in x.value.columns for x in at.dataframe)  # the published rows under the suite's columns too


def test_overview_zero_shot_parameters_and_average_mode(app: App) -> None:
    at = app()
    assert any("trained on that dataset" in c.value for c in at.caption)
    _widget(at, "toggle", "Zero-shot only").set_value(True).run()
    t = _table(at, "Model", "Mean").set_index("Model")
    assert pd.isna(t.at["bm25-tuned-med", "med"]) and t.at["bm25-tuned-med", "Datasets"] == "1 of 3"
    assert any("1 cell(s) hidden" in i.value for i in at.info)
    _widget(at, "toggle", "Zero-shot only").set_value(False).run()

    _widget(at, "select_slider", "Parameters").set_value((1e6, float("inf"))).run()
    assert list(_table(at, "Model", "Mean")["Model"]) == [HOSTILE]  # BM25 has 0 parameters; the submission's size is unknown
    _widget(at, "checkbox", "Include models of unknown size").uncheck().run()
    assert any("No model matches" in w.value for w in at.warning)
    _widget(at, "select_slider", "Parameters").set_value((0.0, float("inf"))).run()
    _widget(at, "checkbox", "Include models of unknown size").check().run()

    _widget(at, "radio", "Rank by").set_value("complete").run()
    t = _table(at, "Model", "Mean").set_index("Model")
    assert pd.isna(t.at["bm25-tuned-med", "Mean"]) and pd.isna(t.at[HOSTILE, "Mean"])
    assert t.at["bm25-flat", "Mean"] == pytest.approx(t.loc["bm25-flat", ["adi", "med", "time"]].mean())
    missing = _table(at, "model", "missing").set_index("model")["missing"].to_dict()
    assert missing == {"bm25-tuned-med": "time", HOSTILE: "med"}


def test_untrusted_names_never_become_markdown_and_pending_never_shows(app: App) -> None:
    for page in (None, "views/dataset.py", "views/efficiency.py", "views/compare.py"):
        at = app(page)
        assert PENDING not in _everything(at)
        for text in _markdown_texts(at):
            assert "evil.example" not in text, f"an untrusted string reached Markdown: {text!r}"
    at = app("views/model.py", model=HOSTILE)
    assert HOSTILE in [t.value for t in at.text]  # shown, as plain text
    assert all("evil.example" not in t for t in _markdown_texts(at))


def test_missing_database_is_an_error_box_not_a_traceback(app: App, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BENCH_DB", str(tmp_path / "none.duckdb"))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "leaderboard" / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert any("no results database here" in e.value and "bench run" in e.value for e in at.error)


def test_cli_refuses_a_missing_database(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    r = bench(capsys, "leaderboard", "--db", tmp_path / "none.duckdb", "--port", "8765")
    assert r.code == 5
    assert "no results database here" in r.err


# ------------------------------------------------------------------------------------------- dataset
def test_dataset_page_ranks_with_cis_and_corrected_significance(app: App, leaderboard_db: Built) -> None:
    with open_read_only(leaderboard_db.db) as con:
        med = leaderboard_datasets(con).set_index("name").at["med", "dataset_hash"]
    at = app("views/dataset.py", dataset="med")
    assert _widget(at, "selectbox", "Dataset").value == med
    assert _widget(at, "selectbox", "Baseline").value == "bm25-flat"
    card = _table(at, "field", "value").set_index("field")["value"]
    assert card["documents"] == "1033" and card["content hash (corpus + queries + qrels)"] == med
    table = _table(at, "Rank", "Model", "95% CI").set_index("Model")
    assert set(table.index) == {"bm25-flat", "bm25-multifield", "bm25-tuned-med"}  # the submission has no med run
    assert table.at["bm25-flat", "Significant"] == "baseline"
    # MED has no titles: multifield ranks exactly like flat, so the paired test must find nothing
    assert table.at["bm25-multifield", "p"] == 1.0 and table.at["bm25-multifield", "W/T/L"] == "0/30/0"
    assert table.at["bm25-tuned-med", "Zero-shot"] == "no (trained on it)"
    lo, hi = (float(x) for x in table.at["bm25-flat", "95% CI"].strip("[]").split(","))
    assert lo <= table.at["bm25-flat", "nDCG@10"] <= hi
    # the page's p-value is the stats module's, on the stored per-query values
    with open_read_only(leaderboard_db.db) as con:
        tuned = query_metrics(con, leaderboard_db.run_ids[("bm25-tuned-med", "med")], "nDCG@10")
        flat = query_metrics(con, leaderboard_db.run_ids[("bm25-flat", "med")], "nDCG@10")
    assert table.at["bm25-tuned-med", "p"] == pytest.approx(compare(tuned, flat).p_value)
    holm = table.at["bm25-tuned-med", "p (holm)"]
    _widget(at, "radio", "Correction").set_value("bonferroni").run()
    table = _table(at, "Rank", "Model", "95% CI").set_index("Model")
    assert table.at["bm25-tuned-med", "p (bonferroni)"] == pytest.approx(min(1.0, 2 * table.at["bm25-tuned-med", "p"]))
    assert table.at["bm25-tuned-med", "p (bonferroni)"] >= holm


# ------------------------------------------------------------------------------------------- model
def test_model_page_spec_environment_cost_and_history(app: App, leaderboard_db: Built) -> None:
    at = app("views/model.py", model="bm25-flat")
    assert _widget(at, "selectbox", "Model").value == "bm25-flat"
    history = _table(at, "finished", "dataset", "provenance", "run")
    assert len(history) == 4 and sorted(history["provenance"]) == ["reference"] * 3 + ["reproduced"]
    spread = _table(at, "dataset", "runs", "nDCG@10 spread (max - min)").set_index("dataset")
    assert spread.at["adi", "runs"] == 2 and spread.at["adi", "nDCG@10 spread (max - min)"] == 0.0  # BM25 reproduces exactly
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["query latency (ms/query)"]) > 0 and float(metrics["index size (MB)"]) > 0
    assert metrics["thinking tokens per query"] == "—"
    spec = next(j for j in at.json if '"kind": "lucene-bm25"' in j.value)
    assert '"k1": 0.9' in spec.value
    assert any('"packages"' in j.value for j in at.json)  # the environment fingerprint
    assert any("no weights" in c.value for c in at.code)


def test_model_page_shows_training_card_and_sample_thoughts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The places kept for later runner families render what they record (as text)."""
    db = tmp_path / "results.duckdb"
    ds = resolve_dataset("adi")
    run = Run.from_scores({q: {d: float(r) for d, r in docs.items()} for q, docs in ds.qrels().items()}, tag="r")
    card = {"teacher": "cross-encoder-x", "negatives": "adaptive margin", "note": "[x](https://evil.example)"}
    record(
        db,
        run_record(
            model=ModelRow("reasoner", "reasoning", "reasoning-embedder", parameters=135_000_000, metadata={"training_card": card}),
            dataset=ds,
            stats=ds.validate(),
            run=run,
            evaluation=evaluate(run, ds.qrels()),
            timings=Timings(encode_s=2.0, total_s=3.0),
            started_at=datetime.now(UTC).replace(tzinfo=None),
            writer=LOCAL,
            spec_hash=synthetic_identity("reasoner", "reasoning", "test"),
            cost={
                "encode_docs_per_s": 41.0,
                "thinking_tokens": 3500,
                "sample_thoughts": [{"qid": "1", "thought": "The user wants *bold* [x](https://evil.example)"}],
            },
        ),
    )
    monkeypatch.setenv("BENCH_DB", str(db))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "leaderboard" / "app.py"), default_timeout=60)
    at.query_params["model"] = "reasoner"
    at.switch_page("views/model.py")
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["thinking tokens per query"] == f"{3500 / 35:,.2f}"
    assert metrics["encode throughput (docs/s)"] == "41.00"
    assert any('"teacher": "cross-encoder-x"' in j.value for j in at.json)
    thoughts = _table(at, "qid", "thought")
    assert thoughts.iloc[0]["thought"].startswith("The user wants *bold*")
    assert all("evil.example" not in t for t in _markdown_texts(at))


# ------------------------------------------------------------------------------------------- compare
def test_compare_page_query_by_query(app: App, leaderboard_db: Built) -> None:
    at = app("views/compare.py", a="bm25-flat", b="bm25-multifield", dataset="none-such")
    assert _widget(at, "selectbox", "Model A").value == "bm25-flat"
    assert _widget(at, "selectbox", "Model B").value == "bm25-multifield"
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["A nDCG@10"]) == pytest.approx(_cell(leaderboard_db.db, "bm25-flat", "adi"), abs=5e-5)
    wins, ties, losses = (int(x) for x in metrics["A wins / ties / B wins"].split(" / "))
    assert wins + ties + losses == int(metrics["Queries"]) == 35
    largest = _table(at, "qid", "query", "A", "B")
    assert 0 < len(largest) <= 10
    assert list(largest["Δ (A − B)"].abs()) == sorted(largest["Δ (A − B)"].abs(), reverse=True)
    assert all(largest["query"].str.len() > 0)  # query texts from the dataset folder
    side = [df.value for df in at.dataframe if {"rank", "docid", "relevance", "title"} <= set(df.value.columns)]
    assert len(side) == 2 and all(len(s) == 10 for s in side)
    qid = _widget(at, "selectbox", "Query").value
    judged = resolve_dataset("adi").qrels()[qid]
    for s in side:
        assert s["relevance"].tolist() == [judged.get(d, 0) for d in s["docid"]]
    # switching the dataset re-pairs the same two models there
    with open_read_only(leaderboard_db.db) as con:
        time_hash = leaderboard_datasets(con).set_index("name").at["time", "dataset_hash"]
    _widget(at, "selectbox", "Dataset").set_value(time_hash).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Queries"]) == 83
    assert float(metrics["A nDCG@10"]) == pytest.approx(_cell(leaderboard_db.db, "bm25-flat", "time"), abs=5e-5)


def test_compare_page_identical_runs_have_no_differences(app: App, leaderboard_db: Built) -> None:
    with open_read_only(leaderboard_db.db) as con:
        med = leaderboard_datasets(con).set_index("name").at["med", "dataset_hash"]
    at = app("views/compare.py", a="bm25-multifield", b="bm25-flat", dataset=med)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["A wins / ties / B wins"] == "0 / 30 / 0" and metrics["p (randomization)"] == "1.0000"
    assert any("score every query the same" in c.value for c in at.caption)


# ------------------------------------------------------------------------------------------- efficiency
def test_efficiency_page_points_and_pareto_front(app: App) -> None:
    at = app("views/efficiency.py")
    points = _table(at, "model", "family", "on Pareto front")
    assert set(points["model"]) == {"bm25-flat", "bm25-multifield", "bm25-tuned-med"}
    assert points["on Pareto front"].any()
    why = _table(at, "model", "why").set_index("model")["why"].to_dict()
    assert why == {HOSTILE: "no query latency (ms/query) recorded"}
    assert any("adi, med" in c.value for c in at.caption)  # the datasets all three share
    _widget(at, "selectbox", "Cost").set_value("index size (MB)").run()
    points = _table(at, "model", "family", "on Pareto front").set_index("model")
    assert (points["index size (MB)"] > 0).all()
    _widget(at, "selectbox", "Cost").set_value("parameters").run()
    assert any("zero cost are not drawn" in c.value for c in at.caption)  # BM25: 0 parameters on a log axis


def test_no_legacy_pages_folder_beside_the_app() -> None:
    """A folder named pages/ next to app.py switches Streamlit to its legacy multipage mode, which runs a page without
    app.py first (AppTest always does): the navigation and the setup are lost. Pages live in leaderboard/views/."""
    app_dir = Path(__file__).resolve().parents[2] / "leaderboard"
    assert not (app_dir / "pages").exists(), "move leaderboard/pages/*.py to leaderboard/views/ and list them in app.py's PAGES"
    views = {p.name for p in (app_dir / "views").glob("*.py")}
    assert {"overview.py", "dataset.py", "model.py", "compare.py", "efficiency.py"} <= views


# ------------------------------------------------------------------------------------------- server paths
def _all_text(at: AppTest) -> str:
    """Every text an AppTest tree renders (main area and sidebar): what `_everything` reads plus JSON and metrics."""
    parts = [_everything(at)] + [str(j.value) for j in at.json] + [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(parts)


def test_no_page_shows_a_server_path(app: App, leaderboard_db: Built, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A deployed leaderboard shows names and hashes: neither the database's path nor a dataset's folder, on any page."""
    folders = {str(resolve_dataset(n).path.resolve()) for n in ("adi", "time", "med")}
    hidden = {str(leaderboard_db.db), str(leaderboard_db.db.resolve()), str(leaderboard_db.db.parent.resolve()), *folders}
    pages = [(None, {}), ("views/dataset.py", {"dataset": "adi"}), ("views/model.py", {"model": "bm25-flat"})]
    pages += [("views/compare.py", {"a": "bm25-flat", "b": "bm25-multifield"}), ("views/efficiency.py", {}), ("views/submit.py", {})]
    for page, params in pages:
        text = _all_text(app(page, **params))
        assert "adi" in text or page == "views/submit.py"  # the page rendered something to search
        for path in hidden:
            assert path not in text, f"{page or 'overview'} shows the server path {path}"
    # a store error names the database file, not where it lives
    missing = tmp_path / "gone" / "none.duckdb"
    monkeypatch.setenv("BENCH_DB", str(missing))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "leaderboard" / "app.py"), default_timeout=60).run()
    errors = [e.value.replace("\\", "") for e in at.error]  # the Markdown escapes removed
    assert errors and all("none.duckdb: no results database here" in e and str(missing.parent) not in e for e in errors)
