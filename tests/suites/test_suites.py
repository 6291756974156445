"""Named suites: the registry (mteb's own benchmark lists, nested suites, hostile entries), `bench suites`, `--suite` on
run and results, and the rule that a suite mean exists only for a model with every member."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.suites import registry
from tests.clihelp import bench

ROOT = Path(__file__).resolve().parents[2]
FLAT = str(ROOT / "models" / "bm25-flat.yaml")


def _use_suites(monkeypatch: pytest.MonkeyPatch, path: Path, text: str) -> None:
    path.write_text(text)
    monkeypatch.setattr(registry, "SUITES_FILE", path)
    registry._raw.cache_clear()
    registry.get_suite.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    registry._raw.cache_clear()
    registry.get_suite.cache_clear()
    yield
    registry._raw.cache_clear()
    registry.get_suite.cache_clear()


@pytest.fixture(scope="module")
def runs_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bm25-flat on adi, time and med, recorded in a real DuckDB file (Lucene, about 15 s)."""
    import subprocess
    import sys

    db = tmp_path_factory.mktemp("suites") / "r.duckdb"
    p = subprocess.run([sys.executable, "-m", "bench.cli", "run", FLAT, "-d", "adi", "-d", "time", "-d", "med", "--db", str(db)],
                       capture_output=True, text=True, timeout=600)  # fmt: skip
    assert p.returncode == 0, p.stderr
    return db


def test_the_shipped_suites_load_and_mteb_lists_its_own_members() -> None:
    import mteb

    names = registry.suite_names()
    assert {"classic-7", "beir-13", "beir-18", "cqadupstack", "mteb-eng-v2", "local-tasks"} <= set(names)
    assert [m.name for m in registry.get_suite("classic-7").members] == ["adi", "time", "med", "cisi", "cranfield", "cacm", "npl"]
    assert len(registry.get_suite("beir-13").members) == 13
    b18 = registry.get_suite("beir-18")
    assert len(b18.members) == 18 and len(b18.leaves()) == 17 + 12  # cqadupstack one member, its twelve forums leaves
    v2 = registry.get_suite("mteb-eng-v2")
    assert [m.mteb for m in v2.members] == [t.metadata.name for t in mteb.get_benchmark("MTEB(eng, v2)").tasks]
    by_mteb = {m.mteb: m for m in v2.members}
    assert by_mteb["STS15"].kind == "task" and by_mteb["Banking77Classification"].ref == "Banking77"
    assert by_mteb["ArguAna"].kind == "dataset" and by_mteb["ArguAna"].name == "arguana"
    found, missing = registry.at_hand(registry.get_suite("classic-7"))
    assert len(found) == 7 and not missing


def test_bad_suite_files_are_one_line_naming_file_and_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    f = tmp_path / "suites.yaml"
    cases = [
        ("suites:\n  - {name: a, members: [adi, nosuchset]}\n", "suites.yaml:2: suite a: 'nosuchset' is neither"),
        ("suites:\n  - {name: a, members: [adi, adi]}\n", "suite a lists adi twice"),
        (
            "suites:\n  - {name: a, members: [adi, {suite: b}]}\n  - {name: b, members: [time, adi]}\n",
            "has adi both directly and in a nested suite",
        ),
        ("suites:\n  - {name: a, members: [{suite: a}]}\n", "suite a contains itself"),
        ("suites:\n  - {name: a, members: [adi], colour: red}\n", "unknown field(s) colour"),
        ("suites:\n  - {name: a, members: [adi], mteb_benchmark: 'MTEB(eng, v2)'}\n", "exactly one of members and mteb_benchmark"),
    ]
    from bench.errors import DatasetError

    for text, expected in cases:
        _use_suites(monkeypatch, f, text)
        with pytest.raises(DatasetError) as e:
            registry.get_suite("a")
        assert expected in str(e.value) and str(f) in str(e.value) and "\n" not in str(e.value), str(e.value)


def test_suites_cli_list_show_and_an_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    r = bench(capsys, "suites", "list", "--json")
    assert r.code == 0
    by = {s["name"]: s for s in r.json()}
    assert by["classic-7"]["at_hand"] == 7 and by["beir-13"]["at_hand"] == 0 and by["beir-13"]["missing"] == 13
    r = bench(capsys, "suites", "show", "beir-18")
    assert r.code == 0 and "mean of its 12 members, counted once" in r.out and "0 of 18 members at hand" in r.out
    r = bench(capsys, "suites", "show", "beir-13", "--json")
    by = {m["member"]: m for m in r.json()["members"]}
    assert (by["scifact"]["mteb_task"], by["webis-touche2020"]["mteb_task"]) == ("SciFact", "Touche2020")  # the task table's
    r = bench(capsys, "suites", "show", "beir-31")
    assert r.code == 3 and r.err.strip().count("\n") == 0 and "no suite named 'beir-31'" in r.err and "beir-13" in r.err


def test_the_mean_is_only_over_complete_rows_and_a_nested_suite_counts_once(
    runs_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    r = bench(capsys, "results", "--suite", "classic-7", "--db", str(runs_db), "--json")
    assert r.code == 0
    row = r.json()["models"][0]
    assert row["model"] == "bm25-flat" and row["mean"] is None and row["have"] == 3 and row["of"] == 7
    assert set(row["missing"]) == {"cisi", "cranfield", "cacm", "npl"}
    r = bench(capsys, "results", "--suite", "classic-7", "--db", str(runs_db))
    assert "bm25-flat: no suite mean, 3 of 7 members (missing cisi, cranfield, cacm, npl)" in r.out

    _use_suites(monkeypatch, tmp_path / "suites.yaml",
                "suites:\n  - {name: outer, metric: nDCG@10, members: [adi, {suite: inner}]}\n"
                "  - {name: inner, metric: nDCG@10, members: [time, med]}\n")  # fmt: skip
    r = bench(capsys, "results", "--suite", "outer", "--db", str(runs_db), "--json")
    v = r.json()["models"][0]
    inner = bench(capsys, "results", "--suite", "inner", "--db", str(runs_db), "--json").json()["models"][0]
    assert inner["mean"] == pytest.approx((inner["values"]["time"] + inner["values"]["med"]) / 2)
    assert v["values"]["inner"] == pytest.approx(inner["mean"])
    assert v["mean"] == pytest.approx((v["values"]["adi"] + inner["mean"]) / 2)  # not (adi + time + med) / 3
    assert v["mean"] != pytest.approx((v["values"]["adi"] + inner["values"]["time"] + inner["values"]["med"]) / 3)


def test_run_suite_runs_what_is_at_hand_and_lists_the_rest(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _use_suites(monkeypatch, tmp_path / "suites.yaml", "suites:\n  - {name: mine, members: [adi, scifact, nfcorpus]}\n")
    db = tmp_path / "r.duckdb"
    r = bench(capsys, "run", FLAT, "--suite", "mine", "--db", str(db), "--json")
    assert r.code == 0, r.err
    assert "mine: 2 member(s) not at hand, not run: scifact, nfcorpus" in r.err
    assert [json.loads(line)["dataset"]["name"] for line in r.out.splitlines()] == ["adi"]
    _use_suites(monkeypatch, tmp_path / "suites.yaml", "suites:\n  - {name: none, members: [scifact]}\n")
    r = bench(capsys, "run", FLAT, "--suite", "none", "--db", str(tmp_path / "other.duckdb"))
    assert r.code == 3 and "no member of suite none is at hand" in r.err and not (tmp_path / "other.duckdb").exists()


def test_reproduce_suite_checks_the_members_at_hand(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _use_suites(monkeypatch, tmp_path / "suites.yaml", "suites:\n  - {name: mine, members: [adi, time, scifact]}\n")
    r = bench(capsys, "reproduce", FLAT, "--suite", "mine", "--no-record", "--json")
    assert r.code == 0, r.err
    assert "mine: 1 member(s) not at hand, not checked: scifact" in r.err
    assert [(d["dataset"], d["verdict"]) for d in r.json()] == [("adi", "OK"), ("time", "OK")]


def test_a_folder_merely_named_like_a_member_does_not_fill_its_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from dataclasses import replace

    from bench.datasets.fetch import record_fetch
    from bench.datasets.registry import known

    monkeypatch.setenv("BENCH_HOME", str(tmp_path / "home"))  # no fetch records but this test's
    fake = tmp_path / "fake" / "scifact"  # a BEIR-format folder named like SciFact, built from nothing of SciFact's
    (fake / "qrels").mkdir(parents=True)
    (fake / "corpus.jsonl").write_text("".join(json.dumps({"_id": f"d{i}", "title": "", "text": f"doc {i}"}) + "\n" for i in range(3)))
    (fake / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "doc"}) + "\n")
    (fake / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    run = tmp_path / "run.txt"
    run.write_text("q1 Q0 d1 1 2.0 fake\nq1 Q0 d0 2 1.0 fake\n")
    db = tmp_path / "r.duckdb"
    r = bench(capsys, "eval", str(run), "-d", str(fake), "--record", "--model", "fake-model", "--family", "lexical", "--db", str(db))
    assert r.code == 0, r.err
    r = bench(capsys, "results", "--suite", "beir-13", "--db", str(db), "--json")
    assert r.code == 0, r.err
    assert r.json()["models"] == []  # its one run is in no cell
    note = next(n for n in r.json()["notes"] if n.startswith("scifact:"))
    assert "1 recorded content(s) under this name" in note and "not the registered content of scifact" in note
    assert "bench datasets fetch scifact" in note
    text = bench(capsys, "results", "--suite", "beir-13", "--db", str(db))
    assert "no recorded results for any member of beir-13" in text.out
    assert "not the registered content of scifact" in " ".join(text.out.split())
    # once that very content is what a verified fetch unpacked (registered here), the same run fills the cell
    record_fetch(replace(known("scifact"), md5="0" * 32), fake, "http://127.0.0.1/scifact.zip")  # type: ignore[type-var]
    r = bench(capsys, "results", "--suite", "beir-13", "--db", str(db), "--json")
    row = next(m for m in r.json()["models"] if m["model"].startswith("fake-model"))
    assert row["values"]["scifact"] == pytest.approx(1.0) and row["have"] == 1 and row["mean"] is None
    assert not [n for n in r.json()["notes"] if n.startswith("scifact:")]
