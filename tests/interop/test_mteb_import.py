"""`bench import mteb`: files written by the installed mteb itself, the mteb 1.12 (v1) and pre-1.11 layouts, hostile files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from bench.store.imports import imported_dataset_hash
from tests.clihelp import bench

SCORES = {
    "main_score": 0.3165,
    "ndcg_at_10": 0.3165,
    "recall_at_100": 0.4321,
    "map_at_1000": 0.1234,
    "mrr_at_10": 0.5,
    "nauc_ndcg_at_10_max": -0.3,
}
TABLES = ("models", "model_versions", "datasets", "runs", "metrics", "query_metrics", "rankings", "imports")


def mteb_written(root: Path, task_name: str = "NFCorpus", scores: dict[str, float] = SCORES) -> Path:
    """A results folder written by mteb's own API: a TaskResult of a real task, saved by ResultCache with the model's ModelMeta."""
    import mteb
    from mteb import TaskResult
    from mteb.cache import ResultCache

    result = TaskResult.from_task_results(mteb.get_task(task_name), {"test": {"default": dict(scores)}}, evaluation_time=12.5)
    ResultCache(root).save_to_cache(result, mteb.get_model_meta("sentence-transformers/all-MiniLM-L6-v2"))
    (path,) = root.rglob(f"{task_name}.json")
    return path


# SciFact as mteb 1.12 wrote it (task_name, scores: {split: [{hf_subset, languages, main_score, ...}]}, no date);
# the shape of mteb's own results repository files for 1.12.x. mteb 2.26 reads it with TaskResult.from_disk.
V1_SCIFACT = {
    "dataset_revision": "0228b52cf27578f30900b9e5271d331663a030d7",
    "evaluation_time": 21.48,
    "kg_co2_emissions": None,
    "mteb_version": "1.12.41",
    "scores": {
        "test": [
            {
                "hf_subset": "default",
                "languages": ["eng-Latn"],
                "main_score": 0.64508,
                "map_at_1": 0.49011,
                "map_at_1000": 0.59778,
                "mrr_at_10": 0.61098,
                "ndcg_at_10": 0.64508,
                "ndcg_at_100": 0.67811,
                "precision_at_10": 0.08533,
                "recall_at_100": 0.92589,
                "nauc_map_at_1_max": 0.21397,
            }
        ]
    },
    "task_name": "SciFact",
}
# The same task as mteb wrote it before 1.11 (mteb's tests/historic_results shape): one flat object per split.
LEGACY_SCIFACT = {
    "dataset_revision": "0228b52cf27578f30900b9e5271d331663a030d7",
    "mteb_dataset_name": "SciFact",
    "mteb_version": "1.1.2",
    "test": {"evaluation_time": 30.25, "map_at_1000": 0.5819, "mrr_at_10": 0.5915, "ndcg_at_10": 0.62645, "recall_at_100": 0.91},
}


def _counts(db: Path) -> dict[str, int]:
    if not db.exists():
        return {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        con.close()


def _one(db: Path, sql: str, args: list | None = None) -> tuple:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, args or []).fetchone()
    finally:
        con.close()


def test_a_file_written_by_mteb_is_imported_as_aggregates_only(tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import mteb

    path = mteb_written(tmp_path / "cache")
    r = bench(capsys, "import", "mteb", tmp_path / "cache", "--db", db_path, "--json")
    assert r.code == 0, r.err
    (row,) = r.json()["imported"]
    name = "all-minilm-l6-v2"  # mteb's all-MiniLM-L6-v2 at 8b3219a is the reference spec's model: it attaches to it
    assert (row["model"], row["task"], row["dataset"], row["split"], row["status"]) == (name, "NFCorpus", "nfcorpus", "test", "imported")
    assert r.json()["names"] == {"sentence-transformers/all-MiniLM-L6-v2": name}
    run_id, provenance, dataset_hash, wall = _one(db_path, "SELECT run_id, provenance, dataset_hash, wall_s FROM runs")
    assert (provenance, wall) == ("imported", 12.5)
    con = duckdb.connect(str(db_path), read_only=True)
    metrics = dict(con.execute("SELECT metric, value FROM metrics WHERE run_id = ?", [run_id]).fetchall())
    imp = con.execute("SELECT tool_version, dataset_revision, evaluation_time, file_sha256, layout, model_revision FROM imports").fetchone()
    owner = con.execute("SELECT owner, owner_key FROM models WHERE name = ?", [name]).fetchone()
    source = con.execute("SELECT name, source FROM datasets WHERE dataset_hash = ?", [dataset_hash]).fetchone()
    con.close()
    assert metrics == {"nDCG@10": 0.3165, "R@100": 0.4321, "AP@1000": 0.1234, "RR@10": 0.5}
    task = mteb.get_task("NFCorpus")
    assert imp == (
        mteb.__version__,
        task.metadata.revision,
        12.5,
        hashlib.sha256(path.read_bytes()).hexdigest(),
        "mteb-v2",
        path.parent.name,
    )
    assert owner == ("reference", None)
    # MTEB's copy of NFCorpus is not verified to be ours: a dataset identity of its own, named by the registry
    assert dataset_hash == imported_dataset_hash("mteb", "NFCorpus", task.metadata.revision, "test", "default")
    assert source == ("nfcorpus", f"mteb:NFCorpus@{task.metadata.revision}")
    assert _counts(db_path)["query_metrics"] == 0 and _counts(db_path)["rankings"] == 0
    # importing it again changes nothing
    before = _counts(db_path)
    again = bench(capsys, "import", "mteb", path, "--db", db_path, "--json")
    assert again.code == 0 and again.json()["imported"][0]["status"] == "already imported"
    assert _counts(db_path) == before


def test_an_import_of_a_reference_models_id_and_revision_attaches_to_the_reference_version(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One identity per model: MTEB results of all-MiniLM-L6-v2 at the pinned revision are the reference spec's version."""
    import mteb
    from mteb import TaskResult
    from mteb.cache import ResultCache

    from bench.identity import Writer
    from bench.specs import load_spec
    from bench.store.models import check_name

    reference = load_spec(Path(__file__).resolve().parents[2] / "models" / "all-minilm-l6-v2.yaml")
    assert bench(capsys, "import", "mteb", mteb_written(tmp_path / "cache"), "--db", db_path).code == 0
    con = duckdb.connect(str(db_path), read_only=True)
    runs = con.execute("SELECT model_name, spec_hash, provenance FROM runs").fetchall()
    card = con.execute("SELECT hf_id, revision, family, kind, current FROM model_versions").fetchall()
    check_name(con, reference.name, reference.spec_hash, Writer("reference", "reference"))  # a reference run may still write it
    con.close()
    assert runs == [("all-minilm-l6-v2", reference.spec_hash, "imported")]
    assert card == [("sentence-transformers/all-MiniLM-L6-v2", "8b3219a92973c328a8e22fadcfa821b5dc75636a", "dense", "dense", True)]
    # another revision of the same id is another model: a name of its own, owned by the import
    meta = mteb.get_model_meta("sentence-transformers/all-MiniLM-L6-v2").model_copy(update={"revision": "0" * 40})
    result = TaskResult.from_task_results(mteb.get_task("SciFact"), {"test": {"default": dict(SCORES)}}, evaluation_time=1.0)
    ResultCache(tmp_path / "other").save_to_cache(result, meta)
    r = bench(capsys, "import", "mteb", tmp_path / "other", "--db", db_path, "--json")
    assert r.code == 0, r.err
    assert r.json()["names"] == {"sentence-transformers/all-MiniLM-L6-v2": "sentence-transformers--all-minilm-l6-v2"}


def test_the_v1_layout_of_mteb_1_12(tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mteb import TaskResult

    path = tmp_path / "SciFact.json"
    path.write_text(json.dumps(V1_SCIFACT, indent=2))
    assert TaskResult.from_disk(path).get_score() == pytest.approx(0.64508)  # the shape mteb reads
    r = bench(capsys, "import", "mteb", path, "--model", "e5-small-mteb", "--db", db_path, "--json")
    assert r.code == 0, r.err
    (row,) = r.json()["imported"]
    assert (row["dataset"], row["nDCG@10"], row["mteb_version"]) == ("scifact", 0.64508, "1.12.41")
    assert _one(db_path, "SELECT layout, evaluation_time, tool_version FROM imports") == ("mteb-v1", 21.48, "1.12.41")
    metric = _one(db_path, "SELECT value FROM metrics WHERE metric = 'R@100'")
    assert metric == (0.92589,)
    assert _one(db_path, "SELECT count(*) FROM metrics")[0] == 7  # map@1, map@1000, mrr@10, ndcg@10, ndcg@100, p@10, r@100


def test_the_layout_before_mteb_1_11(tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "results" / "intfloat__e5-small"
    folder.mkdir(parents=True)
    (folder / "SciFact.json").write_text(json.dumps(LEGACY_SCIFACT))
    r = bench(capsys, "import", "mteb", tmp_path / "results", "--db", db_path, "--json")
    assert r.code == 0, r.err
    assert r.json()["imported"][0]["model"] == "intfloat--e5-small"
    assert _one(db_path, "SELECT layout, evaluation_time, tool_version FROM imports") == ("mteb-legacy", 30.25, "1.1.2")
    assert _one(db_path, "SELECT value FROM metrics WHERE metric = 'nDCG@10'") == (0.62645,)


HOSTILE = {
    "not-json": (b"{'task_name': 'SciFact'}", "not JSON (line 1"),
    "nan": (json.dumps(V1_SCIFACT).replace("0.64508,", "NaN,", 1).encode(), "NaN is not a JSON number"),
    "duplicate-key": (b'{"task_name": "SciFact", "task_name": "NFCorpus", "scores": {}}', "key 'task_name' appears twice"),
    "a-list": (b"[1, 2]", "the top level is a list"),
    "string-score": (json.dumps(V1_SCIFACT).replace("0.92589", '"0.92589"').encode(), "scores.test[default].recall_at_100 is '0.92589'"),
    "percent": (json.dumps(V1_SCIFACT).replace("0.92589", "92.589").encode(), "outside [0, 1]"),
    "bool-score": (json.dumps(V1_SCIFACT).replace("0.92589", "true").encode(), "recall_at_100 is 'True', not a number"),
    "deep": (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
    "latin-1": ('{"task_name": "Sci\xe9"}'.encode("latin-1"), "not UTF-8"),
    "escape-in-name": (json.dumps({**V1_SCIFACT, "task_name": "Sci\x1b[31mFact"}).encode(), "'task_name' must be a printable text"),
    "no-scores": (json.dumps({"task_name": "SciFact", "mteb_version": "1.12.41"}).encode(), "'scores' is missing"),
    "no-subset": (json.dumps({**V1_SCIFACT, "scores": {"test": [{"main_score": 0.5}]}}).encode(), "hf_subset is missing"),
    "unmapped": (json.dumps({**V1_SCIFACT, "task_name": "AmazonCounterfactualClassification"}).encode(), "is not a brewbench dataset"),
    "task-without-its-main-metric": (json.dumps({**V1_SCIFACT, "task_name": "Banking77Classification"}).encode(), "no accuracy score"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_malformed_file_is_one_line_and_writes_nothing(
    case: str, tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, problem = HOSTILE[case]
    path = tmp_path / "SciFact.json"
    path.write_bytes(content)
    r = bench(capsys, "import", "mteb", path, "--model", "some-model", "--db", db_path)
    assert r.code == 10, r.err
    (line,) = r.err.strip().splitlines()
    assert line.startswith(f"error: {path}: ") and problem in line and "; " in line, line
    assert not db_path.exists()  # nothing opened, nothing written


def test_one_bad_file_in_a_folder_stops_the_whole_import(tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mteb_written(tmp_path / "cache")
    (bad,) = (tmp_path / "cache").rglob("NFCorpus.json")
    (bad.parent / "SciFact.json").write_text(json.dumps({**V1_SCIFACT, "evaluation_time": -3}))
    r = bench(capsys, "import", "mteb", tmp_path / "cache", "--db", db_path)
    assert r.code == 10 and "SciFact.json: evaluation_time = -3 is negative" in r.err
    assert not db_path.exists()


def test_unmapped_tasks_in_a_folder_are_skipped_and_said(tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = mteb_written(tmp_path / "cache")
    (path.parent / "AmazonCounterfactualClassification.json").write_text(
        json.dumps({**V1_SCIFACT, "task_name": "AmazonCounterfactualClassification"})
    )
    r = bench(capsys, "import", "mteb", tmp_path / "cache", "--db", db_path, "--json")
    assert r.code == 0, r.err
    assert [row["task"] for row in r.json()["imported"]] == ["NFCorpus"]
    skipped = r.json()["skipped"]
    assert len(skipped) == 1 and "AmazonCounterfactualClassification is not in bench/datasets/mteb_tasks.yaml" in skipped[0]


def test_embedding_task_files_written_by_mteb_are_imported_as_task_runs(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file mteb itself wrote for an embedding task (STS16) beside a retrieval one: both imported, each as its kind."""
    path = mteb_written(tmp_path / "cache")
    sts = {"pearson": 0.79, "spearman": 0.78989, "cosine_pearson": 0.79, "cosine_spearman": 0.78989, "main_score": 0.78989}
    mteb_written(tmp_path / "cache", "STS16", sts)
    r = bench(capsys, "import", "mteb", tmp_path / "cache", "--db", db_path, "--json")
    assert r.code == 0, r.err
    assert [row["task"] for row in r.json()["imported"]] == ["NFCorpus"]
    (task,) = r.json()["tasks"]
    assert task["mteb_task"] == "STS16" and task["main_score"] == pytest.approx(0.78989) and task["status"] == "imported"
    assert path.is_file()


def test_our_own_export_is_recognised_and_refused(recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench(capsys, "export", "-m", "toy-run", "-f", "mteb", "-o", tmp_path / "out", "--db", recorded).code == 0
    before = _counts(recorded)
    r = bench(capsys, "import", "mteb", tmp_path / "out", "--db", recorded)
    assert r.code == 10 and "exported by brewbench (model 'toy-run'" in r.err and "provenance local" in r.err
    assert _counts(recorded) == before


def test_an_imported_name_never_takes_another_owners_name(recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "SciFact.json"
    path.write_text(json.dumps(V1_SCIFACT))
    before = _counts(recorded)
    for taken in ("toy-run", "all-minilm-l6-v2"):  # a local model in this database; a reference spec of this checkout
        r = bench(capsys, "import", "mteb", path, "--model", taken, "--db", recorded)
        assert r.code == 9 and f"model name '{taken}'" in r.err, r.err
    assert _counts(recorded) == before


def test_a_different_file_for_the_same_results_is_refused(tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = mteb_written(tmp_path / "a")
    assert bench(capsys, "import", "mteb", first, "--db", db_path).code == 0
    before = _counts(db_path)
    second = mteb_written(tmp_path / "b", scores={**SCORES, "main_score": 0.4, "ndcg_at_10": 0.4})
    r = bench(capsys, "import", "mteb", second, "--db", db_path)
    assert r.code == 10 and "imported from another file" in r.err and "never replaced silently" in r.err
    assert _counts(db_path) == before


def test_model_names_are_normalised_or_refused(tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / ("Org__" + "X" * 80) / "rev1"
    folder.mkdir(parents=True)
    (folder / "SciFact.json").write_text(json.dumps(V1_SCIFACT))
    r = bench(capsys, "import", "mteb", tmp_path, "--db", db_path)
    assert r.code == 10 and "gives no valid brewbench name" in r.err and "pass --model NAME" in r.err
    alone = tmp_path / "alone.json"
    alone.write_text(json.dumps(V1_SCIFACT))
    r = bench(capsys, "import", "mteb", alone, "--db", db_path)
    assert r.code == 10 and "cannot tell which model" in r.err
    assert not db_path.exists()


def test_imported_results_export_as_mteb_only(tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mteb import TaskResult

    assert bench(capsys, "import", "mteb", mteb_written(tmp_path / "cache"), "--db", db_path).code == 0
    name = "all-minilm-l6-v2"
    for fmt, what in (("trec", "no stored rankings"), ("csv", "no per-query values")):
        r = bench(capsys, "export", "-m", name, "-f", fmt, "-o", tmp_path / "out", "--db", db_path)
        assert r.code == 5 and what in r.err and "imported results carry aggregates only" in r.err, r.err
    assert not (tmp_path / "out").exists()
    r = bench(capsys, "export", "-m", name, "-f", "mteb", "-o", tmp_path / "out", "--db", db_path, "--json")
    assert r.code == 0, r.err
    path = Path(r.json()["files"][0]["file"])
    assert path.name == "NFCorpus.json" and TaskResult.from_disk(path).get_score() == 0.3165
    assert json.loads(path.read_text())["brewbench"]["provenance"] == "imported"
