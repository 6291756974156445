"""The one YAML reader of brewbench: strict, bounded, and with line numbers for ``file:line: field: problem`` errors.

Every YAML file brewbench reads (model specs, ``submission.yaml``, the dataset registry, dataset cards) goes
through :func:`load_with_nodes` or :func:`read_yaml_file`. YAML is a large language and most of it is a hazard
in a benchmark's metadata, so this reader accepts only plain data and refuses, with ``source:line: problem; fix``:

- text over a size cap (checked before parsing) or nested deeper than :data:`MAX_DEPTH`;
- anchors and aliases (``&a`` / ``*a``: "billion laughs" grows a 1 KB file into gigabytes) and merge keys;
- explicit tags (``!!python/object``, ``!!binary``, ``!custom``, even ``!!str``): write plain values;
- duplicate keys and keys that are not strings (``1: x``, ``yes: x``, ``null: x``);
- scalars that YAML 1.1 (PyYAML) and YAML 1.2 read differently: ``yes``/``no``/``on``/``off`` (booleans in 1.1,
  text in 1.2), ``0123`` (octal 83 in 1.1, 123 in 1.2), ``1e3`` (text in 1.1, 1000.0 in 1.2), ``0x1f``, ``1_000``,
  ``1:20``, and dates (``2024-01-01``). Quote text, write numbers as ``123`` / ``0.5`` / ``1.0e-3``, booleans as
  ``true`` / ``false``;
- numbers that are not finite (``.nan``, ``.inf``).

What remains is JSON's data model (mappings with string keys, lists, strings, ints, floats, booleans, null), and
a type that differs from what a field expects is then refused by the strict pydantic models (no coercion).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent

MAX_YAML_BYTES = 256 << 10
"""Largest YAML text accepted (a spec or a submission is a few KB; the dataset registry about 12 KB)."""
MAX_DEPTH = 32
"""Deepest nesting of mappings and lists accepted (a spec needs 4)."""

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
# What YAML 1.2's core schema reads as something other than text (PyYAML implements YAML 1.1).
_CORE_NULL = re.compile(r"^(?:null|Null|NULL|~|)$")
_CORE_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_CORE_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_CORE_FLOAT = re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$")
# The forms both versions read the same way.
_PLAIN_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_PLAIN_FLOAT = re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$")
_QUOTE = "quote it if it is text"


class YamlSyntaxError(ValueError):
    """The text is not valid YAML or uses a feature brewbench refuses; the message is ``source:line: problem; fix``."""


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, composing nodes only: anchors, aliases, tags and deep nesting are refused as they are met."""

    def __init__(self, text: str, source: str) -> None:
        super().__init__(text)
        self.source = source
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:  # type: ignore[override]
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, AliasEvent):
            raise YamlSyntaxError(f"{self.source}:{line}: YAML alias '*{event.anchor}' refused; write the value out in full")
        if isinstance(event, (ScalarEvent, SequenceStartEvent, MappingStartEvent)):
            if event.anchor is not None:
                raise YamlSyntaxError(f"{self.source}:{line}: YAML anchor '&{event.anchor}' refused; write every value out in full")
            if event.tag is not None and event.tag != "!":
                raise YamlSyntaxError(f"{self.source}:{line}: YAML tag '{event.tag}' refused; write a plain value (quote text)")
        if isinstance(event, (SequenceStartEvent, MappingStartEvent)):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise YamlSyntaxError(f"{self.source}:{line}: nested deeper than {MAX_DEPTH} levels; flatten the document")
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1
        return super().compose_node(parent, index)


def _fail(source: str, node: yaml.Node, problem: str) -> YamlSyntaxError:
    return YamlSyntaxError(f"{source}:{node.start_mark.line + 1}: {problem}")


def _scalar(node: yaml.ScalarNode, source: str) -> Any:
    text, plain = node.value, node.style is None
    if node.tag == _STR:
        if plain and (_CORE_NULL.match(text) or _CORE_BOOL.match(text) or _CORE_INT.match(text) or _CORE_FLOAT.match(text)):
            raise _fail(
                source, node, f"'{text}' is text in YAML 1.1 but a number in YAML 1.2; {_QUOTE}, or write a number as 1000 or 1.0e+3"
            )
        return text
    if node.tag == _NULL:
        return None
    if node.tag == _BOOL:
        if not _CORE_BOOL.match(text):
            raise _fail(source, node, f"'{text}' is a boolean in YAML 1.1 but text in YAML 1.2; write true or false, or {_QUOTE}")
        return text.lower() == "true"
    if node.tag == _INT:
        if not _PLAIN_INT.match(text):
            raise _fail(
                source, node, f"'{text}' is read differently by YAML versions; write a decimal integer without leading zeros, or {_QUOTE}"
            )
        return int(text)
    if node.tag == _FLOAT:
        if not _PLAIN_FLOAT.match(text):
            raise _fail(source, node, f"'{text}' is not a finite decimal number; write e.g. 0.5 or 1.0e-3, or {_QUOTE}")
        value = float(text)
        if not math.isfinite(value):
            raise _fail(source, node, f"'{text}' overflows a float; write a finite number")
        return value
    kind = node.tag.rsplit(":", 1)[-1]
    raise _fail(source, node, f"'{text}' is read as a {kind} by YAML; {_QUOTE}")


def _construct(node: yaml.Node, source: str) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node, source)
    if isinstance(node, yaml.SequenceNode):
        return [_construct(child, source) for child in node.value]
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR:
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a list or mapping"
                raise _fail(source, key_node, f"key '{shown}' is not text; keys are plain names, quote it if it is one")
            key = _scalar(key_node, source)
            if key in out:
                raise _fail(source, key_node, f"duplicate key '{key}'; keep one")
            out[key] = _construct(value_node, source)
        return out
    raise _fail(source, node, "unsupported YAML node; write plain data")  # pragma: no cover - composer yields only the three kinds


def load_with_nodes(text: str, source: str, max_bytes: int = MAX_YAML_BYTES) -> tuple[Any, yaml.Node | None]:
    """Parse ``text`` strictly into plain data and its node tree (which knows each value's line).

    Args:
        text: the YAML document.
        source: how errors name the document (a file path).
        max_bytes: refuse longer text before parsing it.

    Raises:
        YamlSyntaxError: ``source:line: problem; fix`` for invalid YAML or a refused feature (see the module docstring).
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise YamlSyntaxError(f"{source}: {size:,} bytes of YAML, over the limit of {max_bytes:,}; keep only metadata in it")
    loader = _StrictLoader(text, source)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise YamlSyntaxError(f"{where}: invalid YAML ({getattr(e, 'problem', e)}); fix the syntax") from e
    finally:
        loader.dispose()
    return (_construct(root, source) if root is not None else None), root


def read_yaml_text(path: Path, max_bytes: int = MAX_YAML_BYTES) -> str:
    """A YAML file's text: its size checked before reading, decoded as UTF-8 (an error names the line).

    Raises:
        YamlSyntaxError: the file is missing, too large, or not UTF-8.
    """
    try:
        size = path.stat().st_size
    except OSError as e:
        raise YamlSyntaxError(f"{path}: cannot read ({e.strerror}); check the path") from e
    if size > max_bytes:
        raise YamlSyntaxError(f"{path}: {size:,} bytes, over the limit of {max_bytes:,} for a YAML file; keep only metadata in it")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise YamlSyntaxError(f"{path}:{line}: not UTF-8; save the file as UTF-8") from None
    return text


def read_yaml_file(path: Path, max_bytes: int = MAX_YAML_BYTES) -> tuple[Any, yaml.Node | None]:
    """Read a YAML file strictly (:func:`read_yaml_text`, then :func:`load_with_nodes`): data and node tree.

    Raises:
        YamlSyntaxError: the file is missing, too large, not UTF-8, or its YAML is refused.
    """
    return load_with_nodes(read_yaml_text(path, max_bytes), str(path), max_bytes)


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
