"""MTEB's results layout: ``<org>__<model>/<revision>/<Task>.json``, as ``mteb.TaskResult.from_disk`` reads it.

brewbench writes ``brewbench__<name>/<spec hash>/<Task>.json`` (the spec hash is the version, as a model revision is
mteb's) with ``scores.<split>[0]`` holding ``main_score`` (nDCG@10), ``ndcg_at_10``, ``recall_at_100``, ... — every
recorded measure mteb has a key for — and a top-level ``brewbench`` object (pydantic ignores unknown fields, so
mteb reads the file unchanged) with the provenance, spec hash, run id and dataset content hash: ``bench import mteb``
recognises such a file and refuses to relabel a brewbench result as ``imported``.
"""

from __future__ import annotations

import json
import math
from datetime import UTC
from pathlib import Path
from typing import Any

from bench.errors import StoreError
from bench.interop.mteb_names import MAIN_SCORE, task_for_dataset, to_mteb_key
from bench.store.exports import StoredRun

PROVENANCE_KEY = "brewbench"
"""The top-level key of an exported MTEB file that says where it came from."""
ORG = "brewbench"


def model_folder(run: StoredRun) -> str:
    """``brewbench__<name>/<spec hash>``: mteb's ``<org>__<model>/<revision>``."""
    return f"{ORG}__{run.model_name}/{run.spec_hash}"


def task_result(run: StoredRun) -> dict[str, Any]:
    """The MTEB results JSON of ``run`` (mteb 2.x layout), with the brewbench provenance object.

    Raises:
        StoreError: the run has no nDCG@10 (mteb's main score for retrieval).
    """
    if MAIN_SCORE not in run.metrics or not math.isfinite(run.metrics[MAIN_SCORE]):
        raise StoreError(
            f"{run.label} on {run.dataset}: run {run.run_id} has no {MAIN_SCORE}, mteb's main score; it cannot be exported as MTEB"
        )
    scores: dict[str, Any] = {"hf_subset": "default", "languages": ["eng-Latn"], "main_score": run.metrics[MAIN_SCORE]}
    unmapped = []
    for metric, value in sorted(run.metrics.items()):
        key = to_mteb_key(metric)
        if key is None:
            unmapped.append(metric)
        else:
            scores[key] = value
    from bench import __version__

    return {
        "dataset_revision": run.dataset_hash,
        "task_name": task_for_dataset(run.dataset),
        "mteb_version": None,  # not made by mteb: its layout, brewbench's numbers
        "scores": {run.split: [scores]},
        "evaluation_time": run.wall_s,
        "kg_co2_emissions": None,
        "date": run.finished_at.replace(tzinfo=UTC).timestamp(),
        PROVENANCE_KEY: {
            **run.provenance_record(),
            "brewbench_version": __version__,
            "evaluation": "trec_eval -c means over every judged query (an unanswered judged query counts 0)",
            "not_exported": unmapped,
        },
    }


def write_mteb(run: StoredRun, out: Path) -> Path:
    """Write ``out/brewbench__<name>/<spec hash>/<Task>.json`` and its ``model_meta.json``; returns the task file."""
    folder = out / model_folder(run)
    folder.mkdir(parents=True, exist_ok=True)
    result = task_result(run)
    path = folder / f"{result['task_name']}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    meta = {
        "name": f"{ORG}/{run.model_name}",
        "revision": run.spec_hash,
        "release_date": None,
        "languages": ["eng-Latn"],
        "framework": ["brewbench"],
        PROVENANCE_KEY: {
            "model": run.label,
            "spec_hash": run.spec_hash,
            "family": run.family,
            "hf_id": run.hf_id,
            "revision": run.revision,
        },
    }
    (folder / "model_meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return path


def write_task_mteb(run: dict[str, Any], label: str, out: Path) -> Path:
    """Write a recorded task run (:func:`bench.store.tasks.task_run`) as ``out/brewbench__<name>/<spec hash>/<Task>.json``.

    The scores are mteb's own ``TaskResult`` of the run; the task name is MTEB's when the content is MTEB's, else
    ``Brewbench<Name>``; the ``brewbench`` object carries the provenance, run id, task content hash and origin.
    """
    result = run.get("mteb_result")
    if not isinstance(result, dict) or "scores" not in result:
        raise StoreError(f"{label} on {run['task_name']}: run {run['run_id']} has no mteb result (an imported one?); nothing to export")
    from bench import __version__

    folder = out / f"{ORG}__{run['model_name']}/{run['spec_hash']}"
    folder.mkdir(parents=True, exist_ok=True)
    doc = {
        **result,
        PROVENANCE_KEY: {
            "model": label, "spec_hash": run["spec_hash"], "run_id": run["run_id"], "provenance": run["provenance"],
            "task": run["task_name"], "task_hash": run["task_hash"], "origin": run["origin"], "brewbench_version": __version__,
        },
    }  # fmt: skip
    path = folder / f"{result['task_name']}.json"
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    meta = {"name": f"{ORG}/{run['model_name']}", "revision": run["spec_hash"], "release_date": None, "languages": ["eng-Latn"],
            "framework": ["brewbench"], PROVENANCE_KEY: {"model": label, "spec_hash": run["spec_hash"]}}  # fmt: skip
    (folder / "model_meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return path
