"""Model specs (``models/*.yaml``): frozen pydantic models, parsed from YAML, no other I/O.

Errors name the file, the line and the field, and say how to fix them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bench.errors import EvaluationError, SpecError
from bench.evaluation.measures import parse_measure
from bench.provenance import json_sha256
from bench.yamlfile import YamlSyntaxError, line_of, load_with_nodes

Family = Literal["lexical", "learned-sparse", "dense", "reasoning", "soft-label"]
FAMILIES: tuple[str, ...] = ("lexical", "learned-sparse", "dense", "reasoning", "soft-label")


def _metric(name: str) -> str:
    """Canonical metric name, as a ValueError (what pydantic reports) when unknown."""
    try:
        return str(parse_measure(name))
    except EvaluationError as e:
        raise ValueError(str(e)) from None


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WeightsRef(_Frozen):
    """Where the weights come from: a Hugging Face id pinned to a revision, optionally a local path."""

    id: str
    revision: str = Field(min_length=1)
    sha256: str | None = None  # when set, the loaded weights must hash to this
    path: str | None = None  # an explicit local folder (takes precedence)


class Expected(_Frozen):
    """Expected scores of this spec on one dataset, keyed by the dataset's content hash."""

    dataset: str
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    split: str = "test"
    metrics: dict[str, float]

    @field_validator("metrics")
    @classmethod
    def _canonical(cls, v: dict[str, float]) -> dict[str, float]:
        return {_metric(k): float(x) for k, x in v.items()}


class ModelSpec(_Frozen):
    """Everything that determines a reference run."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    family: Family
    kind: str
    description: str = ""
    weights: WeightsRef | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    parameters: int | None = None  # parameter count
    dimension: int | None = None
    training_datasets: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    licence: str | None = None
    tolerance: dict[str, float] = Field(default_factory=dict)  # metric (or "default") -> absolute tolerance
    expected: tuple[Expected, ...] = ()

    @field_validator("tolerance")
    @classmethod
    def _tol(cls, v: dict[str, float]) -> dict[str, float]:
        out = {}
        for k, x in v.items():
            if x < 0:
                raise ValueError(f"tolerance for {k} must be >= 0")
            out[k if k == "default" else _metric(k)] = float(x)
        return out

    @property
    def spec_hash(self) -> str:
        """Identity of what is run: everything except description, expectations and tolerances."""
        return json_sha256(self.model_dump(mode="json", exclude={"description", "expected", "tolerance", "links"}))

    def tolerance_for(self, metric: str) -> float:
        return self.tolerance.get(metric, self.tolerance.get("default", 0.0))

    def expected_for(self, dataset_hash: str) -> Expected | None:
        return next((e for e in self.expected if e.hash == dataset_hash), None)


def parse_spec(text: str, source: str = "<spec>") -> ModelSpec:
    """Parse YAML text into a ModelSpec; errors name ``source:line`` and the field."""
    try:
        data, root = load_with_nodes(text, source)
    except YamlSyntaxError as e:
        raise SpecError(str(e)) from e
    if not isinstance(data, dict):
        raise SpecError(f"{source}: a spec is a YAML mapping with at least name, family and kind")
    try:
        return ModelSpec.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = tuple(err["loc"])
            field = ".".join(str(p) for p in loc) or "(top level)"
            line = line_of(root, loc)
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown field; remove it or check its spelling"
            elif err["type"] == "missing":
                msg = "required field is missing"
            problems.append(f"{source}:{line or 1}: {field}: {msg}")
        raise SpecError("; ".join(problems)) from None


def load_spec(path: Path) -> ModelSpec:
    """Read and validate ``models/NAME.yaml``."""
    if not path.is_file():
        raise SpecError(f"{path}: no such spec file; see models/ for examples")
    return parse_spec(path.read_text(encoding="utf-8"), str(path))


def spec_error(source: str, field: str, message: str) -> SpecError:
    """A SpecError for a runner-specific field (``params.k1``), located in the spec file when possible."""
    line = None
    path = Path(source)
    if path.is_file():
        try:
            line = line_of(yaml.compose(path.read_text(encoding="utf-8")), tuple(field.split(".")))
        except yaml.YAMLError:
            line = None
    where = f"{source}:{line}" if line else source
    return SpecError(f"{where}: {field}: {message}")
