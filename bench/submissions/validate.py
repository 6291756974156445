"""Validate a submission folder: ``submission.yaml``, ``runs/<dataset>.trec[.gz]``, an optional ``spec.yaml``.

Every problem is collected (schema, paths, sizes, each run file line by line) and reported together,
each as ``file:line: what; fix``. Nothing is executed: a spec may only name a registered runner kind,
may not point at local files, and may never enable ``trust_remote_code``.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from bench.datasets.beir import Dataset
from bench.errors import BenchError, SubmissionError
from bench.identity import reference_names
from bench.specs import ModelSpec, parse_spec_problems
from bench.submissions.model import Submission, parse_submission
from bench.submissions.runfile import DEFAULT_LIMITS, Limits, check_run_file
from bench.types import Run
from bench.yamlfile import load_with_nodes

SUBMISSION_FILE = "submission.yaml"
SPEC_FILE = "spec.yaml"
RUNS_DIR = "runs"
RUN_SUFFIXES = (".trec.gz", ".trec")
MAX_YAML_BYTES = 64 << 10
_DATASET_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class RunFile:
    """One validated run file and the dataset it is for."""

    dataset: Dataset
    file: str
    """Path inside the submission folder (``runs/adi.trec``)."""
    path: Path
    sha256: str
    run: Run
    answered: int
    judged: int

    @property
    def coverage(self) -> float:
        return self.answered / self.judged if self.judged else 0.0


@dataclass(frozen=True)
class ValidSubmission:
    """A submission that passed every check."""

    submission_id: str
    root: Path
    meta: Submission
    spec: ModelSpec | None
    spec_file: str | None
    runs: tuple[RunFile, ...]

    def notes(self) -> list[str]:
        """Coverage per run file: missing queries are allowed but reported."""
        return [
            f"{r.file}: {r.dataset.name}: answers {r.answered}/{r.judged} judged queries ({100 * r.coverage:.1f}% coverage)"
            + (
                ""
                if r.answered == r.judged
                else f"; {r.judged - r.answered} missing: means are over the answered queries (trec_eval); the coverage is recorded with the run"
            )
            for r in self.runs
        ]


def submission_id(folder: Path) -> str:
    """A safe id from a folder name: lower-case letters, digits, ``.``, ``_``, ``-`` (never a path)."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", folder.resolve().name.lower()).strip("-._")
    return slug[:80] or "submission"


def validate_submission(folder: Path, limits: Limits = DEFAULT_LIMITS) -> ValidSubmission:
    """Check everything; return the valid submission or raise SubmissionError listing every problem."""
    sub, problems = check_submission(folder, limits)
    if sub is None:
        raise SubmissionError(f"{folder}: the submission has {len(problems)} problem(s)", problems)
    return sub


def check_submission(folder: Path, limits: Limits = DEFAULT_LIMITS) -> tuple[ValidSubmission | None, list[str]]:
    """Check everything; return ``(submission, [])`` or ``(None, problems)``."""
    problems: list[str] = []
    if not folder.is_dir():
        return None, [f"{folder}: not a folder; a submission is a folder with {SUBMISSION_FILE} and {RUNS_DIR}/"]
    root = folder.resolve()

    meta = _read_meta(folder, root, problems)
    spec, spec_file = _read_spec(folder, root, meta, problems)
    runs = _read_runs(folder, root, meta, limits, problems)
    if problems or meta is None:
        return None, problems
    return ValidSubmission(submission_id(folder), root, meta, spec, spec_file, tuple(runs)), []


# -- paths ----------------------------------------------------------------------------------------
def _inside(folder: Path, root: Path, rel: str, problems: list[str], where: str) -> Path | None:
    """The file ``rel`` names inside the submission, or None (with a problem) when it escapes or is missing."""
    pure = PurePosixPath(rel)
    if not rel.strip() or "\\" in rel or pure.is_absolute() or ".." in pure.parts:
        problems.append(f"{where}: path '{rel}' escapes the submission folder; give a relative path inside it, e.g. runs/adi.trec")
        return None
    full = root.joinpath(*pure.parts)
    if not full.exists() and not full.is_symlink():
        problems.append(f"{where}: {folder / rel} does not exist; add the file or fix the path")
        return None
    real = full.resolve()
    if not real.is_relative_to(root):
        problems.append(
            f"{folder / rel}: is a link to {real}, outside the submission folder; put the file itself in the folder (links are not followed)"
        )
        return None
    if not real.is_file():
        problems.append(f"{folder / rel}: not a regular file; give a file")
        return None
    return real


# -- submission.yaml --------------------------------------------------------------------------------
def _read_meta(folder: Path, root: Path, problems: list[str]) -> Submission | None:
    display = folder / SUBMISSION_FILE
    if not (root / SUBMISSION_FILE).exists() and not (root / SUBMISSION_FILE).is_symlink():
        problems.append(f"{display}: missing; every submission needs {SUBMISSION_FILE} (see submissions/README.md)")
        return None
    path = _inside(folder, root, SUBMISSION_FILE, problems, str(folder))
    if path is None:
        return None
    if path.stat().st_size > MAX_YAML_BYTES:
        problems.append(f"{display}: larger than {MAX_YAML_BYTES:,} bytes; keep only the metadata in it")
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(f"{display}: not UTF-8 text; save it as UTF-8")
        return None
    meta, errs = parse_submission(text, str(display))
    problems.extend(errs)
    if meta is not None and meta.name in reference_names():
        line = next((n for n, raw in enumerate(text.splitlines(), start=1) if raw.startswith("name:")), 1)
        problems.append(f"{display}:{line}: name: '{meta.name}' is a reference model of this benchmark; choose another name")
        return None
    return meta


# -- spec.yaml --------------------------------------------------------------------------------------
def _read_spec(folder: Path, root: Path, meta: Submission | None, problems: list[str]) -> tuple[ModelSpec | None, str | None]:
    rel = meta.spec if meta and meta.spec else (SPEC_FILE if (root / SPEC_FILE).exists() or (root / SPEC_FILE).is_symlink() else None)
    if rel is None:
        return None, None
    path = _inside(folder, root, rel, problems, f"{folder / SUBMISSION_FILE}: spec")
    if path is None:
        return None, None
    display = str(folder / rel)
    if path.stat().st_size > MAX_YAML_BYTES:
        problems.append(f"{display}: larger than {MAX_YAML_BYTES:,} bytes; a spec is a short YAML file")
        return None, None
    try:
        spec, errs = parse_spec_problems(path.read_text(encoding="utf-8"), display)
    except UnicodeDecodeError:
        problems.append(f"{display}: not UTF-8 text; save it as UTF-8")
        return None, None
    if spec is None:
        problems.extend(errs)
        return None, None
    before = len(problems)
    _check_spec(spec, display, meta, problems)
    return (spec if len(problems) == before else None), rel


def _check_spec(spec: ModelSpec, display: str, meta: Submission | None, problems: list[str]) -> None:
    from bench.runners.base import params_problems

    if _mentions(spec.model_dump(mode="json"), "trust_remote_code"):
        problems.append(f"{display}: trust_remote_code: submissions never run code from a model repository; remove it")
    if spec.weights is not None and spec.weights.path is not None:
        problems.append(f"{display}: weights.path: a submission cannot point at local files; give weights.id and a pinned weights.revision")
    for field, ref in (("weights", spec.weights), ("generator", getattr(spec, "generator", None))):
        revision = getattr(ref, "revision", None)
        if ref is not None and getattr(ref, "id", None) and not re.fullmatch(r"[0-9a-f]{40}", str(revision or "")):
            problems.append(
                f"{display}: {field}.revision: '{revision}' is not a commit; a submission pins the full 40-hex commit hash of {ref.id}"
            )
    if meta is not None and spec.name != meta.name:
        problems.append(f"{display}: name: '{spec.name}' differs from submission.yaml's '{meta.name}'; use the same name in both")
    if meta is not None and spec.family != meta.family:
        problems.append(f"{display}: family: '{spec.family}' differs from submission.yaml's '{meta.family}'; use the same family in both")
    problems.extend(params_problems(spec, display))


def _mentions(obj: Any, key: str) -> bool:
    if isinstance(obj, dict):
        return any(k == key or _mentions(v, key) for k, v in obj.items())
    if isinstance(obj, list):
        return any(_mentions(v, key) for v in obj)
    return False


# -- runs/ ------------------------------------------------------------------------------------------
def _run_files(folder: Path, root: Path, meta: Submission | None, problems: list[str]) -> list[tuple[str, str]]:
    """``(dataset name, relative path)`` pairs, from ``runs:`` or from the files in ``runs/``."""
    if meta is not None and meta.runs is not None:
        return list(meta.runs.items())
    runs_dir = root / RUNS_DIR
    if runs_dir.is_symlink():
        problems.append(
            f"{folder / RUNS_DIR}: is a link to {runs_dir.resolve()}; put the run files themselves in the folder (links are not followed)"
        )
        return []
    if not runs_dir.is_dir():
        problems.append(
            f"{folder / RUNS_DIR}: missing; put one run file per dataset in {RUNS_DIR}/, named <dataset>.trec or <dataset>.trec.gz"
        )
        return []
    pairs = []
    for entry in sorted(os.scandir(runs_dir), key=lambda e: e.name):
        suffix = next((s for s in RUN_SUFFIXES if entry.name.endswith(s)), None)
        if suffix is None:
            problems.append(f"{folder / RUNS_DIR / entry.name}: unexpected file; name run files <dataset>.trec or <dataset>.trec.gz")
            continue
        pairs.append((entry.name[: -len(suffix)], f"{RUNS_DIR}/{entry.name}"))
    return pairs


def _read_runs(folder: Path, root: Path, meta: Submission | None, limits: Limits, problems: list[str]) -> list[RunFile]:
    from bench.datasets.registry import resolve_dataset

    pairs = _run_files(folder, root, meta, problems)
    lines = _runs_lines(root / SUBMISSION_FILE) if meta is not None and meta.runs is not None else {}
    if not pairs and not any(p.startswith(str(folder / RUNS_DIR)) for p in problems):
        problems.append(f"{folder}: no run files; add {RUNS_DIR}/<dataset>.trec for at least one dataset")
    seen: set[str] = set()
    total = 0
    runs = []
    for name, rel in pairs:
        display = str(folder / rel)
        if not _DATASET_NAME.match(name):
            problems.append(f"{display}: '{name}' is not a dataset name; name the file after a dataset of `bench datasets list`")
            continue
        if name in seen:
            problems.append(f"{display}: a second run for dataset '{name}'; submit one run per dataset")
            continue
        seen.add(name)
        path = _inside(folder, root, rel, problems, f"{folder / SUBMISSION_FILE}:{lines.get(name, 1)}: runs.{name}")
        if path is None:
            continue
        total += path.stat().st_size
        if total > limits.max_submission_bytes:
            problems.append(
                f"{display}: the run files add up to more than {limits.max_submission_bytes:,} bytes; gzip them or submit fewer datasets"
            )
            break
        try:
            ds = resolve_dataset(name)
            queries = ds.queries()
            judged = {q.id for q in ds.judged_queries()}
            doc_ids = ds.corpus_ids()
        except BenchError as e:
            problems.append(f"{display}: dataset '{name}': {e}")
            continue
        report = check_run_file(path, display, queries.keys(), judged, doc_ids, limits)
        problems.extend(report.problems)
        if report.run is not None and not report.problems:
            runs.append(RunFile(ds, rel, path, _sha256(path), report.run, report.answered, report.judged))
    return runs


def _runs_lines(path: Path) -> dict[str, int]:
    """Line of each ``runs.<dataset>`` entry in submission.yaml (for messages)."""
    _, node = load_with_nodes(path.read_text(encoding="utf-8"), str(path))
    runs = next((v for k, v in node.value if k.value == "runs"), None) if isinstance(node, yaml.MappingNode) else None
    if not isinstance(runs, yaml.MappingNode):
        return {}
    return {str(k.value): v.start_mark.line + 1 for k, v in runs.value}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
