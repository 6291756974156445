"""``bench import mteb``: MTEB results files -> imported runs (aggregates only), every file checked before any is written.

Model names: ``--model`` if given, else the MTEB model id (``model_meta.json``, or the ``<org>__<model>`` folder)
normalised to a brewbench name: lower case, the ``/`` (``__`` in folders) as ``--``, any other character outside
``[a-z0-9._-]`` as ``-`` (``sentence-transformers/all-MiniLM-L6-v2`` -> ``sentence-transformers--all-minilm-l6-v2``).
A name that is still not valid (longer than 64 characters) is refused with the fix (``--model``). The name is owned
by the import source (``mteb:<model id>``): it can never take a reference, local or submission name. One identity
per model: files of the id + revision a reference spec pins (:func:`bench.identity.reference_for_weights`) attach to
that spec instead (its name, its spec hash, provenance ``imported``).

Family and zero-shot: what the results say, never a guess. ``--family`` / ``--zero-shot yes|no`` if given, else
mteb's ``model_meta.json`` beside the results (``model_type`` dense -> ``dense``; sparse with no parameters ->
``lexical``, with parameters -> ``learned-sparse``; ``training_datasets`` -> the collections it trained on, each
MTEB task name mapped to its registry name), else ``unknown`` (stored as such, and shown as such: an import is never
shown as dense or zero-shot because nothing said otherwise). A model without parameters (BM25) trains on nothing.

Checked as strictly as our own results: a split and subset listed twice with different scores is refused (mteb writes
each once), and so is a ``main_score`` that disagrees with ``ndcg_at_10``, the main score of every retrieval task.

Datasets: a task is mapped by its name through ``bench/datasets/mteb_tasks.yaml``; its data is another copy we cannot
verify, so the run gets a dataset identity of its own (:func:`bench.store.imports.imported_dataset_hash`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.errors import ResultsFileError
from bench.identity import Writer, reference_for_weights, synthetic_identity
from bench.interop.mteb_names import dataset_for_task
from bench.interop.mteb_read import MtebFile, read_file, results_files
from bench.store.imports import ImportedRun
from bench.store.models import ModelRow

TOOL = "mteb"
UNKNOWN = "unknown"
"""The family, or the zero-shot status, of an import that nothing declares."""
MAX_TRAINING = 1000


@dataclass(frozen=True)
class Declared:
    """What is known about an imported model's family and training data, and who said it."""

    family: str
    family_from: str
    training: tuple[str, ...]
    zero_shot: str
    """``declared`` (``training`` lists every collection it trained on) or ``unknown``."""
    zero_shot_from: str

    def card_metadata(self) -> dict[str, str]:
        return {"family_from": self.family_from, "zero_shot": self.zero_shot, "zero_shot_from": self.zero_shot_from}


def _meta_family(meta: dict[str, Any], where: Path) -> str | None:
    kinds = meta.get("model_type")
    if kinds is None:
        return None
    if not isinstance(kinds, list) or not kinds or not all(isinstance(k, str) for k in kinds):
        raise ResultsFileError(f"{where}: model_type is {str(kinds)[:60]!r}, not a list of model types; fix the file, or pass --family")
    params = meta.get("n_parameters")
    if set(kinds) == {"dense"}:
        return "dense"
    if set(kinds) == {"sparse"} and isinstance(params, int) and not isinstance(params, bool):
        return "lexical" if params == 0 else "learned-sparse" if _count(params) else None
    return None


def _meta_training(meta: dict[str, Any], where: Path) -> tuple[str, ...] | None:
    from bench.ids import id_problem
    from bench.interop.mteb_names import dataset_for_task

    if "training_datasets" not in meta or meta["training_datasets"] is None:
        return None
    raw = meta["training_datasets"]
    names = list(raw) if isinstance(raw, list | dict) else None
    if names is None or len(names) > MAX_TRAINING or not all(isinstance(n, str) and id_problem(n) is None for n in names):
        raise ResultsFileError(
            f"{where}: training_datasets is not a list of at most {MAX_TRAINING} dataset names; fix the file, or pass --zero-shot yes|no"
        )
    return tuple(sorted({dataset_for_task(n) or n for n in names}))


def declared(meta: dict[str, Any], where: Path, *, family: str | None, zero_shot: str | None, datasets: list[str]) -> Declared:
    """The family and training data of one imported model: the options, else ``model_meta.json`` (``where``), else unknown.

    ``zero_shot``: ``yes`` (trained on none of ``datasets``), ``no`` (trained on all of them) or None (from the file).
    """
    fam, fam_from = (family, "--family") if family is not None else (None, "")
    if fam is None:
        fam = _meta_family(meta, where)
        fam, fam_from = (fam, "model_meta.json") if fam is not None else (UNKNOWN, UNKNOWN)
    if zero_shot is not None:
        return Declared(fam, fam_from, () if zero_shot == "yes" else tuple(sorted(set(datasets))), "declared", "--zero-shot")
    training = _meta_training(meta, where)
    if training is not None:
        return Declared(fam, fam_from, training, "declared", "model_meta.json")
    if fam == "lexical":  # BM25 and its kin have no parameters: they train on nothing
        return Declared(fam, fam_from, (), "declared", "lexical: no parameters")
    return Declared(fam, fam_from, (), UNKNOWN, UNKNOWN)


def zero_shot_on(model: ModelRow, dataset: str) -> str:
    """``yes``, ``no (trained on it)`` or ``unknown``: what an imported model's card says about ``dataset``."""
    from bench.evaluation.overview import zero_shot

    return zero_shot(model.training_datasets, dict(model.metadata), dataset)


def check_options(family: str | None, zero_shot: str | None) -> None:
    from bench.specs import FAMILIES

    if family is not None and family not in FAMILIES:
        raise ResultsFileError(f"--family {family[:40]}: not a family; use one of {', '.join(FAMILIES)} (or leave it out: unknown)")
    if zero_shot is not None and zero_shot not in ("yes", "no"):
        raise ResultsFileError(f"--zero-shot {zero_shot[:40]}: say yes or no (or leave it out: from model_meta.json, else unknown)")


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


def plan_import(
    path: Path,
    *,
    model: str | None = None,
    family: str | None = None,
    zero_shot: str | None = None,
    skip_files: frozenset[Path] = frozenset(),
) -> Plan:
    """Read every results file under ``path`` (or ``path`` itself) and say what would be imported.

    Args:
        path: an MTEB results file, or a folder tree of them.
        model: the brewbench name to record them under (one model only), instead of the name the files give.
        family: the model family to record (default: from model_meta.json, else unknown).
        zero_shot: ``yes`` or ``no`` on the imported collections (default: from model_meta.json, else unknown).

    Raises:
        ResultsFileError: a file is malformed (one line: file, problem, fix); a single file's task is not mapped; no model
            can be told; ``--model`` given for files of several models. Nothing is written.
    """
    from bench.specs import NAME_PATTERN

    check_options(family, zero_shot)
    if model is not None and not re.match(NAME_PATTERN, model):
        raise ResultsFileError(f"--model {model[:80]}: not a model name; use lower-case letters, digits, '.', '_' or '-' (e.g. my-e5)")
    files = [f for f in results_files(path) if f not in skip_files]  # skip_files: embedding-task files (mteb_task_import)
    single = path.is_file()
    skipped: list[str] = []
    renamed: dict[str, str] = {}
    read: list[tuple[MtebFile, str, str, str]] = []
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
        _check_main_scores(mf)
        model_id = mf.model_id or model
        if model_id is None:
            raise ResultsFileError(
                f"{file}: cannot tell which model these results are of (no model_meta.json, and the folders are not "
                "<org>__<model>/<revision>/); pass --model NAME"
            )
        twin = reference_for_weights(model_id, mf.model_revision) if model is None else None
        name = twin[1].name if twin is not None else model or brewbench_name(model_id, file)
        renamed[model_id] = name
        read.append((mf, dataset, model_id, name))
    if model is not None and len(renamed) > 1:
        raise ResultsFileError(
            f"{path}: --model {model} given for the results of {len(renamed)} models ({', '.join(sorted(renamed))}); import one model's folder"
        )
    runs: list[ImportedRun] = []
    decided: dict[str, Declared] = {}
    for mf, dataset, model_id, name in read:
        if model_id not in decided:  # one card per model: its datasets are every one this import holds for it
            datasets = [d for _, d, m, _ in read if m == model_id]
            decided[model_id] = declared(
                mf.model_meta, mf.path.parent / "model_meta.json", family=family, zero_shot=zero_shot, datasets=datasets
            )
        runs += _runs(mf, dataset, model_id, name, decided[model_id], skipped)
    return Plan(runs, skipped, renamed)


def _check_main_scores(mf: MtebFile) -> None:
    """A retrieval task's ``main_score`` is its ``ndcg_at_10``: a file where they disagree is not mteb's."""
    import math

    from bench.interop.mteb_names import MAIN_SCORE, to_mteb_key

    for s in mf.scores:
        main, value = s.main_score, s.metrics.get(MAIN_SCORE)
        if main is not None and value is not None and not math.isclose(main, value, rel_tol=0, abs_tol=1e-9):
            raise ResultsFileError(
                f"{mf.path}: scores.{s.split}[{s.hf_subset}].main_score {main!r} disagrees with {to_mteb_key(MAIN_SCORE)} {value!r}, "
                f"{mf.task_name}'s main score; mteb writes the same value twice: this file was edited, import the one mteb wrote"
            )


def _runs(mf: MtebFile, dataset: str, model_id: str, name: str, known: Declared, skipped: list[str]) -> list[ImportedRun]:
    revision = mf.model_revision
    twin = reference_for_weights(model_id, revision)
    if twin is not None and twin[1].name == name:  # the reference spec of this id + revision: its name, its version
        from bench.execute import model_row

        spec = twin[1]
        return _scores(mf, dataset, model_id, model_row(spec), spec.spec_hash, Writer("imported", "reference"), skipped,
                       spec.model_dump(mode="json"))  # fmt: skip
    identity = synthetic_identity(name, known.family, f"{TOOL}:{model_id}@{revision or 'unknown'}")
    meta = mf.model_meta
    card = ModelRow(
        name=name,
        family=known.family,
        kind=None,
        hf_id=model_id if "/" in model_id else None,
        revision=revision,
        parameters=meta.get("n_parameters") if _count(meta.get("n_parameters")) else None,
        dimension=meta.get("embed_dim") if _count(meta.get("embed_dim")) else None,
        training_datasets=known.training,
        metadata={
            "imported_from": TOOL,
            "mteb_model": model_id,
            "description": f"results imported from {TOOL} files; aggregates only",
            **known.card_metadata(),
        },
    )
    return _scores(mf, dataset, model_id, card, identity, Writer("imported", "imported", f"{TOOL}:{model_id}"), skipped, None)


def _scores(
    mf: MtebFile,
    dataset: str,
    model_id: str,
    card: ModelRow,
    identity: str,
    writer: Writer,
    skipped: list[str],
    spec: dict[str, Any] | None,
) -> list[ImportedRun]:
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
                writer=writer,
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
                spec=spec,
            )
        )
    return out


def _count(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 < v < 10**13
