"""`bench datasets list` says where it looked: each folder of the data path in order, found or not, and how to set it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.clihelp import bench


def test_every_folder_of_the_search_path_is_listed_found_or_not(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data_root: Path
) -> None:
    with_one = tmp_path / "mine"
    shutil.copytree(data_root / "adi", with_one / "adi")
    missing, empty = tmp_path / "no-such-folder", tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("BENCH_DATA_PATH", f"{with_one}:{missing}:{empty}")
    monkeypatch.setenv("BENCH_DATA_DIR", str(tmp_path / "downloads"))
    r = bench(capsys, "datasets", "list", "--no-hash")
    assert r.code == 0, r.err
    tail = r.out.split("Looked for datasets in, in order:\n", 1)[1].splitlines()
    assert tail[0] == f"  {with_one}  (BENCH_DATA_PATH): 1 dataset folder"
    assert tail[1] == f"  {missing}  (BENCH_DATA_PATH): missing"
    assert tail[2].startswith(f"  {empty}  (BENCH_DATA_PATH): no dataset folders")
    assert tail[3].startswith(f"  {tmp_path / 'downloads'}  (data dir") and tail[3].endswith(": missing")
    assert "BENCH_DATA_PATH is not set" not in r.out


def test_an_unset_data_path_is_said_with_how_to_set_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("BENCH_DATA_PATH")
    monkeypatch.setenv("BENCH_DATA_DIR", str(tmp_path))
    r = bench(capsys, "datasets", "list", "--no-hash")
    assert r.code == 0, r.err
    assert f"  {tmp_path}  (data dir" in r.out and "no dataset folders" in r.out
    assert "BENCH_DATA_PATH is not set (make sets it to ../shared/datasets): export BENCH_DATA_PATH=" in r.out
