"""Every command's ``-h``: options that take one of a few values show them (``<local|ray>``, not ``<str>``) and refuse
others in one line with the close ones; help texts are rendered (no reST double backticks); no help points at itself."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.cli import common
from bench.cli.common import build_command
from tests.clihelp import bench


def _commands(command: object, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(build_command()))

CHOICE_OPTIONS = {
    ("run",): {"--kind": common.ADHOC_KINDS, "--engine": common.ENGINES},
    ("compare",): {"--test": ("randomization", "t-test")},
    ("export",): {"--format": common.EXPORT_FORMATS},
    ("eval",): {"--family": common.FAMILIES},
    ("results",): {"--task-type": common.TASK_TYPES},
    ("import", "mteb"): {"--family": common.FAMILIES, "--zero-shot": ("yes", "no")},
    ("published", "list"): {"--source": common.PUBLISHED_SOURCES},
    ("published", "load"): {"--source": common.PUBLISHED_SOURCES},
    ("submit", "list"): {"--status": common.SUBMISSION_STATUSES},
}


def _help(capsys: pytest.CaptureFixture[str], path: tuple[str, ...]) -> str:
    r = bench(capsys, *path, "-h")
    assert r.code == 0, r.err
    return r.out


def test_the_cli_lists_of_choices_are_the_librarys() -> None:
    from bench.adhoc import KIND_FAMILY
    from bench.cli.compare import TESTS
    from bench.evaluation import stats
    from bench.interop.export import FORMATS
    from bench.published.tables import SOURCES
    from bench.specs import FAMILIES
    from bench.store.submissions import SUBMISSION_STATUSES

    assert tuple(KIND_FAMILY) == common.ADHOC_KINDS and TESTS == stats.TESTS and common.EXPORT_FORMATS == FORMATS
    assert common.FAMILIES == FAMILIES and common.PUBLISHED_SOURCES == SOURCES and common.SUBMISSION_STATUSES == SUBMISSION_STATUSES


def test_every_help_renders_its_text_and_shows_the_choices(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one row per option: a choice list is never wrapped
    seen = set()
    for path, _command in COMMANDS:
        text = _help(capsys, path)
        where = " ".join(("bench", *path))
        assert "``" not in text, f"{where} -h shows reST double backticks"
        assert f"`{where} -h" not in text and f"`{where} --help" not in text, f"{where} -h points at itself"
        for flag, choices in CHOICE_OPTIONS.get(path, {}).items():
            row = next(r for r in text.splitlines() if f" {flag} " in r)
            assert "<" + "|".join(choices) + ">" in row, f"{where} {flag}: {row.strip()}"
            seen.add((path, flag))
    assert seen == {(p, f) for p, flags in CHOICE_OPTIONS.items() for f in flags}


def test_paragraphs_after_the_first_are_reflowed_not_broken_where_the_docstring_broke(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    text = _help(capsys, ("compare",))
    assert "are never compared. A judged query a run did not answer counts 0 for that run" in text
    for _path, command in COMMANDS:
        for paragraph in (getattr(command, "help", None) or "").split("\n\n"):
            assert "\n" not in paragraph or paragraph.startswith("\b") or "\n-" in paragraph or "\n " in paragraph, paragraph


def test_spec_params_meanings_are_rendered(capsys: pytest.CaptureFixture[str]) -> None:
    for kind in ("lucene-bm25", "dense", "splade"):
        r = bench(capsys, "spec", "params", kind, "--json")
        assert r.code == 0, r.err
        assert not [p["name"] for p in r.json() if "``" in p["meaning"]]
    assert '`"query: "`' in {p["name"]: p["meaning"] for p in bench(capsys, "spec", "params", "dense", "--json").json()}["query_prompt"]


@pytest.mark.parametrize(
    ("args", "want"),
    [
        (["run", "-m", "x", "--kind", "dnse", "-d", "adi"], "'dnse' is not a kind for -m; use dense or splade. Did you mean: dense?"),
        (["run", "-m", "x", "--engine", "rya", "-d", "adi"], "'rya' is not an engine; use local or ray. Did you mean: ray?"),
        (
            ["compare", "a", "b", "-d", "adi", "--test", "t-tst"],
            "'t-tst' is not a test; use randomization or t-test. Did you mean: t-test?",
        ),
        (
            ["export", "-m", "x", "-o", "out", "--format", "mteeb"],
            "'mteeb' is not a format; use trec, csv, parquet, mteb. Did you mean: mteb?",
        ),
        (["submit", "list", "--status", "pend"], "Did you mean: pending?"),
        (["eval", "run.trec", "-d", "adi", "--family", "lexcial"], "Did you mean: lexical?"),
        (
            ["spec", "params", "dens"],
            "unknown runner kind 'dens'; known kinds: dense, lucene-bm25, reasoning, splade. Did you mean: dense?",
        ),
    ],
)
def test_a_value_outside_the_choices_is_one_line_with_the_close_ones(
    capsys: pytest.CaptureFixture[str], args: list[str], want: str
) -> None:
    r = bench(capsys, *args)
    first = r.err.splitlines()[0]
    assert r.code in (2, 3, 4) and want in first and "Traceback" not in r.err, r.err
    assert r.out == ""


def test_task_type_takes_any_case_and_shows_the_canonical_spelling(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    r = bench(capsys, "results", "--task-type", "sts", "--db", tmp_path / "none.duckdb")
    assert "'sts' is not" not in r.err
