"""Bounded reading of untrusted line-oriented text files (run files, corpus/queries JSONL, qrels TSV).

One implementation for every text input: the stored size is checked before reading; a gzip file is
decompressed as a stream whose output is counted *while* reading (a compression bomb stops at the cap and
is never inflated in memory); every line has a maximum length (an over-long line is reported and skipped
without being held); and every line is decoded as UTF-8, a failure reported as ``file:line: not UTF-8``.

Problems of one line are passed to the caller's ``on_problem(kind, line, message)`` (which may raise to stop,
or collect and go on); problems of the whole file raise :class:`TextFileError`.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
_RATIO_AFTER = 1 << 20
_CHUNK = 1 << 16
_BOM = "\ufeff"

OnProblem = Callable[[str, int, str], None]
"""``on_problem(kind, line, message)``: a problem of one line, which is then skipped."""


@dataclass(frozen=True)
class ReadLimits:
    """Size limits of one text file (bytes)."""

    max_file_bytes: int = 64 << 20
    """The file as stored (compressed or not)."""
    max_decompressed_bytes: int = 512 << 20
    """The file after decompression: more means a compression bomb or far more data than needed."""
    max_compression_ratio: int = 100
    """Decompressed / compressed bytes, checked once 1 MiB is decompressed (TREC runs gzip about 5:1; a bomb 1000:1)."""
    max_line_bytes: int = 4096
    """One line, without its newline."""


class TextFileError(Exception):
    """A problem of the whole file (too large, a compression bomb, broken gzip); ``kind`` classifies it."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class _Counting(io.RawIOBase):
    """A read-only file wrapper that counts the (compressed) bytes handed to the decompressor."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.count = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        n = self.raw.readinto(b)  # type: ignore[attr-defined]
        self.count += n or 0
        return n


def is_gzip(path: Path) -> bool:
    """Whether the file starts with the gzip magic bytes."""
    with path.open("rb") as f:
        return f.read(2) == GZIP_MAGIC


def iter_text_lines(path: Path, limits: ReadLimits, on_problem: OnProblem, *, allow_gzip: bool = True) -> Iterator[tuple[int, str]]:
    """Numbered, decoded lines of ``path`` (1-based; newline, a trailing CR and a leading BOM removed).

    Args:
        path: the file; gzip-compressed when it starts with the gzip magic bytes and ``allow_gzip``.
        limits: size limits.
        on_problem: called for an over-long or non-UTF-8 line (kinds ``line too long`` and ``encoding``); the line is skipped.
            Empty lines are skipped silently (their numbers still count).
        allow_gzip: read a gzip file decompressed (else its bytes are text, and fail as not UTF-8).

    Raises:
        TextFileError: kinds ``size`` (stored file over the cap), ``decompressed size``, ``ratio``, ``gzip``, ``missing``.
    """
    try:
        size = path.stat().st_size
    except OSError as e:
        raise TextFileError("missing", f"cannot read ({e.strerror})") from None
    if size > limits.max_file_bytes:
        raise TextFileError("size", f"file is {size:,} bytes, over the limit of {limits.max_file_bytes:,}")
    compressed = allow_gzip and is_gzip(path)
    with path.open("rb") as raw_file:
        counter = _Counting(raw_file) if compressed else None
        stream: BinaryIO = gzip.GzipFile(fileobj=io.BufferedReader(counter), mode="rb") if counter else raw_file  # type: ignore[assignment]
        try:
            yield from _lines(stream, counter, limits, on_problem)
        except (OSError, EOFError, zlib.error) as e:
            raise TextFileError("gzip", f"cannot be decompressed ({e}); re-create it with gzip") from None


def _lines(stream: BinaryIO, counter: _Counting | None, limits: ReadLimits, on_problem: OnProblem) -> Iterator[tuple[int, str]]:
    """Split the byte stream into lines chunk by chunk (C-speed splits), counting bytes as they arrive; never holds an over-long line."""
    total, n, buf, skipping, cap = 0, 0, b"", False, limits.max_line_bytes
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        total += len(chunk)
        _check_total(total, counter, limits)
        buf += chunk
        parts = buf.split(b"\n")
        buf = parts.pop()
        if parts and not skipping and n > 0 and max(map(len, parts)) <= cap:
            try:  # the common case: every line of the chunk short and UTF-8, decoded at once
                texts = b"\n".join(parts).decode("utf-8").split("\n")
            except UnicodeDecodeError:
                texts = None
            if texts is not None:
                for text in texts:
                    n += 1
                    if text:
                        yield n, text[:-1] if text.endswith("\r") else text
                continue
        for raw in parts:
            n += 1
            if skipping:  # the end of an over-long line, already reported
                skipping = False
                continue
            text = _decode(n, raw, cap, on_problem)
            if text:
                yield n, text
        if len(buf) > cap + 1:  # a line still without its end is already too long: report it once, drop what is held
            if not skipping:
                on_problem("line too long", n + 1, f"line longer than {cap} bytes")
            skipping, buf = True, b""
    if buf and not skipping:
        text = _decode(n + 1, buf, cap, on_problem)
        if text:
            yield n + 1, text


def _decode(n: int, raw: bytes, cap: int, on_problem: OnProblem) -> str | None:
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    if len(raw) > cap:
        on_problem("line too long", n, f"line longer than {cap} bytes")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        on_problem("encoding", n, f"not UTF-8 (byte 0x{e.object[e.start]:02x} at column {e.start + 1})")
        return None
    return text[1:] if n == 1 and text.startswith(_BOM) else text


def _check_total(total: int, counter: _Counting | None, limits: ReadLimits) -> None:
    if total > limits.max_decompressed_bytes:
        raise TextFileError("decompressed size", f"holds more than {limits.max_decompressed_bytes:,} bytes of text; reading stopped there")
    if counter is not None and total >= _RATIO_AFTER and total > limits.max_compression_ratio * max(1, counter.count):
        raise TextFileError(
            "ratio", f"decompresses more than {limits.max_compression_ratio}-fold (a compression bomb); reading stopped there"
        )
