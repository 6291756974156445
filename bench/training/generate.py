"""The ``generate`` stage (GPL-style training queries): the packaged SmolLM2 writes queries for sampled corpus documents.

Documents are sampled per corpus with the recipe's seed (sorted ids, :class:`random.Random`), so the sample
depends on the corpus content and the seed alone. Prompts go to the generator in batches, longest first, as the
reasoning runner's thoughts do (:class:`bench.runners.generators.TransformersGenerator`), each row stopping at the end of
its first line (the query; 14% more queries per second than writing ``max_new_tokens`` each, measured on CACM), and every prompt's
queries are published to a per-prompt cache as soon as they are written (:class:`bench.runners.thought_cache.ThoughtCache`
under the training cache), so an interrupted stage resumes where it stopped.

Every generated query is logged (JSONL, one line per query: corpus, corpus content hash, document id, sample, prompt,
generator identity, query), and a log can be replayed instead of generating: each line is checked against the
recipe (the corpus hash, the document, the prompt and the generator it names) and the generator is never loaded.
A replayed log therefore gives the stage exactly what generating would have given, under the same stage key.

Only the corpus file of a corpus collection is read (:class:`CorpusOnly`): its queries and judgments are not.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from bench.datasets.beir import Dataset
from bench.errors import SpecError
from bench.provenance import text_sha256
from bench.runners.base import Progress
from bench.runners.embedding_cache import CachedEmbeddings, EmbeddingCache
from bench.runners.generators import Generated, TransformersGenerator
from bench.runners.thought_cache import ThoughtCache, thought_key
from bench.training.recipe import Queries
from bench.types import Document

LOADS = 0
"""How many times this process built the generator (tests assert a cached or replayed stage loads none)."""
DOCUMENT = "queries"
LOG_FIELDS = ("corpus", "corpus_sha256", "doc_id", "sample", "prompt", "generator", "query")


@dataclass(frozen=True)
class CorpusOnly(Dataset):
    """A collection read for its corpus only: its identity is the corpus file's hash; queries and judgments are never read."""

    @cached_property
    def file_hashes(self) -> dict[str, str]:
        return {"corpus": text_sha256(self.corpus_path)}

    @cached_property
    def files_identity(self) -> str:
        return self.file_hashes["corpus"]

    @cached_property
    def known(self) -> None:
        return None

    @cached_property
    def content_hash(self) -> str:
        return self.corpus_hash

    def _refuse(self, *_: Any, **__: Any) -> Any:
        raise RuntimeError(f"{self.name}: only the corpus of this collection may be read (the recipe declares evaluation_data: corpus)")

    queries = qrels = judged_queries = _refuse  # type: ignore[assignment]


def corpus_only(dataset: Dataset) -> CorpusOnly:
    return CorpusOnly(dataset.name, dataset.path, dataset.split, dataset.drop_identical_ids)


def generator_identity(q: Queries) -> dict[str, Any]:
    """What names the generator in the stage key and the log: the pinned weights, chat template, threads, decoding."""
    g = q.generator
    return {
        "backend": "transformers",
        "id": g.id,
        "revision": g.revision,
        "gguf_file": g.gguf_file,
        "sha256": g.sha256,
        "chat": q.chat_template,
        "threads": q.threads,
        "decoding": q.decoding.key(),
        "samples": q.per_doc,
        "stop": "first line",
    }


def sample_documents(dataset: Dataset, n: int, seed: int) -> tuple[list[Document], set[str]]:
    """``n`` documents of the corpus (all when fewer), drawn with ``seed`` from the ids sorted, in id order; and every id."""
    docs = {d.id: d for d in dataset.iter_corpus()}
    ids = sorted(docs)
    chosen = sorted(random.Random(seed).sample(ids, n)) if n < len(ids) else ids
    return [docs[i] for i in chosen], set(ids)


def clean_query(text: str) -> str:
    """The query in a generation: its first non-empty line, without a ``Query:`` label or surrounding quotes."""
    line = next((x.strip() for x in text.splitlines() if x.strip()), "")
    if line.lower().startswith("query:"):
        line = line[len("query:") :].strip()
    return line.strip("\"'` ").strip()


def prompt_for(q: Queries, doc: Document) -> str:
    text = f"{doc.title} {doc.text}".strip()[: q.doc_chars]
    return q.prompt.replace("{document}", text)


@dataclass(frozen=True)
class Planned:
    """One prompt the stage must answer: a sampled document of a corpus."""

    corpus: str
    corpus_sha256: str
    doc: Document
    prompt: str


def planned(q: Queries, corpora: list[CorpusOnly]) -> tuple[list[Planned], dict[str, set[str]]]:
    """The prompts of the sampled documents, and each corpus's document ids."""
    out, ids = [], {}
    for c in corpora:
        docs, ids[c.name] = sample_documents(c, q.docs, q.seed)
        out.extend(Planned(c.name, c.corpus_hash, doc, prompt_for(q, doc)) for doc in docs)
    return out, ids


def generate_queries(
    q: Queries, corpora: list[CorpusOnly], folder: Path, source: str, cache_root: Path, progress: Progress
) -> list[dict[str, Any]]:
    """The log records of every generated query: replayed from ``q.replay``, else from the per-prompt cache, else generated."""
    with progress.stage(f"sampling {q.docs} documents per corpus of {', '.join(c.name for c in corpora)}"):
        todo, ids = planned(q, corpora)
    identity = generator_identity(q)
    if q.replay is not None:
        return read_log(resolve(folder, q.replay), q, todo, ids, identity)
    cache = ThoughtCache(cache_root / "generate-prompts")
    keys = {p.prompt: thought_key(identity, p.prompt, q.decoding, q.per_doc) for p in todo}
    found: dict[str, list[Generated]] = {}
    for p in todo:
        hit = cache.get(keys[p.prompt])
        if hit is not None and len(hit) == q.per_doc:
            found[p.prompt] = hit
    missing = sorted({p.prompt for p in todo} - set(found), key=lambda s: (-len(s), s))
    if missing:
        gen = _generator(q, source)
        batches = [missing[i : i + q.batch_size] for i in range(0, len(missing), q.batch_size)]
        for batch in progress.track(batches, f"writing queries for {len(missing)} documents", total=len(missing), units=len):
            written = gen.generate(batch, q.decoding, q.per_doc)
            for prompt, queries in zip(batch, written, strict=True):
                cache.put(keys[prompt], queries, {"generator": identity})
                found[prompt] = queries
    records = [
        {
            "corpus": p.corpus,
            "corpus_sha256": p.corpus_sha256,
            "doc_id": p.doc.id,
            "sample": i,
            "prompt": p.prompt,
            "generator": identity,
            "query": clean_query(g.text),
            "text": g.text,
            "tokens": g.tokens,
            "finish_reason": g.finish_reason,
        }
        for p in todo
        for i, g in enumerate(found[p.prompt])
    ]
    if q.log is not None:
        write_log(resolve(folder, q.log), records)
    return records


def _generator(q: Queries, source: str) -> TransformersGenerator:
    global LOADS
    from bench.weights import resolve_weights

    w = resolve_weights(q.generator, source, field="training.queries.generator")
    LOADS += 1
    return TransformersGenerator(
        w.path,
        sha256=w.files_sha256,
        gguf_file=q.generator.gguf_file,
        chat=q.chat_template,
        batch_size=q.batch_size,
        threads=q.threads,
        first_line=True,
    )


def resolve(folder: Path, path: str) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else folder / p


def write_log(path: Path, records: list[dict[str, Any]]) -> None:
    """The query log, atomically (one JSON object per line, keys sorted: a diff of two logs is line by line)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)
    fd, tmp = tempfile.mkstemp(prefix=".queries-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def read_log(path: Path, q: Queries, todo: list[Planned], ids: dict[str, set[str]], identity: dict[str, Any]) -> list[dict[str, Any]]:
    """The records of a query log, each line checked against the recipe; the first problem is one line: ``file:line: problem; fix``."""

    def fail(n: int | None, problem: str, fix: str) -> SpecError:
        return SpecError(f"{path}{f':{n}' if n else ''}: {problem}; {fix}")

    if not path.is_file():
        raise fail(None, "the query log to replay does not exist", "point training.queries.replay at a log that bench train wrote")
    by_key = {(p.corpus, p.doc.id): p for p in todo}
    hashes = {p.corpus: p.corpus_sha256 for p in todo}
    got: dict[tuple[str, str, int], dict[str, Any]] = {}
    regenerate = "regenerate the log (remove training.queries.replay and run bench train) or restore the recipe that wrote it"
    with path.open(encoding="utf-8", errors="strict") as f:
        try:
            lines = list(f)
        except UnicodeDecodeError:
            raise fail(None, "the log is not UTF-8", regenerate) from None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
        except ValueError:
            raise fail(n, "not a JSON object", "each line is one JSON object as bench train writes it") from None
        if not isinstance(r, dict) or (absent := [k for k in LOG_FIELDS if k not in r]):
            raise fail(n, f"missing field {absent[0] if isinstance(r, dict) else 'all'}", f"each line needs {', '.join(LOG_FIELDS)}")
        corpus, doc_id, sample = r["corpus"], r["doc_id"], r["sample"]
        if not isinstance(corpus, str) or not isinstance(doc_id, str) or not isinstance(sample, int) or not isinstance(r["query"], str):
            raise fail(n, "corpus, doc_id and query must be strings, sample an integer", regenerate)
        if corpus not in hashes:
            raise fail(n, f"corpus {corpus[:60]!r} is not one the recipe names ({', '.join(sorted(hashes))})", regenerate)
        if r["corpus_sha256"] != hashes[corpus]:
            raise fail(n, f"the corpus of {corpus} here hashes to {hashes[corpus][:12]}, not {str(r['corpus_sha256'])[:12]}", regenerate)
        if doc_id not in ids[corpus]:
            raise fail(n, f"document {doc_id[:60]!r} is not in the corpus of {corpus}", regenerate)
        p = by_key.get((corpus, doc_id))
        if p is None:
            raise fail(n, f"document {doc_id[:60]!r} is not in the recipe's sample (docs {q.docs}, seed {q.seed})", regenerate)
        if r["prompt"] != p.prompt:
            raise fail(n, "the prompt is not the one the recipe writes for this document", regenerate)
        if r["generator"] != identity:
            raise fail(n, "the generator (weights, decoding, threads) is not the recipe's", regenerate)
        if not 0 <= sample < q.per_doc or (corpus, doc_id, sample) in got:
            raise fail(n, f"sample {sample} is out of range (per_doc {q.per_doc}) or repeated", regenerate)
        got[(corpus, doc_id, sample)] = r
    want = [(p.corpus, p.doc.id, i) for p in todo for i in range(q.per_doc)]
    lacking = [k for k in want if k not in got]
    if lacking:
        c, d, i = lacking[0]
        raise fail(None, f"the log has no query {i} for document {d} of {c} ({len(lacking)} missing)", regenerate)
    return [got[k] for k in want]


def records_to_entry(cache: EmbeddingCache, key: str, records: list[dict[str, Any]]) -> None:
    with cache.writer(key, {"stage": "generate"}) as w:
        w.set_ids([f"{r['corpus']}\t{r['doc_id']}\t{r['sample']}" for r in records])
        w.put_json(DOCUMENT, records)


def entry_to_records(entry: CachedEmbeddings) -> list[dict[str, Any]] | None:
    records = entry.documents.get(DOCUMENT)
    return records if isinstance(records, list) else None
