"""The streaming run-file validator: limits hold while reading, and the run it builds is the one `bench eval` reads."""

from __future__ import annotations

import gzip
import tracemalloc
from pathlib import Path

import pytest

from bench.datasets import resolve_dataset
from bench.evaluation.trec import read_trec_run
from bench.submissions.runfile import Limits, check_run_file
from tests.submissions.subhelp import EXAMPLE


@pytest.fixture(scope="module")
def adi_ids() -> tuple[set[str], set[str], set[str]]:
    ds = resolve_dataset("adi")
    return set(ds.queries()), {q.id for q in ds.judged_queries()}, ds.corpus_ids()


def _check(path: Path, ids: tuple[set[str], set[str], set[str]], limits: Limits = Limits()):  # noqa: B008
    return check_run_file(path, path.name, *ids, limits)


def test_valid_file_gives_the_run_bench_eval_reads(adi_ids: tuple[set[str], set[str], set[str]]) -> None:
    report = _check(EXAMPLE / "runs" / "adi.trec", adi_ids)
    assert report.problems == [] and report.run is not None
    assert report.run.results == read_trec_run(EXAMPLE / "runs" / "adi.trec", depth=1000).results
    lines = len((EXAMPLE / "runs" / "adi.trec").read_text().splitlines())
    assert (report.answered, report.judged, report.lines) == (35, 35, lines)


def test_decompressed_bytes_are_capped_while_reading(tmp_path: Path, adi_ids: tuple[set[str], set[str], set[str]]) -> None:
    good = (EXAMPLE / "runs" / "adi.trec").read_bytes()
    path = tmp_path / "adi.trec.gz"
    path.write_bytes(gzip.compress(good * 40))  # 3.7 MB of (duplicate) lines, an ordinary compression ratio
    tracemalloc.start()
    report = _check(path, adi_ids, Limits(max_decompressed_bytes=1 << 20))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert report.run is None
    assert any("decompresses to more than 1,048,576 bytes" in p for p in report.problems), report.problems
    assert peak < 8 << 20  # it stopped at the cap instead of inflating everything


def test_a_high_compression_ratio_is_a_bomb_even_under_the_size_cap(tmp_path: Path, adi_ids: tuple[set[str], set[str], set[str]]) -> None:
    path = tmp_path / "adi.trec.gz"
    path.write_bytes(gzip.compress(b"1 Q0 1 1 1.0 x\n" * 400_000))  # 6 MB from ~15 kB
    report = _check(path, adi_ids)
    assert report.run is None and any("decompresses more than 100-fold" in p for p in report.problems), report.problems


def test_compression_must_match_the_name(tmp_path: Path, adi_ids: tuple[set[str], set[str], set[str]]) -> None:
    plain = tmp_path / "adi.trec.gz"
    plain.write_bytes((EXAMPLE / "runs" / "adi.trec").read_bytes())
    assert "not gzip-compressed but named adi.trec.gz; gzip it or drop the .gz suffix" in _check(plain, adi_ids).problems[0]
    packed = tmp_path / "adi.trec"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert "gzip-compressed but named adi.trec; rename it to end in .gz" in _check(packed, adi_ids).problems[0]
    broken = tmp_path / "broken.trec.gz"
    broken.write_bytes(gzip.compress(plain.read_bytes())[:500])
    assert "cannot be decompressed" in _check(broken, adi_ids).problems[0]


def test_encoding_long_lines_and_ranks(tmp_path: Path, adi_ids: tuple[set[str], set[str], set[str]]) -> None:
    path = tmp_path / "adi.trec"
    long_line = b"1" * 70_000  # longer than a read chunk too
    path.write_bytes(b"1 Q0 1 1 1.0 x\n1 Q0 \xff 2 1.0 x\n1 Q0 2 two 1.0 x\n" + b"1" * 5000 + b"\n" + long_line + b"\n1 Q0 nan 3 1.0 x\n")
    problems = _check(path, adi_ids).problems
    assert problems[0] == "adi.trec:2: not UTF-8 (byte 0xff at column 6); save the run file as UTF-8"
    assert problems[1] == "adi.trec:3: rank 'two' is not a whole number; write ranks 1, 2, 3, ..."
    assert problems[2].startswith("adi.trec:4: line longer than 4096 bytes")
    assert problems[3].startswith("adi.trec:5: line longer than 4096 bytes")
    assert problems[4].startswith("adi.trec:6: unknown document id 'nan'")  # reading goes on after a long line


def test_empty_and_irrelevant_runs_are_refused(tmp_path: Path, adi_ids: tuple[set[str], set[str], set[str]]) -> None:
    empty = tmp_path / "adi.trec"
    empty.write_text("\n")
    assert "the run file has no lines" in _check(empty, adi_ids).problems[0]
    queries, _, docs = adi_ids
    unjudged = check_run_file(EXAMPLE / "runs" / "adi.trec", "adi.trec", queries, {"no-such-judged-query"}, docs)
    assert "answers none of the dataset's judged queries" in unjudged.problems[0]
