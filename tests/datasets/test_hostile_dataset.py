"""Hostile dataset files (issue 8, item 9): ids are strings, texts are strings, grades are small integers,
every line is UTF-8 JSON (or TSV) of bounded length. Each case is one line naming ``file:line`` and the fix,
and `bench eval --record` on such a dataset writes nothing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench.datasets.beir import JSONL_LIMITS, Dataset
from bench.errors import DatasetError
from tests.clihelp import bench


@pytest.fixture
def adi(tmp_path: Path, data_root: Path) -> Path:
    """A writable copy of ADI."""
    folder = tmp_path / "adi-copy"
    shutil.copytree(data_root / "adi", folder)
    return folder


def _set_line(path: Path, n: int, text: str | bytes) -> None:
    lines = path.read_bytes().split(b"\n")
    lines[n - 1] = text if isinstance(text, bytes) else text.encode("utf-8")
    path.write_bytes(b"\n".join(lines))


def _error(folder: Path) -> str:
    with pytest.raises(DatasetError) as e:
        Dataset("adi-copy", folder).validate()
    msg = str(e.value)
    assert "\n" not in msg
    return msg


RECORD = {"title": "t", "text": "some text"}

BAD_CORPUS = [
    ('{"_id": true, "title": "t", "text": "x"}', "'_id' is a boolean (true), not a string; write the id as a JSON string"),
    ('{"_id": false, "text": "x"}', "'_id' is a boolean (false), not a string"),
    ('{"_id": 3.0, "text": "x"}', "'_id' is a float (3.0), not a string"),
    ('{"_id": null, "text": "x"}', "'_id' is null, not a string"),
    ('{"_id": [3], "text": "x"}', "'_id' is a list ([3]), not a string"),
    ('{"_id": {"a": 1}, "text": "x"}', "'_id' is an object ({\"a\": 1}), not a string"),
    ('{"_id": "", "text": "x"}', "'_id' is empty; ids are printable text without spaces"),
    ('{"_id": "3 b", "text": "x"}', "'_id' contains whitespace (U+0020)"),
    ('{"_id": "3\\t", "text": "x"}', "'_id' contains whitespace (U+0009)"),
    ('{"_id": "\\u001b[1m3", "text": "x"}', "'_id' contains a control or format character (U+001B)"),
    ('{"_id": "3\\ufeff", "text": "x"}', "'_id' contains a control or format character (U+FEFF)"),
    (json.dumps({"_id": "x" * 300, "text": "x"}), "'_id' is 300 characters long, over the limit of 256"),
    ('{"_id": "3", "title": 5, "text": "x"}', "'title' is 5, not a string; write the title as a JSON string"),
    ('{"_id": "3", "title": "t", "text": ["x"]}', "'text' is [\"x\"], not a string"),
    ('{"_id": "3", "text": "x", "_id": "4"}', "invalid JSON (duplicate key '_id'); fix or remove that line"),
    ('{"_id": "3", "text": NaN}', "invalid JSON (NaN is not JSON)"),
    ('{"_id": "3", "text": "x", "n": ' + "[" * 100_000 + "]" * 100_000 + "}", "invalid JSON (nested too deeply)"),
    ('{"_id": 1' + "0" * 5000 + ', "text": "x"}', "invalid JSON (Exceeds the limit"),
    (b'{"_id": "3", "text": "caf\xe9"}', "not UTF-8 (byte 0xe9 at column 26); save the file as UTF-8"),
]


@pytest.mark.parametrize(("line", "expected"), BAD_CORPUS)
def test_corpus_records_are_strict(adi: Path, line: str | bytes, expected: str) -> None:
    _set_line(adi / "corpus.jsonl", 3, line)
    msg = _error(adi)
    assert msg.startswith(f"{adi / 'corpus.jsonl'}:3: ") and expected in msg, msg


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"_id": true, "text": "q"}', "'_id' is a boolean (true), not a string; write the id as a JSON string"),
        ('{"_id": "2", "text": null}', "'text' is null, not a string; write the text as a JSON string"),
        ('{"_id": "2", "text": 12}', "'text' is 12, not a string"),
        ('{"_id": "2 ", "text": "q"}', "'_id' contains whitespace (U+0020)"),
        (b'{"_id": "2", "text": "\xff"}', "not UTF-8 (byte 0xff at column 23)"),
        (
            '{"_id": "2", "text": "' + "q" * (JSONL_LIMITS.max_line_bytes + 1) + '"}',
            "line longer than 16777216 bytes; a queries line is at most",
        ),
    ],
)
def test_query_records_are_strict(adi: Path, line: str | bytes, expected: str) -> None:
    _set_line(adi / "queries.jsonl", 2, line)
    msg = _error(adi)
    assert msg.startswith(f"{adi / 'queries.jsonl'}:2: ") and expected in msg, msg


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("1\t17\t4294967296", "grade 4294967296 is outside -1000..1000; relevance grades are small integers (BEIR 0-2, TREC 0-4)"),
        ("1\t17\t-4294967297", "grade -4294967297 is outside -1000..1000"),
        ("1\t17\t99999999999999999999", "score '99999999999999999999' is not an integer; relevance grades are whole numbers"),
        ("1\t17\t1001", "grade 1001 is outside -1000..1000"),
        ("1\t17\t1.0", "score '1.0' is not an integer"),
        ("1\t17\t\u0661", "score '\u0661' is not an integer"),  # an Arabic-Indic one: int() would take it
        ("1\t17\t1_0", "score '1_0' is not an integer"),
        ("1\t1 7\t1", "corpus-id '1 7' contains whitespace (U+0020); ids are printable text without spaces"),
        ("1\x00\t17\t1", "query-id '1\\x00' contains a control or format character (U+0000)"),
        (b"1\t17\xe9\t1", "not UTF-8 (byte 0xe9 at column 5); save the file as UTF-8"),
        ("1\t" + "7" * 5000 + "\t1", "line longer than 4096 bytes; a qrels line is at most 4,096 bytes"),
    ],
)
def test_qrels_lines_are_strict(adi: Path, line: str | bytes, expected: str) -> None:
    _set_line(adi / "qrels" / "test.tsv", 2, line)
    msg = _error(adi)
    assert msg.startswith(f"{adi / 'qrels' / 'test.tsv'}:2: ") and expected in msg, msg


def test_integer_json_ids_become_their_decimal_string(adi: Path) -> None:
    lines = (adi / "corpus.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    lines[0] = json.dumps({**first, "_id": int(first["_id"]), "title": None})
    (adi / "corpus.jsonl").write_text("\n".join(lines) + "\n")
    docs = {d.id: d for d in Dataset("adi-copy", adi).iter_corpus()}
    assert docs[first["_id"]].title == "" and docs[first["_id"]].text == first["text"]
    assert Dataset("adi-copy", adi).validate().documents == 82
    lines.append(json.dumps({"_id": first["_id"], "text": "a string twin of an integer id"}))
    (adi / "corpus.jsonl").write_text("\n".join(lines) + "\n")
    assert f"duplicate document id '{first['_id']}'" in _error(adi)


@pytest.mark.parametrize(
    ("file", "line", "content"),
    [
        ("corpus.jsonl", 3, '{"_id": true, "title": "t", "text": "x"}'),
        ("queries.jsonl", 1, '{"_id": "1", "text": false}'),
        ("qrels/test.tsv", 2, "1\t17\t4294967296"),
    ],
)
def test_bench_eval_on_a_hostile_dataset_records_nothing(
    adi: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], file: str, line: int, content: str
) -> None:
    run = tmp_path / "run.trec"
    run.write_text("1 Q0 17 1 2.0 mine\n1 Q0 46 2 1.0 mine\n")
    _set_line(adi / file, line, content)
    db = tmp_path / "results.duckdb"
    r = bench(capsys, "eval", run, "-d", adi, "--record", "--family", "lexical", "--model", "mine", "--db", db)
    (error,) = [e for e in r.err.splitlines() if not e.startswith("warning:")]
    assert r.code == 3 and error.startswith(f"error: {adi / file}:{line}: "), r.err
    assert not db.exists()
    r = bench(capsys, "datasets", "validate", adi)
    assert r.code == 3 and f"{adi / file}:{line}: " in r.err
