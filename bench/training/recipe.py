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

from bench.specs import ModelSpec, WeightsRef, spec_error


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Collection(_Part):
    """A training collection: a dataset name (or folder) and the qrels split whose judgments are used."""

    name: str = Field(min_length=1)
    split: str = "test"


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
    collections: tuple[Collection, ...] = Field(min_length=1)
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
    declared = {d.lower() for d in spec.training_datasets}
    missing = [c.name for c in recipe.collections if Path(c.name).name.lower() not in declared]
    if missing:
        raise spec_error(
            source,
            "training_datasets",
            f"the recipe trains on {', '.join(missing)} but training_datasets does not list it; add it, "
            "so scores there are flagged as not zero-shot",
        )
    return recipe


def spec_folder(source: str) -> Path:
    """The folder a recipe's relative paths (teacher and source specs, a cross-encoder) are relative to."""
    path = Path(source)
    return path.parent if path.is_file() else Path.cwd()
