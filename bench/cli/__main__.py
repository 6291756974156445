"""``python -m bench.cli``."""

from bench.cli import entry

entry()
