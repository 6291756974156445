"""Hostile environment (issue 8, item 9): every BENCH_* variable is validated in one place (bench/settings.py).

Empty, an unknown ``~user``, a file where a folder is meant (or the reverse): one line naming the variable and the fix.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench import paths
from bench.datasets.registry import search_path
from bench.errors import BenchError, DatasetError, StoreError
from bench.settings import SettingsError
from bench.submissions.inbox import inbox_dir
from tests.clihelp import bench

FOLDERS = [
    ("BENCH_HOME", paths.home_dir, SettingsError),
    ("BENCH_CACHE", paths.cache_dir, SettingsError),
    ("BENCH_DATA_DIR", paths.data_dir, DatasetError),
    ("BENCH_INBOX", inbox_dir, SettingsError),
]


@pytest.mark.parametrize(("name", "read", "error"), FOLDERS)
def test_folder_variables_are_validated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, read: object, error: type[BenchError]
) -> None:
    afile = tmp_path / "a-file"
    afile.write_text("x")
    for value, expected in [
        ("", f"{name} is set but empty; unset it or give a value"),
        ("   ", f"{name} is set but empty"),
        (
            "~no-such-user-4711/bench",
            f"{name}=~no-such-user-4711/bench: '~no-such-user-4711' names no user of this machine; write the path",
        ),
        (str(afile), f"{name}={afile} is a file, not a folder; point it at a folder"),
    ]:
        monkeypatch.setenv(name, value)
        with pytest.raises(error) as e:
            read()  # type: ignore[operator]
        assert str(e.value).startswith(expected) and "\n" not in str(e.value)
    monkeypatch.setenv(name, "~/bench-x")
    assert read() == Path.home() / "bench-x"  # type: ignore[operator]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, "relative/here")
    assert read() == tmp_path / "relative" / "here"  # type: ignore[operator]


def test_the_database_variable_must_name_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for value, expected in [
        ("", "BENCH_DB is set but empty"),
        (str(tmp_path), f"BENCH_DB={tmp_path} is a folder, not a file; give a file path such as {tmp_path / 'results.duckdb'}"),
        ("~no-such-user-4711/r.duckdb", "'~no-such-user-4711' names no user of this machine"),
    ]:
        monkeypatch.setenv("BENCH_DB", value)
        with pytest.raises(StoreError) as e:
            paths.default_db()
        assert str(e.value).startswith("BENCH_") and expected in str(e.value) and "\n" not in str(e.value)
        r = bench(capsys, "results")
        assert r.code == 5 and expected in r.err and r.err.strip().count("\n") == 0, r.err
    monkeypatch.setenv("BENCH_DB", "~/r.duckdb")
    assert paths.default_db() == Path.home() / "r.duckdb"


def test_the_data_path_is_validated_entry_by_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = os.environ["BENCH_DATA_PATH"].split(os.pathsep)[0]  # the datasets folder (the tasks folder follows it)
    afile = tmp_path / "a-file"
    afile.write_text("x")
    for value, expected in [
        ("", "BENCH_DATA_PATH is set but empty"),
        (
            f"{shared}{os.pathsep}{afile}",
            f"BENCH_DATA_PATH: entry {afile} is a file, not a folder; list folders separated by '{os.pathsep}'",
        ),
        (f"~no-such-user-4711{os.pathsep}{shared}", "'~no-such-user-4711' names no user of this machine"),
    ]:
        monkeypatch.setenv("BENCH_DATA_PATH", value)
        with pytest.raises(DatasetError) as e:
            search_path()
        assert str(e.value).startswith("BENCH_") and expected in str(e.value) and "\n" not in str(e.value)
        r = bench(capsys, "datasets", "validate", "adi")
        assert r.code == 3 and expected in r.err and r.err.strip().count("\n") == 0, r.err
    monkeypatch.setenv("BENCH_DATA_PATH", f"{os.pathsep}{shared}{os.pathsep}{os.pathsep}")
    assert search_path()[0] == Path(shared)
    assert bench(capsys, "datasets", "validate", "adi").code == 0


def test_a_bad_cache_folder_stops_a_run_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "cache-file"
    afile.write_text("x")
    monkeypatch.setenv("BENCH_CACHE", str(afile))
    db = tmp_path / "results.duckdb"
    r = bench(capsys, "run", "models/bm25-flat.yaml", "-d", "adi", "--db", db)
    assert r.code == 2 and f"BENCH_CACHE={afile} is a file, not a folder" in r.err, r.err
    assert not db.exists() and afile.read_text() == "x"
