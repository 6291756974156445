"""The website's inbox: uploads become submission folders there; ``bench submit process-inbox`` ingests them.

The website never writes the results database. A valid upload is written as a submission folder
under :func:`inbox_dir` with a generated id; an uploaded file's name only selects a dataset from the
registry (``adi.trec`` -> dataset ``adi``) and never becomes a path. Processing moves each folder to
``processed/`` (ingested as ``pending``) or ``rejected/`` (with ``problems.txt``).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from bench import paths
from bench.errors import BenchError
from bench.submissions.model import NAME_PATTERN
from bench.submissions.runfile import GZIP_MAGIC, Limits
from bench.submissions.validate import RUNS_DIR, SUBMISSION_FILE, check_submission

UPLOAD_LIMITS = Limits(max_file_bytes=32 << 20, max_decompressed_bytes=256 << 20, max_submission_bytes=64 << 20)
"""Website uploads: 32 MiB per file, 64 MiB per submission (also Streamlit's ``server.maxUploadSize``)."""
PROCESSED, REJECTED = "processed", "rejected"
_UPLOAD_STEM = re.compile(r"^(?P<name>[a-z0-9][a-z0-9._-]{0,63}?)(?:\.(?:trec|run|txt))?(?:\.gz)?$")


def inbox_dir() -> Path:
    """Where uploads wait: ``BENCH_INBOX`` or ``<bench home>/inbox``."""
    return paths.inbox_dir()


@dataclass(frozen=True)
class Upload:
    """An uploaded file: the name the browser sent (untrusted, never a path) and its bytes."""

    name: str
    data: bytes


def upload_dataset(name: str) -> str | None:
    """The dataset an uploaded file is for, from its base name (``adi.trec.gz`` -> ``adi``), or None."""
    base = re.split(r"[\\/]", name)[-1].strip().lower()
    m = _UPLOAD_STEM.match(base)
    return m["name"] if m else None


def new_id(model_name: str) -> str:
    """``<model>-<UTC time>-<random>``: only ``[a-z0-9.-]``, unique, and sortable by arrival."""
    slug = re.sub(r"[^a-z0-9.-]+", "-", model_name.lower()).strip("-.")[:40] or "submission"
    return f"{slug}-{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(3)}"


def metadata_from_form(
    *,
    name: str,
    family: str,
    description: str = "",
    parameters: float | None = None,
    dimension: float | None = None,
    licence: str = "",
    training_datasets: str = "",
    links: str = "",
    contact: str = "",
) -> dict[str, Any]:
    """``submission.yaml`` fields from the website's form (comma-separated datasets, one link per line)."""
    return {
        "name": name.strip(),
        "family": family,
        "description": description.strip(),
        "parameters": None if parameters is None else int(parameters),
        "dimension": None if dimension is None else int(dimension),
        "licence": licence.strip(),
        "training_datasets": [t.strip() for t in training_datasets.split(",") if t.strip()],
        "links": [u.strip() for u in links.splitlines() if u.strip()],
        "contact": contact.strip(),
    }


def save_upload(
    metadata: dict[str, Any], uploads: list[Upload], inbox: Path | None = None, limits: Limits = UPLOAD_LIMITS
) -> tuple[str | None, list[str]]:
    """Validate an upload exactly as ``bench submit validate`` would and, when valid, file it in the inbox.

    Args:
        metadata: the form's fields (``submission.yaml`` keys).
        uploads: the run files.
        inbox: the inbox folder (default :func:`inbox_dir`).
        limits: size limits per file and per submission.

    Returns:
        ``(submission id, [])`` when filed, else ``(None, problems)``; nothing is left behind on problems.
    """
    problems = _upload_problems(uploads, limits)
    if problems:
        return None, problems
    inbox = inbox or inbox_dir()
    inbox.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".incoming-", dir=inbox))
    try:
        clean = {k: v for k, v in metadata.items() if v not in (None, "", [], ())}
        (work / SUBMISSION_FILE).write_text(yaml.safe_dump(clean, sort_keys=False, allow_unicode=True), encoding="utf-8")
        (work / RUNS_DIR).mkdir()
        for up in uploads:
            dataset = upload_dataset(up.name)
            suffix = ".trec.gz" if up.data[:2] == GZIP_MAGIC else ".trec"
            (work / RUNS_DIR / f"{dataset}{suffix}").write_bytes(up.data)
        sub, found = check_submission(work, limits)
        if sub is None:
            # Paths inside the server's inbox mean nothing to the uploader; submission.yaml is the form.
            prefix = f"{work}{os.sep}"
            return None, [re.sub(rf"^{SUBMISSION_FILE}:\d+: ", "form: ", p.replace(prefix, "")) for p in found]
        name = metadata.get("name")
        sid = new_id(name if isinstance(name, str) and re.match(NAME_PATTERN, name) else "submission")
        os.replace(work, inbox / sid)
        return sid, []
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


def _upload_problems(uploads: list[Upload], limits: Limits) -> list[str]:
    from bench.datasets.registry import find_local, known

    problems = []
    if not uploads:
        problems.append("no run files: upload one file per dataset, named <dataset>.trec or <dataset>.trec.gz")
    seen: dict[str, str] = {}
    for up in uploads:
        shown = repr(up.name[:80])
        dataset = upload_dataset(up.name)
        if dataset is None or (known(dataset) is None and find_local(dataset) is None):
            problems.append(f"uploaded file {shown}: not named after a dataset; rename it <dataset>.trec, e.g. adi.trec")
            continue
        if dataset in seen:
            problems.append(f"uploaded file {shown}: a second run for dataset '{dataset}' (also {seen[dataset]!r}); upload one per dataset")
        seen[dataset] = up.name[:80]
        if len(up.data) > limits.max_file_bytes:
            problems.append(f"uploaded file {shown}: {len(up.data):,} bytes, over the limit of {limits.max_file_bytes:,} per file; gzip it")
    total = sum(len(u.data) for u in uploads)
    if total > limits.max_submission_bytes:
        problems.append(f"the upload is {total:,} bytes, over the limit of {limits.max_submission_bytes:,} per submission; gzip the files")
    return problems


@dataclass(frozen=True)
class Processed:
    """One inbox folder after processing."""

    submission_id: str
    ingested: bool
    folder: Path
    problems: tuple[str, ...] = ()


def process_inbox(db: Path, inbox: Path | None = None) -> list[Processed]:
    """Validate and ingest (as ``pending``) every waiting submission; move each to processed/ or rejected/."""
    from bench.submissions.ingest import ingest

    inbox = inbox or inbox_dir()
    if not inbox.is_dir():
        return []
    done = []
    for folder in sorted(p for p in inbox.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")):
        if folder.name in (PROCESSED, REJECTED):
            continue
        sub, problems = check_submission(folder)
        if sub is not None:
            target = inbox / PROCESSED / sub.submission_id
            try:
                ingest(sub, db, status="pending", source=str(target))
            except BenchError as e:
                problems = getattr(e, "problems", None) or [str(e)]
            else:
                done.append(Processed(sub.submission_id, True, _move(folder, target)))
                continue
        target = inbox / REJECTED / folder.name
        moved = _move(folder, target)
        (moved / "problems.txt").write_text("\n".join(problems) + "\n", encoding="utf-8")
        done.append(Processed(folder.name, False, moved, tuple(problems)))
    return done


def _move(folder: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target = target.with_name(f"{target.name}-{secrets.token_hex(3)}")
    os.replace(folder, target)
    return target
