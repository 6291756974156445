"""Generator backends: local transformers (batched = one at a time, greedy) and an OpenAI-compatible endpoint.

The endpoint client is driven against real HTTP servers on 127.0.0.1: a small stdlib server in a thread for
retries, errors and the API key, and `transformers serve` (a real OpenAI-compatible server process) serving
the same model as the local backend, which must write the same greedy thoughts.
"""

from __future__ import annotations

import json

import pytest

from bench.errors import RunnerUnavailable
from bench.runners.generators import Decoding, OpenAIGenerator, TransformersGenerator
from tests.runners.conftest import reply as _reply
from tests.runners.serving import export_float32, free_port, start_transformers_serve

PROMPTS = [
    "<query>computer information retrieval</query><thought>",
    "<query>the crystalline lens in vertebrates, including humans.</query><thought>",
    "<query>What is information science? Give definitions where possible.</query><thought>",
    "<query>flow past a flat plate at hypersonic speeds</query><thought>",
    "<query>What problems and concerns are there in making up descriptive titles?</query><thought>",
]
GREEDY = Decoding(mode="greedy", max_new_tokens=8)


def test_endpoint_retries_429_and_5xx_with_backoff_then_answers(scripted, monkeypatch: pytest.MonkeyPatch) -> None:
    url, handler = scripted
    handler.script = [(503, {"error": "busy"}), (429, {"error": "slow down"}), (200, _reply("  a thought  ", 5, "length"))]
    monkeypatch.setenv("TEST_GEN_KEY", "sk-secret-123")
    gen = OpenAIGenerator(url, "smol", identity={"id": "x"}, api_key_env="TEST_GEN_KEY", retries=3, backoff_s=0.01, concurrency=1)
    ((g,),) = gen.generate(["<query>q</query><thought>"], GREEDY, 1)
    assert (g.text, g.tokens, g.finish_reason) == ("a thought", 5, "length")
    assert gen.requests == 3 and len(handler.seen) == 3
    assert all(s["auth"] == "Bearer sk-secret-123" for s in handler.seen)  # read from the environment per request...
    assert "sk-secret-123" not in json.dumps(gen.identity) + repr(vars(gen))  # ...and never kept
    req = handler.seen[-1]
    assert req["path"] == "/v1/chat/completions"
    assert req["body"]["messages"] == [{"role": "user", "content": "<query>q</query><thought>"}]
    assert req["body"]["temperature"] == 0.0 and req["body"]["max_tokens"] == 8


def test_endpoint_sampling_sends_a_per_prompt_seed_and_keeps_prompt_order(scripted) -> None:
    url, handler = scripted
    gen = OpenAIGenerator(url, "smol", identity={}, concurrency=3)
    out = gen.generate(["p1", "p2"], Decoding(mode="sample", temperature=0.1, top_p=0.9, seed=7), 2)
    assert [len(o) for o in out] == [2, 2]
    seeds = {(s["body"]["messages"][0]["content"], s["body"]["seed"]) for s in handler.seen}
    assert len(seeds) == 4  # each (prompt, sample) has its own seed
    assert {s["body"]["temperature"] for s in handler.seen} == {0.1} and {s["body"]["top_p"] for s in handler.seen} == {0.9}


def test_endpoint_refusal_is_not_retried(scripted) -> None:
    url, handler = scripted
    handler.script = [(400, {"error": "bad model"})]
    gen = OpenAIGenerator(url, "nope", identity={}, retries=3, backoff_s=0.01)
    with pytest.raises(RunnerUnavailable, match=r"refused the request \(HTTP 400"):
        gen.generate(["p"], GREEDY, 1)
    assert gen.requests == 1


def test_unreachable_endpoint_fails_after_the_retries_with_a_fix() -> None:
    gen = OpenAIGenerator(f"http://127.0.0.1:{free_port()}/v1", "m", identity={}, retries=2, backoff_s=0.01, timeout_s=2)
    with pytest.raises(RunnerUnavailable, match=r"failed 3 times .*start the server or raise params.endpoint.retries"):
        gen.generate(["p"], GREEDY, 1)
    assert gen.requests == 3


def test_missing_api_key_names_the_variable(scripted, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_GEN_KEY_UNSET", raising=False)
    gen = OpenAIGenerator(scripted[0], "m", identity={}, api_key_env="TEST_GEN_KEY_UNSET")
    with pytest.raises(RunnerUnavailable, match=r"\$TEST_GEN_KEY_UNSET is not set"):
        gen.generate(["p"], GREEDY, 1)


@pytest.mark.slow
def test_batched_greedy_generation_equals_one_prompt_at_a_time(smollm2: TransformersGenerator) -> None:
    batched = smollm2.generate(PROMPTS, GREEDY, 1)  # batch size 4: one full batch, one of 1
    single = [smollm2.generate([p], GREEDY, 1)[0] for p in PROMPTS]
    assert [b[0].text for b in batched] == [s[0].text for s in single]
    assert [b[0].tokens for b in batched] == [s[0].tokens for s in single]
    assert all(0 < b[0].tokens <= 8 and b[0].finish_reason in {"stop", "length"} for b in batched)
    assert all(b[0].text for b in batched)
    with pytest.raises(ValueError, match="greedy decoding gives one thought"):
        smollm2.generate(PROMPTS[:1], GREEDY, 2)


@pytest.mark.slow
def test_sampled_thoughts_depend_on_the_seed_not_on_the_batch(smollm2: TransformersGenerator) -> None:
    sample = Decoding(mode="sample", temperature=1.0, top_p=0.95, seed=11, max_new_tokens=6)
    alone = smollm2.generate(PROMPTS[:1], sample, 2)
    together = smollm2.generate(PROMPTS[:2], sample, 2)
    assert together[0] == [g.__class__(g.text, g.tokens, together[0][i].seconds, g.finish_reason) for i, g in enumerate(alone[0])]
    other_seed = smollm2.generate(PROMPTS[:1], sample.model_copy(update={"seed": 12}), 2)
    assert [g.text for g in other_seed[0]] != [g.text for g in alone[0]]


@pytest.mark.slow
def test_transformers_serve_writes_the_same_greedy_thoughts_as_the_local_backend(
    smollm2: TransformersGenerator, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = export_float32(tmp_path_factory.mktemp("smollm2-f32") / "model")
    proc, url = start_transformers_serve(folder, tmp_path_factory.mktemp("serve") / "serve.log")
    try:
        remote = OpenAIGenerator(url, str(folder), identity={"id": "smollm2"}, timeout_s=300, concurrency=2)
        served = remote.generate(PROMPTS[:3], GREEDY, 1)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    local = smollm2.generate(PROMPTS[:3], GREEDY, 1)
    assert [s[0].text for s in served] == [loc[0].text for loc in local]
    assert [s[0].tokens for s in served] == [loc[0].tokens for loc in local]
    assert [s[0].finish_reason for s in served] == [loc[0].finish_reason for loc in local]
