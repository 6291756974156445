"""On-disk cache of encoded texts (corpus or queries), safe under concurrent writers and interrupted writes.

An entry is a folder ``<cache>/embeddings/<key>/`` holding ``.npy`` arrays, optional JSON documents, the row
ids and a ``meta.json`` that lists each array's shape, dtype and sha256 (and each document's sha256).
Writers build the folder under a temporary name beside it and publish it with one ``os.replace``: a
reader sees a complete entry or nothing. When two processes write the same key, the first rename wins and the other discards its copy.
A reader re-checks shapes and checksums, and treats a damaged entry as a miss. A writer's temporary folder
(``.tmp-<owner>-...``) left by a killed process is removed by the next writer once its owner is gone
(:func:`bench.scratch.clean_scratch`), never while the process that writes it runs.

The key is a hash of everything the vectors depend on (see :func:`cache_key`): the model files, the
texts (corpus content hash or query texts), the prompt, max length, normalisation, dtype, and the
library versions that compute them.

The same mechanism stores other cached results under another root: the reasoning runner's thoughts
(:mod:`bench.runners.thought_cache`) are entries whose payload is a JSON document.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench import cache_reads
from bench.kernels import pinned
from bench.paths import cache_dir
from bench.provenance import file_sha256, json_sha256, package_version
from bench.scratch import clean_scratch, make_scratch

FORMAT = 1
META = "meta.json"
IDS = "ids.json"
_TMP_PREFIX = ".tmp-"
_VERSIONED = ("torch", "transformers", "sentence-transformers")


def cache_key(parts: dict[str, Any]) -> str:
    """Key of an entry: sha256 over ``parts`` plus the cache format and the encoding libraries' versions.

    Under a kernel pin (:func:`bench.kernels.pinned`, e.g. inside ``bench train``) the pin is part of the key: vectors
    computed with pinned kernels are never mixed with vectors of the default kernels (they differ in the last bits).
    """
    pin = pinned()
    extra = {"kernels": pin} if pin and "kernels" not in parts else {}
    return json_sha256({"format": FORMAT, "libraries": {p: package_version(p) for p in _VERSIONED}, **extra, **parts})[:40]


@dataclass(frozen=True)
class CachedEmbeddings:
    """A loaded entry: row ids and named arrays (dense ones memory-mapped read-only)."""

    path: Path
    ids: list[str]
    arrays: dict[str, np.ndarray]
    meta: dict[str, Any]
    documents: dict[str, Any] = field(default_factory=dict)
    """JSON documents stored with :meth:`EntryWriter.put_json`, parsed."""
    files: dict[str, Path] = field(default_factory=dict)
    """Opaque files stored with :meth:`EntryWriter.file` (e.g. an exported ONNX model), checked by sha256."""

    @property
    def nbytes(self) -> int:
        return sum(int(a.nbytes) for a in self.arrays.values())


class EntryWriter:
    """Collects one entry's arrays in a temporary folder; published by :meth:`EmbeddingCache.writer`."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self._arrays: dict[str, np.ndarray] = {}
        self._documents: list[str] = []
        self._files: list[str] = []
        self.ids: list[str] | None = None
        self.meta: dict[str, Any] = {}
        """Extra facts stored in ``meta.json`` (e.g. a sparse matrix's vocabulary size)."""

    def create(self, name: str, shape: tuple[int, ...], dtype: str | np.dtype) -> np.ndarray:
        """A writable memory-mapped array to fill in place (bounded memory for large corpora)."""
        arr = np.lib.format.open_memmap(self.work / f"{name}.npy", mode="w+", dtype=np.dtype(dtype), shape=shape)
        self._arrays[name] = arr
        return arr

    def put(self, name: str, values: np.ndarray) -> None:
        """Write a whole array."""
        arr = self.create(name, values.shape, values.dtype)
        arr[...] = values

    def put_json(self, name: str, value: Any) -> None:
        """Write a JSON document (checksummed like the arrays); read back as ``CachedEmbeddings.documents[name]``."""
        (self.work / f"{name}.json").write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
        self._documents.append(name)

    def file(self, name: str) -> Path:
        """The path of an opaque file to write (``name`` with its suffix, e.g. ``model.onnx``); checksummed on publish."""
        if "/" in name or name in (META, IDS) or name.endswith((".npy", ".json")):
            raise ValueError(f"cache file name '{name}' is reserved or not a plain file name")
        self._files.append(name)
        return self.work / name

    def set_ids(self, ids: Sequence[str]) -> None:
        self.ids = [str(i) for i in ids]

    def _finish(self, meta: dict[str, Any]) -> None:
        if self.ids is None:
            raise ValueError("an embedding cache entry needs its row ids (set_ids)")
        arrays = {}
        for name, arr in self._arrays.items():
            if isinstance(arr, np.memmap):
                arr.flush()
            path = self.work / f"{name}.npy"
            _fsync(path)
            arrays[name] = {"shape": list(arr.shape), "dtype": str(arr.dtype), "sha256": file_sha256(path)}
        self._arrays.clear()
        documents = {}
        for name in self._documents:
            _fsync(self.work / f"{name}.json")
            documents[name] = file_sha256(self.work / f"{name}.json")
        files = {}
        for name in self._files:
            _fsync(self.work / name)
            files[name] = file_sha256(self.work / name)
        (self.work / IDS).write_text(json.dumps(self.ids), encoding="utf-8")
        _fsync(self.work / IDS)
        body = {**meta, **self.meta, "format": FORMAT, "rows": len(self.ids), "ids_sha256": file_sha256(self.work / IDS), "arrays": arrays}
        if documents:
            body["documents"] = documents
        if files:
            body["files"] = files
        (self.work / META).write_text(json.dumps(body, indent=1, sort_keys=True), encoding="utf-8")
        _fsync(self.work / META)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class EmbeddingCache:
    """Embedding entries under ``root`` (default: ``<bench cache>/embeddings``)."""

    def __init__(self, root: Path | None = None, kind: str = "embeddings") -> None:
        self.root = root or cache_dir() / "embeddings"
        self.kind = kind
        """What a hit counts as in :mod:`bench.cache_reads` (``embeddings``, ``training:<stage>``)."""

    def path(self, key: str) -> Path:
        return self.root / key

    def load(self, key: str, *, mmap: bool = True, count: bool = True) -> CachedEmbeddings | None:
        """The complete, intact entry for ``key``, or None (a miss, or an entry that fails its checks).

        ``count=False``: reading back what this process just wrote, which is not a cache hit (:mod:`bench.cache_reads`).
        """
        folder = self.path(key)
        try:
            meta = json.loads((folder / META).read_text(encoding="utf-8"))
            if meta.get("format") != FORMAT or meta.get("ids_sha256") != file_sha256(folder / IDS):
                return None
            ids = json.loads((folder / IDS).read_text(encoding="utf-8"))
            arrays = {}
            for name, info in meta["arrays"].items():
                path = folder / f"{name}.npy"
                if file_sha256(path) != info["sha256"]:
                    return None
                arr = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
                if list(arr.shape) != info["shape"] or str(arr.dtype) != info["dtype"]:
                    return None
                arrays[name] = arr
            documents = {}
            for name, sha in meta.get("documents", {}).items():
                path = folder / f"{name}.json"
                if file_sha256(path) != sha:
                    return None
                documents[name] = json.loads(path.read_text(encoding="utf-8"))
            files = {}
            for name, sha in meta.get("files", {}).items():
                path = folder / name
                if file_sha256(path) != sha:
                    return None
                files[name] = path
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if len(ids) != meta.get("rows"):
            return None
        if count:
            cache_reads.record(self.kind)
        return CachedEmbeddings(path=folder, ids=ids, arrays=arrays, meta=meta, documents=documents, files=files)

    @contextmanager
    def writer(self, key: str, meta: dict[str, Any] | None = None) -> Iterator[EntryWriter]:
        """Build an entry; it becomes visible only when the ``with`` block finishes without error.

        If another process published ``key`` first, this copy is discarded (theirs is equivalent).
        """
        self.root.mkdir(parents=True, exist_ok=True)
        clean_scratch(self.root, (_TMP_PREFIX,))  # what killed writers left behind (never a live writer's folder)
        work = make_scratch(self.root, _TMP_PREFIX, key[:12])
        try:
            writer = EntryWriter(work)
            yield writer
            writer._finish({"key": key, **(meta or {})})
            try:
                os.replace(work, self.path(key))
            except OSError:
                # Another writer published this key first (its entry is equivalent), or a damaged folder sits there.
                if self.load(key, count=False) is None:
                    shutil.rmtree(self.path(key), ignore_errors=True)
                    try:
                        os.replace(work, self.path(key))
                    except OSError:
                        if self.load(key, count=False) is None:
                            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
