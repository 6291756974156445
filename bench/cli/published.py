"""`bench published list|load`: the published reference numbers we hold (Pyserini 2CR, MTEB results), with their source."""

from __future__ import annotations

from typing import Annotated

import typer

from bench.cli.common import PUBLISHED_SOURCES, DbOption, JsonOption, app, db_path, emit_json, out, table

published_app = typer.Typer(help="Published reference tables (Pyserini 2CR from the installed pyserini, MTEB results).",
                            no_args_is_help=True)  # fmt: skip
app.add_typer(published_app, name="published")

SourceOption = Annotated[
    str | None, typer.Option("--source", help="Only this source (default: both).", metavar="<" + "|".join(PUBLISHED_SOURCES) + ">")
]


@published_app.command("list")
def published_list(
    source: SourceOption = None,
    dataset: Annotated[list[str] | None, typer.Option("--dataset", "-d", help="Only these datasets (repeat).")] = None,
    json_out: JsonOption = False,
) -> None:
    """Every published number we hold: table, row, dataset, metric, value, where it is printed, and whether the dataset's
    content is registered (only then can a run here be compared with it)."""
    from bench.published.tables import published, registered_contents

    rows = [r for r in published(source) if not dataset or r.dataset in dataset]
    from bench.datasets.contents import fetched_contents

    registered = {name for name, _, _ in registered_contents()} | {k.dataset for k in fetched_contents() if k.published}
    if json_out:
        emit_json([r.as_json() | {"content_registered": r.dataset in registered} for r in rows])
        return
    cells: dict[tuple[str, str, str], dict[str, float]] = {}
    refs: dict[str, str] = {}
    for r in rows:
        cells.setdefault((r.source, r.condition, r.dataset), {})[r.metric] = r.value
        refs[r.source] = r.source_ref if r.source == "pyserini-2cr" else r.source_ref.rsplit("/", 1)[0] + "/"
    metrics = list(dict.fromkeys(r.metric for r in rows))
    body = [[s, c, d, *[None if m not in v else f"{v[m]:.4f}" if s == "pyserini-2cr" else f"{v[m]:.5f}" for m in metrics],
             "registered" if d in registered else "not registered"] for (s, c, d), v in cells.items()]  # fmt: skip
    out.print(table("Published reference numbers (provenance: published)", ["source", "row", "dataset", *metrics, "content"], body))
    for s, ref in refs.items():
        out.print(f"{s}: {ref}", markup=False, soft_wrap=True)
    out.print(
        f"{len(rows)} numbers; a run is compared with one only on registered content (bench/published/content.yaml or a "
        "fetched BEIR zip), "
        "and published numbers never enter a measured mean, test or rank",
        markup=False,
        soft_wrap=True,
    )


@published_app.command("load")
def published_load(source: SourceOption = None, db: DbOption = None) -> None:
    """Store the published numbers in the database (table published_scores), each with its source, for the leaderboard."""
    from bench.published.tables import published
    from bench.store.db import open_writer
    from bench.store.published import store_published

    rows = published(source)
    with open_writer(db_path(db)) as con:
        n = store_published(con, rows)
    out.print(f"{n} published numbers in {db_path(db)} (table published_scores)", markup=False)
