"""Progress for the CLI, on stderr so that ``--json`` output stays clean: Rich bars on a terminal, plain lines in logs.

When stderr is not a terminal (CI, a cluster job's log, a pipe), bars would be either silent or a mess of control
codes; :class:`LogProgress` writes one plain line per stage start and end and, while a loop runs, one line every
``BENCH_PROGRESS_INTERVAL`` seconds (default 10) plus a last one when it ends, in logfmt::

    progress stage="encoding 82 documents" done=64 total=82 rate=41.3/s elapsed=1.5s eta=0.4s
    progress stage="indexing adi (flat)" status=done elapsed=2.1s

``stage`` is a JSON string; ``total`` and ``eta`` are ``?`` when unknown. Counts are texts (documents, queries), never
batches: a loop over batches says how many texts each holds (``units``). :data:`LINE` parses a line.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TextIO, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.progress import Progress as RichBar

from bench.runners.base import Progress

T = TypeVar("T")

LINE = re.compile(
    r'^progress stage=(?P<stage>"(?:[^"\\]|\\.)*") '
    r"(?:done=(?P<done>\d+) total=(?P<total>\d+|\?) rate=(?P<rate>[0-9.]+)/s elapsed=(?P<elapsed>[0-9.]+)s eta=(?P<eta>[0-9.]+s|\?)"
    r"|status=(?P<status>started|running|done|failed) elapsed=(?P<stage_elapsed>[0-9.]+)s)$"
)
"""One log line of :class:`LogProgress` (``stage`` is JSON: ``json.loads`` it)."""


class LogProgress(Progress):
    """Plain progress lines at a steady interval, for logs (stderr is not a terminal).

    Args:
        stream: Where lines go (stderr).
        interval: Seconds between lines while a loop or stage runs; 0 writes a line after every item.
        clock: Monotonic seconds (tests pass a fake one).
    """

    def __init__(self, stream: TextIO, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()

    def _write(self, line: str) -> None:
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()

    @staticmethod
    def _stage(description: str) -> str:
        return json.dumps(description)  # quotes and control characters escaped: one parseable line whatever the name

    def _count_line(self, description: str, done: int, total: int | None, elapsed: float) -> str:
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (
            f"{(total - done) / rate:.1f}s" if total is not None and rate > 0 else ("0.0s" if total is not None and done >= total else "?")
        )
        return (
            f"progress stage={self._stage(description)} done={done} total={total if total is not None else '?'} "
            f"rate={rate:.1f}/s elapsed={elapsed:.1f}s eta={eta}"
        )

    def track(self, items: Iterable[T], description: str, total: int | None = None, units: Callable[[T], int] | None = None) -> Iterator[T]:
        start = self.clock()
        at = {"done": 0, "written": 0, "last": start}  # shared with the heartbeat, under self._count_lock
        self._write(self._count_line(description, 0, total, 0.0))

        def due() -> None:  # a line when the interval has passed since the last one (caller holds the lock)
            now = self.clock()
            if now - at["last"] >= self.interval:
                self._write(self._count_line(description, at["done"], total, now - start))
                at["last"], at["written"] = now, at["done"]

        stop = threading.Event()

        def heartbeat() -> None:  # an item that takes longer than the interval (one big shard) still gets its lines
            while not stop.wait(self.interval):
                with self._count_lock:
                    due()

        beat = threading.Thread(target=heartbeat, name="bench-progress-track", daemon=True) if self.interval > 0 else None
        if beat is not None:
            beat.start()
        try:
            for item in items:
                yield item
                with self._count_lock:
                    at["done"] += units(item) if units is not None else 1
                    due()
        finally:  # the last line tells where the loop ended: done == total when it ran to the end, less when it was cut short
            stop.set()
            if beat is not None:
                beat.join()
            if at["written"] != at["done"]:
                self._write(self._count_line(description, at["done"], total, self.clock() - start))

    def stage(self, description: str) -> AbstractContextManager[None]:
        return self._staged(description)

    @contextmanager
    def _staged(self, description: str) -> Iterator[None]:
        start = self.clock()
        name = self._stage(description)
        self._write(f"progress stage={name} status=started elapsed=0.0s")
        stop = threading.Event()

        def heartbeat() -> None:  # a long stage (indexing a big corpus) still says it is alive
            while not stop.wait(max(self.interval, 0.5)):
                self._write(f"progress stage={name} status=running elapsed={self.clock() - start:.1f}s")

        beat = threading.Thread(target=heartbeat, name="bench-progress", daemon=True)
        beat.start()
        status = "failed"
        try:
            yield
            status = "done"
        finally:
            stop.set()
            beat.join()
            self._write(f"progress stage={name} status={status} elapsed={self.clock() - start:.1f}s")


class RichProgress(Progress):
    """A bar per tracked loop and a spinner per stage on a terminal; plain :class:`LogProgress` lines otherwise.

    Args:
        console: The (stderr) console.
        enabled: False shows nothing at all.
        interval: Seconds between log lines when the console is not a terminal (default: ``BENCH_PROGRESS_INTERVAL``).
    """

    def __init__(self, console: Console, enabled: bool = True, interval: float | None = None) -> None:
        self.console = console
        self.enabled = enabled and console.is_terminal
        self.log: LogProgress | None = None
        if enabled and not console.is_terminal:
            from bench.paths import progress_interval

            self.log = LogProgress(console.file, progress_interval() if interval is None else interval)

    def _bar(self) -> RichBar:
        return RichBar(
            SpinnerColumn(),
            TextColumn("{task.description}", markup=False),  # descriptions carry dataset and model names: plain text
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )

    def track(self, items: Iterable[T], description: str, total: int | None = None, units: Callable[[T], int] | None = None) -> Iterator[T]:
        if self.log is not None:
            yield from self.log.track(items, description, total, units)
            return
        if not self.enabled:
            yield from items
            return
        with self._bar() as bar:
            task = bar.add_task(description, total=total)
            for item in items:
                yield item
                bar.advance(task, units(item) if units is not None else 1)

    def stage(self, description: str) -> AbstractContextManager[None]:
        if self.log is not None:
            return self.log.stage(description)
        return self._stage(description)

    @contextmanager
    def _stage(self, description: str) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        # status() would parse a str as markup ('[/bold]' in a folder name); the console's render_str makes it plain text
        with self.console.status(self.console.render_str(description, markup=False, emoji=False)):
            yield
