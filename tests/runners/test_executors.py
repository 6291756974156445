"""The executors: the torch threads a run records (read without importing torch), and the engine by name."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bench.runners.engines import executor_for
from bench.runners.executors import LocalExecutor, default_torch_threads


def test_effective_threads_does_not_import_torch_and_agrees_with_it() -> None:
    # a fresh process: nothing has set torch's threads yet
    code = (
        "import sys\n"
        "from bench.runners.executors import LocalExecutor\n"
        "n = LocalExecutor().effective_threads()\n"
        "assert 'torch' not in sys.modules\n"
        "import torch\n"
        "assert n == torch.get_num_threads() == LocalExecutor().effective_threads(), (n, torch.get_num_threads())\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_default_threads_follow_torchs_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    assert LocalExecutor(threads=3).effective_threads() == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "5")
    assert default_torch_threads() == 5
    monkeypatch.setenv("MKL_NUM_THREADS", "7")
    assert default_torch_threads() == 7
    monkeypatch.setenv("MKL_NUM_THREADS", "x")
    assert default_torch_threads() == 5


def test_executor_for_names_the_engine() -> None:
    assert executor_for("local", threads=2).threads == 2
    with pytest.raises(ValueError, match="unknown engine"):
        executor_for("nope")
