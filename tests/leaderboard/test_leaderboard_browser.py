"""End to end: `bench leaderboard` serves the app on 127.0.0.1; Debian Chromium, driven by Playwright, uses it.

Screenshots go to the test's tmp dir and to artifacts/screenshots/ (gitignored) for people to look at.
Chromium comes from apt (``chromium``, ``chromium-driver``; .ci/run installs them): never ``playwright install``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from lbdb import HOSTILE, PUBLISHED_REF, TOP_ROW, Built
from playwright.sync_api import Page, expect, sync_playwright

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
SHOTS = ROOT / "artifacts" / "screenshots"
WAIT_MS = 30_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(leaderboard_db: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real CLI (`bench leaderboard --db ... --port ...`) in its own process group, until the module ends."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.cli", "leaderboard", "--db", str(leaderboard_db.db), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # streamlit is a child of the CLI: stop the whole group at the end
        )
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
            assert proc.poll() is None, f"`bench leaderboard` exited with {proc.returncode}:\n{log_path.read_text()}"
            assert time.monotonic() < deadline, f"the leaderboard did not come up on {url}:\n{log_path.read_text()}"
            time.sleep(0.5)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)


def _shot(page: Page, tmp_path: Path, name: str) -> None:
    page.wait_for_timeout(800)  # let charts and the canvas grid paint
    target = tmp_path / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(target, SHOTS / target.name)


def _no_untrusted_markup(page: Page) -> None:
    assert page.locator('a[href*="evil.example"]').count() == 0
    assert page.locator('img[src="x"]').count() == 0


def _choose(page: Page, label: str, option: str) -> None:
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_browser_filter_open_a_model_and_compare(server: str, tmp_path: Path) -> None:
    assert CHROMIUM.is_file(), "Debian chromium is missing: apt-get install chromium chromium-driver (.ci/run installs them)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1800})
            page.goto(server)
            page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=WAIT_MS)
            expect(page.get_by_role("heading", name="Leaderboard")).to_be_visible(timeout=WAIT_MS)
            expect(page.get_by_text("ranked by Borda count (MTEB v2's rule)")).to_be_visible()
            expect(page.get_by_text("2 model(s) are ranked on the datasets they have and get no mean")).to_be_visible()
            _no_untrusted_markup(page)
            _shot(page, tmp_path, "1-overview")

            # click a filter: zero-shot only hides the tuned model's MED cell
            page.get_by_text("Zero-shot only").click()
            expect(page.get_by_text("Zero-shot only: 1 cell(s) hidden")).to_be_visible(timeout=WAIT_MS)
            _shot(page, tmp_path, "2-overview-zero-shot")

            # open a model
            _choose(page, "Open a model", "bm25-flat")
            link = page.get_by_role("link", name="Open model page")
            expect(link).to_have_attribute("href", re.compile(r"model=bm25-flat$"), timeout=WAIT_MS)  # after the rerun
            link.click()
            page.wait_for_url("**/model?model=bm25-flat", timeout=WAIT_MS)
            expect(page.get_by_text("Run history")).to_be_visible(timeout=WAIT_MS)
            expect(page.get_by_text("Reproduction checks")).to_be_visible()
            expect(page.get_by_role("heading", name="bm25-flat")).to_be_visible()
            expect(page.get_by_text("Weights sha256")).to_be_visible()
            expect(page.get_by_text("query latency (ms/query)")).to_be_visible()
            _shot(page, tmp_path, "3-model")

            # open a comparison from the model page
            link = page.get_by_role("link", name="Compare this model with another")
            expect(link).to_have_attribute("href", re.compile(r"a=bm25-flat"), timeout=WAIT_MS)
            link.click()
            expect(page.get_by_text("Largest differences")).to_be_visible(timeout=WAIT_MS)
            assert "a=bm25-flat" in page.url
            expect(page.get_by_text("A wins / ties / B wins")).to_be_visible()
            expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(1)
            _no_untrusted_markup(page)
            _shot(page, tmp_path, "4-compare")

            # the dataset and efficiency pages through the sidebar navigation
            page.locator('[data-testid="stSidebarNav"]').get_by_text("Dataset", exact=True).click()
            expect(page.get_by_text("Dataset card")).to_be_visible(timeout=WAIT_MS)
            expect(page.get_by_text("holm-corrected over")).to_be_visible(timeout=WAIT_MS)
            _shot(page, tmp_path, "5-dataset")
            page.locator('[data-testid="stSidebarNav"]').get_by_text("Efficiency", exact=True).click()
            expect(page.get_by_text("the line joins the Pareto front")).to_be_visible(timeout=WAIT_MS)
            _shot(page, tmp_path, "6-efficiency")

            # an untrusted model name is shown verbatim, as text
            page.goto(f"{server}/model?model={quote(HOSTILE)}")
            expect(page.get_by_text(HOSTILE, exact=True).first).to_be_visible(timeout=WAIT_MS)
            _no_untrusted_markup(page)
            _shot(page, tmp_path, "7-model-untrusted-name")
        finally:
            browser.close()
    assert sorted(f.name for f in tmp_path.glob("*.png")) == [
        "1-overview.png",
        "2-overview-zero-shot.png",
        "3-model.png",
        "4-compare.png",
        "5-dataset.png",
        "6-efficiency.png",
        "7-model-untrusted-name.png",
    ]


def _grid(page: Page, has_column: str) -> tuple[list[str], list[list[str]]]:
    """(headers, rows) of the st.dataframe that has ``has_column``, read from the grid's accessibility cells (the
    canvas draws the same values; a viewport wide enough for every column)."""
    frames = page.locator('[data-testid="stDataFrame"]')
    frames.locator('[role="columnheader"]').filter(has_text=has_column).first.wait_for(state="attached", timeout=WAIT_MS)
    seen = []
    for i in range(frames.count()):
        grid = frames.nth(i)
        headers = grid.locator('[role="columnheader"]').all_text_contents()
        seen.append(headers)
        if has_column in headers:
            rows = [r.locator('[role="gridcell"]').all_text_contents() for r in grid.locator('[role="row"]').all()]
            return headers, [r for r in rows if r]
    raise AssertionError(f"no dataframe with a {has_column} column: {seen}")


def _by_model(headers: list[str], rows: list[list[str]]) -> dict[str, dict[str, str]]:
    return {r[headers.index("Model")]: dict(zip(headers, r, strict=True)) for r in rows}


def test_browser_ranked_overview_published_rows_reproductions_and_a_suite(server: str, leaderboard_db: Built, tmp_path: Path) -> None:
    """Issues 19 and 20 in the real page: the default Overview is ranked (Borda) with a model that misses a dataset; the
    published rows sit apart with their badge and never enter the mean; the Reproduces published column shows bm25-flat's
    verdict; the suite selector turns the table into classic-7's members with n of N and the missing members."""
    from bench.store.db import open_read_only
    from bench.store.leaderboard import leaderboard_cells, leaderboard_datasets

    with open_read_only(leaderboard_db.db) as con:
        cells = leaderboard_cells(con, "nDCG@10")
        names = leaderboard_datasets(con).set_index("dataset_hash")["name"]
    mine = cells[cells["model"] == "bm25-flat"]
    flat = {names[h]: v for h, v in zip(mine["dataset_hash"], mine["value"], strict=True)}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 2600, "height": 2000})
            page.goto(server)
            page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=WAIT_MS)
            expect(page.get_by_text("ranked by Borda count (MTEB v2's rule)")).to_be_visible(timeout=WAIT_MS)
            headers, rows = _grid(page, "Borda")
            table = _by_model(headers, rows)
            assert set(table) == {"bm25-flat", "bm25-multifield", "bm25-tuned-med", HOSTILE}, table
            ranks = [int(r[headers.index("Rank")]) for r in rows]
            assert ranks == sorted(ranks) and len(set(ranks)) > 1
            tuned = table["bm25-tuned-med"]  # misses time, and is ranked all the same (no mean)
            assert tuned["Datasets"] == "2 of 3" and tuned["time"] == "" and tuned["Rank"].isdigit() and tuned["Mean"] == ""
            assert float(tuned["Borda"]) > 0

            # the published rows: own table, badge, source; not in the measured grid, not in bm25-flat's mean
            expect(page.get_by_role("heading", name="Published reference rows")).to_be_visible()
            badge = page.locator("p").filter(has=page.get_by_role("img", name="menu_book icon"))
            expect(badge).to_have_count(1)
            expect(badge).to_have_text(re.compile(r"^\s*(menu_book)?\s*published\s*$"))
            pub_headers, pub_rows = _grid(page, "Badge")
            published = {r[pub_headers.index("Row")]: dict(zip(pub_headers, r, strict=True)) for r in pub_rows}
            assert set(published) == {"bm25-flat", TOP_ROW}, published
            assert published[TOP_ROW]["Badge"] == "published" and published[TOP_ROW]["Source"] == PUBLISHED_REF
            assert float(published[TOP_ROW]["adi"]) == pytest.approx(0.9999)
            assert TOP_ROW not in table
            assert float(table["bm25-flat"]["Mean"]) == pytest.approx(sum(flat.values()) / 3)
            assert all(float(t["Mean"]) < 0.9 for t in table.values() if t["Mean"])

            # the reproduces-published verdict
            assert table["bm25-flat"]["Reproduces published"] == "OK vs lbdb-table bm25-flat (adi)"
            assert table["bm25-multifield"]["Reproduces published"] == "—"
            _no_untrusted_markup(page)
            _shot(page, tmp_path, "8-overview-ranked-published")

            # the suite selector changes the table
            _choose(page, "Suite", "classic-7: The seven classic test collections")
            expect(page.get_by_text("0 of 4 model(s) have every member of classic-7.")).to_be_visible(timeout=WAIT_MS)
            page.wait_for_timeout(1000)
            headers, rows = _grid(page, "Suite mean")
            assert "Borda" not in headers and headers[headers.index("Missing") + 1 :] == [
                "adi",
                "time",
                "med",
                "cisi",
                "cranfield",
                "cacm",
                "npl",
            ]
            suite = _by_model(headers, rows)
            assert suite["bm25-flat"]["Members"] == "3 of 7" and suite["bm25-flat"]["Suite mean"] == ""
            assert suite["bm25-flat"]["Reproduces published"] == "OK vs lbdb-table bm25-flat (adi)"
            miss_headers, miss_rows = _grid(page, "has")
            assert ["bm25-flat", "3 of 7", "cisi, cranfield, cacm, npl"] in miss_rows, (miss_headers, miss_rows)
            _no_untrusted_markup(page)
            _shot(page, tmp_path, "9-overview-suite")
        finally:
            browser.close()
    assert sorted(f.name for f in tmp_path.glob("*.png")) == ["8-overview-ranked-published.png", "9-overview-suite.png"]
