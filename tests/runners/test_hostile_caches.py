"""Damaged caches (issue 8, item 9): a damaged, incomplete or outdated cache entry is a miss and is rebuilt; nobody
deletes a cache by hand. Real Lucene indexes of a real (tiny) collection; real embedding-cache entries.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from bench.datasets import resolve_dataset
from bench.execute import execute_run
from bench.runners.base import make_runner
from bench.runners.embedding_cache import EmbeddingCache
from bench.runners.lucene_index import MARKER, index_key, verify_index
from bench.specs import load_spec
from tests.conftest import ROOT


def _largest(index: Path) -> Path:
    return max((p for p in index.iterdir() if p.is_file() and p.name != MARKER), key=lambda p: p.stat().st_size)


def _truncate(index: Path) -> None:
    path = _largest(index)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip(index: Path) -> None:
    path = _largest(index)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, other bytes
    path.write_bytes(bytes(data))


def _flip_keeping_mtime(index: Path) -> None:  # bit rot: same size, same mtime, other bytes
    path = _largest(index)
    st = path.stat()
    _flip(index)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def _flip_segments(index: Path) -> None:
    path = next(index.glob("segments_*"))
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


def _delete(index: Path) -> None:
    next(p for p in index.iterdir() if p.suffix in (".cfs", ".si", ".fdt", ".tim")).unlink()


def _no_manifest(index: Path) -> None:  # a build that stopped before publishing, or an entry of an older brewbench
    (index / MARKER).unlink()


def _old_marker(index: Path) -> None:  # the plain-text marker of the previous format
    (index / MARKER).write_text("0" * 64)


def _empty_folder(index: Path) -> None:
    for p in index.iterdir():
        p.unlink()


DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated file": _truncate,
    "flipped bytes": _flip,
    "flipped bytes, same mtime": _flip_keeping_mtime,
    "flipped segments file": _flip_segments,
    "deleted file": _delete,
    "no manifest": _no_manifest,
    "old-format marker": _old_marker,
    "empty folder": _empty_folder,
}


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache of this test alone (the session cache is shared by other tests and must not be damaged)."""
    monkeypatch.setenv("BENCH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_a_damaged_lucene_index_is_rebuilt_and_scores_identically(own_cache: Path, damage: str) -> None:
    spec = load_spec(ROOT / "models" / "bm25-flat.yaml")
    ds = resolve_dataset("adi")
    first, out1, _ = execute_run(spec, ds, db=None)
    assert out1.cost["index_reused"] is False
    config, _ = make_runner(spec)._index_args()
    index = own_cache / "indexes" / f"{config['name']}-{index_key(ds.corpus_hash, config)}"
    assert verify_index(index, ds.corpus_hash)
    DAMAGE[damage](index)
    assert not verify_index(index, ds.corpus_hash)
    second, out2, _ = execute_run(spec, ds, db=None)
    assert out2.cost["index_reused"] is False  # a miss: rebuilt, not used and not a failure
    assert out2.run.results == out1.run.results and second.metrics == first.metrics
    assert verify_index(index, ds.corpus_hash)
    third = execute_run(spec, ds, db=None)[1]
    assert third.cost["index_reused"] is True and third.run.results == out1.run.results
    assert sorted(p.name for p in index.parent.iterdir()) == [index.name]  # nothing left aside


def test_verifying_an_index_is_cheap_next_to_building_it(own_cache: Path) -> None:
    spec = load_spec(ROOT / "models" / "bm25-flat.yaml")
    ds = resolve_dataset("time")
    t0 = time.perf_counter()
    out = execute_run(spec, ds, db=None)[1]
    build_s = time.perf_counter() - t0
    config, _ = make_runner(spec)._index_args()
    index = own_cache / "indexes" / f"{config['name']}-{index_key(ds.corpus_hash, config)}"
    t0 = time.perf_counter()
    assert verify_index(index, ds.corpus_hash)
    verify_s = time.perf_counter() - t0
    assert out.cost["index_reused"] is False and verify_s < build_s / 5, (verify_s, build_s)


# -- the embedding cache: already verified; every kind of damage is a miss ---------------------------------
def _entry(root: Path, seed: int) -> np.ndarray:
    values = np.random.default_rng(seed).standard_normal((6, 4)).astype(np.float32)
    with EmbeddingCache(root).writer("k") as w:
        w.put("embeddings", values)
        w.set_ids([f"d{i}" for i in range(6)])
    return values


EMBEDDING_DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated array": lambda e: (e / "embeddings.npy").write_bytes((e / "embeddings.npy").read_bytes()[:-8]),
    "missing array": lambda e: (e / "embeddings.npy").unlink(),
    "changed ids": lambda e: (e / "ids.json").write_text(json.dumps(["x"] * 6)),
    "missing ids": lambda e: (e / "ids.json").unlink(),
    "meta not JSON": lambda e: (e / "meta.json").write_text("{not json"),
    "meta without arrays": lambda e: (e / "meta.json").write_text(json.dumps({"format": 1})),
    "missing meta": lambda e: (e / "meta.json").unlink(),
}


@pytest.mark.parametrize("damage", list(EMBEDDING_DAMAGE), ids=list(EMBEDDING_DAMAGE))
def test_a_damaged_embedding_entry_is_a_miss_and_is_replaced(tmp_path: Path, damage: str) -> None:
    _entry(tmp_path, seed=1)
    cache = EmbeddingCache(tmp_path)
    assert cache.load("k") is not None
    EMBEDDING_DAMAGE[damage](tmp_path / "k")
    assert cache.load("k") is None
    values = _entry(tmp_path, seed=2)
    entry = cache.load("k")
    assert entry is not None and entry.ids == [f"d{i}" for i in range(6)]
    np.testing.assert_array_equal(entry.arrays["embeddings"], values)
