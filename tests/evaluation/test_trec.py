from __future__ import annotations

from pathlib import Path

import pytest

from bench.errors import EvaluationError
from bench.evaluation.trec import read_trec_run, write_trec_run
from bench.types import Run


def test_roundtrip_plain_and_gzip(tmp_path: Path) -> None:
    run = Run.from_scores({"1": {"a": 2.5, "b": 3.0, "c": 2.5}, "2": {"x": 0.1}}, tag="t")
    assert run.results["1"] == [("b", 3.0), ("c", 2.5), ("a", 2.5)]  # ties: docid descending, as trec_eval
    for name in ("r.trec", "r.trec.gz"):
        write_trec_run(run, tmp_path / name)
        back = read_trec_run(tmp_path / name)
        assert back.results == run.results and back.tag == "t"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("1 Q0 a 1 2.0", "expected 6 columns"),
        ("1 Q0 a 1 high t", "is not a number"),
        ("1 Q0 a 1 nan t", "not finite"),
    ],
)
def test_malformed_lines_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.trec"
    path.write_text("1 Q0 b 1 3.0 t\n" + line + "\n")
    with pytest.raises(EvaluationError, match=rf"bad.trec:2: .*{message}"):
        read_trec_run(path)


def test_duplicate_document_per_query(tmp_path: Path) -> None:
    path = tmp_path / "dup.trec"
    path.write_text("1 Q0 a 1 3.0 t\n1 Q0 a 2 2.0 t\n")
    with pytest.raises(EvaluationError, match=r"dup\.trec:2: document 'a' appears twice"):
        read_trec_run(path)
