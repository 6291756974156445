"""The embedding cache: round trips, keys, damaged entries, interrupted writes, concurrent writers (real processes)."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from bench.runners.embedding_cache import EmbeddingCache, cache_key
from tests.conftest import ROOT


def _write(root: Path, key: str, seed: int, rows: int = 50) -> np.ndarray:
    values = np.random.default_rng(seed).standard_normal((rows, 8)).astype(np.float32)
    with EmbeddingCache(root).writer(key, {"note": "test"}) as w:
        w.set_ids([f"d{i}" for i in range(rows)])
        w.put("embeddings", values)
    return values


def test_round_trip_keeps_ids_arrays_and_meta(tmp_path: Path) -> None:
    values = _write(tmp_path, "k1", seed=0)
    entry = EmbeddingCache(tmp_path).load("k1")
    assert entry is not None
    assert entry.ids == [f"d{i}" for i in range(50)]
    assert isinstance(entry.arrays["embeddings"], np.memmap)  # read lazily, chunk by chunk
    np.testing.assert_array_equal(entry.arrays["embeddings"], values)
    assert entry.meta["note"] == "test" and entry.meta["key"] == "k1"
    assert entry.nbytes == values.nbytes
    assert EmbeddingCache(tmp_path).load("other") is None


def test_key_changes_with_every_part() -> None:
    base = {"model": "m", "corpus": "c", "prompt": "", "max_length": 256, "normalize": True, "dtype": "float32"}
    keys = {cache_key(base)}
    for field, value in [
        ("model", "m2"),
        ("corpus", "c2"),
        ("prompt", "query: "),
        ("max_length", 128),
        ("normalize", False),
        ("dtype", "float16"),
    ]:
        keys.add(cache_key({**base, field: value}))
    assert len(keys) == 7
    assert cache_key(dict(reversed(base.items()))) == cache_key(base)  # independent of dict order


def test_a_damaged_entry_is_a_miss_and_gets_replaced(tmp_path: Path) -> None:
    _write(tmp_path, "k", seed=1)
    npy = tmp_path / "k" / "embeddings.npy"
    data = bytearray(npy.read_bytes())
    data[-1] ^= 0xFF  # flip bits in the last vector
    npy.write_bytes(bytes(data))
    cache = EmbeddingCache(tmp_path)
    assert cache.load("k") is None
    values = _write(tmp_path, "k", seed=2)
    entry = cache.load("k")
    assert entry is not None
    np.testing.assert_array_equal(entry.arrays["embeddings"], values)


def test_an_error_inside_the_writer_publishes_nothing(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path)
    with pytest.raises(RuntimeError, match="encoder crashed"), cache.writer("k") as w:
        w.set_ids(["a", "b"])
        arr = w.create("embeddings", (2, 4), "float32")
        arr[0] = 1.0
        raise RuntimeError("encoder crashed")
    assert cache.load("k") is None
    assert list(tmp_path.iterdir()) == []  # the temporary folder is gone too


_KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    import numpy as np
    from pathlib import Path
    from bench.runners.embedding_cache import EmbeddingCache

    with EmbeddingCache(Path(sys.argv[1])).writer("k") as w:
        w.set_ids([str(i) for i in range(1000)])
        arr = w.create("embeddings", (1000, 64), "float32")
        arr[:500] = 1.0
        arr.flush()
        os.kill(os.getpid(), signal.SIGKILL)  # dies mid-write, as a crash or power cut would
    """
)


def test_a_writer_killed_mid_write_leaves_no_readable_entry(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    leftovers = list(tmp_path.iterdir())
    assert leftovers and all(p.name.startswith(".tmp-") for p in leftovers)  # half-written data exists, unpublished
    cache = EmbeddingCache(tmp_path)
    assert cache.load("k") is None
    values = _write(tmp_path, "k", seed=3)  # the next writer publishes normally
    np.testing.assert_array_equal(cache.load("k").arrays["embeddings"], values)


def _racer(root: str, seed: int, barrier) -> None:
    barrier.wait()
    _write(Path(root), "same-key", seed=seed, rows=20000)


def test_two_processes_writing_the_same_key(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_racer, args=(str(tmp_path), seed, barrier)) for seed in (10, 11)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    entry = EmbeddingCache(tmp_path).load("same-key")
    assert entry is not None
    got = np.asarray(entry.arrays["embeddings"])
    candidates = [np.random.default_rng(s).standard_normal((20000, 8)).astype(np.float32) for s in (10, 11)]
    assert any(np.array_equal(got, c) for c in candidates)  # one writer's complete entry, never a mix
    assert [p.name for p in tmp_path.iterdir()] == ["same-key"]
    assert sorted(os.listdir(tmp_path / "same-key")) == ["embeddings.npy", "ids.json", "meta.json"]
