"""Published reference numbers: Pyserini's two-click reproductions (read from the installed pyserini) and MTEB's results.

Every number keeps its source (package and version, or repository and path), its metric, its printed precision and the
dataset it was measured on. They are provenance ``published``: stored in their own table (``published_scores``), shown
beside measured cells, never mixed into a measured mean, a significance test or a Borda count. ``bench reproduce``
compares a run with them only when the local data is the content the table was measured on (``content.yaml``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bench.errors import DatasetError
from bench.evaluation.verdicts import MetricCheck, Verdict
from bench.yamlfile import YamlSyntaxError, read_yaml_file

HERE = Path(__file__).parent
SOURCES = ("pyserini-2cr", "mteb-results")
TWO_CR_FILE = "2cr/beir.yaml"


@dataclass(frozen=True)
class PublishedScore:
    source: str
    """``pyserini-2cr`` or ``mteb-results``."""
    source_ref: str
    """Where the number is printed: ``pyserini 1.6.0: pyserini/2cr/beir.yaml`` or the results repository path."""
    condition: str
    """The table's row: a 2CR condition (``bm25-flat``) or an MTEB model id."""
    dataset: str
    split: str
    metric: str
    value: float
    decimals: int

    @property
    def row(self) -> str:
        return f"{self.source} {self.condition} / {self.dataset}"

    def as_json(self) -> dict:
        return {k: getattr(self, k) for k in ("source", "source_ref", "condition", "dataset", "split", "metric", "value", "decimals")}


def _read(path: Path) -> object:
    try:
        data, _ = read_yaml_file(path, max_bytes=1 << 20)
    except YamlSyntaxError as e:
        raise DatasetError(str(e)) from None
    return data


def _decimals(v: float) -> int:
    text = repr(float(v))
    return len(text.split(".")[1]) if "." in text and "e" not in text else 4


@lru_cache(maxsize=1)
def pyserini_2cr() -> tuple[PublishedScore, ...]:
    """Every row of the installed pyserini's ``2cr/beir.yaml`` (conditions x datasets x nDCG@10, R@100, R@1000)."""
    from importlib import metadata
    from importlib.resources import files

    try:
        path = Path(str(files("pyserini") / TWO_CR_FILE))
    except ModuleNotFoundError:
        raise DatasetError("pyserini is not installed, so its 2CR table cannot be read; `make setup` installs it") from None
    if not path.is_file():
        raise DatasetError(f"{path}: the installed pyserini has no {TWO_CR_FILE}; install the pyserini version of requirements.lock")
    data = _read(path)
    ref = f"pyserini {metadata.version('pyserini')}: pyserini/{TWO_CR_FILE}"
    out = []
    conditions = data.get("conditions") if isinstance(data, dict) else None
    if not isinstance(conditions, list):
        raise DatasetError(f"{path}: no `conditions:` list; the 2CR file's layout changed (pyserini {metadata.version('pyserini')})")
    for c in conditions:
        for d in c.get("datasets") or []:
            for scores in d.get("scores") or []:
                for metric, value in scores.items():
                    if isinstance(value, (int, float)) and math.isfinite(value):
                        out.append(
                            PublishedScore("pyserini-2cr", ref, str(c["name"]), str(d["dataset"]), "test", str(metric), float(value), 4)
                        )  # fmt: skip  (2CR prints four decimals)
    return tuple(out)


@lru_cache(maxsize=1)
def mteb_results() -> tuple[PublishedScore, ...]:
    """MTEB's published scores for our reference models (``mteb_results.yaml``)."""
    data = _read(HERE / "mteb_results.yaml")
    out = []
    for m in data["models"]:  # type: ignore[index]
        ref = f"{data['source']}: {m['path']}/"  # type: ignore[index]
        for s in m["scores"]:
            out.append(PublishedScore("mteb-results", ref + f"{s['task']}.json", m["model"], s["dataset"], s["split"], s["metric"],
                                      float(s["value"]), int(m["decimals"])))  # fmt: skip
    return tuple(out)


def published(source: str | None = None) -> list[PublishedScore]:
    """Every published number we hold (of one source)."""
    if source is not None and source not in SOURCES:
        from bench.suggest import did_you_mean

        raise DatasetError(f"no published source '{source}'.{did_you_mean(source, SOURCES)} Sources: {', '.join(SOURCES)}")
    rows: list[PublishedScore] = []
    if source in (None, "pyserini-2cr"):
        rows += pyserini_2cr()
    if source in (None, "mteb-results"):
        rows += mteb_results()
    return rows


@lru_cache(maxsize=1)
def registered_contents() -> tuple[tuple[str, str, dict[str, str]], ...]:
    """(dataset, split, file hashes) of every content a published table was measured on."""
    data = _read(HERE / "content.yaml")
    return tuple((c["dataset"], c["split"], dict(c["files"])) for c in data["contents"])  # type: ignore[index]


def content_of(file_hashes: dict[str, str], split: str, content_hash: str | None = None) -> str | None:
    """The published dataset whose registered files equal ``file_hashes`` (a local copy's), else None.

    With ``content_hash`` (:attr:`bench.datasets.beir.Dataset.content_hash`), a copy recognised as a registered
    published content by its scoring identity (a CRLF, BOM or integer-id copy, the whole queries file) counts too.
    """
    hit = next((name for name, s, files in registered_contents() if s == split and files == file_hashes), None)
    if hit is None and content_hash is not None:
        from bench.datasets.contents import by_hash

        known = by_hash(content_hash)
        hit = known.dataset if known is not None and known.published and known.split == split else None
    return hit


@lru_cache(maxsize=1)
def conditions() -> dict[str, dict[str, str]]:
    """spec name -> {source: condition} (``conditions.yaml``)."""
    data = _read(HERE / "conditions.yaml")
    out: dict[str, dict[str, str]] = {}
    for source, mapping in data.items():  # type: ignore[union-attr]
        for spec_name, condition in mapping.items():
            out.setdefault(spec_name, {})[source] = condition
    return out


def for_spec(spec_name: str, spec_hash: str) -> dict[str, str]:
    """{source: condition} a spec stands for: only a reference spec at its committed contents (``models/NAME.yaml``)."""
    from bench.identity import reference_spec_hashes

    if reference_spec_hashes().get(spec_name) != spec_hash:
        return {}
    return conditions().get(spec_name, {})


def published_verdict(value: float, observed: float | None, decimals: int) -> Verdict:
    """Equal at the table's printed precision: OK; within 0.0005 (five in the next-but-one place at 2CR's four): OKish."""
    if observed is None or not math.isfinite(observed):
        return "FAIL"
    if round(observed, decimals) == round(value, decimals):
        return "OK"
    return "OKish" if abs(observed - value) <= 5 * 10**-decimals else "FAIL"


def check(rows: list[PublishedScore], observed: dict[str, float]) -> list[MetricCheck]:
    return [MetricCheck(r.metric, r.value, observed.get(r.metric), 5 * 10**-r.decimals,
                        published_verdict(r.value, observed.get(r.metric), r.decimals)) for r in rows]  # fmt: skip


def applicable(
    spec_name: str, spec_hash: str, file_hashes: dict[str, str], split: str, content_hash: str | None = None
) -> tuple[list[PublishedScore], str | None]:
    """The published numbers a run of this spec on this data is compared with, and a note when none apply.

    The note says why: no published table for this content (the data is not what any table was measured on), or the
    spec is no published condition. ``([], None)``: nothing published concerns this spec.
    """
    conds = for_spec(spec_name, spec_hash)
    if not conds:
        return [], None
    dataset = content_of(file_hashes, split, content_hash)
    rows = [r for r in published() if conds.get(r.source) == r.condition]
    if dataset is None:
        names = sorted({r.dataset for r in rows})
        return (
            [],
            f"no published table for this content ({', '.join(conds.values())} rows exist for {len(names)} datasets, none measured on these files)",
        )
    hits = [r for r in rows if r.dataset == dataset and r.split == split]
    if not hits:
        return [], f"no published {', '.join(conds.values())} row for {dataset} ({split})"
    return hits, None
