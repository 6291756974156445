"""Build the leaderboard tests' results database from real runs (real Lucene, real collections, real DuckDB).

Contents (all on the shared classic collections):

* ``bm25-flat`` and ``bm25-multifield`` (reference) on adi, time and med; ``bm25-flat`` on adi once more as
  ``reproduced`` (a reproduction history);
* ``bm25-tuned-med`` (reference, k1=1.2 b=0.75) declaring ``training_datasets: [med]``, on med and adi only
  (a zero-shot flag and a missing cell);
* a self-reported ``dense`` model recorded with ``bench eval --record`` from a TREC file on adi and time,
  whose name is hostile Markdown/HTML (it must render as text);
* a ``pending`` run that must never be shown.

``python tests/leaderboard/lbdb.py OUT.duckdb`` builds one by hand.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.cli import main as bench_main
from bench.datasets.registry import resolve_dataset
from bench.evaluation import evaluate, write_trec_run
from bench.execute import execute_run, record
from bench.specs import load_spec, parse_spec
from bench.store.runs import ModelRow
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


def build(db: Path, work: Path) -> Built:
    work.mkdir(parents=True, exist_ok=True)
    flat = load_spec(ROOT / "models" / "bm25-flat.yaml")
    multi = load_spec(ROOT / "models" / "bm25-multifield.yaml")
    tuned = parse_spec(TUNED, "<bm25-tuned-med>")
    ids: dict[tuple[str, str], str] = {}
    flat_runs: dict[str, Run] = {}
    for name in ("adi", "time", "med"):
        ds = resolve_dataset(name)
        summary, out, _ = execute_run(flat, ds, db)
        ids[(flat.name, name)] = summary.run_id
        flat_runs[name] = out.run
        summary, _, _ = execute_run(multi, ds, db)
        ids[(multi.name, name)] = summary.run_id
    summary, _, _ = execute_run(flat, resolve_dataset("adi"), db, provenance="reproduced")
    ids[(flat.name, "adi")] = summary.run_id
    for name in ("med", "adi"):
        summary, _, _ = execute_run(tuned, resolve_dataset(name), db)
        ids[(tuned.name, name)] = summary.run_id
    for name in ("adi", "time"):
        trec = work / f"submitted-{name}.trec"
        write_trec_run(_swap_top_two(flat_runs[name], "submitted"), trec)
        code = bench_main(["eval", str(trec), "--dataset", name, "--record", "--model", HOSTILE, "--family", "dense", "--db", str(db)])
        assert code == 0, f"bench eval --record failed with exit code {code}"
    ds = resolve_dataset("adi")
    pending_run = _swap_top_two(flat_runs["adi"], PENDING)
    record(
        db,
        model=ModelRow(name=PENDING, family="dense", kind=None, provenance="self-reported", parameters=5_000_000),
        dataset=ds,
        stats=ds.validate(),
        run=pending_run,
        evaluation=evaluate(pending_run, ds.qrels()),
        timings=Timings(),
        started_at=datetime.now(UTC).replace(tzinfo=None),
        provenance="pending",
    )
    return Built(db=db, run_ids=ids)


if __name__ == "__main__":
    out = Path(sys.argv[1])
    build(out, out.parent / (out.stem + "-work"))
    print(out)
