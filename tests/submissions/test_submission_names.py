"""Names are owned by what was accepted, not by what was uploaded (issue 21, class 4).

A pending upload claims no name: two may share one, a later run or upload may take it, and approving one whose
name was accepted for someone else meanwhile is exit 9. `bench submit reject` (a maintainer, with a reason) and
`bench submit withdraw` (the submitter, named by the contact they declared) close a pending submission, keep it on
record and free nothing that was accepted. Real inbox, real DuckDB file, the real example run on ADI.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.submissions.inbox import Upload, metadata_from_form, save_upload
from tests.clihelp import bench, db_rows
from tests.submissions.subhelp import EXAMPLE, counts

ADI = (EXAMPLE / "runs" / "adi.trec").read_bytes()
CONTACT = "me@example.org"


def _upload(inbox: Path, name: str = "web-bm25") -> str:
    form = metadata_from_form(name=name, family="lexical", licence="MIT", contact=CONTACT, parameters=0)
    sid, problems = save_upload(form, [Upload("adi.trec", ADI)], inbox)
    assert sid is not None, problems
    return sid


def _pending(capsys: pytest.CaptureFixture[str], tmp_path: Path, n: int = 1) -> tuple[Path, list[str]]:
    """``n`` uploads of one model name, processed: each pending."""
    inbox, db = tmp_path / "inbox", tmp_path / "results.duckdb"
    sids = [_upload(inbox) for _ in range(n)]
    r = bench(capsys, "submit", "process-inbox", "--db", db, "--inbox", inbox)
    assert r.code == 0 and r.out.count("pending review") == n, r.out + r.err
    return db, sids


def _status(db: Path, sid: str) -> str:
    ((status,),) = db_rows(db, f"SELECT status FROM submissions WHERE submission_id = '{sid}'")
    return status


def _one_line(r: object) -> str:
    err = r.err  # type: ignore[attr-defined]
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_pending_uploads_share_a_name_and_the_second_approval_is_exit_9(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, (first, second) = _pending(capsys, tmp_path, 2)
    assert db_rows(db, "SELECT count(*) FROM models WHERE name = 'web-bm25'") == [(0,)]  # pending owns nothing
    assert bench(capsys, "submit", "approve", first, "--db", db).code == 0
    assert db_rows(db, "SELECT owner, owner_key FROM models WHERE name = 'web-bm25'") == [("submission", first)]
    before = counts(db)
    r = bench(capsys, "submit", "approve", second, "--db", db)
    assert r.code == 9, r.err
    assert f"already belongs to submission '{first}'" in _one_line(r)
    assert counts(db) == before and _status(db, second) == "pending"
    assert db_rows(db, "SELECT DISTINCT provenance FROM runs r JOIN submission_runs s USING (run_id) WHERE s.submission_id = "
                   f"'{second}'") == [("pending",)]  # fmt: skip


@pytest.mark.parametrize("taker", ["bench eval --record", "bench submit ingest", "bench run of a local spec", "bench import mteb"])
def test_a_pending_name_can_be_taken_and_its_approval_is_then_exit_9(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], taker: str
) -> None:
    db, (sid,) = _pending(capsys, tmp_path)
    if taker == "bench eval --record":
        run = tmp_path / "mine.trec"
        run.write_bytes(ADI)
        r = bench(capsys, "eval", run, "-d", "adi", "--record", "--model", "web-bm25", "--family", "lexical", "--db", db)
        owner = "local"
    elif taker == "bench submit ingest":
        folder = tmp_path / "theirs"
        (folder / "runs").mkdir(parents=True)
        (folder / "runs" / "adi.trec").write_bytes(ADI)
        text = (EXAMPLE / "submission.yaml").read_text().replace("name: acme-bm25plus", "name: web-bm25")
        (folder / "submission.yaml").write_text("\n".join(line for line in text.splitlines() if "time" not in line) + "\n")
        r = bench(capsys, "submit", "ingest", folder, "--db", db)
        owner = "submission"
    elif taker == "bench import mteb":
        import json

        from tests.interop.test_mteb_import import V1_SCIFACT

        results = tmp_path / "SciFact.json"
        results.write_text(json.dumps(V1_SCIFACT))
        r = bench(capsys, "import", "mteb", results, "--model", "web-bm25", "--family", "lexical", "--db", db)
        owner = "imported"
    else:
        spec = tmp_path / "web-bm25.yaml"
        spec.write_text((EXAMPLE.parent.parent / "models" / "bm25-flat.yaml").read_text().replace("name: bm25-flat", "name: web-bm25"))
        r = bench(capsys, "run", spec, "-d", "adi", "--db", db)
        owner = "local"
    assert r.code == 0, r.err  # the pending upload did not own the name
    assert db_rows(db, "SELECT owner FROM models WHERE name = 'web-bm25'") == [(owner,)]
    before = counts(db)
    r = bench(capsys, "submit", "approve", sid, "--db", db)
    assert r.code == 9 and "model name 'web-bm25' already belongs to" in _one_line(r), r.err
    assert counts(db) == before and _status(db, sid) == "pending"


def test_reject_and_withdraw_keep_a_record_and_free_the_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, (rejected, withdrawn, kept) = _pending(capsys, tmp_path, 3)
    r = bench(capsys, "submit", "reject", rejected, "--reason", "run file is a copy of bm25-flat's", "--db", db)
    assert r.code == 0 and "rejected" in r.out, r.err
    r = bench(capsys, "submit", "withdraw", withdrawn, "--contact", CONTACT.upper(), "--db", db)
    assert r.code == 0 and "withdrawn" in r.out, r.err
    listed = {row["submission_id"]: row for row in bench(capsys, "submit", "list", "--db", db, "--json").json()}
    assert listed[rejected]["status"] == "rejected" and listed[rejected]["reason"] == "run file is a copy of bm25-flat's"
    assert listed[rejected]["closed_by"] == "maintainer" and listed[withdrawn]["closed_by"] == "submitter"
    assert listed[withdrawn]["runs"] == 1  # the record stays: its runs are kept, pending, never shown
    assert db_rows(db, "SELECT count(*) FROM models") == [(0,)]
    assert bench(capsys, "submit", "approve", kept, "--db", db).code == 0
    assert db_rows(db, "SELECT owner_key FROM models WHERE name = 'web-bm25'") == [(kept,)]


@pytest.mark.parametrize(
    "case",
    [
        "reject without a reason",
        "reject with an escape sequence as reason",
        "reject an accepted submission",
        "withdraw with someone else's contact",
        "withdraw an accepted submission",
        "withdraw an id that is a path",
        "approve a rejected submission",
    ],
)
def test_closing_a_submission_refuses_hostile_requests(tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    db, (accepted, pending) = _pending(capsys, tmp_path, 2)
    assert bench(capsys, "submit", "approve", accepted, "--db", db).code == 0
    if case == "approve a rejected submission":
        assert bench(capsys, "submit", "reject", pending, "--reason", "spam", "--db", db).code == 0
    before = (counts(db), db_rows(db, "SELECT submission_id, status, decision FROM submissions ORDER BY 1"))
    args = {
        "reject without a reason": ("reject", pending, "--reason", "  "),
        "reject with an escape sequence as reason": ("reject", pending, "--reason", "ok\x1b[2J"),
        "reject an accepted submission": ("reject", accepted, "--reason", "changed my mind"),
        "withdraw with someone else's contact": ("withdraw", pending, "--contact", "mallory@example.org"),
        "withdraw an accepted submission": ("withdraw", accepted, "--contact", CONTACT),
        "withdraw an id that is a path": ("withdraw", "../../etc/passwd", "--contact", CONTACT),
        "approve a rejected submission": ("approve", pending),
    }[case]
    r = bench(capsys, "submit", *args, "--db", db)
    assert r.code == 7, r.err
    line = _one_line(r)
    if "accepted" in case:
        assert "is self-reported, not pending" in line and "keeps its name" in line
    after = (counts(db), db_rows(db, "SELECT submission_id, status, decision FROM submissions ORDER BY 1"))
    assert after == before
    assert db_rows(db, "SELECT owner_key FROM models WHERE name = 'web-bm25'") == [(accepted,)]


def test_the_migration_frees_names_that_pending_uploads_held(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A database written before this change: a pending upload owned its name (models + model_versions rows)."""
    import duckdb

    from bench.store.db import migrate, schema_version
    from bench.store.migrations import MIGRATIONS

    inbox, db = tmp_path / "inbox", tmp_path / "results.duckdb"
    held, accepted = _upload(inbox, "web-a"), _upload(inbox, "web-b")
    assert bench(capsys, "submit", "process-inbox", "--db", db, "--inbox", inbox).code == 0
    assert bench(capsys, "submit", "approve", accepted, "--db", db).code == 0
    con = duckdb.connect(str(db))
    ((identity,),) = con.execute("SELECT DISTINCT spec_hash FROM runs WHERE model_name = 'web-a'").fetchall()
    con.execute("INSERT INTO models (name, owner, owner_key, claimed_at) VALUES ('web-a', 'submission', ?, now())", [held])
    con.execute(
        f"INSERT INTO model_versions SELECT * REPLACE ('web-a' AS name, '{identity}' AS spec_hash) FROM model_versions WHERE name = 'web-b'"
    )
    con.execute("ALTER TABLE submissions DROP COLUMN decision")
    con.execute("DELETE FROM _migrations WHERE name = 'm_submission_decisions'")
    con.close()
    con = duckdb.connect(str(db))
    try:
        assert migrate(con) == [next(n for n, name, _ in MIGRATIONS if name == "m_submission_decisions")]
        assert schema_version(con) == len(MIGRATIONS)
        assert con.execute("SELECT name, owner_key FROM models ORDER BY 1").fetchall() == [("web-b", accepted)]
        assert con.execute("SELECT name FROM model_versions ORDER BY 1").fetchall() == [("web-b",)]
        assert con.execute("SELECT count(*) FROM runs WHERE model_name = 'web-a' AND provenance = 'pending'").fetchone() == (1,)
    finally:
        con.close()
    assert bench(capsys, "submit", "approve", held, "--db", db).code == 0  # its name was free again, and is claimed now
    assert db_rows(db, "SELECT owner_key FROM models WHERE name = 'web-a'") == [(held,)]
