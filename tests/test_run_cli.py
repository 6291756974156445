"""A researcher's `bench run`: any model without YAML, many datasets per process, specs checked without running (issue 9)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.adhoc import detect_kind, model_name, synthesize
from bench.datasets import resolve_dataset
from bench.specs import load_spec
from bench.weights import PACKAGED
from tests.clihelp import bench, db_rows

ROOT = Path(__file__).resolve().parent.parent
FLAT = ROOT / "models" / "bm25-flat.yaml"
MINILM = ROOT / "models" / "all-minilm-l6-v2.yaml"


# -- many datasets per invocation -------------------------------------------------------------------------------
def test_several_datasets_in_one_process_print_json_lines(db_path: Path) -> None:
    cmd = [sys.executable, "-m", "bench.cli", "run", str(FLAT), "-d", "adi", "-d", "time", "-d", "adi", "--db", str(db_path), "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]  # JSON lines, nothing else on stdout
    assert [x["dataset"]["name"] for x in lines] == ["adi", "time"]  # a repeated -d runs once
    spec = load_spec(FLAT)
    for x in lines:
        expected = spec.expected_for(x["dataset"]["hash"])
        assert expected is not None and x["metrics"]["nDCG@10"] == pytest.approx(expected.metrics["nDCG@10"], abs=1e-12)
        assert x["provenance"] == "reference"
    assert sorted(db_rows(db_path, "SELECT d.name FROM runs JOIN datasets d USING (dataset_hash)")) == [("adi",), ("time",)]


def test_a_typo_among_datasets_stops_before_any_work(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = bench(capsys, "run", FLAT, "-d", "adi", "-d", "tim", "--db", db_path)
    assert r.code == 3 and "unknown dataset 'tim'" in r.err and "Did you mean: time?" in r.err
    assert not db_path.exists()


def test_one_failing_dataset_does_not_lose_the_others(db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(resolve_dataset("adi").path, broken)
    (broken / "corpus.jsonl").chmod(0o644)
    with (broken / "corpus.jsonl").open("a") as f:
        f.write("{not json\n")
    r = bench(capsys, "run", FLAT, "-d", str(broken), "-d", "time", "--db", db_path)
    assert r.code == 3, r.err
    assert "error: broken:" in r.err and "corpus.jsonl:83: invalid JSON" in r.err
    assert "1 of 2 dataset(s) failed (broken); the others were recorded" in r.err
    assert db_rows(db_path, "SELECT d.name FROM runs JOIN datasets d USING (dataset_hash)") == [("time",)]


def test_output_with_several_datasets_is_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "runs"
    assert bench(capsys, "run", FLAT, "-d", "adi", "-d", "time", "--no-record", "-o", out).code == 0
    assert sorted(p.name for p in out.iterdir()) == ["adi.trec", "time.trec"]


# -- any model without YAML -------------------------------------------------------------------------------------
def test_kind_comes_from_the_model_folder() -> None:
    minilm = PACKAGED["sentence-transformers/all-MiniLM-L6-v2"].locate()
    splade = PACKAGED["rasyosef/splade-tiny"].locate()
    assert minilm is not None and splade is not None
    assert detect_kind(minilm) == "dense" and detect_kind(splade) == "splade"
    assert model_name("sentence-transformers/all-MiniLM-L6-v2") == "sentence-transformers__all-minilm-l6-v2"
    spec, text = synthesize(str(splade), name="tiny-splade")
    assert spec.kind == "splade" and spec.family == "learned-sparse" and spec.weights is not None
    assert (
        spec.weights.path == str(splade.resolve()) and spec.weights.sha256 == load_spec(ROOT / "models" / "splade-tiny.yaml").weights.sha256
    )  # type: ignore[union-attr]
    assert "bench run THIS_FILE" in text


def test_a_model_id_equal_to_a_reference_spec_runs_as_that_spec(db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One identity per model: -m ID with the reference's weights and params lands under the reference name and spec hash."""
    saved = tmp_path / "same.yaml"
    r = bench(capsys, "run", "-m", "sentence-transformers/all-MiniLM-L6-v2", "-d", "adi", "--save-spec", saved, "--db", db_path, "--json")
    assert r.code == 0, r.err
    body = r.json()
    reference = load_spec(MINILM)
    expected = reference.expected_for(body["dataset"]["hash"])
    assert expected is not None
    assert body["metrics"]["nDCG@10"] == pytest.approx(expected.metrics["nDCG@10"], abs=reference.tolerance_for("nDCG@10"))
    assert (body["model"], body["provenance"]) == ("all-minilm-l6-v2", "reference")
    assert db_rows(db_path, "SELECT DISTINCT model_name, spec_hash FROM runs") == [("all-minilm-l6-v2", reference.spec_hash)]
    said = [line for line in r.err.splitlines() if "reference spec models/all-minilm-l6-v2.yaml" in line]
    assert len(said) == 1 and "running as all-minilm-l6-v2" in said[0] and reference.spec_hash[:12] in said[0], r.err
    assert not saved.exists() and "repeats this run" in r.err  # the reference file is the spec that repeats it


def test_a_model_id_with_other_params_is_another_model_and_saves_a_spec_that_repeats_it(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench.adhoc import reference_twin

    plain, _ = synthesize("sentence-transformers/all-MiniLM-L6-v2")
    assert reference_twin(plain) is not None and reference_twin(plain)[1].name == "all-minilm-l6-v2"  # type: ignore[index]
    assert reference_twin(synthesize("sentence-transformers/all-MiniLM-L6-v2", params={"max_length": 256})[0]) is not None
    for other in ({"max_length": 128}, {"query_prompt": "query: "}, {"index": "hnsw"}):
        assert reference_twin(synthesize("sentence-transformers/all-MiniLM-L6-v2", params=other)[0]) is None, other
    saved = tmp_path / "my.yaml"
    args = ("run", "-m", "sentence-transformers/all-MiniLM-L6-v2", "--param", "batch_size=64", "-d", "adi")
    r = bench(capsys, *args, "--save-spec", saved, "--db", db_path, "--json")
    assert r.code == 0, r.err
    assert (r.json()["model"], r.json()["provenance"]) == ("sentence-transformers__all-minilm-l6-v2", "local")
    assert "running as" not in r.err
    (recorded,) = db_rows(db_path, "SELECT spec_hash FROM runs")
    assert recorded[0] == load_spec(saved).spec_hash != load_spec(MINILM).spec_hash  # the saved spec repeats this version
    # the reference name stays the reference's
    r = bench(capsys, *args, "--name", "all-minilm-l6-v2", "--db", db_path)
    assert r.code == 9 and "belongs to the reference spec" in r.err


def test_model_options_are_checked_like_a_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = bench(capsys, "run", "-m", "sentence-transformers/all-MiniLM-L6-v2", "--param", "batch_size=0", "-d", "adi", "--no-record")
    assert r.code == 2 and "params.batch_size" in r.err and "greater than 0" in r.err
    r = bench(capsys, "run", "-m", "sentence-transformers/all-MiniLM-L6-v2", "--param", "nonsense", "-d", "adi", "--no-record")
    assert r.code == 2 and "key=value" in r.err
    r = bench(capsys, "run", FLAT, "-m", "sentence-transformers/all-MiniLM-L6-v2", "-d", "adi")
    assert r.code == 2 and "not both" in r.err
    r = bench(capsys, "run", FLAT, "--kind", "dense", "-d", "adi")
    assert r.code == 2 and "go with -m MODEL" in r.err
    r = bench(capsys, "run", "-m", str(tmp_path), "-d", "adi", "--no-record")  # a folder that is no model
    assert r.code == 2 and "pass --kind" in r.err
    r = bench(capsys, "run", "-m", "./no/such/folder", "-d", "adi", "--no-record")
    assert r.code == 2 and "no such model folder" in r.err


# -- bench spec ----------------------------------------------------------------------------------------------------
def test_spec_params_lists_every_parameter_with_type_default_and_meaning(capsys: pytest.CaptureFixture[str]) -> None:
    from bench.runners.base import runner_class

    r = bench(capsys, "spec", "params", "dense", "--json")
    assert r.code == 0
    rows = {x["name"]: x for x in r.json()}
    assert set(rows) == set(runner_class("dense").Params.model_fields)
    assert rows["query_prompt"]["default"] == "" and "before each query" in rows["query_prompt"]["meaning"]
    assert rows["index"]["type"] == "one of 'exact', 'faiss-flat', 'faiss-hnsw'" and rows["batch_size"]["bounds"] == "> 0"
    table = bench(capsys, "spec", "params", "lucene-bm25")
    assert table.code == 0 and "k1" in table.out
    r = bench(capsys, "spec", "params", "bm25")
    assert r.code == 4 and "known kinds" in r.err


def test_spec_validate_reports_every_problem_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: Bad Name\nfamily: dense\nkind: dense\nweights: {id: a/b, revision: main}\nparams:\n  batch_size: 0\n  foo: 1\n  index: annoy\n"
    )
    r = bench(capsys, "spec", "validate", bad, *sorted((ROOT / "models").glob("bm25-*.yaml")))
    assert r.code == 2
    assert f"{bad}:1: name:" in r.err  # the schema first
    bad.write_text(bad.read_text().replace("Bad Name", "fine-name"))
    r = bench(capsys, "spec", "validate", bad, FLAT, "--json")
    assert r.code == 2
    report = {Path(x["file"]).name: x for x in r.json()}
    assert report["bm25-flat.yaml"]["valid"] and report["bm25-flat.yaml"]["spec_hash"] == load_spec(FLAT).spec_hash
    problems = report["bad.yaml"]["problems"]
    assert [p.split(": ")[0] for p in problems] == [f"{bad}:6", f"{bad}:8", f"{bad}:7"] or sorted(p.split(": ")[0] for p in problems) == [
        f"{bad}:6",
        f"{bad}:7",
        f"{bad}:8",
    ]
    assert any("params.foo: unknown parameter" in p for p in problems)


# -- bring-your-own data ----------------------------------------------------------------------------------------------
def test_datasets_validate_reports_every_problem_in_one_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "bad"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text(
        '{"_id": "1", "text": "a"}\n{"_id": true, "text": "b"}\nnot json\n{"_id": "1", "text": "dup"}\n{"_id": "3", "text": 5}\n'
    )
    (folder / "queries.jsonl").write_text('{"_id": "q1", "text": "x"}\n{"_id": "q1", "text": "y"}\n')
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\t1\t1\nq1\t9\t1\nq2\t1\t1\nq1\t1\t2\nq1\t3\tx\n")
    r = bench(capsys, "datasets", "validate", folder)
    assert r.code == 3
    lines = [line.strip() for line in r.err.splitlines() if line.startswith("  ")]
    where = [line.split(": ")[0].removeprefix(str(folder) + "/") for line in lines]
    assert where == [
        "corpus.jsonl:2",
        "corpus.jsonl:3",
        "corpus.jsonl:4",
        "corpus.jsonl:5",
        "queries.jsonl:2",
        "qrels/test.tsv:3",
        "qrels/test.tsv:4",
        "qrels/test.tsv:5",
        "qrels/test.tsv:6",
    ]
    assert "9 problem(s)" in r.err


def test_gzipped_corpus_and_queries_are_read_with_the_same_identity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import gzip

    src = resolve_dataset("adi").path
    folder = tmp_path / "adi-gz"
    shutil.copytree(src, folder)
    for name in ("corpus.jsonl", "queries.jsonl"):
        (folder / f"{name}.gz").write_bytes(gzip.compress((folder / name).read_bytes()))
        (folder / name).unlink()
    gz = resolve_dataset(str(folder))
    assert gz.corpus_path.name == "corpus.jsonl.gz"
    assert gz.content_hash == resolve_dataset("adi").content_hash  # the text decides identity, not how it is stored
    assert gz.validate().documents == 82 and gz.problems() == []
    r = bench(capsys, "run", FLAT, "-d", folder, "--no-record", "--json")
    expected = load_spec(FLAT).expected_for(gz.content_hash)
    assert r.code == 0 and expected is not None and r.json()["metrics"] == pytest.approx(expected.metrics, abs=1e-12)
    (folder / "corpus.jsonl.gz").write_bytes(b"\x1f\x8b" + b"broken")
    fresh = resolve_dataset(str(folder))
    with pytest.raises(Exception, match="cannot read the dataset files"):
        _ = fresh.content_hash


def test_an_hf_id_not_packaged_runs_dense_and_offline_says_once_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No --kind needed for a Hub id (dense, as sentence-transformers loads one); offline, one line on how to get it."""
    from huggingface_hub import constants

    spec, _ = synthesize("someone/absent-model")
    assert spec.kind == "dense" and spec.family == "dense"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    r = bench(capsys, "run", "-m", "someone/absent-model", "-d", "adi", "-d", "time", "--no-record")
    errors = [line for line in r.err.splitlines() if line.startswith("error")]
    assert r.code == 4 and errors == [
        "error: model someone/absent-model@main is not in the local Hugging Face cache (HF_HUB_OFFLINE is set); "
        "get it with `huggingface-cli download someone/absent-model`, or unset HF_HUB_OFFLINE to download it on first use"
    ]
    assert "weights.path" not in r.err and "--kind" not in r.err
