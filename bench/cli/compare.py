"""`bench compare A B -d D`: two models on one dataset content, query by query, as the leaderboard's Compare page.

The runs compared are the leaderboard's representative runs (:func:`bench.store.leaderboard.leaderboard_cells`: runs
made here first, then the newest) and the statistics are :func:`bench.evaluation.stats.compare` over their stored
per-query values: the same numbers the Dataset and Compare pages show.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from bench.cli.common import DbOption, JsonOption, SplitOption, app, db_path, emit_json, note_metric_names, one_of, out, table

TESTS = ("randomization", "t-test")
"""The paired tests (:data:`bench.evaluation.stats.TESTS`, repeated here so that ``-h`` imports no numpy)."""

RESAMPLES = 10_000
SEED = 0
CONFIDENCE = 0.95


def _one_version(con: Any, ref: str, hint: str) -> str:
    from bench.store.lookup import find_models

    versions = find_models(con, ref)
    if len(versions) > 1:
        raise typer.BadParameter(
            f"'{ref}' has {len(versions)} recorded versions ({', '.join(v.label for v in versions)}); name one by its label",
            param_hint=hint,
        )
    return versions[0].label


@app.command()
def compare(
    dataset: Annotated[
        str,
        typer.Option("--dataset", "-d", help="A recorded dataset: its name, a path to its BEIR folder, or >= 6 hex of its content hash."),
    ],
    model_a: Annotated[
        str | None,
        typer.Argument(metavar="A", help="Model A: a name or a version label (name@hash8); or give -m A -m B.", show_default=False),
    ] = None,
    model_b: Annotated[str | None, typer.Argument(metavar="B", help="Model B, the one A is measured against.", show_default=False)] = None,
    model: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="A model, as everywhere else: -m A -m B (instead of the two arguments).")
    ] = None,
    metric: Annotated[str, typer.Option("--metric", help="Metric to compare on, e.g. nDCG@10, RR@10, R@100.")] = "nDCG@10",
    test: Annotated[str, typer.Option("--test", help="Paired test over queries.", **one_of(TESTS, "a test"))] = "randomization",
    split: SplitOption = "test",
    db: DbOption = None,
    json_out: JsonOption = False,
    drift: Annotated[
        bool,
        typer.Option(
            "--drift",
            help="Also show drift of B against A: per-document cosines of their cached corpus vectors and agreement of their top-10 lists.",
        ),
    ] = False,
) -> None:
    """Paired comparison of two models' runs on one dataset content: difference, bootstrap CI, p-value, win/tie/loss.

    Runs on different dataset contents (another copy, another split) are never compared. A judged query a run did
    not answer counts 0 for that run, as in every mean; each side's coverage is shown. With --drift (a variant against
    its base, e.g. an int8 backend): the cosine between each document's two vectors (min, p1, p5, median) from this
    machine's embedding cache, and mean overlap@10 and Kendall tau of the two runs' top-10 lists from the stored rankings.
    """
    from bench.errors import DatasetError, EvaluationError
    from bench.evaluation import stats
    from bench.evaluation.measures import parse_measure
    from bench.store.db import open_read_only
    from bench.store.drift import run_drift
    from bench.store.leaderboard import leaderboard_cells, leaderboard_query_values
    from bench.store.lookup import NotRecorded, find_datasets

    given, metric = metric, str(parse_measure(metric))
    note_metric_names([given])
    models = [m for m in (model_a, model_b) if m is not None] + list(model or [])
    if len(models) != 2:
        raise typer.BadParameter(
            f"compare takes two models, A and B (as arguments or as -m A -m B), not {len(models)}", param_hint="A B / -m"
        )
    model_a, model_b = models
    with open_read_only(db_path(db)) as con:
        a, b = _one_version(con, model_a, "A"), _one_version(con, model_b, "B")
        if a == b:
            raise typer.BadParameter(f"A and B are the same model version ({a}); name two different ones", param_hint="B")
        contents = {d.dataset_hash: d for d in find_datasets(con, dataset, split)}
        cells = leaderboard_cells(con, metric)
        cells = cells[cells["model"].isin([a, b]) & cells["dataset_hash"].isin(contents)]
        has = {m: set(cells.loc[cells["model"] == m, "dataset_hash"]) for m in (a, b)}
        shared = sorted(has[a] & has[b])
        if not shared:
            for m in (a, b):
                if not has[m]:
                    raise NotRecorded(f"{m} has no public run on dataset '{dataset}'; run it there first (bench run ... -d {dataset})")
            raise DatasetError(
                f"{a} ran on {', '.join(contents[h].label for h in sorted(has[a]))} and {b} on "
                f"{', '.join(contents[h].label for h in sorted(has[b]))}: runs on different dataset contents never share a cell "
                "and are not compared; run both models on the same copy of the dataset"
            )
        if len(shared) > 1:
            raise typer.BadParameter(
                f"'{dataset}' names {len(shared)} dataset contents both models ran on ({', '.join(contents[h].label for h in shared)}); "
                "give a content-hash prefix instead",
                param_hint="--dataset",
            )
        here = cells[cells["dataset_hash"] == shared[0]].set_index("model")
        runs = {side: here.loc[m].to_dict() for side, m in (("A", a), ("B", b))}
        values = leaderboard_query_values(con, (runs["A"]["run_id"], runs["B"]["run_id"]), metric)
        drifted = run_drift(con, runs["A"]["run_id"], runs["B"]["run_id"]) if drift else None
    per_query = {
        side: dict(
            zip(values.loc[values["run_id"] == r["run_id"], "qid"], values.loc[values["run_id"] == r["run_id"], "value"], strict=True)
        )
        for side, r in runs.items()
    }
    for side, m in (("A", a), ("B", b)):
        if not per_query[side]:
            raise EvaluationError(
                f"run {runs[side]['run_id']} of {m} has no per-query values of {metric}; it cannot be tested query by query"
            )
    result = stats.compare(per_query["A"], per_query["B"], test=test, confidence=CONFIDENCE, resamples=RESAMPLES, seed=SEED)
    ds = contents[shared[0]]
    side_json = {
        side: {
            "model": m,
            "run_id": runs[side]["run_id"],
            "provenance": runs[side]["provenance"],
            "mean": result.mean_a if side == "A" else result.mean_b,
            "answered": int(runs[side]["answered_queries"]),
            "judged": int(runs[side]["judged_queries"]),
        }
        for side, m in (("A", a), ("B", b))
    }
    if json_out:
        emit_json(
            {
                "metric": metric,
                "dataset": {"name": ds.name, "split": ds.split, "hash": ds.dataset_hash},
                "a": side_json["A"],
                "b": side_json["B"],
                "queries": result.queries,
                "difference": result.difference,
                "ci": [result.ci_low, result.ci_high],
                "confidence": CONFIDENCE,
                "test": test,
                "resamples": RESAMPLES if test == "randomization" else None,
                "seed": SEED,
                "p_value": result.p_value,
                "wins": result.wins,
                "ties": result.ties,
                "losses": result.losses,
                **({"drift": _drift_json(drifted)} if drifted is not None else {}),
            }
        )
        return
    rows = [
        [
            side,
            s["model"],
            s["provenance"],
            s["mean"],
            f"{s['answered']}/{s['judged']} ({100 * s['answered'] / s['judged']:.1f}%)",
            s["run_id"],
        ]
        if s["judged"]
        else [side, s["model"], s["provenance"], s["mean"], "0/0", s["run_id"]]
        for side, s in side_json.items()
    ]
    out.print(table(f"{metric} on {ds.label}", ["", "model", "provenance", metric, "answered/judged", "run"], rows))
    test_name = f"paired randomization test ({RESAMPLES:,} sign flips, seed {SEED})" if test == "randomization" else "paired t-test"
    out.print(
        table(
            f"A - B over {result.queries} judged queries",
            ["statistic", "value"],
            [
                ["difference (A - B)", f"{result.difference:+.4f}"],
                [f"{CONFIDENCE:.0%} bootstrap CI", f"[{result.ci_low:+.4f}, {result.ci_high:+.4f}]"],
                [f"p ({test})", f"{result.p_value:.4g}"],
                ["A wins / ties / B wins", f"{result.wins} / {result.ties} / {result.losses}"],
            ],
        )
    )
    out.print(
        f"{test_name}; ties within 1e-9; a judged query a run did not answer counts 0 for that run (trec_eval -c)",
        markup=False,
        soft_wrap=True,
    )
    if drifted is not None:
        _print_drift(drifted)


def _drift_json(d: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return {"vectors": asdict(d.vectors) if d.vectors else None, "vectors_missing": d.why, "ranks": asdict(d.ranks)}


def _print_drift(d: Any) -> None:
    r = d.ranks
    rows = [
        [f"overlap@{r.k} (mean over {r.queries} queries)", f"{r.overlap:.4f}"],
        [f"Kendall tau of top-{r.k} lists (mean)", f"{r.kendall_tau:.4f}"],
    ]
    if d.vectors is not None:
        v = d.vectors
        rows = [
            [f"cosine A vs B, min ({v.documents} documents)", f"{v.min:.4f}"],
            ["cosine p1 / p5 / median", f"{v.p1:.4f} / {v.p5:.4f} / {v.median:.4f}"],
            ["documents with cosine < 1", f"{v.below_one}"],
            *rows,
        ]
    out.print(table("drift of B against A", ["measure", "value"], rows))
    if d.vectors is None:
        out.print(f"no vector drift: {d.why}", markup=False, soft_wrap=True)
