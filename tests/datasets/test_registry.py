"""The registry of known datasets and the data search path."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bench.datasets.registry import known, known_datasets, resolve_dataset, search_path
from bench.errors import DatasetError


def test_registry_has_the_public_beir_sets_with_checksums_and_the_classics() -> None:
    beir = [d for d in known_datasets() if d.collection == "beir"]
    public = [d for d in beir if d.public]
    assert len(beir) == 19 and len(public) == 15
    for d in public:
        assert d.url and d.url.endswith(f"/{d.name}.zip")
        assert d.md5 and len(d.md5) == 32
    assert {d.name for d in known_datasets() if d.collection == "classic"} == {"cranfield", "med", "cisi", "cacm", "npl", "adi", "time"}


def test_identical_ids_dropped_only_where_queries_are_documents() -> None:
    assert {d.name for d in known_datasets() if d.drop_identical_ids} == {"arguana", "quora"}
    assert resolve_dataset("cranfield").drop_identical_ids is False


def test_search_path_order_and_resolution(tmp_path: Path, data_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mirror = tmp_path / "mirror"
    shutil.copytree(data_root / "adi", mirror / "adi")
    monkeypatch.setenv("BENCH_DATA_PATH", os.pathsep.join([str(mirror), str(data_root)]))
    assert search_path()[:2] == [mirror, data_root]
    assert resolve_dataset("adi").path == (mirror / "adi").resolve()
    assert resolve_dataset("npl").path == (data_root / "npl").resolve()


def test_path_reference_and_unregistered_folder(tmp_path: Path, data_root: Path) -> None:
    custom = tmp_path / "my-collection"
    shutil.copytree(data_root / "time", custom)
    ds = resolve_dataset(str(custom))
    assert ds.name == "my-collection" and ds.validate().documents == 423
    with pytest.raises(DatasetError, match="not a BEIR dataset folder"):
        resolve_dataset(str(tmp_path / "nothing-here"))


def test_registered_but_absent_dataset_says_how_to_fetch() -> None:
    assert known("scifact") is not None
    with pytest.raises(DatasetError, match=r"bench datasets fetch scifact"):
        resolve_dataset("scifact")


def test_unknown_name_suggests_close_matches() -> None:
    with pytest.raises(DatasetError, match=r"Did you mean: cranfield"):
        resolve_dataset("cranfeld")
