"""`make demo`'s plan: local classic collections when present, else SciFact fetched (here from a loopback server)."""

from __future__ import annotations

import hashlib
import http.server
import threading
import zipfile
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest

import bench.demo as demo
from bench.datasets.registry import known
from tests.clihelp import bench
from tests.conftest import ROOT


def test_plan_uses_local_classics_and_every_spec(data_root: Path) -> None:
    p = demo.plan(ROOT / "models", fetch_missing=False)
    assert {d.name for d in p.datasets} == {"cranfield", "med", "cisi", "cacm", "npl", "adi", "time"}
    assert {s.name for _, s in p.specs} == {path.stem for path in (ROOT / "models").glob("*.yaml")}
    assert not p.fetched


def test_without_local_data_scifact_is_fetched(tmp_path: Path, data_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    www = tmp_path / "www"
    www.mkdir()
    archive = www / "scifact.zip"
    with zipfile.ZipFile(archive, "w") as zf:  # a stand-in archive in SciFact's layout, served on loopback
        for f in sorted((data_root / "adi").rglob("*")):
            if f.is_file():
                zf.write(f, f"scifact/{f.relative_to(data_root / 'adi')}")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        entry = replace(
            known("scifact"),
            url=f"http://127.0.0.1:{httpd.server_address[1]}/scifact.zip",
            md5=hashlib.md5(archive.read_bytes()).hexdigest(),
        )  # type: ignore[type-var]
        monkeypatch.setattr(demo, "known", lambda name: entry if name == "scifact" else known(name))
        monkeypatch.setenv("BENCH_DATA_PATH", str(tmp_path / "empty"))
        monkeypatch.setenv("BENCH_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("BENCH_HOME", str(tmp_path / "home"))  # its fetch record (a stand-in scifact) stays here
        datasets, fetched = demo.demo_datasets()
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert fetched and [d.name for d in datasets] == ["scifact"]
    assert datasets[0].path == (tmp_path / "data" / "scifact").resolve()
    assert datasets[0].validate().documents == 82


def test_demo_command_runs_specs_and_skips_what_is_recorded(
    tmp_path: Path, data_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    models = tmp_path / "models"
    models.mkdir()
    # a copy outside models/ is a local spec, so it needs a name of its own
    (models / "bm25-flat.yaml").write_text((ROOT / "models" / "bm25-flat.yaml").read_text().replace("name: bm25-flat", "name: demo-bm25"))
    monkeypatch.setenv("BENCH_DATA_PATH", str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "adi").symlink_to(data_root / "adi")
    db = tmp_path / "demo.duckdb"
    first = bench(capsys, "demo", "--models", models, "--db", db)
    assert first.code == 0, first.err
    from bench.datasets import resolve_dataset
    from bench.specs import load_spec

    expected = load_spec(models / "bm25-flat.yaml").expected_for(resolve_dataset("adi").content_hash)
    assert expected is not None
    assert f"demo-bm25 on adi: nDCG@10 {expected.metrics['nDCG@10']:.4f}" in first.out
    second = bench(capsys, "demo", "--models", models, "--db", db)
    assert "demo-bm25 on adi: already recorded" in second.out


def test_a_pair_that_cannot_run_is_skipped_listed_and_the_table_printed(
    tmp_path: Path, data_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A student whose training collections are absent (only adi and time here) no longer aborts the demo (it exited 3
    with no table): it is skipped, listed after the table, and -d restricts the datasets (make demo DATASETS="adi")."""
    models = tmp_path / "models"
    models.mkdir()
    (models / "bm25-flat.yaml").write_text((ROOT / "models" / "bm25-flat.yaml").read_text().replace("name: bm25-flat", "name: demo-bm25"))
    student = (ROOT / "models" / "softlabel-minilm.yaml").read_text().replace("name: softlabel-minilm", "name: demo-student", 1)
    (models / "softlabel.yaml").write_text(student)
    (tmp_path / "data").mkdir()
    for name in ("adi", "time"):
        (tmp_path / "data" / name).symlink_to(data_root / name)
    monkeypatch.setenv("BENCH_DATA_PATH", str(tmp_path / "data"))
    r = bench(capsys, "demo", "--models", models, "--db", tmp_path / "demo.duckdb", "-d", "adi")
    assert r.code == 0, r.err
    assert "demo: 2 specs x 1 datasets" in r.out and " on time" not in r.out
    assert "[1/2] demo-bm25 on adi: nDCG@10" in r.out
    assert "Recorded runs" in r.out  # the table is printed
    tail = r.out.split("not run (1 of 2 pairs):", 1)[1]
    assert "demo-student on adi: dataset 'cranfield' is not on the data path" in tail


def test_an_unknown_demo_dataset_is_one_line_before_anything_runs(
    tmp_path: Path, data_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    r = bench(capsys, "demo", "--models", ROOT / "models", "--db", tmp_path / "demo.duckdb", "-d", "adii")
    assert r.code != 0 and "adii" in r.err and "\n" not in r.err.strip() and "demo:" not in r.out
    assert not (tmp_path / "demo.duckdb").exists()


def test_make_demo_passes_datasets_to_bench_demo() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "$(BIN)/bench demo --db results.duckdb $(foreach d,$(DATASETS),-d $(d))" in makefile
