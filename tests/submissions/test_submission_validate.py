"""Submissions: the example validates and ingests; each broken submission fails with file:line and the fix, writing nothing."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from bench.datasets import resolve_dataset
from bench.errors import SubmissionError
from bench.submissions.validate import check_submission, validate_submission
from tests.clihelp import bench
from tests.submissions.subhelp import EXAMPLE, counts, set_line

# -- the example ------------------------------------------------------------------------------------


def test_example_submission_validates_with_full_coverage(capsys: pytest.CaptureFixture[str]) -> None:
    r = bench(capsys, "submit", "validate", EXAMPLE)
    assert r.code == 0, r.err
    assert "valid submission 'acme-bm25plus' (lexical), 2 run file(s)" in r.out
    assert "runs/adi.trec: adi: answers 35/35 judged queries (100.0% coverage)" in r.out
    assert "runs/time.trec.gz: time: answers 83/83 judged queries (100.0% coverage)" in r.out
    sub = validate_submission(EXAMPLE)
    assert sub.spec is not None and sub.spec.kind == "lucene-bm25" and sub.spec.params["k1"] == 1.2
    assert {r.dataset.name for r in sub.runs} == {"adi", "time"}


def test_example_ingests_as_self_reported_with_our_evaluation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "results.duckdb"
    r = bench(capsys, "submit", "ingest", EXAMPLE, "--db", db, "--json")
    assert r.code == 0, r.err
    payload = r.json()
    assert payload["submission_id"] == "acme-bm25plus" and payload["status"] == "self-reported"
    # evaluated against our qrels: the same numbers `bench eval` gives for the same file
    direct = bench(capsys, "eval", EXAMPLE / "runs" / "adi.trec", "-d", "adi", "--json").json()["metrics"]
    assert payload["runs"]["adi"][1] == pytest.approx(direct, abs=1e-12)
    rows = counts(db)
    ranked = sum(len(docs) for rf in validate_submission(EXAMPLE).runs for docs in rf.run.results.values())
    assert (rows["runs"], rows["submissions"], rows["submission_runs"], rows["rankings"]) == (2, 1, 2, ranked)
    con = duckdb.connect(str(db), read_only=True)
    provenance = con.execute("SELECT DISTINCT provenance FROM runs").fetchall()
    owner = con.execute("SELECT owner, owner_key FROM models WHERE name = 'acme-bm25plus'").fetchone()
    model = con.execute("SELECT kind, metadata FROM model_versions WHERE name = 'acme-bm25plus'").fetchone()
    con.close()
    assert provenance == [("self-reported",)]
    assert owner == ("submission", "acme-bm25plus")  # the name now belongs to this submission
    assert model[0] == "lucene-bm25"
    assert json.loads(model[1])["contact"] == "ir-team@acme.example"
    # the same submission twice: refused, nothing written
    before = counts(db)
    again = bench(capsys, "submit", "ingest", EXAMPLE, "--db", db)
    assert again.code == 7 and "already recorded" in again.err
    assert counts(db) == before


# -- one broken submission per failure of the issue ---------------------------------------------------


def _schema(folder: Path) -> None:
    (folder / "submission.yaml").write_text("name: acme-copy\nfamily: neural\nlicence: MIT\nhomepage: https://acme.example\n")


def _columns(folder: Path) -> None:
    set_line(folder / "runs" / "adi.trec", 5, "1 Q0 27 5 1.0")


def _non_numeric(folder: Path) -> None:
    set_line(folder / "runs" / "adi.trec", 6, "1 Q0 27 6 abc acme")


def _nan(folder: Path) -> None:
    set_line(folder / "runs" / "adi.trec", 7, "1 Q0 27 7 nan acme")


def _unknown_query(folder: Path) -> None:
    set_line(folder / "runs" / "adi.trec", 8, "999 Q0 27 8 1.0 acme")


def _unknown_document(folder: Path) -> None:
    set_line(folder / "runs" / "adi.trec", 9, "1 Q0 D-9999 9 1.0 acme")


def _duplicate(folder: Path) -> None:
    first = (folder / "runs" / "adi.trec").read_text().splitlines()[1].split()  # "1 Q0 27 2 ..."
    set_line(folder / "runs" / "adi.trec", 3, f"1 Q0 {first[2]} 3 0.5 acme")


def _too_deep(folder: Path) -> None:
    med = resolve_dataset("med")
    qid = med.judged_queries()[0].id
    docs = [d.id for d in med.iter_corpus()][:1001]
    (folder / "runs" / "med.trec").write_text("".join(f"{qid} Q0 {d} {i} {2000 - i} acme\n" for i, d in enumerate(docs, start=1)))


def _too_large(folder: Path) -> None:
    path = folder / "runs" / "adi.trec"
    with path.open("r+b") as f:
        f.truncate(65 << 20)  # sparse: st_size is over the 64 MiB limit, the disk holds almost nothing


def _bomb(folder: Path) -> None:
    (folder / "runs" / "time.trec.gz").write_bytes(gzip.compress((b" " * 4095 + b"\n") * (16 << 10), compresslevel=9))  # 64 MiB


def _symlink_escape(folder: Path) -> None:
    outside = folder.parent / "outside.trec"
    outside.write_bytes((folder / "runs" / "adi.trec").read_bytes())
    (folder / "runs" / "adi.trec").unlink()
    os.symlink(outside, folder / "runs" / "adi.trec")


def _path_escape(folder: Path) -> None:
    (folder.parent / "outside.trec").write_bytes((folder / "runs" / "adi.trec").read_bytes())
    with (folder / "submission.yaml").open("a") as f:
        f.write("runs:\n  adi: ../outside.trec\n")


def _trust_remote_code(folder: Path) -> None:
    spec = (folder / "spec.yaml").read_text().replace("  hits: 100\n", "  hits: 100\n  trust_remote_code: true\n")
    (folder / "spec.yaml").write_text(spec)


def _unregistered_kind(folder: Path) -> None:
    (folder / "spec.yaml").write_text((folder / "spec.yaml").read_text().replace("kind: lucene-bm25", "kind: acme-python-plugin"))


BROKEN: dict[str, tuple[Callable[[Path], None], list[str]]] = {
    "schema": (
        _schema,
        [
            "submission.yaml:2: family: Input should be 'lexical'",
            "submission.yaml:4: homepage: unknown field; remove it",
            "submission.yaml:1: contact: required field is missing; give an e-mail address",
        ],
    ),
    "wrong column count": (_columns, ["runs/adi.trec:5: expected 6 columns 'qid Q0 docid rank score tag', found 5"]),
    "non-numeric score": (_non_numeric, ["runs/adi.trec:6: score 'abc' is not a number"]),
    "NaN score": (_nan, ["runs/adi.trec:7: score 'nan' is not finite"]),
    "unknown query id": (_unknown_query, ["runs/adi.trec:8: unknown query id '999'; use the ids of the dataset's queries.jsonl"]),
    "unknown document id": (_unknown_document, ["runs/adi.trec:9: unknown document id 'D-9999' (query '1')"]),
    "duplicate document": (_duplicate, ["runs/adi.trec:3: document '27' appears twice for query '1'; keep one line"]),
    "more than 1000 per query": (_too_deep, ["runs/med.trec:1001: query '", "has more than 1000 documents; keep the top 1000"]),
    "file over the size limit": (_too_large, ["runs/adi.trec: file is 68,157,440 bytes, over the limit of 67,108,864"]),
    "compression bomb": (_bomb, ["runs/time.trec.gz: decompresses more than 100-fold: a compression bomb"]),
    "symlink out of the folder": (_symlink_escape, ["runs/adi.trec: is a link to", "outside the submission folder"]),
    "path out of the folder": (_path_escape, ["submission.yaml:14: runs.adi: path '../outside.trec' escapes the submission folder"]),
    "trust_remote_code in the spec": (_trust_remote_code, ["spec.yaml: trust_remote_code: submissions never run code"]),
    "unregistered runner kind": (_unregistered_kind, ["spec.yaml: kind: unknown runner kind 'acme-python-plugin'; use one of"]),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_submission_fails_and_writes_nothing(
    case: str, example: Path, populated_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mutate, messages = BROKEN[case]
    mutate(example)
    before = counts(populated_db)
    r = bench(capsys, "submit", "ingest", example, "--db", populated_db)
    assert r.code == SubmissionError.exit_code, r.err
    for message in messages:
        assert message in r.err, f"{case}: expected {message!r} in:\n{r.err}"
    assert str(example) in r.err  # problems name the file inside the submission folder
    assert counts(populated_db) == before


def test_every_problem_is_listed_at_once(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for case in ("schema", "non-numeric score", "NaN score", "unknown query id", "compression bomb", "unregistered runner kind"):
        BROKEN[case][0](example)
    sub, problems = check_submission(example)
    assert sub is None
    text = "\n".join(problems)
    for case in ("schema", "non-numeric score", "NaN score", "unknown query id", "compression bomb", "unregistered runner kind"):
        for message in BROKEN[case][1]:
            assert message in text, f"{case} missing from:\n{text}"
    r = bench(capsys, "submit", "validate", example)
    assert r.code == 7 and f"{len(problems)} problem(s)" in r.err


def test_many_bad_lines_are_quoted_a_few_times_then_counted(example: Path) -> None:
    path = example / "runs" / "adi.trec"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(line.rsplit(" ", 2)[0] + " nan acme" for line in lines) + "\n")
    _, problems = check_submission(example)
    quoted = [p for p in problems if "is not finite" in p]
    assert len(quoted) == 5
    assert f"... and {len(lines) - 5} more line(s) with the same problem (score)" in "\n".join(problems)


def test_missing_queries_are_allowed_and_reported_as_coverage(example: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = example / "runs" / "adi.trec"
    path.write_text("".join(line for line in path.read_text().splitlines(keepends=True) if not line.startswith(("1 ", "2 "))))
    (example / "submission.yaml").write_text((example / "submission.yaml").read_text().replace("name: acme-bm25plus", "name: acme-partial"))
    (example / "spec.yaml").write_text((example / "spec.yaml").read_text().replace("name: acme-bm25plus", "name: acme-partial"))
    r = bench(capsys, "submit", "validate", example)
    assert r.code == 0, r.err
    assert "runs/adi.trec: adi: answers 33/35 judged queries (94.3% coverage); 2 missing: means are over the answered queries" in r.out
    ingested = bench(capsys, "submit", "ingest", example, "--db", db_path, "--json")
    assert ingested.code == 0, ingested.err
    con = duckdb.connect(str(db_path), read_only=True)
    coverage = con.execute("SELECT coverage FROM submission_runs WHERE submission_id = 'acme-copy' AND file = 'runs/adi.trec'").fetchone()
    con.close()
    assert coverage[0] == pytest.approx(33 / 35)


def test_reference_model_names_are_reserved(example: Path) -> None:
    (example / "submission.yaml").write_text((example / "submission.yaml").read_text().replace("name: acme-bm25plus", "name: bm25-flat"))
    _, problems = check_submission(example)
    assert any("submission.yaml:2: name: 'bm25-flat' is a reference model" in p for p in problems), problems


def test_a_name_taken_by_another_submission_is_refused(example: Path, populated_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = counts(populated_db)
    r = bench(capsys, "submit", "ingest", example, "--db", populated_db)  # folder acme-copy, model name acme-bm25plus
    assert r.code == 9 and "model name 'acme-bm25plus' already belongs to submission 'acme-bm25plus'" in r.err  # issue 21, class 4
    assert counts(populated_db) == before


@pytest.mark.parametrize("revision", ["main", "8b3219a", "v1.0"])
def test_a_submission_pins_a_full_commit(tmp_path: Path, capsys: pytest.CaptureFixture[str], revision: str) -> None:
    """Issue 21, class 5: a branch, a tag or a short hash is not a pinned revision."""
    import shutil

    sub = tmp_path / "sub"
    shutil.copytree(EXAMPLE, sub)
    spec = sub / "spec.yaml"
    spec.write_text(spec.read_text() + f"weights:\n  id: acme/bm25plus\n  revision: '{revision}'\n")
    r = bench(capsys, "submit", "validate", sub)
    assert r.code == 7 and "Traceback" not in r.err and f"weights.revision: '{revision}' is not a commit" in r.err, r.err
