"""Class 1 of issue 21: a hostile generator endpoint (a loopback server of our own).

Inputs tried: a 50 MB completion, a server that trickles one byte every 0.2 s, HTML, non-UTF-8 bytes, a number
and a list as ``content``, a truncated body, ``completion_tokens: -99999999999``, more tokens than asked for,
and Ctrl-C (SIGINT) while a request hangs. Each ends as RunnerUnavailable (exit 4) with one line naming the
endpoint, within bounded time, and nothing is cached.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from bench.errors import RunnerUnavailable
from bench.runners.generators import Decoding, OpenAIGenerator
from bench.runners.thought_cache import ThoughtCache
from tests.conftest import ROOT

GREEDY = Decoding(mode="greedy", max_new_tokens=8)


def _ok(content: Any = "fine", tokens: Any = 3) -> bytes:
    return json.dumps(
        {"choices": [{"message": {"content": content}, "finish_reason": "stop"}], "usage": {"completion_tokens": tokens}}
    ).encode()


class _Hostile(BaseHTTPRequestHandler):
    mode: ClassVar[str] = "ok"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        mode = type(self).mode
        ctype = "application/json"
        if mode == "huge":
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.end_headers()
            chunk = b'{"choices": [{"message": {"content": "' + b"x" * (1 << 20)
            try:
                for _ in range(50):
                    self.wfile.write(chunk)
            except OSError:
                pass
            return
        if mode == "trickle":
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.end_headers()
            try:
                for b in _ok():
                    self.wfile.write(bytes([b]))
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
            return
        body = {
            "html": b"<html><body>502 Bad Gateway</body></html>",
            "latin1": _ok("caf\u00e9").replace(b"\\u00e9", b"\xe9"),
            "number": _ok(42),
            "list": _ok(["a", "b"]),
            "negative": _ok("fine", -99999999999),
            "too-many": _ok("fine", 10**6),
            "truncated": _ok()[:25],
            "ok": _ok(),
        }[mode]
        if mode == "html":
            ctype = "text/html"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(_ok()) if mode == "truncated" else len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hostile() -> Iterator[tuple[str, type[_Hostile]]]:
    handler = type("Handler", (_Hostile,), {"mode": "ok"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("mode", "match"),
    [
        ("huge", r"over the cap of \d+ bytes"),
        ("html", r"not complete JSON \(text/html"),
        ("latin1", r"not UTF-8"),
        ("number", r"content as a JSON int, not a string"),
        ("list", r"content as a JSON list"),
        ("negative", r"usage.completion_tokens = -99999999999"),
        ("too-many", r"claims 1000000 completion tokens"),
        ("truncated", r"not complete JSON \(application/json, 25 bytes\)"),
    ],
)
def test_a_bad_reply_is_refused_in_one_line_naming_the_endpoint(hostile, mode: str, match: str) -> None:
    url, handler = hostile
    handler.mode = mode
    gen = OpenAIGenerator(url, "m", identity={}, retries=0, timeout_s=10)
    t = time.monotonic()
    with pytest.raises(RunnerUnavailable, match=match) as e:
        gen.generate(["p1", "p2"], GREEDY, 1)
    assert time.monotonic() - t < 10
    assert "\n" not in str(e.value) and url in str(e.value)
    assert RunnerUnavailable.exit_code == 4


def test_a_trickling_server_meets_the_request_deadline_and_the_stage_deadline(hostile) -> None:
    url, handler = hostile
    handler.mode = "trickle"
    gen = OpenAIGenerator(url, "m", identity={}, retries=1, backoff_s=0.01, timeout_s=1.0)
    t = time.monotonic()
    with pytest.raises(RunnerUnavailable, match=r"failed 2 times \(last: no complete reply within 1 s\)"):
        gen.generate(["p"], GREEDY, 1)
    assert time.monotonic() - t < 4
    stage = OpenAIGenerator(url, "m", identity={}, retries=10, backoff_s=0.01, timeout_s=1.0, stage_timeout_s=1.5)
    t = time.monotonic()
    with pytest.raises(RunnerUnavailable, match=r"did not finish the generation stage within 1.5 s"):
        stage.generate(["p1", "p2", "p3"], GREEDY, 1)
    assert time.monotonic() - t < 4


def test_a_refused_reply_caches_nothing(hostile, tmp_path: Path) -> None:
    """Through the reasoning runner: a refused batch never reaches the thought cache."""
    import yaml

    from bench.datasets import resolve_dataset
    from bench.runners.base import Progress, make_runner
    from bench.specs import load_spec

    url, handler = hostile
    handler.mode = "negative"
    data = yaml.safe_load((ROOT / "models" / "o1-smollm2-minilm.yaml").read_text(encoding="utf-8"))
    data.pop("expected", None)
    data["name"] = "test-hostile"
    data["params"] = {**data["params"], "endpoint": {"url": url, "retries": 0}}
    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump(data), encoding="utf-8")
    runner = make_runner(load_spec(spec), str(spec))
    runner.thought_cache = ThoughtCache(tmp_path / "thoughts")
    ds = resolve_dataset("adi")
    with pytest.raises(RunnerUnavailable, match=r"usage\.completion_tokens"):
        runner.think(ds.judged_queries()[:3], Progress())
    assert runner.thought_cache.keys() == []


_HANG = """
import sys
from bench.runners.generators import Decoding, OpenAIGenerator
gen = OpenAIGenerator(sys.argv[1], "m", identity={}, timeout_s=600, concurrency=2)
print("ready", flush=True)
gen.generate(["p1", "p2"], Decoding(max_new_tokens=8), 1)
"""


def test_ctrl_c_ends_a_hanging_stage_within_seconds(hostile) -> None:
    url, handler = hostile
    handler.mode = "trickle"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", _HANG, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    time.sleep(1.0)
    t = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=10)
    assert time.monotonic() - t < 5
    assert proc.returncode != 0
