"""Scratch folders beside cache entries (``.build-*`` Lucene builds, ``.tmp-*`` embedding and thought entries):
named after the process that owns them, and cleaned at the next start once that process is gone.

A scratch folder is ``<prefix>o<host>.<pid>.<start>-<rest>``: ``host`` is 8 hex digits of the machine's name,
``pid`` the owner's process id and ``start`` its start time (Linux ``/proc/<pid>/stat``; 0 where unknown), so a pid
the system has since given to another process does not look like the owner. :func:`clean_scratch` removes a folder

* named after a process of this machine that is no longer running (a killed ``bench run``): at once;
* without an owner in its name (written by an older brewbench) or named after another machine (a shared cache):
  only when nothing in it changed for :data:`STALE_S` seconds.

It never removes a folder of a live process: a concurrent run's build, however long it takes, is left alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

STALE_S = 3600.0
"""A scratch folder without a known owner is removed when nothing in it changed for this long."""
_OWNER = re.compile(r"^o(?P<host>[0-9a-f]{8})\.(?P<pid>[0-9]{1,10})\.(?P<start>[0-9]{1,20})-")
_MAX_WALK = 100_000


@lru_cache(maxsize=1)
def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def _start_time(pid: int) -> int | None:
    """The start time of process ``pid`` (clock ticks after boot, Linux), or None where it cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    try:
        return int(stat.rsplit(")", 1)[1].split()[19])
    except (IndexError, ValueError):
        return None


def owner_tag() -> str:
    """``o<host>.<pid>.<start>``: this process, as the owner of the scratch folders it makes."""
    pid = os.getpid()
    return f"o{_host()}.{pid}.{_start_time(pid) or 0}"


def make_scratch(root: Path, prefix: str, label: str = "") -> Path:
    """A new scratch folder in ``root`` named ``<prefix><owner tag>-[<label>-]<random>`` (``prefix``: e.g. ``.build-``)."""
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{owner_tag()}-{label + '-' if label else ''}", dir=root))


def _alive(pid: int, start: int) -> bool:
    """Whether process ``pid`` of this machine is running and is the one that started at ``start`` (0: unknown)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        pass
    except OSError:
        return True  # cannot tell: keep the folder
    now = _start_time(pid)
    return start == 0 or now is None or now == start


def _last_change(folder: Path) -> float:
    """The newest modification time of ``folder`` and anything in it (a live writer keeps touching it)."""
    newest = folder.lstat().st_mtime
    seen = 0
    for base, dirs, files in os.walk(folder, followlinks=False):
        for name in (*dirs, *files):
            seen += 1
            if seen > _MAX_WALK:
                return time.time()  # too big to tell: treat as changed now (kept)
            with contextlib.suppress(OSError):
                newest = max(newest, os.lstat(os.path.join(base, name)).st_mtime)
    return newest


def is_abandoned(folder: Path, prefix: str, *, now: float | None = None, stale_s: float = STALE_S) -> bool:
    """Whether scratch folder ``folder`` (named ``prefix...``) belongs to nobody any more (see the module docstring)."""
    m = _OWNER.match(folder.name[len(prefix) :])
    if m is not None and m["host"] == _host():
        return not _alive(int(m["pid"]), int(m["start"]))
    try:
        return (now if now is not None else time.time()) - _last_change(folder) > stale_s
    except OSError:
        return False


def clean_scratch(root: Path, prefixes: Iterable[str], *, stale_s: float = STALE_S) -> list[Path]:
    """Remove the abandoned scratch folders directly under ``root`` whose names start with one of ``prefixes``.

    Safe beside concurrent runs: a folder of a live process is never touched, and two cleaners removing the same
    folder are harmless. Returns the folders removed.
    """
    removed: list[Path] = []
    try:
        children = list(root.iterdir())
    except OSError:
        return removed
    now = time.time()
    for p in children:
        prefix = next((x for x in prefixes if p.name.startswith(x)), None)
        if prefix is None or p.is_symlink() or not p.is_dir():
            continue
        if is_abandoned(p, prefix, now=now, stale_s=stale_s):
            shutil.rmtree(p, ignore_errors=True)
            if not p.exists():
                removed.append(p)
    return removed
