"""TREC run files: ``qid Q0 docid rank score tag`` (optionally gzip-compressed)."""

from __future__ import annotations

import gzip
import math
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from bench.errors import EvaluationError
from bench.types import Run


def _open(path: Path, mode: str) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, mode + "t", encoding="utf-8")  # type: ignore[return-value]
    return path.open(mode, encoding="utf-8")


def iter_trec_lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    with _open(path, "r") as f:
        for n, line in enumerate(f, start=1):
            if line.strip():
                yield n, line.split()


def read_trec_run(path: Path, depth: int | None = None) -> Run:
    """Read a run file; malformed lines raise EvaluationError naming file:line and the fix."""
    if not path.is_file():
        raise EvaluationError(f"{path}: no such run file")
    scores: dict[str, dict[str, float]] = {}
    tag = "run"
    for n, cols in iter_trec_lines(path):
        if len(cols) != 6:
            raise EvaluationError(f"{path}:{n}: expected 6 columns 'qid Q0 docid rank score tag', found {len(cols)}")
        qid, _, docid, _, score, tag = cols
        try:
            value = float(score)
        except ValueError:
            raise EvaluationError(f"{path}:{n}: score '{score}' is not a number") from None
        if not math.isfinite(value):
            raise EvaluationError(f"{path}:{n}: score '{score}' is not finite; use a finite number")
        docs = scores.setdefault(qid, {})
        if docid in docs:
            raise EvaluationError(f"{path}:{n}: document '{docid}' appears twice for query '{qid}'; keep one line per pair")
        docs[docid] = value
    if not scores:
        raise EvaluationError(f"{path}: the run file is empty")
    return Run.from_scores(scores, depth=depth or 10**9, tag=tag)


def write_trec_run(run: Run, path: Path, tag: str | None = None) -> None:
    """Write ``run`` in TREC format, ranks from 1, in its stored order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    name = tag or run.tag
    with _open(path, "w") as f:
        for qid, docs in run.results.items():
            for rank, (docid, score) in enumerate(docs, start=1):
                f.write(f"{qid} Q0 {docid} {rank} {score!r} {name}\n")
