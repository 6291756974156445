"""Download a BEIR dataset zip, verify its checksum, and unpack it atomically.

Nothing is visible under the destination folder until the archive has been verified and fully
unpacked: the download goes to ``<dest>/.NAME.zip.part``, the unpack to a temporary folder beside the
final one, and a single ``os.replace`` publishes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from bench.datasets.beir import Dataset
from bench.datasets.card import write_card
from bench.datasets.contents import records_dir
from bench.datasets.registry import KnownDataset
from bench.errors import DatasetError

ProgressFn = Callable[[int, int | None], None]
"""Called with (bytes so far, total bytes or None)."""

MAX_UNPACKED_BYTES = 64 << 30  # refuse archives that claim to unpack to more than 64 GiB


def download(url: str, target: Path, md5: str | None, progress: ProgressFn | None = None, timeout: float = 60.0) -> Path:
    """Stream ``url`` to ``target`` (via a ``.part`` file) and check its md5 when one is given."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{target.name}.part")
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, part.open("wb") as out:
            total = int(resp.headers.get("Content-Length") or 0) or None
            done = 0
            while chunk := resp.read(1 << 20):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
    except (urllib.error.URLError, OSError) as e:
        part.unlink(missing_ok=True)
        raise DatasetError(f"download of {url} failed: {e}. Check the network or put the dataset folder on BENCH_DATA_PATH") from e
    if md5 and digest.hexdigest() != md5:
        part.unlink(missing_ok=True)
        raise DatasetError(
            f"{url}: checksum mismatch (md5 {digest.hexdigest()}, expected {md5}). The file is corrupt or has changed upstream; nothing was kept"
        )
    os.replace(part, target)
    return target


def _safe_members(zf: zipfile.ZipFile, archive: Path) -> list[zipfile.ZipInfo]:
    total = 0
    for info in zf.infolist():
        p = PurePosixPath(info.filename)
        if p.is_absolute() or ".." in p.parts or (p.parts and ":" in p.parts[0]):
            raise DatasetError(f"{archive}: member '{info.filename}' would escape the destination; refusing to unpack")
        total += info.file_size
    if total > MAX_UNPACKED_BYTES:
        raise DatasetError(f"{archive}: would unpack to {total} bytes (limit {MAX_UNPACKED_BYTES}); refusing")
    return zf.infolist()


def unpack(archive: Path, name: str, dest_root: Path) -> Path:
    """Unpack a BEIR zip (members under ``NAME/``) to ``dest_root/NAME`` atomically."""
    final = dest_root / name
    if final.exists():
        raise DatasetError(f"{final} already exists; remove it to fetch again")
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=dest_root))
    try:
        try:
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp, members=_safe_members(zf, archive))
        except zipfile.BadZipFile as e:
            raise DatasetError(f"{archive}: not a valid zip file ({e})") from e
        root = tmp / name if (tmp / name / "corpus.jsonl").is_file() else tmp
        if not (root / "corpus.jsonl").is_file():
            raise DatasetError(f"{archive}: no corpus.jsonl inside (expected {name}/corpus.jsonl); not a BEIR dataset zip")
        os.replace(root, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def fetch(entry: KnownDataset, dest_root: Path, progress: ProgressFn | None = None, url: str | None = None) -> Path:
    """Download, verify and unpack a registered dataset into ``dest_root/NAME``; returns that folder."""
    source = url or entry.url
    if not source:
        raise DatasetError(
            f"dataset '{entry.name}' has no public download ({entry.note or 'obtain it yourself'}); put its folder on BENCH_DATA_PATH"
        )
    dest_root.mkdir(parents=True, exist_ok=True)
    if (dest_root / entry.name / "corpus.jsonl").is_file():
        return dest_root / entry.name
    archive = dest_root / f"{entry.name}.zip"
    download(source, archive, entry.md5, progress)
    try:
        folder = unpack(archive, entry.name, dest_root)
    finally:
        archive.unlink(missing_ok=True)
    write_card(folder, entry.drop_identical_ids)  # the scoring rule travels with the folder, whatever it is renamed to
    record_fetch(entry, folder, source)
    return folder


def record_fetch(entry: KnownDataset, folder: Path, url: str) -> Path:
    """Record what a verified zip unpacked to: the sha256 of ``corpus.jsonl``, ``queries.jsonl`` and each
    ``qrels/*.tsv``, and per split its content hash and scoring identity (``<home>/fetched/NAME.json``).

    A folder whose files hash to these (wherever it is, whatever it is called) is then that registered dataset: the
    published tables (measured on BEIR's zips) attach to it, and a suite counts its runs as that member's.
    """

    def sha(path: Path) -> str:
        h = hashlib.sha256()
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
        return h.hexdigest()

    rels = [p for p in ("corpus.jsonl", "queries.jsonl") if (folder / p).is_file()]
    rels += sorted(f"qrels/{p.name}" for p in (folder / "qrels").glob("*.tsv"))
    splits = {}
    for rel in rels:
        if rel.startswith("qrels/"):
            ds = Dataset(entry.name, folder, rel[len("qrels/") : -len(".tsv")], entry.drop_identical_ids)
            try:
                splits[ds.split] = {"hash": ds.files_identity, "scoring": ds.scoring_hash}
            except DatasetError:  # a split that does not parse is not recorded (`bench datasets validate` says why)
                continue
    record = {
        "dataset": entry.name,
        "url": url,
        "md5": entry.md5,
        "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "folder": str(folder),
        "drop_identical_ids": entry.drop_identical_ids,
        "published": entry.collection == "beir",  # the published BEIR tables were measured on these zips
        "files": {rel: sha(folder / rel) for rel in rels},
        "splits": splits,
    }
    target = records_dir() / f"{entry.name}.json"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, target)
    except OSError as e:
        raise DatasetError(
            f"{target}: cannot write the fetch record ({e}); check that the brewbench home (BENCH_HOME) is writable"
        ) from None
    return target
