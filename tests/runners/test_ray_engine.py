"""Encoding on Ray, run in a test process of its own (see ``ray_cases.py`` for the cases and why they are separate)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CASES = Path(__file__).with_name("ray_cases.py")


def test_ray_cases_pass_in_their_own_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(CASES)],
        cwd=CASES.parents[2],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert summary.startswith("3 passed"), summary  # every case ran: none skipped, none deselected
