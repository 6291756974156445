"""Metric names as ir_measures writes them (``nDCG@10``, ``P(rel=2)@10``, ``Judged@10``), parsed to value objects.

Any measure `ir_measures <https://ir-measur.es>`_ knows and can compute with the installed providers is accepted;
names are matched case-insensitively (``ndcg@10``) and aliases are written canonically (``MRR@10`` -> ``RR@10``).
An unknown or incomplete name is an :class:`~bench.errors.EvaluationError` (exit 6) on one line that suggests close
names (``did you mean nDCG@10?``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import ir_measures
from ir_measures.measures import registry as _REGISTRY

from bench.errors import EvaluationError

MAX_NAME_CHARS = 200
"""Longest metric name read (ir_measures parses names as Python expressions; nothing longer is a real measure)."""
_HEAD = re.compile(r"^\s*([^\W\d]\w*)")
_NAMES: dict[str, str] = {}
for _key in sorted(_REGISTRY, key=lambda k: (k != _REGISTRY[k].NAME, k)):  # a measure's own name before its aliases
    _NAMES.setdefault(_key.lower(), _key)
_EXAMPLES = ("nDCG@10", "R@100", "AP@1000", "RR@10", "P@10", "P(rel=2)@10", "Judged@10", "Success@5")


@dataclass(frozen=True, eq=False)
class Measure:
    """A metric such as ``nDCG@10`` or ``P(rel=2)@10``; build it with :func:`parse_measure`.

    ``name`` is ir_measures' measure name (``nDCG``), ``cutoff`` its ``@k`` (None for whole-ranking measures such
    as ``AP`` or ``Judged``), ``params`` its other parameters in the order ir_measures writes them.
    """

    name: str
    cutoff: int | None = None
    params: tuple[tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Measure) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    @cached_property
    def ir(self) -> ir_measures.Measure:
        """The ir_measures measure object."""
        m = _REGISTRY[self.name](**dict(self.params))
        return m @ self.cutoff if self.cutoff is not None else m

    @cached_property
    def text(self) -> str:
        """The canonical name, as ir_measures writes it."""
        return str(self.ir)

    def without_cutoff(self) -> Measure:
        """The same measure over the whole ranking (``RR(rel=2)@10`` -> ``RR(rel=2)``)."""
        return Measure(self.name, None, self.params)


def _suggest(name: str, rest: str) -> str:
    close = difflib.get_close_matches(name.lower(), list(_NAMES), n=6, cutoff=0.6)
    picks = [p for p in dict.fromkeys(_REGISTRY[_NAMES[c]].NAME + rest for c in close) if _computable(p)][:3]
    if not picks:
        return f"use an ir_measures name, e.g. {', '.join(_EXAMPLES)}"
    return f"did you mean {' or '.join(picks)}?"


def _supported(m: ir_measures.Measure) -> bool:
    """Whether an installed ir_measures provider computes ``m``.

    Providers are asked what they support first and whether they are installed second, and pytrec_eval (a pinned
    dependency) is taken as installed: naming a metric does not import pytrec_eval or probe for other tools.
    """
    return any(p.supports(m) and (p.NAME == "pytrec_eval" or p.is_available()) for p in ir_measures.DefaultPipeline.providers)


def _computable(text: str) -> bool:
    try:
        m = ir_measures.parse_measure(text)
        return _supported(m)
    except Exception:  # a suggestion that ir_measures cannot read is simply not offered
        return False


def _unknown(text: str, why: str, fix: str) -> EvaluationError:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return EvaluationError(f"{why} metric '{shown}'; {fix}")


def parse_measure(text: str) -> Measure:
    """``'nDCG@10'`` -> ``Measure('nDCG', 10)``; ``'P(rel=2)@10'`` -> ``Measure('P', 10, (('rel', 2),))``.

    Raises:
        EvaluationError: the name is unknown (with close names suggested), its parameters or cutoff are invalid,
            or no installed ir_measures provider computes it.
    """
    if not isinstance(text, str):
        raise EvaluationError(f"a metric name is text such as nDCG@10, not {type(text).__name__} {text!r}")
    stripped = text.strip()
    head = _HEAD.match(stripped)
    if len(stripped) > MAX_NAME_CHARS or not head:
        raise _unknown(stripped, "unknown", f"use an ir_measures name, e.g. {', '.join(_EXAMPLES)}")
    name, rest = head.group(1), stripped[head.end() :].strip()
    key = _NAMES.get(name.lower())
    if key is None:
        raise _unknown(stripped, "unknown", _suggest(name, rest))
    canonical = _REGISTRY[key].NAME
    try:
        m = ir_measures.parse_measure(key + rest)
    except (ValueError, NameError, SyntaxError, TypeError, RecursionError, MemoryError):
        raise _unknown(stripped, "unreadable", f"write NAME, NAME@k or NAME(param=value)@k, e.g. {canonical}@10 or P(rel=2)@10") from None
    try:
        m.validate_params()
    except AssertionError as e:
        raise _invalid(stripped, canonical, m, e) from None
    cutoff = m.params.get(m.AT_PARAM) if m.AT_PARAM == "cutoff" else None
    if "cutoff" in m.params and (not isinstance(cutoff, int) or isinstance(cutoff, bool) or cutoff < 1):
        raise _unknown(stripped, "invalid", f"the cutoff is a whole number of at least 1, e.g. {canonical}@10")
    if not _supported(m):
        raise _unknown(stripped, "cannot compute", f"no installed ir_measures provider computes it; use e.g. {', '.join(_EXAMPLES[:5])}")
    params = tuple((k, v) for k, v in m.params.items() if k != "cutoff")
    out = Measure(canonical, cutoff, params)
    if ir_measures.parse_measure(out.text) != m:  # the stored name must read back as the same measure
        raise _unknown(stripped, "unsupported", f"write it as ir_measures writes it, e.g. {canonical}@10")
    return out


def _invalid(text: str, canonical: str, m: ir_measures.Measure, e: AssertionError) -> EvaluationError:
    """The one-line error for a known name whose parameters or cutoff ir_measures refuses."""
    detail = str(e).splitlines()[0] if str(e) else "invalid parameters"
    if "cutoff" in m.SUPPORTED_PARAMS and "cutoff" not in m.params and "cutoff" in detail:
        return _unknown(text, "incomplete", f"{canonical} needs a cutoff: did you mean {canonical}@10?")
    allowed = ", ".join(m.SUPPORTED_PARAMS) or "no parameters"
    return _unknown(text, "invalid", f"{detail}; {canonical} takes {allowed}")


def parse_measures(texts: Iterable[str | Measure]) -> tuple[Measure, ...]:
    """Parse several names, dropping repeats (``nDCG@10`` and ``ndcg@10`` are one measure), in first-seen order."""
    return tuple(dict.fromkeys(t if isinstance(t, Measure) else parse_measure(t) for t in texts))


def with_defaults(extra: Iterable[str | Measure] = ()) -> tuple[Measure, ...]:
    """:data:`DEFAULT_MEASURES` followed by the extra measures asked for (repeats dropped)."""
    return parse_measures((*DEFAULT_MEASURES, *extra))


DEFAULT_MEASURES: tuple[Measure, ...] = tuple(parse_measure(m) for m in ("nDCG@10", "R@100", "R@1000", "AP@1000", "RR@10", "P@10"))
"""The measures recorded with every run, in display order."""
HEADLINE: tuple[str, ...] = tuple(str(m) for m in DEFAULT_MEASURES[:3])
"""The measures a terminal table shows (``nDCG@10``, ``R@100``, ``R@1000``)."""
