"""The scoring identity: a copy of a registered collection with other bytes but the same data as parsed (CRLF, BOM,
integer ids, the whole queries file) is that collection and keeps its expected block; one changed byte is not."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.datasets import contents
from bench.datasets.beir import Dataset
from bench.datasets.registry import resolve_dataset
from bench.errors import DatasetError
from bench.specs import load_spec
from tests.clihelp import bench

ROOT = Path(__file__).resolve().parents[2]
FILES = ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv")


@pytest.fixture(autouse=True)
def _clear() -> Iterator[None]:
    yield
    contents._static.cache_clear()


@pytest.fixture(scope="module")
def adi() -> Dataset:
    return resolve_dataset("adi")


def _copy(adi: Dataset, dst: Path, edit: Callable[[str, bytes], bytes] | None = None) -> Dataset:
    shutil.copytree(adi.path, dst)
    for rel in FILES if edit else ():
        (dst / rel).write_bytes(edit(rel, (dst / rel).read_bytes()))
    return Dataset(dst.name, dst)


def _int_ids(rel: str, data: bytes) -> bytes:
    if rel.endswith(".tsv"):
        return data
    rows = [json.loads(line) for line in data.decode().splitlines()]
    return "".join(json.dumps({**r, "_id": int(r["_id"])}) + "\n" for r in rows).encode()  # adi's ids are all digits


def _whole_queries(rel: str, data: bytes) -> bytes:  # train queries beside the judged test ones, as BEIR's files have
    if rel != "queries.jsonl":
        return data
    extra = "".join(json.dumps({"_id": f"train-{i}", "text": f"an unjudged training query {i}"}) + "\n" for i in range(5))
    return extra.encode() + data


EDITS: dict[str, Callable[[str, bytes], bytes]] = {
    "crlf": lambda rel, data: data.replace(b"\n", b"\r\n"),
    "bom": lambda rel, data: b"\xef\xbb\xbf" + data,
    "integer-ids": _int_ids,
    "whole-queries-file": _whole_queries,
}


@pytest.mark.parametrize("kind", list(EDITS))
def test_a_copy_with_other_bytes_is_the_registered_collection(adi: Dataset, tmp_path: Path, kind: str) -> None:
    copy = _copy(adi, tmp_path / f"adi-{kind}", EDITS[kind])
    assert copy.files_identity != adi.files_identity  # other bytes ...
    assert copy.scoring_hash == adi.scoring_hash  # ... the same data as scoring reads it
    assert copy.content_hash == adi.content_hash == "bd1c92873feb76586a8471697870973e7163ca5c3c5e450abcd2986b93be5860"
    assert copy.known is not None and copy.known.dataset == "adi"
    assert load_spec(ROOT / "models" / "bm25-flat.yaml").expected_for(copy.content_hash) is not None  # keeps its block


def test_a_renamed_byte_identical_folder_is_recognised_by_its_bytes(adi: Dataset, tmp_path: Path) -> None:
    copy = _copy(adi, tmp_path / "not-adi")
    assert copy.files_identity == adi.files_identity and copy.content_hash == adi.content_hash
    assert copy.known is not None and copy.known.dataset == "adi"  # by its bytes: nothing to parse


def test_one_changed_byte_of_a_document_is_another_dataset(adi: Dataset, tmp_path: Path) -> None:
    def one_byte(rel: str, data: bytes) -> bytes:
        return data.replace(b"technical", b"technicAl", 1) if rel == "corpus.jsonl" else data

    copy = _copy(adi, tmp_path / "adi-changed", one_byte)
    assert copy.scoring_hash != adi.scoring_hash and copy.known is None
    assert copy.content_hash == copy.files_identity != adi.content_hash
    assert load_spec(ROOT / "models" / "bm25-flat.yaml").expected_for(copy.content_hash) is None
    # a judgment or the scoring rule changes it too
    qrels = _copy(adi, tmp_path / "adi-qrels", lambda rel, d: d.replace(b"\t17\t1", b"\t17\t2", 1) if rel.endswith(".tsv") else d)
    assert qrels.scoring_hash != adi.scoring_hash and qrels.content_hash != adi.content_hash
    assert Dataset("adi", adi.path, drop_identical_ids=True).scoring_hash != adi.scoring_hash


def test_the_scoring_identity_is_remembered_and_a_broken_folder_is_simply_unknown(adi: Dataset, tmp_path: Path) -> None:
    copy = _copy(adi, tmp_path / "adi-crlf", EDITS["crlf"])
    assert copy.scoring_hash == contents.read_memo(copy.files_identity)  # parsed once per content, then read back
    broken = _copy(adi, tmp_path / "adi-broken", lambda rel, d: d + b"{not json\n" if rel == "corpus.jsonl" else d)
    assert broken.known is None and broken.content_hash == broken.files_identity  # validate is where its problems are told


def test_published_content_is_recognised_by_scoring_identity(adi: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.published import tables

    stand_in = contents.KnownContent("scifact", "test", "f" * 64, adi.scoring_hash, None, "content.yaml:5", published=True)
    monkeypatch.setattr(contents, "_static", lambda: (stand_in,))
    copy = _copy(adi, tmp_path / "adi-whole", _whole_queries)
    assert copy.content_hash == "f" * 64
    assert tables.content_of(dict(copy.file_hashes), "test", copy.content_hash) == "scifact"
    assert tables.content_of(dict(copy.file_hashes), "test") is None  # by bytes alone it is not


def test_a_bad_contents_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "contents.yaml"
    bad.write_text("contents:\n  - {dataset: adi, split: test, hash: nothex}\n", encoding="utf-8")
    with pytest.raises(DatasetError) as e:
        contents._registered(bad, False)
    assert str(e.value).startswith(f"{bad}:2: hash: not a sha256") and "\n" not in str(e.value)
    bad.write_text("contents:\n  - {dataset: adi, split: test}\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"contents.yaml:2: a content entry needs 'hash' or 'files'"):
        contents._registered(bad, False)


def test_validate_names_the_scoring_identity(adi: Dataset, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = _copy(adi, tmp_path / "adi-bom", EDITS["bom"])
    r = bench(capsys, "datasets", "validate", str(copy.path))
    assert r.code == 0, r.err
    text = " ".join(r.out.split())
    assert f"content hash {adi.content_hash}" in text and f"scoring identity {adi.scoring_hash}" in text
    assert "registered content of adi (test, contents.yaml:" in text and "the same data as parsed" in text


def test_bm25_reproduces_its_expected_block_on_a_bom_copy(adi: Dataset, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The whole way: the copy keeps adi's block, and Lucene indexes it (Anserini's JSON reader refuses a BOM)."""
    copy = _copy(adi, tmp_path / "adi-bom", EDITS["bom"])
    r = bench(capsys, "reproduce", str(ROOT / "models" / "bm25-flat.yaml"), "-d", str(copy.path), "--db", str(tmp_path / "r.duckdb"))
    assert r.code == 0, r.out + r.err
    assert "1 OK, 0 OKish, 0 FAIL" in " ".join(r.out.split())
