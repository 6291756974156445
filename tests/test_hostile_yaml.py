"""Hostile YAML (issue 8, item 9): one strict reader for every YAML file, strict types in the models built from it.

Each case is refused with one line naming ``file:line`` and the fix, and nothing is written.
"""

from __future__ import annotations

import shutil
import time
import tracemalloc
from pathlib import Path

import pytest

from bench.datasets.registry import _rows
from bench.errors import DatasetError, SpecError
from bench.specs import load_spec, parse_spec
from bench.submissions.model import parse_submission
from bench.yamlfile import MAX_YAML_BYTES, YamlSyntaxError, load_with_nodes, read_yaml_file
from tests.clihelp import bench
from tests.conftest import ROOT
from tests.submissions.subhelp import EXAMPLE, counts

SPEC = (ROOT / "models" / "bm25-flat.yaml").read_text()
SUBMISSION = (EXAMPLE / "submission.yaml").read_text()

LAUGHS = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(f"{chr(c)}: &{chr(c)} [{', '.join([f'*{chr(c - 1)}'] * 9)}]\n" for c in range(ord("b"), ord("j")))
    + "name: *i\n"
)


# -- the reader: refused YAML features, each with its line and fix -------------------------------------
@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("name: x\nother: &x [1]\nmore: *x\n", 2, "YAML anchor '&x' refused; write every value out in full"),
        (LAUGHS, 1, "YAML anchor '&a' refused; write every value out in full"),
        ("name: !!python/object/apply:os.system [ls]\n", 1, "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' refused; write"),
        ("name: x\nblob: !!binary aGVsbG8=\n", 2, "YAML tag 'tag:yaml.org,2002:binary' refused; write a plain value (quote text)"),
        ("name: !!str 5\n", 1, "YAML tag 'tag:yaml.org,2002:str' refused"),
        ("name: a\nfamily: lexical\nname: b\n", 3, "duplicate key 'name'; keep one"),
        ("name: a\n1: x\n", 2, "key '1' is not text; keys are plain names, quote it if it is one"),
        ("name: a\nyes: x\n", 2, "key 'yes' is not text"),
        ("name: a\n? [k]\n: v\n", 2, "key 'a list or mapping' is not text"),
        ("base: {a: 1}\nmore:\n  <<: {b: 2}\n", 3, "key '<<' is not text"),
        ("name: yes\n", 1, "'yes' is a boolean in YAML 1.1 but text in YAML 1.2; write true or false, or quote it if it is text"),
        ("name: off\n", 1, "'off' is a boolean in YAML 1.1 but text in YAML 1.2"),
        ("revision: 1e3\n", 1, "'1e3' is text in YAML 1.1 but a number in YAML 1.2; quote it if it is text, or write a number as 1000"),
        ("name: 0123\n", 1, "'0123' is read differently by YAML versions; write a decimal integer without leading zeros, or quote it"),
        ("hits: 0x10\n", 1, "'0x10' is read differently by YAML versions"),
        ("hits: 1_000\n", 1, "'1_000' is read differently by YAML versions"),
        ("hits: 1:20\n", 1, "'1:20' is read differently by YAML versions"),
        ("k1: .nan\n", 1, "'.nan' is not a finite decimal number; write e.g. 0.5"),
        ("k1: -.inf\n", 1, "'-.inf' is not a finite decimal number"),
        ("k1: 1.0e+999\n", 1, "'1.0e+999' overflows a float; write a finite number"),
        ("released: 2024-01-01\n", 1, "'2024-01-01' is read as a timestamp by YAML; quote it if it is text"),
        ("a: " + "[" * 40 + "]" * 40 + "\n", 1, "nested deeper than 32 levels; flatten the document"),
        ("a: 1\n---\nb: 2\n", 2, "invalid YAML (but found another document); fix the syntax"),
    ],
)
def test_refused_yaml_names_line_and_fix(text: str, line: int, expected: str) -> None:
    with pytest.raises(YamlSyntaxError) as e:
        load_with_nodes(text, "f.yaml")
    msg = str(e.value)
    assert msg.startswith(f"f.yaml:{line}: ") and expected in msg and "\n" not in msg


def test_plain_data_still_reads_with_lines() -> None:
    data, root = load_with_nodes("name: x\nn: 3\nf: 0.5\nl: [a, 'yes', \"0123\"]\nm: {k: true, z: null}\ne: 1.0e-3\n", "f.yaml")
    assert data == {"name": "x", "n": 3, "f": 0.5, "l": ["a", "yes", "0123"], "m": {"k": True, "z": None}, "e": 0.001}
    assert root is not None and root.value[3][1].start_mark.line == 3


def test_billion_laughs_is_refused_before_growing() -> None:
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(SpecError, match=r"^<spec>:1: YAML anchor '&a' refused"):
        parse_spec(LAUGHS)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(LAUGHS) < 1024 and peak < 5 << 20 and time.perf_counter() - start < 2


def test_size_cap_and_encoding_are_checked_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * MAX_YAML_BYTES + "\n")
    with pytest.raises(YamlSyntaxError, match=rf"^{big}: [0-9,]+ bytes, over the limit of {MAX_YAML_BYTES:,} for a YAML file; keep"):
        read_yaml_file(big)
    with pytest.raises(YamlSyntaxError, match=r"bytes of YAML, over the limit"):
        load_with_nodes("a: " + "x" * MAX_YAML_BYTES, "t.yaml")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"name: x\ndescription: caf\xe9\n")
    with pytest.raises(SpecError, match=rf"^{latin}:2: not UTF-8; save the file as UTF-8$"):
        load_spec(latin)


# -- strict types: no coercion between text, numbers and booleans; numbers bounded where used ------------
@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("name: bm25-flat", "name: 123"), "name: Input should be a valid string (got int 123); write text in quotes"),
        (("parameters: 0", 'parameters: "5"'), "parameters: Input should be a valid integer (got str '5'); write a whole number"),
        (("parameters: 0", "parameters: true"), "parameters: Input should be a valid integer (got bool True)"),
        (("parameters: 0", "parameters: 2.0"), "parameters: Input should be a valid integer (got float 2.0)"),
        (("parameters: 0", "parameters: 100000000000000"), "parameters: Input should be less than or equal to 10000000000000"),
        (("parameters: 0", "dimension: 0"), "dimension: Input should be greater than 0"),
        (("parameters: 0", "dimension: 100000000"), "dimension: Input should be less than or equal to 65536"),
        (("default: 0.0", "default: true"), "tolerance.default: Input should be a valid number (got bool True); write a number"),
        (("default: 0.0", 'default: "0.1"'), "tolerance.default: Input should be a valid number (got str '0.1')"),
        (("default: 0.0", "default: 2.0"), "tolerance: Value error, tolerance for default is 2.0; it must be in [0, 1]"),
        (("default: 0.0", "default: -0.1"), "it must be in [0, 1]"),
        (
            ("nDCG@10: 0.4746988494789688", "nDCG@10: 4.746988494789688"),
            "metrics: Value error, expected nDCG@10 = 4.746988494789688 is outside",
        ),
        (("links: [https", "links: [12, https"), "links.0: Input should be a valid string (got int 12)"),
    ],
)
def test_spec_fields_are_strict_and_bounded(edit: tuple[str, str], expected: str) -> None:
    old, new = edit
    assert old in SPEC
    with pytest.raises(SpecError) as e:
        parse_spec(SPEC.replace(old, new, 1), "models/x.yaml")
    msg = str(e.value)
    assert msg.startswith("models/x.yaml:") and expected in msg and "\n" not in msg
    line = int(msg.split(":")[1])
    assert new.split(":")[0].strip("[") in SPEC.replace(old, new, 1).splitlines()[line - 1] or "metrics" in expected


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("name: acme-bm25plus", "name: 7"), "submission.yaml:2: name: Input should be a valid string (got int 7); write text in quotes"),
        (("parameters: 0", "parameters: '0'"), "parameters: Input should be a valid integer (got str '0'); write a whole number"),
        (("parameters: 0", "parameters: false"), "parameters: Input should be a valid integer (got bool False)"),
        (("licence: Apache-2.0", "licence: 2.0"), "licence: Input should be a valid string (got float 2.0)"),
        (("training_datasets: []", "training_datasets: [1, x]"), "training_datasets.0: Input should be a valid string (got int 1)"),
        (("training_datasets: []", "training_datasets: &t [x]"), "submission.yaml:9: YAML anchor '&t' refused"),
        (("parameters: 0", "parameters: 0\nparameters: 1"), "duplicate key 'parameters'; keep one"),
    ],
)
def test_submission_yaml_is_strict(edit: tuple[str, str], expected: str) -> None:
    old, new = edit
    assert old in SUBMISSION
    meta, problems = parse_submission(SUBMISSION.replace(old, new, 1), "submission.yaml")
    assert meta is None and any(expected in p for p in problems), problems
    assert all("\n" not in p and p.startswith("submission.yaml:") for p in problems)


def test_hostile_spec_in_a_submission_is_refused_and_nothing_is_ingested(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    populated_db = tmp_path / "results.duckdb"
    assert bench(capsys, "submit", "ingest", EXAMPLE, "--db", populated_db).code == 0
    folder = tmp_path / "laughs"
    shutil.copytree(EXAMPLE, folder)
    (folder / "spec.yaml").write_text(LAUGHS)
    before = counts(populated_db)
    r = bench(capsys, "submit", "validate", folder)
    assert r.code == 7 and f"{folder / 'spec.yaml'}:1: YAML anchor '&a' refused; write every value out in full" in r.err
    r = bench(capsys, "submit", "ingest", folder, "--db", populated_db)
    assert r.code == 7 and "YAML anchor '&a' refused" in r.err
    assert counts(populated_db) == before


def test_every_committed_yaml_still_validates(capsys: pytest.CaptureFixture[str]) -> None:
    for path in sorted((ROOT / "models").glob("*.yaml")):
        assert load_spec(path).name == path.stem
    for folder in sorted(p for p in (ROOT / "submissions").iterdir() if p.is_dir()):
        r = bench(capsys, "submit", "validate", folder)
        assert r.code == 0, r.err
    for name in ("beir_public.yaml", "classic.yaml"):  # the registry's files (mteb_tasks.yaml has its own reader and test)
        assert len(_rows(ROOT / "bench" / "datasets" / name)) >= 7


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("datasets:\n  - name: adi\n    corpus: '82'\n", "reg.yaml:3: corpus: '82' is not a int >= 0; fix the value"),
        ("datasets:\n  - name: adi\n    public: yes\n", "reg.yaml:3: 'yes' is a boolean in YAML 1.1"),
        ("datasets:\n  - name: adi\n    drop_identical_ids: 1\n", "reg.yaml:3: drop_identical_ids: 1 is not a bool >= 0"),
        ("datasets:\n  - name: adi\n    corpus: -5\n", "reg.yaml:3: corpus: -5 is not a int >= 0"),
        ("datasets:\n  - name: adi\n    color: red\n", "reg.yaml:3: unknown field 'color'; use one of name"),
        ("datasets:\n  - {name: 12}\n", "reg.yaml:2: a dataset entry is a mapping with a text 'name'"),
        ("datasets: &d []\n", "reg.yaml:1: YAML anchor '&d' refused"),
    ],
)
def test_registry_yaml_is_strict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reg.yaml").write_text(text)
    with pytest.raises(DatasetError) as e:
        _rows(Path("reg.yaml"))
    assert str(e.value).startswith(expected) and "\n" not in str(e.value)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("hits: 1000", "hits: true"), ":9: params.hits: Input should be a valid integer"),
        (("hits: 1000", "hits: 1000.0"), ":9: params.hits: Input should be a valid integer"),
        (("hits: 1000", "hits: '1000'"), ":9: params.hits: Input should be a valid integer"),
        (("k1: 0.9", "k1: '0.9'"), ":7: params.k1: Input should be a valid number"),
        (("k1: 0.9", "k1: false"), ":7: params.k1: Input should be a valid number"),
    ],
)
def test_runner_params_are_strict(tmp_path: Path, edit: tuple[str, str], expected: str) -> None:
    from bench.runners.base import make_runner

    path = tmp_path / "x.yaml"
    path.write_text(SPEC.replace(*edit, 1))
    with pytest.raises(SpecError) as e:
        make_runner(load_spec(path), str(path))
    assert str(e.value).startswith(f"{path}{expected}") and "\n" not in str(e.value)
