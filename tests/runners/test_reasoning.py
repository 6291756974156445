"""The reasoning runner: spec checks, the no-thought ablation against the dense runner, thoughts, cost, resume after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from bench.datasets import resolve_dataset
from bench.datasets.beir import Dataset
from bench.errors import SpecError
from bench.execute import execute_run
from bench.runners.base import Progress, make_runner
from bench.runners.reasoning import ReasoningRunner
from bench.runners.thought_cache import ThoughtCache
from bench.specs import load_spec
from bench.store.db import open_read_only
from bench.store.thoughts import run_thoughts
from tests.clihelp import bench
from tests.conftest import ROOT
from tests.runners.conftest import reply

THINK = ROOT / "models" / "o1-smollm2-minilm.yaml"
NOTHINK = ROOT / "models" / "o1-smollm2-minilm-nothink.yaml"
DENSE = ROOT / "models" / "all-minilm-l6-v2.yaml"
QUERIES = 6


def _spec_text(path: Path, **params: object) -> str:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.pop("expected", None)
    data["name"] = f"test-{data['name']}"  # a local spec may not write under the reference spec's name
    data["params"] = {**data["params"], **params}
    return yaml.safe_dump(data, sort_keys=False)


def _write_spec(tmp: Path, name: str, **params: object) -> Path:
    path = tmp / f"{name}.yaml"
    path.write_text(_spec_text(THINK, **params), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def adi6(tmp_path_factory: pytest.TempPathFactory, data_root: Path) -> Dataset:
    """ADI's corpus with its first six judged queries (a real collection, small enough to generate for in seconds)."""
    folder = tmp_path_factory.mktemp("adi6") / "adi6"
    (folder / "qrels").mkdir(parents=True)
    src = data_root / "adi"
    (folder / "corpus.jsonl").write_bytes((src / "corpus.jsonl").read_bytes())
    queries = [json.loads(line) for line in (src / "queries.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()][:QUERIES]
    (folder / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries), encoding="utf-8")
    ids = {q["_id"] for q in queries}
    lines = (src / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()
    (folder / "qrels" / "test.tsv").write_text(
        "\n".join([lines[0], *(x for x in lines[1:] if x.split("\t")[0] in ids)]) + "\n", encoding="utf-8"
    )
    return resolve_dataset(str(folder))


@pytest.mark.parametrize(
    ("params", "generator", "match"),
    [
        ({"thoughts": 2}, True, r"params.thoughts: greedy decoding writes the same thought every time"),
        ({"thoughts": 1}, False, r"generator: params.thoughts > 0 needs a generator"),
        ({"prompt": "no placeholder"}, True, r"params.prompt: .*must contain \{query\}"),
        ({"join": "{query}"}, True, r"params.join: .*must contain \{thought\}"),
        ({"decoding": {"mode": "beam"}}, True, r"params.decoding.mode"),
        ({"endpoint": {"url": "ftp://x"}}, True, r"params.endpoint.url"),
    ],
)
def test_spec_problems_name_the_line_and_field(tmp_path: Path, params: dict, generator: bool, match: str) -> None:
    data = yaml.safe_load(_spec_text(THINK, **params))
    if not generator:
        data.pop("generator")
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(SpecError, match=match) as e:
        make_runner(load_spec(path), str(path))
    assert str(e.value).startswith(f"{path}:")


def test_a_thoughtless_spec_with_a_generator_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(_spec_text(THINK, thoughts=0), encoding="utf-8")
    with pytest.raises(SpecError, match=r"x.yaml:\d+: generator: params.thoughts is 0"):
        make_runner(load_spec(path), str(path))


def test_generator_is_part_of_the_spec_hash_and_specs_without_one_hash_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    think = load_spec(THINK)
    other = think.model_copy(update={"generator": think.generator.model_copy(update={"revision": "0" * 40})})
    assert other.spec_hash != think.spec_hash
    import bench.specs

    hashed: list[dict] = []
    real = bench.specs.json_sha256
    monkeypatch.setattr(bench.specs, "json_sha256", lambda obj: hashed.append(obj) or real(obj))
    load_spec(DENSE).spec_hash  # noqa: B018  (the property computes the hash)
    think.spec_hash  # noqa: B018
    assert "generator" not in hashed[0]  # a spec without a generator hashes as before the field existed
    assert hashed[1]["generator"]["sha256"] == think.generator.sha256


def test_nothink_ablation_ranks_exactly_as_the_dense_spec_and_shares_its_corpus_vectors() -> None:
    ds = resolve_dataset("adi")
    _, dense, dense_eval = execute_run(load_spec(DENSE), ds, None, spec_path=DENSE)
    _, plain, plain_eval = execute_run(load_spec(NOTHINK), ds, None, spec_path=NOTHINK)
    assert plain.cost["corpus_cached"] is True  # the same embedding cache key as the dense spec
    assert plain.run.results == dense.run.results
    assert plain_eval.aggregate == dense_eval.aggregate
    assert plain.thoughts == () and plain.cost["thinking_tokens"] == 0


@pytest.mark.slow
def test_thoughts_are_generated_cached_recorded_and_costed(adi6: Dataset, tmp_path: Path) -> None:
    path = _write_spec(tmp_path, "think8", decoding={"mode": "greedy", "max_new_tokens": 8}, generation_batch_size=3)
    spec = load_spec(path)
    runner = make_runner(spec, str(path))
    assert isinstance(runner, ReasoningRunner)
    queries = adi6.judged_queries()
    out = runner.retrieve(adi6, queries, Progress())
    assert [t.query_id for t in out.thoughts] == [q.id for q in queries] and {t.sample for t in out.thoughts} == {0}
    assert all(t.text and 0 < t.tokens <= 8 and t.seconds > 0 and t.query for t in out.thoughts)
    assert out.generator_hash == spec.generator.sha256 and out.cost["generator_sha256"] == spec.generator.sha256
    assert out.cost["thinking_tokens"] == sum(t.tokens for t in out.thoughts)
    assert out.cost["thoughts_generated_queries"] == QUERIES and out.cost["thoughts_cached_queries"] == 0
    assert out.cost["generation_tokens_per_s"] > 0 and out.cost["thinking_latency_ms"] > 0
    assert out.cost["query_latency_ms"] > out.cost["thinking_latency_ms"]
    assert out.cost["sample_thoughts"][0] == {"qid": out.thoughts[0].query_id, "thought": out.thoughts[0].text}

    again = make_runner(spec, str(path))
    second = again.retrieve(adi6, queries, Progress())
    assert again._generator is None  # every thought came from the cache: the generator was never loaded
    assert second.cost["thoughts_generated_queries"] == 0 and second.cost["thoughts_cached_queries"] == QUERIES
    assert second.thoughts == out.thoughts and second.run.results == out.run.results

    with_query = make_runner(
        load_spec(_write_spec(tmp_path, "think8q", decoding={"mode": "greedy", "max_new_tokens": 8}, include_query=True))
    )
    mixed = with_query.retrieve(adi6, queries, Progress())
    assert with_query._generator is None and mixed.thoughts == out.thoughts  # same thoughts, other aggregation
    assert mixed.run.results != out.run.results

    replay = make_runner(load_spec(_write_spec(tmp_path, "think8r", decoding={"mode": "greedy", "max_new_tokens": 8})))
    replay.replay = {q.id: [t for t in out.thoughts if t.query_id == q.id] for q in queries}
    replayed = replay.retrieve(adi6, queries, Progress())
    assert replayed.cost["thoughts_mode"] == "replayed" and replayed.run.results == out.run.results


_CHILD = """
import sys
from bench.datasets import resolve_dataset
from bench.execute import execute_run
from bench.specs import load_spec
from pathlib import Path
execute_run(load_spec(Path(sys.argv[1])), resolve_dataset(sys.argv[2]), None, spec_path=Path(sys.argv[1]))
"""


@pytest.mark.slow
def test_a_run_killed_half_way_through_generation_regenerates_only_the_missing_thoughts(adi6: Dataset, tmp_path: Path) -> None:
    # one prompt per generation call, so each query's thought is published on its own; another max_new_tokens than the
    # other tests, so no thought of this spec is cached yet
    path = _write_spec(tmp_path, "killed", decoding={"mode": "greedy", "max_new_tokens": 6}, generation_batch_size=1)
    spec = load_spec(path)
    cache = ThoughtCache()
    before = set(cache.keys())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path), str(adi6.path)], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    try:
        while len(set(cache.keys()) - before) < 2:
            assert child.poll() is None, "the run finished or failed before it could be killed"
            assert time.monotonic() < deadline, "no thoughts were cached within 10 minutes"
            time.sleep(0.2)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    done = len(set(cache.keys()) - before)
    assert 2 <= done < QUERIES, "killed half-way: some thoughts cached, not all"

    runner = make_runner(spec, str(path))
    out = runner.retrieve(adi6, adi6.judged_queries(), Progress())
    assert out.cost["thoughts_cached_queries"] == done
    assert out.cost["thoughts_generated_queries"] == QUERIES - done
    assert len(set(cache.keys()) - before) == QUERIES
    assert len(out.thoughts) == QUERIES and np.isfinite(list(out.cost.values())[4])


def test_an_openai_compatible_endpoint_writes_the_thoughts(adi6: Dataset, tmp_path: Path, scripted) -> None:
    url, handler = scripted
    path = _write_spec(tmp_path, "remote", endpoint={"url": url, "model": "smol", "concurrency": 2, "retries": 0})
    runner = make_runner(load_spec(path), str(path))
    out = runner.retrieve(adi6, adi6.judged_queries(), Progress())
    assert len(handler.seen) == QUERIES and {s["body"]["model"] for s in handler.seen} == {"smol"}
    assert {t.text for t in out.thoughts} == {"ok"} and out.cost["generator_source"] == f"endpoint:{url}"
    assert out.cost["thoughts_generated_queries"] == QUERIES
    again = make_runner(load_spec(path), str(path)).retrieve(adi6, adi6.judged_queries(), Progress())
    assert len(handler.seen) == QUERIES and again.cost["thoughts_cached_queries"] == QUERIES  # no second request


def test_a_recorded_run_keeps_its_thoughts_in_the_same_transaction(adi6: Dataset, tmp_path: Path, scripted, db_path: Path, capsys) -> None:
    url, handler = scripted
    handler.script = [(200, reply(f"thought number {i}", 4 + i)) for i in range(QUERIES)]
    path = _write_spec(tmp_path, "recorded", endpoint={"url": url, "concurrency": 1, "retries": 0})
    summary, out, _ = execute_run(load_spec(path), adi6, db_path, spec_path=path)
    with open_read_only(db_path) as con:
        assert run_thoughts(con, summary.run_id) == sorted(out.thoughts, key=lambda t: (t.query_id, t.sample))
        (cost,) = con.execute("SELECT cost FROM runs WHERE run_id = ?", [summary.run_id]).fetchone()
    assert json.loads(cost)["thinking_tokens"] == sum(t.tokens for t in out.thoughts) == sum(4 + i for i in range(QUERIES))
    first = out.thoughts[0]
    shown = bench(capsys, "thoughts", "show", "--run", summary.run_id, "--query", first.query_id, "--db", db_path)
    assert shown.code == 0 and first.text in shown.out and first.query[:40] in shown.out.replace("\n", " ")
