"""Who wrote a result, derived by the platform, never claimed by the writer.

A published result is identified by model name + identity hash (a spec's :attr:`~bench.specs.ModelSpec.spec_hash`,
or a hash synthesised for results that come without a spec) + dataset content hash. Each writer of the results
database (`bench run`, `bench eval --record`, submissions, `bench reproduce`, importers and trainers) describes
itself with a :class:`Writer` built here, and :func:`bench.store.models.claim_name` enforces who owns a name.

Provenance of a run, and the owner of the name it is written under:

=================  ==================================================================  ==============
run provenance     when                                                                 name owner
=================  ==================================================================  ==============
``reference``      the spec file is ``models/NAME.yaml`` and identical to the committed  ``reference``
                   one (checked against git's ``HEAD``)
``reproduced``     a passing ``bench reproduce`` of such a spec, or of the very files     ``reference`` /
                   a submission sent (sha256 checked)                                    ``submission``
``local``          any other spec, a bare run file, a model given on the command line     ``local``
``self-reported``  a submission (``pending`` until approved when it came from the site;  ``submission``
                   a pending one owns no name until then)
``imported``       results read from another platform's files (aggregates only)          ``imported``
=================  ==================================================================  ==============
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from bench.provenance import json_sha256

if TYPE_CHECKING:
    from bench.specs import ModelSpec

REPO_ROOT = Path(__file__).resolve().parent.parent
REFERENCE_MODELS = REPO_ROOT / "models"

OWNERS: tuple[str, ...] = ("reference", "local", "submission", "imported")
PROVENANCES: tuple[str, ...] = ("reference", "reproduced", "local", "self-reported", "pending", "imported")


@dataclass(frozen=True)
class Writer:
    """Who writes a run: the run's provenance, and the owner (and owner key) its model name must belong to.

    ``owner_key`` is the submission id for submissions, the source for imports, and None otherwise.
    """

    provenance: str
    owner: str
    owner_key: str | None = None

    def __post_init__(self) -> None:
        if self.provenance not in PROVENANCES:
            raise ValueError(f"unknown provenance {self.provenance!r}")
        if self.owner not in OWNERS:
            raise ValueError(f"unknown owner {self.owner!r}")


LOCAL = Writer("local", "local")


def synthetic_identity(name: str, family: str, origin: str) -> str:
    """Identity hash of a result that has no spec (a bare run file, a submission without spec.yaml, an import)."""
    return json_sha256({"name": name, "family": family, "origin": origin})


@lru_cache(maxsize=64)
def _committed(rel: str) -> bytes | None:
    """The bytes of ``rel`` (a path inside the checkout) at git's HEAD, or None when git says it is not committed.

    Outside a git checkout (an unpacked release) there is no history to check against: the shipped file is what
    was committed, so its own bytes are returned (the run's code version then carries no commit, visibly).
    """
    if not (REPO_ROOT / ".git").exists():
        try:
            return (REPO_ROOT / rel).read_bytes()
        except OSError:
            return None
    try:
        done = subprocess.run(["git", "-C", str(REPO_ROOT), "show", f"HEAD:{rel}"], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def is_reference_spec(path: Path | None, spec_hash: str | None = None) -> bool:
    """Whether ``path`` is a reference spec: ``models/<file>.yaml`` of this checkout, byte-identical to the committed file.

    With ``spec_hash``, the spec that is being run must also be the one that file holds.
    """
    if path is None:
        return False
    try:
        real = path.resolve(strict=True)
    except OSError:
        return False
    if real.parent != REFERENCE_MODELS.resolve() or real.suffix != ".yaml":
        return False
    committed = _committed(f"models/{real.name}")
    try:
        if committed is None or real.read_bytes() != committed:
            return False
    except OSError:
        return False
    if spec_hash is None:
        return True
    from bench.errors import BenchError
    from bench.specs import parse_spec

    try:
        return parse_spec(committed.decode("utf-8"), str(path)).spec_hash == spec_hash
    except (BenchError, UnicodeDecodeError):
        return False


def spec_writer(path: Path | None, spec_hash: str, *, reproduced: bool = False) -> Writer:
    """The writer of a run of spec ``spec_hash`` read from ``path`` (None: a spec synthesised from the command line)."""
    if is_reference_spec(path, spec_hash):
        return Writer("reproduced" if reproduced else "reference", "reference")
    return LOCAL


@lru_cache(maxsize=1)
def reference_names() -> dict[str, str]:
    """Names of the reference specs (``models/*.yaml``) -> their file: reserved, no other writer may use them."""
    from bench.yamlfile import YamlSyntaxError, load_with_nodes

    names: dict[str, str] = {}
    for path in sorted(REFERENCE_MODELS.glob("*.yaml")) if REFERENCE_MODELS.is_dir() else []:
        try:
            data, _ = load_with_nodes(path.read_text(encoding="utf-8"), str(path))
        except (YamlSyntaxError, ValueError, OSError):
            continue
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            names[data["name"]] = f"models/{path.name}"
    return names


@lru_cache(maxsize=1)
def reference_spec_hashes() -> dict[str, str]:
    """Name -> spec hash of each committed reference spec (git's HEAD): the *current* version of a reference name."""
    from bench.errors import BenchError
    from bench.specs import parse_spec

    hashes: dict[str, str] = {}
    for path in sorted(REFERENCE_MODELS.glob("*.yaml")) if REFERENCE_MODELS.is_dir() else []:
        committed = _committed(f"models/{path.name}")
        if committed is None:
            continue
        try:
            spec = parse_spec(committed.decode("utf-8"), str(path))
        except (BenchError, UnicodeDecodeError):
            continue
        hashes[spec.name] = spec.spec_hash
    return hashes


@lru_cache(maxsize=1)
def reference_specs() -> tuple[tuple[Path, ModelSpec], ...]:
    """Every reference spec of this checkout, as ``(path, ModelSpec)``: ``models/*.yaml`` files identical to the committed ones.

    A file edited since the last commit is not a reference spec (:func:`is_reference_spec`), so nothing runs or imports
    as it; a file that does not parse is left out here (``bench spec validate`` says why).
    """
    from bench.errors import BenchError
    from bench.specs import load_spec

    found: list[tuple[Path, ModelSpec]] = []
    for path in sorted(REFERENCE_MODELS.glob("*.yaml")) if REFERENCE_MODELS.is_dir() else []:
        if not is_reference_spec(path):
            continue
        try:
            found.append((path, load_spec(path)))
        except BenchError:
            continue
    return tuple(found)


def reference_for_weights(model_id: str, revision: str | None) -> tuple[Path, ModelSpec] | None:
    """The one reference spec that *is* Hugging Face model ``model_id`` at ``revision`` as published (a dense or splade
    encoder: no variant, no generator, no training recipe), or None (no such spec, no revision given, or several candidates).

    What MTEB results of that model id + revision attach to (:mod:`bench.interop.mteb_import`). Ids compare as the Hub
    does, without regard to case.
    """
    if not revision:
        return None
    hits = [
        (path, spec)
        for path, spec in reference_specs()
        if spec.kind in ("dense", "splade")  # the encoder alone, as mteb runs a model id (not a reasoning pipeline around it)
        and spec.weights is not None
        and spec.weights.id.lower() == model_id.strip().lower()
        and spec.weights.revision == revision
        and spec.weights.path is None
        and spec.generator is None
        and spec.training is None
        and spec.variant_of is None
    ]
    return hits[0] if len(hits) == 1 else None
