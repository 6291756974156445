"""Reference runners, one module per kind, on the shared base in ``base.py``."""

from bench.runners.base import Progress, Runner, RunOutput, make_runner, register_runner, runner_kinds

__all__ = ["Progress", "RunOutput", "Runner", "make_runner", "register_runner", "runner_kinds"]
