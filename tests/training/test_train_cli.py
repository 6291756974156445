"""`bench train` (card recorded, --check against the pinned hash) and what a quick reproduction does with untrained students."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bench.reproduction import all_targets
from bench.store.db import open_read_only
from bench.store.training import training_cards
from bench.training.availability import split_untrained
from tests.clihelp import bench
from tests.conftest import ROOT
from tests.training.test_pipeline import mini_spec

ADI_HASH = "bd1c92873feb76586a8471697870973e7163ca5c3c5e450abcd2986b93be5860"


def test_train_records_the_card_and_check_compares_with_the_pinned_hash(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = mini_spec()
    spec = tmp_path / "mini.yaml"
    spec.write_text(yaml.safe_dump(data), encoding="utf-8")
    first = bench(capsys, "train", spec, "--db", db_path, "--json")
    assert first.code == 0, first.err
    card = first.json()
    assert card["pinned_sha256"] is None and "pins no weights.sha256" in first.err
    with open_read_only(db_path) as con:
        (stored,) = training_cards(con, data["name"])
    assert stored["card_id"] == card["card_id"] and stored["weights_sha256"] == card["weights_sha256"]

    data["weights"]["sha256"] = card["weights_sha256"]
    spec.write_text(yaml.safe_dump(data), encoding="utf-8")
    check = bench(capsys, "train", spec, "--check")
    assert check.code == 0, check.err
    assert f"OK: retraining reproduced the pinned weights bit for bit ({card['weights_sha256']})" in check.out

    data["weights"]["sha256"] = "f" * 64
    spec.write_text(yaml.safe_dump(data), encoding="utf-8")
    drift = bench(capsys, "train", spec, "--check")
    assert drift.code == 8
    assert f"retraining did not reproduce the pinned weights: {spec}: the trained weights hash to {card['weights_sha256']}" in drift.err


def test_quick_reproduction_lists_untrained_students_as_not_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = mini_spec(seed=11)  # a recipe nobody trained in this session
    data["expected"] = [{"dataset": "adi", "hash": ADI_HASH, "metrics": {"nDCG@10": 0.5}}]
    (tmp_path / "student.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    result = bench(capsys, "reproduce", "--all", "--quick", "--models", tmp_path, "--no-record")
    assert result.code == 0, result.err
    assert "0 reproduction(s): 0 OK, 0 OKish, 0 FAIL; 1 NOT CHECKED (students not trained here; quick checks do not train)" in result.out
    source = tmp_path / "student.yaml"
    assert f"NOT CHECKED softlabel-mini-test: its student is not trained here; train it with `bench train {source}`" in (
        " ".join(result.out.split())
    )


def test_every_reference_student_is_set_aside_visibly_when_untrained() -> None:
    targets = all_targets(ROOT / "models", quick=True)
    kept, not_checked = split_untrained(targets)
    students = {p.stem for p in (ROOT / "models").glob("*.yaml") if "training" in yaml.safe_load(p.read_text(encoding="utf-8"))}
    assert students >= {"softlabel-minilm", "softlabel-minilm-hard", "softlabel-minilm-nomargin"}
    assert {n.model for n in not_checked} == students
    assert all(f"bench train models/{n.model}.yaml" in n.reason.replace(str(ROOT) + "/", "") for n in not_checked)
    assert {t.spec.name for t in kept}.isdisjoint(students) and {"bm25-flat", "all-minilm-l6-v2"} <= {t.spec.name for t in kept}


def test_demo_skips_an_untrained_student_with_the_command_that_trains_it(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "student.yaml").write_text(yaml.safe_dump(mini_spec(seed=13)), encoding="utf-8")
    assert bench(capsys, "db", "migrate", "--db", db_path).code == 0
    result = bench(capsys, "demo", "--models", tmp_path, "--db", db_path)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    skipped = [line for line in lines if line.startswith("[") and "softlabel-mini-test on" in line]
    assert len(skipped) == 7 and all("skipped, its student is not trained here" in line for line in skipped)
    listed = lines[lines.index(next(line for line in lines if line.startswith("not run ("))) + 1 :]  # the list after the table
    assert sum("softlabel-mini-test on" in line for line in listed) == 7
