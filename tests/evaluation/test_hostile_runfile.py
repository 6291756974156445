"""Hostile run files (issue 8, item 9): one bounded reader for `bench eval` and submissions alike.

Ranks are whole numbers from 1, scores plain finite decimals within the float32 range, ids printable text,
every line UTF-8 and of bounded length, the file bounded in size before and after decompression.
"""

from __future__ import annotations

import gzip
import tracemalloc
from pathlib import Path

import pytest

from bench.datasets import resolve_dataset
from bench.errors import EvaluationError
from bench.evaluation.trec import read_trec_run
from bench.submissions.runfile import Limits, check_run_file
from bench.textfile import ReadLimits
from tests.clihelp import bench

GOOD = "1 Q0 1 1 12.5 mine\n"

BAD_LINES = [
    ("1 Q0 2 0 11.0 mine", "rank '0' is out of range; write ranks 1, 2, 3, ... (at most 1,000,000,000)"),
    ("1 Q0 2 -3 11.0 mine", "rank '-3' is not a whole number; write ranks 1, 2, 3, ..."),
    ("1 Q0 2 1.5 11.0 mine", "rank '1.5' is not a whole number"),
    ("1 Q0 2 99999999999 11.0 mine", "rank '99999999999' is not a whole number"),
    ("1 Q0 2 2 1e39 mine", "score '1e39' is outside ±3.4e+38; write a score within the float32 range"),
    ("1 Q0 2 2 -1.0e300 mine", "score '-1.0e300' is outside ±3.4e+38"),
    ("1 Q0 2 2 1_000 mine", "score '1_000' is not a plain decimal number; write digits, a point and an exponent"),
    ("1 Q0 2 2 0x10 mine", "score '0x10' is not a number; write a decimal score (higher is better)"),
    ("1 Q0 2 2 nan mine", "score 'nan' is not finite; NaN and infinity cannot be ranked"),
    ("1 Q0 2 2 -Infinity mine", "score '-Infinity' is not finite"),
    ("1 Q0 2\x1b[31m 2 3.0 mine", "document id '2\\x1b[31m' contains a control or format character (U+001B); ids are printable text"),
    ("1\u200b Q0 2 2 3.0 mine", "query id '1\\u200b' contains a control or format character (U+200B)"),
    ("1 Q0 " + "d" * 300 + " 2 3.0 mine", "is 300 characters long, over the limit of 256"),
    ("1 Q0 2 2 3.0 mi\x00ne", "tag 'mi\\x00ne' contains a control or format character (U+0000)"),
    ("1 Q0 2 2 3.0", "expected 6 columns 'qid Q0 docid rank score tag', found 5; separate columns by spaces or tabs"),
    ("1 Q0 2 2 3.0 " + "x" * 5000, "line longer than 4096 bytes; a run line is 'qid Q0 docid rank score tag'"),
]


@pytest.mark.parametrize(("line", "expected"), BAD_LINES)
def test_bench_eval_reader_refuses_with_file_line_and_fix(tmp_path: Path, line: str, expected: str) -> None:
    path = tmp_path / "bad.trec"
    path.write_text(GOOD + line + "\n", encoding="utf-8")
    with pytest.raises(EvaluationError) as e:
        read_trec_run(path)
    assert str(e.value).startswith(f"{path}:2: ") and expected in str(e.value)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize(("line", "expected"), BAD_LINES)
def test_submission_reader_refuses_the_same_lines(tmp_path: Path, line: str, expected: str) -> None:
    path = tmp_path / "adi.trec"
    path.write_text(GOOD + line + "\n", encoding="utf-8")
    ids = {str(i) for i in range(1, 100)}
    report = check_run_file(path, "runs/adi.trec", ids, ids, ids | {"d" * 300})
    assert report.run is None and any(p.startswith("runs/adi.trec:2: ") and expected in p for p in report.problems), report.problems


def test_a_bom_is_not_part_of_the_first_id_and_crlf_is_not_part_of_the_tag(tmp_path: Path) -> None:
    path = tmp_path / "bom.trec"
    path.write_bytes("\ufeff1 Q0 a 1 2.0 t\r\n1 Q0 b 2 1.0 t\r\n".encode())
    run = read_trec_run(path)
    assert run.results == {"1": [("a", 2.0), ("b", 1.0)]} and run.tag == "t"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"1 Q0 a 1 2.0 t\n1 Q0 caf\xe9 2 1.0 t\n", ":2: not UTF-8 (byte 0xe9 at column 9); save the run file as UTF-8"),
        (b"1 Q0 a 1 2.0 t\n\xff\xfe1\x00 \x00Q\x00\n", ":2: not UTF-8 (byte 0xff at column 1)"),
    ],
)
def test_non_utf8_run_file_names_the_line(tmp_path: Path, payload: bytes, expected: str) -> None:
    for name, data in (("r.trec", payload), ("r.trec.gz", gzip.compress(payload))):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(EvaluationError) as e:
            read_trec_run(path)
        assert str(e.value).startswith(f"{path}{expected}")


def _bomb(path: Path, decompressed: int, block: bytes) -> None:
    with gzip.open(path, "wb", compresslevel=9) as f:
        for _ in range(decompressed // len(block)):
            f.write(block)


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (b"\n" * (1 << 20), ": decompresses more than 100-fold (a compression bomb); reading stopped there"),
        (b" " * (1 << 20), ":1: line longer than 4096 bytes; a run line is"),
        (b"1 Q0 1 1 1.0 t" + b" " * ((1 << 20) - 14), ":1: line longer than 4096 bytes"),
    ],
    ids=["blank-lines", "one-line", "padded"],
)
def test_bench_eval_stops_a_compression_bomb_early_and_records_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], block: bytes, expected: str
) -> None:
    bomb = tmp_path / "bomb.trec.gz"
    _bomb(bomb, 64 << 20, block)  # 64 MiB of text in about 64 KB
    assert bomb.stat().st_size < 2 << 20
    db = tmp_path / "results.duckdb"
    tracemalloc.start()
    r = bench(capsys, "eval", bomb, "-d", "adi", "--record", "--family", "lexical", "--model", "bomb", "--db", db)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert r.code == 6 and r.err.count("\n") == 1, r.err
    assert r.err.startswith(f"error: {bomb}{expected}")
    assert peak < 32 << 20 and not db.exists()


def test_decompressed_and_plain_sizes_are_capped(tmp_path: Path) -> None:
    plain = tmp_path / "big.trec"
    plain.write_text("".join(f"1 Q0 d{i} {i + 1} {1000 - i}.0 t\n" for i in range(200)))
    with pytest.raises(EvaluationError, match=rf"^{plain}: file is [0-9,]+ bytes, over the limit of 1,000; a run needs at most"):
        read_trec_run(plain, limits=ReadLimits(max_file_bytes=1000))
    packed = tmp_path / "big.trec.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    with pytest.raises(EvaluationError, match=rf"^{packed}: holds more than 2,000 bytes of text; reading stopped there"):
        read_trec_run(packed, limits=ReadLimits(max_decompressed_bytes=2000))
    assert len(read_trec_run(packed).results["1"]) == 200


def test_submission_limits_are_the_reading_limits_plus_submission_rules() -> None:
    assert isinstance(Limits(), ReadLimits) and Limits().max_line_bytes == ReadLimits().max_line_bytes


def test_eval_of_a_genuine_run_is_unchanged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ds = resolve_dataset("adi")
    path = tmp_path / "ok.trec"
    path.write_text(
        "".join(f"{q.id} Q0 {d} {r} {10 - r}.5 t\n" for q in ds.judged_queries() for r, d in enumerate(["1", "2", "3"], start=1))
    )
    r = bench(capsys, "eval", path, "-d", "adi", "--json")
    assert r.code == 0, r.err
    assert r.json()["queries"]["judged"] == 35
