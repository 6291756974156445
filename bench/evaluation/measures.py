"""Metric names as ir_measures writes them (``nDCG@10``, ``P(rel=2)@10``, ``Judged@10``), parsed to value objects.

Any measure `ir_measures <https://ir-measur.es>`_ knows and can compute with the installed providers is accepted;
names are matched case-insensitively (``ndcg@10``) and aliases are written canonically (``MRR@10`` -> ``RR@10``).
trec_eval's names (``ndcg_cut.10``, ``ndcg_cut_10``, ``recip_rank``, ``map``, ``P.10``, ``recall.100``) are read
through ``ir_measures.parse_trec_measure`` and written canonically too; :func:`alias_note` says what a name was read
as, so that ``map`` is never silently taken as ``AP``. An unknown or incomplete name is an :class:`~bench.errors.EvaluationError` (exit 6) on one line that suggests close
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
_TREC_BASES = (  # trec_eval measures ir_measures.parse_trec_measure reads (its TREC_NAME_MAP, supported entries)
    "ndcg", "ndcg_cut", "P", "map", "map_cut", "recall", "recip_rank", "Rprec", "bpref", "infAP", "success",
    "iprec_at_recall", "num_q", "num_ret", "num_rel", "num_rel_ret", "set_P", "set_recall", "set_map", "set_F",
    "set_relative_P",
)  # fmt: skip
_TREC = {b.lower(): b for b in _TREC_BASES}
_TREC_SHAPE = re.compile(r"^([A-Za-z][A-Za-z_]*?)(?:[._](\d+(?:\.\d+)?(?:,\d+(?:\.\d+)?)*))?$")
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
    if not picks:  # a misspelt trec_eval name (ndcg_cutt.10, recip_rnk) is offered its trec_eval spelling
        shape = _TREC_SHAPE.match(name + rest)
        if shape:
            suffix = (name + rest)[len(shape.group(1)) :]
            close = difflib.get_close_matches(shape.group(1).lower(), list(_TREC), n=3, cutoff=0.6)
            picks = [p for p in (_TREC[c] + suffix for c in close) if len(_from_trec(p) or ()) == 1][:3]
    if not picks:
        return f"use an ir_measures or trec_eval name, e.g. {', '.join(_EXAMPLES)}, ndcg_cut.10, recip_rank"
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


def _from_trec(text: str) -> list[ir_measures.Measure] | None:
    """The measures a trec_eval name stands for (``ndcg_cut.10`` -> [nDCG@10], ``P`` -> P@5 ... P@1000), or None.

    Only names of trec_eval's own measures are read (never its nicknames such as ``all_trec``), case-insensitively.
    """
    shape = _TREC_SHAPE.match(text)
    base = _TREC.get(shape.group(1).lower()) if shape else None
    if shape is None or base is None:
        return None
    try:
        return list(ir_measures.parse_trec_measure(base + text[len(shape.group(1)) :]))
    except (ValueError, TypeError, KeyError):
        return None


def alias_note(text: str) -> str | None:
    """One line saying what ``text`` was read as when that is not just its spelling (``map`` is ``AP``), else None.

    ``ndcg@10`` is only a spelling of ``nDCG@10`` (no note); ``map`` (trec_eval), ``ndcg_cut.10`` (trec_eval) and
    ``MRR@10`` (an ir_measures alias) are other names, and the note says which canonical name results are shown under.
    """
    m = parse_measure(text)
    given = text.strip()
    if given.replace(" ", "").lower() == m.text.lower():
        return None
    source = "trec_eval's" if _from_trec(given) else "ir_measures' alias"
    return f"metric '{given}' is {source} name for {m.text}; shown as {m.text}"


def parse_measure(text: str) -> Measure:
    """``'nDCG@10'`` -> ``Measure('nDCG', 10)``; ``'P(rel=2)@10'`` -> ``Measure('P', 10, (('rel', 2),))``.

    trec_eval names are read too: ``'ndcg_cut.10'`` and ``'ndcg_cut_10'`` -> ``nDCG@10``, ``'recip_rank'`` -> ``RR``,
    ``'map'`` -> ``AP``; a trec_eval name that stands for several measures (``ndcg_cut``) is refused, naming them.

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
    trec = _from_trec(stripped)
    if trec is not None and len(trec) == 1:
        return _parse_ir(str(trec[0]), stripped)
    try:
        return _parse_ir(stripped, stripped)
    except EvaluationError:
        if not trec or (stripped == head.group(1) and stripped.lower() in _NAMES):  # bare P, R: "needs a cutoff" says more
            raise
        shown = ", ".join(str(m) for m in trec[:3]) + (", ..." if len(trec) > 3 else "")
        shape = _TREC_SHAPE.match(stripped)
        assert shape is not None
        example = f"{shape.group(1)}.{_param_value(trec[1 if len(trec) > 1 else 0])}"
        raise _unknown(
            stripped, "ambiguous", f"trec_eval's {stripped} stands for {len(trec)} measures ({shown}); name one, e.g. {example}"
        ) from None


def _param_value(m: ir_measures.Measure) -> str:
    v = next(iter(m.params.values()))
    return str(v)


def _parse_ir(stripped: str, given: str) -> Measure:
    """An ir_measures name (``stripped``) as a :class:`Measure`; errors name ``given``, the text the user wrote."""
    head = _HEAD.match(stripped)
    if not head:
        raise _unknown(given, "unknown", f"use an ir_measures name, e.g. {', '.join(_EXAMPLES)}")
    name, rest = head.group(1), stripped[head.end() :].strip()
    key = _NAMES.get(name.lower())
    if key is None:
        raise _unknown(given, "unknown", _suggest(name, rest))
    canonical = _REGISTRY[key].NAME
    try:
        m = ir_measures.parse_measure(key + rest)
    except (ValueError, NameError, SyntaxError, TypeError, RecursionError, MemoryError):
        raise _unknown(given, "unreadable", f"write NAME, NAME@k or NAME(param=value)@k, e.g. {canonical}@10 or P(rel=2)@10") from None
    try:
        m.validate_params()
    except AssertionError as e:
        raise _invalid(given, canonical, m, e) from None
    cutoff = m.params.get(m.AT_PARAM) if m.AT_PARAM == "cutoff" else None
    if "cutoff" in m.params and (not isinstance(cutoff, int) or isinstance(cutoff, bool) or cutoff < 1):
        raise _unknown(given, "invalid", f"the cutoff is a whole number of at least 1, e.g. {canonical}@10")
    if not _supported(m):
        raise _unknown(given, "cannot compute", f"no installed ir_measures provider computes it; use e.g. {', '.join(_EXAMPLES[:5])}")
    params = tuple((k, v) for k, v in m.params.items() if k != "cutoff")
    out = Measure(canonical, cutoff, params)
    if ir_measures.parse_measure(out.text) != m:  # the stored name must read back as the same measure
        raise _unknown(given, "unsupported", f"write it as ir_measures writes it, e.g. {canonical}@10")
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
