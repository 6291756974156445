"""Encoder backends (``params.backend``): the packaged all-MiniLM-L6-v2 fp32 and its int8 variant on ADI, recorded in a
real DuckDB file; their cache keys, spec hashes, validation, and the drift `bench compare --drift` reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench.datasets import resolve_dataset
from bench.errors import SpecError
from bench.execute import execute_run
from bench.runners.base import make_runner
from bench.runners.embedding_cache import EmbeddingCache, cache_key
from bench.specs import load_spec
from bench.store.db import open_read_only
from bench.store.drift import run_drift
from tests.clihelp import bench
from tests.conftest import ROOT

FP32 = ROOT / "models" / "all-minilm-l6-v2.yaml"
INT8 = ROOT / "models" / "all-minilm-l6-v2-int8.yaml"
FP32_SPEC_HASH = "845757509b8cbc33565d082066bb4fcd3f3a19db7e1d11e895ff695cc3c81cdf"
"""all-minilm-l6-v2's spec hash before backends existed (commit 4ce8f24): the default backend must not move it."""


@pytest.fixture(scope="module")
def adi_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """fp32 and int8 runs on ADI, recorded in one database: {"db", "fp32": (summary, out, evaluation), "int8": ...}."""
    db = tmp_path_factory.mktemp("backends") / "results.duckdb"
    ds = resolve_dataset("adi")
    runs: dict[str, Any] = {"db": db, "dataset": ds}
    for side, path in (("fp32", FP32), ("int8", INT8)):
        runs[side] = execute_run(load_spec(path), ds, db, spec_path=path)
    return runs


def _cached_vectors(out: Any) -> Any:
    entry = EmbeddingCache().load(out.cost["corpus_cache_key"])
    assert entry is not None, "the run's corpus cache key names an entry in the cache"
    return entry


def test_int8_on_adi_matches_its_expectation_stays_near_fp32_and_changes_vectors(adi_runs: dict[str, Any]) -> None:
    spec = load_spec(INT8)
    ds = adi_runs["dataset"]
    _, out8, ev8 = adi_runs["int8"]
    _, out32, ev32 = adi_runs["fp32"]
    expected = spec.expected_for(ds.content_hash)
    assert expected is not None, "the int8 spec carries expected scores for adi"
    for metric, value in expected.metrics.items():
        assert abs(ev8.aggregate[metric] - value) <= spec.tolerance_for(metric), metric
    fp32_expected = load_spec(FP32).expected_for(ds.content_hash)
    assert fp32_expected is not None
    # the variant's score and the fp32 reference's differ by less than the int8 spec says it does (its expected block)
    assert abs(ev8.aggregate["nDCG@10"] - ev32.aggregate["nDCG@10"]) <= (
        abs(expected.metrics["nDCG@10"] - fp32_expected.metrics["nDCG@10"]) + 2 * spec.tolerance_for("nDCG@10")
    )
    a, b = _cached_vectors(out32).arrays["embeddings"], _cached_vectors(out8).arrays["embeddings"]
    cos = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    assert cos.min() < 1 - 1e-4, "int8 vectors differ from fp32 ones"
    assert cos.min() > 0.5
    assert out8.cost["backend"] == "torch-int8" and out32.cost["backend"] == "torch"
    assert len(out8.cost["backend_artefact_sha256"]) == 64 and out32.cost["backend_artefact_sha256"] is None
    assert out8.cost["backend_version"].startswith("torch ")


def test_cache_keys_differ_per_backend_and_default_keys_do_not_move() -> None:
    fp32, int8 = make_runner(load_spec(FP32)), make_runner(load_spec(INT8))
    for role in ("document", "query"):
        p32, p8 = fp32.encoding_parts(role), int8.encoding_parts(role)
        assert cache_key(p32) != cache_key(p8)
        assert "backend" not in p32, "the default backend adds nothing to the key: existing cache entries stay valid"
        assert p8["backend"] == "torch-int8" and p8["backend_library"]["torch"]


def test_default_backend_keeps_todays_spec_hash() -> None:
    assert load_spec(FP32).spec_hash == FP32_SPEC_HASH
    assert load_spec(INT8).spec_hash != FP32_SPEC_HASH
    assert make_runner(load_spec(FP32)).params.backend == "torch"


def test_variant_of_links_the_base_without_entering_the_spec_hash() -> None:
    spec = load_spec(INT8)
    assert spec.variant_of == "all-minilm-l6-v2"
    assert spec.model_copy(update={"variant_of": None}).spec_hash == spec.spec_hash


def test_unknown_backend_is_refused_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = INT8.read_text().replace("backend: torch-int8", "backend: onnx-fp16")
    bad = tmp_path / "all-minilm-l6-v2-int8.yaml"
    bad.write_text(text)
    line = text.splitlines().index("  backend: onnx-fp16") + 1
    with pytest.raises(SpecError, match=rf"all-minilm-l6-v2-int8\.yaml:{line}: params\.backend"):
        make_runner(load_spec(bad), str(bad))
    r = bench(capsys, "spec", "validate", bad)
    assert r.code != 0 and f"{bad}:{line}: params.backend:" in r.out + r.err and "torch-int8" in r.out + r.err


def test_int8_refuses_a_gpu_device(tmp_path: Path) -> None:
    text = INT8.read_text().replace("  backend: torch-int8", "  device: cuda\n  backend: torch-int8")
    bad = tmp_path / "int8-gpu.yaml"
    bad.write_text(text)
    line = text.splitlines().index("  backend: torch-int8") + 1
    with pytest.raises(SpecError, match=rf"int8-gpu\.yaml:{line}: params\.backend: .*CPU only"):
        make_runner(load_spec(bad), str(bad))


def test_spec_params_lists_the_backend(capsys: pytest.CaptureFixture[str]) -> None:
    r = bench(capsys, "spec", "params", "dense")
    assert r.code == 0
    assert "backend" in r.out and "torch-int8" in r.out


def _tau_b(x: list[int], y: list[int]) -> float:
    """Kendall's tau-b by counting pairs (the textbook definition, no library)."""
    conc = disc = tx = ty = 0
    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            dx, dy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
            if dx and dy:
                conc += dx == dy
                disc += dx != dy
            elif dx:
                tx += 1
            elif dy:
                ty += 1
    denom = np.sqrt((conc + disc + tx) * (conc + disc + ty))
    return float((conc - disc) / denom) if denom else 1.0


def test_drift_equals_a_direct_computation(adi_runs: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    (s32, out32, _), (s8, out8, _) = adi_runs["fp32"], adi_runs["int8"]
    with open_read_only(adi_runs["db"]) as con:
        drift = run_drift(con, s32.run_id, s8.run_id)
    a, b = _cached_vectors(out32), _cached_vectors(out8)
    assert a.ids == b.ids
    va, vb = np.asarray(a.arrays["embeddings"], np.float64), np.asarray(b.arrays["embeddings"], np.float64)
    cos = np.sum(va * vb, axis=1) / (np.linalg.norm(va, axis=1) * np.linalg.norm(vb, axis=1))
    assert drift.vectors is not None, drift.why
    assert drift.vectors.documents == 82
    assert drift.vectors.min == pytest.approx(cos.min())
    assert drift.vectors.p1 == pytest.approx(np.percentile(cos, 1))
    assert drift.vectors.p5 == pytest.approx(np.percentile(cos, 5))
    assert drift.vectors.median == pytest.approx(np.median(cos))
    assert drift.vectors.below_one == int((cos < 1 - 1e-6).sum()) > 0

    overlaps, taus = [], []
    for qid in sorted(out32.run.results):
        ta = [d for d, _ in out32.run.results[qid][:10]]
        tb = [d for d, _ in out8.run.results[qid][:10]]
        overlaps.append(len(set(ta) & set(tb)) / 10)
        union = list(dict.fromkeys(ta + tb))
        taus.append(_tau_b([ta.index(d) if d in ta else 10 for d in union], [tb.index(d) if d in tb else 10 for d in union]))
    assert drift.ranks.queries == len(out32.run.results) == 35
    assert drift.ranks.overlap == pytest.approx(np.mean(overlaps))
    assert drift.ranks.kendall_tau == pytest.approx(np.mean(taus))
    assert drift.ranks.overlap < 1 or drift.ranks.kendall_tau < 1 or drift.vectors.min < 1

    r = bench(capsys, "compare", "all-minilm-l6-v2", "all-minilm-l6-v2-int8", "-d", "adi", "--drift", "--json", "--db", adi_runs["db"])
    assert r.code == 0, r.err
    shown = r.json()["drift"]
    assert shown["vectors"]["min"] == pytest.approx(cos.min()) and shown["ranks"]["overlap"] == pytest.approx(np.mean(overlaps))
    text = bench(capsys, "compare", "all-minilm-l6-v2", "all-minilm-l6-v2-int8", "-d", "adi", "--drift", "--db", adi_runs["db"])
    assert text.code == 0 and "cosine p1 / p5 / median" in text.out and "Kendall tau" in text.out


def test_int8_quantises_every_linear_of_a_splade_model_too() -> None:
    import torch

    from bench.training.student import resolve_spec_weights

    spec = load_spec(ROOT / "models" / "splade-tiny.yaml")
    spec = spec.model_copy(update={"params": {**spec.params, "backend": "torch-int8"}})
    runner = make_runner(spec)
    model = runner.load_model(resolve_spec_weights(spec))
    assert not any(type(m) is torch.nn.Linear for m in model.modules()), "no float Linear layer is left"
    assert sum("quantized" in type(m).__module__ for m in model.modules()) > 0
    assert runner._backend_sha256 is not None and len(runner._backend_sha256) == 64
    runner._model = model
    assert runner.encode(["the cat sat on the mat"], "document").nnz > 0
