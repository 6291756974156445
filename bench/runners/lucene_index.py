"""Lucene indexes built with Anserini's ``IndexCollection``, cached by (corpus hash, index config), verified before use.

A second run on the same corpus with the same config reuses the index. Builds go to a temporary folder
beside the cache entry, every file is fsynced, a manifest (:data:`MARKER`: every file's size and sha256) is
written last, and the folder is published with one ``os.replace``, so a crashed build is never used.

Before an entry is reused, its manifest is checked against the files (sizes, then checksums): an entry that
is damaged (a truncated, changed or missing file), incomplete (no manifest) or of an older format is a miss.
It is moved aside atomically, deleted, and rebuilt; nobody has to delete the cache by hand. Build folders
(``.build-*``) and discarded entries (``.damaged-*``) left by a killed process are removed at the next build or reuse
(:func:`bench.scratch.clean_scratch`: only once their owner is gone; a concurrent build is never touched).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from bench import cache_reads
from bench.paths import cache_dir
from bench.provenance import json_sha256, package_version
from bench.runners.java import autoclass
from bench.scratch import clean_scratch, make_scratch

FORMAT = 2
MARKER = ".brewbench-complete"
"""The manifest of a complete index (JSON: format, corpus hash, each file's bytes and sha256), written last."""
_DAMAGED_PREFIX = ".damaged-"
_BUILD_PREFIX = ".build-"


def index_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def index_key(corpus_hash: str, config: dict[str, Any]) -> str:
    return json_sha256({"corpus": corpus_hash, "config": config, "pyserini": package_version("pyserini")})[:24]


def _sha256(path: Path) -> str:
    """sha256 of the bytes on disk now (not memoised: a verification must read what is there)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_manifest(index_dir: Path, corpus_hash: str) -> dict[str, Any]:
    """fsync every file of a finished index and write its manifest (:data:`MARKER`) last; returns the manifest."""
    files = {}
    for p in sorted(index_dir.rglob("*")):
        if p.is_file() and p.name != MARKER:
            _fsync(p)
            files[p.relative_to(index_dir).as_posix()] = {"bytes": p.stat().st_size, "sha256": _sha256(p)}
    manifest = {"format": FORMAT, "corpus": corpus_hash, "files": files}
    (index_dir / MARKER).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    _fsync(index_dir / MARKER)
    return manifest


def verify_index(folder: Path, corpus_hash: str) -> bool:
    """Whether ``folder`` is a complete, intact index of ``corpus_hash``: its manifest matches every file (sizes, then sha256)."""
    try:
        manifest = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        files = manifest["files"]
        if manifest.get("format") != FORMAT or manifest.get("corpus") != corpus_hash or not any(f.startswith("segments_") for f in files):
            return False
        if any((folder / rel).stat().st_size != info["bytes"] for rel, info in files.items()):
            return False
        return all(_sha256(folder / rel) == info["sha256"] for rel, info in files.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def _discard(folder: Path, root: Path) -> None:
    """Move a damaged entry aside with one rename (so nobody opens it again), then delete it."""
    aside = make_scratch(root, _DAMAGED_PREFIX)
    with contextlib.suppress(FileNotFoundError):  # another process discarded it first
        os.replace(folder, aside / "entry")
    shutil.rmtree(aside, ignore_errors=True)


_UTF8_BOM = b"\xef\xbb\xbf"


def _starts_with_bom(path: Path) -> bool:
    """Whether a plain corpus file begins with a UTF-8 BOM (our reader drops it; Anserini's fails on line 1)."""
    if path.name.endswith(".gz"):
        return False
    with path.open("rb") as f:
        return f.read(len(_UTF8_BOM)) == _UTF8_BOM


def build_or_reuse(corpus_file: Path, corpus_hash: str, config: dict[str, Any], args: list[str]) -> tuple[Path, bool]:
    """Return (index folder, reused?). ``args`` are extra IndexCollection arguments (collection, fields...).

    A cached entry is reused only when :func:`verify_index` passes; a damaged one is discarded and rebuilt.
    """
    root = cache_dir() / "indexes"
    bom = _starts_with_bom(corpus_file)
    # a BOM corpus once gave Anserini nothing to index: its indexes have their own key, so an empty one is never reused
    final = root / f"{config.get('name', 'lucene')}-{index_key(corpus_hash, {**config, 'bom_stripped': True} if bom else config)}"
    clean_scratch(root, (_BUILD_PREFIX, _DAMAGED_PREFIX))  # what killed builds left behind
    if verify_index(final, corpus_hash):
        cache_reads.record("lucene-index")
        return final, True
    root.mkdir(parents=True, exist_ok=True)
    if final.exists():
        _discard(final, root)
    work = make_scratch(root, _BUILD_PREFIX)
    try:
        source = work / "input"
        source.mkdir()
        # Anserini indexes every file of the input folder: give it the corpus alone (a link, not a copy).
        link = source / corpus_file.name
        if bom:  # Anserini's JSON reader refuses a BOM and indexes nothing: give it the text
            with corpus_file.open("rb") as src, link.open("wb") as dst:
                src.seek(len(_UTF8_BOM))
                shutil.copyfileobj(src, dst, 1 << 20)
        else:
            try:
                os.symlink(corpus_file.resolve(), link)
            except OSError:
                shutil.copyfile(corpus_file, link)
        index_dir = work / "index"
        threads = str(max(1, min(os.cpu_count() or 1, 8)))
        autoclass("io.anserini.index.IndexCollection").main(
            ["-input", str(source), "-index", str(index_dir), "-threads", threads, "-quiet", *args]
        )
        if not any(index_dir.glob("segments_*")):
            raise RuntimeError(f"Anserini wrote no index for {corpus_file}")
        write_manifest(index_dir, corpus_hash)
        try:
            os.replace(index_dir, final)
        except OSError:
            if not verify_index(final, corpus_hash):  # another process won the race with a complete index: use it
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final, False
