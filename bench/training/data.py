"""Training collections and the runs of the specs a recipe names (candidate sources and runner teachers).

Runs go through the ordinary runners, so their caches apply (Lucene indexes, corpus and query
embeddings); within one training the same spec on the same collection runs once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from bench.datasets.beir import Dataset
from bench.errors import SpecError
from bench.runners.base import Progress, make_runner
from bench.specs import ModelSpec, load_spec, spec_error
from bench.types import Query


@dataclass
class TrainingCollection:
    """One training collection: its queries that have a positive, its qrels, and (lazily) its document texts."""

    dataset: Dataset
    min_relevance: int

    @property
    def name(self) -> str:
        return self.dataset.name

    @cached_property
    def qrels(self) -> dict[str, dict[str, int]]:
        return self.dataset.qrels()

    @cached_property
    def queries(self) -> list[Query]:
        """Judged queries with at least one positive (relevance >= ``min_relevance``), in the dataset's order."""
        return [q for q in self.dataset.judged_queries() if self.positives(q.id)]

    @cached_property
    def query_texts(self) -> dict[str, str]:
        return {q.id: q.text for q in self.queries}

    @cached_property
    def doc_texts(self) -> dict[str, str]:
        """Document id -> ``title + " " + text`` (as the dense runner encodes documents)."""
        return {d.id: d.joined(" ") for d in self.dataset.iter_corpus()}

    def positives(self, qid: str) -> list[tuple[str, int]]:
        """(document, relevance) of the positives of ``qid``: highest relevance first, then document id."""
        judged = self.qrels.get(qid, {})
        return sorted(((d, r) for d, r in judged.items() if r >= self.min_relevance), key=lambda x: (-x[1], x[0]))


@dataclass
class GeneratedCollection(TrainingCollection):
    """Generated queries on one corpus (the ``generate`` stage's records): each query's positive is its source document."""

    records: list[dict] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.dataset.name}:generated"

    @cached_property
    def queries(self) -> list[Query]:
        """One query per record with text, id ``DOC#SAMPLE``, in the records' order."""
        return [Query(f"{r['doc_id']}#{r['sample']}", str(r["query"])) for r in self.records if str(r["query"]).strip()]

    @cached_property
    def qrels(self) -> dict[str, dict[str, int]]:
        return {f"{r['doc_id']}#{r['sample']}": {str(r["doc_id"]): 1} for r in self.records}


@dataclass
class SpecRuns:
    """Loads the specs a recipe names (relative to the recipe's folder) and runs them once per collection."""

    folder: Path
    source: str
    progress: Progress
    _specs: dict[str, tuple[ModelSpec, str]] = field(default_factory=dict)
    _runs: dict[tuple[str, str, str], dict[str, list[tuple[str, float]]]] = field(default_factory=dict)

    def spec(self, name: str, where: str) -> tuple[ModelSpec, str]:
        """(spec, its path) of ``name``; ``where`` is the recipe field that names it (for the error message)."""
        if name not in self._specs:
            path = Path(name) if Path(name).is_absolute() else self.folder / name
            if not path.is_file():
                raise spec_error(self.source, where, f"{path} does not exist; name a spec file relative to {self.folder}")
            try:
                self._specs[name] = (load_spec(path), str(path))
            except SpecError as e:
                raise spec_error(self.source, where, f"the spec it names is invalid: {e}") from None
        return self._specs[name]

    def run(self, name: str, where: str, collection: TrainingCollection) -> dict[str, list[tuple[str, float]]]:
        """The ranked lists of spec ``name`` on ``collection``'s training queries (qid -> [(doc, score)], best first)."""
        spec, path = self.spec(name, where)
        memo = (spec.spec_hash, collection.dataset.content_hash, collection.name)
        if memo not in self._runs:
            runner = make_runner(spec, path)
            with self.progress.stage(f"{spec.name} on {collection.name}"):
                out = runner.retrieve(collection.dataset, collection.queries, self.progress)
            self._runs[memo] = {q: list(docs) for q, docs in out.run.results.items()}
        return self._runs[memo]
