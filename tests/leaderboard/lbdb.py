"""Build the leaderboard tests' results database from real runs (real Lucene, real collections, real DuckDB).

Contents (all on the shared classic collections):

* ``bm25-flat`` and ``bm25-multifield`` (reference) on adi, time and med; ``bm25-flat`` on adi once more as
  ``reproduced`` (a reproduction history);
* ``bm25-tuned-med`` (local: a spec that is not a committed file, k1=1.2 b=0.75) declaring ``training_datasets: [med]``,
  on med and adi only (a zero-shot flag and a missing cell);
* a local ``dense`` model recorded from a TREC run on adi and time, whose name is hostile Markdown/HTML (it must
  render as text: the CLI refuses such names today, but a database may hold them from before);
* a ``pending`` run that must never be shown;
* published reference rows (``published_scores``, a test table named ``lbdb-table``): ``bm25-flat`` on adi at its own
  nDCG@10 to four decimals, ``top-of-the-table`` on adi at 0.9999 (higher than any measured cell: it must never enter a
  mean, rank or Borda count) and one on scifact (not shown); and a recorded published check of ``bm25-flat`` against
  its adi row (``reproduction_published``, verdict OK).

``python tests/leaderboard/lbdb.py OUT.duckdb`` builds one by hand.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.datasets.beir import Dataset
from bench.datasets.registry import resolve_dataset
from bench.evaluation import evaluate
from bench.execute import execute_run, model_row, record, run_record
from bench.identity import LOCAL, Writer, synthetic_identity
from bench.specs import load_spec, parse_spec
from bench.store.models import ModelRow
from bench.types import Run, Timings

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "sneaky[click](https://evil.example/x)<img src=x onerror=alert(1)>"
PENDING = "pending-secret"
TUNED = """
name: bm25-tuned-med
family: lexical
kind: lucene-bm25
description: BM25 with k1 and b tuned on MED (so it is not zero-shot there).
params: {k1: 1.2, b: 0.75, hits: 1000}
parameters: 0
training_datasets: [med]
"""


@dataclass(frozen=True)
class Built:
    db: Path
    run_ids: dict[tuple[str, str], str]  # (model, dataset) -> run id of the newest run


def _swap_top_two(run: Run, tag: str) -> Run:
    """A different but plausible run: the first two documents of every query swapped."""
    out = {}
    for qid, docs in run.results.items():
        docs = list(docs)
        if len(docs) >= 2:
            (d0, s0), (d1, s1) = docs[0], docs[1]
            docs[0], docs[1] = (d1, s0), (d0, s1)
        out[qid] = docs
    return Run(out, tag)


def _record_run(db: Path, model: ModelRow, ds: Dataset, run: Run, writer: Writer, spec_hash: str) -> str:
    return record(
        db,
        run_record(
            model=model,
            dataset=ds,
            stats=ds.validate(),
            run=run,
            evaluation=evaluate(run, ds.qrels()),
            timings=Timings(),
            started_at=datetime.now(UTC).replace(tzinfo=None),
            writer=writer,
            spec_hash=spec_hash,
        ),
    )


def build(db: Path, work: Path) -> Built:
    work.mkdir(parents=True, exist_ok=True)
    flat_path, multi_path = ROOT / "models" / "bm25-flat.yaml", ROOT / "models" / "bm25-multifield.yaml"
    flat, multi = load_spec(flat_path), load_spec(multi_path)
    tuned = parse_spec(TUNED, "<bm25-tuned-med>")
    ids: dict[tuple[str, str], str] = {}
    flat_runs: dict[str, Run] = {}
    for name in ("adi", "time", "med"):
        ds = resolve_dataset(name)
        summary, out, _ = execute_run(flat, ds, db, spec_path=flat_path)
        assert summary.provenance == "reference", summary.provenance
        ids[(flat.name, name)] = summary.run_id
        flat_runs[name] = out.run
        summary, _, _ = execute_run(multi, ds, db, spec_path=multi_path)
        ids[(multi.name, name)] = summary.run_id
    adi = resolve_dataset("adi")
    summary, out, evaluation = execute_run(flat, adi, None, spec_path=flat_path)  # what a passing `bench reproduce` writes:
    ids[(flat.name, "adi")] = record(
        db,
        run_record(
            model=model_row(flat),
            dataset=adi,
            stats=adi.validate(),
            run=out.run,
            evaluation=evaluation,
            timings=summary.timings,
            started_at=datetime.now(UTC).replace(tzinfo=None),
            writer=Writer("reproduced", "reference"),
            spec_hash=flat.spec_hash,
            spec=flat,
            cost=out.cost,
        ),
    )
    for name in ("med", "adi"):
        summary, _, _ = execute_run(tuned, resolve_dataset(name), db)
        ids[(tuned.name, name)] = summary.run_id
    hostile = ModelRow(name=HOSTILE, family="dense", kind=None)
    for name in ("adi", "time"):
        submitted = _swap_top_two(flat_runs[name], "submitted")
        _record_run(db, hostile, resolve_dataset(name), submitted, LOCAL, synthetic_identity(HOSTILE, "dense", "run-file"))
    pending = ModelRow(name=PENDING, family="dense", kind=None, parameters=5_000_000)
    writer = Writer("pending", "submission", "pending-secret-upload")
    _record_run(db, pending, adi, _swap_top_two(flat_runs["adi"], PENDING), writer, synthetic_identity(PENDING, "dense", "submission"))
    _published(db, ids[(flat.name, "adi")], flat.spec_hash, adi.content_hash)
    return Built(db=db, run_ids=ids)


PUBLISHED_REF = "lbdb test table 1.0: 2cr/beir.yaml"
TOP_ROW = "top-of-the-table"


def _published(db: Path, run_id: str, spec_hash: str, dataset_hash: str) -> None:
    from bench.published.tables import PublishedScore
    from bench.store.db import open_writer, transaction
    from bench.store.published import store_published
    from bench.store.reproductions import PublishedCheckRow, insert_published_checks

    with open_writer(db) as con:
        (observed,) = con.execute("SELECT value FROM metrics WHERE run_id = ? AND metric = 'nDCG@10'", [run_id]).fetchone()
        store_published(
            con,
            [
                PublishedScore("lbdb-table", PUBLISHED_REF, "bm25-flat", "adi", "test", "nDCG@10", round(observed, 4), 4),
                PublishedScore("lbdb-table", PUBLISHED_REF, TOP_ROW, "adi", "test", "nDCG@10", 0.9999, 4),
                PublishedScore("lbdb-table", PUBLISHED_REF, "bm25-flat", "scifact", "test", "nDCG@10", 0.6789, 4),
            ],
        )
        with transaction(con, "recording a published check"):
            insert_published_checks(
                con,
                reproduction_id="lbdb-published-1",
                checked_at=datetime.now(UTC).replace(tzinfo=None),
                model_name="bm25-flat",
                spec_hash=spec_hash,
                dataset_hash=dataset_hash,
                run_id=run_id,
                rows=[
                    PublishedCheckRow(
                        "lbdb-table", PUBLISHED_REF, "bm25-flat", "adi", "test", "nDCG@10", round(observed, 4), observed, 4, "OK"
                    )
                ],
            )


if __name__ == "__main__":
    out = Path(sys.argv[1])
    build(out, out.parent / (out.stem + "-work"))
    print(out)
