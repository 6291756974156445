"""`bench datasets fetch` against a loopback HTTP server serving zips made in the test (never the internet)."""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest

from bench.datasets import Dataset
from bench.datasets.fetch import fetch
from bench.datasets.registry import known
from bench.errors import DatasetError
from tests.clihelp import bench


def _zip_dataset(src: Path, zip_path: Path, name: str, extra: dict[str, str] | None = None) -> str:
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(src.rglob("*")):
            if f.is_file():
                zf.write(f, f"{name}/{f.relative_to(src)}")
        for arcname, text in (extra or {}).items():
            zf.writestr(arcname, text)
    return hashlib.md5(zip_path.read_bytes()).hexdigest()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_fetch_verifies_checksum_and_unpacks(
    server: tuple[str, Path], data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENCH_HOME", str(tmp_path / "home"))  # its fetch record stays in this test
    base, root = server
    md5 = _zip_dataset(data_root / "adi", root / "adi-mirror.zip", "adi-mirror")
    entry = replace(known("scifact"), name="adi-mirror", url=f"{base}/adi-mirror.zip", md5=md5)  # type: ignore[type-var]
    dest = tmp_path / "data"
    seen: list[int] = []
    folder = fetch(entry, dest, progress=lambda done, total: seen.append(done))
    assert folder == dest / "adi-mirror"
    assert Dataset("adi-mirror", folder).content_hash == Dataset("adi", data_root / "adi").content_hash
    assert seen and seen[-1] == (root / "adi-mirror.zip").stat().st_size
    assert sorted(p.name for p in dest.iterdir()) == ["adi-mirror"]  # no .part, no zip, no temp folder left


def test_checksum_mismatch_keeps_nothing(
    server: tuple[str, Path], data_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, root = server
    _zip_dataset(data_root / "adi", root / "scifact.zip", "scifact")
    dest = tmp_path / "data"
    r = bench(capsys, "datasets", "fetch", "scifact", "--url", f"{base}/scifact.zip", "--dest", dest)
    assert r.code == 3
    assert "checksum mismatch" in r.err and "Traceback" not in r.err
    assert list(dest.iterdir()) == []


def test_zip_escaping_destination_is_refused(server: tuple[str, Path], data_root: Path, tmp_path: Path) -> None:
    base, root = server
    md5 = _zip_dataset(data_root / "adi", root / "evil.zip", "evil", extra={"../../outside.txt": "x"})
    entry = replace(known("scifact"), name="evil", url=f"{base}/evil.zip", md5=md5)  # type: ignore[type-var]
    dest = tmp_path / "data"
    with pytest.raises(DatasetError, match="escape"):
        fetch(entry, dest)
    assert not (tmp_path / "outside.txt").exists()
    assert list(dest.iterdir()) == []


def test_unreachable_source_gives_clear_error(tmp_path: Path) -> None:
    entry = replace(known("scifact"), url="http://127.0.0.1:9/none.zip")  # type: ignore[type-var]
    with pytest.raises(DatasetError, match=r"download of http://127\.0\.0\.1:9/none\.zip failed"):
        fetch(entry, tmp_path / "data")
    assert list((tmp_path / "data").iterdir()) == []


def _tiny(folder: Path) -> Path:
    """A small BEIR set of its own (not a classic collection): train and test queries, two qrels files."""
    (folder / "qrels").mkdir(parents=True)
    docs = [{"_id": f"d{i}", "title": f"title {i}", "text": f"document number {i} about topic {i % 3}"} for i in range(6)]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    queries = [{"_id": f"q{i}", "text": f"topic {i}"} for i in range(4)]
    (folder / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries), encoding="utf-8")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq0\td0\t1\nq1\td1\t1\n", encoding="utf-8")
    (folder / "qrels" / "train.tsv").write_text("query-id\tcorpus-id\tscore\nq2\td2\t1\nq3\td3\t1\n", encoding="utf-8")
    return folder


def test_fetch_records_per_file_hashes_and_published_tables_attach(
    server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench.datasets.contents import fetched_contents, records_dir, registered_hashes
    from bench.published import tables

    monkeypatch.setenv("BENCH_HOME", str(tmp_path / "home"))  # the records of this test only
    base, root = server
    md5 = _zip_dataset(_tiny(tmp_path / "src"), root / "scifact.zip", "scifact")
    monkeypatch.setattr("bench.datasets.registry.known", lambda n: replace(known(n), md5=md5) if n == "scifact" else known(n))
    dest = tmp_path / "data"
    r = bench(capsys, "datasets", "fetch", "scifact", "--url", f"{base}/scifact.zip", "--dest", dest)
    assert r.code == 0, r.err
    record_file = records_dir() / "scifact.json"
    assert "file hashes recorded in" in r.out and record_file.is_file()
    record = json.loads(record_file.read_text(encoding="utf-8"))
    folder = dest / "scifact"
    for rel in ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv", "qrels/train.tsv"):
        assert record["files"][rel] == hashlib.sha256((folder / rel).read_bytes()).hexdigest()
    assert record["md5"] == md5 and record["url"] == f"{base}/scifact.zip" and set(record["splits"]) == {"test", "train"}
    test = Dataset("scifact", folder)
    assert record["splits"]["test"] == {"hash": test.files_identity, "scoring": test.scoring_hash}
    assert {k.split for k in fetched_contents()} == {"test", "train"}
    assert test.content_hash in registered_hashes("scifact")
    # wherever the fetched set is and whatever it is called, it is the fetched scifact: the published rows attach
    moved = tmp_path / "elsewhere" / "my-copy"
    moved.parent.mkdir()
    folder.rename(moved)
    copy = Dataset("my-copy", moved)
    assert copy.known is not None and copy.known.dataset == "scifact" and copy.known.published
    assert tables.content_of(dict(copy.file_hashes), "test", copy.content_hash) == "scifact"
    rows, note = tables.applicable("bm25-flat", _flat_hash(), dict(copy.file_hashes), "test", copy.content_hash)
    assert note is None and {(x.dataset, x.metric) for x in rows} >= {("scifact", "nDCG@10"), ("scifact", "R@100")}
    # a CRLF copy of it too (by its scoring identity); a one-byte change is not
    crlf = tmp_path / "crlf"
    shutil.copytree(moved, crlf)
    (crlf / "corpus.jsonl").write_bytes((crlf / "corpus.jsonl").read_bytes().replace(b"\n", b"\r\n"))
    assert Dataset("crlf", crlf).content_hash == test.content_hash
    (crlf / "corpus.jsonl").write_bytes((crlf / "corpus.jsonl").read_bytes().replace(b"number 1", b"number 7"))
    assert Dataset("crlf", crlf).known is None


def test_a_damaged_fetch_record_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.datasets.contents import fetched_contents, records_dir

    monkeypatch.setenv("BENCH_HOME", str(tmp_path / "home"))
    records_dir().mkdir(parents=True)
    (records_dir() / "scifact.json").write_text('{"dataset": "scifact", "files": {}, "splits": {"test": {"hash": "x"}}}', encoding="utf-8")
    with pytest.raises(DatasetError) as e:
        fetched_contents()
    assert "scifact.json:1: splits.test: needs a sha256 'hash'" in str(e.value) and "bench datasets fetch scifact" in str(e.value)
    assert "\n" not in str(e.value)


def _flat_hash() -> str:
    from bench.specs import load_spec

    return load_spec(Path(__file__).resolve().parents[2] / "models" / "bm25-flat.yaml").spec_hash
