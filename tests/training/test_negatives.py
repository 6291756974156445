"""Teacher fusion and TopK-PercPos negative selection, as tables."""

from __future__ import annotations

import pytest

from bench.training.negatives import fuse, minmax, select_negatives, teacher_scores


def test_teacher_scores_give_unretrieved_documents_the_lowest_score_of_the_query() -> None:
    assert teacher_scores([("a", 3.0), ("b", 1.5)], ["a", "b", "z"]) == {"a": 3.0, "b": 1.5, "z": 1.5}
    assert teacher_scores([], ["a"]) == {"a": 0.0}


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ({"a": 2.0, "b": 4.0, "c": 3.0}, {"a": 0.0, "b": 1.0, "c": 0.5}),
        ({"a": 7.0, "b": 7.0}, {"a": 0.0, "b": 0.0}),  # a constant row carries no information
        ({}, {}),
    ],
)
def test_minmax(scores: dict[str, float], expected: dict[str, float]) -> None:
    assert minmax(scores) == expected


def test_fuse_is_the_weighted_mean_of_normalised_scores() -> None:
    bm25 = {"a": 10.0, "b": 0.0, "c": 5.0}  # -> 1, 0, .5
    dense = {"a": 0.2, "b": 0.6, "c": 0.4}  # -> 0, 1, .5
    assert fuse([bm25, dense], [1.0, 1.0]) == {"a": 0.5, "b": 0.5, "c": 0.5}
    assert fuse([bm25, dense], [3.0, 1.0]) == {"a": 0.75, "b": 0.25, "c": 0.5}
    with pytest.raises(ValueError, match="one weight per teacher"):
        fuse([bm25], [1.0, 1.0])


FUSED = {"p": 0.8, "n1": 0.9, "n2": 0.77, "n3": 0.5, "n4": 0.1, "r": 0.95}


@pytest.mark.parametrize(
    ("margin", "k", "negatives", "dropped", "short"),
    [
        (0.95, 2, ("n3", "n4"), 2, 0),  # n1 (0.9 > 0.76) and n2 (0.77 > 0.76) are likely false negatives
        (None, 2, ("n1", "n2"), 0, 0),  # no margin: the hardest two
        (0.99, 3, ("n2", "n3", "n4"), 1, 0),  # ceiling 0.792 drops n1 only
        (0.95, 3, None, 2, 1),  # two pass, three needed: the example is dropped
    ],
)
def test_topk_percpos(margin: float | None, k: int, negatives: tuple[str, ...] | None, dropped: int, short: int) -> None:
    sel = select_negatives("c", "q", ["p"], ["n1", "n2", "n3", "n4", "r", "p"], FUSED, relevant=["r"], k=k, margin=margin)
    assert (sel.dropped, sel.short) == (dropped, short)
    if negatives is None:
        assert sel.examples == () and sel.kept == 0
        return
    (ex,) = sel.examples
    assert ex.negatives == negatives and "r" not in ex.negatives  # a judged-relevant document is never a negative
    assert ex.scores == (0.8, *(FUSED[d] for d in negatives))
    assert sel.kept == k


def test_ties_break_on_document_id_and_a_positive_without_a_score_is_short() -> None:
    sel = select_negatives("c", "q", ["p", "x"], ["b", "a", "c"], {"p": 1.0, "a": 0.5, "b": 0.5, "c": 0.2}, k=2, margin=None)
    assert [e.negatives for e in sel.examples] == [("a", "b")]
    assert sel.short == 1
