"""Encoding on Ray: actors (one model each, a GPU each when the cluster has GPUs) encode shards of the batch plan.

Each actor builds the same runner from the spec, loads the model once and writes every shard it encodes into the
embedding cache under the shard's key (see :mod:`bench.runners.executors`): the driver assembles the entry from
the cache, so a local and a Ray run share entries. When an actor dies (killed, out of memory, a lost node) its shard
is given to a fresh actor, up to ``max_retries`` times per shard; shards already in the cache are kept.

Needs the optional extra ``brewbench[ray]``. ``address``: None starts a local Ray instance for this process (shut
down by :meth:`RayExecutor.close`); ``auto`` or ``ray://host:port`` joins a running cluster, whose nodes must see the
model folder and the cache folder at the same paths (a shared file system).
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from bench.errors import RunnerUnavailable
from bench.runners.base import Progress
from bench.runners.embedding_cache import EmbeddingCache
from bench.runners.executors import Executor, Shard, ShardEncoder, encode_shard

MAX_RETRIES = 3
"""Times one shard is given to a fresh actor after its actor died."""
ACTOR_PREFIX = "brewbench-encoder"


class ShardWorker:
    """The actor: one runner (one model) that encodes the shards it is sent into the cache."""

    def __init__(self, spec: Any, source: str, weights: Any, cache_root: str, threads: int | None) -> None:
        import torch

        from bench.runners.base import make_runner

        if threads is not None:
            torch.set_num_threads(threads)
        self.runner = make_runner(spec, source)
        self.runner._weights = weights
        self.cache = EmbeddingCache(Path(cache_root))

    def encode(self, shard: Shard, texts: list[str], role: str) -> int:
        """Encode ``shard`` (its ``texts`` in plan order) into the cache; returns how many texts."""
        encode_shard(self.runner, self.cache, shard, texts, role)
        return len(texts)

    def pid(self) -> int:
        return os.getpid()


def _ray() -> Any:
    try:
        import ray
    except ImportError as e:
        raise RunnerUnavailable("--engine ray needs Ray; install the extra: pip install 'brewbench[ray]'") from e
    return ray


class RayExecutor(Executor):
    """Shards spread over Ray actors; a dead actor's shard goes to a fresh actor."""

    engine = "ray"

    def __init__(
        self,
        address: str | None = None,
        threads: int | None = None,
        workers: int | None = None,
        max_retries: int = MAX_RETRIES,
        shard_batches: int | None = None,
    ) -> None:
        super().__init__(threads=1 if threads is None else threads, **({"shard_batches": shard_batches} if shard_batches else {}))
        self.address = address
        self.workers = workers
        self.max_retries = max_retries
        self._started = False
        self._actors: dict[int, Any] = {}
        self._born = 0

    # -- cluster -------------------------------------------------------------------------------
    def _connect(self) -> Any:
        ray = _ray()
        if not ray.is_initialized():
            try:
                if self.address is None:
                    ray.init(include_dashboard=False, log_to_driver=False, logging_level="ERROR")
                    self._started = True
                else:
                    ray.init(address=self.address, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
            except (ConnectionError, RuntimeError, ValueError) as e:
                where = self.address or "a local instance"
                raise RunnerUnavailable(f"--engine ray: cannot start or reach Ray at {where} ({e}); check --address") from e
        return ray

    def _new_actor(self, ray: Any, runner: ShardEncoder) -> Any:
        gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
        cls = ray.remote(num_cpus=self.effective_threads(), num_gpus=gpus, max_restarts=0, max_task_retries=0)(ShardWorker)
        self._born += 1
        return cls.options(name=f"{ACTOR_PREFIX}-{os.getpid()}-{self._born}").remote(
            runner.spec, runner.source, runner._weights, str(runner.cache.root), self.threads
        )

    def _worker_count(self, ray: Any, shards: int) -> int:
        if self.workers is not None:
            return max(1, min(self.workers, shards))
        res = ray.cluster_resources()
        slots = int(res.get("GPU", 0)) or int(res.get("CPU", 1)) // max(1, self.effective_threads())
        return max(1, min(slots, shards))

    # -- work ----------------------------------------------------------------------------------
    def encode_shards(self, runner: ShardEncoder, shards: list[Shard], texts: Sequence[str], role: str, progress: Progress) -> None:
        ray = self._connect()
        n = self._worker_count(ray, len(shards))
        self.stats.workers = n
        for slot in range(n):
            if slot not in self._actors:
                self._actors[slot] = self._new_actor(ray, runner)
        label = "documents" if role == "document" else "queries"
        total = sum(len(s.rows) for s in shards)
        done = self._run(ray, runner, shards, texts, role, n)
        for _ in progress.track(done, f"encoding {total} {label} on Ray ({n} actors)", total=total, units=lambda s: len(s.rows)):
            pass

    def _run(self, ray: Any, runner: ShardEncoder, shards: list[Shard], texts: Sequence[str], role: str, n: int) -> Iterator[Shard]:
        from ray.exceptions import RayActorError, RayTaskError

        queue = deque(shards)
        idle = deque(range(n))
        pending: dict[Any, tuple[Shard, int]] = {}
        tries: dict[int, int] = {}
        while queue or pending:
            while queue and idle:
                shard, slot = queue.popleft(), idle.popleft()
                ref = self._actors[slot].encode.remote(shard, [texts[i] for i in shard.rows.tolist()], role)
                pending[ref] = (shard, slot)
            ready, _ = ray.wait(list(pending), num_returns=1)
            shard, slot = pending.pop(ready[0])
            try:
                ray.get(ready[0])
            except RayActorError as e:
                tries[shard.index] = tries.get(shard.index, 0) + 1
                if tries[shard.index] > self.max_retries:
                    raise RunnerUnavailable(
                        f"--engine ray: shard {shard.index} lost its worker {tries[shard.index]} times ({type(e).__name__}); "
                        "finished shards are cached, run again to resume"
                    ) from e
                self.stats.retries += 1
                self._actors[slot] = self._new_actor(ray, runner)
                queue.appendleft(shard)
                idle.append(slot)
                continue
            except RayTaskError as e:
                raise RunnerUnavailable(f"--engine ray: shard {shard.index} failed in its worker: {e.cause!r}") from e
            idle.append(slot)
            yield shard

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "engine_address": self.address or "local"}

    def close(self) -> None:
        """Kill this executor's actors, and shut down the Ray instance it started (not a cluster it joined)."""
        try:
            import ray
        except ImportError:
            return
        if ray.is_initialized():
            for actor in self._actors.values():
                with contextlib.suppress(Exception):  # already dead
                    ray.kill(actor)
        self._actors.clear()
        if self._started and ray.is_initialized():
            ray.shutdown()
        self._started = False
