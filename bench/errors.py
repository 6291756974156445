"""Domain exceptions. Messages say what was wrong, where (file:line or field), and how to fix it.

Only ``bench.cli`` turns these into output and exit codes.
"""

from __future__ import annotations


class BenchError(Exception):
    """Base class of every error brewbench raises on purpose."""

    exit_code = 1


class SpecError(BenchError):
    """A model spec (``models/*.yaml``) is malformed or inconsistent."""

    exit_code = 2


class DatasetError(BenchError):
    """A dataset is missing, malformed, or fails its checksum."""

    exit_code = 3


class RunnerUnavailable(BenchError):
    """A runner kind is unknown, or its dependencies are not installed."""

    exit_code = 4


class StoreError(BenchError):
    """The results database cannot be opened, migrated, or written."""

    exit_code = 5


class EvaluationError(BenchError):
    """A run file or metric name cannot be evaluated."""

    exit_code = 6


class SubmissionError(BenchError):
    """A submission is invalid; ``problems`` lists every problem found."""

    exit_code = 7

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class ReproductionFailed(BenchError):
    """A reproduction drifted beyond its declared tolerance."""

    exit_code = 8


class DatabaseBusy(StoreError):
    """Another process held the results database for longer than the lock timeout."""


class NameTaken(BenchError):
    """A model name belongs to another provenance, spec or submission; the message says how to choose another."""

    exit_code = 9


class ResultsFileError(BenchError):
    """Another tool's results file (MTEB's JSON) is malformed, unmapped or already a brewbench result; nothing is imported."""

    exit_code = 10
