"""A streaming validator for submitted TREC run files (``qid Q0 docid rank score tag``, optionally gzipped).

Untrusted input, read defensively: the file size is checked before reading, decompressed bytes are
counted *while* reading (a compression bomb stops at the cap, it is never inflated in memory), lines
have a maximum length, and every problem is collected with ``file:line`` and the fix (the same kind
of problem is reported a few times per file, then counted).
"""

from __future__ import annotations

import gzip
import io
import math
import zlib
from collections.abc import Iterator, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from bench.types import Run

GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 16
_RATIO_AFTER = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Size limits for submissions (bytes unless stated)."""

    max_file_bytes: int = 64 << 20
    """A run file as stored (compressed or not)."""
    max_decompressed_bytes: int = 512 << 20
    """A run file after decompression: more means a compression bomb or a run far deeper than needed."""
    max_submission_bytes: int = 256 << 20
    """All run files of one submission, as stored."""
    max_compression_ratio: int = 100
    """Decompressed / compressed bytes, checked once 1 MiB is decompressed (TREC runs gzip about 5:1; a bomb 1000:1)."""
    """All run files of one submission, as stored."""
    max_line_bytes: int = 4096
    max_depth: int = 1000
    """Documents per query (TREC depth)."""
    max_reports_per_kind: int = 5
    """How many lines of the same problem are quoted per file before the rest are only counted."""


DEFAULT_LIMITS = Limits()


class _TooLarge(Exception):
    pass


@dataclass
class RunFileReport:
    """What reading one run file found: the run (when valid), problems, and the judged-query coverage."""

    display: str
    problems: list[str] = field(default_factory=list)
    run: Run | None = None
    judged: int = 0
    answered: int = 0
    lines: int = 0
    _counts: dict[str, int] = field(default_factory=dict, repr=False)
    _limit: int = 5

    @property
    def coverage(self) -> float:
        """Judged queries the run answers, as a fraction of the judged queries."""
        return self.answered / self.judged if self.judged else 0.0

    def add(self, kind: str, line: int | None, message: str) -> None:
        """Record a problem; after ``max_reports_per_kind`` of one kind, only count it."""
        n = self._counts.get(kind, 0) + 1
        self._counts[kind] = n
        if n <= self._limit:
            where = f"{self.display}:{line}" if line else self.display
            self.problems.append(f"{where}: {message}")

    def finish(self) -> None:
        for kind, n in self._counts.items():
            if n > self._limit:
                self.problems.append(f"{self.display}: ... and {n - self._limit} more line(s) with the same problem ({kind})")


class _Counting(io.RawIOBase):
    """A read-only file wrapper that counts the (compressed) bytes handed to the decompressor."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.count = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        n = self.raw.readinto(b)  # type: ignore[attr-defined]
        self.count += n or 0
        return n


def _lines(stream: BinaryIO, counter: _Counting | None, limits: Limits, report: RunFileReport) -> Iterator[tuple[int, bytes]]:
    """Split a byte stream into numbered lines, counting bytes as they arrive; over-long lines are reported and skipped."""
    total, n, buf, skipping = 0, 0, b"", False
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        total += len(chunk)
        if total > limits.max_decompressed_bytes:
            raise _TooLarge("size")
        if counter is not None and total >= _RATIO_AFTER and total > limits.max_compression_ratio * max(1, counter.count):
            raise _TooLarge("ratio")
        buf += chunk
        parts = buf.split(b"\n")
        buf = parts.pop()
        for line in parts:
            n += 1
            if skipping:  # the end of an over-long line, already reported
                skipping = False
            elif len(line) > limits.max_line_bytes:
                _too_long(report, n, limits)
            else:
                yield n, line
        if len(buf) > limits.max_line_bytes:
            if not skipping:
                _too_long(report, n + 1, limits)
            skipping, buf = True, b""
    if buf and not skipping:
        yield n + 1, buf


def _too_long(report: RunFileReport, line: int, limits: Limits) -> None:
    report.add("line too long", line, f"line longer than {limits.max_line_bytes} bytes; a run line is 'qid Q0 docid rank score tag'")


def check_run_file(
    path: Path,
    display: str,
    query_ids: Set[str],
    judged_ids: Set[str],
    doc_ids: Set[str],
    limits: Limits = DEFAULT_LIMITS,
) -> RunFileReport:
    """Read and check one run file against a dataset's ids; never raises for bad content.

    Args:
        path: the file (already checked to lie inside the submission folder).
        display: how problems name the file (``runs/adi.trec``).
        query_ids: every query id of the dataset.
        judged_ids: the query ids with judgments (coverage is counted over these).
        doc_ids: every corpus document id.
        limits: size limits.
    """
    report = RunFileReport(display, judged=len(judged_ids), _limit=limits.max_reports_per_kind)
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        report.add(
            "size",
            None,
            f"file is {size:,} bytes, over the limit of {limits.max_file_bytes:,}; keep the top {limits.max_depth} per query and gzip it",
        )
        report.finish()
        return report
    with path.open("rb") as f:
        magic = f.read(2)
    compressed = magic == GZIP_MAGIC
    if compressed != path.name.endswith(".gz"):
        fix = "rename it to end in .gz" if compressed else "gzip it or drop the .gz suffix"
        report.add("compression", None, f"{'gzip-compressed' if compressed else 'not gzip-compressed'} but named {path.name}; {fix}")
        report.finish()
        return report

    scores: dict[str, dict[str, float]] = {}
    over_depth: set[str] = set()
    tag = "submission"
    try:
        with path.open("rb") as raw_file:
            counter = _Counting(raw_file) if compressed else None
            stream: BinaryIO = gzip.GzipFile(fileobj=io.BufferedReader(counter), mode="rb") if counter else raw_file  # type: ignore[assignment]
            for n, raw in _lines(stream, counter, limits, report):
                report.lines = n
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    report.add("encoding", n, "not UTF-8 text; save the run file as UTF-8")
                    continue
                cols = line.split()
                if not cols:
                    continue
                if len(cols) != 6:
                    report.add(
                        "columns",
                        n,
                        f"expected 6 columns 'qid Q0 docid rank score tag', found {len(cols)}; separate columns by spaces or tabs",
                    )
                    continue
                qid, _, docid, rank, score, tag = cols
                if not _is_int(rank):
                    report.add("rank", n, f"rank '{rank}' is not a whole number; write ranks 1, 2, 3, ...")
                try:
                    value = float(score)
                except ValueError:
                    report.add("score", n, f"score '{score}' is not a number; write a decimal score (higher is better)")
                    continue
                if not math.isfinite(value):
                    report.add("score", n, f"score '{score}' is not finite; NaN and infinity cannot be ranked, write a finite number")
                    continue
                if qid not in query_ids:
                    report.add("query", n, f"unknown query id '{qid}'; use the ids of the dataset's queries.jsonl")
                    continue
                if docid not in doc_ids:
                    report.add("document", n, f"unknown document id '{docid}' (query '{qid}'); use the ids of the dataset's corpus.jsonl")
                    continue
                docs = scores.setdefault(qid, {})
                if docid in docs:
                    report.add("duplicate", n, f"document '{docid}' appears twice for query '{qid}'; keep one line per query and document")
                    continue
                if len(docs) >= limits.max_depth:
                    if qid not in over_depth:
                        over_depth.add(qid)
                        report.add("depth", n, f"query '{qid}' has more than {limits.max_depth} documents; keep the top {limits.max_depth}")
                    continue
                docs[docid] = value
    except _TooLarge as e:
        what = (
            f"decompresses more than {limits.max_compression_ratio}-fold"
            if str(e) == "ratio"
            else f"decompresses to more than {limits.max_decompressed_bytes:,} bytes"
        )
        report.add(
            "decompressed size",
            None,
            f"{what}: a compression bomb, or far deeper than a run needs; reading stopped there. Submit at most {limits.max_depth} "
            "documents per query, gzip-compressed normally",
        )
    except (OSError, EOFError, zlib.error) as e:
        report.add("gzip", None, f"cannot be decompressed ({e}); re-create it with gzip")
    if not report.problems:
        report.answered = len(judged_ids & scores.keys())
        if not scores:
            report.add("empty", None, "the run file has no lines; write 'qid Q0 docid rank score tag' lines")
        elif report.answered == 0:
            report.add("coverage", None, "answers none of the dataset's judged queries; check that the run is for this dataset")
        else:
            report.run = Run.from_scores(scores, depth=limits.max_depth, tag=tag)
    report.finish()
    return report


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True
