"""Encoding on Ray (issue 13): the same run file as the local engine, and a killed worker loses no finished shard.

A real local Ray instance (``ray.init`` on this machine, 2 CPUs, its temp folder under pytest's tmp), the packaged
MiniLM weights and the real ADI collection. ADI, not NPL (the issue's example): 82 documents keep CI fast on 2 cores;
the engines share one code path per shard, so the collection's size does not change what is compared.
Every test shuts Ray down and checks no Ray process of its instance is left.

Not collected directly: ``test_ray_engine.py`` runs this file in a pytest process of its own. ``ray.init`` in a process
replaces its SIGSEGV handler, and the JVM that Lucene tests start in the main test process relies on its own handler
for implicit null checks: with Ray's installed, a later Lucene search crashed the whole suite (a JVM ForkJoinPool
thread, "segfault" in the kernel log).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import ray

from bench.datasets import resolve_dataset
from bench.errors import RunnerUnavailable
from bench.evaluation.trec import write_trec_run
from bench.runners.base import Progress, make_runner
from bench.runners.embedding_cache import EmbeddingCache
from bench.runners.executors import LocalExecutor, Shard
from bench.runners.ray_engine import ACTOR_PREFIX, RayExecutor
from bench.specs import load_spec
from tests.clihelp import bench

pytestmark = pytest.mark.slow  # a Ray instance and MiniLM: ~1 minute per test on 2 loaded cores

ROOT = Path(__file__).resolve().parents[2]
MINILM = ROOT / "models" / "all-minilm-l6-v2.yaml"


def _ray_processes(temp: Path) -> list[int]:
    """Pids of live processes whose command line names ``temp`` (the instance's session folder)."""
    pids = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            cmd = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(temp) in cmd and int(p.name) != os.getpid():
            pids.append(int(p.name))
    return pids


@pytest.fixture
def local_ray(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A local Ray instance for one test (2 CPUs, no dashboard); shut down after, with no process left."""
    temp = tmp_path_factory.mktemp("ray")  # short: Ray's socket paths must stay under 107 characters
    ray.init(num_cpus=2, include_dashboard=False, _temp_dir=str(temp), log_to_driver=False, logging_level="ERROR")
    try:
        yield temp
    finally:
        ray.shutdown()
    deadline = time.monotonic() + 30
    while _ray_processes(temp) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _ray_processes(temp) == [], "Ray processes left after shutdown"


def test_ray_engine_writes_the_same_run_file_as_local(local_ray: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    runs = {}
    for engine in ("local", "ray"):
        monkeypatch.setenv("BENCH_CACHE", str(tmp_path / f"cache-{engine}"))  # nothing shared: each engine encodes
        out = tmp_path / f"{engine}.trec"
        r = bench(capsys, "run", MINILM, "-d", "adi", "--engine", engine, "--threads", "1", "--no-record", "-o", out, "--json")
        assert r.code == 0, r.err
        runs[engine] = (out.read_bytes(), r.json()["cost"])
    (local_file, local_cost), (ray_file, ray_cost) = runs["local"], runs["ray"]
    assert ray_file == local_file and len(local_file.splitlines()) > 1000
    assert (local_cost["engine"], ray_cost["engine"]) == ("local", "ray")
    assert local_cost["engine_threads"] == ray_cost["engine_threads"] == 1
    assert ray_cost["encode_shards"] == local_cost["encode_shards"] == 1 and ray_cost["corpus_cached"] is False
    assert ray_cost["search"] == local_cost["search"] == "exact-sharded" and ray_cost["search_shards"] == 1  # what searched
    entries = {e: EmbeddingCache(tmp_path / f"cache-{e}" / "embeddings") for e in runs}
    keys = {e: local_cost["corpus_cache_key"] for e in runs}
    assert ray_cost["corpus_cache_key"] == keys["local"]  # the same key: one engine's entry serves the other
    assert np.array_equal(entries["local"].load(keys["local"]).arrays["embeddings"], entries["ray"].load(keys["ray"]).arrays["embeddings"])
    # the same entries (corpus, queries) and nothing else: shard entries are removed once assembled
    assert sorted(p.name for p in (tmp_path / "cache-ray" / "embeddings").iterdir() if not p.name.startswith(".")) == sorted(
        p.name for p in (tmp_path / "cache-local" / "embeddings").iterdir() if not p.name.startswith(".")
    )


def test_bm25_refuses_the_ray_engine(capsys, db_path: Path) -> None:
    r = bench(capsys, "run", ROOT / "models" / "bm25-flat.yaml", "-d", "adi", "--engine", "ray", "--db", db_path)
    assert r.code == RunnerUnavailable.exit_code and "kind 'lucene-bm25' encodes nothing" in r.err
    assert not db_path.exists()


class KillAfterShards(Progress):
    """Progress that, after ``after`` shards have finished on Ray, kills every encoder actor (a real SIGKILL-like ray.kill)."""

    def __init__(self, cache: EmbeddingCache, after: int = 1) -> None:
        self.cache, self.after = cache, after
        self.finished: list[Shard] = []
        self.kept_on_kill: list[bool] = []

    def track(self, items: Iterable[Any], description: str, total: int | None = None, units: Any = None) -> Iterator[Any]:
        for item in items:
            yield item
            if "documents on Ray" in description:  # the corpus plan (queries come after)
                self.finished.append(item)
                if len(self.finished) == self.after:
                    self.kept_on_kill = [self.cache.load(s.key) is not None for s in self.finished]
                    for name in ray.util.list_named_actors():
                        if name.startswith(ACTOR_PREFIX):
                            ray.kill(ray.get_actor(name))


def test_a_killed_worker_is_retried_and_finished_shards_are_kept(local_ray: Path, tmp_path: Path, monkeypatch) -> None:
    base = load_spec(MINILM)
    spec = base.model_copy(update={"params": {**base.params, "batch_size": 8}})  # 82 documents -> 11 one-batch shards
    dataset = resolve_dataset("adi")
    queries = dataset.judged_queries()

    monkeypatch.setenv("BENCH_CACHE", str(tmp_path / "local"))
    local = make_runner(spec, str(MINILM))
    local.executor = LocalExecutor(threads=1, shard_batches=1)
    expected = local.retrieve(dataset, queries, Progress())

    monkeypatch.setenv("BENCH_CACHE", str(tmp_path / "ray"))
    # 1) no retries allowed: the kill stops the run; the shards finished before it stay in the cache
    first = make_runner(spec, str(MINILM))
    first.executor = RayExecutor(threads=1, workers=1, max_retries=0, shard_batches=1)
    progress = KillAfterShards(first.cache, after=2)
    with pytest.raises(RunnerUnavailable, match="run again to resume"):
        first.retrieve(dataset, queries, progress)
    first.executor.close()
    assert progress.kept_on_kill == [True, True]
    assert all(first.cache.load(s.key) is not None for s in progress.finished)

    # 2) a fresh run resumes from them, and a worker killed again is replaced and its shard retried
    second = make_runner(spec, str(MINILM))
    second.executor = RayExecutor(threads=1, workers=1, shard_batches=1)
    progress = KillAfterShards(second.cache, after=1)
    try:
        out = second.retrieve(dataset, queries, progress)
    finally:
        second.executor.close()
    stats = second.executor.stats
    assert stats.shards == 11 and stats.cached >= 2 and stats.retries >= 1
    assert len(progress.finished) == stats.shards - stats.cached  # every other shard encoded once, none twice
    assert out.cost["encode_shard_retries"] == stats.retries and out.cost["engine"] == "ray"
    write_trec_run(expected.run, tmp_path / "local.trec", tag="t")
    write_trec_run(out.run, tmp_path / "ray.trec", tag="t")
    assert (tmp_path / "ray.trec").read_bytes() == (tmp_path / "local.trec").read_bytes()
