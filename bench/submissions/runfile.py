"""A streaming validator for submitted TREC run files (``qid Q0 docid rank score tag``, optionally gzipped).

Untrusted input, read defensively by the one run-file reader (:func:`bench.evaluation.trec.iter_run_lines`, over
:mod:`bench.textfile`): the file size is checked before reading, decompressed bytes are counted *while* reading (a
compression bomb stops at the cap, it is never inflated in memory), lines have a maximum length, and every problem
is collected with ``file:line`` and the fix (the same kind of problem is reported a few times per file, then counted).
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field
from pathlib import Path

from bench.evaluation.trec import iter_run_lines
from bench.textfile import GZIP_MAGIC, ReadLimits, TextFileError, is_gzip
from bench.types import Run

__all__ = ["DEFAULT_LIMITS", "GZIP_MAGIC", "Limits", "RunFileReport", "check_run_file"]


@dataclass(frozen=True)
class Limits(ReadLimits):
    """Size limits for submissions (bytes unless stated); the reading limits are :class:`bench.textfile.ReadLimits`'s."""

    max_submission_bytes: int = 256 << 20
    """All run files of one submission, as stored."""
    max_depth: int = 1000
    """Documents per query (TREC depth)."""
    max_reports_per_kind: int = 5
    """How many lines of the same problem are quoted per file before the rest are only counted."""


DEFAULT_LIMITS = Limits()


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
    compressed = is_gzip(path)
    if compressed != path.name.endswith(".gz"):
        fix = "rename it to end in .gz" if compressed else "gzip it or drop the .gz suffix"
        report.add("compression", None, f"{'gzip-compressed' if compressed else 'not gzip-compressed'} but named {path.name}; {fix}")
        report.finish()
        return report

    scores: dict[str, dict[str, float]] = {}
    over_depth: set[str] = set()
    tag = "submission"
    try:
        for row in iter_run_lines(path, limits, report.add):
            report.lines = row.line
            if row.qid not in query_ids:
                report.add("query", row.line, f"unknown query id '{row.qid}'; use the ids of the dataset's queries.jsonl")
                continue
            if row.docid not in doc_ids:
                report.add(
                    "document",
                    row.line,
                    f"unknown document id '{row.docid}' (query '{row.qid}'); use the ids of the dataset's corpus.jsonl",
                )
                continue
            docs = scores.setdefault(row.qid, {})
            if row.docid in docs:
                report.add(
                    "duplicate",
                    row.line,
                    f"document '{row.docid}' appears twice for query '{row.qid}'; keep one line per query and document",
                )
                continue
            if len(docs) >= limits.max_depth:
                if row.qid not in over_depth:
                    over_depth.add(row.qid)
                    report.add(
                        "depth", row.line, f"query '{row.qid}' has more than {limits.max_depth} documents; keep the top {limits.max_depth}"
                    )
                continue
            docs[row.docid] = row.score
            tag = row.tag
    except TextFileError as e:
        if e.kind == "gzip":
            report.add("gzip", None, str(e))
        else:
            what = (
                f"decompresses more than {limits.max_compression_ratio}-fold"
                if e.kind == "ratio"
                else f"decompresses to more than {limits.max_decompressed_bytes:,} bytes"
            )
            report.add(
                "decompressed size",
                None,
                f"{what}: a compression bomb, or far deeper than a run needs; reading stopped there. Submit at most {limits.max_depth} "
                "documents per query, gzip-compressed normally",
            )
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
