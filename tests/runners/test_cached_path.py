"""The cached path stays light (issue 22, part 5): a dense re-run whose vectors are all cached, in a new process,
never imports torch, transformers, sentence-transformers, onnxruntime or the JVM (it has nothing to compute with them):
the fp32 reference and its ONNX variant."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clihelp import bench

ROOT = Path(__file__).resolve().parents[2]
SPECS = [ROOT / "models" / "all-minilm-l6-v2.yaml", ROOT / "models" / "all-minilm-l6-v2-onnx.yaml"]
HEAVY = ("torch", "transformers", "sentence_transformers", "jpype", "pyserini", "onnxruntime", "onnx")

# `bench run` as the console script runs it, then the top-level packages of the heavy libraries it left in sys.modules
_WRAPPER = (
    "import json, sys\n"
    "from bench.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "heavy = sorted({m.split('.')[0] for m in sys.modules} & set(json.loads('{heavy}')))\n"
    "print('HEAVY ' + json.dumps(heavy), file=sys.stderr)\n"
    "sys.exit(code)\n"
)


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_cached_dense_rerun_in_a_new_process_imports_no_torch(spec: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "results.duckdb"
    first = bench(capsys, "run", spec, "-d", "adi", "--db", db, "--json")  # fills this session's embedding cache
    assert first.code == 0, first.err
    code = _WRAPPER.replace("{heavy}", json.dumps(list(HEAVY)))
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(
        [sys.executable, "-c", code, "run", str(spec), "-d", "adi", "--db", str(db), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    heavy = json.loads(next(line for line in done.stderr.splitlines() if line.startswith("HEAVY "))[6:])
    assert heavy == [], f"a cached re-run imported {heavy}"
    again = json.loads(done.stdout.splitlines()[-1])
    assert again["cost"]["corpus_cached"] and again["cost"]["queries_cached"]
    assert again["metrics"]["nDCG@10"] == json.loads(first.out.splitlines()[-1])["metrics"]["nDCG@10"]
