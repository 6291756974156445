"""Names shared with MTEB: metric keys (``nDCG@10`` <-> ``ndcg_at_10``) and task names (``NFCorpus`` <-> ``nfcorpus``).

The task table is data, ``bench/datasets/mteb_tasks.yaml``, beside the dataset registry.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from bench.errors import DatasetError
from bench.yamlfile import YamlSyntaxError, line_of, read_yaml_file

TASKS_FILE = Path(__file__).resolve().parent.parent / "datasets" / "mteb_tasks.yaml"

# canonical measure name (bench.evaluation.measures) -> the prefix of mteb's retrieval score keys
_PREFIXES: dict[str, str] = {"nDCG": "ndcg_at", "R": "recall_at", "P": "precision_at", "AP": "map_at", "RR": "mrr_at"}
_CANONICAL = re.compile(r"^(?P<name>nDCG|R|P|AP|RR)@(?P<k>[1-9][0-9]{0,6})$")
_MTEB_KEY = re.compile(r"^(?P<prefix>ndcg_at|recall_at|precision_at|map_at|mrr_at)_(?P<k>[1-9][0-9]{0,6})$")
MAIN_SCORE = "nDCG@10"
"""The measure behind ``main_score`` of every retrieval task brewbench exports (mteb's ``ndcg_at_10``)."""


def to_mteb_key(metric: str) -> str | None:
    """``nDCG@10`` -> ``ndcg_at_10``, ``R@100`` -> ``recall_at_100``; None for a measure mteb has no key for (``AP``, ``nDCG``)."""
    m = _CANONICAL.match(metric)
    return f"{_PREFIXES[m['name']]}_{m['k']}" if m else None


def from_mteb_key(key: str) -> str | None:
    """``ndcg_at_10`` -> ``nDCG@10``, ``map_at_1000`` -> ``AP@1000``; None for any other key (``main_score``, ``nauc_*``...)."""
    m = _MTEB_KEY.match(key)
    if not m:
        return None
    name = next(n for n, p in _PREFIXES.items() if p == m["prefix"])
    return f"{name}@{m['k']}"


def local_task_name(dataset: str) -> str:
    """The MTEB task name of a collection mteb does not have (``cranfield`` -> ``BrewbenchCranfield``), as :func:`mteb_task` names it."""
    return f"Brewbench{dataset.title()}"


@lru_cache(maxsize=1)
def mteb_tasks() -> dict[str, str]:
    """MTEB task name -> registry dataset name, from ``bench/datasets/mteb_tasks.yaml`` (checked against the registry).

    Raises:
        DatasetError: the file is malformed, names an unregistered dataset, or maps two tasks to one dataset.
    """
    from bench.datasets.registry import known

    try:
        data, root = read_yaml_file(TASKS_FILE)
    except YamlSyntaxError as e:
        raise DatasetError(str(e)) from e
    tasks = data.get("tasks") if isinstance(data, dict) else None
    if not isinstance(tasks, dict):
        raise DatasetError(f"{TASKS_FILE}:1: a mapping with a 'tasks' mapping (MTEB task name: registry name); fix the file")
    seen: dict[str, str] = {}
    for task, name in tasks.items():
        where = f"{TASKS_FILE}:{line_of(root, ('tasks', task)) or 1}"
        if not isinstance(name, str) or known(name) is None:
            raise DatasetError(f"{where}: {task}: {name!r} is not a registered dataset; use a name from `bench datasets list`")
        if name in seen:
            raise DatasetError(f"{where}: {task} and {seen[name]} both map to '{name}'; keep one")
        seen[name] = task
    return dict(tasks)


def task_for_dataset(dataset: str) -> str:
    """The MTEB task name an export of registry dataset ``dataset`` carries (``nfcorpus`` -> ``NFCorpus``)."""
    return next((task for task, name in mteb_tasks().items() if name == dataset), None) or local_task_name(dataset)


def dataset_for_task(task: str) -> str | None:
    """The registry dataset an MTEB task name stands for, or None when the table does not list it."""
    from bench.datasets.registry import known_datasets

    if task in mteb_tasks():
        return mteb_tasks()[task]
    return next((d.name for d in known_datasets() if local_task_name(d.name) == task and d.name not in mteb_tasks().values()), None)
