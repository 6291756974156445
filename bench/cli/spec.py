"""`bench spec params KIND` and `bench spec validate FILE...`: what a spec may say, and whether it says it well."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import typer

from bench.cli.common import JsonOption, app, emit_json, err, out, rendered, table

spec_app = typer.Typer(help="Runner parameters and spec validation (nothing is run).", no_args_is_help=True)
app.add_typer(spec_app, name="spec")


def _type_name(annotation: Any) -> str:
    """``int | None``, ``one of 'exact', 'faiss-flat'`` for a Literal."""
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(annotation))
    text = getattr(annotation, "__name__", None) or str(annotation)
    return text.replace("typing.", "").replace("NoneType", "None")


_OPS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<=", "min_length": "len >=", "max_length": "len <="}


def _bound(meta: Any) -> str:
    """``Gt(gt=0)`` -> ``> 0``; other constraints as pydantic writes them."""
    for attr, op in _OPS.items():
        value = getattr(meta, attr, None)
        if value is not None:
            return f"{op} {value}"
    return str(meta)


@spec_app.command("params")
def spec_params(
    kind: Annotated[
        str,
        typer.Argument(
            help="A runner kind: lucene-bm25, dense, splade or reasoning, or one a plugin registers (entry point brewbench.runners)."
        ),
    ],
    json_out: JsonOption = False,
) -> None:
    """Every parameter of a runner kind (`params:` in a spec, `--param` with -m): type, default and meaning."""
    from pydantic_core import PydanticUndefined

    from bench.runners.base import runner_class

    params = runner_class(kind).Params
    rows = []
    for name, field in params.model_fields.items():
        default = None if field.default is PydanticUndefined else field.default
        bounds = [_bound(m) for m in field.metadata]
        rows.append(
            {
                "name": name,
                "type": _type_name(field.annotation),
                "default": default,
                "required": field.is_required(),
                "bounds": ", ".join(bounds),
                "meaning": rendered(" ".join((field.description or "").split())),
            }
        )
    if json_out:
        emit_json(rows)
        return
    out.print(
        table(
            f"params of runner kind '{kind}'",
            ["name", "type", "default", "bounds", "meaning"],
            [[r["name"], r["type"], "(required)" if r["required"] else repr(r["default"]), r["bounds"], r["meaning"]] for r in rows],
        )
    )


@spec_app.command("validate")
def spec_validate(
    files: Annotated[list[Path], typer.Argument(help="Spec files (models/*.yaml schema).")],
    json_out: JsonOption = False,
) -> None:
    """Check spec files without running anything: every problem at once, each `file:line: field: problem; fix`."""
    from bench.errors import EvaluationError, SpecError
    from bench.runners.base import spec_file_problems
    from bench.specs import MetricProblem

    report = []
    for path in files:
        spec, problems = spec_file_problems(path)
        report.append({"file": str(path), "valid": not problems, "problems": problems, "spec_hash": spec.spec_hash if spec else None})
        if json_out:
            continue
        if problems:
            err.print(f"{path}: {len(problems)} problem(s)", markup=False, soft_wrap=True)
            for p in problems:
                err.print(f"  {p}", markup=False, soft_wrap=True)
        elif spec is not None:
            out.print(f"{path}: valid spec '{spec.name}' ({spec.kind}), spec hash {spec.spec_hash[:12]}", markup=False, soft_wrap=True)
    if json_out:
        emit_json(report)
    bad = [r["file"] for r in report if not r["valid"]]
    if bad:  # exit 6 when every problem is a metric name, like an unknown --metric
        metric_only = all(isinstance(p, MetricProblem) for r in report for p in r["problems"])
        raise (EvaluationError if metric_only else SpecError)(f"{len(bad)} of {len(files)} spec(s) invalid: {', '.join(bad)}")
