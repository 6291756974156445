"""Embedding tasks end to end: `bench run -t` through mteb's evaluators on the shared tasks, a real DuckDB file, every
task type, MTEB's published numbers, export read back by mteb, import, refusals, hostile folders writing nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench.specs import load_spec
from bench.tasks import find_task
from tests.clihelp import bench, db_rows
from tests.conftest import ROOT, SHARED_TASKS

MINILM = ROOT / "models" / "all-minilm-l6-v2.yaml"
PUBLISHED = {"STS16": ("cosine_spearman", 0.78989), "Banking77": ("accuracy", 0.80042)}
"""MTEB's published numbers for all-MiniLM-L6-v2 (embeddings-benchmark/results)."""


@pytest.fixture(scope="module")
def task_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    """MiniLM on one task of every type (STS, pair classification, classification, clustering), one process."""
    db = tmp_path_factory.mktemp("tasks") / "results.duckdb"
    import contextlib
    import io

    from bench.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(
            [
                str(x)
                for x in ("run", MINILM, "-t", "STS16", "-t", "MSRP", "-t", "Banking77", "-t", "Banking77Clustering", "--db", db, "--json")
            ]
        )
    assert code == 0
    return db, [json.loads(line) for line in buf.getvalue().splitlines() if line.strip()]


def test_every_task_type_runs_through_mteb_and_is_recorded(task_db: tuple[Path, list[dict]]) -> None:
    db, rows = task_db
    by = {r["task"]["name"]: r for r in rows}
    assert {by[n]["task"]["type"] for n in by} == {"STS", "PairClassification", "Classification", "Clustering"}
    for name, (metric, published) in PUBLISHED.items():
        assert by[name]["main_score"]["metric"] == metric
        assert by[name]["main_score"]["value"] == pytest.approx(published, abs=0.0005), name  # MTEB's own number
    assert by["Banking77"]["scores"]["f1"] == pytest.approx(0.79379, abs=0.001)
    assert by["MSRP"]["task"]["origin"] == "local" and by["Banking77Clustering"]["task"]["origin"] == "derived"
    # the clustering task's texts are Banking77's test texts: served from the embedding cache, not encoded again
    assert by["Banking77Clustering"]["cost"]["texts_encoded"] == 0 and by["Banking77Clustering"]["cost"]["texts_cached"] == 3080
    assert all(r["provenance"] == "reference" for r in rows)
    recorded = dict(db_rows(db, "SELECT t.name, r.main_score FROM task_runs r JOIN tasks t USING (task_hash)"))
    assert recorded == {n: by[n]["main_score"]["value"] for n in by}
    items = {
        n: json.loads(i)
        for n, i in db_rows(db, "SELECT t.name, i.items FROM task_items i JOIN task_runs r USING (run_id) JOIN tasks t USING (task_hash)")
    }
    assert len(items["STS16"]["cosine"]) == len(items["STS16"]["gold"]) == 1186
    assert len(items["MSRP"]["label"]) == 1725
    assert len(items["Banking77"]["experiments"]) == 10 and len(items["Banking77"]["predicted"][0]) == 3080
    assert len(items["Banking77Clustering"]["experiments"]) == 10
    n_scores = dict(
        db_rows(db, "SELECT t.name, count(*) FROM task_scores s JOIN task_runs r USING (run_id) JOIN tasks t USING (task_hash) GROUP BY 1")
    )
    assert n_scores["STS16"] >= 8 and n_scores["MSRP"] >= 25  # every mteb score, not only the main one


def test_task_hash_is_the_content_and_the_scoring_rules(task_db: tuple[Path, list[dict]]) -> None:
    _, rows = task_db
    sts16 = find_task("STS16")
    assert {r["task"]["hash"] for r in rows if r["task"]["name"] == "STS16"} == {sts16.content_hash}
    spec = load_spec(MINILM)
    assert spec.expected_tasks and all(e.hash == find_task(e.task).content_hash for e in spec.expected_tasks)


def test_export_is_read_back_by_mteb_and_import_refuses_our_own(task_db: tuple[Path, list[dict]], capsys, tmp_path: Path) -> None:
    from mteb import TaskResult

    db, rows = task_db
    r = bench(
        capsys,
        "export",
        "--model",
        "all-minilm-l6-v2",
        "-t",
        "STS16",
        "-t",
        "MSRP",
        "--format",
        "mteb",
        "-o",
        tmp_path / "out",
        "--db",
        db,
        "--json",
    )
    assert r.code == 0, r.err
    files = {Path(f["file"]).name: Path(f["file"]) for f in r.json()["files"]}
    assert set(files) == {"STS16.json", "BrewbenchMsrp.json"}
    by = {x["task"]["name"]: x["main_score"]["value"] for x in rows}
    assert TaskResult.from_disk(files["STS16.json"]).get_score() == pytest.approx(by["STS16"], abs=1e-12)
    assert TaskResult.from_disk(files["BrewbenchMsrp.json"]).get_score() == pytest.approx(by["MSRP"], abs=1e-12)
    r = bench(capsys, "import", "mteb", files["STS16.json"], "--db", db)
    assert r.code != 0 and "a file brewbench exported" in r.err and len(r.err.strip().splitlines()) == 1
    # the same file without our provenance object is another tool's result: imported, aggregates only, once
    other = tmp_path / "mteb" / "sentence-transformers__all-MiniLM-L6-v2" / "rev1"
    other.mkdir(parents=True)
    doc = json.loads(files["STS16.json"].read_text())
    doc.pop("brewbench")
    (other / "STS16.json").write_text(json.dumps(doc))
    before = db_rows(db, "SELECT count(*) FROM task_runs")[0][0]
    r = bench(capsys, "import", "mteb", tmp_path / "mteb", "--db", db, "--json")
    assert r.code == 0, r.err and r.json()["tasks"][0]["status"] == "imported"
    r = bench(capsys, "import", "mteb", tmp_path / "mteb", "--db", db, "--json")
    assert r.json()["tasks"][0]["status"] == "already imported"
    assert db_rows(db, "SELECT count(*) FROM task_runs")[0][0] == before + 1
    origin, items = db_rows(
        db,
        "SELECT t.origin, count(i.run_id) FROM task_runs r JOIN tasks t USING (task_hash) LEFT JOIN task_items i USING (run_id) WHERE r.provenance = 'imported' GROUP BY 1",
    )[0]
    assert origin == "imported" and items == 0  # never per-item values, never the measured task's identity
    doc["scores"]["test"][0]["main_score"] = 0.5
    (other / "STS16.json").write_text(json.dumps(doc))
    r = bench(capsys, "import", "mteb", other / "STS16.json", "--db", db)
    assert r.code != 0 and "disagrees with cosine_spearman" in r.err


def test_reproduce_checks_the_expected_task_blocks(task_db: tuple[Path, list[dict]], capsys) -> None:
    db, _ = task_db
    r = bench(capsys, "reproduce", MINILM, "-t", "STS16", "--db", db, "--json")
    assert r.code == 0, r.err
    (check,) = r.json()
    assert check["verdict"] in ("OK", "OKish") and check["checks"][0]["metric"] == "cosine_spearman"
    assert abs(check["checks"][0]["observed"] - 0.78989) <= check["checks"][0]["tolerance"] == 0.0005


def test_reproduce_a_task_without_a_block_fails(capsys, tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    text = MINILM.read_text().split("\nexpected_tasks:")[0].replace("name: all-minilm-l6-v2", "name: my-minilm", 1)
    spec.write_text(text)
    r = bench(capsys, "reproduce", spec, "-t", "STS16", "--no-record")
    assert r.code != 0 and "no expected_tasks block for STS16" in r.out


def test_lexical_and_reasoning_specs_are_refused_in_one_line(capsys, tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    r = bench(capsys, "run", ROOT / "models" / "bm25-flat.yaml", "-t", "STS16", "--db", db)
    assert r.code != 0 and "a lexical runner has no embeddings" in r.err and len(r.err.strip().splitlines()) == 1
    r = bench(capsys, "run", ROOT / "models" / "o1-smollm2-minilm.yaml", "-t", "STS16", "--db", db)
    assert r.code != 0 and "kind 'reasoning'" in r.err and "runs retrieval only" in r.err
    assert not db.exists()


def test_a_hostile_task_folder_stops_before_any_work(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(SHARED_TASKS / "STS16", bad)
    with (bad / "test.jsonl").open("a") as f:
        f.write('{"sentence1": "a", "sentence2": "b", "score": 5.5}\n')
    db = tmp_path / "r.duckdb"
    r = bench(capsys, "run", MINILM, "-d", "adi", "-t", bad, "--db", db)
    assert r.code == 3 and len(r.err.strip().splitlines()) == 1 and "test.jsonl:1187: score 5.5 is outside 0..5" in r.err
    assert not db.exists()  # checked before the retrieval run too: nothing written


def test_splade_runs_tasks_with_its_sparse_vectors(capsys) -> None:
    r = bench(capsys, "run", ROOT / "models" / "splade-tiny.yaml", "-t", "STS16", "--no-record", "--json")
    assert r.code == 0, r.err
    out = r.json()
    # the model's own similarity (dot product of sparse vectors) is mteb's "spearman"; cosine is mteb's main score
    assert 0.3 < out["main_score"]["value"] < 0.95 and out["scores"]["spearman"] != out["scores"]["cosine_spearman"]


def test_reproduce_all_quick_checks_the_quick_task_blocks_too(tmp_path: Path, capsys) -> None:
    import yaml

    models = tmp_path / "models"
    models.mkdir()
    data = yaml.safe_load(MINILM.read_text())
    data["name"] = "local-minilm"
    data["expected"] = [e for e in data["expected"] if e["dataset"] == "adi"]
    (models / "m.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    r = bench(capsys, "reproduce", "--all", "--quick", "--models", models, "--no-record", "--json")
    assert r.code == 0, r.err
    rows = r.json()  # one JSON document: retrieval checks, then task checks
    assert [x["dataset"] for x in rows if "dataset" in x] == ["adi"]
    assert [(x["task"], x["verdict"] in ("OK", "OKish")) for x in rows if "task" in x] == [("STS16", True)]
    data["expected_tasks"][2]["scores"]["cosine_spearman"] = 0.7
    (models / "m.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    r = bench(capsys, "reproduce", "--all", "--quick", "--models", models, "--no-record")
    assert r.code == 8 and "embedding-task reproduction(s) FAILED" in r.err


def test_results_by_task_type_and_the_task_pivot(task_db: tuple[Path, list[dict]], capsys) -> None:
    db, rows = task_db
    r = bench(capsys, "results", "--by-task-type", "--bootstrap", "50", "--db", db, "--json")
    assert r.code == 0, r.err
    (row,) = [m for m in r.json()["models"] if m["model"] == "all-minilm-l6-v2"]
    by = {x["task"]["name"]: x["main_score"]["value"] for x in rows}
    assert row["STS"] == pytest.approx(by["STS16"]) and row["Classification"] == pytest.approx(by["Banking77"])
    assert row["Mean(Task)"] == pytest.approx(sum(by.values()) / len(by)) and row["rank"] == 1
    assert row["rank_interval"][0] <= 1 <= row["rank_interval"][1]
    r = bench(capsys, "results", "--task-type", "STS", "--pivot", "--db", db)
    assert r.code == 0 and "STS16" in r.out and "Mean(Task)" in r.out
    r = bench(capsys, "results", "--task-type", "Retrieval", "--db", db)
    assert r.code == 2 and "not a task type" in r.err
