"""'Did you mean' for names a user typed: close matches, case-insensitive, each offered once."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_matches(word: str, choices: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """The ``choices`` that look like ``word``, closest first, ignoring case; each spelling-insensitive name once.

    Args:
        word: What the user typed (``TIME``, ``bm25-flt``).
        choices: Known names; duplicates and case variants (``time``, ``time``, ``Time``) count once, as first spelled.
        n: At most this many matches.
        cutoff: Similarity below which a choice is not offered (difflib's ratio, 0 to 1).

    Returns:
        Up to ``n`` distinct choices, as spelled in ``choices``.
    """
    spelled: dict[str, str] = {}
    for choice in choices:
        spelled.setdefault(choice.casefold(), choice)
    return [spelled[k] for k in difflib.get_close_matches(word.casefold(), list(spelled), n=n, cutoff=cutoff)]


def did_you_mean(word: str, choices: Iterable[str], n: int = 3) -> str:
    """``" Did you mean: a, b?"`` (leading space) for the close matches of ``word``, or ``""`` when there are none."""
    close = close_matches(word, choices, n)
    return f" Did you mean: {', '.join(close)}?" if close else ""
