"""Named suites (``suites.yaml`` beside this module): what "BEIR-13 nDCG@10" or "MTEB(eng, v2) mean" averages.

A suite's members are retrieval datasets (registry names), embedding tasks (names of ``bench/tasks/registry.yaml`` or
their MTEB names) and other suites, which count once, as their own mean. MTEB's benchmarks are read from mteb's own
benchmark objects (:func:`mteb.get_benchmark`), never copied by hand. Which members are *at hand* (a local copy on the
data search path) is :func:`at_hand`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

from bench.errors import DatasetError
from bench.suggest import did_you_mean
from bench.yamlfile import YamlSyntaxError, line_of, read_yaml_file

SUITES_FILE = Path(__file__).with_name("suites.yaml")
_FIELDS = {"name", "title", "metric", "source", "members", "folder", "mteb_benchmark"}
MAIN_SCORE = "main_score"
"""A suite metric meaning: each member's own main score (nDCG@10 for a retrieval member, the task's for a task)."""

MemberKind = Literal["dataset", "task", "suite"]


@dataclass(frozen=True)
class Member:
    """One member of a suite.

    ``name`` is how tables show it (a registry name, ``cqadupstack-android``, a task name); ``ref`` is what finds its
    local copy (``cqadupstack/android`` for a forum of a ``folder`` suite); ``mteb`` is MTEB's task name when the member
    came from an mteb benchmark.
    """

    name: str
    kind: MemberKind
    ref: str
    mteb: str | None = None


@dataclass(frozen=True)
class Suite:
    name: str
    title: str
    metric: str
    source: str
    members: tuple[Member, ...]
    mteb_benchmark: str | None = None

    def leaves(self) -> list[Member]:
        """Every dataset and task under this suite, nested suites expanded (each once)."""
        out: list[Member] = []
        for m in self.members:
            for leaf in get_suite(m.ref).leaves() if m.kind == "suite" else [m]:
                if leaf not in out:
                    out.append(leaf)
        return out


def _fail(line: int | None, what: str, fix: str) -> DatasetError:
    return DatasetError(f"{SUITES_FILE}{f':{line}' if line else ''}: {what}; {fix}")


def _member_kind(name: str) -> tuple[MemberKind, str] | None:
    from bench.datasets.registry import known
    from bench.tasks.reader import known_tasks

    if known(name) is not None:
        return "dataset", name
    tasks = known_tasks()
    if name in tasks:
        return "task", name
    by_mteb = next((t.name for t in tasks.values() if t.mteb_task == name), None)
    return ("task", by_mteb) if by_mteb else None


def _mteb_members(benchmark: str) -> tuple[Member, ...]:
    """The tasks of mteb's benchmark object, each mapped to our dataset or task of the same content where we have one."""
    import mteb

    from bench.interop.mteb_names import dataset_for_task

    try:
        bench_obj = mteb.get_benchmark(benchmark)
    except (KeyError, ValueError) as e:
        raise _fail(None, f"mteb {mteb.__version__} has no benchmark '{benchmark}' ({e})", "name one of mteb.get_benchmarks()") from None
    out = []
    for t in bench_obj.tasks:
        name = t.metadata.name
        ds = dataset_for_task(name)
        if ds is not None:
            out.append(Member(ds, "dataset", ds, mteb=name))
            continue
        found = _member_kind(name)
        ref = found[1] if found and found[0] == "task" else name
        out.append(Member(ref, "task", ref, mteb=name))
    return tuple(out)


@lru_cache(maxsize=1)
def _raw() -> dict[str, tuple[dict, int | None]]:
    try:
        data, node = read_yaml_file(SUITES_FILE)
    except YamlSyntaxError as e:
        raise DatasetError(str(e)) from None
    if not isinstance(data, dict) or not isinstance(data.get("suites"), list):
        raise _fail(None, "expected a top-level `suites:` list", "see the comment at the top of the file")
    out: dict[str, tuple[dict, int | None]] = {}
    for i, e in enumerate(data["suites"]):
        line = line_of(node, ("suites", i))
        if not isinstance(e, dict) or not isinstance(e.get("name"), str):
            raise _fail(line, "a suite needs a `name`", "give each entry name, title, metric, source and members")
        extra = set(e) - _FIELDS
        if extra:
            raise _fail(line, f"unknown field(s) {', '.join(sorted(extra))} in suite {e['name']}", f"use only {', '.join(sorted(_FIELDS))}")
        if e["name"] in out:
            raise _fail(line, f"suite {e['name']} is defined twice", "give each suite one entry")
        if ("members" in e) == ("mteb_benchmark" in e):
            raise _fail(
                line, f"suite {e['name']} needs exactly one of members and mteb_benchmark", "list members, or name mteb's benchmark"
            )
        out[e["name"]] = (e, line)
    return out


def suite_names() -> list[str]:
    return list(_raw())


def suite_title(name: str) -> str:
    """A suite's title as ``suites.yaml`` writes it, without building its members (no mteb import)."""
    e, _ = _raw()[name]
    return str(e.get("title") or name)


@cache
def get_suite(name: str) -> Suite:
    """The suite called ``name``, its members checked (known datasets, tasks or suites; no cycle; no member twice).

    Raises:
        DatasetError: no such suite (with did-you-mean), or its entry in ``suites.yaml`` is wrong.
    """
    raw = _raw()
    if name not in raw:
        raise DatasetError(f"no suite named '{name}'.{did_you_mean(name, raw)} `bench suites list` shows them")
    return _build(name, ())


def _build(name: str, stack: tuple[str, ...]) -> Suite:
    raw = _raw()
    e, line = raw[name]
    if name in stack:
        raise _fail(line, f"suite {name} contains itself ({' -> '.join([*stack, name])})", "remove the cycle")
    if e.get("mteb_benchmark"):
        members = _mteb_members(e["mteb_benchmark"])
    else:
        if not isinstance(e["members"], list) or not e["members"]:
            raise _fail(line, f"suite {name}: members must be a non-empty list", "list dataset, task or {suite: NAME} entries")
        folder = e.get("folder")
        built: list[Member] = []
        for m in e["members"]:
            if isinstance(m, dict) and set(m) == {"suite"} and isinstance(m["suite"], str):
                if m["suite"] not in raw:
                    raise _fail(line, f"suite {name}: member suite '{m['suite']}' is not defined", "define it or remove the member")
                _build(m["suite"], (*stack, name))
                built.append(Member(m["suite"], "suite", m["suite"]))
            elif isinstance(m, str) and folder:
                built.append(Member(f"{folder}-{m}", "dataset", f"{folder}/{m}"))
            elif isinstance(m, str):
                found = _member_kind(m)
                if found is None:
                    raise _fail(line, f"suite {name}: '{m}' is neither a registered dataset nor a task", "use a registry name")
                built.append(Member(found[1], found[0], found[1]))
            else:
                raise _fail(line, f"suite {name}: member {m!r} is not a name or {{suite: NAME}}", "write plain names")
        members = tuple(built)
    names = [m.name for m in members]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise _fail(line, f"suite {name} lists {dup} twice", "list each member once")
    suite = Suite(name, str(e.get("title") or name), str(e.get("metric") or "nDCG@10"), str(e.get("source") or ""), members,
                  e.get("mteb_benchmark"))  # fmt: skip
    leaves = [leaf.name for m in members for leaf in (_build(m.ref, (*stack, name)).leaves() if m.kind == "suite" else [m])]
    dup = next((n for n in leaves if leaves.count(n) > 1), None)
    if dup:
        raise _fail(line, f"suite {name} has {dup} both directly and in a nested suite", "list it once (nested suites count once)")
    return suite


def member_path(member: Member) -> Path | None:
    """The local copy of a dataset or task member on the data search path, or None when it is not at hand."""
    if member.kind == "dataset":
        from bench.datasets.registry import find_local

        return find_local(member.ref) or (find_local(member.name) if member.name != member.ref else None)
    if member.kind == "task":
        from bench.tasks.reader import find_task

        try:
            return find_task(member.ref).path
        except DatasetError:
            return None
    return None


def at_hand(suite: Suite) -> tuple[list[Member], list[Member]]:
    """(members found here, members missing), nested suites expanded into their datasets and tasks."""
    found, missing = [], []
    for leaf in suite.leaves():
        (found if member_path(leaf) is not None else missing).append(leaf)
    return found, missing


def expand(suite: Suite) -> tuple[list[str], list[str], list[str]]:
    """What ``--suite`` runs: (dataset folders at hand, task names at hand, names of the members missing here)."""
    datasets, tasks, missing = [], [], []
    for leaf in suite.leaves():
        path = member_path(leaf)
        if path is None:
            missing.append(leaf.name)
        elif leaf.kind == "dataset":  # by name where it is one (the registry's scoring rules apply), else its folder
            datasets.append(leaf.ref if "/" not in leaf.ref else str(path))
        else:
            tasks.append(leaf.ref)
    return datasets, tasks, missing
