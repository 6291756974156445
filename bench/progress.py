"""Progress bars for the CLI (rich, on stderr so that ``--json`` output stays clean)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.progress import Progress as RichBar

from bench.runners.base import Progress

T = TypeVar("T")


class RichProgress(Progress):
    """Draws a bar per tracked loop and a spinner per stage; silent when ``enabled`` is False."""

    def __init__(self, console: Console, enabled: bool = True) -> None:
        self.console = console
        self.enabled = enabled and console.is_terminal

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

    def track(self, items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
        if not self.enabled:
            yield from items
            return
        with self._bar() as bar:
            yield from bar.track(items, total=total, description=description)

    def stage(self, description: str) -> AbstractContextManager[None]:
        return self._stage(description)

    @contextmanager
    def _stage(self, description: str) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        # status() would parse a str as markup ('[/bold]' in a folder name); the console's render_str makes it plain text
        with self.console.status(self.console.render_str(description, markup=False, emoji=False)):
            yield
