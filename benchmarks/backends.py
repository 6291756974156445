"""Encoder backends: corpus encoding throughput of each backend against fp32 PyTorch, in one process, interleaved.

Both models are loaded once, before any timer, through the dense runner's own ``load_model`` (so the int8 side is
exactly what ``backend: torch-int8`` runs). Each timer holds encoding every document of the corpus, longest first, in
batches of the spec's ``batch_size`` (the runner's order and batching), to float32 arrays; no cache is read or written.
The sides alternate round by round (fp32 first in even rounds). NPL is measured on a fixed subset: its first
:data:`NPL_DOCS` documents in corpus order.

:func:`latency` (section ``backends-latency``) measures what an online user meets: one query encoded at a time (a
batch of one, the runner's ``encode``), warm, :data:`LATENCY_QUERIES` calls over NPL's 93 queries taken in turn, p50 and p95 per
backend, beside the same backend's batched throughput on those queries.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from benchmarks.measure import ROOT, Samples, Settings, ratio_cell
from benchmarks.report import Report

BASE = ROOT / "models" / "all-minilm-l6-v2.yaml"
VARIANTS = {
    "torch-int8": ROOT / "models" / "all-minilm-l6-v2-int8.yaml",
    "onnx": ROOT / "models" / "all-minilm-l6-v2-onnx.yaml",
    "onnx-int8": ROOT / "models" / "all-minilm-l6-v2-onnx-int8.yaml",
}
DATASETS = ("med", "npl")
NPL_DOCS = 3000
TARGET = 1.8
LATENCY_QUERIES = 200
WARMUP_QUERIES = 20


def _runner(path: Any) -> Any:
    from bench.runners.base import make_runner
    from bench.specs import load_spec
    from bench.training.student import resolve_spec_weights

    spec = load_spec(path)
    runner = make_runner(spec, str(path))
    runner._model = runner.load_model(resolve_spec_weights(spec, str(path)))  # loaded outside every timer
    return runner


def _texts(name: str) -> list[str]:
    from bench.datasets import resolve_dataset

    ds = resolve_dataset(name)
    docs = [d.joined(" ") for d in ds.iter_corpus()]
    return docs[:NPL_DOCS] if name == "npl" else docs


def _encode_all(runner: Any, texts: list[str], order: np.ndarray) -> float:
    size = runner.params.batch_size
    t = time.perf_counter()
    for i in range(0, len(order), size):
        runner.encode([texts[j] for j in order[i : i + size]], "document")
    return time.perf_counter() - t


def run(report: Report, cfg: Settings) -> None:
    base = _runner(BASE)
    variants = {name: _runner(path) for name, path in VARIANTS.items()}
    rounds = cfg.repeat(3)
    rows: list[list[object]] = []
    for name in dict.fromkeys(cfg.dataset(d) for d in DATASETS):
        texts = _texts(name)
        tok = base.model.tokenizer(texts, truncation=True, max_length=base.model.max_seq_length, return_attention_mask=False)
        order = np.argsort(-np.array([len(x) for x in tok["input_ids"]]), kind="stable")
        seconds: dict[str, list[float]] = {"torch": [], **{v: [] for v in variants}}
        sides = [("torch", base), *variants.items()]
        for i in range(rounds):
            for side, runner in sides if i % 2 == 0 else sides[::-1]:
                seconds[side].append(_encode_all(runner, texts, order))
            print(f"[bench] backends {name}, round {i + 1}/{rounds}", flush=True)
        fp32 = Samples.of(seconds["torch"])
        label = f"{name} (first {len(texts)} documents)" if name == "npl" else name
        rows.append([label, "torch (fp32)", Samples.of([len(texts) / s for s in fp32.values]).cell(1), "1.00x"])
        for side in variants:
            s = Samples.of(seconds[side])
            rows.append([label, side, Samples.of([len(texts) / x for x in s.values]).cell(1), ratio_cell(fp32, s)])
    report.section(
        "Encoder backends: corpus encoding throughput against fp32 PyTorch",
        f"all-MiniLM-L6-v2 encoding a corpus in one process with each backend (`params.backend`), {rounds} interleaved "
        f"round(s), median (min–max). Speed-up = fp32 seconds / backend seconds (per-round range beside it); target "
        f">= {TARGET}x for torch-int8. NPL is a fixed subset (its first {NPL_DOCS} documents) to keep `make bench` within "
        "its budget. `onnx` is ONNX Runtime (fp32) running the transformer exported by `torch.onnx.export` with eager "
        "attention and fused by ONNX Runtime's BERT optimizer (bench/runners/onnx_backend.py); `onnx-int8` is that export quantised by ONNX Runtime (per-channel int8 "
        "weights, dynamic activations, FFN output MatMuls float32).",
        ["dataset", "backend", "docs/s", "speed-up vs fp32"],
        rows,
    )


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def latency(report: Report, cfg: Settings) -> None:
    from bench.datasets import resolve_dataset

    sides = [("torch (fp32)", _runner(BASE)), *((name, _runner(path)) for name, path in VARIANTS.items())]
    name = cfg.dataset("npl")
    texts = [q.text for q in resolve_dataset(name).judged_queries()]
    queries = [texts[i % len(texts)] for i in range(LATENCY_QUERIES)]  # NPL has 93 queries: taken in turn, 200 calls
    warm = texts[:WARMUP_QUERIES]
    for _, runner in sides:  # warm: first calls allocate, ONNX Runtime plans its kernels
        for q in warm:
            runner.encode([q], "query")
    rounds = cfg.repeat(3)
    ms: dict[str, list[float]] = {side: [] for side, _ in sides}
    batched: dict[str, list[float]] = {side: [] for side, _ in sides}
    for r in range(rounds):
        for i, q in enumerate(queries):  # interleaved query by query, the order rotated so no side always goes first
            k = (i + r) % len(sides)
            for side, runner in sides[k:] + sides[:k]:
                t = time.perf_counter()
                runner.encode([q], "query")
                ms[side].append(1000 * (time.perf_counter() - t))
        for side, runner in sides if r % 2 == 0 else sides[::-1]:
            size = runner.params.batch_size
            t = time.perf_counter()
            for i in range(0, len(queries), size):
                runner.encode(queries[i : i + size], "query")
            batched[side].append(len(queries) / (time.perf_counter() - t))
        print(f"[bench] backends-latency {name}, round {r + 1}/{rounds}", flush=True)
    base_p50 = _percentile(ms["torch (fp32)"], 50)
    rows: list[list[object]] = []
    for side, _ in sides:
        p50, p95 = _percentile(ms[side], 50), _percentile(ms[side], 95)
        rows.append([side, f"{p50:.2f}", f"{p95:.2f}", f"{base_p50 / p50:.2f}x", Samples.of(batched[side]).cell(1)])
    report.section(
        f"Encoder backends: one query at a time on {name.upper()} (p50/p95) beside batched throughput",
        f"all-MiniLM-L6-v2 encoding one query per call (the runner's `encode` with a batch of one: tokenise, encode, "
        f"pool, normalise), warm ({WARMUP_QUERIES} queries first per backend), {len(queries)} calls per round over the "
        f"{len(texts)} {name.upper()} queries taken in turn, x {rounds} round(s) ({len(queries) * rounds} calls per "
        "backend), interleaved query by query in rotating order; threads as a default run (torch's default; the ONNX session takes the same). The "
        "batched column encodes the same 200 texts in batches of the spec's batch size (median of the rounds, min–max). "
        "Search is not inside the timer (it does not depend on the backend).",
        ["backend", "p50 ms", "p95 ms", "p50 speed-up vs fp32", "batched queries/s"],
        rows,
    )
