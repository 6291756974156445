"""One convention for every flag: ``-m`` is ``--model`` everywhere (results and compare too; compare keeps its two
positional models), and ``-d`` repeats wherever it names datasets (``eval`` too, over the folder ``run -o`` writes)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from bench.cli import main
from bench.datasets import resolve_dataset
from tests.clihelp import bench


def _write_run(path: Path, dataset: str, tag: str, *, keep: int) -> None:
    """A run that ranks the first ``keep`` relevant documents of each judged query on top (a different one per ``keep``)."""
    lines = []
    for qid, docs in resolve_dataset(dataset).qrels().items():
        ranked = [d for d, rel in docs.items() if rel > 0][:keep] or list(docs)[:1]
        lines += [f"{qid} Q0 {d} {i + 1} {100 - i} {tag}" for i, d in enumerate(ranked)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Two run files per dataset (adi, time), in the folders `bench run -d adi -d time -o DIR` would write."""
    root = tmp_path_factory.mktemp("flags")
    folders = {}
    for tag, keep in (("one-rel", 1), ("all-rel", 1000)):
        folder = root / tag
        folder.mkdir()
        for name in ("adi", "time"):
            _write_run(folder / f"{name}.trec", name, tag, keep=keep)
        folders[tag] = folder
    db, printed = root / "results.duckdb", ""
    for tag, folder in folders.items():  # recorded as two models, each on both datasets
        with contextlib.redirect_stdout(io.StringIO()) as out:
            code = main(["eval", str(folder), "-d", "adi", "-d", "time", "--record", "-m", tag, "--family", "lexical", "--db", str(db)])
        assert code == 0
        printed += out.getvalue()
    return {"db": db, "folders": folders, "printed": printed}


def test_eval_takes_several_datasets_over_a_run_folder(capsys: pytest.CaptureFixture[str], recorded: dict) -> None:
    for folder in recorded["folders"].values():
        assert f"{folder / 'adi.trec'} on adi" in recorded["printed"] and f"{folder / 'time.trec'} on time" in recorded["printed"]
    r = bench(capsys, "eval", recorded["folders"]["one-rel"], "-d", "adi", "-d", "time", "--json")
    lines = [json.loads(line) for line in r.out.splitlines()]
    assert [x["dataset"]["name"] for x in lines] == ["adi", "time"] and all(x["coverage"] == 1.0 for x in lines)


def test_eval_with_several_datasets_refuses_a_file_or_a_folder_missing_one(capsys: pytest.CaptureFixture[str], recorded: dict) -> None:
    folder = recorded["folders"]["one-rel"]
    r = bench(capsys, "eval", folder / "adi.trec", "-d", "adi", "-d", "time")
    assert r.code == 2 and "is not a folder" in r.err.splitlines()[0] and "Traceback" not in r.err
    r = bench(capsys, "eval", folder, "-d", "adi", "-d", "med")
    assert r.code == 2 and "med.trec: no such file" in r.err.splitlines()[0]


def test_results_takes_dash_m(capsys: pytest.CaptureFixture[str], recorded: dict) -> None:
    long = bench(capsys, "results", "--model", "one-rel", "--json", "--db", recorded["db"]).json()
    short = bench(capsys, "results", "-m", "one-rel", "--json", "--db", recorded["db"]).json()
    assert short == long and {r["model"] for r in short} == {"one-rel"} and len(short) == 2


def test_compare_takes_two_dash_m_as_well_as_two_arguments(capsys: pytest.CaptureFixture[str], recorded: dict) -> None:
    db = recorded["db"]
    positional = bench(capsys, "compare", "all-rel", "one-rel", "-d", "adi", "--json", "--db", db)
    assert positional.code == 0, positional.err
    flags = bench(capsys, "compare", "-m", "all-rel", "-m", "one-rel", "-d", "adi", "--json", "--db", db)
    assert flags.code == 0, flags.err
    assert flags.json() == positional.json() and flags.json()["difference"] > 0
    for args in (["-m", "all-rel"], ["all-rel", "one-rel", "-m", "one-rel"], []):
        r = bench(capsys, "compare", *args, "-d", "adi", "--db", db)
        assert r.code == 2 and "compare takes two models" in r.err.splitlines()[0], r.err
