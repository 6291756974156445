"""`bench suites list|show`: named suites (BEIR-13, MTEB(eng, v2), ...) and which of their members are at hand."""

from __future__ import annotations

from typing import Annotated

import typer

from bench.cli.common import JsonOption, app, emit_json, out, table

suites_app = typer.Typer(help="Named suites (classic-7, beir-13, beir-18, cqadupstack, MTEB benchmarks) and their members.",
                         no_args_is_help=True)  # fmt: skip
app.add_typer(suites_app, name="suites")


def _kinds(members: list) -> str:
    kinds = sorted({m.kind for m in members})
    return " + ".join({"dataset": "retrieval", "task": "tasks", "suite": "suites"}[k] for k in kinds)


@suites_app.command("list")
def suites_list(json_out: JsonOption = False) -> None:
    """Every suite: what it averages, its members, how many are at hand here."""
    from bench.suites.registry import at_hand, get_suite, suite_names

    rows = []
    for name in suite_names():
        s = get_suite(name)
        found, missing = at_hand(s)
        rows.append({"name": s.name, "title": s.title, "metric": s.metric, "members": len(s.members), "leaves": len(s.leaves()),
                     "kinds": _kinds(list(s.members)), "at_hand": len(found), "missing": len(missing), "source": s.source,
                     "mteb_benchmark": s.mteb_benchmark})  # fmt: skip
    if json_out:
        emit_json(rows)
        return
    body = [[r["name"], r["title"], r["metric"], r["kinds"], r["members"], f"{r['at_hand']} of {r['leaves']}"] for r in rows]
    out.print(
        table("Suites (bench/suites/suites.yaml)", ["suite", "what it averages", "metric", "members are", "members", "at hand"], body)
    )
    out.print("a suite's mean is shown only for a model with every member; a nested suite counts once, as its own mean", markup=False)


@suites_app.command("show")
def suites_show(name: Annotated[str, typer.Argument(help="A suite name (`bench suites list`).")], json_out: JsonOption = False) -> None:
    """A suite's members, how each is aggregated, which are found here (and where), which are missing."""
    from bench.suites.registry import MAIN_SCORE, get_suite, member_path

    s = get_suite(name)
    rows = []
    for m in s.members:
        if m.kind == "suite":
            sub = get_suite(m.ref)
            found = sum(member_path(leaf) is not None for leaf in sub.leaves())
            where = f"{found} of {len(sub.leaves())} members at hand"
            rule = f"mean of its {len(sub.members)} members, counted once"
        else:
            path = member_path(m)
            where = str(path) if path else None
            rule = ("nDCG@10" if s.metric == MAIN_SCORE else s.metric) if m.kind == "dataset" else "the task's main score"
        rows.append({"member": m.name, "kind": m.kind, "mteb_task": m.mteb or _mteb_name(m), "aggregation": rule, "found": where})
    if json_out:
        emit_json({"name": s.name, "title": s.title, "metric": s.metric, "source": s.source, "mteb_benchmark": s.mteb_benchmark,
                   "members": rows})  # fmt: skip
        return
    body = [[r["member"], r["kind"], r["mteb_task"] or "", r["aggregation"], r["found"] or "missing"] for r in rows]
    out.print(table(f"{s.name}: {s.title}", ["member", "kind", "MTEB task", "counts as", "found"], body))
    have = sum(r["found"] is not None and not str(r["found"]).startswith("0 of") for r in rows)
    out.print(f"{have} of {len(rows)} members at hand; source: {s.source}", markup=False, soft_wrap=True)


def _mteb_name(member: object) -> str | None:
    """The MTEB task a dataset member is (``scifact`` -> ``SciFact``, from ``bench/datasets/mteb_tasks.yaml``), else None."""
    from bench.interop.mteb_names import mteb_tasks

    if getattr(member, "kind", None) != "dataset":
        return None
    return next((task for task, name in mteb_tasks().items() if name == getattr(member, "ref", None)), None)
