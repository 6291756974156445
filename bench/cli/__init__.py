"""The ``bench`` command line: the only place that prints, exits, and maps errors to exit codes.

One module per command group (:mod:`.datasets`, :mod:`.runs`, :mod:`.serve`, :mod:`.submit`, :mod:`.reproduce`);
each registers its commands on :data:`bench.cli.common.app`. :func:`main` is the console script.

Whatever goes wrong, the user sees one line on stderr, never a traceback (unless they ask for it with ``--debug`` or
``BENCH_DEBUG=1``): a :class:`~bench.errors.BenchError` exits with its own code, a usage error with 2 (plus a line
saying how to get help), an interrupt with 130, and any other exception, an internal error, with 70.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError  # typer 0.29 vendors click: not click's classes

from bench.cli import (  # noqa: F401  (registers the commands)
    compare,
    datasets,
    env,
    interop,
    published,
    reproduce,
    runs,
    serve,
    spec,
    submit,
    suites,
    tasks,
    thoughts,
    train,
    variants,
)
from bench.cli.common import HELP_OPTIONS, app, build_command, err, one_line
from bench.errors import BenchError
from bench.settings import SettingsError

__all__ = ["EXIT_ABORTED", "EXIT_INTERNAL", "EXIT_USAGE", "app", "debug_from_env", "entry", "main", "quiet_library_bars"]

EXIT_USAGE = 2
EXIT_INTERNAL = 70  # sysexits' EX_SOFTWARE: a bug in brewbench (or its dependencies), not a mistake of the user
EXIT_ABORTED = 130

_DEBUG_VALUES = {"": False, "0": False, "false": False, "1": True, "true": True}


def debug_from_env() -> bool:
    """Whether ``BENCH_DEBUG`` asks for tracebacks of internal errors.

    Raises:
        SettingsError: the variable holds anything but 1, true, 0, false (any case) or nothing.
    """
    raw = os.environ.get("BENCH_DEBUG", "")
    value = _DEBUG_VALUES.get(raw.strip().lower())
    if value is None:
        raise SettingsError(
            f"BENCH_DEBUG={raw!r} is not valid: set it to 1 or true (print tracebacks of internal errors), or 0, false or nothing"
        )
    return value


def _say(line: str) -> None:
    err.print(one_line(line), markup=False, soft_wrap=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``bench`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code; never raises.

    Args:
        argv: The arguments after the program name.

    Returns:
        0 on success; the BenchError's code; 2 for a usage error; 70 for an internal error; 130 when interrupted.
    """
    try:
        debug = debug_from_env()
    except BenchError as e:
        _say(f"error: {e}")
        return e.exit_code
    args = list(sys.argv[1:] if argv is None else argv)
    quiet_library_bars()
    ctx: typer.Context | None = None
    command: Any = None
    try:
        command = build_command()
        with command.make_context("bench", args) as ctx:
            result = command.invoke(ctx)
        return result if isinstance(result, int) and not isinstance(result, bool) else 0
    except BenchError as e:
        _say(f"error: {e}")
        return e.exit_code
    except typer.Exit as e:  # --help, --version, ctx.exit(): they printed what they had to
        return e.exit_code
    except (typer.Abort, KeyboardInterrupt):
        _say("aborted")
        return EXIT_ABORTED
    except NoArgsIsHelpError:  # a bare `bench` or command group: typer has printed its help
        return EXIT_USAGE
    except UsageError as e:
        where = e.ctx.command_path if e.ctx is not None else _command_path(command, args)
        _say(f"error: {e.format_message()}")
        _say(f"Try '{where} {HELP_OPTIONS[0]}' for help.")
        return e.exit_code
    except ClickException as e:
        _say(f"error: {e.format_message()}")
        return e.exit_code
    except BrokenPipeError:  # `bench results | head`: the reader left; nothing to tell it
        _silence_stdout()
        return 1
    except Exception as e:
        debug = debug or bool(ctx is not None and ctx.params.get("debug"))
        if debug:
            traceback.print_exc(file=sys.stderr)
        hint = "see the traceback above" if debug else "rerun with --debug or BENCH_DEBUG=1 for the traceback"
        what = f"{type(e).__name__}: {e}" if str(e).strip() else type(e).__name__
        _say(f"error: {what} (internal error; {hint})")
        return EXIT_INTERNAL


def quiet_library_bars() -> None:
    """In a log (stderr not a terminal), no tqdm bars of Hugging Face libraries: only our progress lines.

    transformers' "Loading weights" and huggingface_hub's download bars are tqdm bars, written as a mess of carriage
    returns in a log; ``HF_HUB_DISABLE_PROGRESS_BARS=1`` turns both off (child processes inherit it), and the libraries
    already imported are told directly. A terminal keeps them; a value the user set is kept.
    """
    try:
        terminal = sys.stderr.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        terminal = False
    if terminal or os.environ.get("HF_HUB_DISABLE_PROGRESS_BARS") is not None:
        return
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    if "huggingface_hub" in sys.modules:
        sys.modules["huggingface_hub"].utils.disable_progress_bars()
    if "transformers" in sys.modules:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()


def _command_path(command: Any, args: list[str]) -> str:
    """``bench`` and the (sub)command names at the start of ``args``, for errors the parser raised without a context."""
    path = ["bench"]
    for word in args:
        if word.startswith("-"):
            continue  # the root's own flags (--debug) may come first; options of a command are not looked into
        sub = getattr(command, "commands", {}).get(word)
        if sub is None:
            break
        path.append(word)
        command = sub
    return " ".join(path)


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null so that the interpreter's final flush cannot fail again on the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def entry() -> None:
    """The ``bench`` console script."""
    sys.exit(main())
