"""Model specs (``models/*.yaml``): frozen pydantic models, parsed from YAML, no other I/O.

Errors name the file, the line and the field, and say how to fix them. Types are strict: a value of the wrong
YAML type is refused, never coerced (``name: 123``, ``parameters: "5"``, ``dimension: true``), and numbers are
bounded where they are used (tolerances and expected metrics in [0, 1], ``parameters`` and ``dimension`` below
:data:`MAX_PARAMETERS` / :data:`MAX_DIMENSION`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from bench.errors import EvaluationError, SpecError
from bench.evaluation.measures import parse_measure
from bench.provenance import json_sha256
from bench.yamlfile import YamlSyntaxError, line_of, load_with_nodes, read_yaml_file, read_yaml_text

Family = Literal["lexical", "learned-sparse", "dense", "reasoning", "soft-label"]
FAMILIES: tuple[str, ...] = get_args(Family)
NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
"""A model name: lower-case letters, digits, ``.``, ``_``, ``-``; at most 64 characters (specs, submissions, --model)."""
MAX_PARAMETERS = 10**13
"""Largest parameter count accepted (ten trillion)."""
MAX_DIMENSION = 1 << 16
"""Largest embedding dimension accepted."""
TYPE_FIXES = {
    "string_type": "write text in quotes, e.g. '1234'",
    "int_type": "write a whole number without quotes",
    "float_type": "write a number without quotes, e.g. 0.5",
    "bool_type": "write true or false without quotes",
    "dict_type": "write a mapping (key: value lines)",
    "tuple_type": "write a list, e.g. [a, b]",
}
"""How to fix a strict-type error, by pydantic error type (shared with submission.yaml's messages)."""


class MetricProblem(str):
    """A spec problem that is a metric name ir_measures does not know (``file:line: field: unknown metric ...``).

    When every problem of a spec is one of these, :func:`parse_spec` raises an EvaluationError (exit 6, like an
    unknown ``--metric``) instead of a SpecError.
    """


def _metric(name: str) -> str:
    """Canonical metric name (as ir_measures writes it); an unknown one is a ``metric_name`` error carrying the key."""
    try:
        return str(parse_measure(name))
    except EvaluationError as e:
        raise PydanticCustomError("metric_name", "{message}", {"message": str(e), "key": name}) from None


def _canonical_keys(v: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for k, x in v.items():
        name = _metric(k)
        if name in out:
            raise ValueError(f"{name} is listed twice (as '{k}' and another spelling); keep one")
        out[name] = float(x)
    return out


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class WeightsRef(_Frozen):
    """Where the weights come from: a Hugging Face id pinned to a revision, optionally a local path."""

    id: str = Field(min_length=1)
    revision: str = Field(min_length=1)
    sha256: str | None = None  # when set, the loaded weights must hash to this
    path: str | None = None  # an explicit local folder (takes precedence)


class GeneratorRef(WeightsRef):
    """The text generator of a reasoning embedder, pinned like ``weights``; ``gguf_file`` names one GGUF file in the folder."""

    gguf_file: str | None = Field(default=None, min_length=1)  # load this GGUF file (transformers ``gguf_file=``); its sha256 is the hash


class Expected(_Frozen):
    """Expected scores of this spec on one dataset, keyed by the dataset's content hash."""

    dataset: str
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    split: str = "test"
    metrics: dict[str, float] = Field(default_factory=dict)
    measured_on: dict[str, StrictStr | int] | None = None
    """The platform fingerprint the scores were measured under (:func:`bench.kernels.measured_on`); a verdict that
    differs prints what differs from it."""
    published: Literal["pyserini-2cr", "mteb-results"] | None = None
    """The expected scores are a published table's (:mod:`bench.published.tables`: its numbers, read from their source,
    at its printed precision), not numbers written here: a BEIR set this machine may not have. ``bench reproduce
    --all`` checks it where the set is at hand (``bench datasets fetch``) and lists it NOT CHECKED elsewhere."""

    @model_validator(mode="after")
    def _metrics_or_published(self) -> Expected:
        if not self.metrics and self.published is None:
            raise ValueError("an expected entry needs metrics, or published: the table its numbers are (pyserini-2cr, mteb-results)")
        return self

    @field_validator("metrics")
    @classmethod
    def _canonical(cls, v: dict[str, float]) -> dict[str, float]:
        bad = next((k for k, x in v.items() if not 0.0 <= x <= 1.0), None)
        if bad is not None:
            raise ValueError(f"expected {bad} = {v[bad]!r} is outside [0, 1]; every metric is a fraction")
        return _canonical_keys(v)


class ExpectedTask(_Frozen):
    """Expected scores of this spec on one embedding task (``bench run -t``), keyed by the task's content hash.

    ``scores`` are mteb's score names (``cosine_spearman``, ``accuracy``, ``max_ap``, ``v_measure``…); ``tolerance`` the
    absolute difference allowed per score; ``published`` where a number is MTEB's own (e.g. its results repository)."""

    task: str
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    split: str = "test"
    scores: dict[str, float]
    tolerance: dict[str, float] = Field(default_factory=dict)
    published: StrictStr | None = None
    measured_on: dict[str, StrictStr | int] | None = None

    @field_validator("scores", "tolerance")
    @classmethod
    def _bounded(cls, v: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        lo = -1.0 if info.field_name == "scores" else 0.0
        bad = next((k for k, x in v.items() if not lo <= x <= 1.0), None)
        if bad is not None:
            raise ValueError(f"{info.field_name} {bad} = {v[bad]!r} is outside [{lo:g}, 1]")
        return {k: float(x) for k, x in v.items()}

    @model_validator(mode="after")
    def _tolerances_name_scores(self) -> ExpectedTask:
        extra = sorted(set(self.tolerance) - set(self.scores) - {"default"})
        if extra:
            raise ValueError(f"tolerance for {extra[0]!r}, which is not among the expected scores ({', '.join(self.scores)}); fix the name")
        return self


class Trained(_Frozen):
    """What the reference training of a recipe produced: content hashes per stage, and the kernels it ran under."""

    stages: dict[str, str] = Field(default_factory=dict)
    """``mine`` (candidates), ``teachers`` (teacher scores), ``filter`` (filtered examples), ``weights``: sha256 each."""
    kernels: str | None = None
    measured_on: dict[str, StrictStr | int] | None = None

    @field_validator("stages")
    @classmethod
    def _stages(cls, v: dict[str, str]) -> dict[str, str]:
        import re

        for k, x in v.items():
            if k not in ("mine", "teachers", "filter", "weights"):
                raise ValueError(f"unknown stage {k!r}; the stages are mine, teachers, filter, weights")
            if not re.fullmatch(r"[0-9a-f]{64}", x):
                raise ValueError(f"stage {k}: {x!r} is not a sha256 (64 hex digits); copy it from `bench train --json`")
        return v


class ModelSpec(_Frozen):
    """Everything that determines a reference run."""

    name: str = Field(pattern=NAME_PATTERN)
    family: Family
    kind: str
    description: str = ""
    weights: WeightsRef | None = None
    generator: GeneratorRef | None = None  # reasoning embedders: the model that writes a thought before the query is embedded
    params: dict[str, Any] = Field(default_factory=dict)
    training: dict[str, Any] | None = None  # a training recipe (soft-label family), validated by bench.training.recipe like params
    parameters: int | None = Field(default=None, ge=0, le=MAX_PARAMETERS)  # parameter count
    dimension: int | None = Field(default=None, gt=0, le=MAX_DIMENSION)
    training_datasets: tuple[StrictStr, ...] = Field(default=(), strict=False)  # a YAML list is accepted; its items stay strict
    links: tuple[StrictStr, ...] = Field(default=(), strict=False)
    variant_of: str | None = Field(default=None, pattern=NAME_PATTERN)  # the base model this spec varies (e.g. its int8 backend)
    licence: str | None = None
    tolerance: dict[str, float] = Field(default_factory=dict)  # metric (or "default") -> absolute tolerance
    expected: tuple[Expected, ...] = Field(default=(), strict=False)
    expected_tasks: tuple[ExpectedTask, ...] = Field(default=(), strict=False)  # embedding tasks (mteb), outside the spec hash
    trained: Trained | None = None  # a student's reference training (stage hashes); an expectation, outside the spec hash

    @field_validator("tolerance")
    @classmethod
    def _tol(cls, v: dict[str, float]) -> dict[str, float]:
        out = {}
        for k, x in v.items():
            if not 0.0 <= x <= 1.0:
                raise ValueError(f"tolerance for {k} is {x!r}; it must be in [0, 1] (an absolute difference of a metric)")
            out[k if k == "default" else _metric(k)] = float(x)
        return out

    @property
    def spec_hash(self) -> str:
        """Identity of what is run: everything except description, expectations and tolerances."""
        dropped = {"description", "expected", "expected_tasks", "tolerance", "links", "variant_of", "trained"} | {
            f for f in ("generator", "training") if getattr(self, f) is None
        }
        return json_sha256(
            self.model_dump(mode="json", exclude=dropped)
        )  # a spec without a generator or recipe hashes as before they existed

    def tolerance_for(self, metric: str) -> float:
        return self.tolerance.get(metric, self.tolerance.get("default", 0.0))

    def expected_for(self, dataset_hash: str) -> Expected | None:
        return next((e for e in self.expected if e.hash == dataset_hash), None)


def parse_spec(text: str, source: str = "<spec>") -> ModelSpec:
    """Parse YAML text into a ModelSpec; errors name ``source:line`` and the field (all problems, joined by '; ')."""
    spec, problems = parse_spec_problems(text, source)
    if spec is None:
        raise (EvaluationError if all(isinstance(p, MetricProblem) for p in problems) else SpecError)("; ".join(problems))
    return spec


def parse_spec_problems(text: str, source: str = "<spec>") -> tuple[ModelSpec | None, list[str]]:
    """Parse YAML text into a ModelSpec, or return every problem found, each ``source:line: field: problem; fix``."""
    try:
        data, root = load_with_nodes(text, source)
    except YamlSyntaxError as e:
        return None, [str(e)]
    if not isinstance(data, dict):
        return None, [f"{source}:1: a spec is a YAML mapping with at least name, family and kind; see models/ for examples"]
    try:
        return ModelSpec.model_validate(data), []
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = tuple(err["loc"])
            field = ".".join(str(p) for p in loc) or "(top level)"
            line = line_of(root, loc)
            msg = err["msg"]
            if err["type"] == "metric_name":  # the line of the metric's own key, exit 6 like an unknown --metric
                ctx = err.get("ctx") or {}
                line = line_of(root, (*loc, str(ctx.get("key"))))
                text = f"{source}:{line or 1}: {field}: {ctx.get('message', msg)}"
                # a tolerance names no metric to compute: its typo is a spec error (exit 2), never an evaluation one
                problems.append(text if loc[:1] == ("tolerance",) else MetricProblem(text))
                continue
            if err["type"] == "extra_forbidden":
                msg = "unknown field; remove it or check its spelling"
            elif err["type"] == "missing":
                msg = "required field is missing"
            elif err["type"] in TYPE_FIXES:
                msg = f"{msg} (got {type(err['input']).__name__} {err['input']!r}); {TYPE_FIXES[err['type']]}"
            problems.append(f"{source}:{line or 1}: {field}: {msg}")
        return None, problems


def load_spec(path: Path) -> ModelSpec:
    """Read and validate ``models/NAME.yaml``."""
    if not path.is_file():
        raise SpecError(f"{path}: no such spec file; see models/ for examples")
    try:
        text = read_yaml_text(path)  # size cap before reading, UTF-8 with a line number
    except YamlSyntaxError as e:
        raise SpecError(str(e)) from e
    return parse_spec(text, str(path))


def spec_error(source: str, field: str, message: str) -> SpecError:
    """A SpecError for a runner-specific field (``params.k1``), located in the spec file when possible."""
    line = None
    path = Path(source)
    if path.is_file():
        try:
            line = line_of(read_yaml_file(path)[1], tuple(field.split(".")))
        except YamlSyntaxError:
            line = None
    where = f"{source}:{line}" if line else source
    return SpecError(f"{where}: {field}: {message}")
