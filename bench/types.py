"""Small frozen value types shared by every layer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

Qrels = Mapping[str, Mapping[str, int]]
"""qid -> docid -> graded relevance (trec_eval semantics: > 0 is relevant for binary measures)."""


@dataclass(frozen=True, slots=True)
class Query:
    id: str
    text: str


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    title: str
    text: str

    def joined(self, sep: str = " ") -> str:
        """Title and text joined as BEIR does (``title + sep + text``, stripped)."""
        return (self.title + sep + self.text).strip() if self.title else self.text.strip()


@dataclass(frozen=True)
class Run:
    """A ranked list per query: ``qid -> [(docid, score), ...]`` sorted best first.

    Ties are ordered as trec_eval orders them (score descending, then docid descending),
    so the written rank always agrees with what the evaluator sees.
    """

    results: Mapping[str, list[tuple[str, float]]]
    tag: str = "brewbench"

    @classmethod
    def from_scores(cls, scores: Mapping[str, Mapping[str, float]], depth: int = 1000, tag: str = "brewbench") -> Run:
        ranked = {qid: sorted(docs.items(), key=lambda kv: (-kv[1], _neg(kv[0])))[:depth] for qid, docs in scores.items()}
        return cls(ranked, tag)

    def as_dict(self) -> dict[str, dict[str, float]]:
        """``qid -> {docid: score}``, the shape pytrec_eval and beir take."""
        return {qid: dict(docs) for qid, docs in self.results.items()}

    def truncate(self, depth: int) -> Run:
        return Run({q: d[:depth] for q, d in self.results.items()}, self.tag)

    def __len__(self) -> int:
        return len(self.results)


class _neg(str):
    """Reverse string order inside a sort key (for docid-descending tie-breaks)."""

    __slots__ = ()

    def __lt__(self, other: str) -> bool:  # type: ignore[override]
        return str.__gt__(self, other)

    def __gt__(self, other: str) -> bool:  # type: ignore[override]
        return str.__lt__(self, other)


@dataclass(frozen=True)
class Timings:
    """Wall-clock seconds of each stage of a run (0.0 when a stage did not happen)."""

    index_s: float = 0.0
    encode_s: float = 0.0
    search_s: float = 0.0
    eval_s: float = 0.0
    total_s: float = 0.0
    extra: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Thought:
    """One generated thought of a reasoning embedder for one query (``sample`` counts from 0).

    ``tokens`` counts the generated tokens, ``seconds`` the generation time charged to this thought (a
    batch's time divided over its rows), ``finish_reason`` is ``"stop"`` (end of text) or ``"length"``
    (cut at ``max_new_tokens``), ``query`` the query text it was written for.
    """

    query_id: str
    sample: int
    text: str
    tokens: int
    seconds: float
    finish_reason: str
    query: str = ""
