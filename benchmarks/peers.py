"""Our ONNX backends against the peers a user would pick (issue 22, part 4): fresh processes, same texts and threads.

Sides, each measured in its own fresh Python process (:func:`worker`), alternating side by side round by round:

- ``bench onnx`` / ``bench onnx-int8``: the dense runner with ``params.backend`` ``onnx`` / ``onnx-int8`` (its model
  loaded through ``load_model``, the export and the quantised file taken from the cache), encoding with ``encode``;
- ``plain onnxruntime fp32`` / ``int8``: a bare ``onnxruntime.InferenceSession`` over the same cached files, the
  Hugging Face fast tokenizer and numpy mean pooling + normalisation: what a user writing their own loop gets;
- ``sentence-transformers backend="onnx"``: tried in a process of its own; with the locked packages it cannot run
  (it needs ``optimum-onnx``, which pins transformers < 4.58; the lock has 5.x): the section prints the error it gave.

fastembed is not installed (it is not in the lock), so it is not a side.

Per process: *cold* = from the start of model loading to the end of the first batch (imports excluded, they are the
same libraries for every side); *warm* = encoding every text again (median of :data:`WARM_REPS` passes). Texts: the
first :data:`DOCS` MED documents, longest first, batches of 32, ``max_length`` 256, threads = 2 (both sides).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from benchmarks.measure import ROOT, Samples, clean_env, ratio_cell, timed_process
from benchmarks.report import Report

DOCS = 256
WARM_REPS = 2
THREADS = 2
SPECS = {"onnx": ROOT / "models" / "all-minilm-l6-v2-onnx.yaml", "onnx-int8": ROOT / "models" / "all-minilm-l6-v2-onnx-int8.yaml"}
SIDES = ("bench onnx", "plain onnxruntime fp32", "bench onnx-int8", "plain onnxruntime int8")


def _texts(name: str) -> list[str]:
    from bench.datasets import resolve_dataset

    docs = [d.joined(" ") for d in resolve_dataset(name).iter_corpus()][:DOCS]
    return sorted(docs, key=len, reverse=True)


def _batches(texts: list[str]) -> list[list[str]]:
    return [texts[i : i + 32] for i in range(0, len(texts), 32)]


def _bench_side(backend: str, texts: list[str]) -> tuple[Any, float]:
    from bench.runners.base import make_runner
    from bench.runners.executors import LocalExecutor
    from bench.specs import load_spec
    from bench.training.student import resolve_spec_weights

    spec = load_spec(SPECS[backend])
    runner = make_runner(spec, str(SPECS[backend]))
    runner.executor = LocalExecutor(threads=THREADS)
    t = time.perf_counter()
    runner._model = runner.load_model(resolve_spec_weights(spec, str(SPECS[backend])))
    runner.encode(_batches(texts)[0], "document")
    return (lambda batch: runner.encode(batch, "document")), time.perf_counter() - t


def _plain_side(backend: str, texts: list[str]) -> tuple[Any, float]:
    import numpy as np
    import onnxruntime as ort
    from transformers import AutoTokenizer

    from bench.runners import onnx_backend
    from bench.runners.base import make_runner
    from bench.specs import load_spec
    from bench.training.student import resolve_spec_weights

    spec = load_spec(SPECS[backend])
    weights = resolve_spec_weights(spec, str(SPECS[backend]))
    model = make_runner(spec).model_class()(str(weights.path), device="cpu", local_files_only=True)
    path, _, _ = (onnx_backend.quantized if backend == "onnx-int8" else onnx_backend.exported)(model, weights.files_sha256)
    del model
    t = time.perf_counter()
    tok = AutoTokenizer.from_pretrained(str(weights.path))
    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    sess = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def encode(batch: list[str]) -> Any:
        f = tok(batch, padding=True, truncation=True, max_length=256, return_tensors="np")
        (h,) = sess.run(None, {k: f[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")})
        m = f["attention_mask"][..., None].astype(np.float32)
        v = (h * m).sum(1) / m.sum(1)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    encode(_batches(texts)[0])
    return encode, time.perf_counter() - t


def worker(side: str, dataset: str) -> None:
    """One side in this (fresh) process: prints {"cold": s, "warm": [s, ...]} as JSON."""
    import onnxruntime  # noqa: F401  (imports before every timer, the same libraries on every side)
    import sentence_transformers  # noqa: F401
    import torch  # noqa: F401
    import transformers  # noqa: F401

    texts = _texts(dataset)
    backend = side.split()[-1] if side.startswith("bench") else ("onnx-int8" if side.endswith("int8") else "onnx")
    encode, cold = (_bench_side if side.startswith("bench") else _plain_side)(backend, texts)
    warm = []
    for _ in range(WARM_REPS):
        t = time.perf_counter()
        for batch in _batches(texts):
            encode(batch)
        warm.append(time.perf_counter() - t)
    print(json.dumps({"cold": cold, "warm": warm}))


def _st_onnx() -> str:
    """What sentence-transformers' own ``backend="onnx"`` does here (a fresh process): its error, or "ran"."""
    code = (
        "from bench.specs import load_spec\nfrom bench.training.student import resolve_spec_weights\n"
        "from sentence_transformers import SentenceTransformer\n"
        f"w = resolve_spec_weights(load_spec(__import__('pathlib').Path({str(SPECS['onnx'])!r})))\n"
        "try:\n    SentenceTransformer(str(w.path), backend='onnx', device='cpu', local_files_only=True)\n    print('ran')\n"
        "except Exception as e:\n    print(type(e).__name__ + ': ' + str(e).splitlines()[0])\n"
    )
    _, out = timed_process([sys.executable, "-c", code], clean_env(HF_HUB_OFFLINE="1"))
    return out.strip().splitlines()[-1].replace("`", "'") if out.strip() else "(no output)"


def run(report: Report, cfg: Any) -> None:
    name = cfg.dataset("med")
    rounds = cfg.repeat(3)
    env = clean_env(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", OMP_NUM_THREADS=str(THREADS))
    cold: dict[str, list[float]] = {s: [] for s in SIDES}
    warm: dict[str, list[float]] = {s: [] for s in SIDES}
    for r in range(rounds):
        for side in SIDES if r % 2 == 0 else SIDES[::-1]:
            _, out = timed_process([sys.executable, "-m", "benchmarks.peers", side, name], env)
            got = json.loads(out.strip().splitlines()[-1])
            cold[side].append(got["cold"])
            warm[side].append(min(got["warm"]) if len(got["warm"]) == 1 else sorted(got["warm"])[len(got["warm"]) // 2])
        print(f"[bench] peers {name}, round {r + 1}/{rounds}", flush=True)
    n = len(_texts(name))
    rows: list[list[object]] = []
    for ours, peer in (("bench onnx", "plain onnxruntime fp32"), ("bench onnx-int8", "plain onnxruntime int8")):
        for side in (ours, peer):
            w = Samples.of(warm[side])
            rows.append(
                [side, Samples.of(cold[side]).cell(2), Samples.of([n / x for x in w.values]).cell(1), ratio_cell(Samples.of(warm[peer]), w)]
            )
    st = _st_onnx()
    report.section(
        "Encoder backends against the peers: our ONNX and int8 vs a plain onnxruntime session (fresh processes)",
        f"all-MiniLM-L6-v2 encoding the first {n} {name.upper()} documents (longest first, batches of 32, max_length 256), "
        f"{THREADS} intra-op threads on every side, each side in a fresh process per round, {rounds} round(s) alternating "
        f"the order; cold = model load + first batch (s), warm = docs/s over all texts (median of {WARM_REPS} passes "
        "per process, then median over processes, min–max). Speed vs plain = plain warm seconds / this side's. "
        f'sentence-transformers\' own `backend="onnx"`, tried in a fresh process with the locked packages: `{st}`. '
        "fastembed is not installed (not in the lock), so it is not a side.",
        ["side", "cold s", "warm docs/s", "speed vs plain session"],
        rows,
    )


if __name__ == "__main__":
    worker(sys.argv[1], sys.argv[2])
