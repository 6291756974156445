"""Choosing the executor of a run (``--engine``): :class:`~bench.runners.executors.LocalExecutor` or Ray's.

Its own module, above :mod:`bench.runners.executors` and :mod:`bench.runners.ray_engine`: Ray's executor builds on
the executors module, so the one function that names both cannot live in it.
"""

from __future__ import annotations

from bench.runners.executors import Executor, LocalExecutor


def executor_for(engine: str, *, address: str | None = None, threads: int | None = None, workers: int | None = None) -> Executor:
    """The executor named ``engine`` (``local`` or ``ray``); Ray is imported only for ``ray``."""
    if engine == "local":
        return LocalExecutor(threads=threads)
    if engine == "ray":
        from bench.runners.ray_engine import RayExecutor

        return RayExecutor(address=address, threads=threads, workers=workers)
    raise ValueError(f"unknown engine '{engine}'; use local or ray")
