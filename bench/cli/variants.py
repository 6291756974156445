"""`bench variants BASE`: the variants of a model (``variant_of: BASE``) beside it, dataset by dataset.

Per variant: the drift of the metric on each dataset both ran on, against the variant's declared tolerance, the encode
speed-up and the recorded ms per query (:mod:`bench.store.variants`); the same runs the leaderboard's Efficiency page
shows. ``--suite`` limits the datasets to a suite's retrieval members (their registered contents, as ``bench results
--suite``), ``-d`` to named datasets.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bench.cli.common import DbOption, JsonOption, SplitOption, app, db_path, emit_json, err, note_metric_names, out, table


@app.command()
def variants(
    base: Annotated[
        str, typer.Argument(metavar="BASE", help="The base model's name (what its variants' variant_of says).", show_default=False)
    ],
    dataset: Annotated[
        list[str] | None,
        typer.Option(
            "--dataset", "-d", help="Only this recorded dataset (a name, a BEIR folder, or >= 6 hex of its content hash); repeat."
        ),
    ] = None,
    suite: Annotated[
        str | None, typer.Option("--suite", help="Only the retrieval members of this suite (`bench suites list`), e.g. classic-7.")
    ] = None,
    metric: Annotated[str, typer.Option("--metric", help="Metric the drift is measured on, e.g. nDCG@10, R@100.")] = "nDCG@10",
    split: SplitOption = "test",
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Each variant of BASE beside it: per-dataset drift of the metric, within its declared tolerance or not, speed-up.

    The runs are the leaderboard's representative runs of each model version on each dataset content; only contents both
    ran on are compared. The tolerance is the variant spec's ``tolerance`` for the metric (else its ``default``), the bound
    ``bench reproduce`` holds it to. The speed-up is the median over datasets of the variant's encode throughput over the
    base's where both runs encoded the corpus (a run that read cached vectors measured none); ms/query is what the runs
    recorded (queries encoded in batches, plus search). One-query-at-a-time latency is measured by ``make bench``. Each
    row names both runs' provenance: a self-reported run's score and costs are its submitter's claim.
    """
    from bench.evaluation.measures import parse_measure
    from bench.store.db import open_read_only
    from bench.store.lookup import NotRecorded, find_datasets, find_models
    from bench.store.variants import variant_reports

    if dataset and suite:
        raise typer.BadParameter("give -d or --suite, not both", param_hint="--suite")
    given, metric = metric, str(parse_measure(metric))
    note_metric_names([given])
    with open_read_only(db_path(db)) as con:
        names = {m.name for m in find_models(con, base)}
        if len(names) != 1 or base not in names:
            raise typer.BadParameter(f"'{base}' is not a model name recorded here; give the base model's name", param_hint="BASE")
        wanted: dict[str, set[str]] | None = None
        if dataset:
            wanted = {ref: {d.dataset_hash for d in find_datasets(con, ref, split)} for ref in dataset}
        elif suite is not None:
            wanted = _suite_contents(con, suite)
        reports = variant_reports(con, base, metric, wanted)
    if not reports:
        raise NotRecorded(
            f"no recorded variant of {base} shares a dataset with it: a variant is a spec with `variant_of: {base}`; "
            f"run it on the same dataset (bench run models/<variant>.yaml -d <dataset>)"
        )
    if json_out:
        emit_json({"base": base, "metric": metric, "suite": suite, "variants": [r.as_json() for r in reports]})
        return
    for r in reports:
        tol = "—" if r.tolerance is None else f"{r.tolerance:g}"
        rows = [
            [
                x.dataset,
                x.base,
                x.variant,
                f"{x.drift:+.4f}",
                "—" if r.tolerance is None else ("yes" if abs(x.drift) <= r.tolerance + 1e-12 else "NO"),
                "—" if x.speedup is None else f"{x.speedup:.2f}x",
                "—" if x.base_ms_per_query is None else f"{x.base_ms_per_query:.1f}",
                "—" if x.variant_ms_per_query is None else f"{x.variant_ms_per_query:.1f}",
                f"{x.variant_provenance} / {x.base_provenance}",
            ]
            for x in r.rows
        ]
        columns = [
            "dataset",
            f"base {metric}",
            f"variant {metric}",
            "drift",
            f"within {tol}",
            "speed-up",
            "base ms/q",
            "variant ms/q",
            "provenance (variant / base)",
        ]
        out.print(table(f"{r.variant} against {r.base}", columns, rows))
        speed = "not measured (cached vectors)" if r.speedup is None else f"{r.speedup:.2f}x (median over datasets)"
        within = "no tolerance declared" if r.tolerance is None else f"{r.within} of {len(r.rows)} within the declared {tol}"
        out.print(
            f"{r.variant}: max |drift| {r.max_abs_drift:.4f} over {len(r.rows)} datasets; {within}; encode speed-up {speed}",
            markup=False,
            soft_wrap=True,
        )


def _suite_contents(con: object, name: str) -> dict[str, set[str]]:
    """The suite's retrieval members and the contents each may have (as ``bench results --suite`` counts them)."""
    from bench.suites.registry import get_suite
    from bench.suites.table import member_hashes

    s = get_suite(name)
    notes: list[str] = []
    members = [m for m in s.leaves() if m.kind == "dataset"]
    if not members:
        raise typer.BadParameter(f"suite {name} has no retrieval member; variants are compared on retrieval datasets", param_hint="--suite")
    out_ = {m.name: member_hashes(con, m, notes) for m in members}  # type: ignore[arg-type]
    for n in notes:
        err.print(n, markup=False, soft_wrap=True)
    return out_
