"""The Submit page through AppTest: the real form and file uploader, the inbox on disk, and no database writes.

AppTest in Streamlit 1.67 uploads files (``file_uploader.set_value``), so these tests drive the page's own
upload path end to end; only the browser's HTTP upload itself is not exercised here.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = ROOT / "leaderboard" / "app.py"
ADI = (ROOT / "submissions" / "acme-bm25plus" / "runs" / "adi.trec").read_bytes()


@pytest.fixture
def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("BENCH_INBOX", str(tmp_path / "inbox"))
    monkeypatch.setenv("BENCH_DB", str(tmp_path / "results.duckdb"))  # must never come into existence
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page("views/submit.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _fill(at: AppTest, files: list[tuple[str, bytes, str]], **fields: str) -> AppTest:
    values = {"Model name": "web-bm25", "Licence": "MIT", "Contact": "me@example.org", **fields}
    for box in at.text_input:
        if box.label in values:
            box.input(values[box.label])
    at.get("file_uploader")[0].set_value(files)
    at.button[0].click()
    return at.run()


def test_the_submit_page_is_in_the_navigation_and_shows_the_form(page: AppTest) -> None:
    assert page.title[0].value == "Submit results"
    assert [w.label for w in page.text_input] == ["Model name", "Licence", "Training datasets", "Contact"]
    assert page.selectbox[0].options == ["lexical", "learned-sparse", "dense", "reasoning", "soft-label"]
    assert page.get("file_uploader")[0].accept_multiple_files


def test_a_valid_upload_lands_in_the_inbox_and_never_in_the_database(page: AppTest, tmp_path: Path) -> None:
    at = _fill(page, [("adi.trec", ADI, "text/plain"), ("time.trec.gz", gzip.compress(_time_run()), "application/gzip")])
    assert not at.exception, [e.value for e in at.exception]
    assert [s.value for s in at.success] == ["Received. A maintainer will review it; quote this id in any question:"]
    sid = at.main.code[-1].value
    folder = tmp_path / "inbox" / sid
    assert sorted(p.name for p in (folder / "runs").iterdir()) == ["adi.trec", "time.trec.gz"]
    assert "contact: me@example.org" in (folder / "submission.yaml").read_text()
    assert not (tmp_path / "results.duckdb").exists()


def test_problems_are_shown_as_text_and_nothing_is_filed(page: AppTest, tmp_path: Path) -> None:
    hostile = b"1 Q0 1 1 nan [x](javascript:alert(1))\n1 Q0 **bold** 2 1.0 x\n"
    at = _fill(page, [("adi.trec", hostile, "text/plain")], Contact="nobody")
    assert [e.value for e in at.error] == ["Not submitted: 3 problem(s). Fix them and submit again."]
    shown = at.main.code[-1].value
    assert "form: contact: 'nobody' is neither an e-mail address nor an http(s) URL" in shown
    assert "runs/adi.trec:1: score 'nan' is not finite" in shown
    assert "runs/adi.trec:2: unknown document id '**bold**'" in shown
    assert all("**bold**" not in str(m.value) for m in at.markdown)  # the uploaded text only ever appears in st.code
    assert not (tmp_path / "inbox").exists() or not any((tmp_path / "inbox").iterdir())
    assert not (tmp_path / "results.duckdb").exists()


def _time_run() -> bytes:
    from bench.datasets import resolve_dataset

    ds = resolve_dataset("time")
    docs = sorted(ds.corpus_ids())[:10]
    return "".join(f"{q.id} Q0 {d} {i} {10 - i} web\n" for q in ds.judged_queries() for i, d in enumerate(docs, start=1)).encode()
