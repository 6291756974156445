"""The website's inbox: uploads are validated, filed under a generated id, then ingested as pending and approved."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

from bench.store.db import open_read_only
from bench.store.leaderboard import leaderboard_cells
from bench.submissions.inbox import PROCESSED, REJECTED, Upload, metadata_from_form, new_id, save_upload, upload_dataset
from bench.submissions.runfile import Limits
from tests.clihelp import bench
from tests.submissions.subhelp import EXAMPLE, counts

ADI = (EXAMPLE / "runs" / "adi.trec").read_bytes()


def _leaderboard(db: Path) -> list[tuple[str, str]]:
    with open_read_only(db) as con:
        cells = leaderboard_cells(con, "nDCG@10")
    return list(zip(cells["model"], cells["provenance"], strict=True))


def _form(**overrides: object) -> dict:
    fields = {"name": "web-bm25", "family": "lexical", "licence": "MIT", "contact": "me@example.org", "parameters": 0}
    return metadata_from_form(**{**fields, **overrides})  # type: ignore[arg-type]


def test_uploaded_names_only_select_a_dataset() -> None:
    assert upload_dataset("adi.trec") == "adi"
    assert upload_dataset("ADI.trec.gz") == "adi"
    assert upload_dataset("../../etc/adi.trec") == "adi"  # directories are dropped, never followed
    assert upload_dataset("C:\\runs\\time.trec") == "time"
    assert upload_dataset("adi; rm -rf.trec") is None
    ids = {new_id("../../Evil Name!") for _ in range(3)}
    assert len(ids) == 3
    assert all(i.startswith("evil-name-") and set(i) <= set("abcdefghijklmnopqrstuvwxyz0123456789.-") for i in ids)


def test_valid_upload_is_filed_under_a_generated_id(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    sid, problems = save_upload(_form(), [Upload("../../../tmp/adi.trec", ADI), Upload("time.trec.gz", gzip.compress(b""))], inbox)
    assert sid is None and any("runs/time.trec.gz: the run file has no lines" in p for p in problems), problems
    assert [p.name for p in inbox.iterdir()] == []  # nothing left behind by a refused upload
    sid, problems = save_upload(_form(), [Upload("../../../tmp/adi.trec", ADI)], inbox)
    assert problems == [] and sid is not None and sid.startswith("web-bm25-")
    files = sorted(str(p.relative_to(inbox)) for p in inbox.rglob("*") if p.is_file())
    assert files == [f"{sid}/runs/adi.trec", f"{sid}/submission.yaml"]
    assert (inbox / sid / "runs" / "adi.trec").read_bytes() == ADI
    assert not (tmp_path / "tmp").exists()


def test_upload_problems_come_back_without_server_paths(tmp_path: Path) -> None:
    sid, problems = save_upload(
        _form(contact="nobody", links="ftp://x"), [Upload("adi.trec", ADI.replace(b" Q0 69 1 ", b" Q0 69 1 x ", 1))], tmp_path
    )
    assert sid is None
    assert any(p.startswith("form: contact: 'nobody' is neither an e-mail address nor an http(s) URL; give an e-mail") for p in problems)
    assert "form: links: not an http(s) URL: 'ftp://x'; list https:// URLs (paper, code, weights)" in problems
    assert any(p.startswith("runs/adi.trec:1: expected 6 columns") for p in problems), problems
    assert not any(str(tmp_path) in p for p in problems)


def test_size_limits_per_file_and_per_submission(tmp_path: Path) -> None:
    limits = Limits(max_file_bytes=100_000, max_submission_bytes=150_000)
    big = ADI + ADI[:20_000]
    _, problems = save_upload(_form(), [Upload("adi.trec", big)], tmp_path, limits)
    assert problems == [f"uploaded file 'adi.trec': {len(big):,} bytes, over the limit of 100,000 per file; gzip it"]
    _, problems = save_upload(_form(), [Upload("adi.trec", ADI), Upload("time.trec", ADI)], tmp_path, limits)
    assert f"the upload is {2 * len(ADI):,} bytes, over the limit of 150,000 per submission; gzip the files" in problems
    _, problems = save_upload(_form(), [Upload("notes.txt", b"x"), Upload("adi.trec", ADI), Upload("adi.trec.gz", ADI)], tmp_path, limits)
    assert problems[0] == "uploaded file 'notes.txt': not named after a dataset; rename it <dataset>.trec, e.g. adi.trec"
    assert "a second run for dataset 'adi'" in problems[1]
    assert list(tmp_path.iterdir()) == []


def test_process_inbox_then_approve(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inbox, db = tmp_path / "inbox", tmp_path / "results.duckdb"
    sid, _ = save_upload(_form(), [Upload("adi.trec", ADI)], inbox)
    bad = inbox / "hand-placed"
    (bad / "runs").mkdir(parents=True)
    (bad / "submission.yaml").write_text("name: x\n")
    r = bench(capsys, "submit", "process-inbox", "--db", db, "--inbox", inbox)
    assert r.code == 0, r.err
    assert f"{sid}: pending review; publish it with `bench submit approve {sid}`" in r.out
    assert "hand-placed: rejected" in r.out
    assert (inbox / PROCESSED / sid / "runs" / "adi.trec").is_file()
    assert "family: required field is missing" in (inbox / REJECTED / "hand-placed" / "problems.txt").read_text()
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT provenance FROM runs").fetchall() == [("pending",)]
    assert con.execute("SELECT status, source FROM submissions").fetchone() == ("pending", str(inbox / PROCESSED / sid))
    con.close()
    listed = bench(capsys, "submit", "list", "--status", "pending", "--db", db, "--json").json()
    assert [row["submission_id"] for row in listed] == [sid]
    assert _leaderboard(db) == []  # pending is never shown

    assert bench(capsys, "submit", "approve", sid, "--db", db).code == 0
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT provenance FROM runs").fetchall() == [("self-reported",)]
    assert con.execute("SELECT owner FROM models WHERE name = 'web-bm25'").fetchone() == ("submission",)
    con.close()
    assert _leaderboard(db) == [("web-bm25", "self-reported")]
    before = counts(db)
    again = bench(capsys, "submit", "approve", sid, "--db", db)
    assert again.code == 7 and "is self-reported, not pending; nothing to approve" in again.err
    assert bench(capsys, "submit", "approve", "no-such-id", "--db", db).code == 7
    assert counts(db) == before
    assert bench(capsys, "submit", "process-inbox", "--db", db, "--inbox", inbox).out.strip().endswith("nothing waiting")
