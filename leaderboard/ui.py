"""Rendering helpers that never let an untrusted string become Markdown or HTML.

Model names, descriptions, links and training cards may come from submissions. Streamlit renders
Markdown in ``st.markdown``/``st.title``/``st.caption``/``st.warning``/widget labels (links, images,
colour directives), so untrusted text goes only into ``st.text``, ``st.code``, ``st.json`` and
dataframes, or into Markdown after :func:`md_escape` when it matches :data:`SAFE_NAME`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import streamlit as st

from bench.errors import BenchError

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@/+-]{0,127}$")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$=&])")


def md_escape(text: str) -> str:
    """Backslash-escape every Markdown-significant character (for names already matching SAFE_NAME)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def heading(prefix: str, name: str, fallback: str = "Model") -> None:
    """A subheader ``prefix name``; a name outside SAFE_NAME is shown as plain text below a fixed heading."""
    if SAFE_NAME.match(name):
        st.subheader(f"{prefix}{md_escape(name)}")
    else:
        st.subheader(prefix.rstrip(": ") or fallback)
        st.text(name)


def fields_table(fields: Mapping[str, Any]) -> None:
    """A two-column table of ``field -> value`` (values rendered as text)."""
    rows = [{"field": k, "value": _text(v)} for k, v in fields.items()]
    st.dataframe(rows, hide_index=True, width="stretch", height=38 + 35 * len(rows))


def _text(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.4f}" if abs(v) < 1e4 else f"{v:,.0f}"
    if isinstance(v, list | tuple):
        return ", ".join(str(x) for x in v) or "—"
    return str(v)


def fmt(v: float | None, digits: int = 4) -> str:
    """A number for Markdown captions; NaN/None -> 'missing'."""
    if v is None or v != v:
        return "missing"
    return f"{v:.{digits}f}"


def param_index(key: str, options: list[str], default: str | None = None) -> int:
    """Index of the option named by query parameter ``key`` (else ``default``, else 0)."""
    wanted = st.query_params.get(key)
    for candidate in (wanted, default):
        if candidate is not None and candidate in options:
            return options.index(candidate)
    return 0


def set_params(**values: str | None) -> None:
    """Reflect the current selections in the URL (shareable links)."""
    for k, v in values.items():
        if v is None:
            st.query_params.pop(k, None)
        elif st.query_params.get(k) != v:
            st.query_params[k] = v


def hide_paths(text: str, paths: Iterable[Path]) -> str:
    """``text`` with each of ``paths`` (as given and resolved) cut to its file name: the public site shows no server paths."""
    for path in paths:
        for form in sorted({str(path), str(path.resolve())}, key=len, reverse=True):
            text = text.replace(form, path.name)
    return text


@contextmanager
def store_errors(hide: Iterable[Path] = ()) -> Iterator[None]:
    """Show a BenchError (database missing, locked too long, too old) as an error box instead of a traceback.

    Args:
        hide: server paths (the database) that the message shows by file name only.
    """
    try:
        yield
    except BenchError as e:
        st.error(md_escape(hide_paths(str(e), hide)))
