"""Variants beside their base: the int8 MiniLM and its fp32 base run on ADI into a real database, read back by
`bench variants`, the Efficiency page's variant table and the Compare page's drift numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from bench.datasets import resolve_dataset
from bench.execute import execute_run
from bench.specs import load_spec
from bench.store.db import open_read_only
from bench.store.drift import run_drift
from bench.store.variants import leaderboard_variants
from leaderboard.variants import variant_rows
from tests.clihelp import bench

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "leaderboard" / "app.py"
FP32, INT8 = ROOT / "models" / "all-minilm-l6-v2.yaml", ROOT / "models" / "all-minilm-l6-v2-int8.yaml"


@pytest.fixture(scope="module")
def variant_db(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    db = tmp_path_factory.mktemp("variants") / "results.duckdb"
    ds = resolve_dataset("adi")
    runs = {side: execute_run(load_spec(path), ds, db, spec_path=path) for side, path in (("fp32", FP32), ("int8", INT8))}
    return {"db": db, "dataset": ds, **runs}


def test_variant_rows_put_the_int8_model_beside_its_base(variant_db: dict[str, Any]) -> None:
    with open_read_only(variant_db["db"]) as con:
        rows = variant_rows(leaderboard_variants(con, "nDCG@10"))
    assert len(rows) == 1
    row = rows.iloc[0]
    assert (row["variant"], row["base"], row["datasets"]) == ("all-minilm-l6-v2-int8", "all-minilm-l6-v2", "adi")
    (s32, o32, _), (s8, o8, _) = variant_db["fp32"], variant_db["int8"]
    assert row["Δ score"] == pytest.approx(s8.metrics["nDCG@10"] - s32.metrics["nDCG@10"])
    assert row["max |Δ|"] == pytest.approx(abs(s8.metrics["nDCG@10"] - s32.metrics["nDCG@10"]))
    declared = load_spec(INT8).tolerance["nDCG@10"]
    assert row["declared tolerance"] == declared
    assert row["within tolerance"] == f"{int(row['max |Δ|'] <= declared)} of 1"
    assert row["variant provenance"] == s8.provenance == "reference"
    assert row["speed-up"] == pytest.approx(o8.cost["encode_docs_per_s"] / o32.cost["encode_docs_per_s"])
    assert row["variant ms/query"] == pytest.approx(o8.cost["query_latency_ms"])


def _render(page: str, db: Path, monkeypatch: pytest.MonkeyPatch, **params: str) -> AppTest:
    monkeypatch.setenv("BENCH_DB", str(db))
    at = AppTest.from_file(str(APP), default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_pages_show_the_variant_and_its_drift(variant_db: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    at = _render("views/efficiency.py", variant_db["db"], monkeypatch)
    (table,) = [df.value for df in at.dataframe if "speed-up" in df.value.columns]
    assert list(table["variant"]) == ["all-minilm-l6-v2-int8"] and list(table["base"]) == ["all-minilm-l6-v2"]

    h = variant_db["dataset"].content_hash
    at = _render("views/compare.py", variant_db["db"], monkeypatch, a="all-minilm-l6-v2", b="all-minilm-l6-v2-int8", dataset=h)
    metrics = {m.label: m.value for m in at.metric}
    with open_read_only(variant_db["db"]) as con:
        drift = run_drift(con, variant_db["fp32"][0].run_id, variant_db["int8"][0].run_id)
    assert drift.vectors is not None
    assert metrics["Lowest document cosine"] == f"{drift.vectors.min:.4f}"
    assert metrics["Mean overlap@10"] == f"{drift.ranks.overlap:.3f}"


def test_bench_variants_gives_the_drift_per_dataset_against_the_declared_tolerance(
    variant_db: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    (s32, o32, _), (s8, o8, _) = variant_db["fp32"], variant_db["int8"]
    r = bench(capsys, "variants", "all-minilm-l6-v2", "--suite", "classic-7", "--json", "--db", variant_db["db"])
    assert r.code == 0, r.err
    (v,) = r.json()["variants"]
    assert (v["variant"], v["base"], v["metric"]) == ("all-minilm-l6-v2-int8", "all-minilm-l6-v2", "nDCG@10")
    (d,) = v["datasets"]  # of the suite's seven members only ADI was run
    assert (d["dataset"], d["dataset_hash"]) == ("adi", variant_db["dataset"].content_hash)
    assert d["drift"] == pytest.approx(s8.metrics["nDCG@10"] - s32.metrics["nDCG@10"])
    assert v["tolerance"] == load_spec(INT8).tolerance["nDCG@10"]
    assert d["within_tolerance"] == (abs(d["drift"]) <= v["tolerance"])
    assert v["speedup"] == pytest.approx(o8.cost["encode_docs_per_s"] / o32.cost["encode_docs_per_s"])
    assert v["variant_ms_per_query"] == pytest.approx(o8.cost["query_latency_ms"])
    assert (d["variant_provenance"], d["base_provenance"]) == (s8.provenance, s32.provenance) == ("reference", "reference")

    r = bench(capsys, "variants", "all-minilm-l6-v2", "-d", "adi", "--metric", "R@100", "--db", variant_db["db"])
    assert r.code == 0, r.err
    assert "all-minilm-l6-v2-int8 against all-minilm-l6-v2" in r.out
    drift = s8.metrics["R@100"] - s32.metrics["R@100"]
    assert f"{drift:+.4f}" in r.out and f"max |drift| {abs(drift):.4f} over 1 datasets" in r.out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["all-minilm-l6-v2-int9"], "Did you mean"),  # an unknown model: close names offered
        (["all-minilm-l6-v2-int8"], "no recorded variant of all-minilm-l6-v2-int8"),  # a model without variants
        (["all-minilm-l6-v2", "-d", "adi", "--suite", "classic-7"], "give -d or --suite, not both"),
        (["all-minilm-l6-v2", "--suite", "no-such-suite"], "no-such-suite"),
        (["all-minilm-l6-v2", "-d", "cisi"], "cisi"),  # a dataset nobody ran here
    ],
)
def test_bench_variants_refuses_bad_input_in_one_line(
    variant_db: dict[str, Any], capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    r = bench(capsys, "variants", *args, "--db", variant_db["db"])
    assert r.code != 0 and says in r.err, r.err
    assert "Traceback" not in r.err and len(r.err.strip().splitlines()) <= 2, r.err
