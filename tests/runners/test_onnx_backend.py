"""The ``onnx`` backend (issue 22, part 1): the packaged all-MiniLM-L6-v2 exported with torch.onnx.export and run by
ONNX Runtime gives the torch fp32 vectors and rankings on real collections; its export cache refuses a damaged file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench.datasets import resolve_dataset
from bench.errors import SpecError
from bench.execute import execute_run
from bench.provenance import file_sha256
from bench.runners import onnx_backend
from bench.runners.base import Progress, make_runner
from bench.runners.embedding_cache import EmbeddingCache, cache_key
from bench.runners.executors import LocalExecutor
from bench.specs import load_spec
from bench.training.student import resolve_spec_weights
from tests.clihelp import bench
from tests.conftest import ROOT

FP32 = ROOT / "models" / "all-minilm-l6-v2.yaml"
ONNX = ROOT / "models" / "all-minilm-l6-v2-onnx.yaml"
MIN_COSINE = 0.99999


@pytest.fixture(scope="module")
def adi_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """fp32 (torch) and onnx runs on ADI, recorded in one database."""
    db = tmp_path_factory.mktemp("onnx") / "results.duckdb"
    ds = resolve_dataset("adi")
    return {
        "dataset": ds,
        **{side: execute_run(load_spec(path), ds, db, spec_path=path) for side, path in (("fp32", FP32), ("onnx", ONNX))},
    }


def _entry(key: str) -> Any:
    entry = EmbeddingCache().load(key)
    assert entry is not None
    return entry


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_onnx_on_adi_gives_the_torch_vectors_and_ndcg(adi_runs: dict[str, Any]) -> None:
    (_, out32, ev32), (_, outx, evx) = adi_runs["fp32"], adi_runs["onnx"]
    a, b = _entry(out32.cost["corpus_cache_key"]), _entry(outx.cost["corpus_cache_key"])
    assert a.path != b.path and a.ids == b.ids  # two entries: the backend is part of the key
    assert _cosines(a.arrays["embeddings"], b.arrays["embeddings"]).min() >= MIN_COSINE
    assert abs(ev32.aggregate["nDCG@10"] - evx.aggregate["nDCG@10"]) <= 1e-4
    expected = load_spec(ONNX).expected_for(adi_runs["dataset"].content_hash)
    assert expected is not None and abs(evx.aggregate["nDCG@10"] - expected.metrics["nDCG@10"]) <= 1e-4
    assert outx.cost["backend"] == "onnx" and outx.cost["backend_version"].startswith("onnxruntime ")
    assert len(outx.cost["backend_artefact_sha256"]) == 64


def test_onnx_matches_torch_per_text_on_med_documents_and_npl_queries() -> None:
    """Long texts (MED abstracts, truncated at 256 tokens) and short ones (NPL queries) in mixed-length batches."""
    med = [json.loads(line) for line in (resolve_dataset("med").path / "corpus.jsonl").read_text().splitlines()[:64]]
    npl = [json.loads(line)["text"] for line in (resolve_dataset("npl").path / "queries.jsonl").read_text().splitlines()[:64]]
    docs = [(d.get("title", "") + " " + d["text"]).strip() for d in med]
    runners = {side: make_runner(load_spec(path), str(path)) for side, path in (("fp32", FP32), ("onnx", ONNX))}
    for texts, role in ((docs, "document"), (npl, "query")):
        (a, _), (b, _) = (r.embed_texts(texts, role, Progress()) for r in runners.values())
        cos = _cosines(a.arrays["embeddings"], b.arrays["embeddings"])
        assert cos.min() >= MIN_COSINE, (role, float(cos.min()))


def test_the_session_computes_with_the_runs_threads() -> None:
    runner = make_runner(load_spec(ONNX), str(ONNX))
    runner.executor = LocalExecutor(threads=1)
    model = runner.load_model(resolve_spec_weights(runner.spec))
    assert model[0].onnx_session.get_session_options().intra_op_num_threads == 1


def test_the_export_cache_refuses_a_damaged_file_and_exports_again(tmp_path: Path) -> None:
    runner = make_runner(load_spec(ONNX), str(ONNX))
    weights = resolve_spec_weights(runner.spec)
    model = runner.model_class()(str(weights.path), device="cpu", local_files_only=True)
    cache = EmbeddingCache(tmp_path / "onnx", kind="onnx-export")
    path, sha, inputs = onnx_backend.exported(model, weights.files_sha256, cache)
    assert inputs == ["input_ids", "attention_mask", "token_type_ids"] and file_sha256(path) == sha
    key = onnx_backend.export_key(weights.files_sha256, inputs)
    assert path.parent == cache.path(key)
    for damage in ("flip", "truncate"):
        data = bytearray(path.read_bytes())
        if damage == "flip":
            data[len(data) // 2] ^= 0xFF
        else:
            del data[len(data) // 3 :]
        path.write_bytes(bytes(data))
        assert cache.load(key) is None, f"a {damage}ped file is a miss"
        again, sha_again, _ = onnx_backend.exported(model, weights.files_sha256, cache)
        assert sha_again == sha == file_sha256(again), "exported again, bit for bit the same file (content-addressed)"


def test_onnx_keys_differ_and_the_spec_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fp32, onnx = make_runner(load_spec(FP32)), make_runner(load_spec(ONNX))
    for role in ("document", "query"):
        p32, px = fp32.encoding_parts(role), onnx.encoding_parts(role)
        assert cache_key(p32) != cache_key(px) and px["backend"] == "onnx"
        assert set(px["backend_library"]) == {"torch", "onnx", "onnxruntime"}
    spec = load_spec(ONNX)
    assert spec.variant_of == "all-minilm-l6-v2" and spec.spec_hash != load_spec(FP32).spec_hash
    r = bench(capsys, "spec", "validate", ONNX)
    assert r.code == 0, r.out + r.err
    text = ONNX.read_text()
    line = text.splitlines().index("  backend: onnx") + 1
    for bad, why in (("  device: cuda\n  backend: onnx", "CPU only"), ("  backend: onnxx", "onnx")):
        path = tmp_path / "bad-onnx.yaml"
        path.write_text(text.replace("  backend: onnx", bad))
        with pytest.raises(SpecError, match=rf"bad-onnx\.yaml:{line + bad.count(chr(10))}: params\.backend: .*{why}"):
            make_runner(load_spec(path), str(path))
        r = bench(capsys, "spec", "validate", path)
        assert r.code != 0 and len([x for x in (r.out + r.err).splitlines() if "params.backend" in x]) == 1
    splade = (ROOT / "models" / "splade-tiny.yaml").read_text()
    assert "params:\n" in splade
    path = tmp_path / "splade-onnx.yaml"
    path.write_text(splade.replace("params:\n", "params:\n  backend: onnx\n", 1))
    with pytest.raises(SpecError, match=r"params\.backend: .*not SPLADE"):
        make_runner(load_spec(path), str(path))


def test_the_export_is_fused_only_when_the_fused_graph_computes_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import onnx

    runner = make_runner(load_spec(ONNX), str(ONNX))
    weights = resolve_spec_weights(runner.spec)
    model = runner.model_class()(str(weights.path), device="cpu", local_files_only=True)
    hf = model[0].auto_model
    sample = model.tokenizer(["a first sample text for tracing", "a second"], padding=True, return_tensors="pt")
    inputs = list(onnx_backend.INPUTS)
    before = hf.config._attn_implementation
    onnx_backend.export(hf, sample, inputs, tmp_path / "fused.onnx")
    assert hf.config._attn_implementation == before, "the model is left with the attention it was loaded with"
    ops = {n.op_type for n in onnx.load(str(tmp_path / "fused.onnx")).graph.node}
    assert {"Attention", "SkipLayerNormalization", "EmbedLayerNormalization"} <= ops
    traced = tmp_path / "traced.onnx"
    onnx_backend.trace(hf, sample, inputs, traced)
    raw = traced.read_bytes()
    monkeypatch.setitem(onnx_backend.EXPORT_RECIPE, "fusion", {**onnx_backend.EXPORT_RECIPE["fusion"], "max_abs_diff": -1.0})
    assert onnx_backend.fuse(traced, hf.config, sample, inputs) is False, "a fusion that differs is dropped"
    assert traced.read_bytes() == raw and not traced.with_name(traced.name + ".fused").exists()
