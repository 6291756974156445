"""The `bench` command never shows a traceback for a user's mistake, and prints user-controlled text as plain text.

Usage errors, help and the global options run in real processes (``python -m bench.cli``), all started together by one
module-scoped fixture; the internal-error mapping runs both in a real process (an unwritable cache) and in-process.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from bench import __version__
from bench.cli import EXIT_INTERNAL
from bench.cli.common import PlainConsole, app, build_command, table, visible
from bench.progress import LINE as PROGRESS_LINE
from tests.clihelp import bench
from tests.conftest import ROOT

FLAT = ROOT / "models" / "bm25-flat.yaml"


def _command_paths() -> tuple[list[str], list[str]]:
    """Every command and every command group, as typed after `bench` (the root group is "")."""
    commands, groups = [], []

    def walk(command: object, path: list[str]) -> None:
        subs = getattr(command, "commands", None)
        if subs is None:
            commands.append(" ".join(path))
            return
        groups.append(" ".join(path))
        for name, sub in subs.items():
            walk(sub, [*path, name])

    walk(build_command(), [])
    return commands, groups


COMMANDS, GROUPS = _command_paths()


def _missing_messages() -> dict[str, list[str]]:
    """For every command with required parameters: the messages naming each of them, as `bench CMD` alone would."""
    found: dict[str, list[str]] = {}

    def walk(command: object, path: list[str]) -> None:
        subs = getattr(command, "commands", None)
        if subs is not None:
            for name, sub in subs.items():
                walk(sub, [*path, name])
            return
        required = [p for p in getattr(command, "params", []) if p.required]
        if required:
            found[" ".join(path)] = [f"Missing {p.param_type_name} {p.get_error_hint()}." for p in required]

    walk(build_command(), [])
    return found


BARE = _missing_messages()
# Required options reported once the required argument before them is there (exact wording checked).
MISSING = [
    ("run", "Invalid value for SPEC: give a spec file or -m MODEL"),
    (f"run {FLAT}", "Invalid value for -d/-t: give at least one -d DATASET or -t TASK"),
    ("eval my.run", "Invalid value for --dataset/--qrels: give the judgments as --dataset NAME or --qrels FILE (one of them)"),
    ("datasets fetch", "Missing argument 'name'."),
    ("submit approve", "Missing argument 'submission_id'."),
]

# A model name that would restyle, link and colour the terminal if anything interpreted it.
EVIL = "evil[/bold][red]x[/red][link=https://example.invalid]y[/link]:smile:\x1b[31m\u202e"
EVIL_SHOWN = "evil[/bold][red]x[/red][link=https://example.invalid]y[/link]:smile:\\x1b[31m\\u202e"


@dataclass(frozen=True)
class Proc:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        """stderr's lines less the progress lines a run logs when stderr is not a terminal (:data:`bench.progress.LINE`)."""
        return [line for line in self.err.splitlines() if not PROGRESS_LINE.match(line)]


def _spawn(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> Proc:
    full_env = {k: v for k, v in os.environ.items() if k != "BENCH_DEBUG"} | (env or {})
    p = subprocess.run([sys.executable, "-m", "bench.cli", *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=full_env)
    return Proc(p.returncode, p.stdout, p.stderr)


def _cmd(words: str) -> list[str]:
    return words.split()


@pytest.fixture(scope="module")
def procs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, ...], Proc]:
    """Every usage-error and help invocation below, each a real process, run a few at a time (about 0.3 s each)."""
    cwd = tmp_path_factory.mktemp("cli-errors")
    jobs: list[list[str]] = []
    for c in COMMANDS:
        jobs += [[*_cmd(c), "--frobnicate"], [*_cmd(c), "-h"]]
    for g in GROUPS:
        jobs += [_cmd(g), [*_cmd(g), "-h"]]
    jobs.append(["--frobnicate"])
    jobs += [_cmd(args) for args, _ in MISSING if tuple(_cmd(args)) not in {tuple(_cmd(c)) for c in BARE}]
    jobs += [_cmd(c) for c in BARE]
    jobs += [["--version"], ["--help"], ["results", "--json", "true"], ["run", "--json=true", str(FLAT), "-d", "adi"]]
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = list(pool.map(lambda a: _spawn(a, cwd), jobs))
    return {tuple(a): p for a, p in zip(jobs, done, strict=True)}


def test_every_command_is_covered() -> None:
    expected = {"run", "eval", "results", "reproduce", "demo", "leaderboard", "db migrate"}
    expected |= {f"datasets {c}" for c in ("list", "fetch", "validate")}
    expected |= {f"submit {c}" for c in ("validate", "ingest", "process-inbox", "approve", "list")}
    assert expected <= set(COMMANDS)
    assert {"", "datasets", "submit", "db"} <= set(GROUPS)


def _no_traceback(p: Proc) -> None:
    assert "Traceback" not in p.err and "Traceback" not in p.out, p.err


def _usage_error(p: Proc, command: str, problem: str) -> None:
    """Exit 2, and exactly two lines on stderr: what is wrong, and where to get help."""
    _no_traceback(p)
    assert p.code == 2, p.err
    assert p.err_lines == [f"error: {problem}", f"Try '{('bench ' + command).strip()} -h' for help."], p.err


@pytest.mark.parametrize("command", [*COMMANDS, ""])
def test_an_unknown_option_is_a_one_line_usage_error(procs: dict[tuple[str, ...], Proc], command: str) -> None:
    p = procs[(*_cmd(command), "--frobnicate")]
    problem = "No such option: --frobnicate"
    if p.err_lines and p.err_lines[0].startswith(f"error: {problem} (Possible options: "):  # click names a close one (export's --format)
        problem = p.err_lines[0].removeprefix("error: ")
    _usage_error(p, command, problem)


@pytest.mark.parametrize("command", sorted(BARE))
def test_a_command_without_its_required_arguments_names_one(procs: dict[tuple[str, ...], Proc], command: str) -> None:
    p = procs[tuple(_cmd(command))]
    _no_traceback(p)
    assert p.code == 2 and len(p.err_lines) == 2, p.err
    assert p.err_lines[0].removeprefix("error: ") in BARE[command], p.err
    assert p.err_lines[1] == f"Try 'bench {command} -h' for help."


def test_the_commands_with_required_parameters_are_found() -> None:
    assert {"eval", "datasets fetch", "datasets validate", "submit validate", "submit ingest", "submit approve"} <= set(BARE)
    assert "run" not in BARE  # neither the spec (`-m MODEL`) nor -d (`-t TASK`) is required alone: MISSING checks the pair


@pytest.mark.parametrize(("args", "problem"), MISSING)
def test_a_missing_argument_or_option_is_named_on_one_line(procs: dict[tuple[str, ...], Proc], args: str, problem: str) -> None:
    command = " ".join(w for w in _cmd(args) if not w.endswith((".yaml", ".run")))
    _usage_error(procs[tuple(_cmd(args))], command, problem)


@pytest.mark.parametrize("command", COMMANDS + GROUPS)
def test_dash_h_is_help_everywhere_and_flags_take_no_value(procs: dict[tuple[str, ...], Proc], command: str) -> None:
    p = procs[(*_cmd(command), "-h")]
    _no_traceback(p)
    assert p.code == 0 and p.err == "", p.err
    assert f"Usage: {('bench ' + command).strip()} " in p.out
    assert "-h" in p.out and "--help" in p.out
    assert "<bool>" not in p.out  # typer 0.29 would render `--json <bool>`, `--help <bool>`


@pytest.mark.parametrize("group", GROUPS)
def test_a_bare_group_prints_its_help(procs: dict[tuple[str, ...], Proc], group: str) -> None:
    p = procs[tuple(_cmd(group))]
    _no_traceback(p)
    assert p.code == 2
    assert f"Usage: {('bench ' + group).strip()} [OPTIONS] COMMAND [ARGS]..." in p.out


def test_global_options(procs: dict[tuple[str, ...], Proc]) -> None:
    version = procs[("--version",)]
    assert (version.code, version.out, version.err) == (0, f"brewbench {__version__}\n", "")
    root = procs[("--help",)]
    assert root.code == 0 and "--debug" in root.out and "--version" in root.out and "<bool>" not in root.out


def test_a_flag_given_a_value_is_a_usage_error(procs: dict[tuple[str, ...], Proc]) -> None:
    _usage_error(procs[("results", "--json", "true")], "results", "Got unexpected extra argument(s) (true)")
    _usage_error(procs[("run", "--json=true", str(FLAT), "-d", "adi")], "run", "Option '--json' does not take a value.")


def test_bench_debug_must_be_a_boolean(tmp_path: Path) -> None:
    p = _spawn(["-h"], tmp_path, {"BENCH_DEBUG": "yes"})
    _no_traceback(p)
    assert p.code == 2 and p.out == ""
    assert len(p.err_lines) == 1 and p.err_lines[0].startswith("error: ")
    assert "BENCH_DEBUG='yes'" in p.err and all(v in p.err for v in ("1", "true", "0", "false"))


def test_an_internal_error_is_one_line_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    """A real failure inside the index builder (a damaged cache: a file where its index folder goes) is an internal error."""
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "indexes").write_text("")
    run = ["run", str(FLAT), "--dataset", "adi", "--no-record"]
    env = {"BENCH_CACHE": str(cache)}
    plain = _spawn(run, tmp_path, env)
    assert plain.code == EXIT_INTERNAL and "Traceback" not in plain.err, plain.err
    (line,) = plain.err_lines
    assert line.startswith(f"error: FileExistsError: [Errno 17] File exists: '{cache / 'indexes'}'"), line
    assert line.endswith(" (internal error; rerun with --debug or BENCH_DEBUG=1 for the traceback)"), line
    for debug in (_spawn(["--debug", *run], tmp_path, env), _spawn(run, tmp_path, env | {"BENCH_DEBUG": "1"})):
        assert debug.code == EXIT_INTERNAL
        assert "\n".join(debug.err_lines).startswith("Traceback (most recent call last):"), debug.err
        assert "mkdir" in debug.err and debug.err_lines[-1].startswith("error: FileExistsError: ")


@pytest.fixture
def failing_commands() -> Iterator[None]:
    """Two throwaway commands on the real app: one hits a bug, one is interrupted (Ctrl-C)."""

    def boom() -> None:
        raise RuntimeError("encoder state lost\nsecond line")

    def interrupted() -> None:
        raise KeyboardInterrupt

    def bare() -> None:
        raise OSError

    before = list(app.registered_commands)
    app.command("boom")(boom)
    app.command("interrupted")(interrupted)
    app.command("bare")(bare)
    try:
        yield
    finally:
        app.registered_commands[:] = before


@pytest.mark.usefixtures("failing_commands")
def test_internal_errors_and_interrupts_in_process(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENCH_DEBUG", raising=False)
    r = bench(capsys, "boom")
    assert r.code == EXIT_INTERNAL
    assert r.err == (
        "error: RuntimeError: encoder state lost second line (internal error; rerun with --debug or BENCH_DEBUG=1 for the traceback)\n"
    )
    r = bench(capsys, "--debug", "boom")
    assert r.code == EXIT_INTERNAL and "Traceback (most recent call last):" in r.err and 'raise RuntimeError("encoder state lost' in r.err
    monkeypatch.setenv("BENCH_DEBUG", "true")
    assert "Traceback" in bench(capsys, "boom").err
    monkeypatch.setenv("BENCH_DEBUG", "0")
    assert "Traceback" not in bench(capsys, "boom").err
    r = bench(capsys, "interrupted")
    assert (r.code, r.err) == (130, "aborted\n")
    r = bench(capsys, "bare")
    assert (r.code, r.err) == (EXIT_INTERNAL, "error: OSError (internal error; rerun with --debug or BENCH_DEBUG=1 for the traceback)\n")


def test_visible_escapes_control_characters_and_keeps_text() -> None:
    assert visible("a\x1b[31mb\x07\x9b\u202e\n\t") == "a\\x1b[31mb\\x07\\x9b\\u202e\\n\\t"
    assert visible("line\nnext", keep_newlines=True) == "line\nnext"
    assert visible("[/bold] café 東京 😀") == "[/bold] café 東京 😀"


def test_tables_and_prints_show_names_literally() -> None:
    console = PlainConsole(file=io.StringIO(), width=300, force_terminal=True)
    console.print(table(f"runs of {EVIL}", ["model", "nDCG@10"], [[EVIL, 0.5]]))
    console.print(f"recorded {EVIL}")
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert "[red]" in shown and "y[/link]" in shown  # markup shown, not applied
    assert shown.count(EVIL_SHOWN) == 3
    assert "\u202e" not in shown and "😄" not in shown


def _trec_run(path: Path, qrels: Path) -> Path:
    """A small TREC run: each judged document of the first queries, ranked in file order."""
    lines = []
    for i, row in enumerate(qrels.read_text().splitlines()[1:40]):
        qid, docid, _ = row.split("\t")
        lines.append(f"{qid} Q0 {docid} {i + 1} {100 - i} handmade")
    path.write_text("\n".join(lines) + "\n")
    return path


def _rename_everywhere(db: Path, old: str, new: str) -> int:
    """Replace the text ``old`` by ``new`` in every text column of every table, as a foreign or older writer might have left it.

    `bench eval --model` refuses such names now; what is already in a database must still print safely.
    """
    con = duckdb.connect(str(db))
    try:
        columns = con.execute(
            """SELECT c.table_name, c.column_name FROM information_schema.columns c
               JOIN information_schema.tables t USING (table_schema, table_name)
               WHERE t.table_type = 'BASE TABLE' AND c.data_type = 'VARCHAR' AND c.table_schema = 'main'"""
        ).fetchall()
        changed = 0
        for table_name, column in columns:
            hit = con.execute(f'SELECT count(*) FROM "{table_name}" WHERE "{column}" = ?', [old]).fetchone()
            if hit and hit[0]:
                con.execute(f'UPDATE "{table_name}" SET "{column}" = ? WHERE "{column}" = ?', [new, old])
                changed += hit[0]
        return changed
    finally:
        con.close()


def test_a_model_name_with_markup_and_escapes_prints_literally(tmp_path: Path, data_root: Path) -> None:
    db = tmp_path / "results.duckdb"
    run_file = _trec_run(tmp_path / "run[bold]x.trec", data_root / "adi" / "qrels" / "test.tsv")
    record = ["eval", str(run_file), "--dataset", "adi", "--record", "--model", "markup-probe", "--family", "lexical", "--db", str(db)]
    evaluated = _spawn(record, tmp_path)
    assert evaluated.code == 0, evaluated.err
    assert "run[bold]x.trec on" in evaluated.out  # the table title names the run file, brackets and all
    assert _rename_everywhere(db, "markup-probe", EVIL) >= 2  # at least the model and its run
    results = _spawn(["results", "--db", str(db)], tmp_path)
    assert results.code == 0, results.err
    assert EVIL_SHOWN in results.out
    assert "\x1b" not in results.out and "\u202e" not in results.out
    as_json = _spawn(["results", "--db", str(db), "--json"], tmp_path)
    assert as_json.code == 0, as_json.err
    assert [row["model"] for row in json.loads(as_json.out)] == [EVIL]  # JSON keeps the exact name
