"""The Tasks page in a real browser (Debian chromium through playwright) on a real DuckDB file with task runs of two
models: the task-type table, the rank-interval chart, a paired test picked on the page."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.leaderboard.test_leaderboard_browser import CHROMIUM, FLAGS, WAIT_MS, _free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def task_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from bench.cli import main

    db = tmp_path_factory.mktemp("tasks-lb") / "results.duckdb"
    for spec in ("all-minilm-l6-v2.yaml", "all-minilm-l6-v2-int8.yaml"):
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["run", str(ROOT / "models" / spec), "-t", "STS16", "-t", "MSRP", "--db", str(db)]) == 0
    port = _free_port()
    log_path = db.parent / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.cli", "leaderboard", "--db", str(db), "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert proc.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)


def test_tasks_page_shows_types_rank_intervals_and_a_paired_test(task_server: str, tmp_path: Path) -> None:
    assert CHROMIUM.is_file(), "Debian chromium is missing: apt-get install chromium chromium-driver"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1800})
            page.goto(f"{task_server}/tasks")
            expect(page.get_by_role("heading", name="Embedding tasks")).to_be_visible(timeout=WAIT_MS)
            page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=WAIT_MS)
            expect(page.get_by_text("2 model(s) on 2 task(s): MSRP, STS16.")).to_be_visible(timeout=WAIT_MS)
            expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(1, timeout=WAIT_MS)
            # the default pair: A and B are the two models; the test's line names both, a difference and a p-value
            line = page.get_by_text("(paired bootstrap, 200 resamples)")
            expect(line).to_be_visible(timeout=WAIT_MS)
            text = line.inner_text()
            assert "on MSRP: Δ" in text and "p = " in text and "over 1725 items" in text, text
            page.screenshot(path=str(tmp_path / "tasks.png"), full_page=True)
        finally:
            browser.close()
