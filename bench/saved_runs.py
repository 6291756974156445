"""Recording saved runs (``bench db record-saved``): nothing in a saved file is trusted without re-deriving it.

A run saved while the database was busy (:mod:`bench.store.saved`) is a file anyone with access to the bench home
can edit. Before it is recorded, everything that can be derived again is:

* the dataset is found again (by its name on the data path, else at the folder the run was made on) and its
  content hash must be the saved one; its row (counts, identical-ids rule) is re-derived from the folder;
* the rankings must be well formed (valid ids, finite scores, at most 1000 per query, no repeated document, in
  trec_eval order), and every metric is recomputed from them and the dataset's qrels: each saved value (mean and
  per query) must equal the recomputed one;
* the spec is validated again and its hash recomputed: it must equal the saved identity; the model card is
  re-derived from it (for a bare run file: the identity is the one its name and family give);
* the provenance is derived again as ``bench run`` derives it (``reference`` only for the committed spec of a
  reference name, ``local`` otherwise) and must be the saved one.

A file that fails any of these is refused with one line naming the file and the field, and nothing of it is
written (exit 3 for the dataset, 2 for the spec, model card or provenance, 6 for rankings and scores).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from bench.errors import BenchError, DatasetError, EvaluationError, SpecError, StoreError
from bench.identity import LOCAL, Writer, reference_spec_hashes, synthetic_identity
from bench.store.runs import RunRecord
from bench.store.saved import load_saved, saved_dir
from bench.types import Run

MAX_DEPTH = 1000
MAX_ABS_SCORE = 3.4e38


@dataclass(frozen=True)
class Recorded:
    """One saved file: the run it held, and whether it was recorded (else why not, and the error)."""

    file: Path
    run_id: str | None
    recorded: bool
    problem: str | None = None
    error: BenchError | None = None


def _refuse(cls: type[BenchError], path: Path, field: str, what: str) -> BenchError:
    return cls(f"{path}: {field}: {what}; nothing of it was recorded (delete the file if it is not a run you made)")


def _dataset(rec: RunRecord, path: Path) -> Any:
    """The dataset the run was made on, found again; its content hash must be the saved one."""
    from bench.datasets.beir import Dataset
    from bench.datasets.registry import find_local, resolve_dataset, search_path

    claim = rec.dataset
    name = claim.name
    candidates = []
    if name and os.sep not in name and not name.startswith(".") and find_local(name) is not None:
        candidates.append(lambda: resolve_dataset(name, claim.split))
    source = Path(claim.source) if claim.source else None
    if source is not None and source.is_absolute() and (source / "corpus.jsonl").is_file():
        candidates.append(lambda: Dataset(source.name, source.resolve(), claim.split, claim.drop_identical_ids))
    where = ", ".join(str(p) for p in search_path())
    seen = []
    for make in candidates:
        try:
            ds = make()
            digest = ds.content_hash
        except BenchError as e:
            seen.append(str(e))
            continue
        if digest == claim.dataset_hash:
            return ds
        seen.append(f"{ds.path} has content {digest[:12]}")
    if not candidates:
        raise _refuse(DatasetError, path, "dataset.name", f"no dataset '{name}' on the data path ({where}) nor at {claim.source!r}")
    raise _refuse(
        DatasetError, path, "dataset.dataset_hash", f"claims content {claim.dataset_hash[:12]}, but {'; '.join(dict.fromkeys(seen))}"
    )


def _rankings(run: Run, path: Path) -> None:
    """Well-formed ranked lists, in the order ``bench run`` writes them."""
    from bench.ids import id_problem

    for qid, docs in run.results.items():
        problem = id_problem(qid) if isinstance(qid, str) else "is not a string"
        if problem:
            raise _refuse(EvaluationError, path, "run.results", f"query id {qid!r} {problem}")
        if len(docs) > MAX_DEPTH:
            raise _refuse(EvaluationError, path, f"run.results[{qid}]", f"{len(docs)} documents, over the depth of {MAX_DEPTH}")
        seen: set[str] = set()
        for doc, score in docs:
            problem = id_problem(doc) if isinstance(doc, str) else "is not a string"
            if problem:
                raise _refuse(EvaluationError, path, f"run.results[{qid}]", f"document id {doc!r} {problem}")
            if doc in seen:
                raise _refuse(EvaluationError, path, f"run.results[{qid}]", f"document {doc!r} ranked twice")
            seen.add(doc)
            if not math.isfinite(score) or abs(score) > MAX_ABS_SCORE:
                raise _refuse(EvaluationError, path, f"run.results[{qid}]", f"score {score!r} of {doc!r} is not a finite score")
        ordered = Run.from_scores({qid: dict(docs)}, depth=MAX_DEPTH).results[qid]
        if ordered != list(docs):
            raise _refuse(EvaluationError, path, f"run.results[{qid}]", "not in rank order (score descending, then document id)")


def _same(a: object, b: float) -> bool:
    return isinstance(a, (int, float)) and not isinstance(a, bool) and math.isclose(float(a), b, rel_tol=1e-9, abs_tol=1e-12)


def _evaluation(rec: RunRecord, ds: Any, path: Path) -> Any:
    """The evaluation recomputed from the rankings and the qrels; every saved value must equal it."""
    from bench.evaluation.evaluate import evaluate
    from bench.evaluation.measures import parse_measures, with_defaults

    claim = rec.evaluation
    for field, value in (("aggregate", claim.aggregate), ("per_query", claim.per_query)):
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise _refuse(EvaluationError, path, f"evaluation.{field}", "not a mapping of names to values")
    if not all(isinstance(v, dict) for v in claim.per_query.values()):
        raise _refuse(EvaluationError, path, "evaluation.per_query", "a query's values are not a mapping of metric names to values")
    try:
        measures = with_defaults(parse_measures(list(claim.aggregate)))
    except BenchError as e:
        raise _refuse(EvaluationError, path, "evaluation.aggregate", str(e)) from None
    fresh = evaluate(rec.run, ds.qrels(), measures, ds.drop_identical_ids)
    missing = sorted(set(fresh.aggregate) - set(claim.aggregate))
    if missing:
        raise _refuse(EvaluationError, path, "evaluation.aggregate", f"no {missing[0]} (every run records it)")
    for metric, value in fresh.aggregate.items():
        if not _same(claim.aggregate.get(metric), value):
            raise _refuse(
                EvaluationError, path, f"evaluation.aggregate.{metric}",
                f"claims {claim.aggregate.get(metric)!r}, its rankings score {value:.4f} on {ds.name}'s qrels",
            )  # fmt: skip
    if set(claim.per_query) != set(fresh.per_query):
        odd = sorted(set(claim.per_query) ^ set(fresh.per_query))[0]
        raise _refuse(EvaluationError, path, "evaluation.per_query", f"query {odd!r} is not one of {ds.name}'s judged queries scored")
    for qid, values in fresh.per_query.items():
        for metric, value in values.items():
            if not _same(claim.per_query[qid].get(metric), value):
                raise _refuse(
                    EvaluationError, path, f"evaluation.per_query[{qid}].{metric}",
                    f"claims {claim.per_query[qid].get(metric)!r}, its rankings score {value:.4f}",
                )  # fmt: skip
    for field in ("judged_queries", "answered_queries"):
        if getattr(claim, field) != getattr(fresh, field):
            raise _refuse(
                EvaluationError, path, f"evaluation.{field}", f"claims {getattr(claim, field)!r}, recomputed {getattr(fresh, field)}"
            )
    return fresh


def _identity(rec: RunRecord, path: Path) -> tuple[Any, Writer]:
    """The model card and writer derived again from the saved spec (or, without one, from the bare run file's name)."""
    from bench.execute import model_row
    from bench.specs import ModelSpec
    from bench.store.models import ModelRow

    if rec.spec is None:  # `bench eval --record`: a bare run file, always local
        expected = synthetic_identity(rec.model.name, rec.model.family, "run-file")
        if rec.spec_hash != expected:
            raise _refuse(
                SpecError, path, "spec_hash", f"claims {rec.spec_hash[:12]}, a run file named {rec.model.name!r} is {expected[:12]}"
            )
        model = ModelRow(name=rec.model.name, family=rec.model.family, kind=None, metadata=dict(rec.model.metadata))
        writer = LOCAL
    else:
        from pydantic import ValidationError

        try:
            spec = ModelSpec.model_validate(dict(rec.spec))
        except (ValidationError, TypeError, ValueError) as e:
            first = str(e).splitlines()[1:2] or [str(e)]
            raise _refuse(SpecError, path, "spec", f"not a valid spec ({first[0].strip()})") from None
        if spec.spec_hash != rec.spec_hash:
            raise _refuse(SpecError, path, "spec_hash", f"claims {rec.spec_hash[:12]}, the saved spec hashes to {spec.spec_hash[:12]}")
        model = model_row(spec)
        plain = json.loads(json.dumps(asdict(rec.model), default=str))  # compared as JSON: tuples and lists alike
        for field, value in json.loads(json.dumps(asdict(model), default=str)).items():
            saved = plain.get(field)
            if saved != value:
                raise _refuse(SpecError, path, f"model.{field}", f"claims {saved!r}, the saved spec says {value!r}")
        committed = reference_spec_hashes().get(spec.name)
        writer = Writer("reference", "reference") if committed == spec.spec_hash else LOCAL
    if rec.writer != writer:
        raise _refuse(
            SpecError, path, "writer.provenance",
            f"claims {rec.writer.provenance!r} (owner {rec.writer.owner!r}), a run of this "
            f"{'spec' if rec.spec is not None else 'run file'} is {writer.provenance!r}",
        )  # fmt: skip
    return model, writer


def verify_saved(rec: RunRecord, path: Path) -> RunRecord:
    """``rec`` with everything derivable derived again; raises (one line naming ``path`` and the field) on a mismatch."""
    from bench.execute import dataset_row

    if not (isinstance(rec.run_id, str) and len(rec.run_id) == 16 and all(c in "0123456789abcdef" for c in rec.run_id)):
        raise _refuse(StoreError, path, "run_id", f"{rec.run_id!r} is not a run id (16 hexadecimal digits)")
    model, writer = _identity(rec, path)
    _rankings(rec.run, path)
    ds = _dataset(rec, path)
    stats = ds.validate()
    derived = dataset_row(ds, stats)
    if rec.dataset.drop_identical_ids != derived.drop_identical_ids:
        raise _refuse(
            DatasetError,
            path,
            "dataset.drop_identical_ids",
            f"claims {rec.dataset.drop_identical_ids!r}, {ds.name} says {derived.drop_identical_ids!r}",
        )
    if rec.dataset.split != derived.split:  # pragma: no cover - the split is part of the content hash
        raise _refuse(DatasetError, path, "dataset.split", f"claims {rec.dataset.split!r}")
    evaluation = _evaluation(rec, ds, path)
    return replace(rec, model=model, writer=writer, dataset=derived, evaluation=evaluation)


def record_saved(db: Path) -> list[Recorded]:
    """Verify, then record, every saved run meant for ``db`` (each in its own transaction), deleting each file once
    recorded; a file that fails verification is left where it is and nothing of it is written."""
    from bench.store.db import open_writer
    from bench.store.runs import record_run

    folder = saved_dir()
    files = sorted(folder.glob("*.json.gz")) if folder.is_dir() else []
    done: list[Recorded] = []
    target = db.resolve()
    pending = []
    for path in files:
        try:
            rec, meant = load_saved(path)
        except StoreError as e:
            done.append(Recorded(path, None, False, str(e), e))
            continue
        if meant != target:
            continue
        try:
            pending.append((path, verify_saved(rec, path)))
        except BenchError as e:
            done.append(Recorded(path, rec.run_id if isinstance(rec.run_id, str) else None, False, str(e), e))
    if not pending:
        return done
    with open_writer(db) as con:
        for path, rec in pending:
            try:
                record_run(con, rec)
            except BenchError as e:
                done.append(Recorded(path, rec.run_id, False, str(e), e))
                continue
            path.unlink(missing_ok=True)
            done.append(Recorded(path, rec.run_id, True))
    return done
