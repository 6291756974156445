"""Embedding-task folders: the shared copies read as their registered tasks; hostile input is one line naming file:line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench.errors import DatasetError
from bench.tasks import read_task
from bench.tasks.reader import find_task
from tests.conftest import SHARED_TASKS

SHARED = SHARED_TASKS


@pytest.mark.parametrize(
    ("name", "ttype", "rows"),
    [("STS15", "STS", {"test": 3000}), ("SICK-R", "STS", {"test": 9927}), ("MSRP", "PairClassification", {"test": 1725}),
     ("Banking77", "Classification", {"test": 3080, "train": 10003})],
)  # fmt: skip
def test_shared_tasks_are_registered(name: str, ttype: str, rows: dict) -> None:
    t = read_task(SHARED / name)
    assert (t.name, t.type, {s: len(r) for s, r in t.rows.items()}) == (name, ttype, rows)
    assert t.known is not None and len(t.content_hash) == 64


def test_a_renamed_copy_is_the_registered_task(tmp_path: Path) -> None:
    shutil.copytree(SHARED / "STS16", tmp_path / "my-sts")
    t = read_task(tmp_path / "my-sts")
    assert t.name == "STS16" and t.known.mteb_task == "STS16"  # type: ignore[union-attr]
    assert t.content_hash == read_task(SHARED / "STS16").content_hash


def test_found_on_the_search_path_by_mteb_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_DATA_PATH", str(SHARED))
    assert find_task("Banking77Classification").name == "Banking77"


def test_unregistered_folder_is_recognised_from_its_columns(tmp_path: Path) -> None:
    _write(
        tmp_path / "t" / "test.jsonl", [{"sentence1": "a", "sentence2": "b", "label": 1}, {"sentence1": "c", "sentence2": "d", "label": 0}]
    )
    t = read_task(tmp_path / "t")
    assert (t.name, t.type, t.main_score, t.known) == ("t", "PairClassification", "max_ap", None)
    _write(tmp_path / "c" / "test.jsonl", [{"text": "a", "label": "x"}, {"text": "b", "label": "y"}])
    assert read_task(tmp_path / "c").type == "Clustering"


def _write(path: Path, rows: list, raw: bytes | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw if raw is not None else "".join(json.dumps(r) + "\n" for r in rows).encode())


STS_OK = {"sentence1": "a cat", "sentence2": "a dog", "score": 2.5}
OK2 = {"sentence1": "x", "sentence2": "y", "score": 1}


@pytest.mark.parametrize(
    ("line2", "problem"),
    [
        ('{"sentence1": "a", "score": 1}', "missing column 'sentence2'"),
        ('{"sentence1": "a", "sentence2": "b", "score": 1, "colour": 3}', "unexpected column 'colour'"),
        ('{"sentence1": "a", "sentence2": "b", "score": "high"}', "is not a number"),
        ('{"sentence1": "a", "sentence2": "b", "score": 7}', "outside 0..5"),
        ('{"sentence1": "a", "sentence2": "b", "score": NaN}', "NaN is not JSON"),
        ('{"sentence1": "a", "sentence2": "b", "score": Infinity}', "Infinity is not JSON"),
        ('{"sentence1": "a", "sentence2": "b", "score": true}', "is not a number"),
        ('{"sentence1": "  ", "sentence2": "b", "score": 1}', "'sentence1' is empty"),
        ('{"sentence1": "a", "sentence1": "b", "sentence2": "c", "score": 1}', "duplicate key 'sentence1'"),
    ],
)
def test_hostile_sts_line_is_one_line_naming_file_and_line(tmp_path: Path, line2: str, problem: str) -> None:
    f = tmp_path / "t" / "test.jsonl"
    _write(f, [], raw=(json.dumps(STS_OK) + "\n" + line2 + "\n").encode())
    _assert_one_line(tmp_path / "t", f"{f}:2: ", problem)


def _assert_one_line(folder: Path, where: str, problem: str) -> None:
    with pytest.raises(DatasetError) as e:
        read_task(folder)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(where) and problem in msg and "; " in msg, msg


def test_non_utf8_and_overlong_lines(tmp_path: Path) -> None:
    f = tmp_path / "t" / "test.jsonl"
    _write(f, [], raw=(json.dumps(STS_OK) + "\n").encode() + b'{"sentence1": "caf\xe9"}\n')
    _assert_one_line(tmp_path / "t", f"{f}:2: ", "not UTF-8")
    _write(f, [], raw=(json.dumps(STS_OK) + "\n").encode() + b'{"sentence1": "' + b"x" * (10 << 20) + b'"}\n')
    _assert_one_line(tmp_path / "t", f"{f}:2: ", "line longer than")


@pytest.mark.parametrize(
    ("label", "problem"), [(1.0, "is a float"), (True, "is a bool"), (2, "is not 0 or 1")]
)  # fmt: skip
def test_bad_pair_labels(tmp_path: Path, label: object, problem: str) -> None:
    f = tmp_path / "t" / "test.jsonl"
    _write(f, [{"sentence1": "a", "sentence2": "b", "label": 0}, {"sentence1": "a", "sentence2": "b", "label": label}])
    _assert_one_line(tmp_path / "t", f"{f}:2: ", problem)


def test_classification_label_only_in_test(tmp_path: Path) -> None:
    _write(tmp_path / "t" / "train.jsonl", [{"text": "a", "label": "x"}, {"text": "b", "label": "y"}])
    _write(tmp_path / "t" / "test.jsonl", [{"text": "a", "label": "x"}, {"text": "c", "label": "z"}])
    _assert_one_line(tmp_path / "t", f"{tmp_path / 't' / 'test.jsonl'}:2: ", "label 'z' is only in test")


def test_split_with_one_class_and_empty_split(tmp_path: Path) -> None:
    _write(tmp_path / "t" / "train.jsonl", [{"text": "a", "label": "x"}, {"text": "b", "label": "x"}])
    _write(tmp_path / "t" / "test.jsonl", [{"text": "a", "label": "x"}, {"text": "c", "label": "y"}])
    _assert_one_line(tmp_path / "t", f"{tmp_path / 't' / 'train.jsonl'}: ", "one class")
    _write(tmp_path / "e" / "test.jsonl", [], raw=b"")
    _assert_one_line(tmp_path / "e", f"{tmp_path / 'e' / 'test.jsonl'}: ", "empty split")


def test_unknown_layout(tmp_path: Path) -> None:
    _write(tmp_path / "t" / "test.jsonl", [{"question": "a", "answer": "b"}])
    _assert_one_line(tmp_path / "t", f"{tmp_path / 't' / 'test.jsonl'}:1: ", "match no task layout")
