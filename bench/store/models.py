"""Models: who owns each name (``models``) and every version of it (``model_versions``, keyed by name + spec hash).

A name is owned. The first writer claims it; later writers must be the same owner:

* ``reference`` (committed ``models/*.yaml``): the owner may add versions (the committed spec changed);
* ``local`` (any other spec, a bare run file): one spec per name — a different spec needs a new name;
* ``submission``: the submission that claimed it, only;
* ``imported``: the same import source, one identity per name.

Only what was accepted owns a name: a ``pending`` submission (an upload waiting for review) claims nothing. Its
write is checked (a reserved or owned name is refused) but leaves no ``models`` or ``model_versions`` row, so two
pending submissions may share a name and a later run, import or upload may take it; approving claims the name then
(:func:`bench.submissions.ingest.approve`), and a name owned by then is refused (exit 9).

The names of committed reference specs are reserved even before their first run. :func:`claim_name` runs inside
the writer's transaction, so a refused write leaves nothing behind.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from bench.errors import NameTaken
from bench.identity import Writer, reference_names


@dataclass(frozen=True)
class ModelRow:
    """A model version's card: what the leaderboard shows about ``name`` at ``spec_hash``."""

    name: str
    family: str
    kind: str | None
    hf_id: str | None = None
    revision: str | None = None
    parameters: int | None = None
    dimension: int | None = None
    training_datasets: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NameOwner:
    name: str
    owner: str
    owner_key: str | None
    versions: tuple[str, ...]
    """Spec hashes recorded under the name, oldest first."""


def name_owner(con: duckdb.DuckDBPyConnection, name: str) -> NameOwner | None:
    """Who owns ``name`` in this database, and its versions; None when the name is free."""
    row = con.execute("SELECT owner, owner_key FROM models WHERE name = ?", [name]).fetchone()
    if row is None:
        return None
    versions = con.execute("SELECT spec_hash FROM model_versions WHERE name = ? ORDER BY first_seen, spec_hash", [name]).fetchall()
    return NameOwner(name, row[0], row[1], tuple(v[0] for v in versions))


def _who(owner: NameOwner) -> str:
    if owner.owner == "submission":
        return f"submission '{owner.owner_key}'"
    if owner.owner == "imported":
        return f"results imported from {owner.owner_key}"
    if owner.owner == "reference":
        return "a reference model of this benchmark"
    return f"another local model (spec {owner.versions[0][:12] if owner.versions else '?'})"


def check_name(con: duckdb.DuckDBPyConnection | None, name: str, spec_hash: str, writer: Writer) -> None:
    """Raise :class:`NameTaken` unless ``writer`` may write version ``spec_hash`` of ``name`` (``con`` None: only reserved names)."""
    fix = f"choose another name (e.g. {name}-v2 or yourorg-{name}): `name:` in the spec or submission.yaml, or --model"
    reserved = reference_names().get(name)
    if reserved is not None and writer.owner != "reference":
        raise NameTaken(
            f"model name '{name}' belongs to the reference spec {reserved}; this {writer.provenance} result cannot use it "
            f"(a spec is reference only as the committed {reserved} itself); {fix}"
        )
    owner = name_owner(con, name) if con is not None else None
    if owner is None:
        return
    if owner.owner != writer.owner or (writer.owner in ("submission", "imported") and owner.owner_key != writer.owner_key):
        raise NameTaken(f"model name '{name}' already belongs to {_who(owner)} in this database; {fix}")
    if writer.owner != "reference" and owner.versions and spec_hash not in owner.versions:
        raise NameTaken(
            f"model name '{name}' is already recorded with another spec ({owner.versions[0][:12]}, this one is {spec_hash[:12]}); "
            f"two specs never share a name, so results are never replaced silently; {fix}"
        )


def claim_name(
    con: duckdb.DuckDBPyConnection, model: ModelRow, spec_hash: str, spec: Mapping[str, Any] | None, writer: Writer, now: datetime
) -> None:
    """Inside the caller's transaction: check ownership, then record the name and this version (first card wins).

    A reference writer makes its version the current one (it writes only the committed spec); any other owner has
    one version per name, current from the start.
    """
    check_name(con, model.name, spec_hash, writer)
    if writer.provenance == "pending":  # not accepted: owns nothing until approved
        return
    con.execute(
        "INSERT INTO models (name, owner, owner_key, claimed_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
        [model.name, writer.owner, writer.owner_key, now],
    )
    if writer.owner == "reference":  # the committed spec is the current version of a reference name
        con.execute("UPDATE model_versions SET current = (spec_hash = ?) WHERE name = ?", [spec_hash, model.name])
    con.execute(
        """INSERT INTO model_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, true)
           ON CONFLICT (name, spec_hash) DO NOTHING""",
        [
            model.name,
            spec_hash,
            model.family,
            model.kind,
            model.hf_id,
            model.revision,
            model.parameters,
            model.dimension,
            list(model.training_datasets),
            json.dumps(dict(model.metadata), default=str),
            json.dumps(dict(spec), default=str) if spec is not None else None,
            now,
        ],
    )


VERSION_LABELS = """
    SELECT name, spec_hash, first_seen, current,
           CASE WHEN current THEN name ELSE name || '@' || left(spec_hash, 8) END AS label
    FROM model_versions
"""
"""A SELECT giving each model version its display label: the current version of a name (for a reference name, the
committed spec; otherwise its only version) is shown by the name alone, others as ``name@<first 8 of the spec hash>``,
so two versions never share a row or a cell."""
