"""``submission.yaml``: a frozen pydantic model of what a submitter declares about their model.

Parsing reports *every* schema problem as ``file:line: field: what; fix`` (nothing stops at the first). Types are
strict (no coercion between text, numbers and booleans) and the YAML is read by the strict :mod:`bench.yamlfile`.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, field_validator

from bench.specs import MAX_DIMENSION, MAX_PARAMETERS, NAME_PATTERN, TYPE_FIXES, Family
from bench.yamlfile import YamlSyntaxError, line_of, load_with_nodes

_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_FIX = {
    "name": "use lower-case letters, digits, '.', '_' or '-' (at most 64), e.g. acme-bm25plus",
    "family": "one of lexical, learned-sparse, dense, reasoning, soft-label",
    "parameters": "give the parameter count as a whole number (0 for BM25-like models)",
    "dimension": "give the embedding dimension as a whole number, or leave it out for sparse/lexical models",
    "licence": "name the licence of the model or its weights, e.g. Apache-2.0",
    "contact": "give an e-mail address or an https:// URL where we can reach you",
    "links": "list https:// URLs (paper, code, weights)",
    "runs": "map a dataset name to a run file inside the submission folder, e.g. adi: runs/adi.trec",
    "spec": "give the path of a spec file inside the submission folder, e.g. spec.yaml",
}


class Submission(BaseModel):
    """What a submitter declares in ``submission.yaml``."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    name: str = Field(pattern=NAME_PATTERN)
    family: Family
    description: str = ""
    parameters: int | None = Field(default=None, ge=0, le=MAX_PARAMETERS)
    dimension: int | None = Field(default=None, gt=0, le=MAX_DIMENSION)
    licence: str = Field(min_length=1)
    training_datasets: tuple[StrictStr, ...] = Field(default=(), strict=False)  # a YAML list is accepted; its items stay strict
    links: tuple[StrictStr, ...] = Field(default=(), strict=False)
    contact: str = Field(min_length=3)
    runs: dict[str, str] | None = None
    """Optional ``dataset -> run file`` map; by default every ``runs/<dataset>.trec[.gz]`` is read."""
    spec: str | None = None
    """Optional spec file (``models/*.yaml`` schema) so the platform can re-run the model; default ``spec.yaml`` if present."""

    @field_validator("links")
    @classmethod
    def _urls(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [u for u in v if not _URL.match(u)]
        if bad:
            raise ValueError(f"not an http(s) URL: {bad[0]!r}")
        return v

    @field_validator("contact")
    @classmethod
    def _contact(cls, v: str) -> str:
        if not (_EMAIL.match(v) or _URL.match(v)):
            raise ValueError(f"{v!r} is neither an e-mail address nor an http(s) URL")
        return v


def parse_submission(text: str, source: str) -> tuple[Submission | None, list[str]]:
    """Parse ``submission.yaml`` text; returns the model or every problem found (``source:line: ...``)."""
    try:
        data, root = load_with_nodes(text, source)
    except YamlSyntaxError as e:
        return None, [str(e)]
    if not isinstance(data, dict):
        return None, [
            f"{source}:1: submission.yaml must be a YAML mapping (name, family, licence, contact, ...); see submissions/README.md"
        ]
    try:
        return Submission.model_validate(data), []
    except ValidationError as e:
        return None, [_problem(source, root, err) for err in e.errors()]


def _problem(source: str, root: yaml.Node | None, err: Any) -> str:
    loc = tuple(err["loc"])
    field = ".".join(str(p) for p in loc) or "(top level)"
    line = line_of(root, loc) or 1
    top = str(loc[0]) if loc else ""
    if err["type"] == "extra_forbidden":
        allowed = ", ".join(Submission.model_fields)
        return f"{source}:{line}: {field}: unknown field; remove it or use one of {allowed}"
    if err["type"] == "missing":
        return f"{source}:{line}: {field}: required field is missing; {_FIX.get(top, 'add it')}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] in TYPE_FIXES:
        return f"{source}:{line}: {field}: {msg} (got {type(err['input']).__name__} {err['input']!r}); {TYPE_FIXES[err['type']]}"
    return f"{source}:{line}: {field}: {msg}; {_FIX.get(top, 'fix the value')}"
