"""Every reference spec parses, validates against its runner, and carries what reproduction needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.errors import SpecError
from bench.runners.base import make_runner
from bench.specs import load_spec, parse_spec
from tests.conftest import ROOT

SPECS = sorted((ROOT / "models").glob("*.yaml"))


def test_there_are_reference_specs() -> None:
    assert {p.stem for p in SPECS} >= {"bm25-flat", "bm25-multifield"}


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_spec_is_valid(path: Path) -> None:
    spec = load_spec(path)
    assert spec.name == path.stem, "file name and spec name agree"
    make_runner(spec, str(path))  # params validated by the runner kind
    assert len(spec.spec_hash) == 64
    for exp in spec.expected:
        assert exp.metrics or exp.published, f"{path}: expected scores for {exp.dataset} are empty"


def test_spec_hash_ignores_prose_but_not_params() -> None:
    base = "name: a\nfamily: lexical\nkind: lucene-bm25\nparams: {k1: 0.9}\n"
    h = parse_spec(base).spec_hash
    assert parse_spec(base + "description: words\n").spec_hash == h
    assert parse_spec(base.replace("0.9", "1.0")).spec_hash != h


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("name: a\nfamily: lexical\n", r"<spec>:1: kind: required field is missing"),
        ("name: a\nfamily: lexcal\nkind: x\n", r"<spec>:2: family"),
        ("name: a\nfamily: lexical\nkind: x\nspeed: 3\n", r"<spec>:4: speed: unknown field"),
        ("name: a\nfamily: lexical\nkind: x\nspeed: 3\ntolerance: {nDCG@11x: 0.1}\n", r"<spec>:5: tolerance: unreadable metric 'nDCG@11x'"),
        ("name: a\nfamily: [\n", r"<spec>:\d+: invalid YAML"),
        ("- a\n- b\n", r"a spec is a YAML mapping"),
    ],
)
def test_errors_name_line_and_field(text: str, match: str) -> None:
    with pytest.raises(SpecError, match=match):
        parse_spec(text)


def test_a_tolerance_metric_typo_is_a_spec_error() -> None:
    """Exit 2 (issue 21, class 7): a tolerance computes nothing, so its typo is the spec's, at the metric key's line."""
    text = "name: a\nfamily: lexical\nkind: x\ntolerance:\n  default: 0.0\n  recal@100: 0.1\n"
    with pytest.raises(SpecError) as e:
        parse_spec(text)
    assert str(e.value) == "<spec>:6: tolerance: unknown metric 'recal@100'; did you mean R@100?" and e.value.exit_code == 2
