"""Training-stage caches: the embedding cache's code (atomic publish, checksums, damaged = miss), one root per stage.

Each stage's entry lives under ``<bench cache>/training/<stage>/<key>/``; the key is a hash of the
stage's inputs (the previous stage's key, the part of the recipe it reads, the content hashes of the
collections and of the specs and weights it runs), so a changed recipe re-runs exactly the stages
whose inputs changed. A trained model is stored as a folder inside its entry: the entry's meta keeps
the folder's fingerprint, and a folder that no longer matches it is a miss like any damaged array.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.errors import RunnerUnavailable
from bench.paths import cache_dir
from bench.runners.embedding_cache import CachedEmbeddings, EmbeddingCache, cache_key
from bench.weights import fingerprint

STAGES = ("generate", "mine", "teachers", "filter", "train")
STAGE_VERSION = 1
"""Bumped when a stage's algorithm changes, so old entries stop matching."""
MODEL_FOLDER = "model"


def stage_cache(stage: str, root: Path | None = None) -> EmbeddingCache:
    """The cache of one stage (``root`` defaults to ``<bench cache>/training``)."""
    if stage not in STAGES:
        raise ValueError(f"unknown training stage {stage!r}; one of {', '.join(STAGES)}")
    return EmbeddingCache((root or cache_dir() / "training") / stage, kind=f"training:{stage}")


def stage_key(stage: str, parts: dict[str, Any], kernels: str) -> str:
    """Key of a stage entry: its inputs, the kernels it is computed with, the stage version and the library versions.

    ``kernels`` is the pin the stage runs under (:data:`bench.kernels.PIN_NAME` for ``bench train``) or ``default``:
    an entry computed with one set of kernels never stands in for another (see :func:`cache_key`).
    """
    return cache_key({"training_stage": stage, "stage_version": STAGE_VERSION, "kernels": kernels, **parts})


def model_folder(entry: CachedEmbeddings) -> Path | None:
    """The trained model folder of a ``train`` entry, or None when it is missing or no longer matches its fingerprint."""
    folder = entry.path / MODEL_FOLDER
    expected = entry.meta.get("model_files_sha256")
    if not folder.is_dir() or not expected:
        return None
    try:
        _, every, _ = fingerprint(folder)
    except (OSError, ValueError, RunnerUnavailable):  # RunnerUnavailable: no weight files left in the folder
        return None
    return folder if every == expected else None


def entry_sha256(entry: CachedEmbeddings) -> str:
    """The content hash of a stage entry: its row ids, arrays and documents (as checksummed in its meta), not its key."""
    from bench.provenance import combine_hashes

    parts = {f"array:{name}": info["sha256"] for name, info in entry.meta.get("arrays", {}).items()}
    parts.update({f"document:{name}": sha for name, sha in entry.meta.get("documents", {}).items()})
    parts["ids"] = str(entry.meta.get("ids_sha256"))
    return combine_hashes(parts)
