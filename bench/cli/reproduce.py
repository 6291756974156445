"""`bench reproduce`: re-run and compare with expected scores."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bench.cli.common import DbOption, JsonOption, app, db_path, emit_json, err, fmt, out, stdout_to_stderr
from bench.cli.submit import listing_problems


def _diff(v: float | None) -> str:
    return "—" if v is None else ("0" if v == 0 else f"{v:+.2e}")


@app.command()
def reproduce(
    target: Annotated[Path | None, typer.Argument(help="A spec (models/NAME.yaml) or a submission folder with a spec.")] = None,
    dataset: Annotated[list[str] | None, typer.Option("--dataset", "-d", help="Only these datasets (repeat the option).")] = None,
    task: Annotated[
        list[str] | None, typer.Option("--task", "-t", help="Embedding tasks (expected_tasks blocks) instead of datasets (repeat).")
    ] = None,
    suite: Annotated[
        str | None, typer.Option("--suite", help="Every retrieval member of this suite that is at hand (`bench suites show NAME`).")
    ] = None,
    all_specs: Annotated[bool, typer.Option("--all", help="Every spec in --models.")] = False,
    quick: Annotated[bool, typer.Option("--quick", help="Only the small shared collections (what CI runs).")] = False,
    models: Annotated[Path, typer.Option("--models", help="Folder of reference specs for --all.")] = Path("models"),
    db: DbOption = None,
    record: Annotated[bool, typer.Option("--record/--no-record", help="Record the checks (and passing re-runs).")] = True,
    print_expected: Annotated[
        bool, typer.Option("--print-expected", help="Run TARGET on --dataset and print `expected:` entries for its YAML; no verdict.")
    ] = False,
    replay_thoughts: Annotated[
        bool,
        typer.Option(
            "--replay-thoughts", help="Reasoning specs: re-use the thoughts logged with the latest recorded run on the same data (--db)."
        ),
    ] = False,
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh",
            help="Read no cache (embeddings, thoughts, Lucene indexes, training stages: students are trained again); "
            "the verdict says fresh.",
        ),
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Re-run and compare with expected scores: OK (exact), OKish (within tolerance), FAIL (beyond, either way)."""
    import yaml

    from bench.errors import ReproductionFailed
    from bench.progress import RichProgress
    from bench.reproduction import all_targets, measure_expected, publish_reproduced, reproduce_all, spec_targets, submission_targets

    progress = RichProgress(err)
    datasets = list(dataset or [])
    if suite is not None:
        from bench.errors import DatasetError
        from bench.suites.registry import expand, get_suite

        if target is None or not target.is_file() or all_specs or task:
            raise typer.BadParameter("--suite goes with one spec file (not --all, a submission folder or -t)", param_hint="--suite")
        suite_datasets, _tasks, missing = expand(get_suite(suite))
        if missing:
            err.print(f"{suite}: {len(missing)} member(s) not at hand, not checked: {', '.join(missing)}", markup=False, soft_wrap=True)
        if not suite_datasets:
            raise DatasetError(f"no retrieval member of suite {suite} is at hand; `bench suites show {suite}` lists them")
        datasets += [d for d in suite_datasets if d not in datasets]
    if task:
        if target is None or not target.is_file() or all_specs or datasets:
            raise typer.BadParameter("-t goes with one spec file (not --all, a submission folder or -d)", param_hint="-t")
        _reproduce_tasks(target, list(task), db_path(db) if record else None, print_expected, fresh, json_out, progress)
        return
    if print_expected:
        if target is None or not target.is_file() or not datasets:
            raise typer.BadParameter("--print-expected needs a spec file and at least one --dataset", param_hint="--print-expected")
        with stdout_to_stderr(True):
            entries = measure_expected(target, datasets, progress)
        sys.stdout.write(yaml.safe_dump({"expected": entries}, sort_keys=False, width=1000))
        return
    if all_specs == (target is not None):
        raise typer.BadParameter("give a spec or a submission folder, or --all (not both)", param_hint="TARGET")
    with listing_problems():
        if all_specs:
            targets = all_targets(models, quick)
        elif target is not None and target.is_dir():
            targets = submission_targets(target)
        elif target is not None:
            targets = spec_targets(target, datasets, quick)
    from bench.training.availability import NotChecked

    not_checked = [NotChecked(t.spec.name, t.source, t.not_here, t.dataset_name) for t in targets if t.not_here]
    targets = [t for t in targets if not t.not_here]
    if all_specs and quick:  # quick checks do not train (not even --fresh): untrained students are listed, never dropped
        from bench.training.availability import split_untrained

        targets, untrained = split_untrained(targets)
        not_checked = untrained + not_checked
    path = db_path(db) if record else None
    from contextlib import nullcontext

    from bench.paths import fresh_caches

    with stdout_to_stderr(True), fresh_caches() if fresh else nullcontext():
        replay_from = db_path(db) if replay_thoughts else None
        results_ = list(reproduce_all(targets, path, progress, replay_from=replay_from, fresh=fresh))
    task_checks = _all_spec_tasks(models, quick, path, fresh, progress) if all_specs else []
    notes = []
    sub = targets[0].submission if targets else None
    if sub is not None and path is not None:
        notes.append(publish_reproduced(path, sub, results_))
    failed = [r for r in results_ if r.verdict == "FAIL"]
    if json_out:
        emit_json([r.as_json() for r in results_] + [n.as_json() for n in not_checked] + [c.as_json() for c in task_checks])
    else:
        table = Table(title="Reproduction: expected vs observed", title_justify="left")
        for c in ("model", "dataset", "metric", "expected", "observed", "diff", "tolerance", "verdict", "how"):
            table.add_column(c, justify="right" if c in ("expected", "observed", "diff", "tolerance") else "left")
        for r in results_:
            if r.problem:
                table.add_row(r.target.spec.name, r.target.dataset_name, "—", "—", "—", "—", "—", "FAIL", r.how)
            for c in r.checks:
                values = (fmt(c.expected), fmt(c.observed), _diff(c.diff), "0" if c.tolerance == 0 else f"{c.tolerance:.1e}")
                verdict = "OKish" if c.verdict == "OK" and r.weights_note else c.verdict
                table.add_row(r.target.spec.name, r.target.dataset_name, c.metric, *values, verdict, r.how)
        out.print(table)
        _published_table(results_)
        for r in results_:
            if r.published_note:
                out.print(f"{r.target.spec.name} on {r.target.dataset_name}: {r.published_note}", markup=False, soft_wrap=True)
            if r.problem:
                out.print(f"FAIL {r.target.spec.name} on {r.target.dataset_name}: {r.problem}", markup=False, soft_wrap=True)
            elif r.mode != "generated":
                out.print(f"{r.verdict} {r.target.spec.name} on {r.target.dataset_name}: {r.mode}", markup=False, soft_wrap=True)
            if r.note:
                out.print(f"{r.verdict} {r.target.spec.name} on {r.target.dataset_name}: {r.note}", markup=False, soft_wrap=True)
        counts = {v: sum(r.verdict == v for r in results_) for v in ("OK", "OKish", "FAIL")}
        out.print(
            f"{len(results_)} reproduction(s): {counts['OK']} OK, {counts['OKish']} OKish, {counts['FAIL']} FAIL"
            + (f"; {len(not_checked)} NOT CHECKED ({_not_checked_why(not_checked)})" if not_checked else "")
            + ("; fresh (no cache read)" if fresh else "")
            + (f"; recorded in {path}" if path else ""),
            markup=False,
        )
        for n in not_checked:
            on = f" on {n.dataset}" if n.dataset else ""
            out.print(f"NOT CHECKED {n.model}{on}: {n.reason}", markup=False, soft_wrap=True)
        for note in notes:
            if note:
                out.print(note, markup=False, soft_wrap=True)
    if task_checks and not json_out:
        _task_table(task_checks)
    task_failed = sum(c.verdict == "FAIL" for c in task_checks)
    if task_failed and not failed:
        from bench.errors import ReproductionFailed

        raise ReproductionFailed(f"{task_failed} embedding-task reproduction(s) FAILED (table above)")
    if failed:
        worst = "; ".join(
            f"{r.target.spec.name} on {r.target.dataset_name}"
            + (f" ({', '.join(f'{c.metric} {_diff(c.diff)}' for c in r.checks if c.verdict == 'FAIL')})" if r.checks else "")
            for r in failed
        )
        raise ReproductionFailed(f"{len(failed)} of {len(results_)} reproduction(s) FAILED: {worst}")


def _published_table(results_: list) -> None:
    """The runs against published reference tables, at the tables' printed precision (2CR: four decimals)."""
    rows = [(r, c) for r in results_ for c in r.published_checks]
    if not rows:
        return
    table = Table(title="Against published reference tables (OK: equal at the printed decimals; OKish: within 5 in the next)",
                  title_justify="left")  # fmt: skip
    for c in ("model", "dataset", "table and row", "metric", "published", "observed", "diff", "verdict"):
        table.add_column(c, justify="right" if c in ("published", "observed", "diff") else "left")
    for r, c in rows:
        table.add_row(r.target.spec.name, r.target.dataset_name, r.published_from or "", c.metric, f"{c.expected:.4f}",
                      "—" if c.observed is None else f"{c.observed:.4f}", _diff(c.diff), c.verdict)  # fmt: skip
    out.print(table)


def _task_table(checks: list) -> None:
    table = Table(title="Embedding tasks: expected vs observed (mteb)", title_justify="left")
    for c in ("model", "task", "score", "expected", "observed", "diff", "tolerance", "verdict", "expected from"):
        table.add_column(c, justify="right" if c in ("expected", "observed", "diff", "tolerance") else "left")
    for r in checks:
        if r.problem:
            table.add_row(r.spec.name, r.task_name, "—", "—", "—", "—", "—", "FAIL", "—")
        for c in r.checks:
            tol = "0" if c.tolerance == 0 else f"{c.tolerance:.1e}"
            table.add_row(
                r.spec.name,
                r.task_name,
                c.metric,
                fmt(c.expected),
                fmt(c.observed),
                _diff(c.diff),
                tol,
                c.verdict,
                r.published or "measured here",
            )
    out.print(table)
    for r in checks:
        if r.problem:
            out.print(f"FAIL {r.spec.name} on {r.task_name}: {r.problem}", markup=False, soft_wrap=True)


def _reproduce_tasks(
    spec_path: Path, names: list[str], db: Path | None, print_expected: bool, fresh: bool, json_out: bool, progress
) -> None:
    from contextlib import nullcontext

    import yaml

    from bench.errors import ReproductionFailed
    from bench.paths import fresh_caches
    from bench.specs import load_spec
    from bench.tasks.reproduce import check_tasks, measured_entries, task_targets

    spec = load_spec(spec_path)
    with stdout_to_stderr(True), fresh_caches() if fresh else nullcontext():
        if print_expected:
            entries = measured_entries(spec, names, spec_path=spec_path, progress=progress)
        else:
            targets = task_targets(spec, str(spec_path), names)
            checks = list(check_tasks(spec, targets, db, spec_path=spec_path, progress=progress))
    if print_expected:
        sys.stdout.write(yaml.safe_dump({"expected_tasks": entries}, sort_keys=False, width=1000))
        return
    if json_out:
        emit_json([c.as_json() for c in checks])
    else:
        _task_table(checks)
    failed = [c for c in checks if c.verdict == "FAIL"]
    if failed:
        raise ReproductionFailed(f"{len(failed)} of {len(checks)} task reproduction(s) FAILED: {', '.join(c.task_name for c in failed)}")


def _all_spec_tasks(models: Path, quick: bool, db: Path | None, fresh: bool, progress) -> list:
    """``--all``: the expected_tasks blocks of every spec (``--quick``: QUICK_TASKS); students are skipped under --quick
    (quick checks do not train)."""
    from contextlib import nullcontext

    from bench.paths import fresh_caches
    from bench.specs import load_spec
    from bench.tasks.reproduce import check_tasks, task_targets

    checks = []
    with stdout_to_stderr(True), fresh_caches() if fresh else nullcontext():
        for path in sorted(models.glob("*.yaml")):
            spec = load_spec(path)
            if not spec.expected_tasks or (quick and spec.training is not None):
                continue
            targets = task_targets(spec, str(path), quick=quick)
            if targets:
                checks += list(check_tasks(spec, targets, db, spec_path=path, progress=progress))
    return checks


def _not_checked_why(items: list) -> str:
    """The summary's reason for the NOT CHECKED targets: untrained students, published sets not at hand, or both."""
    why = []
    if any(n.dataset is None for n in items):
        why.append("students not trained here; quick checks do not train")
    if any(n.dataset is not None for n in items):
        why.append("published sets not at hand")
    return "; ".join(why)
