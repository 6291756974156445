"""`bench train`: run a spec's training recipe (mine -> teacher-score -> filter -> train), record the training card."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bench.cli.common import DbOption, JsonOption, app, db_path, emit_json, err, out, stdout_to_stderr, table


@app.command()
def train(
    spec: Annotated[Path, typer.Argument(help="A spec with a training: recipe, e.g. models/softlabel-minilm.yaml.")],
    check: Annotated[
        bool, typer.Option("--check", help="Retrain from scratch (fresh stage caches) and compare the weights hash with the spec's.")
    ] = False,
    plan_only: Annotated[
        bool,
        typer.Option(
            "--plan", help="Only plan: validate the recipe, print each stage's key and whether it is cached, and the data it reads."
        ),
    ] = False,
    db: DbOption = None,
    record: Annotated[bool, typer.Option("--record/--no-record", help="Record the training card in the database.")] = True,
    json_out: JsonOption = False,
) -> None:
    """Train the student a spec's recipe describes; each stage is cached, so a changed recipe re-runs only what it affects."""
    from bench.errors import ReproductionFailed
    from bench.progress import RichProgress
    from bench.specs import load_spec
    from bench.training.pipeline import check_training, train_recipe

    model = load_spec(spec)
    if plan_only:
        _print_plan(model, str(spec), json_out)
        return
    progress = RichProgress(err)
    with stdout_to_stderr(True):
        result = check_training(model, str(spec), progress) if check else train_recipe(model, str(spec), progress)
    card = result.card()
    pinned = model.weights.sha256 if model.weights else None
    card_id = None
    if record and not check:
        from bench.store.db import open_writer
        from bench.store.training import record_training_card

        with open_writer(db_path(db)) as con:
            card_id = record_training_card(con, card)
    if json_out:
        emit_json({**card, "card_id": card_id, "pinned_sha256": pinned, "matches_spec": pinned == result.weights_sha256})
    else:
        c = result.counts
        data = result.training_data()
        rows = [[stage, result.stages[stage], f"{result.stage_s[stage]:.1f}", result.keys[stage][:12]] for stage in result.keys]
        out.print(table(f"{result.model}: training stages", ["stage", "status", "seconds", "key"], rows))
        out.print(
            f"{c.examples} examples from {c.queries} queries on "
            f"{', '.join([x['name'] for x in result.collections] + [f'{x} (generated)' for x in data['corpora_read']])}; "
            f"negatives kept {c.negatives_kept}, dropped by the margin {c.negatives_dropped}, examples short of negatives {c.examples_short}",
            markup=False,
            soft_wrap=True,
        )
        out.print(
            f"{result.steps} steps, {result.examples_trained} examples in {result.train_s:.1f}s ({result.examples_per_s:.1f} examples/s); "
            f"seed {card['seed']}, threads {card['threads']}; model folder {result.model_folder}",
            markup=False,
            soft_wrap=True,
        )
        out.print(f"training data: {data['zero_shot']}", markup=False, soft_wrap=True)
        out.print(
            f"weights sha256 {result.weights_sha256}" + (f"; card {card_id} recorded in {db_path(db)}" if card_id else ""), markup=False
        )
    if pinned is None:
        err.print(f"note: {spec} pins no weights.sha256; pin {result.weights_sha256} so runs and --check compare against it", markup=False)
    elif pinned != result.weights_sha256:
        message = (
            f"{spec}: the trained weights hash to {result.weights_sha256}, but weights.sha256 pins {pinned}; "
            "if the recipe changed on purpose, update weights.sha256 (and re-measure expected scores)"
        )
        if check:
            raise ReproductionFailed(f"retraining did not reproduce the pinned weights: {message}")
        err.print(f"warning: {message}", markup=False, soft_wrap=True)
    elif check:
        out.print(f"OK: retraining reproduced the pinned weights bit for bit ({pinned})", markup=False)


def _print_plan(model: object, source: str, json_out: bool) -> None:
    """``bench train --plan``: the stage keys under the kernel pin ``bench train`` uses, cached or not; nothing runs."""
    from bench.kernels import PIN_NAME
    from bench.training.cache import stage_cache
    from bench.training.pipeline import plan

    p = plan(model, source, kernels=PIN_NAME)  # type: ignore[arg-type]
    status = {s: ("cached" if stage_cache(s, p.root).load(k, count=False) is not None else "to run") for s, k in p.keys.items()}
    q = p.recipe.queries
    data = {
        "model": p.spec.name,
        "stages": {s: {"key": k, "status": status[s]} for s, k in p.keys.items()},
        "evaluation_data": p.recipe.evaluation_data,
        "judgments_read": [f"{c.name} ({c.dataset.split})" for c in p.collections],
        "corpora_read": [c.name for c in p.corpora],
        "generated_queries": len(p.corpora) * q.docs * q.per_doc if q.source == "generated" else 0,
        "replay": q.replay,
        "log": q.log,
    }
    if json_out:
        emit_json(data)
        return
    rows = [[s, v["status"], v["key"][:12]] for s, v in data["stages"].items()]
    out.print(table(f"{p.spec.name}: training plan (nothing run)", ["stage", "status", "key"], rows))
    if q.source == "generated":
        out.print(
            f"generate: up to {data['generated_queries']} queries ({q.docs} documents x {q.per_doc} per corpus of "
            f"{', '.join(data['corpora_read'])}; seed {q.seed}; "
            + (f"replayed from {q.replay})" if q.replay else f"generator {q.generator.id}, logged to {q.log or 'the stage cache only'})"),
            markup=False,
            soft_wrap=True,
        )
    reads = {"judgments": "test queries and judgments", "corpus": "corpora only", "nothing": "no evaluation collection"}
    out.print(f"evaluation data read: {reads[p.recipe.evaluation_data]} ({p.recipe.evaluation_data})", markup=False)
