"""`bench datasets fetch` against a loopback HTTP server serving zips made in the test (never the internet)."""

from __future__ import annotations

import hashlib
import http.server
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


def test_fetch_verifies_checksum_and_unpacks(server: tuple[str, Path], data_root: Path, tmp_path: Path) -> None:
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
