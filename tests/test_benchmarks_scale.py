"""The cost-growth section's pieces (issue 13): the growth fit, and a synthetic corpus the real dataset reader accepts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.datasets import resolve_dataset
from benchmarks.scale import WORDS_PER_DOC, _beir, _corpus, fit_exponent


def test_fit_exponent_reads_linear_and_flat_growth() -> None:
    xs = [1e4, 1e5, 1e6]
    assert fit_exponent(xs, [3 * x for x in xs]) == pytest.approx(1.0)
    assert fit_exponent(xs, [7.0, 7.0, 7.0]) == pytest.approx(0.0, abs=1e-12)
    assert fit_exponent(xs, [x**2 for x in xs]) == pytest.approx(2.0)


def test_synthetic_corpus_is_a_valid_beir_folder(tmp_path: Path) -> None:
    folder = _beir(tmp_path / "synthetic", 120, ["alpha", "beta", "gamma"])
    ds = resolve_dataset(str(folder))
    stats = ds.validate()
    assert stats.documents == 120 and stats.judged_queries == 20
    assert all(len(d.text.split()) == WORDS_PER_DOC for d in ds.iter_corpus())


def test_synthetic_vectors_are_unit_length_and_memory_mapped(tmp_path: Path) -> None:
    c = _corpus(tmp_path / "c.npy", 70_000)  # more than one generation block
    assert isinstance(c, np.memmap) and c.shape == (70_000, 384)
    np.testing.assert_allclose(np.linalg.norm(c[::997], axis=1), 1.0, rtol=1e-5)
