"""Finished runs that could not be recorded (another process held the database): saved, then recorded later.

Nothing computed is lost: when the lock timeout runs out, :func:`save_record` writes the whole
:class:`~bench.store.runs.RunRecord` (run, evaluation, spec, environment, cost) to
``$BENCH_HOME/unsaved/<run id>.json.gz`` — written to a temporary file and published with one ``os.replace`` —
and ``bench db record-saved`` verifies and records every saved run for a database with
:func:`bench.saved_runs.record_saved` (nothing in the file is trusted without re-deriving it), then deletes it.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.errors import StoreError
from bench.evaluation.evaluate import EvalResult
from bench.identity import Writer
from bench.paths import home_dir
from bench.store.models import ModelRow
from bench.store.runs import DatasetRow, RunRecord
from bench.types import Run, Thought, Timings

FORMAT = 1


def saved_dir() -> Path:
    """Where unrecorded runs wait: ``<bench home>/unsaved``."""
    return home_dir() / "unsaved"


def _encode(rec: RunRecord, db: Path) -> dict[str, Any]:
    ev = rec.evaluation
    return {
        "format": FORMAT,
        "db": str(db.resolve()),
        "run_id": rec.run_id,
        "model": asdict(rec.model),
        "dataset": asdict(rec.dataset),
        "writer": asdict(rec.writer),
        "spec": rec.spec,
        "spec_hash": rec.spec_hash,
        "weights_hash": rec.weights_hash,
        "environment": rec.environment,
        "environment_hash": rec.environment_hash,
        "code_version": rec.code_version,
        "started_at": rec.started_at.isoformat(),
        "finished_at": rec.finished_at.isoformat(),
        "timings": asdict(rec.timings),
        "cost": rec.cost,
        "evaluation": {
            "per_query": ev.per_query,
            "aggregate": ev.aggregate,
            "judged_queries": ev.judged_queries,
            "answered_queries": ev.answered_queries,
        },
        "run": {"tag": rec.run.tag, "results": {q: [[d, s] for d, s in docs] for q, docs in rec.run.results.items()}},
        "thoughts": [asdict(t) for t in rec.thoughts],
    }


def _decode(obj: dict[str, Any]) -> RunRecord:
    ev = obj["evaluation"]
    model = dict(obj["model"])
    model["training_datasets"] = tuple(model.get("training_datasets") or ())
    return RunRecord(
        run_id=obj["run_id"],
        model=ModelRow(**model),
        dataset=DatasetRow(**obj["dataset"]),
        writer=Writer(**obj["writer"]),
        spec=obj["spec"],
        spec_hash=obj["spec_hash"],
        weights_hash=obj["weights_hash"],
        environment=obj["environment"],
        environment_hash=obj["environment_hash"],
        code_version=obj["code_version"],
        started_at=datetime.fromisoformat(obj["started_at"]),
        finished_at=datetime.fromisoformat(obj["finished_at"]),
        timings=Timings(**obj["timings"]),
        cost=obj["cost"],
        evaluation=EvalResult(ev["per_query"], ev["aggregate"], ev["judged_queries"], ev["answered_queries"]),
        run=Run({q: [(d, float(s)) for d, s in docs] for q, docs in obj["run"]["results"].items()}, obj["run"]["tag"]),
        thoughts=tuple(Thought(**t) for t in obj.get("thoughts", [])),
    )


def save_record(rec: RunRecord, db: Path) -> Path:
    """Write ``rec`` (meant for ``db``) to the saved-runs folder atomically; returns the file."""
    folder = saved_dir()
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{rec.run_id}.json.gz"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{rec.run_id}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as f:
            f.write(json.dumps(_encode(rec, db), default=str).encode())
            f.flush()
        os.replace(tmp, final)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return final


def load_saved(path: Path) -> tuple[RunRecord, Path]:
    """A saved run and the database it was meant for; a damaged file is a StoreError naming it."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            obj = json.load(f)
        if obj.get("format") != FORMAT:
            raise ValueError(f"format {obj.get('format')!r}, expected {FORMAT}")
        return _decode(obj), Path(obj["db"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise StoreError(f"{path}: not a readable saved run ({e}); delete it if it is not yours") from None
