"""What a user names among recorded results: a dataset by name, path or content-hash prefix; a model by name or label.

Recorded datasets are identified by content (``dataset_hash``), so one name can stand for several contents (two
splits, two copies that differ): a reference resolves to every recorded content it names, and the caller decides
whether more than one is acceptable. A name that matches nothing is an error that offers close recorded names.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from bench.errors import DatasetError, StoreError
from bench.store.models import VERSION_LABELS
from bench.suggest import did_you_mean

MIN_HASH_PREFIX = 6
"""Shortest content-hash prefix accepted for a dataset (hex digits)."""
_HEX = re.compile(rf"[0-9a-f]{{{MIN_HASH_PREFIX},64}}")


class NotRecorded(StoreError):
    """A model the user named has no recorded run in this database."""


@dataclass(frozen=True)
class RecordedDataset:
    """One recorded dataset content."""

    dataset_hash: str
    name: str
    split: str

    @property
    def label(self) -> str:
        """``name`` (``name/split`` off the test split) and the first 12 hex digits of the content hash."""
        return f"{self.name if self.split == 'test' else f'{self.name}/{self.split}'} ({self.dataset_hash[:12]})"


def recorded_datasets(con: duckdb.DuckDBPyConnection) -> list[RecordedDataset]:
    """Every dataset content the database has a run on, by name, split and hash."""
    rows = con.execute(
        "SELECT DISTINCT d.dataset_hash, d.name, d.split FROM datasets d JOIN runs r USING (dataset_hash) ORDER BY 2, 3, 1"
    ).fetchall()
    return [RecordedDataset(h, n, s) for h, n, s in rows]


def _looks_like_path(ref: str) -> bool:
    path = Path(ref).expanduser()
    return os.sep in ref or ref.startswith(".") or (path.is_dir() and (path / "corpus.jsonl").is_file())


def find_datasets(con: duckdb.DuckDBPyConnection, ref: str, split: str = "test") -> list[RecordedDataset]:
    """The recorded dataset contents ``ref`` names (one or more).

    Args:
        con: A connection to the results database.
        ref: A recorded dataset name (exact, else case-insensitive), a path to a BEIR folder (its content hash for
            ``split`` is computed and looked up), or a prefix of at least 6 hex digits of a content hash.
        split: The qrels split a path is hashed with.

    Raises:
        DatasetError: nothing recorded matches; the message offers close recorded names or says the content
            at a path was never run.
    """
    recorded = recorded_datasets(con)
    if _looks_like_path(ref):
        from bench.datasets.registry import resolve_dataset

        dataset = resolve_dataset(ref, split)
        content = dataset.content_hash
        found = [d for d in recorded if d.dataset_hash == content]
        if not found:
            raise DatasetError(
                f"{ref}: no run is recorded on this content ({split} split, hash {content[:12]}); "
                f"run a model on it first (bench run SPEC -d {ref}), or name a recorded dataset (bench results)"
            )
        return found
    exact = [d for d in recorded if d.name == ref] or [d for d in recorded if d.name.casefold() == ref.casefold()]
    if exact:
        return exact
    if _HEX.fullmatch(ref.lower()):
        by_hash = [d for d in recorded if d.dataset_hash.startswith(ref.lower())]
        if by_hash:
            return by_hash
    names = [d.name for d in recorded]
    hint = did_you_mean(ref, names) or (f" Recorded: {', '.join(dict.fromkeys(names))}." if names else " Nothing is recorded yet.")
    what = "content hash prefix" if _HEX.fullmatch(ref.lower()) else "dataset"
    raise DatasetError(
        f"no run recorded on {what} '{ref}' in this database (a name, a path to a BEIR folder, or >= {MIN_HASH_PREFIX} hex of a hash).{hint}"
    )


@dataclass(frozen=True)
class RecordedModel:
    """One model version with recorded runs."""

    label: str
    name: str
    spec_hash: str


def find_models(con: duckdb.DuckDBPyConnection, ref: str) -> list[RecordedModel]:
    """The model versions ``ref`` names: its exact version label (``name`` or ``name@hash8``), else every version of that name.

    Raises:
        NotRecorded: no version has that label or name; the message offers close labels.
    """
    rows = con.execute(
        f"""WITH v AS ({VERSION_LABELS})
            SELECT DISTINCT v.label, v.name, v.spec_hash FROM v
            JOIN runs r ON r.model_name = v.name AND r.spec_hash = v.spec_hash ORDER BY 1"""
    ).fetchall()
    versions = [RecordedModel(label, name, spec_hash) for label, name, spec_hash in rows]
    exact = [m for m in versions if m.label == ref] or [m for m in versions if m.name == ref]
    if exact:
        return exact
    labels = [m.label for m in versions]
    hint = did_you_mean(ref, [*labels, *(m.name for m in versions)]) or (
        " See `bench results` for the recorded models." if labels else " Nothing is recorded yet."
    )
    raise NotRecorded(f"no model '{ref}' is recorded in this database (a name, or a version label name@hash8).{hint}")
