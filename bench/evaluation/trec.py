"""TREC run files: ``qid Q0 docid rank score tag`` (optionally gzip-compressed), read defensively.

One reader for every run file, ``bench eval``'s and a submission's alike (:func:`iter_run_lines`): the bounded
streaming reader of :mod:`bench.textfile` (stored size, decompressed size and ratio, line length, UTF-8), then
per line: six columns; ids and tag valid ids (:mod:`bench.ids`); a rank that is a whole number from 1 to
:data:`MAX_RANK`; a score that is a plain decimal number, finite and at most :data:`MAX_ABS_SCORE` in magnitude
(the float32 range every index can store). :func:`read_trec_run` stops at the first problem;
:func:`bench.submissions.runfile.check_run_file` collects them.
"""

from __future__ import annotations

import gzip
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, NamedTuple

from bench.errors import EvaluationError
from bench.ids import id_problem
from bench.textfile import OnProblem, ReadLimits, TextFileError, iter_text_lines
from bench.types import Run

MAX_RANK = 10**9
MAX_ABS_SCORE = 3.4e38
EVAL_LIMITS = ReadLimits(max_file_bytes=512 << 20, max_decompressed_bytes=512 << 20)
"""``bench eval``: a run file of up to 512 MiB of text (seven million lines: MS MARCO dev at depth 1000), plain or gzipped."""
_DECIMAL = re.compile(r"^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]{1,3})?$")
_WHOLE = re.compile(r"^\+?[0-9]{1,10}$")
_LINE = "a run line is 'qid Q0 docid rank score tag'"
_ID = r"([!-~]{1,256})"  # the printable-ASCII ids bench.ids.id_problem accepts at once
_VALID_LINE = re.compile(rf"^[ \t]*{_ID}[ \t]+\S+[ \t]+{_ID}[ \t]+(\+?[0-9]{{1,10}})[ \t]+({_DECIMAL.pattern[1:-1]})[ \t]+{_ID}[ \t]*$")


class RunLine(NamedTuple):
    """One valid line of a run file."""

    line: int
    qid: str
    docid: str
    rank: int
    score: float
    tag: str


def iter_run_lines(path: Path, limits: ReadLimits, on_problem: OnProblem) -> Iterator[RunLine]:
    """The valid lines of a run file; each bad line goes to ``on_problem(kind, line, message)`` (message ends with the fix).

    Raises:
        TextFileError: a problem of the whole file (size, compression bomb, broken gzip).
    """

    def text_problem(kind: str, n: int, message: str) -> None:
        fix = "save the run file as UTF-8" if kind == "encoding" else _LINE
        on_problem(kind, n, f"{message}; {fix}")

    for n, text in iter_text_lines(path, limits, text_problem):
        fast = _VALID_LINE.match(text)
        if fast is not None:  # the common case, checked by one regular expression; anything else is diagnosed below
            qid, docid, rank, score, tag = fast.groups()
            value = float(score)
            if 1 <= int(rank) <= MAX_RANK and abs(value) <= MAX_ABS_SCORE:
                yield RunLine(n, qid, docid, int(rank), value, tag)
                continue
        cols = text.split()
        if not cols:
            continue
        if len(cols) != 6:
            on_problem(
                "columns", n, f"expected 6 columns 'qid Q0 docid rank score tag', found {len(cols)}; separate columns by spaces or tabs"
            )
            continue
        qid, _, docid, rank, score, tag = cols
        bad = next(((what, v, p) for what, v in (("query id", qid), ("document id", docid), ("tag", tag)) if (p := id_problem(v))), None)
        if bad is not None:
            what, value, problem = bad
            on_problem("id", n, f"{what} {value[:40]!r} {problem}; ids are printable text without spaces")
            continue
        if not _WHOLE.match(rank):
            on_problem("rank", n, f"rank '{rank[:40]}' is not a whole number; write ranks 1, 2, 3, ...")
        elif not 1 <= int(rank) <= MAX_RANK:
            on_problem("rank", n, f"rank '{rank}' is out of range; write ranks 1, 2, 3, ... (at most {MAX_RANK:,})")
        try:
            value = float(score)
        except ValueError:
            on_problem("score", n, f"score '{score[:40]}' is not a number; write a decimal score (higher is better)")
            continue
        if not math.isfinite(value):
            on_problem("score", n, f"score '{score}' is not finite; NaN and infinity cannot be ranked, write a finite number")
            continue
        if not _DECIMAL.match(score):
            on_problem(
                "score",
                n,
                f"score '{score[:40]}' is not a plain decimal number; write digits, a point and an exponent, e.g. 12.5 or 1.5e-3",
            )
            continue
        if abs(value) > MAX_ABS_SCORE:
            on_problem("score", n, f"score '{score}' is outside ±{MAX_ABS_SCORE:g}; write a score within the float32 range")
            continue
        yield RunLine(n, qid, docid, int(rank) if _WHOLE.match(rank) else 0, value, tag)


def read_trec_run(path: Path, depth: int | None = None, limits: ReadLimits = EVAL_LIMITS) -> Run:
    """Read a run file; the first problem raises EvaluationError ``file:line: what; fix``."""
    if not path.is_file():
        raise EvaluationError(f"{path}: no such run file")

    def stop(kind: str, n: int, message: str) -> None:
        raise EvaluationError(f"{path}:{n}: {message}")

    scores: dict[str, dict[str, float]] = {}
    tag = "run"
    try:
        for row in iter_run_lines(path, limits, stop):
            docs = scores.setdefault(row.qid, {})
            if row.docid in docs:
                raise EvaluationError(
                    f"{path}:{row.line}: document '{row.docid}' appears twice for query '{row.qid}'; keep one line per pair"
                )
            docs[row.docid] = row.score
            tag = row.tag
    except TextFileError as e:
        raise EvaluationError(f"{path}: {e}; a run needs at most 1,000 documents per query, gzip it if it is large") from None
    if not scores:
        raise EvaluationError(f"{path}: the run file is empty; write 'qid Q0 docid rank score tag' lines")
    return Run.from_scores(scores, depth=depth or 10**9, tag=tag)


def _open_for_writing(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "wt", encoding="utf-8")  # type: ignore[return-value]
    return path.open("w", encoding="utf-8")


def write_trec_run(run: Run, path: Path, tag: str | None = None) -> None:
    """Write ``run`` in TREC format, ranks from 1, in its stored order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    name = tag or run.tag
    with _open_for_writing(path) as f:
        for qid, docs in run.results.items():
            for rank, (docid, score) in enumerate(docs, start=1):
                f.write(f"{qid} Q0 {docid} {rank} {score!r} {name}\n")
