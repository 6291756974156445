"""Scratch folders left by killed processes are cleaned at the next start, never a live run's (issue 21, class 8, rest).

Real processes: one SIGKILLed after making its `.build-` / `.tmp-` folder (as a killed `bench run` leaves them), one
alive that holds its folder (a concurrent run), and the real Lucene build and embedding-cache writer that clean up.
Hostile leftovers: a dead owner's folder, an old one without an owner (an older brewbench), another machine's, a pid
the system has reused, a symlink into a folder of the user's, a plain file with the prefix.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.scratch import _host, clean_scratch, owner_tag
from tests.clihelp import bench
from tests.conftest import ROOT

MAKE_AND_DIE = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from bench.scratch import make_scratch
    work = make_scratch(Path(sys.argv[1]), sys.argv[2])
    (work / "half-written").write_bytes(b"x" * 1000)
    print(work, flush=True)
    if sys.argv[3] == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    sys.stdin.read()  # a live run: holds its folder until told to stop
    """
)


def _killed(root: Path, prefix: str) -> Path:
    p = subprocess.run([sys.executable, "-c", MAKE_AND_DIE, str(root), prefix, "die"], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == -signal.SIGKILL, p.stderr
    folder = Path(p.stdout.strip())
    assert folder.is_dir() and folder.name.startswith(prefix)
    return folder


Start = Callable[[Path, str], Path]


@pytest.fixture
def live() -> Iterator[Start]:
    """Start a running process that makes a scratch folder and holds it (a concurrent run); all stopped at the end."""
    procs: list[subprocess.Popen[str]] = []

    def start(root: Path, prefix: str) -> Path:
        p = subprocess.Popen(
            [sys.executable, "-c", MAKE_AND_DIE, str(root), prefix, "live"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(p)
        assert p.stdout is not None
        return Path(p.stdout.readline().strip())

    yield start
    for p in procs:
        p.kill()
        p.wait()


def _old(path: Path, seconds: float = 2 * 24 * 3600) -> Path:
    """Make every file of ``path`` look untouched for ``seconds`` (a long-running build can look like that too)."""
    then = time.time() - seconds
    for base, dirs, files in os.walk(path):
        for name in (*dirs, *files):
            os.utime(os.path.join(base, name), (then, then), follow_symlinks=False)
    os.utime(path, (then, then), follow_symlinks=False)
    return path


def test_clean_scratch_removes_only_what_nobody_owns(tmp_path: Path, live: Start) -> None:
    start = live
    root = tmp_path / "indexes"
    root.mkdir()
    dead = _killed(root, ".build-")
    alive = _old(start(root, ".build-"))  # a concurrent build, untouched for two days: still its owner's
    legacy_old = root / ".build-abc123"  # an older brewbench's name: no owner in it
    legacy_old.mkdir()
    _old(legacy_old)
    legacy_new = root / ".build-def456"
    legacy_new.mkdir()
    other_host = "0" * 8 if _host() != "0" * 8 else "1" * 8
    foreign_old = root / f".build-o{other_host}.4242.1-x"
    foreign_old.mkdir()
    _old(foreign_old)
    foreign_new = root / f".build-o{other_host}.4243.1-y"
    foreign_new.mkdir()
    tag = owner_tag()
    host, pid, start_time = tag[1:].split(".")
    assert int(start_time) > 0  # Linux: /proc gives the start time that tells a reused pid apart
    reused = root / f".build-o{host}.{pid}.{int(start_time) + 1}-z"  # our pid, another start time: a reused pid, owner dead
    reused.mkdir()
    mine = tmp_path / "my-notes"
    mine.mkdir()
    (mine / "keep.txt").write_text("mine\n")
    link = root / ".build-link"
    link.symlink_to(mine, target_is_directory=True)
    _old(mine)
    plain = root / ".build-file"
    plain.write_text("not a folder\n")
    entry = root / "bm25-flat-0123456789abcdef01234567"
    entry.mkdir()

    removed = set(clean_scratch(root, (".build-",)))
    assert removed == {dead, legacy_old, foreign_old, reused}
    for kept in (alive, legacy_new, foreign_new, link, plain, entry):
        assert kept.exists() or kept.is_symlink(), kept
    assert (alive / "half-written").stat().st_size == 1000  # the live run's data untouched
    assert (mine / "keep.txt").read_text() == "mine\n"


def test_the_embedding_cache_writer_cleans_a_killed_writer(tmp_path: Path, live: Start) -> None:
    import numpy as np

    from bench.runners.embedding_cache import EmbeddingCache

    start = live
    dead = _killed(tmp_path, ".tmp-")
    alive = start(tmp_path, ".tmp-")
    with EmbeddingCache(tmp_path).writer("k") as w:
        w.set_ids(["a", "b"])
        w.put("embeddings", np.ones((2, 4), dtype="float32"))
    assert not dead.exists() and alive.is_dir()
    assert EmbeddingCache(tmp_path).load("k") is not None


def test_a_bm25_run_cleans_what_a_killed_build_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, live: Start
) -> None:
    start = live
    cache = tmp_path / "cache"
    root = cache / "indexes"
    root.mkdir(parents=True)
    dead_build = _killed(root, ".build-")
    dead_discard = _killed(root, ".damaged-")
    concurrent = start(root, ".build-")
    monkeypatch.setenv("BENCH_CACHE", str(cache))
    r = bench(capsys, "run", ROOT / "models" / "bm25-flat.yaml", "-d", "adi", "--no-record")
    assert r.code == 0 and "Traceback" not in r.err, r.err
    assert not dead_build.exists() and not dead_discard.exists()
    assert concurrent.is_dir() and (concurrent / "half-written").is_file()
    assert [p.name for p in root.iterdir() if not p.name.startswith(".")]  # the index itself was built and kept
