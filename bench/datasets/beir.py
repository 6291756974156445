"""A streaming reader and validator for BEIR-format datasets.

Layout: ``corpus.jsonl`` (``_id``, ``title``, ``text``), ``queries.jsonl`` (``_id``, ``text``),
``qrels/<split>.tsv`` (header ``query-id corpus-id score``). A dataset's identity is the sha256
of those three files (:attr:`Dataset.content_hash`), never its name; a copy whose bytes differ but that parses to
a registered content (:attr:`Dataset.scoring_hash`) is that content.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from bench.datasets.contents import SCORING_VERSION, KnownContent, by_hash, by_scoring, read_memo, scoring_known, write_memo
from bench.errors import DatasetError
from bench.ids import id_problem, json_id
from bench.provenance import combine_hashes, file_sha256, scoring_identity, text_sha256
from bench.textfile import ReadLimits, TextFileError, iter_text_lines
from bench.types import Document, Query

QRELS_HEADER = ("query-id", "corpus-id", "score")
MIN_GRADE, MAX_GRADE = -1000, 1000
"""Relevance grades accepted in qrels: small integers (BEIR uses 0-2, TREC 0-4, some collections -1/-2 for junk).
Far outside this, trec_eval's 32-bit grades wrap around (4294967296 scored every run 0.0) or crash."""
JSONL_LIMITS = ReadLimits(max_file_bytes=64 << 30, max_decompressed_bytes=64 << 30, max_line_bytes=16 << 20)
"""corpus.jsonl / queries.jsonl: up to 64 GiB (MS MARCO's corpus is 3 GB), one record at most 16 MiB."""
QRELS_LIMITS = ReadLimits(max_file_bytes=4 << 30, max_decompressed_bytes=4 << 30, max_line_bytes=4096)
_GRADE = re.compile(r"^[-+]?[0-9]{1,12}$")


@dataclass(frozen=True)
class DatasetStats:
    """Counts of a validated dataset split."""

    documents: int
    queries: int
    judged_queries: int
    qrels: int


def _fail(path: Path, line: int | None, what: str, fix: str) -> DatasetError:
    where = f"{path}:{line}" if line else str(path)
    return DatasetError(f"{where}: {what}; {fix}")


OnProblem = Callable[[DatasetError], None]
"""What a reader does with a problem: raise it (the default: stop at the first) or collect it and go on with the next line."""


def _raise(problem: DatasetError) -> None:
    raise problem


def _text_lines(path: Path, limits: ReadLimits, what: str, on_problem: OnProblem = _raise) -> Iterator[tuple[int, str]]:
    """Numbered lines of a dataset file through the bounded reader (gzip read as BEIR's loader does for ``*.gz``).

    A bad line is reported to ``on_problem`` as ``file:line: ...; fix`` and skipped; a file-level problem (size,
    broken gzip) is reported and ends the file.
    """

    def line_problem(kind: str, n: int, message: str) -> None:
        fix = "save the file as UTF-8" if kind == "encoding" else f"a {what} line is at most {limits.max_line_bytes:,} bytes"
        on_problem(_fail(path, n, message, fix))

    try:
        yield from iter_text_lines(path, limits, line_problem, allow_gzip=path.name.endswith(".gz"))
    except TextFileError as e:
        on_problem(_fail(path, None, str(e), f"a {what} file is at most {limits.max_file_bytes:,} bytes"))


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise ValueError(f"duplicate key '{key}'")
    return out


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


_JSON = json.JSONDecoder(object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)


def _iter_jsonl(path: Path, kind: str, required: tuple[str, ...], on_problem: OnProblem = _raise) -> Iterator[tuple[int, str, dict]]:
    """``(line, id, record)`` of a JSONL file: a JSON object per line, no duplicate keys, ``_id`` a valid id (:mod:`bench.ids`).

    A bad line goes to ``on_problem`` and is skipped.
    """
    if not path.is_file():
        on_problem(_fail(path, None, f"missing {kind} file", f"a BEIR dataset folder needs {path.name.removesuffix('.gz')}"))
        return
    for n, raw in _text_lines(path, JSONL_LIMITS, kind, on_problem):
        if not raw.strip():
            continue
        try:
            obj = _JSON.decode(raw)
        except json.JSONDecodeError as e:
            on_problem(_fail(path, n, f"invalid JSON ({e.msg} at column {e.colno})", "fix or remove that line"))
            continue
        except (ValueError, RecursionError) as e:
            what = "nested too deeply" if isinstance(e, RecursionError) else str(e)
            on_problem(_fail(path, n, f"invalid JSON ({what})", "fix or remove that line"))
            continue
        if not isinstance(obj, dict):
            on_problem(_fail(path, n, "a line is not a JSON object", 'each line must be {"_id": ..., ...}'))
            continue
        missing = [key for key in required if key not in obj]
        if missing:
            on_problem(_fail(path, n, f"missing field '{missing[0]}'", f"every {kind} line needs {', '.join(required)}"))
            continue
        _id, problem = json_id(obj["_id"])
        if _id is None:
            what, _, fix = f"'_id' {problem}".partition("; ")
            on_problem(_fail(path, n, what, fix or "ids are printable text without spaces, at most 256 characters"))
            continue
        yield n, _id, obj


def _text_field(path: Path, n: int, obj: dict, key: str, required: bool) -> str:
    """A record's text field: a JSON string; a missing or null optional field is empty text."""
    value = obj.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        shown = json.dumps(value)[:40]
        raise _fail(path, n, f"'{key}' is {shown}, not a string", f"write the {key} as a JSON string")
    return value


def _plain_or_gz(path: Path) -> Path:
    gz = path.with_name(path.name + ".gz")
    return gz if not path.exists() and gz.exists() else path


def _qrels_line_problem(n: int, cols: list[str]) -> tuple[str, str] | None:
    """``(problem, fix)`` of one qrels line, or None when it is a valid judgment."""
    if n == 1 and not cols[-1].strip().lstrip("-").isdigit():
        return f"unexpected header {cols!r}", "the header must be 'query-id<TAB>corpus-id<TAB>score'"
    if len(cols) != 3:
        return f"expected 3 tab-separated columns, found {len(cols)}", "write 'query-id<TAB>corpus-id<TAB>score'"
    qid, did, score = (c.strip() for c in cols)
    for what, value in (("query-id", qid), ("corpus-id", did)):
        if problem := id_problem(value):
            return f"{what} {value[:40]!r} {problem}", "ids are printable text without spaces"
    if not _GRADE.match(score):
        return f"score '{score[:40]}' is not an integer", "relevance grades are whole numbers such as 0, 1, 2"
    if not MIN_GRADE <= int(score) <= MAX_GRADE:
        return f"grade {int(score)} is outside {MIN_GRADE}..{MAX_GRADE}", "relevance grades are small integers (BEIR 0-2, TREC 0-4)"
    return None


@dataclass(frozen=True)
class Dataset:
    """One split of a BEIR-format dataset folder.

    Args:
        name: display name (registry name or folder name).
        path: the folder holding ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/``.
        split: qrels split (``qrels/<split>.tsv``).
        drop_identical_ids: drop a retrieved document whose id equals the query id before scoring
            (BEIR's convention for ArguAna and Quora, where queries are corpus documents).
    """

    name: str
    path: Path
    split: str = "test"
    drop_identical_ids: bool = False

    @property
    def corpus_path(self) -> Path:
        """``corpus.jsonl``, or ``corpus.jsonl.gz`` when only that is there (read as BEIR's loader reads it)."""
        return _plain_or_gz(self.path / "corpus.jsonl")

    @property
    def queries_path(self) -> Path:
        """``queries.jsonl``, or ``queries.jsonl.gz`` when only that is there."""
        return _plain_or_gz(self.path / "queries.jsonl")

    @property
    def qrels_path(self) -> Path:
        return self.path / "qrels" / f"{self.split}.tsv"

    def splits(self) -> list[str]:
        return sorted(p.stem for p in (self.path / "qrels").glob("*.tsv"))

    # -- identity ---------------------------------------------------------------------------
    @cached_property
    def file_hashes(self) -> dict[str, str]:
        for p in (self.corpus_path, self.queries_path, self.qrels_path):
            if not p.is_file():
                extra = f"; splits here: {', '.join(self.splits()) or 'none'}" if p == self.qrels_path else ""
                raise _fail(p, None, "missing file", f"a BEIR dataset needs corpus.jsonl, queries.jsonl, qrels/<split>.tsv{extra}")
        try:  # of the text (a gzip file is hashed decompressed: the same data has one identity however it is stored)
            return {
                "corpus": text_sha256(self.corpus_path),
                "queries": text_sha256(self.queries_path),
                f"qrels/{self.split}": file_sha256(self.qrels_path),
            }
        except (OSError, ValueError, EOFError) as e:
            raise _fail(self.path, None, f"cannot read the dataset files ({e})", "re-create the file (gzip -t checks a .gz file)") from None

    @cached_property
    def files_identity(self) -> str:
        """sha256 over the bytes of corpus, queries and this split's qrels, folded with the scoring rules.

        Identical to the files' hash under the default rules; dropping identical ids gives another identity
        (:func:`bench.provenance.scoring_identity`), so two scorings of the same files never share a cell.
        """
        return scoring_identity(combine_hashes(self.file_hashes), self.drop_identical_ids)

    @cached_property
    def known(self) -> KnownContent | None:
        """The registered content this folder is (:mod:`bench.datasets.contents`): by its bytes, else by its scoring
        identity (a CRLF, BOM or integer-id copy, the whole queries file); None when it is no registered content."""
        hit = by_hash(self.files_identity)
        if hit is not None or not scoring_known(self.split):
            return hit
        try:
            scoring = self.scoring_hash
        except DatasetError:  # a folder that does not parse is no registered content (validate says why)
            return None
        return by_scoring(scoring, self.split)

    @cached_property
    def content_hash(self) -> str:
        """The dataset's identity: the registered content's hash when this folder is one (:attr:`known`), else the
        files' (:attr:`files_identity`). Runs, expected blocks and published tables are keyed by it."""
        return self.known.hash if self.known is not None else self.files_identity

    @cached_property
    def scoring_hash(self) -> str:
        """The scoring identity: sha256 of what scoring reads, as parsed, folded with the scoring rules.

        Documents (id, title, text) sorted by id, the judged queries of the split (id, text) sorted by id, and their
        judgments (query, document, grade) sorted: line endings, a BOM, integer ids, key order, unjudged queries and
        the order of lines do not change it; one changed character of a document does. Remembered per files'
        identity under the cache folder, so a large corpus is parsed once.
        """
        memo = read_memo(self.files_identity)
        if memo is not None:
            return memo
        docs = {d.id: hashlib.sha256(json.dumps([d.id, d.title, d.text], ensure_ascii=False).encode()).digest() for d in self.iter_corpus()}
        h = hashlib.sha256(f"scoring-identity v{SCORING_VERSION}\n".encode())
        h.update(f"documents {len(docs)}\n".encode())
        for did in sorted(docs):
            h.update(docs[did])
        judged = sorted(self.judged_queries(), key=lambda q: q.id)
        h.update(f"queries {len(judged)}\n".encode())
        for q in judged:
            h.update(json.dumps([q.id, q.text], ensure_ascii=False).encode() + b"\n")
        qrels = self._qrels
        h.update(f"qrels {sum(len(d) for d in qrels.values())}\n".encode())
        for qid in sorted(qrels):
            for did in sorted(qrels[qid]):
                h.update(json.dumps([qid, did, qrels[qid][did]]).encode() + b"\n")
        scoring = scoring_identity(h.hexdigest(), self.drop_identical_ids)
        write_memo(self.files_identity, scoring)
        return scoring

    @property
    def corpus_hash(self) -> str:
        """sha256 of ``corpus.jsonl`` alone: what indexes and embeddings depend on."""
        return self.file_hashes["corpus"]

    # -- reading ----------------------------------------------------------------------------
    def iter_corpus(self, on_problem: OnProblem = _raise) -> Iterator[Document]:
        """Stream the corpus, checking each line (ids unique, fields present); bad lines go to ``on_problem``."""
        seen: set[str] = set()
        path = self.corpus_path
        for n, did, obj in _iter_jsonl(path, "corpus", ("_id",), on_problem):
            if did in seen:
                on_problem(_fail(path, n, f"duplicate document id '{did}'", "document ids must be unique"))
                continue
            seen.add(did)
            title, text = obj.get("title"), obj.get("text")
            if title.__class__ is not str or text.__class__ is not str:  # the common case is two strings: checked at once
                try:
                    title = _text_field(path, n, obj, "title", required=False)
                    text = _text_field(path, n, obj, "text", required=False)
                except DatasetError as e:
                    on_problem(e)
                    continue
            yield Document(did, title, text)
        if not seen and path.is_file():
            on_problem(_fail(path, None, "the corpus is empty", "a dataset needs at least one document"))

    def corpus_ids(self) -> set[str]:
        return {d.id for d in self.iter_corpus()}

    @cached_property
    def _queries(self) -> dict[str, Query]:
        return self._read_queries(_raise)

    def _read_queries(self, on_problem: OnProblem) -> dict[str, Query]:
        out: dict[str, Query] = {}
        path = self.queries_path
        for n, qid, obj in _iter_jsonl(path, "queries", ("_id", "text"), on_problem):
            if qid in out:
                on_problem(_fail(path, n, f"duplicate query id '{qid}'", "query ids must be unique"))
                continue
            try:
                out[qid] = Query(qid, _text_field(path, n, obj, "text", required=True))
            except DatasetError as e:
                on_problem(e)
        if not out and path.is_file():
            on_problem(_fail(path, None, "no queries", "a dataset needs at least one query"))
        return out

    def queries(self) -> dict[str, Query]:
        """All queries, in file order."""
        return dict(self._queries)

    @cached_property
    def _qrels(self) -> dict[str, dict[str, int]]:
        return self._read_qrels(_raise)[0]

    def _read_qrels(self, on_problem: OnProblem) -> tuple[dict[str, dict[str, int]], dict[tuple[str, str], int]]:
        """The judgments and the line of each ``(query-id, corpus-id)``; bad lines go to ``on_problem``."""
        path = self.qrels_path
        qrels: dict[str, dict[str, int]] = {}
        lines: dict[tuple[str, str], int] = {}
        if not path.is_file():
            on_problem(_fail(path, None, f"no qrels for split '{self.split}'", f"choose one of: {', '.join(self.splits()) or 'none'}"))
            return qrels, lines
        for n, line in _text_lines(path, QRELS_LIMITS, "qrels", on_problem):
            if not line.strip():
                continue
            cols = line.split("\t")
            if n == 1 and tuple(c.strip() for c in cols) == QRELS_HEADER:
                continue
            problem = _qrels_line_problem(n, cols)
            if problem is not None:
                on_problem(_fail(path, n, *problem))
                continue
            qid, did, score = (c.strip() for c in cols)
            if did in qrels.setdefault(qid, {}):
                on_problem(_fail(path, n, f"duplicate judgment for query '{qid}', document '{did}'", "keep one line per pair"))
                continue
            qrels[qid][did] = int(score)
            lines[(qid, did)] = n
        qrels = {q: d for q, d in qrels.items() if d}
        if not qrels:
            on_problem(_fail(path, None, "the qrels file has no judgments", "add judgments or choose another split"))
        return qrels, lines

    def qrels(self) -> dict[str, dict[str, int]]:
        return {q: dict(d) for q, d in self._qrels.items()}

    def judged_queries(self) -> list[Query]:
        """Queries that have judgments in this split, in query-file order (BEIR evaluates only these)."""
        qrels, queries = self._qrels, self._queries
        missing = [q for q in qrels if q not in queries]
        if missing:
            raise _fail(
                self.qrels_path,
                None,
                f"qrels name {len(missing)} unknown query id(s), e.g. '{missing[0]}'",
                "every query-id must be in queries.jsonl",
            )
        return [q for qid, q in queries.items() if qid in qrels]

    # -- validation -------------------------------------------------------------------------
    def validate(self) -> DatasetStats:
        """Read everything once and check cross-references; raise DatasetError on the first problem."""
        doc_ids = self.corpus_ids()
        judged = self.judged_queries()
        qrels, lines = self._read_qrels(_raise)
        for (_, did), n in sorted(lines.items(), key=lambda kv: kv[1]):
            if did not in doc_ids:
                raise _fail(self.qrels_path, n, f"corpus-id '{did}' is not in {self.corpus_path.name}", "fix the id or remove the judgment")
        return DatasetStats(
            documents=len(doc_ids),
            queries=len(self._queries),
            judged_queries=len(judged),
            qrels=sum(len(d) for d in qrels.values()),
        )

    def problems(self, per_file: int = 20) -> list[str]:
        """Every problem of the dataset in one pass (``file:line: problem; fix``), at most ``per_file`` quoted per file
        and the rest counted; cross-references (qrels naming unknown queries or documents) carry the qrels line."""
        found: dict[str, list[str]] = {}

        def collect(problem: DatasetError) -> None:
            found.setdefault(str(problem).split(":", 1)[0], []).append(str(problem))

        doc_ids = {d.id for d in self.iter_corpus(collect)}
        queries = self._read_queries(collect)
        _, lines = self._read_qrels(collect)
        for (qid, did), n in sorted(lines.items(), key=lambda kv: kv[1]):
            if queries and qid not in queries:
                collect(
                    _fail(self.qrels_path, n, f"query-id '{qid}' is not in {self.queries_path.name}", "fix the id or remove the judgment")
                )
            if doc_ids and did not in doc_ids:
                collect(
                    _fail(self.qrels_path, n, f"corpus-id '{did}' is not in {self.corpus_path.name}", "fix the id or remove the judgment")
                )
        out = []
        for file, items in found.items():
            items.sort(key=lambda text: int(m[1]) if (m := re.match(r"^[^:]*:(\d+):", text)) else 0)
            out.extend(items[:per_file])
            if len(items) > per_file:
                out.append(f"{file}: {len(items) - per_file} more problem(s) of this file not shown")
        return out
