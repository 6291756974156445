"""Nothing saved earlier is trusted without re-deriving it (issue 21, class 2): `bench db record-saved` recomputes
every metric from the saved rankings and the dataset's qrels, finds the dataset again by its content hash, recomputes
the spec hash and derives the provenance again; an edited file is refused in one line and nothing is written.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench.datasets import resolve_dataset
from bench.evaluation.evaluate import evaluate
from bench.evaluation.measures import with_defaults
from bench.execute import model_row, run_record
from bench.identity import spec_writer
from bench.specs import load_spec
from bench.store.saved import save_record
from bench.types import Run, Timings
from tests.clihelp import bench, db_rows

ROOT = Path(__file__).resolve().parent.parent
FLAT = ROOT / "models" / "bm25-flat.yaml"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A bench home of this test alone, so that its unsaved/ folder holds only what the test saves."""
    home = tmp_path / "home"
    monkeypatch.setenv("BENCH_HOME", str(home))
    return home


def _save(db: Path, dataset: str = "adi") -> Path:
    """A finished run of the committed bm25-flat spec, saved as `bench run` saves one when the database is busy.

    The rankings put each query's judged documents first, then the query's id-neighbours: a real run's shape
    (ranks, ties broken as trec_eval breaks them), scores that differ per query.
    """
    spec = load_spec(FLAT)
    ds = resolve_dataset(dataset)
    docs = sorted(ds.corpus_ids())
    scores: dict[str, dict[str, float]] = {}
    for i, (qid, judged) in enumerate(sorted(ds.qrels().items())):
        ranked = {d: 10.0 - j for j, d in enumerate(sorted(judged)[: 1 + i % 3])}
        ranked.update({docs[(i * 7 + k) % len(docs)]: 5.0 - k / 10 for k in range(12)})
        scores[qid] = ranked
    run = Run.from_scores(scores, tag="bm25-flat")
    ev = evaluate(run, ds.qrels(), with_defaults(), ds.drop_identical_ids)
    rec = run_record(
        model=model_row(spec),
        dataset=ds,
        stats=ds.validate(),
        run=run,
        evaluation=ev,
        timings=Timings(search_s=0.5, eval_s=0.1, total_s=0.6),
        started_at=datetime.now(UTC).replace(tzinfo=None),
        writer=spec_writer(FLAT, spec.spec_hash),
        spec_hash=spec.spec_hash,
        spec=spec,
    )
    return save_record(rec, db)


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        obj = json.load(f)
    change(obj)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump(obj, f)


def _migrated(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    assert bench(capsys, "db", "migrate", "--db", db).code == 0


def test_a_saved_run_is_recorded_once_verified(home: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _migrated(capsys, db_path)
    saved = _save(db_path)
    r = bench(capsys, "db", "record-saved", "--db", db_path)
    assert r.code == 0 and "recorded run" in r.out and r.err == "", r.err
    assert not saved.exists()
    ((provenance, ndcg),) = db_rows(
        db_path, "SELECT r.provenance, m.value FROM runs r JOIN metrics m USING (run_id) WHERE m.metric = 'nDCG@10'"
    )
    assert provenance == "reference" and 0.0 < ndcg < 1.0


def _first_query(obj: dict[str, Any]) -> str:
    return sorted(obj["run"]["results"])[0]


def _swap_rankings(obj: dict[str, Any]) -> None:
    """Put unjudged documents on top of every list (scores kept in order): the saved metrics no longer match."""
    for qid, docs in obj["run"]["results"].items():
        ids = [d for d, _ in docs][::-1]
        obj["run"]["results"][qid] = [[d, s] for d, (_, s) in zip(ids, docs, strict=True)]


def _nan_score(obj: dict[str, Any]) -> None:
    obj["run"]["results"][_first_query(obj)][0][1] = float("nan")


def _per_query(obj: dict[str, Any]) -> None:
    obj["evaluation"]["per_query"][_first_query(obj)]["nDCG@10"] = 1.0


def _edited_spec(obj: dict[str, Any]) -> None:
    obj["spec"]["params"]["k1"] = 1.5


def _family(obj: dict[str, Any]) -> None:
    obj["model"]["family"] = "dense"


HOSTILE: dict[str, tuple[Callable[[dict[str, Any]], None], int, str]] = {
    # the issue's own example: an edited score becomes `bm25-flat adi reproduced 0.9900`
    "a score edited": (lambda o: o["evaluation"]["aggregate"].__setitem__("nDCG@10", 0.99), 6, "evaluation.aggregate.nDCG@10"),
    "provenance claimed reproduced": (lambda o: o["writer"].__setitem__("provenance", "reproduced"), 2, "writer.provenance"),
    "rankings swapped": (_swap_rankings, 6, "evaluation.aggregate."),
    "a per-query value edited": (_per_query, 6, "evaluation.per_query["),
    "a NaN score": (_nan_score, 6, "run.results["),
    "the spec edited (k1), hash kept": (_edited_spec, 2, "spec_hash"),
    "another spec hash claimed": (lambda o: o.__setitem__("spec_hash", "0" * 64), 2, "spec_hash"),
    "the model card edited": (_family, 2, "model.family"),
    "another dataset hash claimed": (lambda o: o["dataset"].__setitem__("dataset_hash", "f" * 64), 3, "dataset.dataset_hash"),
    "a dataset that is not on the data path": (lambda o: o["dataset"].update(name="nowhere", source="rel/adi"), 3, "dataset.name"),
    "a run id that is a path": (lambda o: o.__setitem__("run_id", "../../etc/passwd"), 5, "run_id"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_an_edited_saved_run_is_refused_and_nothing_is_written(
    home: Path, db_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    change, code, field = HOSTILE[case]
    _migrated(capsys, db_path)
    saved = _save(db_path)
    _edit(saved, change)
    r = bench(capsys, "db", "record-saved", "--db", db_path)
    lines = r.err.strip().splitlines()
    assert r.code == code, r.err
    assert len(lines) == 1 and "Traceback" not in r.err, r.err
    assert str(saved) in lines[0] and f": {field}" in lines[0], lines[0]
    assert "recorded run" not in r.out
    assert saved.exists()  # left where it is, for its owner to look at
    for table in ("runs", "metrics", "models", "model_versions", "datasets"):
        assert db_rows(db_path, f"SELECT count(*) FROM {table}") == [(0,)], table


def test_a_refused_file_does_not_stop_a_good_one(home: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _migrated(capsys, db_path)
    good = _save(db_path)
    bad = _save(db_path, "time")
    _edit(bad, lambda o: o["evaluation"]["aggregate"].__setitem__("R@100", 1.0))
    r = bench(capsys, "db", "record-saved", "--db", db_path)
    assert r.code == 6 and len(r.err.strip().splitlines()) == 1 and str(bad) in r.err, r.err
    assert not good.exists() and bad.exists()
    assert db_rows(db_path, "SELECT d.name FROM runs r JOIN datasets d USING (dataset_hash)") == [("adi",)]


def _record_on(ds: object, run: Run, **fields: object) -> object:
    """A run record for *run* on *ds*, evaluated with the default measures, started now."""
    return run_record(
        dataset=ds,
        stats=ds.validate(),
        run=run,
        evaluation=evaluate(run, ds.qrels(), with_defaults(), ds.drop_identical_ids),
        timings=Timings(),
        started_at=datetime.now(UTC).replace(tzinfo=None),
        **fields,
    )


@pytest.mark.parametrize("claim", [None, "reference", "imported"])
def test_a_saved_run_file_is_local_whatever_it_claims(
    home: Path, db_path: Path, capsys: pytest.CaptureFixture[str], claim: str | None
) -> None:
    """`bench eval --record` saves a bare run file (no spec): it is `local`, and its identity comes from its name."""
    from bench.identity import LOCAL, synthetic_identity
    from bench.store.models import ModelRow

    _migrated(capsys, db_path)
    ds = resolve_dataset("adi")
    run = Run.from_scores({q: {d: 1.0 for d in docs} for q, docs in ds.qrels().items()}, tag="mine")
    rec = _record_on(
        ds,
        run,
        model=ModelRow(name="my-run", family="lexical", kind=None, metadata={"run_file": "mine.trec"}),
        writer=LOCAL,
        spec_hash=synthetic_identity("my-run", "lexical", "run-file"),
    )
    saved = save_record(rec, db_path)
    if claim is not None:
        _edit(saved, lambda o: o["writer"].update(provenance=claim, owner=claim))
    r = bench(capsys, "db", "record-saved", "--db", db_path)
    if claim is None:
        assert r.code == 0, r.err
        assert db_rows(db_path, "SELECT model_name, provenance FROM runs") == [("my-run", "local")]
        return
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1 and ": writer.provenance: " in r.err, r.err
    assert "Traceback" not in r.err and saved.exists()
    assert db_rows(db_path, "SELECT count(*) FROM runs") == [(0,)]


@pytest.mark.parametrize("spec_file", sorted(p.name for p in (ROOT / "models").glob("*.yaml")))
def test_a_saved_run_of_every_reference_spec_passes_verification(home: Path, db_path: Path, spec_file: str) -> None:
    """No false refusal: the saved spec of each committed model round-trips to its hash, card and provenance."""
    from bench.saved_runs import verify_saved
    from bench.store.saved import load_saved

    spec_path = ROOT / "models" / spec_file
    spec = load_spec(spec_path)
    ds = resolve_dataset("adi")
    run = Run.from_scores({q: {d: 1.0 for d in docs} for q, docs in list(ds.qrels().items())[:5]}, tag=spec.name)
    rec = _record_on(ds, run, model=model_row(spec), writer=spec_writer(spec_path, spec.spec_hash), spec_hash=spec.spec_hash, spec=spec)
    saved, _ = load_saved(save_record(rec, db_path))
    checked = verify_saved(saved, db_path)
    assert checked.writer.provenance == "reference" and checked.spec_hash == spec.spec_hash
    assert checked.evaluation.aggregate == pytest.approx(dict(rec.evaluation.aggregate))
