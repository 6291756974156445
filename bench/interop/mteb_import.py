"""``bench import mteb``: MTEB results files -> imported runs (aggregates only), every file checked before any is written.

Model names: ``--model`` if given, else the MTEB model id (``model_meta.json``, or the ``<org>__<model>`` folder)
normalised to a brewbench name: lower case, the ``/`` (``__`` in folders) as ``--``, any other character outside
``[a-z0-9._-]`` as ``-`` (``sentence-transformers/all-MiniLM-L6-v2`` -> ``sentence-transformers--all-minilm-l6-v2``).
A name that is still not valid (longer than 64 characters) is refused with the fix (``--model``). The name is owned
by the import source (``mteb:<model id>``): it can never take a reference, local or submission name.

Datasets: a task is mapped by its name through ``bench/datasets/mteb_tasks.yaml``; its data is another copy we cannot
verify, so the run gets a dataset identity of its own (:func:`bench.store.imports.imported_dataset_hash`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.errors import ResultsFileError
from bench.identity import Writer, synthetic_identity
from bench.interop.mteb_names import dataset_for_task
from bench.interop.mteb_read import MtebFile, read_file, results_files
from bench.store.imports import ImportedRun
from bench.store.models import ModelRow

TOOL = "mteb"


@dataclass(frozen=True)
class Plan:
    """What an import will write, and what it leaves out (with why)."""

    runs: list[ImportedRun]
    skipped: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)
    """MTEB model id -> the brewbench name it is recorded under."""


def brewbench_name(model_id: str, where: Path) -> str:
    """The brewbench name of an MTEB model id (see the module docstring); raises :class:`ResultsFileError` if none is valid."""
    from bench.specs import NAME_PATTERN

    name = re.sub(r"[^a-z0-9._-]+", "-", model_id.strip().lower().replace("__", "--").replace("/", "--")).strip("-._")
    if not re.match(NAME_PATTERN, name):
        raise ResultsFileError(
            f"{where}: model '{model_id[:80]}' gives no valid brewbench name ('{name[:80]}': lower-case letters, digits, '.', '_', '-', "
            "at most 64 characters); pass --model NAME"
        )
    return name


def plan_import(path: Path, *, model: str | None = None, family: str = "dense", skip_files: frozenset[Path] = frozenset()) -> Plan:
    """Read every results file under ``path`` (or ``path`` itself) and say what would be imported.

    Args:
        path: an MTEB results file, or a folder tree of them.
        model: the brewbench name to record them under (one model only), instead of the name the files give.
        family: the model family to record (MTEB files do not say).

    Raises:
        ResultsFileError: a file is malformed (one line: file, problem, fix); a single file's task is not mapped; no model
            can be told; ``--model`` given for files of several models. Nothing is written.
    """
    from bench.specs import FAMILIES, NAME_PATTERN

    if family not in FAMILIES:
        raise ResultsFileError(f"--family {family}: not a family; use one of {', '.join(FAMILIES)}")
    if model is not None and not re.match(NAME_PATTERN, model):
        raise ResultsFileError(f"--model {model[:80]}: not a model name; use lower-case letters, digits, '.', '_' or '-' (e.g. my-e5)")
    files = [f for f in results_files(path) if f not in skip_files]  # skip_files: embedding-task files (mteb_task_import)
    single = path.is_file()
    runs: list[ImportedRun] = []
    skipped: list[str] = []
    renamed: dict[str, str] = {}
    for file in files:
        mf = read_file(file)
        dataset = dataset_for_task(mf.task_name)
        if dataset is None:
            if single:
                raise ResultsFileError(
                    f"{file}: task '{mf.task_name}' is not a brewbench dataset; add it to bench/datasets/mteb_tasks.yaml "
                    "if its data is the registry's collection"
                )
            skipped.append(f"{file}: task {mf.task_name} is not in bench/datasets/mteb_tasks.yaml")
            continue
        model_id = mf.model_id or model
        if model_id is None:
            raise ResultsFileError(
                f"{file}: cannot tell which model these results are of (no model_meta.json, and the folders are not "
                "<org>__<model>/<revision>/); pass --model NAME"
            )
        name = model or brewbench_name(model_id, file)
        renamed[model_id] = name
        runs += _runs(mf, dataset, model_id, name, family, skipped)
    if model is not None and len(renamed) > 1:
        raise ResultsFileError(
            f"{path}: --model {model} given for the results of {len(renamed)} models ({', '.join(sorted(renamed))}); import one model's folder"
        )
    return Plan(runs, skipped, renamed)


def _runs(mf: MtebFile, dataset: str, model_id: str, name: str, family: str, skipped: list[str]) -> list[ImportedRun]:
    revision = mf.model_revision
    identity = synthetic_identity(name, family, f"{TOOL}:{model_id}@{revision or 'unknown'}")
    meta = mf.model_meta
    card = ModelRow(
        name=name,
        family=family,
        kind=None,
        hf_id=model_id if "/" in model_id else None,
        revision=revision,
        parameters=meta.get("n_parameters") if _count(meta.get("n_parameters")) else None,
        dimension=meta.get("embed_dim") if _count(meta.get("embed_dim")) else None,
        metadata={"imported_from": TOOL, "mteb_model": model_id, "description": f"results imported from {TOOL} files; aggregates only"},
    )
    subsets = {(s.split, s.hf_subset) for s in mf.scores}
    out = []
    for s in mf.scores:
        if s.hf_subset != "default" and sum(1 for sp, _ in subsets if sp == s.split) > 1:
            skipped.append(f"{mf.path}: {mf.task_name} {s.split}/{s.hf_subset}: a language subset, not the collection")
            continue
        if not s.metrics:
            skipped.append(f"{mf.path}: {mf.task_name} {s.split}: no retrieval scores (ndcg_at_k, recall_at_k, ...)")
            continue
        out.append(
            ImportedRun(
                model=card,
                identity=identity,
                writer=Writer("imported", "imported", f"{TOOL}:{model_id}"),
                dataset=dataset,
                tool=TOOL,
                task_name=mf.task_name,
                split=s.split,
                hf_subset=s.hf_subset,
                dataset_revision=mf.dataset_revision,
                tool_version=mf.mteb_version,
                layout=mf.layout,
                evaluation_time=mf.evaluation_time,
                evaluated_at=datetime.fromtimestamp(mf.date, UTC).replace(tzinfo=None) if mf.date else None,
                file=str(mf.path),
                file_sha256=mf.sha256,
                metrics=dict(s.metrics),
            )
        )
    return out


def _count(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 < v < 10**13
