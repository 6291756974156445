"""Whether a spec's trained student is here: what ``bench reproduce --all --quick`` (the CI check) does about students.

A quick reproduction does not train: a reference recipe takes minutes to train, and bitwise-identical
weights are promised on the same machine (CPU, threads, library versions), not on another CI runner.
So a quick reproduction checks a student only where it has been trained (``bench train``), and lists
every other student as NOT CHECKED with the commands that check it. Training itself is checked in CI
by the miniature recipe of ``tests/training`` (stages, caching, card, repeatable weights).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.errors import BenchError


@dataclass(frozen=True)
class NotChecked:
    """A target left out of a reproduction, and why (an untrained student; a published set not at hand)."""

    model: str
    source: str
    reason: str
    dataset: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"model": self.model, "source": self.source, "dataset": self.dataset, "verdict": "NOT CHECKED", "problem": self.reason}


def untrained_reason(spec: Any, source: str) -> str | None:
    """Why ``spec``'s expected scores cannot be checked without training first; None when it has no recipe or is trained here.

    A recipe that cannot even be planned (a missing collection, a bad field) returns None: the reproduction then
    runs and FAILs with that problem, rather than being set aside.
    """
    if getattr(spec, "training", None) is None:
        return None
    from bench.training.pipeline import trained_model

    try:
        trained_model(spec, source)
    except BenchError as e:
        if "train it first" not in str(e):
            return None
        return (
            f"its student is not trained here; train it with `bench train {source}` "
            f"(`--check` also compares the weights hash), then `bench reproduce {source}`"
        )
    return None


def split_untrained(targets: Sequence[Any]) -> tuple[list[Any], list[NotChecked]]:
    """(targets to check, students set aside): one :class:`NotChecked` per spec file, in order."""
    keep: list[Any] = []
    skipped: dict[str, NotChecked] = {}
    reasons: dict[str, str | None] = {}
    for t in targets:
        if t.source not in reasons:
            reasons[t.source] = untrained_reason(t.spec, t.source)  # before "no expected scores": those need a trained student
        reason = reasons[t.source]
        if reason is None:
            keep.append(t)
        elif t.source not in skipped:
            skipped[t.source] = NotChecked(t.spec.name, t.source, reason)
    return keep, list(skipped.values())
