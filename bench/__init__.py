"""brewbench: a reproducible benchmark for retrieval and embedding models."""

from __future__ import annotations

__version__ = "0.1.0"

from bench.errors import (
    BenchError,
    DatasetError,
    EvaluationError,
    RunnerUnavailable,
    SpecError,
    StoreError,
    SubmissionError,
)
from bench.types import Document, Query, Run

__all__ = [
    "BenchError",
    "DatasetError",
    "Document",
    "EvaluationError",
    "Query",
    "Run",
    "RunnerUnavailable",
    "SpecError",
    "StoreError",
    "SubmissionError",
    "__version__",
]
