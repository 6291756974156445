"""`bench reproduce --fresh` reads no cache; every verdict says how it was made; a FAIL prints the kernels' difference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bench import cache_reads
from bench.kernels import fingerprint, fingerprint_diff, isa_level, measured_on, pinned_env
from bench.store.db import open_read_only
from bench.store.reproductions import latest_verdicts
from tests.clihelp import bench
from tests.conftest import ROOT

FLAT = ROOT / "models" / "bm25-flat.yaml"
MINILM = ROOT / "models" / "all-minilm-l6-v2.yaml"


def _local(tmp_path: Path, source: Path, **entry_changes: object) -> Path:
    data = yaml.safe_load(source.read_text())
    data["name"] = f"local-{data['name']}"
    data["expected"] = [{**e, **entry_changes} for e in data["expected"] if e["dataset"] == "adi"]
    path = tmp_path / source.name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize("source", [FLAT, MINILM], ids=["lucene-index", "embeddings"])
def test_fresh_reads_no_cache_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str], source: Path) -> None:
    spec, db = _local(tmp_path, source), tmp_path / "r.duckdb"
    assert bench(capsys, "reproduce", spec, "--db", db, "--json").code == 0  # fills the caches
    cached = bench(capsys, "reproduce", spec, "--db", db, "--json")
    (row,) = cached.json()
    assert row["fresh"] is False and sum(row["caches_read"].values()) > 0 and row["how"].startswith("cached (")
    before = cache_reads.snapshot()
    fresh = bench(capsys, "reproduce", spec, "--db", db, "--json", "--fresh")
    (frow,) = fresh.json()
    assert fresh.code == 0 and frow["verdict"] == row["verdict"] and frow["how"] == "fresh"
    assert frow["caches_read"] == {} and cache_reads.since(before) == {}  # not one hit of any cache in the fresh re-run
    assert [c["observed"] for c in frow["checks"]] == [c["observed"] for c in row["checks"]]
    with open_read_only(db) as con:
        (latest,) = latest_verdicts(con, f"local-{yaml.safe_load(source.read_text())['name']}").itertuples()
    assert latest.mode == "fresh" and bool(latest.fresh)


def test_a_failed_verdict_prints_what_differs_in_the_kernels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = yaml.safe_load(FLAT.read_text())
    (adi,) = [e for e in data["expected"] if e["dataset"] == "adi"]
    wrong = {**adi["metrics"], "nDCG@10": adi["metrics"]["nDCG@10"] - 0.05}
    spec = _local(tmp_path, FLAT, metrics=wrong, measured_on={"isa_level": "avx512", "cpu_vendor": "ElsewhereCPU"})
    r = bench(capsys, "reproduce", spec, "--no-record")
    assert r.code == 8
    assert "kernels differ from where the expected scores were measured:" in r.out
    assert "cpu_vendor: ElsewhereCPU -> " in r.out.replace("\n", " ")
    ok = _local(tmp_path, FLAT, measured_on={"cpu_vendor": "ElsewhereCPU"})
    r = bench(capsys, "reproduce", ok, "--no-record", "--json")
    assert r.code == 0 and r.json()[0]["note"] is None  # an exact match says nothing about kernels


def test_fingerprint_names_the_cpu_its_isa_level_and_torchs_dispatch() -> None:
    import torch

    fp = fingerprint()
    assert fp["isa_level"] in ("avx2", "avx512") and "avx2" in fp["isa_flags"]
    assert fp["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert fp["quantized_engine"] == torch.backends.quantized.engine and fp["mkl"] and fp["onednn"]
    assert fingerprint_diff(measured_on(fp), fp) == []
    assert fingerprint_diff({"isa_level": "avx512", "pin": None}, {**fp, "isa_level": "avx2"}) == ["isa_level: avx512 -> avx2"]
    assert fingerprint_diff(None, fp) == []
    assert isa_level({"avx2", "avx512f"}) == "avx512" and isa_level({"sse2"}) == "below-avx2" and isa_level(set()) == "unknown"
    env = pinned_env(3, {"PATH": "/bin"})
    assert env["ATEN_CPU_CAPABILITY"] == "avx2" and env["OMP_NUM_THREADS"] == "3" and env["BENCH_KERNELS"] == "avx2"


def test_the_verdict_json_records_the_mode_of_every_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = bench(capsys, "reproduce", _local(tmp_path, FLAT), "--no-record", "--json", "--fresh")
    (row,) = r.json()
    assert {"fresh", "caches_read", "how", "note", "kernels_diff"} <= set(row) and json.dumps(row)
