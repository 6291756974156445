"""A dataset card (``dataset.yaml`` beside ``corpus.jsonl``): how a folder's data is scored, said explicitly.

Scoring rules are part of a dataset's identity (:func:`bench.provenance.scoring_identity`), so they never come
from a folder's name. They come from the registry when a dataset is asked for by its registered name, or from
this card (``bench datasets fetch`` writes one; a user writes one for a copy of their own)::

    drop_identical_ids: true   # BEIR's rule for ArguAna and Quora: a document whose id equals the query id is dropped
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.errors import DatasetError
from bench.yamlfile import YamlSyntaxError, line_of, read_yaml_file

CARD_FILE = "dataset.yaml"
_FIELDS = {"drop_identical_ids": bool}


@dataclass(frozen=True)
class DatasetCard:
    """What a card says; ``path`` is where it was read."""

    path: Path
    drop_identical_ids: bool


def read_card(folder: Path) -> DatasetCard | None:
    """The card in ``folder``, or None when there is none; a malformed card is a DatasetError naming file:line and the fix."""
    path = folder / CARD_FILE
    if not path.is_file():
        return None
    try:
        data, root = read_yaml_file(path, max_bytes=4096)  # size checked before reading; strict YAML
    except (YamlSyntaxError, ValueError) as e:
        raise DatasetError(str(e)) from None
    if not isinstance(data, dict):
        raise DatasetError(f"{path}:1: a dataset card is a YAML mapping, e.g. 'drop_identical_ids: false'")
    for key, value in data.items():
        line = line_of(root, (key,)) or 1
        if key not in _FIELDS:
            raise DatasetError(f"{path}:{line}: {key}: unknown field; a dataset card has {', '.join(_FIELDS)}")
        if not isinstance(value, _FIELDS[key]):
            raise DatasetError(f"{path}:{line}: {key}: must be true or false, not {value!r}")
    if "drop_identical_ids" not in data:
        raise DatasetError(f"{path}:1: drop_identical_ids: required; write 'drop_identical_ids: true' or 'false'")
    return DatasetCard(path, data["drop_identical_ids"])


def write_card(folder: Path, drop_identical_ids: bool) -> Path:
    """Write ``folder/dataset.yaml`` (used by ``bench datasets fetch`` for registered datasets)."""
    path = folder / CARD_FILE
    rule = "a document whose id equals the query id is dropped before scoring" if drop_identical_ids else "identical ids are kept"
    path.write_text(f"# how brewbench scores this folder: {rule}\ndrop_identical_ids: {'true' if drop_identical_ids else 'false'}\n")
    return path
