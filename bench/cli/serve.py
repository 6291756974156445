"""`bench demo` and `bench leaderboard`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from bench.cli.common import DbOption, app, db_path, err, out
from bench.cli.runs import results
from bench.errors import BenchError


@app.command()
def demo(
    models: Annotated[Path, typer.Option(help="Folder of reference specs.")] = Path("models"),
    db: DbOption = None,
    rerun: Annotated[bool, typer.Option("--rerun", help="Run again even when the same spec already ran on the same data.")] = False,
    dataset: Annotated[
        list[str] | None,
        typer.Option("--dataset", "-d", help='Only these datasets (repeat; make demo DATASETS="adi time"); default: every local classic.'),
    ] = None,
) -> None:
    """Run every reference spec on the demo datasets (fetching SciFact if no local data), then print the results.

    A pair that cannot run here (a student not trained, its training collection absent, a model not installed) is
    skipped and listed after the results table; the demo goes on with the others.
    """
    from bench.demo import pairs, plan
    from bench.execute import execute_run
    from bench.progress import RichProgress
    from bench.store.db import open_read_only
    from bench.store.runs import has_run
    from bench.training.availability import untrained_reason

    path = db_path(db)
    p = plan(models, datasets=dataset)
    if p.fetched:
        out.print("no local datasets on the data path: fetched SciFact")
    todo = list(pairs(p))
    out.print(f"demo: {len(p.specs)} specs x {len(p.datasets)} datasets -> {path}")
    skipped: list[tuple[str, str, str]] = []
    for i, (spec_path, spec, ds) in enumerate(todo, start=1):
        if not rerun and path.is_file():
            with open_read_only(path) as con:
                if has_run(con, spec.spec_hash, ds.content_hash):
                    out.print(f"[{i}/{len(todo)}] {spec.name} on {ds.name}: already recorded")
                    continue
        if (untrained := untrained_reason(spec, str(spec_path))) is not None:  # a student: training takes minutes, not a demo's job
            out.print(f"[{i}/{len(todo)}] {spec.name} on {ds.name}: skipped, {untrained}", markup=False, soft_wrap=True)
            skipped.append((spec.name, ds.name, untrained))
            continue
        try:
            summary, _, _ = execute_run(spec, ds, path, spec_path=spec_path, progress=RichProgress(err))
        except BenchError as e:  # what cannot run here is skipped and listed; the demo goes on
            out.print(f"[{i}/{len(todo)}] {spec.name} on {ds.name}: skipped, {e}", markup=False, soft_wrap=True)
            skipped.append((spec.name, ds.name, str(e)))
            continue
        out.print(
            f"[{i}/{len(todo)}] {spec.name} on {ds.name}: nDCG@10 {summary.metrics['nDCG@10']:.4f}  R@100 {summary.metrics['R@100']:.4f}  ({summary.timings.total_s:.1f}s)"
        )
    if path.is_file():
        results(dataset=None, model=None, db=path, json_out=False)
    else:
        out.print(f"no run recorded in {path}", markup=False)
    if skipped:
        out.print(f"not run ({len(skipped)} of {len(todo)} pairs):", markup=False)
        for spec_name, ds_name, why in skipped:
            out.print(f"  {spec_name} on {ds_name}: {why}", markup=False, soft_wrap=True)


# --- issue 4: leaderboard (the Streamlit app lives in leaderboard/app.py)
@app.command()
def leaderboard(
    db: DbOption = None,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port on 127.0.0.1.")] = 8501,
) -> int:
    """Serve the leaderboard on http://127.0.0.1:PORT (reads the database, never writes; Ctrl-C stops it)."""
    import subprocess

    from bench.store.db import open_read_only

    app_file = Path(__file__).resolve().parents[2] / "leaderboard" / "app.py"
    if not app_file.is_file():
        raise BenchError(f"{app_file}: the leaderboard app is not here; run `bench leaderboard` from a source checkout (pip install -e .)")
    path = db_path(db).resolve()
    with open_read_only(path):  # fails now, with the fix, if the database is missing or too old
        pass
    cmd = [sys.executable, "-m", "streamlit", "run", str(app_file), "--server.address", "127.0.0.1", "--server.port", str(port)]
    cmd += ["--server.headless", "true", "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal"]
    cmd += ["--client.showErrorDetails", "type", "--", "--db", str(path)]  # no traceback (server paths) in the browser
    err.print(f"leaderboard on http://127.0.0.1:{port} (database {path}); Ctrl-C stops it", markup=False)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":  # become the server: signals (Ctrl-C, SIGTERM) reach it directly, no orphan is left behind
        os.execv(sys.executable, cmd)
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 130
