"""`bench reproduce`: real Lucene re-runs against the expected scores in models/*.yaml, recorded in a real DuckDB."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bench.datasets import resolve_dataset
from bench.errors import DatasetError, ReproductionFailed
from bench.evaluation.verdicts import EVERY_DATASET_FAMILIES, EXACT, QUICK_DATASETS
from bench.reproduction import spec_targets
from bench.specs import load_spec
from bench.store.db import open_read_only
from bench.store.leaderboard import leaderboard_cells
from tests.clihelp import bench, db_rows
from tests.conftest import CLASSIC, ROOT

SPECS = sorted((ROOT / "models").glob("*.yaml"))
FLAT = ROOT / "models" / "bm25-flat.yaml"
EXAMPLE = ROOT / "submissions" / "acme-bm25plus"


def _edited_spec(tmp_path: Path, source: Path = FLAT, only: tuple[str, ...] = ("adi",), **changes: object) -> Path:
    """A copy of a spec with some top-level fields or params changed and its expectations cut to ``only``.

    A copy outside models/ is a local spec, so it is renamed ``local-<name>``: reference names are reserved.
    """
    data = yaml.safe_load(source.read_text())
    data["name"] = f"local-{data['name']}"
    for key, value in changes.items():
        if key in data.get("params", {}):
            data["params"][key] = value
        else:
            data[key] = value
    data["expected"] = [e for e in data.get("expected", []) if e["dataset"] in only]
    path = tmp_path / source.name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


# -- the expected scores themselves -----------------------------------------------------------------


@pytest.mark.parametrize("spec_path", SPECS, ids=[p.stem for p in SPECS])
def test_spec_expectations_match_the_local_collections(spec_path: Path) -> None:
    spec = load_spec(spec_path)
    assert spec.expected, f"{spec_path.name}: no expected scores"
    for entry in spec.expected:
        if entry.published is not None:  # a published BEIR set: its content is registered, its numbers are the table's
            from bench.datasets.contents import registered_hashes

            assert not entry.metrics and entry.hash in registered_hashes(entry.dataset, entry.split), f"{spec_path.name}: {entry.dataset}"
            continue
        assert entry.hash == resolve_dataset(entry.dataset, entry.split).content_hash, f"{spec_path.name}: {entry.dataset} hash is stale"
        assert {"nDCG@10", "R@100"} <= set(entry.metrics)
    # every reference spec is checked by CI (`bench reproduce --all --quick`)
    assert [t.problem for t in spec_targets(spec_path, quick=True)] and all(t.problem is None for t in spec_targets(spec_path, quick=True))
    assert {e.dataset for e in spec.expected} & set(QUICK_DATASETS)


def _measured(spec: object) -> list:  # the expected blocks measured here (not a published table's)
    return [e for e in spec.expected if e.published is None]  # type: ignore[attr-defined]


@pytest.mark.parametrize("spec_path", [p for p in SPECS if load_spec(p).kind == "lucene-bm25"], ids=lambda p: p.stem)
def test_lucene_specs_are_exact_on_all_seven_collections(spec_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Re-runs the spec as CI does (`--quick`): every one of its seven expected blocks, bit for bit."""
    spec = load_spec(spec_path)
    assert {e.dataset for e in _measured(spec)} == set(CLASSIC)
    assert all(spec.tolerance_for(m) == 0.0 for e in spec.expected for m in e.metrics)
    r = bench(capsys, "reproduce", spec_path, "--quick", "--no-record", "--json")
    assert r.code == 0, r.err
    results = [x for x in r.json() if x["verdict"] != "NOT CHECKED"]
    assert sorted(x["dataset"] for x in results) == sorted(CLASSIC)  # --quick keeps every block of a lexical spec
    # its published BEIR entry (2CR's SciFact row) is listed, not failed, where the set is not at hand
    skipped = [x for x in r.json() if x["verdict"] == "NOT CHECKED"]
    assert [(x["dataset"], "not at hand here" in x["problem"]) for x in skipped] == [
        (e.dataset, True) for e in spec.expected if e.published
    ]
    for x in results:
        expected = next(e.metrics for e in spec.expected if e.dataset == x["dataset"])
        observed = {c["metric"]: c["observed"] for c in x["checks"]}
        assert observed.keys() == expected.keys() and all(abs(observed[m] - v) <= EXACT for m, v in expected.items()), x["dataset"]
        assert x["verdict"] == "OK" and {c["verdict"] for c in x["checks"]} == {"OK"}


def test_quick_keeps_every_lexical_block_and_the_quick_set_of_the_others() -> None:
    """The --quick rule is data (the spec's family, QUICK_DATASETS), not a list of model names."""
    kept, left_out = 0, 0
    for path in SPECS:
        spec = load_spec(path)
        planned = [t.dataset_name for t in spec_targets(path, quick=True) if t.problem is None and t.not_here is None]
        if spec.family in EVERY_DATASET_FAMILIES:  # (a spec without expected blocks: the test above fails)
            assert planned == [e.dataset for e in _measured(spec)], path.name
            kept += len([e for e in spec.expected if e.dataset not in QUICK_DATASETS])
        else:
            assert planned == [e.dataset for e in spec.expected if e.dataset in QUICK_DATASETS], path.name
            left_out += len(spec.expected) - len(planned)
    assert kept and left_out, "both sides of the rule are exercised by the reference specs"


# -- reference specs ----------------------------------------------------------------------------------


def test_reference_spec_reproduces_exactly_and_is_recorded(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = bench(capsys, "reproduce", FLAT, "--dataset", "adi", "--db", db_path)
    assert r.code == 0, r.err
    assert "1 reproduction(s): 1 OK, 0 OKish, 0 FAIL" in r.out
    for column in ("expected", "observed", "diff", "tolerance", "verdict"):
        assert column in r.out
    rows = db_rows(db_path, "SELECT metric, verdict, diff, run_id FROM reproductions ORDER BY metric")
    assert len(rows) == 6 and {v for _, v, _, _ in rows} == {"OK"} and {d for _, _, d, _ in rows} == {0.0}
    run_id = rows[0][3]
    assert db_rows(db_path, "SELECT run_id, provenance, model_name FROM runs") == [(run_id, "reproduced", "bm25-flat")]
    assert db_rows(db_path, "SELECT owner FROM models") == [("reference",)]
    assert bench(capsys, "results", "--db", db_path, "--json").json()[0]["provenance"] == "reproduced"


def test_a_changed_bm25_parameter_fails_with_a_readable_table(tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _edited_spec(tmp_path, k1=1.2)
    r = bench(capsys, "reproduce", spec, "--dataset", "adi", "--db", db_path)
    assert r.code == ReproductionFailed.exit_code
    table = [line for line in r.out.splitlines() if "bm25-flat" in line and "adi" in line]
    assert len(table) == 6
    ndcg = next(line for line in table if "nDCG@10" in line)
    assert "0.4747" in ndcg and "FAIL" in ndcg  # expected value shown beside the observed one
    assert "1 reproduction(s): 0 OK, 0 OKish, 1 FAIL" in r.out
    assert "error: 1 of 1 reproduction(s) FAILED: local-bm25-flat on adi (nDCG@10 +" in r.err
    # the check is recorded, the drifted run is not published
    verdicts = dict(db_rows(db_path, "SELECT metric, verdict FROM reproductions"))
    assert verdicts["nDCG@10"] == "FAIL"
    assert db_rows(db_path, "SELECT count(*) FROM reproductions WHERE run_id IS NOT NULL") == [(0,)]
    assert db_rows(db_path, "SELECT count(*) FROM runs") == [(0,)]


def test_a_declared_tolerance_turns_a_small_drift_into_okish(tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _edited_spec(tmp_path, k1=1.2, tolerance={"default": 0.0, "nDCG@10": 0.05, "AP@1000": 0.05, "RR@10": 0.05, "P@10": 0.05})
    r = bench(capsys, "reproduce", spec, "-d", "adi", "--db", db_path, "--json")
    assert r.code == 0, r.err
    (result,) = r.json()
    verdicts = {c["metric"]: c["verdict"] for c in result["checks"]}
    assert result["verdict"] == "OKish" and verdicts["nDCG@10"] == "OKish" and verdicts["R@100"] == "OK"
    assert db_rows(db_path, "SELECT provenance FROM runs") == [("local",)]  # only a committed models/ spec is reproduced


def test_data_without_expected_scores_fails(tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    changed = tmp_path / "adi"
    shutil.copytree(resolve_dataset("adi").path, changed)
    qrels = changed / "qrels" / "test.tsv"
    qrels.write_text("".join(qrels.read_text().splitlines(keepends=True)[:-1]))  # one judgment fewer: other content
    r = bench(capsys, "reproduce", FLAT, "-d", str(changed), "--db", db_path)
    assert r.code == ReproductionFailed.exit_code
    assert "no expected scores for adi (content hash" in r.out and "--print-expected" in r.out
    assert not db_path.exists()  # nothing was run, nothing recorded


def test_all_handles_every_spec_in_a_folder_generically(tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    models = tmp_path / "models"
    models.mkdir()
    _edited_spec(models, FLAT, only=("adi", "npl"))
    _edited_spec(models, ROOT / "models" / "bm25-multifield.yaml", only=("adi", "npl"))
    r = bench(capsys, "reproduce", "--all", "--quick", "--models", models, "--db", db_path, "--json")
    assert r.code == 0, r.err
    assert sorted((x["model"], x["dataset"], x["verdict"]) for x in r.json()) == [
        ("local-bm25-flat", "adi", "OK"),
        ("local-bm25-flat", "npl", "OK"),
        ("local-bm25-multifield", "adi", "OK"),
        ("local-bm25-multifield", "npl", "OK"),
    ]  # --quick keeps npl (not in the quick set) for lexical specs
    (models / "new-model.yaml").write_text("name: new-model\nfamily: lexical\nkind: lucene-bm25\n")
    r = bench(capsys, "reproduce", "--all", "--quick", "--models", models, "--no-record")
    assert r.code == ReproductionFailed.exit_code
    assert "new-model.yaml: no expected scores; add `expected:` entries" in r.out


def test_a_dataset_typo_is_a_dataset_error_before_anything_runs(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = bench(capsys, "reproduce", FLAT, "-d", "tim", "--db", db_path)
    assert r.code == DatasetError.exit_code == 3, r.err  # not ReproductionFailed (8): a typo is not a drift
    (line,) = r.err.strip().splitlines()
    assert "unknown dataset 'tim'" in line and "Did you mean: time?" in line
    assert r.out == "" and not db_path.exists()  # nothing ran, nothing recorded
    r = bench(capsys, "reproduce", FLAT, "-d", "time", "-d", "tim", "--no-record")
    assert r.code == 3 and "Did you mean: time?" in r.err and r.out == ""  # the good one does not run first
    # an expected block naming a collection that is not here is the same error, with the spec that names it
    models = db_path.parent / "models"
    models.mkdir()
    spec = _edited_spec(models, FLAT, only=("adi",))
    spec.write_text(spec.read_text().replace("dataset: adi", "dataset: adi-renamed"))
    r = bench(capsys, "reproduce", "--all", "--models", models, "--no-record")
    assert r.code == 3 and f"{spec}: expected scores for adi-renamed: unknown dataset" in r.err and r.out == ""


def test_print_expected_writes_yaml_the_spec_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    r = bench(capsys, "reproduce", FLAT, "-d", "adi", "--print-expected")
    assert r.code == 0, r.err
    (entry,) = yaml.safe_load(r.out)["expected"]
    adi = next(e for e in load_spec(FLAT).expected if e.dataset == "adi")
    assert entry == {"dataset": "adi", "hash": adi.hash, "metrics": adi.metrics}  # full precision, bit for bit


# -- submissions ----------------------------------------------------------------------------------------


def test_a_submission_with_a_spec_is_re_run_and_marked_reproduced(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench(capsys, "submit", "ingest", EXAMPLE, "--db", db_path).code == 0
    submitted = dict(db_rows(db_path, "SELECT run_id, provenance FROM runs"))
    r = bench(capsys, "reproduce", EXAMPLE, "--db", db_path)
    assert r.code == 0, r.err
    assert "2 reproduction(s): 2 OK, 0 OKish, 0 FAIL" in r.out
    assert "acme-bm25plus: every run reproduced; its 2 run(s) are now shown as reproduced" in r.out
    assert dict(db_rows(db_path, "SELECT run_id, provenance FROM runs")) == dict.fromkeys(submitted, "reproduced")
    assert db_rows(db_path, "SELECT status FROM submissions") == [("reproduced",)]
    assert set(db_rows(db_path, "SELECT DISTINCT run_id FROM reproductions")) == {(rid,) for rid in submitted}
    with open_read_only(db_path) as con:  # what the leaderboard shows: the reproduced badge
        cells = leaderboard_cells(con, "nDCG@10")
    assert sorted(cells["provenance"]) == ["reproduced", "reproduced"] and set(cells["run_id"]) == set(submitted)


def test_a_submission_whose_spec_does_not_match_its_runs_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "acme-tampered"
    shutil.copytree(EXAMPLE, folder)
    (folder / "spec.yaml").write_text((folder / "spec.yaml").read_text().replace("b: 0.75", "b: 0.5"))
    r = bench(capsys, "reproduce", folder, "--no-record")
    assert r.code == ReproductionFailed.exit_code
    assert "FAILED: acme-bm25plus on adi" in r.err
    (folder / "spec.yaml").unlink()
    r = bench(capsys, "reproduce", folder, "--no-record")
    assert r.code == 7 and "add spec.yaml" in r.err


def test_a_run_file_swapped_after_ingestion_is_never_published_as_reproduced(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The attack: ingest a perfect run, swap the genuine file back, reproduce. Only the submitted files are vouched for."""
    folder = tmp_path / "acme-swap"
    shutil.copytree(EXAMPLE, folder)
    genuine = (folder / "runs" / "adi.trec").read_bytes()
    qrels = resolve_dataset("adi").qrels()
    perfect = "".join(f"{q} Q0 {d} {i} {100 - i} acme\n" for q, docs in qrels.items() for i, d in enumerate(docs, start=1))
    (folder / "runs" / "adi.trec").write_text(perfect)
    assert bench(capsys, "submit", "ingest", folder, "--db", db_path).code == 0
    (folder / "runs" / "adi.trec").write_bytes(genuine)  # the swap
    r = bench(capsys, "reproduce", folder, "--db", db_path)
    assert r.code == ReproductionFailed.exit_code, r.err
    assert "the run file differs from the one ingested with acme-swap" in r.out
    assert "acme-swap stays self-reported" in r.out
    assert db_rows(db_path, "SELECT DISTINCT provenance FROM runs") == [("self-reported",)]
    assert db_rows(db_path, "SELECT status FROM submissions") == [("self-reported",)]
    # the checks are recorded, but vouch for no run: neither the adi run (swapped) nor, alone, the time run
    assert db_rows(db_path, "SELECT count(*) FROM reproductions WHERE run_id IS NOT NULL AND dataset_name = 'adi'") == [(0,)]
    # a run file removed after ingestion is not "every run reproduced" either
    (folder / "runs" / "adi.trec").unlink()
    r = bench(capsys, "reproduce", folder, "--db", db_path)
    assert "stays self-reported" in r.out and db_rows(db_path, "SELECT status FROM submissions") == [("self-reported",)]
