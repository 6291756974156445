"""Lucene indexes built with Anserini's ``IndexCollection``, cached by (corpus hash, index config).

A second run on the same corpus with the same config reuses the index. Builds go to a temporary
folder beside the cache entry and are published with one rename, so a crashed build is never used.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench.paths import cache_dir
from bench.provenance import json_sha256, package_version
from bench.runners.java import autoclass

MARKER = ".brewbench-complete"


def index_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def index_key(corpus_hash: str, config: dict[str, Any]) -> str:
    return json_sha256({"corpus": corpus_hash, "config": config, "pyserini": package_version("pyserini")})[:24]


def build_or_reuse(corpus_file: Path, corpus_hash: str, config: dict[str, Any], args: list[str]) -> tuple[Path, bool]:
    """Return (index folder, reused?). ``args`` are extra IndexCollection arguments (collection, fields...)."""
    root = cache_dir() / "indexes"
    final = root / f"{config.get('name', 'lucene')}-{index_key(corpus_hash, config)}"
    if (final / MARKER).is_file():
        return final, True
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
    try:
        source = work / "input"
        source.mkdir()
        # Anserini indexes every file of the input folder: give it the corpus alone (a link, not a copy).
        link = source / corpus_file.name
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
        (index_dir / MARKER).write_text(corpus_hash)
        try:
            os.replace(index_dir, final)
        except OSError:
            if not (final / MARKER).is_file():  # another process won the race with a complete index: use it
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final, False
