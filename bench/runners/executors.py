"""The encoding seam: a batch plan -> shards -> vectors in the embedding cache, run by one of two executors.

Every encoder runner (dense, SPLADE, reasoning) encodes the same way:

1. the **batch plan**: texts sorted by token count (longest first, stable) and cut into batches of
   ``params.batch_size``; the batch size is part of the corpus entry's cache key, since vectors move by ~1e-7 when
   batch boundaries move;
2. **shards**: runs of ``shard_batches`` whole batches of the plan. Each shard is encoded on its own (one encoder
   call per batch) and stored as its own embedding-cache entry, keyed by the entry's key and the shard's place in
   the plan; a shard already in the cache is never encoded again (an interrupted run, a killed worker);
3. the shards are assembled into the entry (rows back in corpus order) and then removed.

Shard boundaries are batch boundaries, so the vectors do not depend on how the plan is sharded or on which
executor encoded it: :class:`LocalExecutor` (this process) and :class:`bench.runners.ray_engine.RayExecutor`
(Ray actors, one model each) give bit-identical entries when the batch size and the torch threads match.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np

from bench.runners.base import Progress
from bench.runners.embedding_cache import CachedEmbeddings, EmbeddingCache, EntryWriter, cache_key


class ShardEncoder(Protocol):
    """What the executors use of a runner: :class:`bench.runners.encoder.EncoderRunner` is one.

    A protocol rather than that class, so this module (and :mod:`bench.runners.ray_engine`) need not import the
    encoder module that imports them.
    """

    spec: Any
    source: str
    params: Any
    """The runner's params; the executors read ``batch_size``."""
    cache: EmbeddingCache
    executor: Executor
    _weights: Any
    """The resolved weights (a Ray actor gets the driver's, so it never resolves them again)."""

    def encode(self, texts: list[str], role: str) -> Any: ...

    def shard_arrays(self, outputs: list[Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]: ...

    def assemble(self, writer: EntryWriter, shards: list[CachedEmbeddings], n: int) -> None: ...


SHARD_BATCHES = 64
"""Batches per shard by default: ``batch_size x SHARD_BATCHES`` texts (2,048 at batch size 32)."""
PLAN_ORDER = "tokens-desc-stable"
"""How the plan orders texts (recorded in cache keys)."""


def plan_parts(batch_size: int) -> dict[str, Any]:
    """What the batch plan adds to an entry's cache key: the batch boundaries (shards do not change vectors)."""
    return {"batch_size": batch_size, "order": PLAN_ORDER}


@dataclass(frozen=True)
class Shard:
    """One shard of a plan: ``rows`` (corpus rows, in plan order) encoded in batches of ``batch_size``."""

    index: int
    key: str
    rows: np.ndarray


@dataclass(frozen=True)
class BatchPlan:
    """Texts in encoding order, cut into batches and shards of whole batches."""

    order: np.ndarray
    batch_size: int
    shard_batches: int = SHARD_BATCHES

    def shards(self, entry_key: str) -> list[Shard]:
        """The plan's shards, each keyed by ``entry_key`` and its place in the plan."""
        step = self.batch_size * self.shard_batches
        n = len(self.order)
        return [
            Shard(i, shard_key(entry_key, start, min(start + step, n)), self.order[start : start + step])
            for i, start in enumerate(range(0, n, step))
        ]


def shard_key(entry_key: str, start: int, end: int) -> str:
    """Cache key of the shard holding plan positions ``start .. end`` of the entry ``entry_key``."""
    return cache_key({"shard_of": entry_key, "plan_rows": [start, end]})


def encode_shard(runner: ShardEncoder, cache: EmbeddingCache, shard: Shard, texts: Sequence[str], role: str) -> None:
    """Encode one shard (``texts``: its texts, in plan order) batch by batch and store it under ``shard.key``.

    Runs wherever the model is: in this process (local) or in a Ray actor.
    """
    size = runner.params.batch_size
    store_shard(runner, cache, shard, [runner.encode(list(texts[i : i + size]), role) for i in range(0, len(texts), size)], role)


def store_shard(runner: ShardEncoder, cache: EmbeddingCache, shard: Shard, outputs: list[Any], role: str) -> None:
    """Store the encoder outputs of a shard's batches (in plan order) under ``shard.key``."""
    arrays, meta = runner.shard_arrays(outputs)
    with cache.writer(shard.key, {"role": role, "shard": shard.index}) as w:
        w.set_ids([str(r) for r in shard.rows.tolist()])
        w.put("rows", np.asarray(shard.rows, dtype=np.int64))
        for name, values in arrays.items():
            w.put(name, values)
        w.meta.update(meta)


@dataclass
class EngineStats:
    """What one plan's encoding did: shards in all, found in the cache, retried after a worker died."""

    shards: int = 0
    cached: int = 0
    retries: int = 0
    seconds: float = 0.0
    workers: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


class Executor(ABC):
    """Encodes the missing shards of a plan into the embedding cache."""

    engine: ClassVar[str]

    def __init__(self, threads: int | None = None, shard_batches: int = SHARD_BATCHES) -> None:
        self.threads = threads
        """torch threads per model (None: torch's default); recorded with the run."""
        self.shard_batches = shard_batches
        self.stats = EngineStats()

    @abstractmethod
    def encode_shards(self, runner: ShardEncoder, shards: list[Shard], texts: Sequence[str], role: str, progress: Progress) -> None:
        """Put every shard of ``shards`` into ``runner.cache`` (``texts``: all texts of the plan, corpus order)."""

    def describe(self) -> dict[str, Any]:
        """What the run records about the engine (cost): name, threads, workers, shards."""
        s = self.stats
        return {
            "engine": self.engine,
            "engine_threads": self.effective_threads(),
            "engine_workers": s.workers,
            "encode_shards": s.shards,
            "encode_shards_cached": s.cached,
            "encode_shard_retries": s.retries,
            "encode_shard_texts": None if s.shards == 0 else s.extra.get("shard_texts"),
        }

    def effective_threads(self) -> int:
        """torch threads each model computes with (torch is not imported for it: see :func:`default_torch_threads`)."""
        if self.threads is not None:
            return self.threads
        torch = sys.modules.get("torch")
        return int(torch.get_num_threads()) if torch is not None else default_torch_threads()

    def close(self) -> None:  # noqa: B027  (a no-op unless the executor started something)
        """Release what the executor started (a local Ray instance); a no-op locally."""


def default_torch_threads() -> int:
    """The intra-op threads torch starts with, read without importing torch (an all-cached run never loads it).

    torch's own default: ``OMP_NUM_THREADS``, overridden by ``MKL_NUM_THREADS`` (positive integers), else the
    machine's physical cores, else its logical CPUs.
    """
    threads = 0
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        value = os.environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            threads = int(value)
    return threads or _physical_cores() or os.cpu_count() or 1


def _physical_cores() -> int:
    """Physical cores (distinct sibling sets of the CPUs in sysfs); 0 where sysfs does not say."""
    cores = set()
    for topo in Path("/sys/devices/system/cpu").glob("cpu[0-9]*/topology/thread_siblings_list"):
        try:
            cores.add(topo.read_text().strip())
        except OSError:
            return 0
    return len(cores)


class LocalExecutor(Executor):
    """Shards encoded one after another in this process, with the runner's own model."""

    engine = "local"

    def encode_shards(self, runner: ShardEncoder, shards: list[Shard], texts: Sequence[str], role: str, progress: Progress) -> None:
        if self.threads is not None:
            import torch

            torch.set_num_threads(self.threads)
        label = "documents" if role == "document" else "queries"
        total = sum(len(s.rows) for s in shards)
        size = runner.params.batch_size

        def batches() -> Iterator[tuple[Shard, list[int], bool]]:  # the very batches encode_shard would make
            for shard in shards:
                rows = shard.rows.tolist()
                for i in range(0, len(rows), size):
                    yield shard, rows[i : i + size], i + size >= len(rows)

        outputs: list[Any] = []  # progress counts texts batch by batch: a big shard is no silent minute
        for shard, rows, last in progress.track(batches(), f"encoding {total} {label}", total=total, units=lambda b: len(b[1])):
            outputs.append(runner.encode([texts[i] for i in rows], role))
            if last:
                store_shard(runner, runner.cache, shard, outputs, role)
                outputs = []


def encode_plan(
    runner: ShardEncoder, writer: EntryWriter, key: str, texts: Sequence[str], order: np.ndarray, role: str, progress: Progress
) -> None:
    """The one encode path of every encoder runner: plan -> shards (cached, by the runner's executor) -> ``writer``."""
    executor = runner.executor
    plan = BatchPlan(order, runner.params.batch_size, executor.shard_batches)
    shards = plan.shards(key)
    missing = [s for s in shards if runner.cache.load(s.key) is None]
    t = time.perf_counter()
    if missing:
        executor.encode_shards(runner, missing, texts, role, progress)
    if role == "document":  # the run records the corpus plan
        stats = executor.stats
        stats.shards, stats.cached, stats.seconds = len(shards), len(shards) - len(missing), time.perf_counter() - t
        stats.extra["shard_texts"] = plan.batch_size * plan.shard_batches
    loaded: list[CachedEmbeddings] = []
    for s in shards:
        entry = runner.cache.load(s.key, count=False)
        if entry is None:
            raise OSError(f"embedding cache shard {runner.cache.path(s.key)} was written but cannot be read back; check the disk")
        loaded.append(entry)
    runner.assemble(writer, loaded, len(texts))
    writer.meta["batch_plan"] = {**plan_parts(plan.batch_size), "shards": len(shards), "shard_batches": plan.shard_batches}
    writer.meta["engine"] = executor.engine
    for s in shards:  # the assembled entry holds them now
        shutil.rmtree(runner.cache.path(s.key), ignore_errors=True)
