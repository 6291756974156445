"""`bench export`: TREC, per-query CSV/parquet and MTEB files from a real recorded run; the MTEB file is read by mteb itself."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from bench.datasets.registry import resolve_dataset
from bench.evaluation.evaluate import evaluate
from bench.evaluation.trec import read_trec_run
from bench.interop.mteb_names import from_mteb_key, task_for_dataset, to_mteb_key
from tests.clihelp import bench


def _stored(db: Path) -> tuple[str, str, dict[str, float], int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        run_id, spec_hash, judged = con.execute("SELECT run_id, spec_hash, judged_queries FROM runs").fetchone()
        metrics = dict(con.execute("SELECT metric, value FROM metrics WHERE run_id = ?", [run_id]).fetchall())
    finally:
        con.close()
    return run_id, spec_hash, metrics, judged


def _mteb_retrieval_keys() -> set[str]:
    """Every score key mteb's own retrieval evaluator writes (its k values), from mteb's code on a toy ranking."""
    from mteb._evaluators.retrieval_metrics import calculate_retrieval_scores, make_score_dict

    from bench.interop.mteb_export import K_VALUES

    r = calculate_retrieval_scores({"q": {"a": 2.0, "b": 1.0}, "p": {"b": 1.5, "a": 0.5}}, {"q": {"a": 1}, "p": {"a": 1}}, list(K_VALUES))
    keys = make_score_dict(
        ndcg=r.ndcg, _map=r.map, recall=r.recall, precision=r.precision, mrr=r.mrr,
        naucs=r.naucs, naucs_mrr=r.naucs_mrr, hit_rate=r.hit_rate, task_scores={},
    )  # fmt: skip
    return set(keys) | {"main_score", "hf_subset", "languages"}


def test_mteb_export_is_read_by_mteb_with_our_ndcg(recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import mteb
    from mteb import TaskResult

    run_id, spec_hash, metrics, _ = _stored(recorded)
    r = bench(capsys, "export", "--model", "toy-run", "-d", "adi", "--format", "mteb", "-o", tmp_path / "out", "--db", recorded, "--json")
    assert r.code == 0, r.err
    path = Path(r.json()["files"][0]["file"])
    # not a Hugging Face model: brewbench's org and the spec hash; adi is no MTEB task: one folder down, marked local
    assert path == tmp_path / "out" / "brewbench__toy-run" / spec_hash / "local" / "BrewbenchAdi.json"
    result = TaskResult.from_disk(path)  # mteb's own reader
    assert result.task_name == "BrewbenchAdi" and result.mteb_version == mteb.__version__
    assert result.get_score() == metrics["nDCG@10"]
    scores = result.scores["test"][0]
    assert set(scores) >= _mteb_retrieval_keys()  # every key mteb writes for retrieval, nauc_* and hit_rate_at_* included
    assert scores["ndcg_at_10"] == metrics["nDCG@10"]  # the recorded measures as recorded (trec_eval -c, full precision)
    assert scores["recall_at_100"] == metrics["R@100"]
    assert scores["mrr_at_10"] == metrics["RR@10"]
    assert scores["ndcg_at_5"] == pytest.approx(_ours("adi", recorded, "nDCG@5"), abs=5e-6)  # mteb's evaluator, 5 decimals
    assert result.dataset_revision == resolve_dataset("adi").content_hash
    # the provenance rides along where mteb ignores it
    record = json.loads(path.read_text())["brewbench"]
    assert (record["spec_hash"], record["run_id"], record["provenance"]) == (spec_hash, run_id, "local")
    assert record["task"]["local"] is True and "not an MTEB task" in record["task"]["note"] and record["not_computed"] is None
    assert json.loads((path.parent.parent / "model_meta.json").read_text())["revision"] == spec_hash
    # mteb's ResultCache loads model/revision/task.json only: a local collection never merges with MTEB's results
    assert not list((tmp_path / "out").glob("*/*/*.json"))[1:] and [p.name for p in (tmp_path / "out").glob("*/*/*.json")] == [
        "model_meta.json"
    ]


def _ours(dataset: str, db: Path, measure: str) -> float:
    run_id = _stored(db)[0]
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT qid, docid, score FROM rankings WHERE run_id = ?", [run_id]).fetchall()
    finally:
        con.close()
    from bench.types import Run

    run: dict[str, list[tuple[str, float]]] = {}
    for q, d, sc in rows:
        run.setdefault(q, []).append((d, sc))
    ranked = {q: sorted(docs, key=lambda x: (-x[1], x[0])) for q, docs in run.items()}
    return evaluate(Run(ranked, tag="x"), resolve_dataset(dataset).qrels(), measures=[measure]).aggregate[measure]


def test_a_reference_model_on_an_mteb_task_is_written_where_mteb_writes_it(
    recorded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``<hf org>__<model>/<weights revision>/SciFact.json``; ``TaskResult.task`` is mteb's SciFact.

    No SciFact folder is at hand: the task table maps SciFact to adi for this test (the content check is the
    registry's), and the stored run is presented as the reference MiniLM's version.
    """
    import dataclasses

    from mteb import TaskResult

    from bench.interop import mteb_names
    from bench.interop.export import export_runs
    from bench.specs import load_spec
    from bench.store.exports import version_runs

    table = tmp_path / "mteb_tasks.yaml"
    table.write_text("tasks:\n  SciFact: adi\n", encoding="utf-8")
    monkeypatch.setattr(mteb_names, "TASKS_FILE", table)
    mteb_names.mteb_tasks.cache_clear()
    try:
        minilm = load_spec(Path(__file__).resolve().parents[2] / "models" / "all-minilm-l6-v2.yaml")
        assert minilm.weights is not None
        con = duckdb.connect(str(recorded), read_only=True)
        try:
            (run,) = version_runs(con, "toy-run")
            run = dataclasses.replace(
                run,
                model_name=minilm.name,
                label=minilm.name,
                spec_hash=minilm.spec_hash,
                hf_id=minilm.weights.id,
                revision=minilm.weights.revision,
            )
            (done,) = export_runs(con, [run], "mteb", tmp_path / "out")
            (impostor,) = export_runs(con, [dataclasses.replace(run, dataset_hash="f" * 64)], "mteb", tmp_path / "impostor")
        finally:
            con.close()
    finally:
        mteb_names.mteb_tasks.cache_clear()
    folder = tmp_path / "out" / "sentence-transformers__all-MiniLM-L6-v2" / "8b3219a92973c328a8e22fadcfa821b5dc75636a"
    assert done.path == folder / "SciFact.json"
    result = TaskResult.from_disk(done.path)
    assert result.task.metadata.name == "SciFact" and result.task_name == "SciFact"  # mteb's own task object
    assert set(result.scores["test"][0]) >= _mteb_retrieval_keys() and result.mteb_version is not None
    meta = json.loads((folder / "model_meta.json").read_text())
    assert (meta["name"], meta["revision"]) == ("sentence-transformers/all-MiniLM-L6-v2", "8b3219a92973c328a8e22fadcfa821b5dc75636a")
    assert meta["n_parameters"] == 22713216  # mteb's own ModelMeta of the model
    assert json.loads(done.path.read_text())["brewbench"]["task"] == {"local": False, "mteb_task": "SciFact"}
    # a folder merely named like the task, with other content, is a local collection, not mteb's SciFact
    assert impostor.path == tmp_path / "impostor" / folder.relative_to(tmp_path / "out") / "local" / "BrewbenchAdi.json"
    assert json.loads(impostor.path.read_text())["brewbench"]["task"]["local"] is True
    # another version of the same weights (a variant, other params) is not that model: brewbench's folder
    other = dataclasses.replace(run, spec_hash="0" * 64)
    from bench.interop.mteb_export import model_folder

    assert model_folder(other) == f"brewbench__all-minilm-l6-v2/{'0' * 64}"


def test_trec_export_evaluates_to_the_stored_numbers(recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, spec_hash, metrics, _ = _stored(recorded)
    assert bench(capsys, "export", "-m", "toy-run", "-f", "trec", "-o", tmp_path, "--db", recorded).code == 0
    ds = resolve_dataset("adi")
    again = evaluate(read_trec_run(tmp_path / "toy-run" / "adi.trec"), ds.qrels())
    assert again.aggregate["nDCG@10"] == pytest.approx(metrics["nDCG@10"], abs=1e-12)
    assert again.aggregate["R@100"] == pytest.approx(metrics["R@100"], abs=1e-12)
    manifest = json.loads((tmp_path / "toy-run" / "brewbench-export.json").read_text())
    assert manifest["spec_hash"] == spec_hash and manifest["files"]["adi.trec"]["format"] == "trec"


def test_per_query_csv_and_parquet_hold_every_judged_query(recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, _, metrics, judged = _stored(recorded)
    for fmt in ("csv", "parquet"):
        assert bench(capsys, "export", "-m", "toy-run", "-f", fmt, "-o", tmp_path, "--db", recorded).code == 0
    csv = pd.read_csv(tmp_path / "toy-run" / "adi.per_query.csv", dtype={"qid": str})
    parquet = duckdb.connect().execute(f"SELECT * FROM '{tmp_path / 'toy-run' / 'adi.per_query.parquet'}'").df()
    assert list(csv.columns) == ["qid", "metric", "value"] == list(parquet.columns)
    assert len(csv) == len(parquet) == judged * len(metrics)
    ndcg = csv[csv["metric"] == "nDCG@10"]
    assert ndcg["qid"].nunique() == judged
    assert ndcg["value"].mean() == pytest.approx(metrics["nDCG@10"], abs=1e-12)
    assert (parquet.sort_values(["qid", "metric"])["value"].to_numpy() == csv.sort_values(["qid", "metric"])["value"].to_numpy()).all()
    manifest = json.loads((tmp_path / "toy-run" / "brewbench-export.json").read_text())
    assert set(manifest["files"]) == {"adi.per_query.csv", "adi.per_query.parquet"}


def test_export_refuses_unknown_models_and_datasets(recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = bench(capsys, "export", "-m", "toy-runn", "-o", tmp_path, "--db", recorded)
    assert r.code == 5 and "did you mean toy-run" in r.err and len(r.err.strip().splitlines()) == 1
    r = bench(capsys, "export", "-m", "toy-run", "-d", "npl", "-o", tmp_path, "--db", recorded)
    assert r.code == 5 and "has no run on this dataset (it has: adi)" in r.err
    r = bench(capsys, "export", "-m", "toy-run", "-f", "xml", "-o", tmp_path, "--db", recorded)
    assert r.code == 2 and "trec, csv, parquet, mteb" in r.err
    assert not any(tmp_path.rglob("*.trec"))


def test_metric_and_task_names() -> None:
    assert to_mteb_key("nDCG@10") == "ndcg_at_10" and to_mteb_key("AP@1000") == "map_at_1000" and to_mteb_key("AP") is None
    for key in ("ndcg_at_10", "recall_at_100", "precision_at_5", "map_at_1000", "mrr_at_10"):
        assert to_mteb_key(from_mteb_key(key) or "") == key
    assert from_mteb_key("nauc_ndcg_at_10_max") is None and from_mteb_key("main_score") is None
    assert task_for_dataset("nfcorpus") == "NFCorpus" and task_for_dataset("scifact") == "SciFact"
    assert task_for_dataset("cranfield") == "BrewbenchCranfield"


def test_export_suite_writes_every_member_it_has_and_lists_the_others(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mteb import TaskResult

    from bench.suites.registry import get_suite

    r = bench(capsys, "export", "-m", "toy-run", "--suite", "classic-7", "-f", "mteb", "-o", tmp_path / "out", "--db", recorded, "--json")
    assert r.code == 0, r.err
    body = r.json()
    assert [f["member"] for f in body["files"]] == ["adi"]
    assert TaskResult.from_disk(Path(body["files"][0]["file"])).task_name == "BrewbenchAdi"
    others = [m.name for m in get_suite("classic-7").leaves() if m.name != "adi"]
    lines = r.err.strip().splitlines()
    assert len(lines) == len(others) == len(body["missing"])  # one line per member not exported
    for name, line in zip(others, lines, strict=True):
        assert line.startswith(f"classic-7: {name}: no run of toy-run recorded; ") and (
            "`bench run SPEC -d" in line or "not at hand" in line
        )
    # trec too, into the usual per-label folder
    r = bench(capsys, "export", "-m", "toy-run", "--suite", "classic-7", "-f", "trec", "-o", tmp_path / "trec", "--db", recorded)
    assert r.code == 0 and (tmp_path / "trec" / "toy-run" / "adi.trec").is_file(), r.err
    # nothing of the suite recorded, an unknown suite, --suite with -t: one line each, nothing written
    r = bench(capsys, "export", "-m", "toy-run", "--suite", "beir-13", "-f", "mteb", "-o", tmp_path / "none", "--db", recorded)
    assert r.code == 5 and "has a recorded run on none of its 13 members" in r.err and "Traceback" not in r.err
    assert not (tmp_path / "none").exists()
    r = bench(capsys, "export", "-m", "toy-run", "--suite", "beir-31", "-f", "mteb", "-o", tmp_path / "none", "--db", recorded)
    assert r.code == 3 and len(r.err.strip().splitlines()) == 1 and "beir-13" in r.err, r.err
    r = bench(
        capsys, "export", "-m", "toy-run", "--suite", "classic-7", "-t", "STS15", "-f", "mteb", "-o", tmp_path / "none", "--db", recorded
    )
    assert r.code == 2 and "leave -t out" in r.err


@pytest.mark.parametrize(("origin", "sub"), [("mteb", ""), ("local", "local/")])
def test_a_task_run_of_a_reference_model_is_written_where_its_retrieval_runs_go(tmp_path: Path, origin: str, sub: str) -> None:
    """`bench export -t` uses the same layout: the HF id + revision folder of the reference MiniLM, ``local/`` when the
    task's content is not MTEB's; any other version keeps ``brewbench__<name>/<spec hash>/``."""
    from bench.interop.mteb_export import write_task_mteb
    from bench.specs import load_spec

    minilm = load_spec(Path(__file__).resolve().parents[2] / "models" / "all-minilm-l6-v2.yaml")
    run = {"model_name": minilm.name, "spec_hash": minilm.spec_hash, "run_id": "r1", "provenance": "reference",
           "task_name": "STS16", "task_hash": "a" * 64, "origin": origin,
           "mteb_result": {"task_name": "STS16", "scores": {"test": [{"main_score": 0.79}]}}}  # fmt: skip
    path = write_task_mteb(run, minilm.name, tmp_path)
    folder = tmp_path / "sentence-transformers__all-MiniLM-L6-v2" / "8b3219a92973c328a8e22fadcfa821b5dc75636a"
    assert path == folder / f"{sub}STS16.json"
    assert json.loads((folder / "model_meta.json").read_text())["name"] == "sentence-transformers/all-MiniLM-L6-v2"
    other = write_task_mteb({**run, "spec_hash": "0" * 64}, "x", tmp_path)
    assert other == tmp_path / "brewbench__all-minilm-l6-v2" / ("0" * 64) / f"{sub}STS16.json"
