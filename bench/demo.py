"""`make demo`: every reference spec in models/ on the demo datasets found on the data path.

Demo datasets are the classic collections found locally; with none found (a fresh machine with
internet) SciFact is fetched from its official BEIR source, checksum-verified.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.datasets.beir import Dataset
from bench.datasets.fetch import fetch
from bench.datasets.registry import find_local, known, known_datasets, resolve_dataset
from bench.errors import DatasetError, SpecError
from bench.paths import data_dir
from bench.specs import ModelSpec, load_spec

FALLBACK = "scifact"


@dataclass(frozen=True)
class DemoPlan:
    specs: list[tuple[Path, ModelSpec]]
    datasets: list[Dataset]
    fetched: bool


def reference_specs(models_dir: Path) -> list[tuple[Path, ModelSpec]]:
    return [(p, load_spec(p)) for p in sorted(models_dir.glob("*.yaml"))]


def demo_datasets(fetch_missing: bool = True) -> tuple[list[Dataset], bool]:
    """Classic collections found on the data path; SciFact (fetched if needed) when there are none."""
    local = [d.name for d in known_datasets() if d.collection == "classic" and find_local(d.name)]
    if local:
        return [resolve_dataset(n) for n in local], False
    if find_local(FALLBACK) is None:
        if not fetch_missing:
            return [], False
        entry = known(FALLBACK)
        if entry is None:
            raise DatasetError(f"'{FALLBACK}' is missing from the dataset registry (bench/datasets/beir_public.yaml)")
        fetch(entry, data_dir())
        return [resolve_dataset(FALLBACK)], True
    return [resolve_dataset(FALLBACK)], False


def plan(models_dir: Path, fetch_missing: bool = True, datasets: list[str] | None = None) -> DemoPlan:
    """The demo's specs and datasets; the specs are found first, so a wrong folder fetches nothing.

    ``datasets`` (names or folders, as ``bench run -d`` takes them) restricts the demo to those; each is resolved
    before anything runs, so a misspelt one is an error with a suggestion, not a skipped pair.

    Raises:
        SpecError: ``models_dir`` holds no spec (run from a brewbench checkout, or pass --models).
    """
    specs = reference_specs(models_dir)
    if not specs:
        where = "no such folder" if not models_dir.is_dir() else "no *.yaml spec in it"
        raise SpecError(
            f"{models_dir.resolve()}: {where}; bench demo runs the reference specs of a brewbench checkout: "
            "run it from the checkout's root or pass --models FOLDER"
        )
    if datasets:
        return DemoPlan(specs, [resolve_dataset(n) for n in dict.fromkeys(datasets)], False)
    found, fetched = demo_datasets(fetch_missing)
    return DemoPlan(specs, found, fetched)


def pairs(p: DemoPlan) -> Iterator[tuple[Path, ModelSpec, Dataset]]:
    for path, spec in p.specs:
        for ds in p.datasets:
            yield path, spec, ds
