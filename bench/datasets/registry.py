"""Known datasets and the data search path that finds their local copies.

The search path is ``BENCH_DATA_PATH`` (``os.pathsep``-separated folders, searched in order) followed by
the default download folder (:func:`bench.paths.data_dir`). A dataset named ``NAME`` is the folder
``<entry>/NAME`` of the first entry that has it. Registry facts live in YAML beside this module.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bench.datasets.beir import Dataset
from bench.datasets.card import CARD_FILE, read_card
from bench.errors import DatasetError
from bench.paths import data_dir, data_path
from bench.suggest import did_you_mean
from bench.yamlfile import YamlSyntaxError, line_of, read_yaml_file

_HERE = Path(__file__).parent


@dataclass(frozen=True)
class KnownDataset:
    """A registered dataset: where it comes from and what it should contain."""

    name: str
    title: str
    collection: str  # "beir" or "classic"
    url: str | None = None
    md5: str | None = None
    public: bool = True
    documents: int | None = None
    queries: int | None = None
    drop_identical_ids: bool = False
    licence: str | None = None
    note: str | None = None
    size_bytes: int | None = None

    @property
    def fetchable(self) -> bool:
        return bool(self.url)


# Registry fields and their YAML types (strict: a wrong type is an error, never coerced).
_FIELDS: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "title": (str,),
    "url": (str,),
    "md5": (str,),
    "sha256": (str,),
    "size_bytes": (int,),
    "public": (bool,),
    "splits": (list,),
    "queries": (int,),
    "corpus": (int,),
    "drop_identical_ids": (bool,),
    "licence": (str,),
    "note": (str,),
}


def _rows(path: Path) -> list[tuple[int, dict]]:
    """The ``datasets:`` rows of a registry file, read by the strict YAML reader and type-checked, with their lines."""
    try:
        data, root = read_yaml_file(path)
    except YamlSyntaxError as e:
        raise DatasetError(str(e)) from e
    if not isinstance(data, dict) or not isinstance(data.get("datasets"), list):
        raise DatasetError(f"{path}:1: a registry file is a mapping with a 'datasets' list; fix the file")
    out = []
    for i, row in enumerate(data["datasets"]):
        line = line_of(root, ("datasets", i)) or 1
        if not isinstance(row, dict) or not isinstance(row.get("name"), str):
            raise DatasetError(f"{path}:{line}: a dataset entry is a mapping with a text 'name'; fix the entry")
        for key, value in row.items():
            if key not in _FIELDS:
                raise DatasetError(f"{path}:{line_of(root, ('datasets', i, key))}: unknown field '{key}'; use one of {', '.join(_FIELDS)}")
            ok = value is None or (isinstance(value, _FIELDS[key]) and not (isinstance(value, bool) and bool not in _FIELDS[key]))
            if not ok or (isinstance(value, int) and not isinstance(value, bool) and value < 0):
                want = " or ".join(t.__name__ for t in _FIELDS[key])
                raise DatasetError(f"{path}:{line_of(root, ('datasets', i, key))}: {key}: {value!r} is not a {want} >= 0; fix the value")
        out.append((line, row))
    return out


def _load(file: str, collection: str) -> list[KnownDataset]:
    path = _HERE / file
    if not path.exists():
        return []
    return [
        KnownDataset(
            name=r["name"],
            title=r.get("title") or r["name"],
            collection=collection,
            url=r.get("url"),
            md5=r.get("md5"),
            public=bool(r.get("public", True)),
            documents=r.get("corpus"),
            queries=r.get("queries"),
            drop_identical_ids=bool(r.get("drop_identical_ids", False)),
            licence=r.get("licence"),
            note=r.get("note"),
            size_bytes=r.get("size_bytes"),
        )
        for _, r in _rows(path)
    ]


@lru_cache(maxsize=1)
def _registry() -> dict[str, KnownDataset]:
    out: dict[str, KnownDataset] = {}
    for ds in _load("beir_public.yaml", "beir") + _load("classic.yaml", "classic"):
        if ds.name in out:
            raise DatasetError(f"{_HERE}: dataset '{ds.name}' is registered twice; keep one entry")
        out[ds.name] = ds
    return out


def known_datasets() -> list[KnownDataset]:
    return list(_registry().values())


def known(name: str) -> KnownDataset | None:
    return _registry().get(name)


def has_corpus(folder: Path) -> bool:
    """Whether ``folder`` looks like a BEIR dataset: ``corpus.jsonl`` (or ``corpus.jsonl.gz``) in it."""
    return (folder / "corpus.jsonl").is_file() or (folder / "corpus.jsonl.gz").is_file()


def search_path() -> list[Path]:
    """Folders searched for dataset folders, in order."""
    return [*data_path(), data_dir()]


def find_local(name: str) -> Path | None:
    for entry in search_path():
        candidate = entry / name
        if has_corpus(candidate):
            return candidate
    return None


def local_dataset_names() -> list[str]:
    """Folders on the search path that look like BEIR datasets (registered or not)."""
    names: list[str] = []
    for entry in search_path():
        if entry.is_dir():
            for child in sorted(entry.iterdir()):
                if has_corpus(child) and child.name not in names:
                    names.append(child.name)
    return names


def resolve_dataset(ref: str, split: str = "test") -> Dataset:
    """A registered name, a folder name on the search path, or a path to a BEIR folder -> Dataset."""
    as_path = Path(ref).expanduser()
    if os.sep in ref or ref.startswith(".") or (as_path.is_dir() and has_corpus(as_path)):
        if not has_corpus(as_path):
            raise DatasetError(
                f"{as_path}: not a BEIR dataset folder (no corpus.jsonl). Point --dataset at the folder holding corpus.jsonl, queries.jsonl and qrels/"
            )
        return Dataset(as_path.name, as_path.resolve(), split, _drop_identical_ids(as_path, None))
    entry = known(ref)
    folder = find_local(ref)
    if folder is not None:
        return Dataset(ref, folder.resolve(), split, _drop_identical_ids(folder, entry))
    where = ", ".join(str(p) for p in search_path())
    if entry is not None:
        how = (
            f"run `bench datasets fetch {ref}`"
            if entry.fetchable
            else "it has no public download: obtain a copy (see the registry note) and put its folder on the data path"
        )
        raise DatasetError(f"dataset '{ref}' is not on the data path ({where}): {how}, or add its parent folder to BENCH_DATA_PATH")
    names = [d.name for d in known_datasets()] + local_dataset_names()  # a registered name is often also a folder: offered once
    hint = did_you_mean(ref, names) or " See `bench datasets list`."
    raise DatasetError(f"unknown dataset '{ref}': not registered and no folder of that name on the data path ({where}).{hint}")


def _drop_identical_ids(folder: Path, entry: KnownDataset | None) -> bool:
    """The identical-ids rule of ``folder``: from its card, else from ``entry`` (the registered name asked for).

    Never from a folder's name: a folder given as a path whose name is a registered dataset with a non-default
    rule must say how it is scored (a card), and a card that contradicts the registry is refused.
    """
    card = read_card(folder)
    if card is not None:
        if entry is not None and card.drop_identical_ids != entry.drop_identical_ids:
            raise DatasetError(
                f"{card.path}: drop_identical_ids: {str(card.drop_identical_ids).lower()} contradicts the registry's rule for "
                f"'{entry.name}' ({str(entry.drop_identical_ids).lower()}); fix the card, or give the folder as a path under another name"
            )
        return card.drop_identical_ids
    if entry is not None:
        return entry.drop_identical_ids
    lookalike = known(folder.name)
    if lookalike is not None and lookalike.drop_identical_ids:
        raise DatasetError(
            f"{folder}: named like the registered '{lookalike.name}', which BEIR scores with identical ids dropped; say how to score "
            f"this copy in {folder / CARD_FILE} ('drop_identical_ids: true' as BEIR does, or 'false')"
        )
    return False
