"""Registered dataset contents: the copies of known datasets that expected blocks and published tables are about.

A dataset has two identities (:class:`bench.datasets.beir.Dataset`):

- its **content hash**, the stored identity: the sha256 of its files' bytes folded with the scoring rules. Runs,
  ``expected:`` blocks of ``models/*.yaml`` and published tables are keyed by it;
- its **scoring identity**: the sha256 of what scoring reads, as parsed (the documents' id, title and text sorted by
  id, the judged queries of the split, their judgments), folded with the same rules. A CRLF, BOM or integer-id copy
  of a collection, or a folder with the whole BEIR queries file (train and test queries; only the judged test
  queries are scored), has other bytes but the same scoring identity.

A folder whose bytes are not a registered content but whose scoring identity is one *is* that content: it takes the
registered content hash, so it keeps its expected block and its published rows. Registered contents come from
``contents.yaml`` beside this module (the seven classic collections), ``bench/published/content.yaml`` (what the
published tables were measured on) and the records ``bench datasets fetch`` writes for each verified BEIR zip
(:mod:`bench.datasets.fetched`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bench.errors import DatasetError
from bench.provenance import combine_hashes, scoring_identity
from bench.yamlfile import YamlSyntaxError, line_of, read_yaml_file

_HERE = Path(__file__).parent
CONTENTS_FILE = _HERE / "contents.yaml"
PUBLISHED_CONTENT_FILE = _HERE.parent / "published" / "content.yaml"
_HEX64 = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class KnownContent:
    """One registered content of a dataset split."""

    dataset: str
    split: str
    hash: str
    """The stored identity (content hash) runs and expected blocks are keyed by."""
    scoring: str | None
    """Its scoring identity, when registered (a copy with other bytes is recognised only through it)."""
    files: dict[str, str] | None
    """sha256 of each file as scoring reads it (``corpus``, ``queries``, ``qrels/<split>``), when registered."""
    source: str
    """Where it is registered: ``contents.yaml:LINE``, ``content.yaml:LINE`` or a fetch record."""
    published: bool = False
    """Whether a published table was measured on it (``bench/published/content.yaml`` or a verified BEIR zip)."""


def _is_sha256(v: object) -> bool:
    return isinstance(v, str) and len(v) == 64 and set(v) <= _HEX64


def _entries(path: Path) -> list[tuple[int, dict, object]]:
    try:
        data, root = read_yaml_file(path, max_bytes=1 << 20)
    except YamlSyntaxError as e:
        raise DatasetError(str(e)) from None
    if not isinstance(data, dict) or not isinstance(data.get("contents"), list):
        raise DatasetError(f"{path}:1: a contents file is a mapping with a 'contents' list; fix the file")
    out = []
    for i, row in enumerate(data["contents"]):
        line = line_of(root, ("contents", i)) or 1
        if not isinstance(row, dict) or not isinstance(row.get("dataset"), str) or not isinstance(row.get("split"), str):
            raise DatasetError(f"{path}:{line}: a content entry is a mapping with text 'dataset' and 'split'; fix the entry")
        for key in ("hash", "scoring"):
            if key in row and not _is_sha256(row[key]):
                raise DatasetError(
                    f"{path}:{line_of(root, ('contents', i, key)) or line}: {key}: not a sha256 (64 lower-case hex digits); fix the value"
                )
        out.append((line, row, root))
    return out


def _registered(path: Path, published: bool) -> list[KnownContent]:
    out = []
    for line, row, _ in _entries(path):
        files = row.get("files")
        if files is not None and not (isinstance(files, dict) and all(_is_sha256(v) for v in files.values())):
            raise DatasetError(f"{path}:{line}: files: a mapping of file -> sha256; fix the entry")
        drop = bool(row.get("drop_identical_ids", False))
        digest = row.get("hash") or (scoring_identity(combine_hashes(files), drop) if files else None)
        if digest is None:
            raise DatasetError(f"{path}:{line}: a content entry needs 'hash' or 'files'; fix the entry")
        out.append(KnownContent(row["dataset"], row["split"], digest, row.get("scoring"), dict(files) if files else None,
                                f"{path.name}:{line}", published))  # fmt: skip
    return out


@lru_cache(maxsize=1)
def _static() -> tuple[KnownContent, ...]:
    return tuple(_registered(CONTENTS_FILE, False) + _registered(PUBLISHED_CONTENT_FILE, True))


def known_contents() -> tuple[KnownContent, ...]:
    """Every registered content: ``contents.yaml``, the published content, and the fetch records of this machine."""
    return _static() + fetched_contents()


def records_dir() -> Path:
    """Where ``bench datasets fetch`` records what it unpacked: ``<home>/fetched/NAME.json`` (one per dataset)."""
    from bench.paths import home_dir

    return home_dir() / "fetched"


def fetched_contents() -> tuple[KnownContent, ...]:
    """The contents of the verified BEIR zips this machine fetched (:func:`bench.datasets.fetch.record_fetch`)."""
    folder = records_dir()
    try:
        files = sorted(folder.glob("*.json")) if folder.is_dir() else []
        stamp = tuple((str(f), f.stat().st_mtime_ns) for f in files)
    except OSError:
        return ()
    return _read_records(stamp)


@lru_cache(maxsize=8)
def _read_records(stamp: tuple[tuple[str, int], ...]) -> tuple[KnownContent, ...]:
    out: list[KnownContent] = []
    for name, _ in stamp:
        path = Path(name)
        fix = f"delete {path} and run `bench datasets fetch {path.stem}` again"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise DatasetError(f"{path}:1: not a fetch record ({type(e).__name__}); {fix}") from None
        ok = isinstance(data, dict) and isinstance(data.get("dataset"), str) and isinstance(data.get("files"), dict)
        splits = data.get("splits") if ok else None
        if not ok or not isinstance(splits, dict):
            raise DatasetError(f"{path}:1: a fetch record needs 'dataset', 'files' and 'splits'; {fix}")
        files = data["files"]
        for split, row in splits.items():
            if not (isinstance(row, dict) and _is_sha256(row.get("hash")) and (row.get("scoring") is None or _is_sha256(row["scoring"]))):
                raise DatasetError(f"{path}:1: splits.{split}: needs a sha256 'hash' (and 'scoring'); {fix}")
            per_file = {
                "corpus": files.get("corpus.jsonl"),
                "queries": files.get("queries.jsonl"),
                f"qrels/{split}": files.get(f"qrels/{split}.tsv"),
            }
            out.append(KnownContent(data["dataset"], str(split), row["hash"], row.get("scoring"),
                                    per_file if all(_is_sha256(v) for v in per_file.values()) else None,
                                    f"fetch record {path}", bool(data.get("published", False))))  # fmt: skip
    return tuple(out)


def by_hash(content_hash: str) -> KnownContent | None:
    return next((k for k in known_contents() if k.hash == content_hash), None)


def scoring_known(split: str) -> bool:
    """Whether any registered content of ``split`` carries a scoring identity (else recognition need not parse)."""
    return any(k.scoring and k.split == split for k in known_contents())


def by_scoring(scoring: str, split: str) -> KnownContent | None:
    return next((k for k in known_contents() if k.scoring == scoring and k.split == split), None)


def registered_hashes(dataset: str, split: str = "test") -> set[str]:
    """The content hashes registered for ``dataset``'s ``split``: what a suite cell of that member must have."""
    return {k.hash for k in known_contents() if k.dataset == dataset and k.split == split}


def memo_path(files_identity: str) -> Path:
    """Where the scoring identity of a content (by its files' identity) is remembered between processes."""
    from bench.paths import cache_dir

    return cache_dir() / "scoring-identity" / f"{files_identity}.json"


def read_memo(files_identity: str) -> str | None:
    try:
        data = json.loads(memo_path(files_identity).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get("scoring") if isinstance(data, dict) else None
    return value if _is_sha256(value) and data.get("version") == SCORING_VERSION else None


def write_memo(files_identity: str, scoring: str) -> None:
    path = memo_path(files_identity)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{id(scoring)}.tmp")
        tmp.write_text(json.dumps({"version": SCORING_VERSION, "scoring": scoring}), encoding="utf-8")
        tmp.replace(path)
    except OSError:  # a read-only cache only costs a re-parse next time
        pass


SCORING_VERSION = 1
"""Bumped when what the scoring identity covers changes (old memos are then recomputed)."""
