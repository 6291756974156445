"""A streaming reader and validator for BEIR-format datasets.

Layout: ``corpus.jsonl`` (``_id``, ``title``, ``text``), ``queries.jsonl`` (``_id``, ``text``),
``qrels/<split>.tsv`` (header ``query-id corpus-id score``). A dataset's identity is the sha256
of those three files (:attr:`Dataset.content_hash`), never its name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from bench.errors import DatasetError
from bench.provenance import combine_hashes, file_sha256
from bench.types import Document, Query

QRELS_HEADER = ("query-id", "corpus-id", "score")


@dataclass(frozen=True)
class DatasetStats:
    """Counts of a validated dataset split."""

    documents: int
    queries: int
    judged_queries: int
    qrels: int


def _fail(path: Path, line: int | None, what: str, fix: str) -> DatasetError:
    where = f"{path}:{line}" if line else str(path)
    return DatasetError(f"{where}: {what}. {fix}")


def _iter_jsonl(path: Path, kind: str, required: tuple[str, ...]) -> Iterator[tuple[int, dict]]:
    if not path.is_file():
        raise _fail(path, None, f"missing {kind} file", f"a BEIR dataset folder needs {path.name}")
    with path.open(encoding="utf-8") as f:
        for n, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as e:
                raise _fail(path, n, f"invalid JSON ({e.msg} at column {e.colno})", "fix or remove that line") from e
            if not isinstance(obj, dict):
                raise _fail(path, n, "a line is not a JSON object", 'each line must be {"_id": ..., ...}')
            for key in required:
                if key not in obj:
                    raise _fail(path, n, f"missing field '{key}'", f"every {kind} line needs {', '.join(required)}")
            _id = obj["_id"]
            if not isinstance(_id, (str, int)) or str(_id).strip() == "":
                raise _fail(path, n, "'_id' is empty or not a string", "give every record a non-empty string id")
            yield n, obj


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
        return self.path / "corpus.jsonl"

    @property
    def queries_path(self) -> Path:
        return self.path / "queries.jsonl"

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
        return {
            "corpus": file_sha256(self.corpus_path),
            "queries": file_sha256(self.queries_path),
            f"qrels/{self.split}": file_sha256(self.qrels_path),
        }

    @cached_property
    def content_hash(self) -> str:
        """sha256 over corpus, queries and this split's qrels (the dataset's identity)."""
        return combine_hashes(self.file_hashes)

    @property
    def corpus_hash(self) -> str:
        """sha256 of ``corpus.jsonl`` alone: what indexes and embeddings depend on."""
        return self.file_hashes["corpus"]

    # -- reading ----------------------------------------------------------------------------
    def iter_corpus(self) -> Iterator[Document]:
        """Stream the corpus, checking each line (ids unique, fields present)."""
        seen: set[str] = set()
        for n, obj in _iter_jsonl(self.corpus_path, "corpus", ("_id",)):
            did = str(obj["_id"])
            if did in seen:
                raise _fail(self.corpus_path, n, f"duplicate document id '{did}'", "document ids must be unique")
            seen.add(did)
            title, text = obj.get("title") or "", obj.get("text") or ""
            if not isinstance(title, str) or not isinstance(text, str):
                raise _fail(self.corpus_path, n, "'title' and 'text' must be strings", "fix the record's fields")
            yield Document(did, title, text)
        if not seen:
            raise _fail(self.corpus_path, None, "the corpus is empty", "a dataset needs at least one document")

    def corpus_ids(self) -> set[str]:
        return {d.id for d in self.iter_corpus()}

    @cached_property
    def _queries(self) -> dict[str, Query]:
        out: dict[str, Query] = {}
        for n, obj in _iter_jsonl(self.queries_path, "queries", ("_id", "text")):
            qid = str(obj["_id"])
            if qid in out:
                raise _fail(self.queries_path, n, f"duplicate query id '{qid}'", "query ids must be unique")
            if not isinstance(obj["text"], str):
                raise _fail(self.queries_path, n, "'text' must be a string", "fix the query text")
            out[qid] = Query(qid, obj["text"])
        if not out:
            raise _fail(self.queries_path, None, "no queries", "a dataset needs at least one query")
        return out

    def queries(self) -> dict[str, Query]:
        """All queries, in file order."""
        return dict(self._queries)

    @cached_property
    def _qrels(self) -> dict[str, dict[str, int]]:
        path = self.qrels_path
        if not path.is_file():
            raise _fail(path, None, f"no qrels for split '{self.split}'", f"choose one of: {', '.join(self.splits()) or 'none'}")
        qrels: dict[str, dict[str, int]] = {}
        with path.open(encoding="utf-8") as f:
            for n, raw in enumerate(f, start=1):
                line = raw.rstrip("\n\r")
                if not line.strip():
                    continue
                cols = line.split("\t")
                if n == 1 and tuple(c.strip() for c in cols) == QRELS_HEADER:
                    continue
                if n == 1 and not cols[-1].strip().lstrip("-").isdigit():
                    raise _fail(path, 1, f"unexpected header {cols!r}", "the header must be 'query-id<TAB>corpus-id<TAB>score'")
                if len(cols) != 3:
                    raise _fail(path, n, f"expected 3 tab-separated columns, found {len(cols)}", "write 'query-id<TAB>corpus-id<TAB>score'")
                qid, did, score = (c.strip() for c in cols)
                try:
                    rel = int(score)
                except ValueError:
                    raise _fail(path, n, f"score '{score}' is not an integer", "relevance grades are integers") from None
                if did in qrels.setdefault(qid, {}):
                    raise _fail(path, n, f"duplicate judgment for query '{qid}', document '{did}'", "keep one line per pair")
                qrels[qid][did] = rel
        if not qrels:
            raise _fail(path, None, "the qrels file has no judgments", "add judgments or choose another split")
        return qrels

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
        qrels = self._qrels
        with self.qrels_path.open(encoding="utf-8") as f:
            for n, raw in enumerate(f, start=1):
                cols = raw.rstrip("\n\r").split("\t")
                if len(cols) == 3 and cols[1].strip() not in doc_ids and (n > 1 or cols[0].strip() != "query-id"):
                    raise _fail(
                        self.qrels_path, n, f"corpus-id '{cols[1].strip()}' is not in corpus.jsonl", "fix the id or remove the judgment"
                    )
        return DatasetStats(
            documents=len(doc_ids),
            queries=len(self._queries),
            judged_queries=len(judged),
            qrels=sum(len(d) for d in qrels.values()),
        )
