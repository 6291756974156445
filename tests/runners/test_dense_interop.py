"""Interop: the same model on the same collection through mteb.evaluate and beir gives our nDCG@10 and R@100.

The collection is TIME (423 documents, 83 queries, so R@100 is not trivially 1). All three pipelines
truncate at 64 tokens (set alike everywhere) to keep the test quick; what is compared is the pipeline.

beir's ``DenseRetrievalExactSearch`` always drops a retrieved document whose id equals the query id
(BEIR's ArguAna/Quora convention, applied unconditionally inside its search). In TIME one relevant
pair has equal ids, so beir is compared with our evaluation with ``drop_identical_ids=True``; mteb
keeps them (``ignore_identical_ids=False``), as our default does for the classic collections.
"""

from __future__ import annotations

import pytest

from bench.datasets import resolve_dataset
from bench.evaluation.evaluate import evaluate
from bench.runners.base import Progress, make_runner
from bench.specs import load_spec
from bench.weights import PACKAGED
from tests.conftest import ROOT

MAX_LENGTH = 64
MINILM = "sentence-transformers/all-MiniLM-L6-v2"


@pytest.fixture(scope="module")
def ours():
    spec = load_spec(ROOT / "models" / "all-minilm-l6-v2.yaml")
    spec = spec.model_copy(update={"params": {**spec.params, "max_length": MAX_LENGTH}})
    ds = resolve_dataset("time")
    out = make_runner(spec).retrieve(ds, ds.judged_queries(), Progress())
    kept = evaluate(out.run, ds.qrels(), ["nDCG@10", "R@100"], drop_identical_ids=False).aggregate
    dropped = evaluate(out.run, ds.qrels(), ["nDCG@10", "R@100"], drop_identical_ids=True).aggregate
    assert kept != dropped, "TIME has a relevant document whose id equals its query's id"
    return ds, kept, dropped


def _model():
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(PACKAGED[MINILM].locate()), device="cpu")
    model.max_seq_length = MAX_LENGTH
    return model


def test_mteb_evaluate_gives_our_numbers(ours, tmp_path) -> None:
    import mteb

    from bench.interop import mteb_task

    ds, kept, _ = ours
    model = _model()
    model.model_card_data.model_name = "brewbench-test/all-MiniLM-L6-v2-64"  # mteb caches by name: keep it unique
    result = mteb.evaluate(model, mteb_task(ds), cache=None, show_progress_bar=False, encode_kwargs={"batch_size": 32})
    scores = result.task_results[0].scores["test"][0]
    assert scores["ndcg_at_10"] == pytest.approx(kept["nDCG@10"], abs=1e-4)
    assert scores["recall_at_100"] == pytest.approx(kept["R@100"], abs=1e-4)


def test_beir_exact_search_gives_our_numbers(ours) -> None:
    from beir.retrieval import models
    from beir.retrieval.evaluation import EvaluateRetrieval
    from beir.retrieval.search.dense import DenseRetrievalExactSearch

    ds, _, dropped = ours
    sbert = models.SentenceBERT(str(PACKAGED[MINILM].locate()), max_length=MAX_LENGTH, device="cpu")
    retriever = EvaluateRetrieval(
        DenseRetrievalExactSearch(sbert, batch_size=32, show_progress_bar=False), score_function="dot", k_values=[10, 100, 1000]
    )
    corpus = {d.id: {"title": d.title, "text": d.text} for d in ds.iter_corpus()}
    queries = {q.id: q.text for q in ds.judged_queries()}
    results = retriever.retrieve(corpus, queries)
    ndcg, _, recall, _ = retriever.evaluate(ds.qrels(), results, [10, 100], ignore_identical_ids=False)
    assert ndcg["NDCG@10"] == pytest.approx(dropped["nDCG@10"], abs=1e-4)
    assert recall["Recall@100"] == pytest.approx(dropped["R@100"], abs=1e-4)
