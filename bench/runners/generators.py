"""Text generators for reasoning embedders: one small protocol, two backends.

* :class:`TransformersGenerator`: a local causal LM through transformers (a folder, a Hugging Face
  snapshot, or a GGUF file loaded with ``gguf_file=``), prompts wrapped in the model's chat template and
  generated in batches with left padding (greedy batched generation gives the same tokens as one prompt
  at a time, several times faster; DESIGN.md).
* :class:`OpenAIGenerator`: any OpenAI-compatible endpoint (vLLM, llama.cpp's server, ``transformers
  serve``, hosted APIs) over HTTP with a timeout, retries with exponential backoff, a concurrency limit,
  and an API key read from an environment variable at request time (never stored or logged).

Decoding is greedy, or sampled with a temperature, top_p and a seed. Sampled thoughts of one query are
drawn together (``num_return_sequences``) under a seed derived from the spec's seed and the prompt, so a
query's thoughts do not depend on which other queries share its batch.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import queue
import socket
import threading
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from bench.errors import RunnerUnavailable
from bench.provenance import json_sha256


class Decoding(BaseModel):
    """How thoughts are decoded (``params.decoding`` of a reasoning spec)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: Literal["greedy", "sample"] = "greedy"
    temperature: float = Field(0.1, gt=0.0, le=2.0)
    """Sampling temperature (``sample`` only; the O1 Embedder paper uses 0.1)."""
    top_p: float = Field(0.9, gt=0.0, le=1.0)
    seed: int = Field(0, ge=0)
    max_new_tokens: int = Field(128, gt=0, le=4096)

    def key(self) -> dict[str, Any]:
        """What the thoughts depend on (cache keys): sampling settings only when sampling."""
        if self.mode == "greedy":
            return {"mode": "greedy", "max_new_tokens": self.max_new_tokens}
        return self.model_dump()


@dataclass(frozen=True)
class Generated:
    """One generated text: the text, its token count, the seconds charged to it, and why it ended."""

    text: str
    tokens: int
    seconds: float
    finish_reason: str


class Generator(Protocol):
    """Writes ``samples`` texts for each prompt. ``identity`` names the generator in cache keys."""

    identity: dict[str, Any]

    def generate(self, prompts: Sequence[str], decoding: Decoding, samples: int) -> list[list[Generated]]:
        """``samples`` generations per prompt, in prompt order (greedy decoding: ``samples`` must be 1)."""
        ...


def sample_seed(seed: int, prompt: str, sample: int = 0) -> int:
    """A per-prompt seed derived from the spec's seed: the same prompt gets the same seed in any batch."""
    return int(json_sha256([seed, prompt, sample])[:8], 16)


class TransformersGenerator:
    """A local causal LM (transformers), batched, chat template applied when ``chat`` is true.

    ``threads`` sets torch's thread count while generating (restored after); None keeps torch's default.
    ``first_line``: a row stops once it has written a non-empty line and a line break (the generate stage's queries are
    the first line; greedy tokens before the break are the same, and a batch ends when its longest first line does).
    """

    def __init__(
        self,
        path: Path,
        *,
        sha256: str,
        gguf_file: str | None = None,
        chat: bool = True,
        batch_size: int = 16,
        device: str | None = None,
        threads: int | None = None,
        first_line: bool = False,
    ) -> None:
        self.path, self.gguf_file, self.chat, self.batch_size, self.device = path, gguf_file, chat, batch_size, device
        self.threads, self.first_line = threads, first_line
        self.identity = {"backend": "transformers", "sha256": sha256, "chat": chat, "threads": threads}
        if first_line:
            self.identity["stop"] = "first line"
        self._model: Any = None
        self._tokenizer: Any = None
        self.load_s = 0.0

    def _load(self) -> None:
        if self._model is not None:
            return
        t = time.perf_counter()
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        kwargs: dict[str, Any] = {"local_files_only": True}
        if self.gguf_file:
            kwargs["gguf_file"] = self.gguf_file
        tokenizer = AutoTokenizer.from_pretrained(str(self.path), **kwargs)
        model = AutoModelForCausalLM.from_pretrained(str(self.path), **kwargs)
        if self.device:
            model.to(self.device)
        model.eval()
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        self._model, self._tokenizer = model, tokenizer
        self.load_s = time.perf_counter() - t

    def render(self, prompt: str) -> str:
        """The text the model sees: the prompt as the user's turn of the chat template, or the prompt itself."""
        self._load()
        if not self.chat:
            return prompt
        return self._tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True)

    def generate(self, prompts: Sequence[str], decoding: Decoding, samples: int) -> list[list[Generated]]:
        self._load()
        if decoding.mode == "greedy":
            if samples != 1:
                raise ValueError("greedy decoding gives one thought per query; set thoughts: 1 or decoding.mode: sample")
            out: list[list[Generated]] = []
            for i in range(0, len(prompts), self.batch_size):
                out.extend([g] for g in self._run(list(prompts[i : i + self.batch_size]), decoding, 1, None))
            return out
        # sampled: one call per prompt, all its samples together, under a seed derived from the prompt
        return [self._run([p], decoding, samples, sample_seed(decoding.seed, p)) for p in prompts]

    def _run(self, prompts: list[str], decoding: Decoding, samples: int, seed: int | None) -> list[Generated]:
        import torch

        tok, model = self._tokenizer, self._model
        texts = [self.render(p) for p in prompts]
        enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=not self.chat).to(model.device)
        options: dict[str, Any] = {"max_new_tokens": decoding.max_new_tokens, "pad_token_id": tok.pad_token_id}
        if decoding.mode == "greedy":
            options.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        else:
            options.update(do_sample=True, temperature=decoding.temperature, top_p=decoding.top_p, top_k=None, num_return_sequences=samples)
        if self.first_line:
            from transformers import StoppingCriteriaList

            options["stopping_criteria"] = StoppingCriteriaList([_FirstLine(tok, enc["input_ids"].shape[1])])
        t = time.perf_counter()
        before = torch.get_num_threads()
        try:
            if self.threads:
                torch.set_num_threads(self.threads)
            with torch.random.fork_rng(devices=[]), torch.inference_mode():
                if seed is not None:
                    torch.manual_seed(seed)
                ids = model.generate(**enc, **options)
        finally:
            torch.set_num_threads(before)
        seconds = (time.perf_counter() - t) / ids.shape[0]
        new = ids[:, enc["input_ids"].shape[1] :].tolist()
        configured = getattr(model.generation_config, "eos_token_id", None)
        stops = {tok.eos_token_id, *(configured if isinstance(configured, list) else [configured])} - {None}
        results = []
        for row in new:
            end = next((j for j, t_id in enumerate(row) if t_id in stops), None)
            kept = row if end is None else row[:end]
            text = tok.decode(kept, skip_special_tokens=True)
            stopped = end is not None or (self.first_line and _has_first_line(text))
            results.append(Generated(text=text.strip(), tokens=len(kept), seconds=seconds, finish_reason="stop" if stopped else "length"))
        return results


def _has_first_line(text: str) -> bool:
    """Whether ``text`` holds a non-empty line ended by a line break."""
    return "\n" in text.lstrip()


class _FirstLine:
    """A stopping criterion: True for each row whose new tokens hold a non-empty line and a line break."""

    def __init__(self, tokenizer: Any, start: int) -> None:
        self.tokenizer, self.start = tokenizer, start

    def __call__(self, input_ids: Any, scores: Any, **_: Any) -> Any:
        import torch

        texts = self.tokenizer.batch_decode(input_ids[:, self.start :], skip_special_tokens=True)
        return torch.tensor([_has_first_line(t) for t in texts], dtype=torch.bool, device=input_ids.device)


class OpenAIGenerator:
    """An OpenAI-compatible endpoint: ``/chat/completions`` (``chat``) or ``/completions``.

    Args:
        base_url: the API root, e.g. ``http://127.0.0.1:8000/v1``.
        model: the ``model`` field of each request.
        identity: what names the generator in cache keys (the spec's pinned generator hash, the model name).
        api_key_env: environment variable holding the API key, read per request; None sends no key.
        timeout_s: deadline of one request (connect + the whole reply). stage_timeout_s: of the whole generation stage. retries: attempts after the first on a timeout, connection error, 429 or 5xx.
        concurrency: requests in flight at once.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        identity: dict[str, Any],
        chat: bool = True,
        api_key_env: str | None = None,
        timeout_s: float = 60.0,
        retries: int = 3,
        backoff_s: float = 0.5,
        concurrency: int = 4,
        stage_timeout_s: float = 3600.0,
    ) -> None:
        self.base_url, self.model, self.chat = base_url.rstrip("/"), model, chat
        self.api_key_env, self.timeout_s, self.retries, self.backoff_s, self.concurrency = (
            api_key_env,
            timeout_s,
            retries,
            backoff_s,
            concurrency,
        )
        self.stage_timeout_s = stage_timeout_s
        self._stage_deadline: float | None = None
        self._abort = threading.Event()
        self._lock = threading.Lock()
        self._flights: set[_Flight] = set()
        self.identity = {"backend": "openai", "chat": chat, **identity}
        self.load_s = 0.0
        self.requests = 0
        """HTTP requests sent, retries included (for tests and costs)."""

    def _body(self, prompt: str, decoding: Decoding, sample: int) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "max_tokens": decoding.max_new_tokens, "n": 1}
        if self.chat:
            body["messages"] = [{"role": "user", "content": prompt}]
        else:
            body["prompt"] = prompt
        if decoding.mode == "greedy":
            body["temperature"] = 0.0
        else:
            body.update(temperature=decoding.temperature, top_p=decoding.top_p, seed=sample_seed(decoding.seed, prompt, sample))
        return body

    def _post(self, body: dict[str, Any], cap: int) -> dict[str, Any]:
        url = f"{self.base_url}/{'chat/completions' if self.chat else 'completions'}"
        parts = urllib.parse.urlsplit(url)
        headers = {"Content-Type": "application/json"}
        if self.api_key_env:
            key = os.environ.get(self.api_key_env)
            if not key:
                raise RunnerUnavailable(f"params.endpoint.api_key_env: ${self.api_key_env} is not set; export the API key in it")
            headers["Authorization"] = f"Bearer {key}"
        data = json.dumps(body).encode()
        last = ""
        for attempt in range(self.retries + 1):
            if attempt and self._abort.wait(self.backoff_s * 2 ** (attempt - 1)):
                raise _Aborted()
            if self._abort.is_set():
                raise _Aborted()
            self.requests += 1
            cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
            conn = cls(parts.hostname or "", parts.port, timeout=self.timeout_s)
            flight = _Flight(conn, time.monotonic() + self.timeout_s)
            with self._lock:
                self._flights.add(flight)
            try:
                conn.connect()
                flight.sock = conn.sock  # kept: the connection drops its own reference once a reply says it will close
                if flight.killed:
                    flight.kill()
                conn.request("POST", parts.path or "/", body=data, headers=headers)
                resp = conn.getresponse()
                length = resp.getheader("Content-Length")
                if length and length.isdigit() and int(length) > cap:
                    raise _Refused(f"announced a {int(length)}-byte reply, over the cap of {cap} bytes for max_new_tokens")
                raw = bytearray()
                while chunk := resp.read1(65536):
                    raw += chunk
                    if len(raw) > cap:
                        raise _Refused(f"sent a reply over the cap of {cap} bytes for max_new_tokens")
                if flight.killed:
                    raise TimeoutError  # cut off at its deadline: what arrived is not the reply
                if resp.status >= 400:
                    last = f"HTTP {resp.status}"
                    if resp.status != 429 and resp.status < 500:
                        detail = bytes(raw[:200]).decode("utf-8", "replace").replace("\n", " ")
                        raise RunnerUnavailable(f"generator endpoint {url} refused the request ({last}: {detail}); check params.endpoint")
                    continue
                if resp.status != 200:
                    raise _Refused(f"answered HTTP {resp.status}, not 200; point params.endpoint.url at the API root")
                try:
                    text = bytes(raw).decode("utf-8")
                except UnicodeDecodeError:
                    raise _Refused("sent a reply that is not UTF-8") from None
                try:
                    return json.loads(text)
                except ValueError:
                    kind = (resp.getheader("Content-Type") or "unknown type").split(";")[0]
                    raise _Refused(f"sent a reply that is not complete JSON ({kind}, {len(raw)} bytes)") from None
            except (_Refused, RunnerUnavailable):
                raise
            except (OSError, http.client.HTTPException, ValueError) as e:
                if self._abort.is_set():
                    raise _Aborted() from None
                last = (
                    f"no complete reply within {self.timeout_s:g} s" if flight.killed else (type(e).__name__ + (f": {e}" if str(e) else ""))
                )
            finally:
                with self._lock:
                    self._flights.discard(flight)
                conn.close()
        raise RunnerUnavailable(
            f"generator endpoint {url} failed {self.retries + 1} times (last: {last}); start the server or raise params.endpoint.retries"
        )

    def _one(self, prompt: str, decoding: Decoding, sample: int) -> Generated:
        t = time.perf_counter()
        reply = self._post(self._body(prompt, decoding, sample), reply_byte_cap(decoding.max_new_tokens))
        seconds = time.perf_counter() - t
        text, tokens, finish = validate_reply(reply, chat=self.chat, max_new_tokens=decoding.max_new_tokens)
        return Generated(text=text.strip(), tokens=tokens, seconds=seconds, finish_reason=finish)

    def begin_stage(self) -> None:
        """Start the generation stage's clock (``stage_timeout_s`` counts from here, across batches)."""
        self._stage_deadline = time.monotonic() + self.stage_timeout_s

    def generate(self, prompts: Sequence[str], decoding: Decoding, samples: int) -> list[list[Generated]]:
        if decoding.mode == "greedy" and samples != 1:
            raise ValueError("greedy decoding gives one thought per query; set thoughts: 1 or decoding.mode: sample")
        jobs = [(p, s) for p in prompts for s in range(samples)]
        if self._stage_deadline is None:
            self.begin_stage()
        stage_deadline = self._stage_deadline or 0.0
        self._abort.clear()
        done: list[Generated | None] = [None] * len(jobs)
        errors: list[BaseException] = []
        todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        for i in range(len(jobs)):
            todo.put(i)

        def work() -> None:
            while not self._abort.is_set():
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    done[i] = self._one(jobs[i][0], decoding, jobs[i][1])
                except BaseException as e:
                    errors.append(e)
                    self._abort.set()
                    return

        # daemon threads: an interrupted or refused stage never waits for a stuck request at exit
        threads = [threading.Thread(target=work, daemon=True) for _ in range(min(self.concurrency, len(jobs)))]
        for th in threads:
            th.start()
        try:
            while any(th.is_alive() for th in threads):
                threads[0].join(0.05) if threads[0].is_alive() else time.sleep(0.05)
                now = time.monotonic()
                with self._lock:
                    for f in self._flights:
                        if now > f.deadline:
                            f.kill()
                if errors:
                    break
                if now > stage_deadline:
                    raise RunnerUnavailable(
                        f"generator endpoint {self.base_url} did not finish the generation stage within "
                        f"{self.stage_timeout_s:g} s; raise params.endpoint.stage_timeout_s or use a faster server"
                    )
        except BaseException:
            self._stop()
            raise
        if errors:
            self._stop()
            real = [e for e in errors if not isinstance(e, _Aborted)]
            e = real[0] if real else errors[0]
            if isinstance(e, _Refused):
                raise RunnerUnavailable(f"generator endpoint {self.base_url} {e}; nothing from it was cached") from None
            raise e
        out = [g for g in done if g is not None]
        return [out[i * samples : (i + 1) * samples] for i in range(len(prompts))]

    def _stop(self) -> None:
        """Abort the stage: no new requests, every request in flight cut off now."""
        self._abort.set()
        with self._lock:
            for f in self._flights:
                f.kill()


class _Refused(Exception):
    """A reply that is refused (not retried): too large, not UTF-8, not JSON, or the wrong shape."""


class _Aborted(Exception):
    """The stage was stopped while this request waited."""


class _Flight:
    """One request in flight: its connection and its deadline (connect + whole body)."""

    def __init__(self, conn: http.client.HTTPConnection, deadline: float) -> None:
        self.conn, self.deadline, self.killed = conn, deadline, False
        self.sock: socket.socket | None = None

    def kill(self) -> None:
        self.killed = True
        sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


MAX_USAGE = 10**9


def reply_byte_cap(max_new_tokens: int) -> int:
    """Largest reply body accepted: 64 KiB of envelope plus 256 bytes per token asked for (escaped text, usage)."""
    return 65536 + 256 * max_new_tokens


def validate_reply(reply: Any, *, chat: bool, max_new_tokens: int) -> tuple[str, int, str]:
    """(text, completion tokens, finish reason) of a reply, or :class:`_Refused` saying what is wrong with it."""
    if not isinstance(reply, dict):
        raise _Refused(f"sent a JSON {type(reply).__name__}, not an object with choices")
    choices = reply.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise _Refused("sent a reply without choices[0]; is it OpenAI-compatible?")
    choice = choices[0]
    if chat:
        message = choice.get("message")
        text = message.get("content") if isinstance(message, dict) else None
        where = "choices[0].message.content"
    else:
        text, where = choice.get("text"), "choices[0].text"
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise _Refused(f"sent {where} as a JSON {type(text).__name__}, not a string")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _Refused(f"sent {where} with an unpaired surrogate (not UTF-8 text)") from None
    if "\x00" in text:
        raise _Refused(f"sent {where} with a NUL character")
    finish = choice.get("finish_reason")
    if finish is None:
        finish = "stop"
    if not isinstance(finish, str) or len(finish) > 40:
        raise _Refused("sent a finish_reason that is not a short string")
    usage = reply.get("usage")
    if usage is None:
        usage = {}
    if not isinstance(usage, dict):
        raise _Refused("sent usage that is not an object")
    for field in ("completion_tokens", "prompt_tokens", "total_tokens"):
        v = usage.get(field)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= MAX_USAGE):
            raise _Refused(f"sent usage.{field} = {str(v)[:40]}, not a whole number in [0, {MAX_USAGE}]")
    tokens = usage.get("completion_tokens") or 0
    if tokens > max_new_tokens:
        raise _Refused(f"claims {tokens} completion tokens, more than the max_tokens {max_new_tokens} it was asked for")
    return text, tokens, finish
