"""YAML documents with line numbers, so that validation errors can say ``file:line: field: problem``."""

from __future__ import annotations

from typing import Any

import yaml


class YamlSyntaxError(ValueError):
    """The text is not valid YAML; the message is ``source:line: invalid YAML (...)``."""


def load_with_nodes(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    """Parse ``text`` into plain data and its node tree (which knows each value's line)."""
    try:
        return yaml.safe_load(text), yaml.compose(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise YamlSyntaxError(f"{where}: invalid YAML ({getattr(e, 'problem', e)}); fix the syntax") from e


def line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """Line (1-based) of the node at a pydantic error location, or of its nearest existing parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            nxt = node.value[part]
        else:
            nxt = None
        if nxt is None:
            break
        node, line = nxt, nxt.start_mark.line + 1
    return line
