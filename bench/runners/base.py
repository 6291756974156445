"""The runner protocol and the registry of runner kinds.

A runner turns a spec and a dataset into a :class:`~bench.types.Run`. Each kind is one module; the
registry maps ``kind`` to ``"module:Class"`` and imports lazily, so BM25 never imports torch.
Third-party kinds register through the ``brewbench.runners`` entry-point group.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from bench.datasets.beir import Dataset
from bench.errors import BenchError, RunnerUnavailable
from bench.specs import ModelSpec, parse_spec_problems, spec_error
from bench.types import Query, Run, Thought, Timings
from bench.yamlfile import YamlSyntaxError, line_of, load_with_nodes, read_yaml_text

T = TypeVar("T")


class Params(BaseModel):
    """Base of each runner's ``params`` schema (frozen, unknown keys refused, strict types: ``hits: true`` or ``k1: "0.9"`` is refused)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, use_attribute_docstrings=True)


class Progress:
    """Progress reporting; the default shows nothing. The CLI passes one that draws bars (or writes log lines).

    Progress counts texts (documents, queries), not the chunks or batches a loop walks over: a loop over batches
    passes ``total`` in texts and ``units`` (texts per item, e.g. ``len``).
    """

    def track(self, items: Iterable[T], description: str, total: int | None = None, units: Callable[[T], int] | None = None) -> Iterator[T]:
        """Yield ``items``, counting ``units(item)`` (default 1) done after each item has been processed, out of ``total``."""
        yield from items

    def stage(self, description: str) -> AbstractContextManager[None]:
        return nullcontext()


def texts_in(batches: Iterable[Sized]) -> int:
    """How many texts a chunk of batches holds: ``units`` for :meth:`Progress.track` over chunks."""
    return sum(len(b) for b in batches)


@dataclass(frozen=True)
class RunOutput:
    """What a runner returns: the run, stage timings, costs, and the weights fingerprint.

    ``thoughts`` (reasoning embedders): every thought generated for the run's queries, recorded with the
    run (:func:`bench.store.thoughts.insert_thoughts`); ``generator_hash`` is the generator's sha256.
    """

    run: Run
    timings: Timings
    cost: dict[str, Any] = field(default_factory=dict)
    weights_hash: str | None = None
    thoughts: tuple[Thought, ...] = ()
    generator_hash: str | None = None


class Runner(ABC):
    """Base class of every runner kind."""

    kind: ClassVar[str]
    Params: ClassVar[type[Params]] = Params

    def __init__(self, spec: ModelSpec, source: str = "<spec>") -> None:
        self.spec = spec
        try:
            self.params = self.Params.model_validate(spec.params)
        except ValidationError as e:
            err = e.errors()[0]
            field_name = ".".join(["params", *(str(p) for p in err["loc"])])
            msg = "unknown parameter; remove it or check its spelling" if err["type"] == "extra_forbidden" else err["msg"]
            raise spec_error(source, field_name, f"{msg} (kind '{self.kind}')") from None

    @abstractmethod
    def retrieve(self, dataset: Dataset, queries: list[Query], progress: Progress) -> RunOutput:
        """Rank the corpus of ``dataset`` for ``queries`` (depth from the spec, 1000 by default)."""


_KINDS: dict[str, str] = {
    "lucene-bm25": "bench.runners.lucene:LuceneBM25Runner",
    "dense": "bench.runners.dense:DenseRunner",
    "splade": "bench.runners.splade:SpladeRunner",
    "reasoning": "bench.runners.reasoning:ReasoningRunner",
}


def register_runner(kind: str, target: str) -> None:
    """Register ``kind`` -> ``"module:Class"``; a kind can be registered once."""
    if kind in _KINDS and _KINDS[kind] != target:
        raise RunnerUnavailable(f"runner kind '{kind}' is already registered ({_KINDS[kind]}); choose another name")
    _KINDS[kind] = target


def _load_entry_points() -> None:
    for ep in metadata.entry_points(group="brewbench.runners"):
        register_runner(ep.name, ep.value)


def runner_kinds() -> list[str]:
    _load_entry_points()
    return sorted(_KINDS)


def runner_class(kind: str) -> type[Runner]:
    if kind not in _KINDS:
        _load_entry_points()
    if kind not in _KINDS:
        from bench.suggest import did_you_mean

        raise RunnerUnavailable(f"unknown runner kind '{kind}'; known kinds: {', '.join(sorted(_KINDS))}.{did_you_mean(kind, _KINDS)}")
    module, _, cls = _KINDS[kind].partition(":")
    try:
        mod = importlib.import_module(module)
    except ImportError as e:
        raise RunnerUnavailable(f"runner kind '{kind}' needs a package that is not installed ({e.name}); run `make setup`") from e
    return getattr(mod, cls)


def make_runner(spec: ModelSpec, source: str = "<spec>") -> Runner:
    """The runner for ``spec.kind``, with ``spec.params`` validated against that kind's schema."""
    return runner_class(spec.kind)(spec, source)


def params_problems(spec: ModelSpec, display: str, root: Any = None) -> list[str]:
    """Every problem of ``spec.kind`` and ``spec.params`` (without running anything): ``display[:line]: field: problem``.

    ``root`` is the spec's YAML node tree (:func:`bench.yamlfile.load_with_nodes`), for line numbers.
    """
    return kind_params_problems(spec.kind, spec.params, display, root)


def kind_params_problems(kind: str, params: Any, display: str, root: Any = None) -> list[str]:
    """:func:`params_problems` for a kind and params read from a spec that may have other problems."""

    def where(loc: tuple[str | int, ...]) -> str:
        line = line_of(root, loc) if root is not None else None
        return f"{display}:{line}" if line else display

    kinds = runner_kinds()
    if kind not in kinds:
        return [f"{where(('kind',))}: kind: unknown runner kind '{kind}'; use one of {', '.join(kinds)}"]
    try:
        runner_class(kind).Params.model_validate(params)
    except BenchError as e:
        return [f"{where(('kind',))}: kind: {e}"]
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = ("params", *(str(p) for p in err["loc"]))
            msg = "unknown parameter; remove it or check its spelling" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"{where(loc)}: {'.'.join(loc)}: {msg} (kind '{kind}'; `bench spec params {kind}` lists them)")
        return problems
    return []


def spec_file_problems(path: Path) -> tuple[ModelSpec | None, list[str]]:
    """Every problem of a spec file without running anything: schema, then the runner kind and its params (with lines).

    Here rather than in :mod:`bench.specs`: the params check needs the runner registry, which imports the specs.
    """
    if not path.is_file():
        return None, [f"{path}: no such spec file; see models/ for examples"]
    try:
        text = read_yaml_text(path)
    except YamlSyntaxError as e:
        return None, [str(e)]
    spec, problems = parse_spec_problems(text, str(path))
    data, root = load_with_nodes(text, str(path))
    if spec is None:  # params are checked even while top-level fields have problems: every problem at once
        kind, params = data.get("kind"), data.get("params", {})
        named = {p.split(": ", 2)[1].split(".")[0] for p in problems if p.count(": ") >= 2}
        if isinstance(kind, str) and isinstance(params, dict) and not named & {"kind", "params"}:
            problems = problems + kind_params_problems(kind, params, str(path), root)
        return None, problems
    problems = params_problems(spec, str(path), root)
    return (spec if not problems else None), problems
