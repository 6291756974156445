"""A plain qrels file without a dataset: TREC's ``qid iter docid rel`` (whitespace-separated) or BEIR's tsv.

``bench eval RUN --qrels FILE`` scores a run against it. Lines are read by the dataset reader's bounded reader
(size, line length, UTF-8 per line) with its checks (ids printable without spaces, integer grades in
``MIN_GRADE..MAX_GRADE``, one judgment per pair); the first bad line is a DatasetError ``file:line: problem; fix``.
The format is decided by the first line: BEIR's header ``query-id<TAB>corpus-id<TAB>score`` (or three
tab-separated columns) is BEIR's tsv, four whitespace-separated columns are TREC's (the iteration column is ignored,
as trec_eval ignores it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from bench.datasets.beir import QRELS_HEADER, QRELS_LIMITS, _fail, _qrels_line_problem, _text_lines

QrelsFormat = Literal["trec", "beir"]
_TREC_FIX = "write 'query-id 0 doc-id grade' (TREC) or 'query-id<TAB>corpus-id<TAB>score' under BEIR's header"


def _columns(line: str, fmt: QrelsFormat) -> list[str]:
    return line.split() if fmt == "trec" else [c.strip() for c in line.split("\t")]


def _detect(line: str) -> tuple[QrelsFormat, bool]:
    """The format of a file from its first non-empty line, and whether that line is BEIR's header."""
    tabs = [c.strip() for c in line.split("\t")]
    if tuple(tabs) == QRELS_HEADER:
        return "beir", True
    if len(tabs) == 3:
        return "beir", False
    return "trec", False


def read_qrels_file(path: Path) -> dict[str, dict[str, int]]:
    """``qid -> {docid: grade}`` of a TREC or BEIR qrels file, in file order.

    Raises:
        DatasetError: a missing or empty file, or a bad line (``file:line: problem; fix``).
    """
    if not path.is_file():
        raise _fail(path, None, "no such qrels file", "give a TREC qrels file ('qid 0 docid rel' per line) or a BEIR qrels tsv")
    qrels: dict[str, dict[str, int]] = {}
    fmt: QrelsFormat | None = None
    for n, line in _text_lines(path, QRELS_LIMITS, "qrels"):
        if not line.strip():
            continue
        if fmt is None:
            fmt, header = _detect(line)
            if header:
                continue
        cols = _columns(line, fmt)
        if fmt == "trec" and len(cols) != 4:
            raise _fail(path, n, f"expected 4 whitespace-separated columns, found {len(cols)}", _TREC_FIX)
        if fmt == "beir" and len(cols) != 3:
            raise _fail(path, n, f"expected 3 tab-separated columns, found {len(cols)}", "write 'query-id<TAB>corpus-id<TAB>score'")
        judgment = [cols[0], cols[2], cols[3]] if fmt == "trec" else cols
        if problem := _qrels_line_problem(0, judgment):  # the dataset reader's checks (line 0: the header is handled above)
            raise _fail(path, n, *problem)
        qid, did, score = judgment
        judged = qrels.setdefault(qid, {})
        if did in judged:
            raise _fail(path, n, f"duplicate judgment for query '{qid}', document '{did}'", "keep one line per pair")
        judged[did] = int(score)
    if not qrels:
        raise _fail(path, None, "the qrels file has no judgments", "add 'query-id 0 doc-id grade' lines")
    return qrels
