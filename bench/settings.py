"""Every ``BENCH_*`` environment variable brewbench reads, validated in one place.

A variable that is set must make sense, else a one-line error names it, says what it holds and what is allowed:

- folders (``BENCH_HOME``, ``BENCH_CACHE``, ``BENCH_DATA_DIR``, ``BENCH_INBOX``): not empty, ``~`` expanded (a
  ``~`` that names no known user is refused rather than becoming a folder called ``~``), not an existing file;
- a file (``BENCH_DB``): not empty, ``~`` expanded, not an existing folder;
- a search path (``BENCH_DATA_PATH``): ``os.pathsep``-separated folders, each as above (empty entries skipped);
- seconds (``BENCH_DB_LOCK_TIMEOUT``, ``BENCH_PROGRESS_INTERVAL``): a finite number in a stated range.

Unset variables take their documented defaults (:mod:`bench.paths`). Relative paths are allowed and made
absolute against the current folder when read.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from bench.errors import BenchError


class SettingsError(BenchError):
    """An environment variable holds a value brewbench cannot use."""

    exit_code = 2


def _raw(name: str, error: type[BenchError]) -> str | None:
    raw = os.environ.get(name)
    if raw is None:
        return None
    if not raw.strip():
        raise error(f"{name} is set but empty; unset it or give a value (see README, 'Environment')")
    return raw


def _path(name: str, raw: str, error: type[BenchError]) -> Path:
    if "\x00" in raw:
        raise error(f"{name}={raw!r} contains a NUL character; give a plain path")
    try:
        path = Path(raw).expanduser()
    except RuntimeError:  # ~user of no known user (or no home folder at all)
        path = Path(raw)
    if path.parts and path.parts[0].startswith("~"):
        raise error(f"{name}={raw}: '{path.parts[0]}' names no user of this machine; write the path out in full")
    return path if path.is_absolute() else Path.cwd() / path


def env_folder(name: str, default: Path, error: type[BenchError] = SettingsError) -> Path:
    """The folder named by ``name`` (need not exist yet), or ``default`` when it is unset.

    Raises:
        error: the value is empty, names an unknown ``~user``, or is an existing file.
    """
    raw = _raw(name, error)
    if raw is None:
        return default
    path = _path(name, raw, error)
    if path.exists() and not path.is_dir():
        raise error(f"{name}={raw} is a file, not a folder; point it at a folder (it is created when needed)")
    return path


def env_file(name: str, default: Path, error: type[BenchError] = SettingsError) -> Path:
    """The file named by ``name`` (need not exist yet), or ``default`` when it is unset.

    Raises:
        error: the value is empty, names an unknown ``~user``, or is an existing folder.
    """
    raw = _raw(name, error)
    if raw is None:
        return default
    path = _path(name, raw, error)
    if path.is_dir():
        raise error(f"{name}={raw} is a folder, not a file; give a file path such as {path / 'results.duckdb'}")
    return path


def env_folders(name: str, error: type[BenchError] = SettingsError) -> list[Path]:
    """The folders of an ``os.pathsep``-separated search path (empty when unset; empty entries are skipped).

    Raises:
        error: the value is empty or blank, or an entry names an unknown ``~user`` or an existing file.
    """
    raw = _raw(name, error)
    if raw is None:
        return []
    out = []
    for entry in (e for e in raw.split(os.pathsep) if e.strip()):
        path = _path(name, entry, error)
        if path.exists() and not path.is_dir():
            raise error(f"{name}: entry {entry} is a file, not a folder; list folders separated by '{os.pathsep}'")
        out.append(path)
    return out


def env_seconds(name: str, default: float, low: float, high: float, error: type[BenchError] = SettingsError) -> float:
    """A duration in seconds, ``low <= value <= high``, or ``default`` when unset.

    Raises:
        error: the value is not a finite number or is out of range.
    """
    raw = _raw(name, error)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        raise error(f"{name}={raw!r} is not a number of seconds from {low:g} to {high:g}; set e.g. {name}={default:g}, or unset it")
    return value
