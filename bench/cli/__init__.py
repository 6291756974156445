"""The ``bench`` command line: the only place that prints, exits, and maps BenchError to exit codes.

One module per command group (:mod:`.datasets`, :mod:`.runs`, :mod:`.serve`, :mod:`.submit`, :mod:`.reproduce`);
each registers its commands on :data:`bench.cli.common.app`. :func:`main` is the console script.
"""

from __future__ import annotations

import sys

import click

from bench.cli import datasets, reproduce, runs, serve, submit  # noqa: F401  (registers the commands)
from bench.cli.common import app, err
from bench.errors import BenchError

__all__ = ["app", "entry", "main"]


def main(argv: list[str] | None = None) -> int:
    """Console-script entry: run the app, turn BenchError into a one-line message and an exit code."""
    try:
        result = app(args=argv, standalone_mode=False, prog_name="bench")
        return int(result) if isinstance(result, int) else 0
    except BenchError as e:
        err.print(f"error: {e}", markup=False, soft_wrap=True)
        return e.exit_code
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.exceptions.Abort:
        err.print("aborted", markup=False)
        return 130
    except click.ClickException as e:
        e.show(file=sys.stderr)
        return e.exit_code


def entry() -> None:
    sys.exit(main())
