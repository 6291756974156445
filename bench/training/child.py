"""The child process of :func:`bench.training.isolation.train_in_child`: train a recipe, write the card as JSON.

``python -m bench.training.child SPEC_JSON SOURCE RESULT_JSON CACHE_ROOT SHOW``, started with the pinned kernel
environment (:func:`bench.kernels.pinned_env`); it turns on ``torch.use_deterministic_algorithms`` before training.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

from bench import errors
from bench.runners.base import Progress
from bench.specs import ModelSpec


def _child(spec_file: str, source: str, result_file: str, cache_root: str, show: str) -> int:
    import torch

    torch.use_deterministic_algorithms(True)
    from rich.console import Console

    from bench.progress import RichProgress
    from bench.training.pipeline import train_recipe

    out = Path(result_file)
    progress = RichProgress(Console(stderr=True)) if show == "1" else Progress()
    try:
        spec = ModelSpec.model_validate_json(Path(spec_file).read_text(encoding="utf-8"))
        result = train_recipe(spec, source, progress, cache_root=Path(cache_root) if cache_root else None)
    except (errors.BenchError, OSError, ValueError, KeyboardInterrupt) as e:
        out.write_text(json.dumps({"error": type(e).__name__, "message": str(e)}), encoding="utf-8")
        return 1
    data = asdict(result)
    data["model_folder"] = str(result.model_folder)
    out.write_text(json.dumps(data, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(_child(*sys.argv[1:6]))
