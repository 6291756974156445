"""The BEIR reader and validator on the real collections, and every kind of malformed input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench.datasets import Dataset, resolve_dataset
from bench.errors import DatasetError
from tests.conftest import CLASSIC

# counts from ../shared/datasets/README.md (judged queries = queries with qrels)
COUNTS = {
    "cranfield": (1400, 225, 225, 1837),
    "med": (1033, 30, 30, 696),
    "cisi": (1460, 112, 76, 3114),
    "cacm": (3204, 64, 52, 796),
    "npl": (11429, 93, 93, 2083),
    "adi": (82, 35, 35, 170),
    "time": (423, 83, 83, 324),
}


@pytest.mark.parametrize("name", CLASSIC)
def test_shared_collections_validate_with_documented_counts(name: str) -> None:
    ds = resolve_dataset(name)
    stats = ds.validate()
    assert (stats.documents, stats.queries, stats.judged_queries, stats.qrels) == COUNTS[name]
    assert len(ds.content_hash) == 64


def test_judged_queries_follow_file_order_and_skip_unjudged() -> None:
    ds = resolve_dataset("cisi")
    judged = ds.judged_queries()
    assert len(judged) == 76
    order = list(ds.queries())
    assert [q.id for q in judged] == [q for q in order if q in ds.qrels()]


def test_graded_relevance_and_empty_text_are_kept() -> None:
    ds = resolve_dataset("cranfield")
    grades = {g for docs in ds.qrels().values() for g in docs.values()}
    assert grades == {0, 1, 2, 3, 4}
    empty = [d.id for d in ds.iter_corpus() if not d.text.strip()]
    assert {"471", "995"} <= set(empty)


def test_content_hash_identifies_content_not_name(tmp_path: Path, data_root: Path) -> None:
    copy = tmp_path / "renamed"
    shutil.copytree(data_root / "adi", copy)
    original = resolve_dataset("adi")
    assert Dataset("renamed", copy).content_hash == original.content_hash
    with (copy / "qrels" / "test.tsv").open("a") as f:
        f.write("1\t1\t1\n")
    assert Dataset("renamed", copy).content_hash != original.content_hash
    assert Dataset("renamed", copy).corpus_hash == original.corpus_hash


def test_splits_have_different_identities(data_root: Path) -> None:
    test = Dataset("time", data_root / "time", "test")
    other = Dataset("time", data_root / "time", "test_uncorrected_original_ids")
    assert test.content_hash != other.content_hash
    assert "test_uncorrected_original_ids" in test.splits()


@pytest.fixture
def adi_copy(tmp_path: Path, data_root: Path) -> Path:
    dest = tmp_path / "adi"
    shutil.copytree(data_root / "adi", dest)
    return dest


def _rewrite_line(path: Path, n: int, text: str) -> None:
    lines = path.read_text().splitlines(keepends=True)
    lines[n - 1] = text + "\n"
    path.write_text("".join(lines))


def _error(folder: Path) -> str:
    with pytest.raises(DatasetError) as e:
        Dataset(folder.name, folder).validate()
    return str(e.value)


def test_bad_json_names_file_and_line(adi_copy: Path) -> None:
    _rewrite_line(adi_copy / "corpus.jsonl", 7, '{"_id": "7", "title": "x", "text": ')
    msg = _error(adi_copy)
    assert "corpus.jsonl:7" in msg and "invalid JSON" in msg


def test_missing_id_names_line(adi_copy: Path) -> None:
    _rewrite_line(adi_copy / "corpus.jsonl", 3, json.dumps({"title": "t", "text": "x"}))
    msg = _error(adi_copy)
    assert "corpus.jsonl:3" in msg and "'_id'" in msg


def test_duplicate_document_id(adi_copy: Path) -> None:
    _rewrite_line(adi_copy / "corpus.jsonl", 5, json.dumps({"_id": "1", "title": "", "text": "dup"}))
    msg = _error(adi_copy)
    assert "corpus.jsonl:5" in msg and "duplicate document id '1'" in msg


def test_duplicate_query_id(adi_copy: Path) -> None:
    _rewrite_line(adi_copy / "queries.jsonl", 2, json.dumps({"_id": "1", "text": "again"}))
    msg = _error(adi_copy)
    assert "queries.jsonl:2" in msg and "duplicate query id" in msg


def test_qrels_pointing_at_unknown_document(adi_copy: Path) -> None:
    with (adi_copy / "qrels" / "test.tsv").open("a") as f:
        f.write("1\tnot-a-doc\t1\n")
    msg = _error(adi_copy)
    assert "test.tsv:172" in msg and "corpus-id 'not-a-doc'" in msg


def test_qrels_pointing_at_unknown_query(adi_copy: Path) -> None:
    with (adi_copy / "qrels" / "test.tsv").open("a") as f:
        f.write("999\t1\t1\n")
    msg = _error(adi_copy)
    assert "unknown query id" in msg and "'999'" in msg


def test_duplicate_qrels_pair(adi_copy: Path) -> None:
    first = (adi_copy / "qrels" / "test.tsv").read_text().splitlines()[1]
    with (adi_copy / "qrels" / "test.tsv").open("a") as f:
        f.write(first + "\n")
    msg = _error(adi_copy)
    assert "test.tsv:172" in msg and "duplicate judgment" in msg


def test_non_integer_score_and_wrong_columns(adi_copy: Path) -> None:
    _rewrite_line(adi_copy / "qrels" / "test.tsv", 4, "1\t46\tvery")
    assert "test.tsv:4" in _error(adi_copy)
    _rewrite_line(adi_copy / "qrels" / "test.tsv", 4, "1 46 1")
    msg = _error(adi_copy)
    assert "test.tsv:4" in msg and "3 tab-separated columns" in msg


def test_empty_corpus(adi_copy: Path) -> None:
    (adi_copy / "corpus.jsonl").write_text("")
    msg = _error(adi_copy)
    assert "corpus.jsonl" in msg and "empty" in msg


def test_missing_split_lists_available(adi_copy: Path) -> None:
    with pytest.raises(DatasetError) as e:
        Dataset("adi", adi_copy, "dev").validate()
    assert "dev" in str(e.value) and "test" in str(e.value)


def test_missing_queries_file(adi_copy: Path) -> None:
    (adi_copy / "queries.jsonl").unlink()
    assert "queries.jsonl" in _error(adi_copy)
