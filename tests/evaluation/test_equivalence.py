"""Our numbers equal beir's EvaluateRetrieval.evaluate and the trec_eval shipped in Pyserini's jar, on the same real run."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bench.datasets import resolve_dataset
from bench.evaluation import evaluate, write_trec_run
from bench.execute import execute_run
from bench.runners.java import java_bin
from bench.specs import load_spec
from bench.types import Run
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def cranfield_run() -> Run:
    spec = load_spec(ROOT / "models" / "bm25-flat.yaml")
    _, out, _ = execute_run(spec, resolve_dataset("cranfield"), db=None)
    return out.run


def _beir(run: Run, qrels: dict, ignore_identical_ids: bool) -> dict[str, float]:
    from beir.retrieval.evaluation import EvaluateRetrieval

    ndcg, _map, recall, precision = EvaluateRetrieval.evaluate(
        qrels, run.as_dict(), [10, 100, 1000], ignore_identical_ids=ignore_identical_ids
    )
    mrr = EvaluateRetrieval.evaluate_custom(qrels, run.as_dict(), [10], metric="mrr")
    return {
        "nDCG@10": ndcg["NDCG@10"],
        "R@100": recall["Recall@100"],
        "R@1000": recall["Recall@1000"],
        "AP@1000": _map["MAP@1000"],
        "P@10": precision["P@10"],
        "RR@10": mrr["MRR@10"],
    }


@pytest.mark.parametrize("drop", [False, True])
def test_equal_to_beir(cranfield_run: Run, drop: bool) -> None:
    qrels = resolve_dataset("cranfield").qrels()
    ours = evaluate(cranfield_run, qrels, drop_identical_ids=drop).aggregate
    theirs = _beir(cranfield_run, qrels, ignore_identical_ids=drop)
    for metric, value in theirs.items():
        assert ours[metric] == pytest.approx(value, abs=1e-5), metric  # beir rounds to 5 decimals


def test_identical_ids_are_a_dataset_property_that_matters_on_cranfield(cranfield_run: Run) -> None:
    qrels = resolve_dataset("cranfield").qrels()
    kept = evaluate(cranfield_run, qrels, drop_identical_ids=False).aggregate["R@100"]
    dropped = evaluate(cranfield_run, qrels, drop_identical_ids=True).aggregate["R@100"]
    assert kept > dropped  # query 225 judges document 225 relevant: dropping it loses a real hit
    assert resolve_dataset("cranfield").drop_identical_ids is False


def _trec_eval(qrels_file: Path, run_file: Path, *args: str) -> dict[str, float]:
    import pyserini.eval.trec_eval as te  # the jar pyserini ships

    cmd = [str(java_bin()), "-cp", te.jar_path, "trec_eval", *args, str(qrels_file), str(run_file)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120)
    values = {}
    for line in proc.stdout.splitlines():
        name, scope, value = line.split()
        if scope == "all":
            values[name] = float(value)
    return values


def test_equal_to_trec_eval_from_pyserini_jar(cranfield_run: Run, tmp_path: Path) -> None:
    from bench.runners.java import bootstrap

    bootstrap()
    ds = resolve_dataset("cranfield")
    qrels = ds.qrels()
    qrels_file = tmp_path / "qrels.txt"
    qrels_file.write_text("".join(f"{q} 0 {d} {r}\n" for q, docs in qrels.items() for d, r in docs.items()))
    run_file = tmp_path / "run.trec"
    write_trec_run(cranfield_run, run_file)
    ours = evaluate(cranfield_run, qrels).aggregate
    te = _trec_eval(qrels_file, run_file, "-m", "ndcg_cut.10", "-m", "recall.100,1000", "-m", "map_cut.1000", "-m", "P.10")
    rr = _trec_eval(qrels_file, run_file, "-M", "10", "-m", "recip_rank")
    assert ours["nDCG@10"] == pytest.approx(te["ndcg_cut_10"], abs=1e-4)  # trec_eval prints 4 decimals
    assert ours["R@100"] == pytest.approx(te["recall_100"], abs=1e-4)
    assert ours["R@1000"] == pytest.approx(te["recall_1000"], abs=1e-4)
    assert ours["AP@1000"] == pytest.approx(te["map_cut_1000"], abs=1e-4)
    assert ours["P@10"] == pytest.approx(te["P_10"], abs=1e-4)
    assert ours["RR@10"] == pytest.approx(rr["recip_rank"], abs=1e-4)
