"""Training under the portable kernel pin: the recipe runs in a child process whose environment pins the kernels.

The kernel settings (:data:`bench.kernels.PORTABLE`) are read when torch loads, so they cannot be changed inside a
process that has torch already: :func:`train_in_child` starts ``python -m bench.training.child`` with the pinned
environment, the recipe's thread count, ``torch.use_deterministic_algorithms(True)``, no standard input, and reads
the training card back from a JSON file. Progress lines come from the child on the same stderr. A domain error in
the child comes back as the same exception class with the same one-line message; Ctrl-C stops the child too.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import errors
from bench.kernels import pinned_env
from bench.runners.base import Progress
from bench.specs import ModelSpec
from bench.training.recipe import load_recipe


def train_in_child(spec: ModelSpec, source: str, progress: Progress | None, *, cache_root: Path | None) -> dict[str, Any]:
    """Run :func:`bench.training.pipeline.train_recipe` in a pinned child process (:mod:`bench.training.child`).

    Returns the TrainingResult's fields as JSON data (the caller rebuilds it).
    """
    threads = load_recipe(spec, source).threads
    show = progress is not None and type(progress) is not Progress
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        spec_file, result_file = Path(tmp) / "spec.json", Path(tmp) / "result.json"
        spec_file.write_text(spec.model_dump_json(), encoding="utf-8")
        cmd = [
            sys.executable,
            "-m",
            "bench.training.child",
            str(spec_file),
            source,
            str(result_file),
            str(cache_root or ""),
            str(int(show)),
        ]
        proc = subprocess.Popen(cmd, env=pinned_env(threads), stdin=subprocess.DEVNULL, stdout=_stderr_fd(), stderr=_stderr_fd())
        try:
            code = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        if not result_file.is_file():
            raise RuntimeError(f"the training process (pinned kernels) exited with code {code} without a result")
        data = json.loads(result_file.read_text(encoding="utf-8"))
    if "error" in data:
        kind = getattr(errors, data["error"], None)
        if isinstance(kind, type) and issubclass(kind, errors.BenchError):
            raise kind(data["message"])
        if data["error"] == "KeyboardInterrupt":
            raise KeyboardInterrupt
        raise RuntimeError(f"training failed in its process: {data['error']}: {data['message']}")
    return data


def _stderr_fd() -> int | None:
    """This process's stderr for the child's output (None, i.e. inherited, when stderr has no file descriptor)."""
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return None
