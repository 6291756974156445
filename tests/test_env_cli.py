"""`bench env`: shell lines that set JAVA_HOME and PATH to the Java 21 runtime bench uses, so that Pyserini's own tools
(``python -m pyserini.eval.trec_eval``) run from the venv; `eval "$(bench env)"` in bash."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clihelp import bench
from tests.conftest import ROOT


def test_the_printed_java_home_holds_a_java_21_binary(capsys: pytest.CaptureFixture[str]) -> None:
    r = bench(capsys, "env")
    assert r.code == 0, r.err
    exports = dict(line.removeprefix("export ").split("=", 1) for line in r.out.splitlines() if line.startswith("export "))
    home = Path(shlex.split(exports["JAVA_HOME"])[0])
    assert (home / "bin" / "java").is_file() and os.access(home / "bin" / "java", os.X_OK)
    assert exports["PATH"] == f'{shlex.quote(str(home / "bin"))}:"$PATH"'
    assert bench(capsys, "env", "--json").json()["java_version"].startswith("21.")


def test_eval_of_bench_env_lets_pyserini_trec_eval_run_in_the_venv(tmp_path: Path, data_root: Path) -> None:
    qrels = tmp_path / "adi.qrels"
    lines = (data_root / "adi" / "qrels" / "test.tsv").read_text().splitlines()[1:]
    qrels.write_text("".join(f"{q} 0 {d} {rel}\n" for q, d, rel in (line.split("\t") for line in lines)))
    run = tmp_path / "adi.trec"
    run.write_text("".join(f"{q} Q0 {d} 1 1.0 oracle\n" for q, d, rel in (line.split("\t") for line in lines) if int(rel) > 0))
    bench_cmd = f"{shlex.quote(sys.executable)} -m bench.cli"
    script = (
        f'eval "$({bench_cmd} env)" && java -version 2>&1 | head -1 && '
        f"{shlex.quote(sys.executable)} -m pyserini.eval.trec_eval -c -m recip_rank {qrels} {run}"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JAVA_HOME": "/nonexistent", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"21.' in done.stdout.splitlines()[0]
    assert any(line.split()[:3] == ["recip_rank", "all", "1.0000"] for line in done.stdout.splitlines()), done.stdout
