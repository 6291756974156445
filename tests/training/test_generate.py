"""The generate stage (GPL-style queries) on three ADI documents: cached, logged, replayable; and the evaluation-data refusals.

The packaged SmolLM2 writes one query (at most 8 tokens) per sampled document; the stage's later runs and a
replay of its log never load it (:data:`bench.training.generate.LOADS`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.datasets import resolve_dataset
from bench.errors import SpecError
from bench.evaluation.overview import trained_on, zero_shot
from bench.specs import ModelSpec, load_spec
from bench.store.db import open_writer
from bench.store.training import record_training_card, training_cards
from bench.training import generate
from bench.training.cache import entry_sha256, stage_cache
from bench.training.pipeline import mined_candidates, plan, train_recipe
from bench.training.recipe import load_recipe
from tests.conftest import ROOT

MODELS = ROOT / "models"
MINILM = {"id": "sentence-transformers/all-MiniLM-L6-v2", "revision": "8b3219a92973c328a8e22fadcfa821b5dc75636a"}


def gen_spec(queries: dict[str, Any] | None = None, **training: Any) -> dict[str, Any]:
    recipe = {
        "base": MINILM,
        "queries": {
            "source": "generated",
            "corpora": ["adi"],
            "docs": 3,
            "seed": 7,
            "decoding": {"mode": "greedy", "max_new_tokens": 8},
            "doc_chars": 200,
            "log": "queries.jsonl",
            **(queries or {}),
        },
        "evaluation_data": "corpus",
        "positives_per_query": 1,
        "candidates": {"sources": [str(MODELS / "bm25-flat.yaml")], "depth": 5},
        "teachers": {"runners": [{"spec": str(MODELS / "bm25-flat.yaml")}]},
        "negatives": 2,
        "batch_size": 2,
        "max_steps": 1,
        "max_length": 16,
        **training,
    }
    return {
        "name": "softlabel-gen-test",
        "family": "soft-label",
        "kind": "dense",
        "weights": {"id": "brewbench/softlabel-gen-test", "revision": "trained-here"},
        "params": {"max_length": 64},
        "training_datasets": ["msmarco", "adi:corpus"],
        "training": recipe,
    }


def write_spec(folder: Path, data: dict[str, Any], name: str = "gen.yaml") -> tuple[ModelSpec, str]:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_spec(path), str(path)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("gen")
    spec, source = write_spec(folder, gen_spec())
    loads = generate.LOADS
    p, collections, stages, candidates = mined_candidates(spec, source, cache_root=folder / "cache")
    return {
        "folder": folder,
        "plan": p,
        "collections": collections,
        "stages": stages,
        "candidates": candidates,
        "loads": generate.LOADS - loads,
        "source": source,
        "spec": spec,
    }


def test_generate_runs_once_then_is_cached(generated: dict[str, Any]) -> None:
    assert generated["stages"]["generate"] == "ran" and generated["loads"] == 1
    (coll,) = generated["collections"]
    assert coll.name == "adi:generated" and len(coll.queries) == 3
    assert all(q.text for q in coll.queries)
    for q in coll.queries:  # the positive is the source document, and it is among the mined candidates' universe
        assert list(coll.qrels[q.id]) == [q.id.split("#")[0]]
    before = generate.LOADS
    _, _, stages, candidates = mined_candidates(generated["spec"], generated["source"], cache_root=generated["folder"] / "cache")
    assert stages["generate"] == "cached" and stages["mine"] == "cached"
    assert before == generate.LOADS  # the second run never builds the generator
    assert candidates == generated["candidates"]


def test_generate_logs_every_query(generated: dict[str, Any]) -> None:
    lines = [json.loads(x) for x in (generated["folder"] / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
    adi = resolve_dataset("adi")
    assert len(lines) == 3
    ids = adi.corpus_ids()
    for r in lines:
        assert set(generate.LOG_FIELDS) <= set(r)
        assert r["corpus"] == "adi" and r["corpus_sha256"] == adi.corpus_hash and r["doc_id"] in ids
        assert r["generator"]["gguf_file"].endswith(".gguf") and "{document}" not in r["prompt"]
    assert sorted(r["query"] for r in lines) == sorted(q.text for q in generated["collections"][0].queries)


def test_replay_gives_the_same_queries_and_mined_set_without_the_generator(generated: dict[str, Any]) -> None:
    folder = generated["folder"]
    spec, source = write_spec(folder, gen_spec({"log": None, "replay": "queries.jsonl"}), "replay.yaml")
    before = generate.LOADS
    p, collections, stages, candidates = mined_candidates(spec, source, cache_root=folder / "cache-replay")
    assert before == generate.LOADS and stages["generate"] == "replayed" and stages["mine"] == "ran"
    assert p.keys["generate"] == generated["plan"].keys["generate"] and p.keys["mine"] == generated["plan"].keys["mine"]
    assert collections[0].queries == generated["collections"][0].queries
    assert candidates == generated["candidates"]
    first = stage_cache("mine", folder / "cache").load(p.keys["mine"])
    again = stage_cache("mine", folder / "cache-replay").load(p.keys["mine"])
    assert first is not None and again is not None and entry_sha256(first) == entry_sha256(again)


def test_the_student_trains_on_generated_queries_and_its_card_names_the_corpus(generated: dict[str, Any], tmp_path: Path) -> None:
    before = generate.LOADS
    r = train_recipe(generated["spec"], generated["source"], cache_root=generated["folder"] / "cache", pin=False)
    assert before == generate.LOADS and r.stages["generate"] == "cached" and r.stages["mine"] == "cached"
    assert r.stages["train"] == "ran" and r.counts.queries == 3 and r.examples_trained > 0
    card = r.card()
    assert card["training_data"]["evaluation_data"] == "corpus" and card["training_data"]["corpora_read"] == ["adi"]
    assert card["training_data"]["judgments_read"] == [] and "adapted on the corpus" in card["training_data"]["zero_shot"]
    assert "generate" in card["stage_sha256"]
    with open_writer(tmp_path / "db.duckdb") as con:
        record_training_card(con, card)
        (row,) = training_cards(con, r.model)
    assert row["training_datasets"] == ["adi:corpus"]
    assert zero_shot(row["training_datasets"], {}, "adi") == "no (adapted on the corpus)"


def test_a_damaged_log_is_refused_naming_its_line(generated: dict[str, Any]) -> None:
    folder = generated["folder"]
    lines = (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    bad = json.loads(lines[1])
    bad["corpus_sha256"] = "0" * 64
    (folder / "bad.jsonl").write_text("\n".join([lines[0], json.dumps(bad), lines[2]]) + "\n", encoding="utf-8")
    unknown = json.loads(lines[0])
    unknown["doc_id"] = "no-such-document"
    (folder / "unknown.jsonl").write_text("\n".join([json.dumps(unknown), *lines[1:]]) + "\n", encoding="utf-8")
    for log, line, what in (("bad.jsonl", 2, "hashes to"), ("unknown.jsonl", 1, "is not in the corpus of adi")):
        spec, source = write_spec(folder, gen_spec({"log": None, "replay": log}), "bad.yaml")
        with pytest.raises(SpecError) as e:
            mined_candidates(spec, source, cache_root=folder / f"cache-{line}")
        msg = str(e.value)
        assert msg.startswith(f"{folder / log}:{line}: ") and what in msg and "\n" not in msg
        assert "regenerate the log" in msg


def test_reading_judgments_while_declaring_corpus_is_refused_before_any_work(tmp_path: Path) -> None:
    data = gen_spec(collections=[{"name": "adi"}])
    data["training_datasets"] = ["msmarco", "adi", "adi:corpus"]
    spec, source = write_spec(tmp_path, data)
    for call in (lambda: load_recipe(spec, source), lambda: plan(spec, source, cache_root=tmp_path / "cache")):
        with pytest.raises(SpecError) as e:
            call()
        msg = str(e.value)
        assert "training.collections" in msg and "evaluation_data: corpus" in msg and "\n" not in msg
    assert not (tmp_path / "cache").exists()  # refused before any stage
    data["training"]["evaluation_data"] = "nothing"  # zero-shot declared: the same refusal
    spec, source = write_spec(tmp_path, data)
    with pytest.raises(SpecError, match="evaluation_data: nothing"):
        load_recipe(spec, source)


def test_zero_shot_declared_on_an_evaluation_corpus_is_refused(tmp_path: Path) -> None:
    spec, source = write_spec(tmp_path, gen_spec(evaluation_data="nothing"))
    with pytest.raises(SpecError, match="adi, an evaluation collection"):
        plan(spec, source, cache_root=tmp_path / "cache")
    data = gen_spec()
    data["training_datasets"] = ["msmarco"]  # the corpus read must be declared
    spec, source = write_spec(tmp_path, data)
    with pytest.raises(SpecError, match="add adi:corpus"):
        load_recipe(spec, source)


def test_the_zero_shot_flag_tells_three_cases_apart() -> None:
    assert zero_shot(["msmarco", "cranfield"], {}, "cranfield") == "no (trained on it)"
    assert zero_shot(["msmarco", "med:corpus"], {}, "med") == "no (adapted on the corpus)"
    assert zero_shot(["msmarco", "med:corpus"], {}, "npl") == "yes"
    assert zero_shot(["med", "med:corpus"], {}, "med") == "no (trained on it)"
    assert trained_on(["med:corpus"], "med")  # flagged (and hidden in zero-shot mode) like a trained cell


def test_the_query_is_the_first_line_of_the_generation() -> None:
    assert generate.clean_query(' "heat transfer in boundary layers"\n\nDocument: more') == "heat transfer in boundary layers"
    assert generate.clean_query("\nQuery: lupus and renal transplantation") == "lupus and renal transplantation"
    assert generate.clean_query("  \n ") == ""


def test_a_row_stops_at_the_end_of_its_first_line_with_the_same_query() -> None:
    from bench.runners.generators import Decoding, TransformersGenerator
    from bench.training.recipe import SMOLLM2, Queries
    from bench.weights import resolve_weights

    w = resolve_weights(SMOLLM2, "test")
    q = Queries(source="generated", corpora=["adi"])
    docs, _ = generate.sample_documents(resolve_dataset("adi"), 4, 7)
    prompts = [generate.prompt_for(q, d) for d in docs]
    decoding = Decoding(mode="greedy", max_new_tokens=16)
    kw = {"sha256": w.files_sha256, "gguf_file": SMOLLM2.gguf_file, "chat": False, "batch_size": 4, "threads": 1}
    g = TransformersGenerator(w.path, **kw)
    whole = g.generate(prompts, decoding, 1)
    g.first_line = True  # the same loaded model, now stopping rows at their first line
    first = g.generate(prompts, decoding, 1)
    assert any("\n" in g[0].text for g in whole)  # without the stop the model goes on past the query
    for (a,), (b,) in zip(whole, first, strict=True):
        assert generate.clean_query(b.text) == generate.clean_query(a.text) and generate.clean_query(b.text)
        assert "\n" not in b.text and b.tokens <= a.tokens
        if "\n" in a.text:  # the first line ended within the budget: the row stopped there
            assert b.finish_reason == "stop" and b.tokens < a.tokens
    stop = generators_first_line(g._tokenizer)
    ids = g._tokenizer(["\n\nlupus nephritis\n", "\n\n", "lupus"], return_tensors="pt", padding=True).input_ids
    assert stop(ids, None).tolist() == [True, False, False]  # an empty first line does not stop a row


def generators_first_line(tokenizer: Any) -> Any:
    from bench.runners.generators import _FirstLine

    return _FirstLine(tokenizer, 0)


def test_the_reference_generated_recipe_reads_corpora_only(tmp_path: Path) -> None:
    path = ROOT / "recipes" / "softlabel-minilm-gen.yaml"
    spec = load_spec(path)
    recipe = load_recipe(spec, str(path))
    q = recipe.queries
    assert q.source == "generated" and recipe.evaluation_data == "corpus"
    assert list(q.corpora) == ["adi", "time", "med", "cisi", "cranfield", "cacm", "npl"]
    assert {f"{c}:corpus" for c in q.corpora} <= set(spec.training_datasets)
    assert zero_shot(spec.training_datasets, {}, "npl") == "no (adapted on the corpus)"
    p = plan(spec, str(path), cache_root=tmp_path / "cache")
    assert set(p.keys) >= {"generate", "mine", "teachers", "train"}
