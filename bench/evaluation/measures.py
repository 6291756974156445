"""Metric names as ir_measures writes them (``nDCG@10``), parsed to value objects with a trec_eval mapping."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bench.errors import EvaluationError

# canonical name -> (trec_eval measure family, whether a cutoff is required)
_FAMILIES: dict[str, tuple[str, bool]] = {
    "nDCG": ("ndcg_cut", False),
    "R": ("recall", True),
    "P": ("P", True),
    "AP": ("map_cut", False),
    "RR": ("recip_rank", False),
}
_PATTERN = re.compile(r"^(?P<name>[A-Za-z]+)(?:@(?P<k>[1-9][0-9]*))?$")


@dataclass(frozen=True, order=True)
class Measure:
    """A metric such as ``nDCG@10``; ``cutoff`` is None for whole-ranking measures (``AP``, ``RR``)."""

    name: str
    cutoff: int | None = None

    def __str__(self) -> str:
        return self.name if self.cutoff is None else f"{self.name}@{self.cutoff}"

    @property
    def trec_measure(self) -> str:
        """The pytrec_eval measure string to request (``ndcg_cut.10``, ``recall.100``, ``recip_rank``)."""
        family, _ = _FAMILIES[self.name]
        if self.name == "RR":
            return "recip_rank"  # the cutoff is applied by truncating the run (as ir_measures does)
        if self.cutoff is None:
            return {"nDCG": "ndcg", "AP": "map"}[self.name]
        return f"{family}.{self.cutoff}"

    @property
    def trec_key(self) -> str:
        """The key pytrec_eval returns for this measure (``ndcg_cut_10``)."""
        return self.trec_measure.replace(".", "_")


def parse_measure(text: str) -> Measure:
    """``'nDCG@10'`` -> ``Measure('nDCG', 10)``; unknown names raise EvaluationError naming the choices."""
    m = _PATTERN.match(text.strip())
    names = {k.lower(): k for k in _FAMILIES}
    if not m or m["name"].lower() not in names:
        raise EvaluationError(f"unknown metric '{text}'; use one of {', '.join(_FAMILIES)} with an optional @k, e.g. nDCG@10")
    name = names[m["name"].lower()]
    k = int(m["k"]) if m["k"] else None
    if _FAMILIES[name][1] and k is None:
        raise EvaluationError(f"metric '{text}' needs a cutoff, e.g. {name}@100")
    return Measure(name, k)


DEFAULT_MEASURES: tuple[Measure, ...] = tuple(parse_measure(m) for m in ("nDCG@10", "R@100", "R@1000", "AP@1000", "RR@10", "P@10"))
"""The measures recorded with every run, in display order."""
HEADLINE: tuple[str, ...] = tuple(str(m) for m in DEFAULT_MEASURES[:3])
"""The measures a terminal table shows (``nDCG@10``, ``R@100``, ``R@1000``)."""
