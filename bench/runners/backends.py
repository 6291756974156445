"""Encoder backends: how a loaded sentence-transformers model computes (``params.backend`` of encoder runners).

``torch`` is the model as loaded (float32 PyTorch). ``torch-int8`` applies PyTorch's dynamic int8 quantisation
(``torch.ao.quantization.quantize_dynamic``) to every ``nn.Linear`` of the transformer: weights stored as int8 with one
scale per tensor, activations quantised per batch at run time. It runs on CPU only and is deterministic for a given
torch build and thread count.

``onnx`` exports the transformer once per weights with ``torch.onnx.export`` (TorchScript exporter, opset 17; it needs
the ``onnx`` package) and computes it with an ONNX Runtime CPU session, threads as the run's (:mod:`bench.runners.onnx_backend`):
float32 throughout, the same vectors as ``torch`` to ~1e-7. sentence-transformers' own ``backend="onnx"`` is not used:
it needs ``optimum-onnx``, which pins transformers < 4.58 (we run 5.x). ``onnx-int8`` runs that export quantised by
ONNX Runtime (:func:`bench.runners.onnx_backend.quantized`: per-channel int8 weights, dynamic uint8 activations, each
layer's FFN output MatMul kept float32), cached and sha256-checked like the export.

A backend other than ``torch`` changes the vectors, so it is part of the embedding cache key (:func:`backend_parts`:
the backend, its library version and the quantisation recipe, which with the weights determine the quantised
artefact) and of the spec hash (``params`` are in the spec; the default is never written, so existing specs keep their
hash). The quantised artefact's own sha256 (:func:`module_sha256`) is recorded with the cached vectors and in the run's
cost (:func:`backend_cost`).
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from bench.provenance import package_version

Backend = Literal["torch", "torch-int8", "onnx", "onnx-int8"]
BACKENDS: tuple[str, ...] = ("torch", "torch-int8", "onnx", "onnx-int8")
DEFAULT_BACKEND = "torch"
CPU_ONLY = frozenset({"torch-int8", "onnx", "onnx-int8"})
_INT8_RECIPE = {"method": "torch.ao.quantization.quantize_dynamic", "modules": ["torch.nn.Linear"], "dtype": "qint8"}


def backend_parts(backend: str) -> dict[str, Any]:
    """What ``backend`` adds to an embedding cache key; empty for the default, so existing keys do not move."""
    if backend == DEFAULT_BACKEND:
        return {}
    if backend in ("onnx", "onnx-int8"):
        from bench.runners import onnx_backend as ox

        recipe = {"export": ox.EXPORT_RECIPE, "session": ox.SESSION_RECIPE}
        if backend == "onnx-int8":
            recipe["quantize"] = ox.QUANTIZE_RECIPE
        return {"backend": backend, "backend_library": ox.libraries(), "backend_recipe": recipe}
    return {"backend": backend, "backend_library": {"torch": package_version("torch")}, "backend_recipe": _INT8_RECIPE}


def apply_backend(model: Any, backend: str, *, weights_files_sha256: str | None = None, threads: int = 1) -> tuple[Any, str | None]:
    """``model`` made to compute with ``backend``; returns (model, sha256 of the converted artefact or None for ``torch``).

    ``onnx`` needs the model folder's files hash (its export is cached under it) and the threads its session computes with.
    """
    if backend == DEFAULT_BACKEND:
        return model, None
    if backend in ("onnx", "onnx-int8"):
        from bench.runners import onnx_backend

        if weights_files_sha256 is None:
            raise ValueError(f"backend {backend} caches its export by the weights' files hash; pass weights_files_sha256")
        return onnx_backend.install(model, weights_files_sha256, threads, int8=backend == "onnx-int8")
    if backend != "torch-int8":
        raise ValueError(f"unknown backend '{backend}'; use one of {', '.join(BACKENDS)}")
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization is deprecated in favour of torchao, and works
        for module in model:  # the Transformer module's HF model (pooling and normalisation have no Linear layers)
            inner = getattr(module, "model", None)
            if isinstance(inner, torch.nn.Module):
                torch.ao.quantization.quantize_dynamic(inner, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
    return model, module_sha256(model)


def _feed(h: Any, value: Any) -> None:
    import torch

    if isinstance(value, torch.Tensor):
        if value.is_quantized:
            h.update(value.int_repr().contiguous().numpy().tobytes())
            if value.qscheme() in (torch.per_tensor_affine, torch.per_tensor_symmetric):
                h.update(repr((value.q_scale(), value.q_zero_point())).encode())
            else:
                h.update(value.q_per_channel_scales().numpy().tobytes())
        else:
            h.update(value.detach().contiguous().cpu().numpy().tobytes())
        h.update(repr((str(value.dtype), tuple(value.shape))).encode())
    elif isinstance(value, (tuple, list)):
        for v in value:
            _feed(h, v)
    else:
        h.update(repr(value).encode())


def module_sha256(model: Any) -> str:
    """sha256 over a module's state (names, dtypes, shapes, values; quantised tensors by their int8 values and scales)."""
    h = hashlib.sha256()
    for name, value in model.state_dict().items():
        h.update(name.encode())
        _feed(h, value)
    return h.hexdigest()


def backend_cost(backend: str, artefact_sha256: str | None) -> dict[str, Any]:
    """The environment facts a run records about its backend (in the run's ``cost``)."""
    version = f"torch {package_version('torch')}"
    if backend in ("onnx", "onnx-int8"):
        version = (
            f"onnxruntime {package_version('onnxruntime')} (exported by torch {package_version('torch')}, onnx {package_version('onnx')})"
        )
    return {
        "backend": backend,
        "backend_version": version,
        "backend_artefact_sha256": artefact_sha256,
    }
