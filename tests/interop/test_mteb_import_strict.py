"""Imported results are checked as strictly as ours (issue 21, class 9).

A split and subset listed twice with different scores, or a ``main_score`` that is not the task's ``ndcg_at_10``, is
refused in one line and nothing is written; family and zero-shot come from mteb's ``model_meta.json`` (written here by
mteb itself) or from ``--family`` / ``--zero-shot``, else they are stored and shown as ``unknown``, never guessed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tests.clihelp import bench, db_rows
from tests.interop.test_mteb_import import SCORES, V1_SCIFACT, mteb_written


def _scifact(**scores: object) -> dict:
    data = copy.deepcopy(V1_SCIFACT)
    data["scores"]["test"][0].update(scores)
    return data


def _twice(different: bool) -> dict:
    data = copy.deepcopy(V1_SCIFACT)
    again = copy.deepcopy(data["scores"]["test"][0])
    if different:
        again["ndcg_at_10"] = again["main_score"] = 0.7
    data["scores"]["test"].append(again)
    return data


def _dev_main_mismatch() -> dict:
    """mteb 1.12's dev split beside test, the dev entry edited: main_score no longer its ndcg_at_10."""
    data = copy.deepcopy(V1_SCIFACT)
    dev = copy.deepcopy(data["scores"]["test"][0])
    dev["main_score"] = 0.99
    data["scores"]["dev"] = [dev]
    return data


HOSTILE = {
    "one subset twice, other scores": (
        _twice(True),
        "scores.test[default] is listed twice with different scores (nDCG@10: 0.64508 and 0.7)",
    ),
    "main_score raised above ndcg_at_10": (
        _scifact(main_score=0.9),
        "scores.test[default].main_score 0.9 disagrees with ndcg_at_10 0.64508",
    ),
    "main_score on another split edited": (_dev_main_mismatch(), "scores.dev[default].main_score 0.99 disagrees with ndcg_at_10"),
    "ndcg_at_10 lowered under main_score": (_scifact(ndcg_at_10=0.5), "main_score 0.64508 disagrees with ndcg_at_10 0.5"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_an_inconsistent_file_is_refused_in_one_line(tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    data, problem = HOSTILE[case]
    path = tmp_path / "SciFact.json"
    path.write_text(json.dumps(data))
    r = bench(capsys, "import", "mteb", path, "--model", "some-model", "--family", "dense", "--db", db_path)
    assert r.code == 10, r.err
    (line,) = r.err.strip().splitlines()
    assert "Traceback" not in r.err and line.startswith(f"error: {path}: ") and problem in line, line
    assert not db_path.exists()


def test_a_subset_listed_twice_with_the_same_scores_is_one_run(tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "SciFact.json"
    path.write_text(json.dumps(_twice(False)))
    r = bench(capsys, "import", "mteb", path, "--model", "some-model", "--db", db_path, "--json")
    assert r.code == 0, r.err
    assert len(r.json()["imported"]) == 1
    assert db_rows(db_path, "SELECT count(*) FROM runs") == [(1,)]


def _bm25_written(root: Path) -> Path:
    """NFCorpus scores saved by mteb's ResultCache with mteb's own ModelMeta of its BM25 baseline (model_type sparse, 0 parameters)."""
    import mteb
    from mteb import TaskResult
    from mteb.cache import ResultCache

    result = TaskResult.from_task_results(mteb.get_task("NFCorpus"), {"test": {"default": dict(SCORES)}}, evaluation_time=3.0)
    ResultCache(root).save_to_cache(result, mteb.get_model_meta("mteb/baseline-bm25s"))
    (path,) = root.rglob("NFCorpus.json")
    return path


def _stored(db: Path, name: str) -> tuple[str, list[str], dict]:
    ((family, training, metadata),) = db_rows(db, f"SELECT family, training_datasets, metadata FROM model_versions WHERE name = '{name}'")
    return family, list(training), json.loads(metadata)


def test_family_and_zero_shot_come_from_model_meta(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "results.duckdb"
    _bm25_written(tmp_path / "bm25")
    r = bench(capsys, "import", "mteb", tmp_path / "bm25", "--db", db, "--json")
    assert r.code == 0, r.err
    (row,) = r.json()["imported"]
    assert (row["model"], row["family"], row["zero_shot"]) == ("mteb--baseline-bm25s", "lexical", "yes")  # was: dense
    family, training, meta = _stored(db, "mteb--baseline-bm25s")
    assert (family, training, meta["family_from"], meta["zero_shot"]) == ("lexical", [], "model_meta.json", "declared")

    mteb_written(tmp_path / "minilm")  # all-MiniLM-L6-v2's ModelMeta: dense, trained on MS MARCO and NQ among others
    r = bench(capsys, "import", "mteb", tmp_path / "minilm", "--db", db, "--json")
    assert r.code == 0, r.err
    (row,) = r.json()["imported"]
    assert (row["family"], row["zero_shot"]) == ("dense", "yes")  # NFCorpus is not among them
    family, training, meta = _stored(db, row["model"])
    # its id + revision is the reference spec's: the card is that spec's, whose training_datasets declare the same
    assert row["model"] == "all-minilm-l6-v2" and family == "dense" and {"msmarco", "nq"} <= set(training)


def _bare(root: Path) -> Path:
    """A results file in mteb's folder layout with no model_meta.json beside it: nothing says what the model is."""
    folder = root / "acme__mystery" / ("0" * 40)
    folder.mkdir(parents=True)
    path = folder / "SciFact.json"
    path.write_text(json.dumps(V1_SCIFACT))
    return path


def test_nothing_declared_is_stored_and_shown_as_unknown(tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _bare(tmp_path / "results")
    r = bench(capsys, "import", "mteb", tmp_path / "results", "--db", db_path, "--json")
    assert r.code == 0, r.err
    (row,) = r.json()["imported"]
    assert (row["model"], row["family"], row["zero_shot"]) == ("acme--mystery", "unknown", "unknown")
    family, training, meta = _stored(db_path, "acme--mystery")
    assert (family, training, meta["zero_shot"]) == ("unknown", [], "unknown")
    from leaderboard.tables import zero_shot  # what the Dataset page shows in its Zero-shot column

    assert zero_shot(training, meta, "scifact") == "unknown"
    table = bench(capsys, "import", "mteb", tmp_path / "results", "--db", db_path)  # again: already imported, shown
    assert table.code == 0 and "unknown" in table.out and "already imported" in table.out


def test_options_say_what_the_files_do_not(tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _bare(tmp_path / "results")
    r = bench(capsys, "import", "mteb", tmp_path / "results", "--family", "learned-sparse", "--zero-shot", "no", "--db", db_path, "--json")
    assert r.code == 0, r.err
    (row,) = r.json()["imported"]
    assert (row["family"], row["zero_shot"]) == ("learned-sparse", "no (trained on it)")
    family, training, meta = _stored(db_path, "acme--mystery")
    assert (family, training, meta["family_from"], meta["zero_shot_from"]) == ("learned-sparse", ["scifact"], "--family", "--zero-shot")


def _meta_beside(path: Path, **fields: object) -> None:
    meta = {"name": "acme/mystery", "revision": "0" * 40, **fields}
    (path.parent / "model_meta.json").write_text(json.dumps(meta))


@pytest.mark.parametrize(
    "case",
    ["model_type a string", "training_datasets a number", "training data with an escape", "--family guessed", "--zero-shot maybe"],
)
def test_bad_model_meta_or_options_are_one_line_and_write_nothing(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    path = _bare(tmp_path / "results")
    args: list[str] = []
    if case == "model_type a string":
        _meta_beside(path, model_type="sparse", n_parameters=0)
        problem = "model_type is 'sparse', not a list of model types"
    elif case == "training_datasets a number":
        _meta_beside(path, model_type=["dense"], training_datasets=7)
        problem = "training_datasets is not a list"
    elif case == "training data with an escape":
        _meta_beside(path, model_type=["dense"], training_datasets=["MSMARCO", "NQ\x1b[2J"])
        problem = "training_datasets is not a list"
    elif case == "--family guessed":
        args, problem = ["--family", "bm25ish"], "--family bm25ish: not a family"
    else:
        args, problem = ["--zero-shot", "maybe"], "--zero-shot maybe: say yes or no"
    r = bench(capsys, "import", "mteb", tmp_path / "results", *args, "--db", db_path)
    assert r.code == 10, r.err
    (line,) = r.err.strip().splitlines()
    assert "Traceback" not in r.err and problem in line, line
    assert not db_path.exists()
