"""Issue 21, class 6: the CLI never shows two things under one name.

Hostile inputs: a folder named ``adi`` whose qrels differ by one grade from the real ADI; a third ``adi`` (one
judgment fewer); a listing filtered to one of them (the label still says the name is shared). `bench results` (table and JSON) and `bench results --pivot` show ``adi [hash8]`` for each content, and the JSON
keeps the full content hash.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bench.datasets import resolve_dataset
from bench.execute import execute_run
from bench.specs import load_spec
from tests.clihelp import bench, db_rows
from tests.conftest import ROOT

FLAT = ROOT / "models" / "bm25-flat.yaml"


def _copy(adi: Path, to: Path, edit: Callable[[list[str]], list[str]]) -> Path:
    to.mkdir(parents=True)
    for name in ("corpus.jsonl", "queries.jsonl"):
        (to / name).write_bytes((adi / name).read_bytes())
    (to / "qrels").mkdir()
    lines = (adi / "qrels" / "test.tsv").read_text().splitlines()
    (to / "qrels" / "test.tsv").write_text("\n".join(edit(lines)) + "\n")
    return to


def _regrade(lines: list[str]) -> list[str]:
    """The last judgment's grade changed (a hostile twin: same name, same size, other qrels)."""
    *head, last = lines
    cols = last.split("\t")
    cols[-1] = "0" if cols[-1] != "0" else "1"
    return [*head, "\t".join(cols)]


@pytest.fixture(scope="module")
def collided(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("collide")
    db = tmp / "results.duckdb"
    real = resolve_dataset("adi")
    twin = _copy(real.path, tmp / "a" / "adi", _regrade)
    third = _copy(real.path, tmp / "b" / "adi", lambda lines: lines[:-1])
    hashes = []
    for where in ("adi", str(twin), str(third)):
        ds = resolve_dataset(where)
        execute_run(load_spec(FLAT), ds, db, spec_path=FLAT)
        hashes.append(ds.content_hash)
    execute_run(load_spec(FLAT), resolve_dataset("med"), db, spec_path=FLAT)  # a name that collides with nothing
    assert len(set(hashes)) == 3
    return {"db": db, "hashes": hashes}


def test_results_table_qualifies_each_colliding_name_with_its_hash(capsys: pytest.CaptureFixture[str], collided: dict) -> None:
    r = bench(capsys, "results", "--db", collided["db"])
    assert r.code == 0, r.err
    for h in collided["hashes"]:
        assert f"adi [{h[:8]}]" in r.out
    assert "med [" not in r.out and "med" in r.out  # a unique name stays bare


def test_results_json_keeps_the_label_and_the_full_hash(capsys: pytest.CaptureFixture[str], collided: dict) -> None:
    rows = bench(capsys, "results", "--db", collided["db"], "--json").json()
    adi = [row for row in rows if row["dataset"] == "adi"]
    assert sorted(row["dataset_hash"] for row in adi) == sorted(collided["hashes"])  # full 64-hex hashes
    assert sorted(row["dataset_label"] for row in adi) == sorted(f"adi [{h[:8]}]" for h in collided["hashes"])
    assert [row["dataset_label"] for row in rows if row["dataset"] == "med"] == ["med"]
    # filtered to one content, the label still says there are others of that name
    only = bench(capsys, "results", "-d", collided["hashes"][1][:10], "--db", collided["db"], "--json").json()
    assert [row["dataset_label"] for row in only] == [f"adi [{collided['hashes'][1][:8]}]"]


def test_pivot_shows_one_column_per_content(capsys: pytest.CaptureFixture[str], collided: dict) -> None:
    view = bench(capsys, "results", "--pivot", "--db", collided["db"], "--json").json()
    assert sorted(view["datasets"]) == sorted([*(f"adi [{h[:8]}]" for h in collided["hashes"]), "med"])
    table = bench(capsys, "results", "--pivot", "--db", collided["db"])
    assert table.code == 0 and all(f"adi [{h[:8]}]" in table.out for h in collided["hashes"])
    assert db_rows(collided["db"], "SELECT count(*) FROM datasets WHERE name = 'adi'") == [(3,)]
