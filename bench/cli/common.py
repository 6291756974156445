"""Shared pieces of the command line: the app and its global options, consoles, common options, JSON and table output.

Everything printed through :data:`out` and :data:`err` is plain text: Rich markup (``[/bold]``, ``[link=...]``) and
emoji codes are never interpreted, and control characters (ANSI escapes included) are shown escaped (``\\x1b``), so a
model, dataset or file name cannot restyle, hide or break the output.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup, TyperOption

HELP_OPTIONS = ["-h", "--help"]

app = typer.Typer(
    help="brewbench: reproducible retrieval and embedding benchmarks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": HELP_OPTIONS},  # subcommands inherit it
)

# C0 and C1 controls, DEL, and the Unicode bidi embedding/override/isolate controls that reorder text on a terminal.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_KEEPING_NEWLINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape_char(m: re.Match[str]) -> str:
    c = m.group()
    return _NAMED.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")


def visible(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every control character written as an escape (``\\x1b``, ``\\n``), safe to put on a terminal.

    Args:
        text: Any string, typically a user- or model-controlled name.
        keep_newlines: Leave ``\\n`` alone (for messages that are meant to span lines).

    Returns:
        The string with control characters escaped; printable text, markup-like brackets included, is unchanged.
    """
    return (_CONTROL_KEEPING_NEWLINES if keep_newlines else _CONTROL).sub(_escape_char, text)


def one_line(text: str) -> str:
    """``text`` on one line: line breaks become spaces, other control characters are escaped."""
    return visible(re.sub(r"\s*[\r\n]+\s*", " ", text).strip())


class PlainConsole(Console):
    """A Console that prints strings as plain text: no markup, no emoji codes, no highlighting, control characters escaped.

    Every string Rich renders (``print`` arguments, table cells and titles, status text) goes through :meth:`render_str`.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(markup=False, emoji=False, highlight=False, **kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        kwargs.update(markup=False, emoji=False, highlight=False)
        return super().render_str(visible(text, keep_newlines=True), **kwargs)


_WIDE = None if sys.stdout.isatty() else 200  # pipes and CI logs get whole tables, not ellipses
out = PlainConsole(width=_WIDE)
err = PlainConsole(stderr=True)


def _print_version(value: bool) -> None:
    if value:
        from bench import __version__

        out.print(f"brewbench {__version__}")
        raise typer.Exit()


@app.callback()
def _global_options(
    debug: Annotated[
        bool, typer.Option("--debug", help="On an internal error, print the Python traceback (same as BENCH_DEBUG=1).")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the brewbench version and exit.")
    ] = False,
) -> None:
    """brewbench: reproducible retrieval and embedding benchmarks."""
    # Both are read by bench.cli.main: --version exits in its callback, --debug is looked up in the root context's params.


def build_command() -> TyperGroup:
    """The click command tree of :data:`app`, ready to run; ``-h`` shows boolean flags as flags and help texts rendered.

    typer 0.29 renders every flag in the rich help with a ``<bool>`` type, as if it took a value (``--json <bool>``,
    even its own ``--help <bool>``); a flag's type column is emptied here, once, for every command and group.
    """
    import typer.main

    root = typer.main.get_command(app)
    _show_flags_as_flags(root)
    assert isinstance(root, TyperGroup)
    return root


def _reflow(text: str) -> str:
    """A docstring as help shows it: cleaned, each paragraph on one line (typer 0.29 keeps the docstring's line breaks
    after the first paragraph, so help came out ragged), reST literals rendered (:func:`rendered`)."""
    import inspect

    paragraphs = inspect.cleandoc(text).split("\n\n")
    kept = [p if p.startswith("\b") or re.search(r"^\s*([-*] |\s)", p, re.M) else " ".join(p.split()) for p in paragraphs]
    return rendered("\n\n".join(kept))


def _show_flags_as_flags(command: Any) -> None:
    if getattr(command, "help", None):
        command.help = _reflow(command.help)
    for param in command.params:
        if getattr(param, "help", None):
            param.help = rendered(param.help)
    ctx = typer.Context(command, help_option_names=HELP_OPTIONS)
    help_option = command.get_help_option(ctx)  # created once per command and cached by it, so this is the one -h renders
    for param in [*command.params, help_option]:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""  # display_type_rich() shows the metavar when there is one
    for sub in getattr(command, "commands", {}).values():
        _show_flags_as_flags(sub)


# The values of the options that take one of a few, written out here so that `-h` imports nothing heavy;
# tests/test_help_texts.py checks each against the library's own list.
ENGINES = ("local", "ray")
ADHOC_KINDS = ("dense", "splade")  # bench.adhoc.KIND_FAMILY
EXPORT_FORMATS = ("trec", "csv", "parquet", "mteb")  # bench.interop.export.FORMATS
FAMILIES = ("lexical", "learned-sparse", "dense", "reasoning", "soft-label")  # bench.specs.FAMILIES
PUBLISHED_SOURCES = ("pyserini-2cr", "mteb-results")  # bench.published.tables.SOURCES
SUBMISSION_STATUSES = ("pending", "self-reported", "reproduced", "rejected", "withdrawn")  # bench.store.submissions
TASK_TYPES = ("STS", "Classification", "PairClassification", "Clustering")


def one_of(choices: tuple[str, ...], what: str, *, case_sensitive: bool = True) -> dict[str, Any]:
    """``typer.Option``/``Argument`` keywords for a value from ``choices``: shown as ``<a|b|c>`` in ``-h``, refused otherwise.

    A value outside ``choices`` is a usage error of one line that lists them and offers the close ones, e.g.
    ``'rya' is not an engine; use local or ray. Did you mean: ray?``.

    Args:
        choices: The accepted values, in the order help lists them.
        what: The value's noun with its article (``an engine``, ``a format``).
    """
    from bench.suggest import did_you_mean

    def parse(value: str) -> str:
        for choice in choices:
            if value == choice or (not case_sensitive and value.casefold() == choice.casefold()):
                return choice
        listed = " or ".join(choices) if len(choices) == 2 else ", ".join(choices)
        raise typer.BadParameter(f"'{value}' is not {what}; use {listed}.{did_you_mean(value, choices)}")

    return {"parser": parse, "metavar": "<" + "|".join(choices) + ">"}


_RST_LITERAL = re.compile(r"``(.+?)``", re.DOTALL)


def rendered(text: str) -> str:
    """``text`` as a terminal shows it: reST literals (two backticks each side) become Markdown's single backticks."""
    return _RST_LITERAL.sub(r"`\1`", text)


DbOption = Annotated[
    Path | None, typer.Option("--db", help="Results database (default: $BENCH_DB or ./results.duckdb).", show_default=False)
]
DatasetOption = Annotated[
    str, typer.Option("--dataset", "-d", help="Registered dataset name, a folder on the data path, or a path to a BEIR folder.")
]
SplitOption = Annotated[str, typer.Option("--split", help="qrels split.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout and nothing else.")]
MetricOption = Annotated[
    list[str] | None,
    typer.Option(
        "--metric",
        help="Also compute this metric, on top of the stored default set: any ir_measures name (nDCG@20, 'P(rel=2)@10', Judged@10) or trec_eval name (ndcg_cut.20, recip_rank); repeat.",
    ),
]


def note_metric_names(texts: list[str] | None) -> None:
    """On stderr, one line per metric given under another name than the one shown (``map`` is shown as ``AP``)."""
    from bench.evaluation.measures import alias_note

    for text in dict.fromkeys(texts or []):
        note = alias_note(text)
        if note:
            err.print(f"note: {note}", markup=False, soft_wrap=True)


def db_path(db: Path | None) -> Path:
    from bench.paths import default_db

    return db or default_db()


@contextmanager
def stdout_to_stderr(active: bool) -> Iterator[None]:
    """Send everything written to fd 1 (Java included) to stderr while ``active``; restores fd 1 after."""
    if not active:
        yield
        return
    global _real_stdout
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    _real_stdout = saved
    try:
        yield
    finally:
        sys.stdout.flush()
        _real_stdout = None
        os.dup2(saved, 1)
        os.close(saved)


_real_stdout: int | None = None
"""The real stdout while :func:`stdout_to_stderr` is active (so JSON lines can be emitted as each dataset finishes)."""


def _writes_fd1() -> bool:
    """Whether ``sys.stdout`` is the process's fd 1 (not a replacement such as a test's capture)."""
    try:
        return sys.stdout.fileno() == 1
    except (AttributeError, OSError, ValueError):
        return False


def emit_json(obj: Any) -> None:
    """One JSON object on one line of stdout (the real one, also while fd 1 is sent to stderr)."""
    line = json.dumps(obj, default=str) + "\n"
    if _real_stdout is not None and _writes_fd1():
        sys.stdout.flush()
        data = line.encode()
        while data:
            data = data[os.write(_real_stdout, data) :]
        return
    sys.stdout.write(line)
    sys.stdout.flush()


def fmt(v: Any) -> str:
    """One table cell as text: ``—`` for None, 4 decimals for floats, control characters escaped (see :func:`visible`)."""
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.4f}"
    return visible(str(v))


def cell(v: Any) -> Text:
    """One table cell as a Rich Text: never parsed as markup, whatever the console's settings."""
    return Text(fmt(v))


def table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    """A left-titled table; the title and every cell are plain text (names may contain ``[``, ``]`` or escapes)."""
    heading = one_line(title)
    table = Table(title=Text(heading), title_justify="left", min_width=min(len(heading), 120))  # a title is never wrapped to a narrow table
    for c in columns:
        table.add_column(Text(c), justify="right" if c[:1].isupper() and "@" in c else "left")
    for r in rows:
        table.add_row(*(cell(v) for v in r))
    return table
