"""Reader and validator of embedding-task folders (MTEB's column layout, one JSON object per line).

A task folder holds one ``<split>.jsonl`` per split. Columns by type: STS ``sentence1, sentence2, score``;
pair classification ``sentence1, sentence2, label`` (0/1); classification ``text, label`` with train and test;
clustering ``text, label`` (one split) or ``sentences, labels``. A folder is recognised from its columns; one
whose split files hash to a registered task's is that task, whatever its name (``registry.yaml``).
Identity (:attr:`Task.content_hash`): sha256 of the split files folded with the scoring rules (type, main
score, evaluator settings, mteb version). Every problem is one line ``file:line: problem; fix``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from bench.datasets.beir import _JSON, _fail, _text_lines
from bench.errors import DatasetError
from bench.paths import data_path
from bench.provenance import combine_hashes, file_sha256, json_sha256, package_version
from bench.textfile import ReadLimits
from bench.yamlfile import read_yaml_file

TASK_LIMITS = ReadLimits(max_file_bytes=1 << 30, max_decompressed_bytes=1 << 30, max_line_bytes=1 << 20)
"""A task line is one or two sentences: at most 1 MiB (a 10 MB line is refused, never held)."""
METADATA_COLUMNS = frozenset({"source", "pair_id", "id", "id1", "id2"})
"""Extra columns kept by the shared copies and ignored by the evaluators."""
LAYOUTS: dict[str, tuple[str, ...]] = {
    "STS": ("sentence1", "sentence2", "score"),
    "PairClassification": ("sentence1", "sentence2", "label"),
    "Classification": ("text", "label"),
    "Clustering": ("text", "label"),
}
MAIN_SCORES = {"STS": "cosine_spearman", "PairClassification": "max_ap", "Classification": "accuracy", "Clustering": "v_measure"}
DEFAULT_SCORE_RANGE = (0.0, 5.0)


@dataclass(frozen=True)
class KnownTask:
    name: str
    type: str
    main_score: str
    splits: tuple[str, ...]
    origin: str
    mteb_task: str | None = None
    score_range: tuple[float, float] | None = None
    files_sha256: str | None = None
    derived_from: str | None = None
    """A derived task's source task (its texts and labels come from that task's files)."""
    evaluator: tuple[tuple[str, object], ...] = ()
    """Settings given to mteb's task class (attribute, value), part of the scoring rules and so of the identity."""
    note: str | None = None


@lru_cache(maxsize=1)
def known_tasks() -> dict[str, KnownTask]:
    raw, _ = read_yaml_file(Path(__file__).with_name("registry.yaml"))
    out = {}
    for name, e in raw.items():
        rng = e.get("score_range")
        out[name] = KnownTask(
            name=name, type=e["type"], main_score=e["main_score"], splits=tuple(e["splits"]), origin=e["origin"],
            mteb_task=e.get("mteb_task"), score_range=(float(rng[0]), float(rng[1])) if rng else None,
            files_sha256=e.get("files_sha256"), derived_from=e.get("derived_from"),
            evaluator=tuple(sorted((e.get("evaluator") or {}).items())), note=e.get("note"),
        )  # fmt: skip
    return out


@dataclass(frozen=True)
class Task:
    """A validated task folder."""

    path: Path
    name: str
    type: str
    main_score: str
    rows: dict[str, list[dict]] = field(repr=False)
    files_hash: str
    known: KnownTask | None

    @property
    def splits(self) -> tuple[str, ...]:
        return tuple(self.rows)

    @property
    def scoring(self) -> dict:
        evaluator = dict(self.known.evaluator) if self.known else {}
        return {"type": self.type, "main_score": self.main_score, "evaluator": evaluator, "mteb": package_version("mteb")}

    @property
    def content_hash(self) -> str:
        return json_sha256({"files": self.files_hash, "scoring": self.scoring})

    @property
    def mteb_name(self) -> str:
        """MTEB's task name when the content is MTEB's, else ``Brewbench<Name>`` (a local or derived task)."""
        if self.known and self.known.mteb_task:
            return self.known.mteb_task
        return "Brewbench" + "".join(ch for ch in self.name.title() if ch.isalnum())

    @property
    def where(self) -> str:
        return "mteb" if self.known and self.known.origin == "mteb" else (self.known.origin if self.known else "local")


def _split_files(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a folder; a task is a folder of <split>.jsonl files")
    files = {p.name.removesuffix(".jsonl"): p for p in sorted(folder.glob("*.jsonl"))}
    if not files:
        raise DatasetError(f"{folder}: no <split>.jsonl files; put e.g. test.jsonl (and train.jsonl) in the folder")
    return files


def _records(path: Path) -> list[tuple[int, dict]]:
    out = []
    for n, raw in _text_lines(path, TASK_LIMITS, "task"):
        if not raw.strip():
            continue
        try:
            obj = _JSON.decode(raw)
        except (ValueError, RecursionError) as e:
            what = getattr(e, "msg", None) or str(e) or "nested too deeply"
            raise _fail(path, n, f"invalid JSON ({what})", "fix or remove that line") from None
        if not isinstance(obj, dict):
            raise _fail(path, n, "a line is not a JSON object", "each line must be a JSON object of the task's columns")
        out.append((n, obj))
    if not out:
        raise _fail(path, None, "empty split (no rows)", "remove the file or fill it")
    return out


def _detect(path: Path, obj: dict, n_splits: int) -> str:
    keys = set(obj)
    if {"sentences", "labels"} <= keys:
        return "Clustering"
    if {"sentence1", "sentence2"} <= keys:
        if "score" in keys:
            return "STS"
        if "label" in keys:
            return "PairClassification"
    if {"text", "label"} <= keys:
        return "Classification" if n_splits > 1 else "Clustering"
    raise _fail(
        path,
        1,
        f"columns {sorted(keys)} match no task layout",
        "use sentence1,sentence2,score (STS), sentence1,sentence2,label, or text,label",
    )


def _check_row(path: Path, n: int, obj: dict, columns: tuple[str, ...], score_range: tuple[float, float]) -> None:
    missing = [c for c in columns if c not in obj]
    if missing:
        raise _fail(path, n, f"missing column '{missing[0]}'", f"every line needs {', '.join(columns)}")
    extra = sorted(set(obj) - set(columns) - METADATA_COLUMNS)
    if extra:
        raise _fail(path, n, f"unexpected column '{extra[0]}'", f"remove it; the columns are {', '.join(columns)}")
    for c in columns:
        if c in ("sentence1", "sentence2", "text"):
            v = obj[c]
            if not isinstance(v, str):
                raise _fail(path, n, f"'{c}' is not a string", f"write the {c} as a JSON string")
            if not v.strip():
                raise _fail(path, n, f"'{c}' is empty", "remove the line or give it text")
    if "score" in columns:
        s = obj["score"]
        if isinstance(s, bool) or not isinstance(s, (int, float)):
            raise _fail(path, n, f"score {str(s)[:40]!r} is not a number", "write the gold score as a JSON number")
        if not math.isfinite(s) or not score_range[0] <= s <= score_range[1]:
            lo, hi = score_range
            raise _fail(path, n, f"score {s} is outside {lo:g}..{hi:g}", f"gold scores of this task lie in {lo:g}..{hi:g}")
    if "label" in columns:
        lab = obj["label"]
        if isinstance(lab, bool) or not isinstance(lab, (int, str)):
            raise _fail(
                path, n, f"label {str(lab)[:40]!r} is a {type(lab).__name__}", "labels are integers or strings (never floats or booleans)"
            )
        if isinstance(lab, str) and not lab.strip():
            raise _fail(path, n, "label is empty", "give every line a label")
        if columns[0] == "sentence1" and lab not in (0, 1):
            raise _fail(path, n, f"label {lab!r} is not 0 or 1", "pair classification labels are 1 (positive) or 0")


def read_task(folder: Path) -> Task:
    """Read and validate a task folder (raises :class:`DatasetError` with one ``file:line: problem; fix`` line)."""
    folder = Path(folder)
    files = _split_files(folder)
    files_hash = combine_hashes({f"{s}.jsonl": file_sha256(p) for s, p in files.items()})
    known = next((k for k in known_tasks().values() if k.files_sha256 == files_hash), None)
    if known is None and folder.name in known_tasks() and known_tasks()[folder.name].files_sha256 is None:
        known = known_tasks()[folder.name]
    rows: dict[str, list[dict]] = {}
    ttype: str | None = known.type if known else None
    labels: dict[str, dict[object, int]] = {}
    for split, path in files.items():
        recs = _records(path)
        if ttype is None:
            ttype = _detect(path, recs[0][1], len(files))
        columns = ("sentences", "labels") if ttype == "Clustering" and "sentences" in recs[0][1] else LAYOUTS[ttype]
        rng = known.score_range if known and known.score_range else DEFAULT_SCORE_RANGE
        seen: dict[object, int] = {}
        for n, obj in recs:
            if columns[0] != "sentences":
                _check_row(path, n, obj, columns, rng)
                if "label" in obj:
                    seen.setdefault(obj["label"], n)
        if ttype in ("Classification", "PairClassification") and len(seen) < 2:
            raise _fail(path, None, f"the split has one class ({next(iter(seen))!r})", "a split needs at least two classes")
        labels[split] = seen
        rows[split] = [obj for _, obj in recs]
    assert ttype is not None
    if ttype == "Classification":
        if "train" not in files or "test" not in files:
            raise DatasetError(f"{folder}: a classification task needs train.jsonl and test.jsonl; add the missing split")
        for lab, n in labels["test"].items():
            if lab not in labels["train"]:
                raise _fail(files["test"], n, f"label {lab!r} is only in test", "every test label must occur in train")
        kinds = {type(lab) for s in labels.values() for lab in s}
        if len(kinds) > 1:
            raise DatasetError(f"{folder}: labels mix integers and strings; use one kind throughout")
    name = known.name if known else folder.name
    return Task(folder, name, ttype, known.main_score if known else MAIN_SCORES[ttype], rows, files_hash, known)


def find_task(ref: str) -> Task:
    """A task by folder path, or by registered name on the data search path (``BENCH_DATA_PATH``)."""
    p = Path(ref)
    if p.is_dir():
        return read_task(p)
    k = known_tasks().get(ref) or next((t for t in known_tasks().values() if t.mteb_task == ref), None)
    if k is not None and k.derived_from:
        return derive_task(k, find_task(k.derived_from))
    names = {ref} | ({k.name} if k else set())
    for root in data_path():
        for nm in names:
            if (root / nm).is_dir():
                return read_task(root / nm)
    raise DatasetError(f"{ref}: no such task folder on the data search path; put it under a BENCH_DATA_PATH folder or give its path")


def derive_task(known: KnownTask, base: Task) -> Task:
    """A task built from another task's content (e.g. clustering over Banking77's test texts, intents as clusters)."""
    split = known.splits[0]
    if split not in base.rows or base.type not in ("Classification", "Clustering"):
        raise DatasetError(f"{known.name}: derived from {base.name}, which has no {split} split of texts and labels")
    rows = {split: [{"text": r["text"], "label": r["label"]} for r in base.rows[split]]}
    files = combine_hashes({"derived_from": base.files_hash, "split": split, "columns": "text,label"})
    return Task(base.path, known.name, known.type, known.main_score, rows, files, known)
