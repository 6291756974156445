"""MTEB results files, every layout mteb has written, read strictly (nothing here touches the database).

Layouts:

* ``mteb-v2`` (mteb 2.x) and ``mteb-v1`` (mteb 1.11 to 1.x, e.g. 1.12): ``task_name``, ``dataset_revision``,
  ``mteb_version``, ``evaluation_time``, ``scores: {split: [{hf_subset, languages, main_score, ndcg_at_10, ...}]}``
  (v2 adds ``date`` and per-subset ``mteb_version``);
* ``mteb-legacy`` (before 1.11): ``mteb_dataset_name``, ``dataset_revision``, ``mteb_version`` and one object per
  split (``{evaluation_time, ndcg_at_10, ...}``, or one per subset).

Files live in ``<org>__<model>/<revision>/<Task>.json`` (a ``model_meta.json`` beside them names the model), or
``<model>/<Task>.json`` in older trees. Every problem is one line ``file: problem; fix`` (:class:`ResultsFileError`).

Why not only ``mteb.TaskResult.from_disk``: it reads the same three layouts and gives the same numbers (a test checks
every key on each layout), but it is the reader of a trusted results cache: it takes NaN, duplicate keys and files of
any size, and a malformed file is a pydantic traceback. Files to import are hostile input, so this strict reader is the
gate; mteb's own objects still read what we export (:mod:`bench.interop.mteb_export`).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.errors import ResultsFileError
from bench.interop.mteb_export import PROVENANCE_KEY
from bench.interop.mteb_names import from_mteb_key

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_FILES = 20_000
MAX_TEXT = 300
_PRINTABLE = re.compile(r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$")
_SPLIT = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_LEGACY_NESTED = {"v_measures", "cos_sim", "euclidean", "manhattan", "dot", "max"}


@dataclass(frozen=True)
class SplitScores:
    """The scores of one split and subset of a task: canonical metric name -> value (only the measures brewbench knows)."""

    split: str
    hf_subset: str
    main_score: float | None
    metrics: dict[str, float]


@dataclass(frozen=True)
class MtebFile:
    """One MTEB results file, validated."""

    path: Path
    sha256: str
    layout: str
    task_name: str
    dataset_revision: str | None
    mteb_version: str | None
    evaluation_time: float | None
    date: float | None
    scores: list[SplitScores]
    model_id: str | None = None
    """``org/model`` from model_meta.json or the folder names, when they say."""
    model_revision: str | None = None
    model_meta: dict[str, Any] = field(default_factory=dict)


def _fail(path: Path, problem: str, fix: str) -> ResultsFileError:
    return ResultsFileError(f"{path}: {problem}; {fix}")


def _no_duplicates(path: Path) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise _fail(
                    path, f"key '{key[:60]}' appears twice in one object", "keep one (a results file is written by mteb, not by hand)"
                )
            out[key] = value
        return out

    return hook


def _bad_constant(path: Path) -> Callable[[str], Any]:
    def parse(name: str) -> Any:
        raise _fail(path, f"{name} is not a JSON number", "write scores as finite numbers")

    return parse


def load_json(path: Path) -> tuple[Any, str]:
    """Parse ``path`` strictly (size cap, UTF-8, no duplicate keys, no NaN/Infinity, bounded depth); returns (data, sha256)."""
    import hashlib

    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _fail(
                path, f"{size} bytes, more than an MTEB results file ({MAX_FILE_BYTES} at most)", "point at the results JSON itself"
            )
        raw = path.read_bytes()[: MAX_FILE_BYTES + 1]
    except OSError as e:
        raise _fail(path, f"cannot be read ({e.strerror or e})", "check the path and its permissions") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _fail(path, f"not UTF-8 (byte {e.start})", "mteb writes UTF-8 JSON; this is not one of its files") from None
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates(path), parse_constant=_bad_constant(path))
    except json.JSONDecodeError as e:
        raise _fail(path, f"not JSON (line {e.lineno} column {e.colno}: {e.msg})", "point at an MTEB results file") from None
    except RecursionError:
        raise _fail(path, "nested too deeply", "an MTEB results file is a few levels deep; this is not one") from None
    return data, hashlib.sha256(raw).hexdigest()


def _text(path: Path, data: dict[str, Any], key: str, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT or not _PRINTABLE.match(value):
        what = "missing" if value is None else f"{type(value).__name__} {str(value)[:40]!r}"
        raise _fail(path, f"'{key}' must be a printable text of at most {MAX_TEXT} characters, not {what}", "fix the field")
    return value


def _number(
    path: Path,
    where: str,
    value: Any,
    low: float = 0.0,
    high: float | None = 1.0,
    fix: str = "mteb writes retrieval scores as fractions (0.5, not 50)",
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(path, f"{where} is {str(value)[:40]!r}, not a number", "scores are finite numbers")
    if value < low or (high is not None and value > high):
        if high is None:
            raise _fail(path, f"{where} = {value!r} is negative", "seconds and dates are numbers >= 0")
        raise _fail(path, f"{where} = {value!r} is outside [{low:g}, {high:g}]", fix)
    return float(value)


def _scores(path: Path, split: str, subset: str, raw: Any) -> SplitScores:
    where = f"scores.{split}[{subset}]"
    if not isinstance(raw, dict):
        raise _fail(path, f"{where} is a {type(raw).__name__}, not an object", "each split holds objects of scores")
    metrics = {}
    for key, value in raw.items():
        name = from_mteb_key(key) if isinstance(key, str) else None
        if name is not None:
            metrics[name] = _number(path, f"{where}.{key}", value)
    main = raw.get("main_score")
    return SplitScores(split, subset, None if main is None else _number(path, f"{where}.main_score", main), metrics)


def _once(path: Path, found: list[SplitScores]) -> list[SplitScores]:
    """Each split and subset once: a repeat with the same scores is dropped, one with other scores refuses the file."""
    kept: dict[tuple[str, str], SplitScores] = {}
    for s in found:
        first = kept.setdefault((s.split, s.hf_subset), s)
        if first is not s and (first.metrics != s.metrics or first.main_score != s.main_score):
            differ = next(
                (m for m in sorted(set(first.metrics) | set(s.metrics)) if first.metrics.get(m) != s.metrics.get(m)), "main_score"
            )
            raise _fail(
                path,
                f"scores.{s.split}[{s.hf_subset}] is listed twice with different scores ({differ}: "
                f"{first.metrics.get(differ, first.main_score)!r} and {s.metrics.get(differ, s.main_score)!r})",
                "mteb writes each split and subset once; keep the entry mteb wrote",
            )
    return list(kept.values())


def _split_name(path: Path, split: Any) -> str:
    if not isinstance(split, str) or not _SPLIT.match(split):
        raise _fail(path, f"split name {str(split)[:40]!r} is not a split", "use names such as test or dev")
    return split


def parse(path: Path, data: Any, sha256: str) -> MtebFile:
    """Validate one results file's JSON; raises :class:`ResultsFileError` (one line) on any problem."""
    if not isinstance(data, dict):
        raise _fail(path, f"the top level is a {type(data).__name__}, not an object", "point at an MTEB results file")
    record = data.get(PROVENANCE_KEY)
    if isinstance(record, dict) and "spec_hash" in record:
        raise _fail(
            path,
            f"exported by brewbench (model {str(record.get('model'))[:64]!r}, spec {str(record.get('spec_hash'))[:12]}, "
            f"provenance {str(record.get('provenance'))[:20]}, run {str(record.get('run_id'))[:20]}): it is a brewbench result already, "
            "importing it would relabel it as imported",
            "use the database it came from, or evaluate its TREC export with `bench eval --record`",
        )
    if "mteb_dataset_name" in data and "task_name" not in data:
        return _legacy(path, data, sha256)
    task = _text(path, data, "task_name", required=True)
    scores = data.get("scores")
    if not isinstance(scores, dict) or not scores:
        raise _fail(path, "'scores' is missing or not an object of splits", "point at an MTEB results file (scores: {split: [...]})")
    found = []
    for split, entries in scores.items():
        split = _split_name(path, split)
        if not isinstance(entries, list):
            raise _fail(path, f"scores.{split} is a {type(entries).__name__}, not a list", "each split is a list of subsets' scores")
        for i, entry in enumerate(entries):
            subset = entry.get("hf_subset") if isinstance(entry, dict) else None
            if not isinstance(subset, str) or not _SPLIT.match(subset):
                raise _fail(path, f"scores.{split}[{i}].hf_subset is missing or not a name", "each entry names its subset (default)")
            found.append(_scores(path, split, subset, entry))
    found = _once(path, found)
    version = _text(path, data, "mteb_version")
    layout = "mteb-v2" if version and re.match(r"^2\.", version) else "mteb-v1"
    return MtebFile(
        path=path,
        sha256=sha256,
        layout=layout,
        task_name=task or "",
        dataset_revision=_text(path, data, "dataset_revision"),
        mteb_version=version,
        evaluation_time=None
        if data.get("evaluation_time") is None
        else _number(path, "evaluation_time", data["evaluation_time"], high=None),
        date=None if data.get("date") is None else _number(path, "date", data["date"], high=4e9, fix="a date is seconds since 1970"),
        scores=found,
    )


def _legacy(path: Path, data: dict[str, Any], sha256: str) -> MtebFile:
    """The layout before mteb 1.11: one object per split, flat or one per subset, ``evaluation_time`` inside each split."""
    task = _text(path, data, "mteb_dataset_name", required=True)
    found, seconds = [], 0.0
    for split, body in data.items():
        if split in ("mteb_dataset_name", "dataset_revision", "mteb_version"):
            continue
        split = _split_name(path, split)
        if not isinstance(body, dict):
            raise _fail(path, f"'{split}' is a {type(body).__name__}, not an object of scores", "point at an MTEB results file")
        if "evaluation_time" in body:
            seconds += _number(path, f"{split}.evaluation_time", body["evaluation_time"], high=None)
        nested = {k: v for k, v in body.items() if isinstance(v, dict) and k not in _LEGACY_NESTED}
        if nested:
            for subset, scores in nested.items():
                found.append(_scores(path, split, _split_name(path, subset), scores))
        else:
            found.append(_scores(path, split, "default", body))
    if not found:
        raise _fail(path, "no split with scores", "point at an MTEB results file")
    found = _once(path, found)
    return MtebFile(
        path=path,
        sha256=sha256,
        layout="mteb-legacy",
        task_name=task or "",
        dataset_revision=_text(path, data, "dataset_revision"),
        mteb_version=_text(path, data, "mteb_version"),
        evaluation_time=seconds or None,
        date=None,
        scores=found,
    )


def _model_of(path: Path) -> tuple[str | None, str | None, dict[str, Any]]:
    """``(org/model, revision, model_meta)`` from ``model_meta.json`` beside the file, else from the folder names."""
    meta_path = path.parent / "model_meta.json"
    meta: dict[str, Any] = {}
    if meta_path.is_file():
        data, _ = load_json(meta_path)
        if not isinstance(data, dict):
            raise _fail(meta_path, "not an object", "mteb writes model_meta.json as an object with name and revision")
        meta = data
        name, revision = _text(meta_path, data, "name"), _text(meta_path, data, "revision")
        if name:
            return name, revision, meta
    parent, grand = path.parent.name, path.parent.parent.name
    if "__" in grand:  # <org>__<model>/<revision>/<Task>.json
        return grand.replace("__", "/", 1), parent, meta
    if "__" in parent:  # <org>__<model>/<Task>.json
        return parent.replace("__", "/", 1), None, meta
    return None, None, meta


def read_file(path: Path) -> MtebFile:
    """Read and validate one results file, with the model its folder names."""
    data, sha = load_json(path)
    parsed = parse(path, data, sha)
    model_id, revision, meta = _model_of(path)
    return MtebFile(**{**parsed.__dict__, "model_id": model_id, "model_revision": revision, "model_meta": meta})


def results_files(root: Path) -> list[Path]:
    """``root`` itself (a file), or every ``*.json`` under it but ``model_meta.json`` (symlinks not followed), sorted.

    Raises:
        ResultsFileError: ``root`` does not exist, holds no results file, or more than :data:`MAX_FILES`.
    """
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise _fail(root, "no such file or folder", "give an MTEB results file or a folder of them (e.g. results/)")
    found: list[Path] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            p = Path(folder) / name
            if name.endswith(".json") and name != "model_meta.json" and not p.is_symlink():
                found.append(p)
                if len(found) > MAX_FILES:
                    raise _fail(root, f"more than {MAX_FILES} JSON files", "import one model's folder at a time")
    if not found:
        raise _fail(root, "holds no *.json results file", "give a folder written by mteb (<org>__<model>/<revision>/<Task>.json)")
    return found
