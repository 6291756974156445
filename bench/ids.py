"""What a query or document id may be, everywhere an id is read (corpus, queries, qrels, run files).

An id is a non-empty string of at most :data:`MAX_ID_CHARS` characters without whitespace, control or
format characters (run files split columns on whitespace; a BOM or an escape sequence in an id is a bug
that silently breaks matching). In JSON, ids are strings; a JSON integer is accepted (BEIR writes some ids
as numbers) and becomes its decimal string (``7`` -> ``"7"``). Booleans, floats, null, lists and objects are
refused: ``true`` would become Python's ``"True"`` in one place and Lucene's ``"true"`` in another.
"""

from __future__ import annotations

import json
import re
import unicodedata

MAX_ID_CHARS = 256
_PRINTABLE_ASCII = re.compile(r"^[!-~]{1,256}$")


def id_problem(value: str) -> str | None:
    """Why ``value`` is not a valid id, or None when it is one."""
    if _PRINTABLE_ASCII.match(value):  # the common case, at C speed
        return None
    if not value:
        return "is empty"
    if len(value) > MAX_ID_CHARS:
        return f"is {len(value):,} characters long, over the limit of {MAX_ID_CHARS}"
    for ch in value:
        if ch.isspace() or unicodedata.category(ch)[0] in "CZ":
            return f"contains {'whitespace' if ch.isspace() else 'a control or format character'} (U+{ord(ch):04X})"
    return None


def json_id(value: object) -> tuple[str | None, str | None]:
    """A JSON value as an id: ``(id, None)``, or ``(None, problem)`` (a problem also for a bad string)."""
    if value.__class__ is str and _PRINTABLE_ASCII.match(value):  # type: ignore[arg-type]  # the common case, at C speed
        return value, None  # type: ignore[return-value]
    if isinstance(value, bool) or value is None or isinstance(value, (float, list, dict)):
        kind = {bool: "a boolean", float: "a float", list: "a list", dict: "an object"}.get(type(value))
        what = f"{kind} ({json.dumps(value)[:40]})" if kind else "null"
        return None, f"is {what}, not a string; write the id as a JSON string"
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):  # pragma: no cover - json yields only the types above
        return None, "is not a string"
    problem = id_problem(value)
    return (None, problem) if problem else (value, None)
