"""Lucene BM25 through Pyserini on real collections: flat vs multifield, index reuse, parameter checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.datasets import resolve_dataset
from bench.errors import RunnerUnavailable, SpecError
from bench.execute import execute_run
from bench.paths import cache_dir
from bench.runners.base import make_runner, register_runner, runner_kinds
from bench.runners.lucene_index import MARKER, index_key, index_size
from bench.specs import load_spec, parse_spec
from tests.conftest import ROOT


def test_flat_run_reuses_its_index_the_second_time() -> None:
    spec = load_spec(ROOT / "models" / "bm25-flat.yaml")
    ds = resolve_dataset("time")
    first, out1, _ = execute_run(spec, ds, db=None)
    second, out2, _ = execute_run(spec, ds, db=None)
    assert out2.cost["index_reused"] is True
    assert out2.run.results == out1.run.results
    assert first.metrics == second.metrics
    assert out1.cost["index_bytes"] > 0
    assert len(out1.run) == 83 and all(len(v) <= 1000 for v in out1.run.results.values())


def test_multifield_differs_from_flat_and_uses_its_own_index() -> None:
    ds = resolve_dataset("cacm")  # cacm has titles (and mostly empty text): the field split matters
    specs = {name: load_spec(ROOT / "models" / f"bm25-{name}.yaml") for name in ("flat", "multifield")}
    flat, flat_out, _ = execute_run(specs["flat"], ds, db=None)
    multi, out, _ = execute_run(specs["multifield"], ds, db=None)
    assert multi.metrics["nDCG@10"] != flat.metrics["nDCG@10"]
    # each spec has its own cache entry, and each run's cost measures the index it searched
    indexes = {}
    for name, spec in specs.items():
        config, _ = make_runner(spec)._index_args()
        indexes[name] = cache_dir() / "indexes" / f"{config['name']}-{index_key(ds.corpus_hash, config)}"
        assert (indexes[name] / MARKER).is_file(), f"no complete {name} index at {indexes[name]}"
    assert indexes["flat"] != indexes["multifield"]
    assert (flat_out.cost["index_bytes"], out.cost["index_bytes"]) == (index_size(indexes["flat"]), index_size(indexes["multifield"]))


def test_parameters_change_the_ranking() -> None:
    ds = resolve_dataset("med")
    base = load_spec(ROOT / "models" / "bm25-flat.yaml")
    other = base.model_copy(update={"params": {**base.params, "k1": 1.2, "b": 0.75, "hits": 10}})
    a = execute_run(base, ds, db=None)[1].run
    b = execute_run(other, ds, db=None)[1].run
    assert all(len(v) == 10 for v in b.results.values())
    assert a.results != b.results


def test_bad_params_name_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nfamily: lexical\nkind: lucene-bm25\nparams:\n  k1: 0.9\n  bb: 0.4\n")
    with pytest.raises(SpecError, match=r"bad.yaml:6: params.bb: unknown parameter"):
        make_runner(load_spec(path), str(path))
    path.write_text("name: bad\nfamily: lexical\nkind: lucene-bm25\nparams:\n  k1: -1\n")
    with pytest.raises(SpecError, match=r"bad.yaml:5: params.k1"):
        make_runner(load_spec(path), str(path))


def test_registry_refuses_unknown_and_duplicate_kinds() -> None:
    assert "lucene-bm25" in runner_kinds()
    with pytest.raises(RunnerUnavailable, match="unknown runner kind 'nope'"):
        make_runner(parse_spec("name: x\nfamily: dense\nkind: nope\n"))
    with pytest.raises(RunnerUnavailable, match="already registered"):
        register_runner("lucene-bm25", "somewhere:Else")
