"""Thought generation: the reasoning runner's batched greedy generation vs one query at a time, same outputs.

Both sides use the same loaded generator (the reference spec's SmolLM2-135M-Instruct GGUF, chat
template, greedy, the spec's ``max_new_tokens``) on the same queries; the model is loaded and warmed
up before any timer. Inside each timer: rendering the prompts, tokenising, ``generate`` and decoding,
through :class:`bench.runners.generators.TransformersGenerator` (batched: the spec's
``generation_batch_size`` prompts per call, left-padded; single: a batch of one per call). The outputs
must be identical, token for token, or the section fails.
"""

from __future__ import annotations

import time

from benchmarks.measure import ROOT, Samples, Settings, ratio_cell
from benchmarks.report import Report

SPEC = ROOT / "models" / "o1-smollm2-minilm.yaml"
DATASET = "med"
QUERIES = 16


def run(report: Report, cfg: Settings) -> None:
    from bench.datasets import resolve_dataset
    from bench.runners.base import make_runner
    from bench.runners.generators import Generated, TransformersGenerator
    from bench.specs import load_spec

    spec = load_spec(SPEC)
    runner = make_runner(spec, str(SPEC))
    identity = runner.generator_identity()
    gen = runner.generator(identity)
    if not isinstance(gen, TransformersGenerator):
        raise RuntimeError(f"{SPEC} does not generate locally; this section measures the local backend")
    name = cfg.dataset(DATASET)
    queries = resolve_dataset(name).judged_queries()[: 4 if cfg.quick else QUERIES]
    prompts = [runner.prompt_for(q.text) for q in queries]
    decoding = runner.params.decoding
    gen.generate(prompts[:1], decoding, 1)  # load and warm up outside the timers
    rounds = cfg.repeat(3)
    batched_s: list[float] = []
    single_s: list[float] = []
    outputs: dict[str, list[Generated]] = {}
    for i in range(rounds):
        for side in ("batched", "single") if i % 2 == 0 else ("single", "batched"):
            t = time.perf_counter()
            if side == "batched":
                got = [g[0] for g in gen.generate(prompts, decoding, 1)]
            else:
                got = [gen.generate([p], decoding, 1)[0][0] for p in prompts]
            (batched_s if side == "batched" else single_s).append(time.perf_counter() - t)
            outputs[side] = got
        print(f"[bench] generation, round {i + 1}/{rounds}", flush=True)
    same = [(a.text, a.tokens) for a in outputs["batched"]] == [(b.text, b.tokens) for b in outputs["single"]]
    if not same:
        raise RuntimeError("batched greedy generation wrote other thoughts than one query at a time")
    tokens = sum(g.tokens for g in outputs["batched"])
    b, s = Samples.of(batched_s), Samples.of(single_s)
    report.section(
        f"Thought generation on {name.upper()}: batched vs one query at a time",
        f"SmolLM2-135M-Instruct (Q4_1 GGUF dequantised to float32 by transformers), greedy, chat template, at most "
        f"{decoding.max_new_tokens} new tokens, {len(prompts)} queries, {tokens} generated tokens per side; median (min–max) of "
        f"{rounds} interleaved rounds, model loaded and warmed up before the timers. Batched: "
        f"{gen.batch_size} prompts per `generate` call, left padding (pad = eos); single: one prompt per call. Outputs identical "
        "token for token on both sides (checked).",
        ["generation", "seconds", "tokens/s", "speed-up"],
        [
            ["batched", b.cell(1), f"{tokens / b.median:.1f}", ratio_cell(s, b)],
            ["one at a time", s.cell(1), f"{tokens / s.median:.1f}", "1.00x"],
        ],
        notes=f"Batched generation is {s.median / b.median:.2f}x faster than one query at a time for the same thoughts.",
    )
