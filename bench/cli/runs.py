"""`bench run`, `bench eval`, `bench results` and `bench db migrate`."""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path
from typing import Annotated, Any

import typer

from bench.cli.common import (
    ADHOC_KINDS,
    ENGINES,
    FAMILIES,
    TASK_TYPES,
    DbOption,
    JsonOption,
    MetricOption,
    SplitOption,
    app,
    db_path,
    emit_json,
    err,
    note_metric_names,
    one_of,
    out,
    stdout_to_stderr,
    table,
)

db_app = typer.Typer(help="Maintain the results database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@app.command()
def run(
    dataset: Annotated[
        list[str] | None,
        typer.Option("--dataset", "-d", help="A registered name, a folder on the data path, or a BEIR folder; repeat for several."),
    ] = None,
    task: Annotated[
        list[str] | None,
        typer.Option("--task", "-t", help="An embedding task (STS15, SICK-R, Banking77, MSRP…) or a task folder; repeat for several."),
    ] = None,
    spec: Annotated[Path | None, typer.Argument(help="A model spec, e.g. models/bm25-flat.yaml (or give -m MODEL).")] = None,
    suite: Annotated[
        str | None,
        typer.Option("--suite", help="Every member of this suite that is at hand (`bench suites list`); the missing ones listed."),
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="A Hugging Face id or a local model folder, run without a spec file.")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            help="Runner kind for -m (default: from the model folder; dense for a Hub id).", **one_of(ADHOC_KINDS, "a kind for -m")
        ),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Model name for -m (default: from the id, org__model).")] = None,
    revision: Annotated[str | None, typer.Option(help="Hub revision for -m (default: main; the weights' sha256 is pinned).")] = None,
    query_prompt: Annotated[str | None, typer.Option(help="-m: text put before each query (e5: 'query: ').")] = None,
    document_prompt: Annotated[str | None, typer.Option(help="-m: text put before each document (e5: 'passage: ').")] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="-m: another runner parameter as key=value (repeat); see `bench spec params KIND`.")
    ] = None,
    save_spec: Annotated[
        Path | None, typer.Option(help="-m: write the synthesised spec here once the run succeeded, to repeat it from a file.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="--save-spec may replace an existing file.")] = False,
    split: SplitOption = "test",
    db: DbOption = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per dataset on stdout (JSON lines) and nothing else.")
    ] = False,
    record: Annotated[bool, typer.Option("--record/--no-record", help="Record the runs in the database.")] = True,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write the run as a TREC file (a folder of <dataset>.trec with several -d).")
    ] = None,
    metric: MetricOption = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="Who encodes (dense, splade): local (this process) or ray (Ray actors, one model each).",
            **one_of(ENGINES, "an engine"),
        ),
    ] = "local",
    address: Annotated[
        str | None, typer.Option("--address", help="--engine ray: auto or ray://host:port joins a cluster (default: a local Ray instance).")
    ] = None,
    threads: Annotated[
        int | None, typer.Option("--threads", min=1, help="torch threads per model (recorded with the run; ray default 1 per actor).")
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Read no cache (embeddings, thoughts, Lucene index): compute everything again.")
    ] = False,
) -> None:
    """Index, retrieve, evaluate and record runs: one spec (or -m MODEL) on one or more datasets, loaded once."""
    from bench.datasets.registry import resolve_dataset
    from bench.errors import BenchError
    from bench.evaluation.measures import parse_measures
    from bench.evaluation.trec import write_trec_run
    from bench.execute import execute_runs
    from bench.progress import RichProgress
    from bench.runners.engines import executor_for
    from bench.specs import load_spec

    extra = parse_measures(metric or [])  # an unknown metric stops here, before any work
    note_metric_names(metric)
    if (spec is None) == (model is None):
        raise typer.BadParameter("give a spec file or -m MODEL" + (" (not both)" if spec is not None else ""), param_hint="SPEC")
    adhoc = {"kind": kind, "name": name, "revision": revision, "query_prompt": query_prompt, "document_prompt": document_prompt}
    if spec is not None and (any(v is not None for v in adhoc.values()) or param or save_spec):
        raise typer.BadParameter(
            "--kind, --name, --revision, prompts, --param and --save-spec go with -m MODEL, not a spec file", param_hint="-m"
        )
    text = ""
    if spec is not None:
        the_spec = load_spec(spec)
    else:
        from bench.adhoc import parse_param, reference_twin, synthesize

        params = dict(parse_param(p) for p in param or [])
        params.update({k: v for k, v in (("query_prompt", query_prompt), ("document_prompt", document_prompt)) if v is not None})
        assert model is not None
        the_spec, text = synthesize(model, kind=kind, name=name, revision=revision, params=params)
        twin = reference_twin(the_spec)
        if twin is not None and name not in (None, twin[1].name):
            twin = None  # --name: the user chose another model name for it
        if twin is not None:  # one identity per model: the same weights and params are the reference spec, not a new model
            spec, the_spec = twin
            err.print(
                f"{model}: same weights (revision {the_spec.weights.revision[:7] if the_spec.weights else '?'}) and params as "
                f"the reference spec {spec.relative_to(spec.parent.parent)}; running as {the_spec.name} (spec {the_spec.spec_hash[:12]})",
                markup=False,
                soft_wrap=True,
            )
        elif save_spec is not None and (save_spec.exists() or save_spec.is_symlink()) and not force:
            raise typer.BadParameter(f"{save_spec} exists; pass --force to replace it, or another path", param_hint="--save-spec")
    if address is not None and engine != "ray":
        raise typer.BadParameter("--address goes with --engine ray", param_hint="--address")
    suite_tasks: list[str] = []
    if suite is not None:
        from bench.suites.registry import expand, get_suite

        suite_datasets, suite_tasks, missing = expand(get_suite(suite))
        if missing:
            err.print(f"{suite}: {len(missing)} member(s) not at hand, not run: {', '.join(missing)}", markup=False, soft_wrap=True)
        if not suite_datasets and not suite_tasks:
            from bench.errors import DatasetError

            raise DatasetError(
                f"no member of suite {suite} is at hand; `bench suites show {suite}` lists them and where they are looked for"
            )
        dataset = [*(dataset or []), *suite_datasets]
    if not dataset and not task and not suite_tasks:
        raise typer.BadParameter("give at least one -d DATASET or -t TASK", param_hint="-d/-t")
    datasets = [resolve_dataset(d, split) for d in dict.fromkeys(dataset or [])]  # every name checked before any work
    from bench.runners.base import make_runner
    from bench.tasks import find_task

    tasks = [find_task(t) for t in dict.fromkeys(task or [])]
    runner = make_runner(the_spec, str(spec) if spec else "<command line>")
    if suite_tasks:
        from bench.tasks.adapter import task_encoder_problem

        problem = task_encoder_problem(runner)
        if problem and dataset:
            err.print(f"{suite}: its {len(suite_tasks)} embedding task(s) not run: {problem}", markup=False, soft_wrap=True)
        else:
            tasks += [find_task(t) for t in suite_tasks if t not in {x.name for x in tasks}]
    if tasks:
        from bench.errors import RunnerUnavailable
        from bench.tasks.adapter import task_encoder_problem

        problem = task_encoder_problem(runner)
        if problem:
            raise RunnerUnavailable(f"-t: {problem}")
    failed: list[tuple[str, BenchError]] = []
    from contextlib import nullcontext

    from bench.paths import fresh_caches

    executor = executor_for(engine, address=address, threads=threads)
    with stdout_to_stderr(json_out), fresh_caches() if fresh else nullcontext(), closing(executor):
        outcomes = execute_runs(
            the_spec,
            datasets,
            db_path(db) if record else None,
            spec_path=spec,
            progress=RichProgress(err),
            measures=extra,
            executor=executor,
            runner=runner,
        )
        for index, outcome in enumerate(outcomes):
            if outcome.error is not None or outcome.summary is None or outcome.output is None:
                assert outcome.error is not None
                from bench.errors import RunnerUnavailable

                if isinstance(outcome.error, RunnerUnavailable) and index == 0:
                    raise outcome.error  # the model cannot run here (not in the cache, no Java): the same on every dataset, said once
                failed.append((outcome.dataset.name, outcome.error))
                if len(datasets) > 1:  # one dataset: its error is the command's, printed once below
                    err.print(f"error: {outcome.dataset.name}: {outcome.error}", markup=False, soft_wrap=True)
                continue
            summary = outcome.summary
            if output:
                target = output / f"{summary.dataset}.trec" if len(datasets) > 1 else output
                write_trec_run(outcome.output.run, target, tag=the_spec.name)
            if json_out:
                emit_json(summary.as_json())
            else:
                _print_summary(summary, db_path(db) if record else None)
        if tasks:
            from bench.execute import use_executor
            from bench.tasks.run import execute_tasks

            use_executor(runner, executor)
            for t_out in execute_tasks(
                the_spec, tasks, db_path(db) if record else None, spec_path=spec, progress=RichProgress(err), runner=runner
            ):
                if t_out.error is not None or t_out.summary is None:
                    assert t_out.error is not None
                    failed.append((t_out.task.name, t_out.error))
                    err.print(f"error: {t_out.task.name}: {t_out.error}", markup=False, soft_wrap=True)
                elif json_out:
                    emit_json(t_out.summary.as_json())
                else:
                    _print_task_summary(t_out.summary, db_path(db) if record else None)
    if save_spec is not None and spec is not None:  # -m ran as a reference spec: that file is the spec that repeats it
        err.print(f"--save-spec: not written; `bench run {spec} -d ...` repeats this run", markup=False, soft_wrap=True)
    elif save_spec is not None and not failed:  # written only once the run succeeded
        save_spec.parent.mkdir(parents=True, exist_ok=True)
        save_spec.write_text(text, encoding="utf-8")
        err.print(f"spec written to {save_spec}; `bench run {save_spec} -d ...` repeats this run", markup=False, soft_wrap=True)
    if failed:
        first = failed[0][1]
        total = len(datasets) + len(tasks)
        raise type(first)(
            f"{len(failed)} of {total} {'task(s)' if not datasets else 'dataset(s)/task(s)' if tasks else 'dataset(s)'} failed ({', '.join(n for n, _ in failed)}); the others were recorded"
            if total > 1
            else str(first)
        )


def _print_task_summary(summary: Any, db: Path | None) -> None:
    r, t = summary.result, summary.task
    main = [[f"{t.main_score} (main)", r.main_score]]
    rows = main + [[k, v] for k, v in r.scores.items() if k not in ("main_score", t.main_score)]
    origin = f"MTEB {t.known.mteb_task}" if t.known and t.known.mteb_task else t.where
    out.print(table(f"{summary.model} on {t.name} ({t.type}, {origin}, {r.split}, {t.content_hash[:12]})", ["score", "value"], rows))
    c = r.cost
    rate = f"{c['texts_per_s']:.0f} texts/s" if c.get("texts_per_s") else ""
    out.print(
        f"run {summary.run_id}: {c['texts']} texts ({c['texts_cached']} from the cache), {c['seconds']:.1f}s, {rate}; mteb {r.mteb_version}"
        + (f"; recorded in {db} as {summary.provenance}" if db is not None else ""),
        markup=False,
    )


def _print_summary(summary: Any, db: Path | None) -> None:
    t = summary.timings
    rows = [[k, v] for k, v in summary.metrics.items()]
    out.print(table(f"{summary.model} on {summary.dataset} ({summary.split}, {summary.dataset_hash[:12]})", ["metric", "value"], rows))
    out.print(
        f"run {summary.run_id}: {summary.evaluated_queries}/{summary.judged_queries} judged queries; index {t.index_s:.2f}s, encode {t.encode_s:.2f}s, search {t.search_s:.2f}s, total {t.total_s:.2f}s"
        + (f"; recorded in {db} as {summary.provenance}" if db is not None else ""),
        markup=False,
    )


@app.command("eval")
def eval_(
    run_file: Annotated[
        Path,
        typer.Argument(help="A TREC run file (qid Q0 docid rank score tag), .gz allowed; with several -d, a folder of <dataset>.trec."),
    ],
    dataset: Annotated[
        list[str] | None,
        typer.Option(
            "--dataset",
            "-d",
            help="Registered dataset name, a folder on the data path, or a BEIR folder (or give --qrels); repeat for several, as with run -o.",
        ),
    ] = None,
    qrels: Annotated[
        Path | None, typer.Option("--qrels", help="A qrels file instead of a dataset: TREC 'qid 0 docid rel' lines, or BEIR's tsv.")
    ] = None,
    metric: MetricOption = None,
    split: SplitOption = "test",
    db: DbOption = None,
    json_out: JsonOption = False,
    record: Annotated[
        bool,
        typer.Option("--record", help="Record it, with --dataset (provenance local: a run file proves nothing about how it was made)."),
    ] = False,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Model name when recording (default: the run tag).")] = None,
    family: Annotated[str | None, typer.Option(help="Model family when recording.", **one_of(FAMILIES, "a family"))] = None,
) -> None:
    """Evaluate a TREC run file against a dataset's qrels or a qrels file (and record it with --record).

    Means count a judged query the run does not answer as 0 (trec_eval -c); the coverage is printed beside them,
    with a warning when the run answers few queries or names documents the corpus does not have. --metric adds
    any ir_measures measure to the default set (recorded with the run).
    """
    from bench.datasets.registry import resolve_dataset
    from bench.evaluation.measures import with_defaults

    if (not dataset) == (qrels is None):
        raise typer.BadParameter("give the judgments as --dataset NAME or --qrels FILE (one of them)", param_hint="--dataset/--qrels")
    if record and not dataset:
        raise typer.BadParameter("--record needs --dataset (a recorded run is tied to the dataset's identity)", param_hint="--record")
    if record and family is None:
        raise typer.BadParameter(f"--record needs --family; family must be one of {', '.join(FAMILIES)}", param_hint="--family")
    measures = with_defaults(metric or [])  # an unknown metric stops here, before anything is read
    note_metric_names(metric)
    if qrels is not None:
        _eval_qrels_file(run_file, qrels, measures, json_out)
        return
    assert dataset
    names = list(dict.fromkeys(dataset))
    if len(names) > 1 and not run_file.is_dir():
        raise typer.BadParameter(
            f"{run_file} is not a folder: with several -d, give the folder `bench run -d ... -o DIR` wrote (DIR/<dataset>.trec)",
            param_hint="RUN_FILE",
        )
    pairs = []
    for ref in names:  # every dataset and file checked before anything is evaluated or recorded
        ds = resolve_dataset(ref, split)
        path = run_file / f"{ds.name}.trec" if len(names) > 1 else run_file
        if len(names) > 1 and not path.is_file():
            raise typer.BadParameter(f"{path}: no such file; {run_file} holds no run for {ds.name}", param_hint="RUN_FILE")
        pairs.append((path, ds))
    for path, ds in pairs:
        _eval_dataset(path, ds, measures, model=model, family=family, record=record, db=db, json_out=json_out)


def _eval_dataset(
    run_file: Path,
    ds: Any,
    measures: tuple[Any, ...],
    *,
    model: str | None,
    family: str | None,
    record: bool,
    db: Path | None,
    json_out: bool,
) -> None:
    """`bench eval RUN -d DATASET`: score (and with --record, record) one run file against one dataset."""
    import re
    import time
    from datetime import UTC, datetime

    from bench.evaluation.evaluate import evaluate
    from bench.execute import precheck_name, run_record
    from bench.execute import record as record_run
    from bench.identity import LOCAL, synthetic_identity
    from bench.specs import NAME_PATTERN
    from bench.store.models import ModelRow
    from bench.types import Timings

    started = datetime.now(UTC).replace(tzinfo=None)
    the_run = _read_run_at_depth(run_file)
    name = model or the_run.tag
    identity = synthetic_identity(name, family or "", "run-file")
    if record:
        if not re.match(NAME_PATTERN, name):
            raise typer.BadParameter(
                f"'{name}' is not a model name: use lower-case letters, digits, '.', '_' or '-' (e.g. my-bm25)", param_hint="--model"
            )
        precheck_name(db_path(db), name, identity, LOCAL)
    t0 = time.perf_counter()
    result = evaluate(the_run, ds.qrels(), measures, drop_identical_ids=ds.drop_identical_ids)
    eval_s = time.perf_counter() - t0
    corpus = ds.corpus_ids()
    unknown = {d for docs in the_run.results.values() for d, _ in docs if d not in corpus}
    payload: dict[str, Any] = {
        "run_file": str(run_file),
        "dataset": {"name": ds.name, "hash": ds.content_hash, "split": ds.split},
        "metrics": dict(result.aggregate),
        "queries": {"evaluated": result.evaluated_queries, "judged": result.judged_queries},
        "coverage": result.coverage,
        "unknown_documents": len(unknown),
    }
    if result.answered_queries < result.judged_queries:
        err.print(
            f"warning: {run_file} answers {result.answered_queries} of {result.judged_queries} judged queries "
            f"({100 * result.coverage:.1f}%); each unanswered query counts 0 in every mean (trec_eval -c)",
            markup=False,
            soft_wrap=True,
        )
    if unknown:
        example = sorted(unknown)[0]
        err.print(
            f"warning: {run_file} names {len(unknown)} document id(s) that {ds.name} does not have (e.g. '{example}'); "
            "they can never be relevant: check the run was made on this dataset",
            markup=False,
            soft_wrap=True,
        )
    if record:
        payload["run_id"] = record_run(
            db_path(db),
            run_record(
                model=ModelRow(name=name, family=family or "", kind=None, metadata={"run_file": run_file.name}),
                dataset=ds,
                stats=ds.validate(),
                run=the_run,
                evaluation=result,
                timings=Timings(eval_s=eval_s, total_s=eval_s),
                started_at=started,
                writer=LOCAL,
                spec_hash=identity,
            ),
        )
        payload["provenance"] = LOCAL.provenance
    if json_out:
        emit_json(payload)
        return
    out.print(
        table(
            f"{run_file} on {ds.name} ({ds.split}, {ds.content_hash[:12]})",
            ["metric", "value"],
            [[k, v] for k, v in result.aggregate.items()],
        )
    )
    out.print(
        f"{result.evaluated_queries}/{result.judged_queries} judged queries answered ({100 * result.coverage:.1f}% coverage)"
        + (f"; recorded as run {payload['run_id']} (local)" if record else ""),
        markup=False,
    )


EVAL_DEPTH = 1000


def _read_run_at_depth(run_file: Path) -> Any:
    """The run file cut at TREC depth 1000 per query, saying on stderr when hits past it were dropped."""
    from bench.evaluation.trec import read_trec_run

    full = read_trec_run(run_file)
    over = [len(docs) for docs in full.results.values() if len(docs) > EVAL_DEPTH]
    if over:
        err.print(
            f"note: {run_file}: {len(over)} quer{'y has' if len(over) == 1 else 'ies have'} more than {EVAL_DEPTH} hits "
            f"(up to {max(over)}); only the top {EVAL_DEPTH} by score are evaluated, as trec_eval does",
            markup=False,
            soft_wrap=True,
        )
    return full.truncate(EVAL_DEPTH)


def _eval_qrels_file(run_file: Path, qrels: Path, measures: tuple[Any, ...], json_out: bool) -> None:
    """`bench eval RUN --qrels FILE`: score a run against a plain qrels file (no dataset, nothing recorded)."""
    from bench.datasets.qrels_file import read_qrels_file
    from bench.evaluation.evaluate import evaluate
    from bench.provenance import file_sha256

    judgments = read_qrels_file(qrels)
    the_run = _read_run_at_depth(run_file)
    result = evaluate(the_run, judgments, measures)
    if result.answered_queries < result.judged_queries:
        err.print(
            f"warning: {run_file} answers {result.answered_queries} of {result.judged_queries} judged queries of {qrels} "
            f"({100 * result.coverage:.1f}%); each unanswered query counts 0 in every mean (trec_eval -c)",
            markup=False,
            soft_wrap=True,
        )
    if json_out:
        emit_json(
            {
                "run_file": str(run_file),
                "qrels": {"path": str(qrels), "sha256": file_sha256(qrels)},
                "metrics": dict(result.aggregate),
                "queries": {"evaluated": result.evaluated_queries, "judged": result.judged_queries},
                "coverage": result.coverage,
            }
        )
        return
    out.print(table(f"{run_file} against {qrels}", ["metric", "value"], [[k, v] for k, v in result.aggregate.items()]))
    out.print(
        f"{result.evaluated_queries}/{result.judged_queries} judged queries answered ({100 * result.coverage:.1f}% coverage)",
        markup=False,
    )


@app.command()
def results(
    dataset: Annotated[
        list[str] | None,
        typer.Option(
            "--dataset",
            "-d",
            help="Only this dataset: a recorded name, a path to its BEIR folder, or >= 6 hex of its content hash (repeat).",
        ),
    ] = None,
    model: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="Only this model: a name, or a version label name@hash (repeat).")
    ] = None,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric",
            help="Metric column(s) instead of the headline ones (ir_measures or trec_eval names); --pivot takes one (default nDCG@10).",
        ),
    ] = None,
    pivot: Annotated[
        bool,
        typer.Option(
            "--pivot", help="Models x datasets of one metric, mean over the datasets every model has (the leaderboard's Overview)."
        ),
    ] = False,
    history: Annotated[
        bool, typer.Option("--history", help="Every recorded run, not only the latest per model version and dataset.")
    ] = False,
    split: Annotated[str, typer.Option("--split", help="qrels split a dataset given as a path is hashed with.")] = "test",
    task_type: Annotated[
        str | None,
        typer.Option("--task-type", help="Embedding-task results of one type.", **one_of(TASK_TYPES, "a task type", case_sensitive=False)),
    ] = None,
    by_task_type: Annotated[
        bool,
        typer.Option("--by-task-type", help="Per model: Mean per task type, Mean(Task), Mean(TaskType), Borda rank and its 95% interval."),
    ] = False,
    bootstrap: Annotated[int, typer.Option("--bootstrap", min=10, max=100000, help="Bootstrap resamples for rank intervals.")] = 200,
    suite: Annotated[
        str | None,
        typer.Option(
            "--suite", help="Per-member cells and the suite mean of a named suite (`bench suites list`), mean only over complete rows."
        ),
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Recorded runs: the latest per model version and dataset, with coverage and the latest reproduction verdict."""
    import pandas as pd

    if suite is not None:
        if history or task_type or by_task_type or dataset or (metric and len(metric) > 1):
            raise typer.BadParameter(
                "--suite shows one metric of the latest runs: no --history, -d, --task-type or several --metric", param_hint="--suite"
            )
        _suite_results(db, suite, metric[0] if metric else None, model or [], json_out)
        return

    if task_type is not None or by_task_type:
        _task_results(db, task_type, by_task_type, pivot, model or [], bootstrap, json_out)
        return

    from bench.evaluation.measures import HEADLINE, parse_measure
    from bench.evaluation.overview import dataset_labels
    from bench.store.db import open_read_only
    from bench.store.lookup import find_datasets, find_models
    from bench.store.runs import results_table

    metrics = list(dict.fromkeys(str(parse_measure(m)) for m in metric or []))
    note_metric_names(metric)
    if pivot and (history or len(metrics) > 1):
        raise typer.BadParameter(
            "--pivot shows one metric of the leaderboard's runs: give one --metric and no --history", param_hint="--pivot"
        )
    if metrics and db_path(db).is_file():  # a measure the runs lack is computed from their stored rankings, and cached
        from bench.store.derived import fill

        for note in fill(db_path(db), metrics, history=history):
            err.print(f"note: {note}", markup=False, soft_wrap=True)
    with open_read_only(db_path(db)) as con:
        hashes = [d.dataset_hash for ref in dataset or [] for d in find_datasets(con, ref, split)] if dataset else None
        labels = [m.label for ref in model or [] for m in find_models(con, ref)] if model else None
        if pivot:
            from bench.cli import pivot as pivot_view

            metric_name = metrics[0] if metrics else HEADLINE[0]
            pivot_view.show(pivot_view.overview(con, metric_name, hashes, labels), metric_name, db_path(db), json_out)
            return
        frames = [
            results_table(con, dataset=h, history=history, metrics=metrics or None)
            for h in (list(dict.fromkeys(hashes)) if hashes else [None])
        ]
        # one label per content, qualified (split, hash8) wherever a name stands for several: as the leaderboard shows it
        names = dataset_labels(con.execute("SELECT dataset_hash, name, split FROM datasets").df())
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    df = df.assign(dataset_label=[names.get(h, n) for h, n in zip(df["dataset_hash"], df["dataset"], strict=True)])
    if labels is not None:
        df = df[df["model"].isin(labels)]
    df = df.sort_values(["finished_at", "run_id"], ascending=[False, True], kind="stable").reset_index(drop=True)
    if json_out:
        emit_json(json.loads(df.to_json(orient="records", date_format="iso")))
        return
    if df.empty:
        out.print("no recorded runs" + (f" for dataset {', '.join(dataset)}" if dataset else ""), markup=False)
        return
    df = df.assign(  # imported results carry no query counts: shown as missing, never as <NA>
        answered=[None if pd.isna(a) or pd.isna(j) else f"{int(a)}/{int(j)}" for a, j in zip(df["answered"], df["judged"], strict=True)]
    )
    shown = metrics or list(HEADLINE)
    cols = ["model", "dataset_label", "provenance", *shown, "answered", "verdict", "wall_s", "run_id"]
    out.print(
        table(
            f"Recorded runs ({db_path(db)}){' — history' if history else ''}",
            ["model", "dataset", "provenance", *shown, "queries", "verdict", "wall s", "run"],
            df[cols].astype(object).where(df[cols].notna(), None).values.tolist(),
        )
    )
    out.print("means count an unanswered judged query as 0 (trec_eval -c); queries = answered/judged", markup=False)


@db_app.command("migrate")
def db_migrate(db: DbOption = None) -> None:
    """Create the database or bring its schema up to date."""
    from bench.store.db import migrate, open_writer, schema_version

    with open_writer(db_path(db)) as con:
        applied = migrate(con)
        version = schema_version(con)
    out.print(f"{db_path(db)}: schema version {version}" + (f" (applied {applied})" if applied else " (up to date)"))


@db_app.command("record-saved")
def db_record_saved(db: DbOption = None, json_out: JsonOption = False) -> None:
    """Record the finished runs that were saved because another process held the database.

    Nothing in a saved file is trusted: the dataset is found again and its content hash checked, every metric is
    recomputed from the saved rankings, the spec hash and the provenance are derived again; a file that does not
    match its claims is refused (one line naming the file and the field) and nothing of it is written.
    """
    from bench.saved_runs import record_saved
    from bench.store.saved import saved_dir

    done = record_saved(db_path(db))
    if json_out:
        emit_json([{"file": str(d.file), "run_id": d.run_id, "recorded": d.recorded, "problem": d.problem} for d in done])
    else:
        if not done:
            out.print(f"no saved runs for {db_path(db)} in {saved_dir()}", markup=False)
        for d in done:
            if d.recorded:
                out.print(f"recorded run {d.run_id} ({d.file.name})", markup=False, soft_wrap=True)
    failed = [d for d in done if not d.recorded]
    if failed:
        first = failed[0]
        assert first.error is not None
        more = f" ({len(failed) - 1} other saved file(s) refused too; see --json)" if len(failed) > 1 else ""
        raise type(first.error)(f"{first.error}{more}")


def _suite_results(db: Path | None, name: str, metric: str | None, models: list[str], json_out: bool) -> None:
    """`bench results --suite NAME [--pivot]`: models x members, the suite mean only where every member is recorded."""
    from bench.evaluation.measures import parse_measure
    from bench.store.db import open_read_only
    from bench.suites.registry import MAIN_SCORE, get_suite
    from bench.suites.table import build

    s = get_suite(name)
    metric = None if metric is None or metric == MAIN_SCORE else str(parse_measure(metric))
    with open_read_only(db_path(db)) as con:
        t = build(con, s, metric)
    rows = [r for r in t.rows if not models or r.model in models or r.model.split("@")[0] in models]
    if json_out:
        emit_json({"suite": s.name, "metric": t.metric, "members": t.columns, "models": [r.as_json() for r in rows], "notes": t.notes})
        return
    if not rows:
        out.print(f"no recorded results for any member of {s.name}", markup=False)
        for n in t.notes:  # why a recorded run is not counted
            out.print(n, markup=False, soft_wrap=True)
        return
    body = [[r.model, *[None if r.values[c] is None else f"{r.values[c]:.4f}" for c in t.columns],
             None if r.mean is None else f"{r.mean:.4f}", f"{r.have} of {len(r.values)}"] for r in rows]  # fmt: skip
    out.print(table(f"{s.name} ({t.metric}): {s.title}", ["model", *t.columns, "Mean", "members"], body))
    for r in rows:
        if r.missing:
            out.print(
                f"{r.model}: no suite mean, {r.have} of {len(r.values)} members (missing {', '.join(r.missing)})",
                markup=False,
                soft_wrap=True,
            )
    for n in t.notes:
        out.print(n, markup=False, soft_wrap=True)


def _task_results(db: Path | None, task_type: str | None, by_type: bool, pivot: bool, models: list[str], b: int, json_out: bool) -> None:
    """`bench results --task-type T [--pivot]` and `--by-task-type`: measured results only in every statistic; imported
    ones listed apart, badged."""
    from bench.evaluation import task_stats
    from bench.store.db import open_read_only
    from bench.store.tasks import task_items, task_results

    if task_type is not None and task_type.lower() not in {t.lower() for t in TASK_TYPES}:
        raise typer.BadParameter(f"'{task_type}' is not a task type; use one of {', '.join(TASK_TYPES)}", param_hint="--task-type")
    with open_read_only(db_path(db)) as con:
        df = task_results(con, task_type=task_type)
        if models:
            df = df[df["model"].isin(models) | df["name"].isin(models)]
        measured = task_stats.measured(df)
        items = task_items(con, list(measured["run_id"])) if by_type else {}
    imported = df[df["provenance"] == "imported"]
    if df.empty:
        out.print("no recorded task results" + (f" of type {task_type}" if task_type else ""), markup=False)
        return
    if by_type:
        table_df = task_stats.by_task_type(measured) if not measured.empty else pd_empty()
        intervals = task_stats.rank_intervals(measured, items, b=b) if not measured.empty else {}
        rows = []
        for model_label, r in table_df.iterrows():
            iv = intervals.get(model_label)
            rows.append({"model": model_label, **{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()},
                         "rank_interval": [iv.low, iv.high] if iv else None})  # fmt: skip
        if json_out:
            emit_json({"models": rows, "imported": json.loads(imported.to_json(orient="records", date_format="iso")), "bootstrap": b})
            return
        cols = [c for c in table_df.columns if c not in ("borda",)]
        body = [
            [
                r["model"],
                *[fmt_cell(r[c]) for c in cols],
                f"{r['rank_interval'][0]:.0f}–{r['rank_interval'][1]:.0f}" if r["rank_interval"] else "—",
            ]
            for r in rows
        ]
        out.print(table(f"Embedding tasks by type (measured only; Borda rank, tasks as voters; 95% interval from {b} paired bootstrap resamples)",
                        ["model", *cols, "rank 95%"], body))  # fmt: skip
    else:
        matrix = task_stats.task_matrix(measured) if not measured.empty else None
        if json_out:
            emit_json({
                "matrix": json.loads(matrix.reset_index().to_json(orient="records")) if matrix is not None else [],
                "runs": json.loads(measured.to_json(orient="records", date_format="iso")),
                "imported": json.loads(imported.to_json(orient="records", date_format="iso")),
            })  # fmt: skip
            return
        if pivot and matrix is not None:
            mean = matrix.mean(axis=1, skipna=True)
            cover = matrix.notna().sum(axis=1)
            body = [[m, *[fmt_cell(matrix.loc[m, t]) for t in matrix.columns], fmt_cell(mean[m]), f"{int(cover[m])}/{matrix.shape[1]}"]
                    for m in mean.sort_values(ascending=False).index]  # fmt: skip
            out.print(table(f"{task_type} tasks: main scores (measured here)", ["model", *matrix.columns, "Mean(Task)", "tasks"], body))
        elif not measured.empty:
            body = [[r.model, r.task, r.type, r.main_metric, fmt_cell(r.main_score), r.provenance, r.run_id] for r in measured.itertuples()]
            out.print(
                table("Embedding-task results (measured here)", ["model", "task", "type", "main score", "value", "provenance", "run"], body)
            )
    if not imported.empty and not json_out:
        body = [[r.model, r.task, r.main_metric, fmt_cell(r.main_score)] for r in imported.itertuples()]
        out.print(
            table("Imported (not measured here; never in the statistics above)", ["model [imported]", "task", "main score", "value"], body)
        )


def fmt_cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "—"
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def pd_empty() -> Any:
    import pandas as pd

    return pd.DataFrame()
