"""Which numeric kernels a process computes with: the platform fingerprint, and the portable pin training runs under.

Scores and trained weights depend on more than seed and threads: PyTorch picks its vector kernels by the CPU's
instruction set (``ATEN_CPU_CAPABILITY``), MKL its GEMM branch (``MKL_CBWR``, ``MKL_ENABLE_INSTRUCTIONS``),
oneDNN its ISA (``ONEDNN_MAX_CPU_ISA``), and the int8 path its quantised engine. Each of these is read when torch
loads, so a pin is an environment for a *new* process (:func:`pinned_env`), never a setting changed in place.

:data:`PORTABLE` is the most portable pin that keeps training within 1.5x of the default kernels on an AVX2
machine: AVX2 everywhere (every x86-64 CPU brewbench supports has it). ``MKL_CBWR=COMPATIBLE`` (SSE2) is more
portable still but measured 2.0x slower for MiniLM training steps on 2 cores, so it is not the default.

This module never imports torch: :func:`fingerprint` reads torch's state only when torch is already loaded.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Any

PIN_VARIABLE = "BENCH_KERNELS"
"""Set (to the pin's name) in a process that runs under a pin; part of every cache key computed there."""

PORTABLE: dict[str, str] = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "MKL_CBWR": "AVX2,STRICT",
    "MKL_ENABLE_INSTRUCTIONS": "AVX2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "TOKENIZERS_PARALLELISM": "false",
}
"""The pin ``bench train`` runs under (name ``avx2``): the same kernels on any x86-64 CPU with AVX2 (AVX-512 and AMX unused)."""

PIN_NAME = "avx2"
KERNEL_VARIABLES = ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS", "ONEDNN_MAX_CPU_ISA", PIN_VARIABLE)
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
_ISA_FLAGS = ("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "amx_tile", "avx_vnni")


def pinned() -> str | None:
    """The pin this process runs under (``avx2``), or None."""
    return os.environ.get(PIN_VARIABLE) or None


def pinned_env(threads: int, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a child process that computes under :data:`PORTABLE` with ``threads`` threads."""
    env = dict(os.environ if base is None else base)
    env.update(PORTABLE)
    env[PIN_VARIABLE] = PIN_NAME
    env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
    return env


def _cpuinfo() -> tuple[str, str, set[str]]:
    vendor, model, flags = "unknown", platform.processor() or "unknown", set()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            key = key.strip()
            if key == "vendor_id" and vendor == "unknown":
                vendor = value.strip()
            elif key == "model name" and model in ("unknown", platform.processor()):
                model = value.strip()
            elif key == "flags" and not flags:
                flags = set(value.split())
    except OSError:
        pass
    return vendor, model, flags


def isa_level(flags: set[str]) -> str:
    """The highest x86-64 vector level the CPU has: ``avx512``, ``avx2`` or ``below-avx2`` (``unknown`` off x86)."""
    if not flags:
        return "unknown"
    if "avx512f" in flags:
        return "avx512"
    return "avx2" if "avx2" in flags else "below-avx2"


def fingerprint() -> dict[str, Any]:
    """What the kernels of this process are: CPU, its ISA level, torch's dispatch, MKL/oneDNN and their settings, threads.

    Torch's own answers (``cpu_capability``, ``quantized_engine``, versions) are read only when torch is already
    imported, so recording a fingerprint never loads it; otherwise they are None.
    """
    vendor, model, flags = _cpuinfo()
    out: dict[str, Any] = {
        "cpu_vendor": vendor,
        "cpu_model": model,
        "isa_level": isa_level(flags),
        "isa_flags": sorted(f for f in _ISA_FLAGS if f in flags),
        "pin": pinned(),
        "settings": {k: os.environ[k] for k in (*KERNEL_VARIABLES, *THREAD_VARIABLES) if k in os.environ},
        "cpu_capability": None,
        "quantized_engine": None,
        "mkl": None,
        "onednn": None,
        "torch_threads": None,
        "deterministic": None,
    }
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            out["cpu_capability"] = torch.backends.cpu.get_cpu_capability()
            out["quantized_engine"] = torch.backends.quantized.engine
            out["torch_threads"] = torch.get_num_threads()
            out["deterministic"] = torch.are_deterministic_algorithms_enabled()
            out["mkl"] = _version_line(torch, "Math Kernel Library Version")
            out["onednn"] = _version_line(torch, "MKL-DNN v")
        except (AttributeError, RuntimeError):
            pass
    return out


def _version_line(torch: Any, marker: str) -> str | None:
    for line in torch.__config__.show().splitlines():
        if marker in line:
            tail = line.split(marker, 1)[1].strip()
            return tail.split(" ")[0].split("-")[0] or None
    return None


DIFF_KEYS = ("cpu_vendor", "cpu_model", "isa_level", "cpu_capability", "quantized_engine", "mkl", "onednn", "pin", "torch_threads")
"""The fingerprint keys a verdict compares (flags and raw settings are behind these)."""


def fingerprint_diff(expected: dict[str, Any] | None, observed: dict[str, Any]) -> list[str]:
    """``key: expected -> observed`` for each :data:`DIFF_KEYS` entry that differs (a key the expected side lacks is skipped)."""
    if not expected:
        return []
    return [
        f"{k}: {expected[k]} -> {observed.get(k)}"
        for k in DIFF_KEYS
        if k in expected and expected[k] is not None and observed.get(k) is not None and expected[k] != observed.get(k)
    ]


def measured_on(fp: dict[str, Any]) -> dict[str, Any]:
    """The part of a fingerprint an ``expected:`` entry records (``measured_on:``)."""
    return {k: fp.get(k) for k in DIFF_KEYS if fp.get(k) is not None}
