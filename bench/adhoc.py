"""A spec synthesised from the command line (``bench run -m MODEL``): any model without writing YAML.

``MODEL`` is a Hugging Face id (resolved as ``weights.id`` is: an installed package that carries it first, then the
Hugging Face cache or Hub) or a local model folder. The runner kind defaults from the folder (a sentence-transformers
folder is ``dense``; one whose modules hold a SPLADE head is ``splade``), and is ``dense`` for a Hub id that is not on
disk yet (as sentence-transformers and mteb load one; ``--kind splade`` otherwise); runner parameters come from options. The
synthesised spec is pinned (revision and the weights' sha256), parsed and validated exactly like a file, hashed like
any other spec and recorded with provenance ``local``; :func:`spec_yaml` writes it so that the run can be repeated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from bench.errors import SpecError
from bench.specs import ModelSpec, parse_spec
from bench.weights import PACKAGED, fingerprint

KIND_FAMILY = {"dense": "dense", "splade": "learned-sparse"}
"""Runner kinds a bare model can be run with, and the family each belongs to."""
_SPARSE_MARKERS = ("sparse_encoder", "SpladePooling", "SparseStaticEmbedding", "MLMTransformer")


def model_name(model: str) -> str:
    """A brewbench model name for a Hugging Face id or folder: ``org/Model-X`` -> ``org__model-x`` (at most 64 characters)."""
    raw = Path(model).name if Path(model).expanduser().is_dir() else model.replace("/", "__")
    slug = re.sub(r"[^a-z0-9._-]+", "-", raw.lower()).strip("-._")
    return (slug or "model")[:64].rstrip("-._")


def detect_kind(folder: Path) -> str:
    """``dense`` or ``splade`` from a model folder's sentence-transformers files; SpecError when it cannot tell."""
    modules = folder / "modules.json"
    if modules.is_file():
        try:
            text = modules.read_text(encoding="utf-8")
            json.loads(text)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise SpecError(f"{modules}: unreadable ({e}); pass --kind dense or --kind splade") from None
        return "splade" if any(m in text for m in _SPARSE_MARKERS) else "dense"
    if (folder / "config_sentence_transformers.json").is_file():
        return "dense"
    if _masked_lm(folder / "config.json"):
        return "splade"  # a bare masked-LM folder: sentence-transformers' SparseEncoder adds SPLADE pooling to it
    raise SpecError(f"{folder}: not a sentence-transformers folder (no modules.json); pass --kind dense or --kind splade")


def _masked_lm(config: Path) -> bool:
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    archs = data.get("architectures") if isinstance(data, dict) else None
    return isinstance(archs, list) and any(isinstance(a, str) and a.endswith("ForMaskedLM") for a in archs)


def _local_folder(model: str) -> tuple[Path | None, str]:
    """(folder, where) of a model: a folder given by path, an installed package's copy, or None (left to the Hub cache)."""
    path = Path(model).expanduser()
    if path.is_dir():
        return path.resolve(), "path"
    if model.startswith((".", "/", "~")):
        raise SpecError(f"{model}: no such model folder; give a folder holding a sentence-transformers model, or a Hugging Face id")
    packaged = PACKAGED.get(model)
    found = packaged.locate() if packaged else None
    return found, "package" if found else "hub"


def synthesize(
    model: str,
    *,
    kind: str | None = None,
    name: str | None = None,
    revision: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> tuple[ModelSpec, str]:
    """The spec ``bench run -m MODEL`` runs, and its YAML text (what ``--save-spec`` writes).

    Raises:
        SpecError: unknown kind, a folder whose kind cannot be told, or parameters the runner refuses (``field: problem``).
    """
    folder, where = _local_folder(model)
    if kind is None:  # a Hub id not on disk runs dense, as sentence-transformers and mteb load one; --kind splade otherwise
        kind = detect_kind(folder) if folder is not None else "dense"
    if kind not in KIND_FAMILY:
        raise SpecError(f"--kind {kind}: a model given with -m runs as one of {', '.join(KIND_FAMILY)}; write a spec for other kinds")
    weights: dict[str, Any]
    if where == "path":
        assert folder is not None
        weights = {"id": f"local/{folder.name}", "revision": revision or "local", "path": str(folder), "sha256": fingerprint(folder)[0]}
    else:
        from bench.weights import PACKAGED

        known = PACKAGED[model].revisions if model in PACKAGED else ()
        weights = {"id": model, "revision": revision or (known[0] if known else "main")}  # a packaged copy's own revision
        if folder is not None:
            weights["sha256"] = fingerprint(folder)[0]  # the packaged copy pins the content
    data = {
        "name": name or model_name(model),
        "family": KIND_FAMILY[kind],
        "kind": kind,
        "description": f"{model} run with `bench run -m` ({kind})",
        "weights": weights,
        "params": dict(params or {}),
    }
    text = "# Synthesised by `bench run -m`; `bench run THIS_FILE -d ...` repeats the run (same spec hash).\n" + yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, width=1000
    )
    return parse_spec(text, "<bench run -m>"), text


def parse_param(text: str) -> tuple[str, Any]:
    """``key=value`` from ``--param``; the value is read as a YAML scalar (``0.9`` a number, ``true`` a bool, else text)."""
    key, sep, raw = text.partition("=")
    if not sep or not re.fullmatch(r"[a-z_][a-z0-9_]*", key):
        raise SpecError(f"--param {text!r}: write key=value with a runner parameter name, e.g. --param batch_size=64")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    if isinstance(value, (dict, list)) or value is None:
        value = raw
    return key, value


def _effective_params(kind: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
    """``params`` with the runner's defaults filled in (what the runner actually uses), or None if the runner refuses them."""
    from pydantic import ValidationError

    from bench.errors import BenchError
    from bench.runners.base import runner_class

    try:
        return runner_class(kind).Params.model_validate(dict(params)).model_dump(mode="json")
    except (BenchError, ValidationError):
        return None


def reference_twin(spec: ModelSpec) -> tuple[Path, ModelSpec] | None:
    """The reference spec (``models/*.yaml`` as committed) that runs exactly what the synthesised ``spec`` runs, or None.

    The same runner kind, the same Hugging Face id (case aside, as the Hub compares them) at the same revision, the
    same weights sha256 where both pin one, and the same parameters once the runner's defaults are filled in
    (``-m ID`` with no options equals a spec that writes every default out). ``bench run -m`` then runs *as* that
    spec: its name, its spec hash, provenance ``reference``. Another revision, another parameter, or a local folder
    is another model: no twin.
    """
    from bench.identity import reference_specs

    w = spec.weights
    if w is None or w.path is not None or spec.generator is not None or spec.training is not None:
        return None
    mine = _effective_params(spec.kind, spec.params)
    if mine is None:
        return None
    own_length = _own_max_length(w) if "max_length" in mine else None
    if mine.get("max_length", 0) is None:  # the model's own limit (sentence_bert_config.json), which is what runs
        mine["max_length"] = own_length
    for path, ref in reference_specs():
        rw = ref.weights
        if ref.kind != spec.kind or rw is None or rw.path is not None or ref.generator is not None or ref.training is not None:
            continue
        if rw.id.lower() != w.id.lower() or rw.revision != w.revision:
            continue
        if rw.sha256 and w.sha256 and rw.sha256 != w.sha256:
            continue
        theirs = _effective_params(ref.kind, ref.params)
        if theirs is not None and theirs.get("max_length", 0) is None:
            theirs["max_length"] = own_length
        if theirs == mine:
            return path, ref
    return None


def _own_max_length(w: Any) -> int | None:
    """The ``max_seq_length`` of the model folder weights ``w`` resolve to (what ``max_length: null`` means), if at hand."""
    from bench.errors import BenchError
    from bench.weights import resolve_weights

    try:
        folder = resolve_weights(w, "<bench run -m>").path
        data = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
    except (BenchError, OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    value = data.get("max_seq_length") if isinstance(data, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
