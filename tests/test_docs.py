"""The README stays true: its two newcomer commands exist in the Makefile, and every `bench ...` line it shows parses."""

from __future__ import annotations

import re

import pytest

from tests.clihelp import bench
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()


def test_two_newcomer_commands_are_make_targets() -> None:
    start = README.split("## Start here", 1)[1].split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in start.splitlines() if line.strip() and not line.startswith("bash")]
    assert commands == ["make demo", "make test"]
    for target in ("demo", "test"):
        assert re.search(rf"^{target}:.*## ", MAKEFILE, re.M), f"Makefile target {target} is missing or undocumented"


def _groups() -> set[str]:
    from bench.cli.common import build_command

    return {name for name, c in build_command().commands.items() if getattr(c, "commands", None)}  # type: ignore[attr-defined]


GROUPS = _groups()
BENCH_LINES = sorted({m.group(1).split("#")[0].strip() for m in re.finditer(r"^(bench [^\n]+)$", README, re.M)})


@pytest.mark.parametrize("line", BENCH_LINES)
def test_readme_bench_commands_exist(line: str, capsys: pytest.CaptureFixture[str]) -> None:
    words = line.split()[1:]
    path = [w for w in words if not w.startswith("-")][:2]
    r = bench(capsys, *path[:1], "--help") if path[0] not in GROUPS else bench(capsys, *path[:2], "--help")
    assert r.code == 0, r.err
    for opt in (w for w in words if w.startswith("--")):
        assert opt in r.out, f"{line}: option {opt} is not in `bench {' '.join(path)} --help`"
