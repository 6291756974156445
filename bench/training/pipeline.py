"""A recipe end to end: plan the stage keys, then mine -> teacher-score -> filter -> train, each from its cache when it can.

:func:`plan` computes every stage's key from the inputs alone (collection content hashes, the hashes of
the specs and weights the recipe names, the recipe's fields), without running anything: that is how
``bench run`` finds a trained student (:func:`trained_model`). :func:`train_recipe` runs what is not
cached; a cached ``train`` entry makes the earlier stages unnecessary.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench.datasets.registry import resolve_dataset
from bench.errors import RunnerUnavailable
from bench.kernels import PIN_NAME, pinned
from bench.paths import cache_dir
from bench.provenance import environment, package_version
from bench.runners.base import Progress
from bench.specs import ModelSpec, spec_error
from bench.training.cache import MODEL_FOLDER, entry_sha256, model_folder, stage_cache, stage_key
from bench.training.data import GeneratedCollection, SpecRuns, TrainingCollection
from bench.training.generate import CorpusOnly, corpus_only, entry_to_records, generate_queries, generator_identity, records_to_entry
from bench.training.recipe import Recipe, load_recipe, spec_folder
from bench.training.stages import (
    FilterCounts,
    build_examples,
    cross_encoder_folder,
    entry_to_examples,
    entry_to_pairs,
    examples_to_entry,
    mine,
    pairs_to_entry,
    score_teachers,
)
from bench.weights import ResolvedWeights, fingerprint, resolve_weights


@dataclass(frozen=True)
class Plan:
    """A validated recipe, its collections, its base weights and the key of every stage."""

    spec: ModelSpec
    source: str
    recipe: Recipe
    folder: Path
    collections: list[TrainingCollection]
    base: ResolvedWeights
    teachers: list[dict[str, Any]]
    keys: dict[str, str]
    root: Path
    corpora: list[CorpusOnly] = field(default_factory=list)
    """Collections whose corpus (only) the generate stage reads."""


def plan(spec: ModelSpec, source: str = "<spec>", *, cache_root: Path | None = None, kernels: str = PIN_NAME) -> Plan:
    """Validate ``spec.training`` and compute the stage keys (reads the collections' hashes and the base weights' fingerprint).

    ``kernels``: the kernel pin the stages run under (``bench train`` always pins: :data:`bench.kernels.PIN_NAME`), or
    ``default`` for a training made in this process without a pin (tests); it is part of every stage key.

    Raises:
        SpecError: the recipe is invalid, or names a spec or folder that does not exist.
        DatasetError: a training collection is not available locally.
        RunnerUnavailable: the base weights are not available.
    """
    recipe = load_recipe(spec, source)
    folder = spec_folder(source)
    collections = [TrainingCollection(resolve_dataset(c.name, c.split), recipe.min_relevance) for c in recipe.collections]
    corpora = [corpus_only(resolve_dataset(name)) for name in recipe.queries.corpora]
    if recipe.evaluation_data == "nothing":
        evaluated = [c.name for c in corpora if c.splits()]
        if evaluated:
            raise spec_error(
                source,
                "training.evaluation_data",
                f"the recipe reads the corpus of {', '.join(evaluated)}, an evaluation collection (it has judgments), but declares "
                "evaluation_data: nothing; declare evaluation_data: corpus (adapted on the corpus) or generate on another corpus",
            )
    specs = SpecRuns(folder, source, Progress())
    sources = [specs.spec(s, "training.candidates.sources")[0].spec_hash for s in recipe.candidates.sources]
    teachers: list[dict[str, Any]] = []
    for t in recipe.teachers.runners:
        teacher_spec = specs.spec(t.spec, "training.teachers.runners")[0]
        teachers.append({"name": teacher_spec.name, "kind": "runner", "spec": t.spec, "weight": t.weight, "ref": teacher_spec.spec_hash})
    if (ce := recipe.teachers.cross_encoder) is not None:
        ce_dir = cross_encoder_folder(ce.path, folder)
        if not ce_dir.is_dir():
            raise spec_error(
                source, "training.teachers.cross_encoder.path", f"folder {ce_dir} does not exist; point it at a CrossEncoder folder"
            )
        ce_part = {k: v for k, v in ce.model_dump().items() if k != "path"}
        teachers.append({"name": ce_dir.name, "kind": "cross-encoder", "path": str(ce_dir), **ce_part, "ref": fingerprint(ce_dir)[1]})
    base = resolve_weights(recipe.base, source)
    data = [{"name": c.name, "split": c.dataset.split, "hash": c.dataset.content_hash} for c in collections]
    r = recipe.model_dump(mode="json")
    keys: dict[str, str] = {}
    mine_parts: dict[str, Any] = {"collections": data, "sources": sources, "depth": recipe.candidates.depth, "queries": r["min_relevance"]}
    if recipe.queries.source == "generated":
        q = r["queries"]
        keys["generate"] = stage_key(
            "generate",
            {
                "corpora": [{"name": c.name, "corpus": c.corpus_hash} for c in corpora],
                "generator": generator_identity(recipe.queries),
                **{k: q[k] for k in ("docs", "per_doc", "seed", "prompt", "doc_chars")},
            },
            kernels,
        )
        mine_parts["generate"] = keys["generate"]
    keys["mine"] = stage_key("mine", mine_parts, kernels)
    keys["teachers"] = stage_key(
        "teachers", {"mine": keys["mine"], "teachers": [{k: v for k, v in t.items() if k != "path"} for t in teachers]}, kernels
    )
    keys["filter"] = stage_key(
        "filter",
        {"teachers": keys["teachers"], **{k: r[k] for k in ("margin", "negatives", "positives_per_query", "min_relevance")}},
        kernels,
    )
    train_fields = ("labels", "loss", "epochs", "batch_size", "learning_rate", "warmup_ratio", "max_length", "max_steps", "seed", "threads")
    keys["train"] = stage_key(
        "train",
        {
            "filter": keys["filter"],
            "base": base.files_sha256,
            "libraries": {p: package_version(p) for p in ("datasets", "accelerate")},
            **{k: r[k] for k in train_fields},
        },
        kernels,
    )
    return Plan(spec, source, recipe, folder, collections, base, teachers, keys, cache_root or cache_dir() / "training", corpora)


def generated_collections(p: Plan, progress: Progress, stages: dict[str, str] | None = None) -> list[GeneratedCollection]:
    """The generate stage: one collection of generated queries per corpus, from the stage cache, a replayed log or the generator."""
    if "generate" not in p.keys:
        return []
    cache = stage_cache("generate", p.root)
    entry = cache.load(p.keys["generate"])
    records = entry_to_records(entry) if entry is not None else None
    if records is not None:
        if stages is not None:
            stages["generate"] = "cached"
    else:
        records = generate_queries(p.recipe.queries, p.corpora, p.folder, p.source, p.root, progress)
        records_to_entry(cache, p.keys["generate"], records)
        if stages is not None:
            stages["generate"] = "replayed" if p.recipe.queries.replay is not None else "ran"
    return [GeneratedCollection(c, p.recipe.min_relevance, records=[r for r in records if r["corpus"] == c.name]) for c in p.corpora]


def mined_candidates(
    spec: ModelSpec, source: str = "<spec>", progress: Progress | None = None, *, cache_root: Path | None = None, kernels: str = "default"
) -> tuple[Plan, list[TrainingCollection], dict[str, str], Any]:
    """Plan, then run (or read from the caches) the generate and mine stages only: (plan, collections, stage statuses, candidates)."""
    progress = progress or Progress()
    p = plan(spec, source, cache_root=cache_root, kernels=kernels)
    stages = dict.fromkeys(p.keys, "not needed")
    collections = [*p.collections, *generated_collections(p, progress, stages)]
    runs = SpecRuns(p.folder, source, progress)
    candidates = _cached_pairs(
        stage_cache("mine", p.root), p.keys["mine"], stages, "mine", lambda: mine(p.recipe, collections, runs, progress)
    )
    return p, collections, stages, candidates


def trained_model(spec: ModelSpec, source: str = "<spec>") -> Path:
    """The folder of the student ``spec``'s recipe trains (from the train stage's cache).

    Raises:
        RunnerUnavailable: it has not been trained here yet (the message says the command that trains it).
    """
    p = plan(spec, source)
    entry = stage_cache("train", p.root).load(p.keys["train"])
    folder = model_folder(entry) if entry is not None else None
    if folder is None:
        raise RunnerUnavailable(f"{source}: the student of this recipe is not trained here yet; train it first: bench train {source}")
    return folder


@dataclass
class TrainingResult:
    """Everything the training card keeps."""

    model: str
    spec_hash: str
    recipe: dict[str, Any]
    collections: list[dict[str, Any]]
    teachers: list[dict[str, Any]]
    keys: dict[str, str]
    stages: dict[str, str]
    """stage -> ``ran`` | ``cached`` | ``not needed``."""
    stage_s: dict[str, float]
    counts: FilterCounts
    model_folder: Path
    weights_sha256: str
    files_sha256: str
    steps: int
    examples_trained: int
    train_s: float
    loss_curve: list[tuple[int, float]]
    resumed_from: int | None
    wall_s: float
    environment: dict[str, Any] = field(default_factory=dict)
    stage_sha256: dict[str, str] = field(default_factory=dict)
    """Content hashes of what each stage produced: ``mine`` (candidates), ``teachers`` (teacher scores), ``filter``
    (the filtered examples), ``weights`` (model.safetensors): where two trainings part, the first differing one says."""
    corpora: list[dict[str, Any]] = field(default_factory=list)
    """The training data read for generated queries: per corpus, its name, corpus hash, documents sampled, queries."""
    evaluation_data: str = "judgments"
    """What the recipe read of evaluation collections (``judgments``, ``corpus``, ``nothing``): the zero-shot flag."""
    kernels: str = "default"
    """The kernel pin the stages ran under (``avx2``: :data:`bench.kernels.PORTABLE`), or ``default``."""

    @property
    def examples_per_s(self) -> float:
        return self.examples_trained / self.train_s if self.train_s > 0 else 0.0

    def card(self) -> dict[str, Any]:
        """The training card as JSON-ready data (what ``bench train --json`` prints and the store keeps)."""
        out = asdict(self)
        out["model_folder"] = str(self.model_folder)
        out["loss_curve"] = [list(p) for p in self.loss_curve]
        out["examples_per_s"] = self.examples_per_s
        out["seed"] = self.recipe["seed"]
        out["threads"] = self.recipe["threads"]
        out["margin"] = self.recipe["margin"]
        out["training_data"] = self.training_data()
        return out

    def training_data(self) -> dict[str, Any]:
        """The training data section of the card: what was read of which collection, and the zero-shot flag it sets."""
        flag = {
            "judgments": "not zero-shot on the judged collections (trained on their test queries and judgments)",
            "corpus": "adapted on the corpus: generated queries on the corpora below; none of their queries or judgments read",
            "nothing": "zero-shot: no evaluation collection read",
        }[self.evaluation_data]
        return {
            "evaluation_data": self.evaluation_data,
            "zero_shot": flag,
            "judgments_read": [f"{c['name']} ({c['split']})" for c in self.collections],
            "corpora_read": [c["name"] for c in self.corpora],
        }


def train_recipe(
    spec: ModelSpec, source: str = "<spec>", progress: Progress | None = None, *, cache_root: Path | None = None, pin: bool = True
) -> TrainingResult:
    """Run the stages that are not cached and return the card; the trained folder is in the train stage's cache.

    ``pin`` (the default): the stages run in a child process under the portable kernel pin (:mod:`bench.kernels`),
    so the weights are the same bits on any x86-64 CPU with AVX2; ``pin=False`` trains in this process with whatever
    kernels it has (its stage entries are keyed ``default``, never mistaken for pinned ones).
    """
    if pin and pinned() != PIN_NAME:
        from bench.training.isolation import train_in_child

        data = train_in_child(spec, source, progress, cache_root=cache_root)
        data["counts"] = FilterCounts(**data["counts"])
        data["model_folder"] = Path(data["model_folder"])
        data["loss_curve"] = [tuple(p) for p in data["loss_curve"]]
        return TrainingResult(**data)
    return _train_here(spec, source, progress, cache_root=cache_root, kernels=pinned() or "default")


def _train_here(spec: ModelSpec, source: str, progress: Progress | None, *, cache_root: Path | None, kernels: str) -> TrainingResult:
    progress = progress or Progress()
    t_all = time.perf_counter()
    with progress.stage("planning the recipe"):
        p = plan(spec, source, cache_root=cache_root, kernels=kernels)
    caches = {s: stage_cache(s, p.root) for s in p.keys}
    stages = dict.fromkeys(p.keys, "not needed")
    stage_s = dict.fromkeys(p.keys, 0.0)
    train_entry = caches["train"].load(p.keys["train"])
    collections = list(p.collections)
    if train_entry is None or model_folder(train_entry) is None:
        runs = SpecRuns(p.folder, source, progress)
        t = time.perf_counter()
        collections += generated_collections(p, progress, stages)
        if "generate" in p.keys:
            stage_s["generate"] = time.perf_counter() - t
        t = time.perf_counter()
        entry = caches["filter"].load(p.keys["filter"])
        if entry is not None:
            examples, counts = entry_to_examples(entry)
            stages["filter"] = "cached"
        else:
            candidates = _cached_pairs(caches["mine"], p.keys["mine"], stages, "mine", lambda: mine(p.recipe, collections, runs, progress))
            stage_s["mine"] = time.perf_counter() - t
            t = time.perf_counter()
            fused = _cached_pairs(
                caches["teachers"],
                p.keys["teachers"],
                stages,
                "teachers",
                lambda: score_teachers(p.recipe, collections, candidates, runs, p.folder, progress)[0],
            )
            stage_s["teachers"] = time.perf_counter() - t
            t = time.perf_counter()
            with progress.stage("filtering negatives (margin rule)"):
                examples, counts = build_examples(p.recipe, collections, candidates, fused)
                examples_to_entry(caches["filter"], p.keys["filter"], examples, counts, p.recipe.negatives)
            stages["filter"] = "ran"
        stage_s["filter"] = time.perf_counter() - t
        t = time.perf_counter()
        produced = {
            s: entry_sha256(e)
            for s in ("generate", "mine", "teachers", "filter")
            if s in p.keys
            if (e := caches[s].load(p.keys[s], count=False)) is not None
        }
        _train_into_cache(p, caches["train"], examples, counts, progress, produced, collections)
        stages["train"] = "ran"
        stage_s["train"] = time.perf_counter() - t
        train_entry = caches["train"].load(p.keys["train"], count=False)
        if train_entry is None or model_folder(train_entry) is None:
            raise OSError(
                f"training cache entry {caches['train'].path(p.keys['train'])} was written but cannot be read back; check the disk"
            )
    else:
        stages["train"] = "cached"
    folder = model_folder(train_entry)
    if folder is None:
        raise OSError(f"training cache entry {train_entry.path} lost its model folder while reading it; run bench train again")
    meta = train_entry.meta
    digest, every, _ = fingerprint(folder)
    curve = [(int(s), float(v)) for s, v in np.asarray(train_entry.arrays["loss_curve"]).tolist()]
    return TrainingResult(
        model=spec.name,
        spec_hash=spec.spec_hash,
        recipe=p.recipe.model_dump(mode="json"),
        collections=[
            {"name": c.name, "split": c.dataset.split, "hash": c.dataset.content_hash, "queries": len(c.queries)} for c in p.collections
        ],
        teachers=p.teachers,
        keys=p.keys,
        stages=stages,
        stage_s=stage_s,
        counts=FilterCounts(**meta["counts"]),
        model_folder=folder,
        weights_sha256=digest,
        files_sha256=every,
        steps=int(meta["steps"]),
        examples_trained=int(meta["examples"]),
        train_s=float(meta["train_s"]),
        loss_curve=curve,
        resumed_from=meta.get("resumed_from"),
        wall_s=time.perf_counter() - t_all,
        environment=meta.get("environment", {}),
        stage_sha256={**meta.get("stage_sha256", {}), "weights": digest},
        corpora=[
            {
                "name": c.name,
                "read": "corpus only",
                "corpus_sha256": c.corpus_hash,
                "documents": p.recipe.queries.docs,
                "queries_per_document": p.recipe.queries.per_doc,
            }
            for c in p.corpora
        ],
        evaluation_data=p.recipe.evaluation_data,
        kernels=kernels,
    )


def _cached_pairs(cache: Any, key: str, stages: dict[str, str], stage: str, compute: Any) -> Any:
    entry = cache.load(key)
    if entry is not None:
        stages[stage] = "cached"
        return entry_to_pairs(entry)
    pairs = compute()
    pairs_to_entry(cache, key, pairs, {"stage": stage})
    stages[stage] = "ran"
    return pairs


def _train_into_cache(
    p: Plan, cache: Any, examples: list[Any], counts: FilterCounts, progress: Progress, produced: dict[str, str], collections: list[Any]
) -> None:
    from bench.training.trainer import train_model

    with cache.writer(p.keys["train"], {"stage": "train", "model": p.spec.name}) as w:
        outcome = train_model(
            p.recipe, p.base.path, examples, collections, w.work / MODEL_FOLDER, p.root / "checkpoints" / p.keys["train"], progress
        )
        _, every, _ = fingerprint(w.work / MODEL_FOLDER)
        w.set_ids([])
        w.put("loss_curve", np.array(outcome.loss_curve, dtype=np.float64).reshape(len(outcome.loss_curve), 2))
        env = environment()
        env["torch_threads"] = p.recipe.threads
        w.meta.update(
            {
                "model_files_sha256": every,
                "counts": asdict(counts),
                "steps": outcome.steps,
                "examples": outcome.examples,
                "train_s": outcome.wall_s,
                "resumed_from": outcome.resumed_from,
                "environment": env,
                "stage_sha256": produced,
            }
        )


def check_training(spec: ModelSpec, source: str = "<spec>", progress: Progress | None = None, *, pin: bool = True) -> TrainingResult:
    """Retrain from scratch in a temporary stage cache (runner caches still apply); the caller compares the hash.

    The returned ``model_folder`` is gone when this returns (the temporary cache is removed); its hashes remain.
    """
    with tempfile.TemporaryDirectory(prefix="bench-train-check-") as tmp:
        return train_recipe(spec, source, progress, cache_root=Path(tmp), pin=pin)
