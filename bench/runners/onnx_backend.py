"""The ``onnx`` encoder backend: the transformer exported once per weights with ``torch.onnx.export``, run by ONNX Runtime.

Only the transformer is exported (token ids -> ``last_hidden_state``, batch and sequence axes dynamic); tokenisation,
pooling and normalisation stay sentence-transformers' own, so the vectors differ from torch fp32 only by the kernels
(measured on MED/ADI texts: per-text cosine 1 - 1e-7). The exported file is an entry of its own cache
(``<bench cache>/onnx/<key>/model.onnx``), keyed by the model folder's files hash, the export recipe and the versions
of torch, transformers and onnx; it is published atomically and checked by sha256 on every load, so a damaged or
truncated file is a miss and is exported again. Its sha256 is the backend artefact a run records.

The export is traced with eager attention and fused by ONNX Runtime's BERT optimizer when that computes the same
(:data:`EXPORT_RECIPE`).

The session computes on CPU with ``intra_op_num_threads`` = the run's threads (``--threads``, else torch's default),
sequential execution, ONNX Runtime's default (full) graph optimisation.

``onnx-int8`` (:func:`quantized`) quantises that file with ONNX Runtime's ``quantize_dynamic`` (:data:`QUANTIZE_RECIPE`)
into a second entry (``<bench cache>/onnx/<key>/model-int8.onnx``) keyed by the export's sha256, the recipe and the
onnxruntime version, checked the same way. Which MatMuls stay float32 (:data:`KEEP_FLOAT`) was chosen from per-layer
sensitivity on a calibration sample that is no evaluation collection: 96 Banking77 *train* texts plus 32 texts of 14
of them joined (long inputs), random seed 0; mean 1 - cosine of the pooled vectors to float32 ONNX with every MatMul
quantised 0.0064; keeping one node type float32: FFN output (GELU-fed, 1536 -> 384) 0.0035, FFN intermediate 0.0044,
value 0.0055, key 0.0061, query 0.0064, attention output ~0.0064; keeping one whole layer: 0.0047-0.0059. No
calibration data enters the artefact (activation ranges are taken per call).

Nothing here is imported by a run whose vectors are all cached: the encoder loads its model (and this backend) only
when it has something to encode.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from bench.errors import RunnerUnavailable
from bench.paths import cache_dir
from bench.provenance import package_version
from bench.runners.embedding_cache import EmbeddingCache, cache_key

OPSET = 17
MODEL_FILE = "model.onnx"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
"""The tokenizer outputs the exported graph may take, in this order (a tokenizer without token types gives two)."""
EXPORT_RECIPE: dict[str, Any] = {
    "exporter": "torch.onnx.export",
    "dynamo": False,
    "opset": OPSET,
    "output": "last_hidden_state",
    "dynamic_axes": ["batch", "sequence"],
    "attention": "eager",
    "fusion": {"optimizer": "onnxruntime.transformers.optimizer", "model_type": "bert", "opt_level": 1, "max_abs_diff": 1e-4},
}
"""The transformer is traced with eager attention (the graph ONNX Runtime's BERT optimizer recognises; sdpa's masked
softmax is not) and then fused by that optimizer (Attention, EmbedLayerNormalization, SkipLayerNormalization, BiasGelu:
the same arithmetic in fewer kernels). The fused graph is kept only if its output on the tracing sample is within
``max_abs_diff`` of the unfused graph's; otherwise the unfused one is the export. Measured on 200 MED documents (2
threads, AVX2; the session alone, tokenising and pooling outside the timer): per-text 1 - cosine to torch fp32 below
1e-6 either way, 1.27x torch's throughput unfused, 1.48x fused (whole runner: BENCHMARKS.md)."""
SESSION_RECIPE: dict[str, Any] = {"provider": "CPUExecutionProvider", "graph_optimization": "all", "execution": "sequential"}
QUANTIZED_FILE = "model-int8.onnx"
KEEP_FLOAT = r"/encoder/layer\.\d+/output/dense/MatMul$"
"""MatMuls of the export kept in float32 by the int8 recipe (a regular expression over node names): each layer's FFN
output (1536 -> 384, fed by GELU). Per-layer sensitivity on the calibration sample (bench/runners/onnx_backend.py
docstring; measured on the unfused export) put it first: quantising every MatMul leaves 1 - cosine 0.0064 to float32,
keeping these six 0.0035."""
QUANTIZE_RECIPE: dict[str, Any] = {
    "quantizer": "onnxruntime.quantization.quantize_dynamic",
    "weight_type": "QInt8",
    "per_channel": True,
    "reduce_range": False,
    "op_types": ["MatMul"],
    "keep_float": KEEP_FLOAT,
}
"""``onnx-int8``: every MatMul with a constant weight gets int8 weights with one scale per output channel (symmetric),
and its activations are quantised to uint8 per call from their own range (dynamic: no calibration data enters the
artefact). On the fused export that leaves two MatMuls per layer in int8 (attention output 384 -> 384, FFN intermediate
384 -> 1536); the fused Attention (its query/key/value projection included), EmbedLayerNormalization,
SkipLayerNormalization and BiasGelu stay float32. Mean 1 - cosine to float32 on 200 MED documents: this recipe 0.0021;
every MatMul int8 0.0050; Attention int8 as well (QAttention) 0.0066."""


def onnx_cache() -> EmbeddingCache:
    """Exported models, under ``<bench cache>/onnx`` (cache hits count as ``onnx-export``)."""
    return EmbeddingCache(cache_dir() / "onnx", kind="onnx-export")


def libraries() -> dict[str, str | None]:
    """The versions that determine the exported file (torch, onnx) and the computation (onnxruntime)."""
    return {name: package_version(name) for name in ("torch", "onnx", "onnxruntime")}


def quantize_key(export_sha256: str) -> str:
    """Cache key of the int8 model quantised from the exported file with sha256 ``export_sha256``."""
    return cache_key({"onnx_int8_of": export_sha256, "recipe": QUANTIZE_RECIPE, "onnxruntime": package_version("onnxruntime")})


def export_key(weights_files_sha256: str, inputs: list[str]) -> str:
    """Cache key of the export of the model folder with files hash ``weights_files_sha256`` taking ``inputs``."""
    return cache_key({"onnx_export_of": weights_files_sha256, "recipe": EXPORT_RECIPE, "inputs": inputs, "onnx": package_version("onnx")})


def _transformer(model: Any) -> Any:
    """The sentence-transformers Transformer module whose HF model gives token embeddings; refused otherwise."""
    first = model[0]
    config = getattr(first, "modality_config", {}).get("text", {})
    output = config.get("method_output_name")
    if (
        getattr(first, "module_output_name", None) != "token_embeddings"
        or config.get("method") != "forward"
        or output
        not in (
            "last_hidden_state",
            ["last_hidden_state"],
            ("last_hidden_state",),
        )
    ):
        raise RunnerUnavailable(
            "backend onnx exports a transformer whose output is its token embeddings (last_hidden_state), as dense "
            f"bi-encoders have; this model's first module is {type(first).__name__} with output {output!r}: use backend torch"
        )
    return first


def export(hf_model: Any, sample: dict[str, Any], inputs: list[str], target: Path) -> None:
    """Write ``hf_model`` (token ids -> last_hidden_state) as ONNX to ``target``, traced on the tokenised ``sample`` with
    eager attention, then fused (:func:`fuse`)."""
    before = getattr(hf_model.config, "_attn_implementation", None)
    if before not in (None, "eager") and hasattr(hf_model, "set_attn_implementation"):
        hf_model.set_attn_implementation("eager")
    try:
        trace(hf_model, sample, inputs, target)
    finally:
        if before not in (None, "eager") and hasattr(hf_model, "set_attn_implementation"):
            hf_model.set_attn_implementation(before)
    fuse(target, hf_model.config, sample, inputs)


def fuse(target: Path, config: Any, sample: dict[str, Any], inputs: list[str]) -> bool:
    """Replace the ONNX file ``target`` by its ONNX Runtime BERT fusion when that computes the same on ``sample``.

    Returns whether the fused graph was kept. A model the optimizer does not know is left as traced (fusing nothing
    changes nothing); a fusion whose output differs by more than ``EXPORT_RECIPE["fusion"]["max_abs_diff"]`` is dropped."""
    heads, hidden = getattr(config, "num_attention_heads", None), getattr(config, "hidden_size", None)
    if not heads or not hidden:
        return False
    import logging

    from onnxruntime.transformers.optimizer import optimize_model

    recipe = EXPORT_RECIPE["fusion"]
    fused = target.with_name(target.name + ".fused")
    quiet = logging.getLogger("onnxruntime.transformers")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                optimized = optimize_model(
                    str(target), model_type=recipe["model_type"], num_heads=heads, hidden_size=hidden, opt_level=recipe["opt_level"]
                )
                optimized.save_model_to_file(str(fused))
            except Exception:  # an architecture the BERT optimizer cannot walk: the traced graph is the export
                return False
        feeds = {name: np.ascontiguousarray(sample[name].cpu().numpy(), dtype=np.int64) for name in inputs}
        (plain,) = session(target, 1).run(["last_hidden_state"], feeds)
        (joined,) = session(fused, 1).run(["last_hidden_state"], feeds)
        if joined.shape != plain.shape or float(np.abs(joined - plain).max()) > recipe["max_abs_diff"]:
            return False
        fused.replace(target)
        return True
    finally:
        quiet.setLevel(level)
        fused.unlink(missing_ok=True)


def trace(hf_model: Any, sample: dict[str, Any], inputs: list[str], target: Path) -> None:
    """``torch.onnx.export`` of ``hf_model`` (token ids -> last_hidden_state) to ``target``, batch and sequence dynamic."""
    import torch

    class LastHidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = hf_model

        def forward(self, *args: Any) -> Any:
            return self.model(**dict(zip(inputs, args, strict=True)), return_dict=True).last_hidden_state

    axes = {name: {0: "batch", 1: "sequence"} for name in [*inputs, "last_hidden_state"]}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's tracer warnings (shape-dependent Python branches)
        torch.onnx.export(
            LastHidden().eval(),
            tuple(sample[name] for name in inputs),
            str(target),
            input_names=inputs,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def exported(model: Any, weights_files_sha256: str, cache: EmbeddingCache | None = None) -> tuple[Path, str, list[str]]:
    """The ONNX file of ``model``'s transformer (exported and cached on a miss): (path, sha256, input names)."""
    transformer = _transformer(model)
    try:
        import onnx  # noqa: F401  (torch's exporter writes the graph through it)
    except ImportError as e:
        raise RunnerUnavailable("backend onnx needs the onnx package to export the model; run `make setup`") from e
    cache = cache or onnx_cache()
    sample = model.tokenizer(["a first sample text for tracing", "a second"], padding=True, return_tensors="pt")
    inputs = [name for name in INPUTS if name in sample]
    key = export_key(weights_files_sha256, inputs)
    entry = cache.load(key)
    if entry is None:
        meta = {"role": "onnx-export", "weights_files_sha256": weights_files_sha256, "recipe": EXPORT_RECIPE, "inputs": inputs}
        with cache.writer(key, {**meta, "libraries": libraries()}) as writer:
            writer.set_ids([])
            export(transformer.model, sample, inputs, writer.file(MODEL_FILE))
        entry = cache.load(key, count=False)
        if entry is None or MODEL_FILE not in entry.files:
            raise OSError(f"exported model {cache.path(key)} was written but cannot be read back; check the disk")
    return entry.files[MODEL_FILE], entry.meta["files"][MODEL_FILE], list(entry.meta.get("inputs", inputs))


def kept_float(source: Path) -> list[str]:
    """The nodes of ``source`` that :data:`KEEP_FLOAT` names."""
    import re

    import onnx

    graph = onnx.load(str(source), load_external_data=False).graph
    return [n.name for n in graph.node if n.op_type == "MatMul" and re.search(KEEP_FLOAT, n.name)]


def quantize(source: Path, target: Path) -> None:
    """Write the int8 model (:data:`QUANTIZE_RECIPE`) of the float32 ONNX file ``source`` to ``target``."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=QUANTIZE_RECIPE["per_channel"],
            reduce_range=QUANTIZE_RECIPE["reduce_range"],
            op_types_to_quantize=QUANTIZE_RECIPE["op_types"],
            nodes_to_exclude=kept_float(source),
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )


def quantized(model: Any, weights_files_sha256: str, cache: EmbeddingCache | None = None) -> tuple[Path, str, list[str]]:
    """The int8 ONNX file of ``model``'s transformer (exported and quantised, each cached, on a miss): (path, sha256, inputs).

    Keyed by the float32 export's sha256, the recipe and onnxruntime's version; checked by sha256 on every load like the
    export, so a damaged file is a miss and is quantised again."""
    source, source_sha256, inputs = exported(model, weights_files_sha256, cache)
    cache = cache or onnx_cache()
    key = quantize_key(source_sha256)
    entry = cache.load(key)
    if entry is None:
        meta = {"role": "onnx-int8", "export_sha256": source_sha256, "recipe": QUANTIZE_RECIPE, "inputs": inputs}
        with cache.writer(key, {**meta, "libraries": libraries()}) as writer:
            writer.set_ids([])
            quantize(source, writer.file(QUANTIZED_FILE))
        entry = cache.load(key, count=False)
        if entry is None or QUANTIZED_FILE not in entry.files:
            raise OSError(f"quantised model {cache.path(key)} was written but cannot be read back; check the disk")
    return entry.files[QUANTIZED_FILE], entry.meta["files"][QUANTIZED_FILE], inputs


def session(path: Path, threads: int) -> Any:
    """An ONNX Runtime CPU session over ``path`` computing with ``threads`` intra-op threads."""
    try:
        import onnxruntime as ort
    except ImportError as e:
        raise RunnerUnavailable("backend onnx needs onnxruntime; run `make setup`") from e
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def install(
    model: Any, weights_files_sha256: str, threads: int, cache: EmbeddingCache | None = None, *, int8: bool = False
) -> tuple[Any, str]:
    """``model`` with its transformer computed by an ONNX Runtime session; returns (model, sha256 of the ONNX file).

    ``int8``: the session runs the quantised file (:func:`quantized`) instead of the float32 export."""
    import torch

    transformer = _transformer(model)
    path, sha256, inputs = (quantized if int8 else exported)(model, weights_files_sha256, cache)
    sess = session(path, threads)

    def forward(features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        feeds = {name: np.ascontiguousarray(features[name].cpu().numpy(), dtype=np.int64) for name in inputs}
        (hidden,) = sess.run(["last_hidden_state"], feeds)
        features[transformer.module_output_name] = torch.from_numpy(hidden)
        return features

    transformer.forward = forward  # the module's __call__ now runs the session; pooling and normalisation are unchanged
    transformer.onnx_session = sess
    return model, sha256
