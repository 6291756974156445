"""A database made by the main of before identity and provenance (a5d0d62), migrated by m004_identity.

The fixture ``fixtures/db-main-a5d0d62/`` is that database exported by DuckDB (``EXPORT DATABASE ... (FORMAT parquet)``);
``fixtures/db-main-a5d0d62/README.md`` says how it was made. It holds the problem cases of issue 8 as they were written:
reference runs of bm25-flat (adi, time) and bm25-multifield (adi); bm25-flat re-run on adi with k1 edited in
models/bm25-flat.yaml (item 2); a perfect run recorded over bm25-flat with ``bench eval --record`` (item 1); a run that
answers 1 of ADI's 35 judged queries (item 3); and the example submission acme-bm25plus.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from bench.identity import reference_spec_hashes
from bench.store.db import migrate, open_read_only, open_writer, schema_version
from bench.store.leaderboard import leaderboard_cells, leaderboard_models
from bench.store.migrations import MIGRATIONS
from bench.store.runs import results_table

FIXTURE = Path(__file__).parent / "fixtures" / "db-main-a5d0d62"
REFERENCE_ADI = "72ed0a2d239d4c6d"  # bm25-flat on adi, the committed spec
EDITED_ADI = "ece4b306c3494c9f"  # bm25-flat on adi after k1: 0.9 -> 1.2 in models/bm25-flat.yaml
SPOOF_ADI = "61bd4fe7b0c840b1"  # a perfect run recorded as bm25-flat by `bench eval --record`
PARTIAL_ADI = "52750da5993f42d1"  # partial-run: 1 of 35 judged queries


@pytest.fixture
def old_db(tmp_path: Path) -> Path:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(f"IMPORT DATABASE '{FIXTURE}'")
    con.close()
    return path


def _metric(con: duckdb.DuckDBPyConnection, run_id: str, metric: str = "nDCG@10") -> float:
    return float(con.execute("SELECT value FROM metrics WHERE run_id = ? AND metric = ?", [run_id, metric]).fetchone()[0])  # type: ignore[index]


def test_the_fixture_is_the_old_schema_with_the_problem_cases(old_db: Path) -> None:
    con = duckdb.connect(str(old_db), read_only=True)
    assert [r[0] for r in con.execute("SELECT number FROM _migrations ORDER BY 1").fetchall()] == [1, 2, 3]
    # item 1: the spoof rewrote the reference model's row; item 2: a newer edited run would win the cell
    assert con.execute("SELECT provenance FROM models WHERE name = 'bm25-flat'").fetchone() == ("self-reported",)
    assert con.execute("SELECT provenance, spec_hash FROM runs WHERE run_id = ?", [SPOOF_ADI]).fetchone() == ("self-reported", None)
    assert _metric(con, SPOOF_ADI) == 1.0 and _metric(con, PARTIAL_ADI) == 1.0  # both flattered
    con.close()


def test_migration_keeps_published_cells_and_unmasks_the_problem_cases(old_db: Path) -> None:
    before = duckdb.connect(str(old_db), read_only=True)
    old = {rid: _metric(before, rid) for rid in (REFERENCE_ADI, EDITED_ADI, SPOOF_ADI, PARTIAL_ADI)}
    old_values = dict(before.execute("SELECT run_id || '/' || metric, value FROM metrics").fetchall())
    complete = [r[0] for r in before.execute("SELECT run_id FROM runs WHERE evaluated_queries = judged_queries").fetchall()]
    before.close()

    with open_writer(old_db) as con:
        assert migrate(con) == []  # open_writer migrated already
        assert schema_version(con) == len(MIGRATIONS)

    with open_read_only(old_db) as con:
        # every complete run keeps every number it had
        for rid in complete:
            for metric, value in con.execute("SELECT metric, value FROM metrics WHERE run_id = ?", [rid]).fetchall():
                assert value == old_values[f"{rid}/{metric}"]
        cells = leaderboard_cells(con, "nDCG@10")
        adi = cells[cells["dataset_hash"] == cells.set_index("run_id").at[REFERENCE_ADI, "dataset_hash"]].set_index("model")
        # the published bm25-flat cell on adi is the committed spec's run again (item 2), with its own value
        assert adi.at["bm25-flat", "run_id"] == REFERENCE_ADI
        assert adi.at["bm25-flat", "value"] == old[REFERENCE_ADI]
        assert adi.at["bm25-flat", "spec_hash"] == reference_spec_hashes()["bm25-flat"]
        # the edited spec and the spoof are other versions, in rows of their own, never in the reference cell
        edited = cells.set_index("run_id").loc[EDITED_ADI]
        spoof = cells.set_index("run_id").loc[SPOOF_ADI]
        assert edited["model"] == f"bm25-flat@{edited['spec_hash'][:8]}" and edited["value"] == old[EDITED_ADI]
        assert spoof["model"] == f"bm25-flat@{spoof['spec_hash'][:8]}" and spoof["provenance"] == "local"
        assert len({edited["model"], spoof["model"], "bm25-flat"}) == 3
        # the name stays the reference's: nobody else may write under it
        assert con.execute("SELECT owner FROM models WHERE name = 'bm25-flat'").fetchone() == ("reference",)
        assert con.execute("SELECT owner, owner_key FROM models WHERE name = 'acme-bm25plus'").fetchone() == ("submission", "acme-bm25plus")
        assert con.execute("SELECT owner FROM models WHERE name = 'partial-run'").fetchone() == ("local",)
        # item 3: the partial run now counts its 34 unanswered queries as 0, and shows its coverage
        partial = cells.set_index("run_id").loc[PARTIAL_ADI]
        assert partial["value"] == pytest.approx(old[PARTIAL_ADI] / 35)
        assert (partial["answered_queries"], partial["judged_queries"]) == (1, 35)
        assert partial["coverage"] == pytest.approx(1 / 35)
        zeros = con.execute(
            "SELECT count(*), sum(value) FROM query_metrics WHERE run_id = ? AND metric = 'nDCG@10'", [PARTIAL_ADI]
        ).fetchone()
        assert zeros == (35, pytest.approx(old[PARTIAL_ADI]))  # 34 zero rows added for the paired tests
        # every run has an identity; the partial run is at the bottom of ADI, not at the top
        assert con.execute("SELECT count(*) FROM runs WHERE spec_hash IS NULL").fetchone() == (0,)
        ranked = adi.sort_values("value", ascending=False)
        assert ranked.index[-1] == "partial-run"
        models = leaderboard_models(con).set_index("name")
        assert models.at["bm25-flat", "provenance"] == "reference"
        history = results_table(con, model="bm25-flat", history=True)
        assert set(history["run_id"]) >= {REFERENCE_ADI, EDITED_ADI, SPOOF_ADI}  # nothing was deleted


def test_a_migrated_database_refuses_the_spoofs_now(old_db: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from bench.datasets import resolve_dataset
    from tests.clihelp import bench

    perfect = tmp_path / "perfect.trec"
    qrels = resolve_dataset("adi").qrels()
    perfect.write_text("".join(f"{q} Q0 {d} {i} {100 - i} bm25-flat\n" for q, docs in qrels.items() for i, d in enumerate(docs, start=1)))
    with open_writer(old_db) as con:
        runs = con.execute("SELECT count(*) FROM runs").fetchone()
    for extra in ([], ["--model", "bm25-flat"], ["--model", "acme-bm25plus"]):
        r = bench(capsys, "eval", perfect, "-d", "adi", "--record", "--family", "lexical", "--db", old_db, *extra)
        assert r.code == 9, r.err
        assert "already belongs to" in r.err or "belongs to the reference spec" in r.err
        assert "choose another name" in r.err
    with open_read_only(old_db) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone() == runs


def test_a_dataset_scored_with_identical_ids_dropped_gets_its_own_identity(old_db: Path) -> None:
    from bench.provenance import scoring_identity

    con = duckdb.connect(str(old_db))
    old_hash = con.execute("SELECT dataset_hash FROM datasets WHERE name = 'time'").fetchone()[0]  # type: ignore[index]
    con.execute("UPDATE datasets SET drop_identical_ids = true WHERE name = 'time'")  # as an ArguAna copy would have it
    con.close()
    with open_writer(old_db) as con:
        new_hash = scoring_identity(old_hash, True)
        assert new_hash != old_hash
        assert con.execute("SELECT count(*) FROM datasets WHERE dataset_hash = ?", [new_hash]).fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM runs WHERE dataset_hash = ?", [old_hash]).fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM runs WHERE dataset_hash = ?", [new_hash]).fetchone() == (2,)  # bm25-flat, acme
        assert con.execute("SELECT count(*) FROM submission_runs WHERE dataset_hash = ?", [new_hash]).fetchone() == (1,)
