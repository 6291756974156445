"""A miniature soft-label recipe on ADI, trained for real: stages, caching, the card, the zero-shot flag, repeatable weights.

The student is the packaged all-MiniLM-L6-v2, trained for two steps on short texts; the teachers are
BM25 and MiniLM through their ordinary runners (and, in one test, a small cross-encoder trained here).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from bench.datasets import resolve_dataset
from bench.errors import RunnerUnavailable, SpecError
from bench.execute import execute_run
from bench.runners.base import Progress, make_runner
from bench.specs import ModelSpec, load_spec
from bench.store.db import open_read_only, open_writer
from bench.store.training import latest_training_card, record_training_card, training_cards
from bench.training.cache import stage_cache
from bench.training.pipeline import TrainingResult, check_training, plan, train_recipe
from bench.weights import PACKAGED, fingerprint
from leaderboard.tables import trained_on
from tests.conftest import ROOT

T = TypeVar("T")
MODELS = ROOT / "models"
MINILM = {"id": "sentence-transformers/all-MiniLM-L6-v2", "revision": "8b3219a92973c328a8e22fadcfa821b5dc75636a"}


def mini_spec(**training: Any) -> dict[str, Any]:
    recipe = {
        "base": MINILM,
        "collections": [{"name": "adi"}],
        "positives_per_query": 1,
        "candidates": {"sources": [str(MODELS / "bm25-flat.yaml")], "depth": 10},
        "teachers": {"runners": [{"spec": str(MODELS / "bm25-flat.yaml")}, {"spec": str(MODELS / "all-minilm-l6-v2.yaml")}]},
        "negatives": 2,
        "batch_size": 2,
        "max_steps": 2,
        "max_length": 16,
        "learning_rate": 1e-4,
        "loss": {"temperature": 0.05, "kd_weight": 400},
        "checkpoint_steps": 100,
        **training,
    }
    return {
        "name": "softlabel-mini-test",
        "family": "soft-label",
        "kind": "dense",
        "weights": {"id": "brewbench/softlabel-mini-test", "revision": "trained-here"},
        "params": {"max_length": 64},
        "training_datasets": ["msmarco", "adi"],
        "training": recipe,
    }


def write_spec(folder: Path, data: dict[str, Any], name: str = "mini.yaml") -> tuple[ModelSpec, str]:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_spec(path), str(path)


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModelSpec, str, TrainingResult]:
    spec, source = write_spec(tmp_path_factory.mktemp("recipe"), mini_spec())
    return spec, source, train_recipe(spec, source)


def test_first_training_runs_every_stage_and_fills_the_card(mini: tuple[ModelSpec, str, TrainingResult]) -> None:
    _, _, r = mini
    assert r.stages == {"mine": "ran", "teachers": "ran", "filter": "ran", "train": "ran"}
    c = r.counts
    assert c.queries == 35 and c.examples + c.examples_short == 35  # one positive per ADI query
    assert c.examples > 0 and c.negatives_kept == 2 * c.examples
    assert c.negatives_dropped > 0  # the 0.95 margin removes candidates scored close to the positive
    assert r.steps == 2 and r.examples_trained == 4
    assert [s for s, _ in r.loss_curve] == [1, 2] and all(math.isfinite(v) and v > 0 for _, v in r.loss_curve)
    assert r.weights_sha256 == fingerprint(r.model_folder)[0]
    assert r.weights_sha256 != fingerprint(PACKAGED[MINILM["id"]].locate())[0]  # it trained
    assert not (r.model_folder / "README.md").exists()  # no model card with dates inside the hashed folder
    card = r.card()
    assert [t["name"] for t in card["teachers"]] == ["bm25-flat", "all-minilm-l6-v2"]
    assert card["margin"] == {"rule": "topk-percpos", "value": 0.95}
    assert (card["seed"], card["threads"]) == (42, 2)
    assert card["collections"][0]["name"] == "adi" and card["environment"]["torch_threads"] == 2


def test_same_recipe_is_cached_and_a_retraining_gives_the_same_weights(mini: tuple[ModelSpec, str, TrainingResult]) -> None:
    spec, source, first = mini
    again = train_recipe(spec, source)
    assert again.stages == {"mine": "not needed", "teachers": "not needed", "filter": "not needed", "train": "cached"}
    assert again.weights_sha256 == first.weights_sha256
    fresh = check_training(spec, source)  # every stage again, in a temporary cache
    assert set(fresh.stages.values()) == {"ran"}
    assert fresh.weights_sha256 == first.weights_sha256  # bitwise repeatable: same spec, seed and threads
    assert fresh.loss_curve == first.loss_curve
    assert fresh.stage_sha256 == first.stage_sha256 and set(first.stage_sha256) == {"mine", "teachers", "filter", "weights"}


def test_training_runs_under_the_portable_kernel_pin_in_its_own_process(mini: tuple[ModelSpec, str, TrainingResult]) -> None:
    spec, source, r = mini
    assert r.kernels == "avx2"  # trained in a child process whose environment pins the kernels (bench.kernels.PORTABLE)
    k = r.environment["kernels"]
    assert k["pin"] == "avx2" and k["cpu_capability"] == "AVX2" and k["deterministic"] is True
    assert k["settings"]["ATEN_CPU_CAPABILITY"] == "avx2" and k["settings"]["MKL_CBWR"] == "AVX2,STRICT"
    assert k["settings"]["ONEDNN_MAX_CPU_ISA"] == "AVX2" and k["torch_threads"] == 2
    assert plan(spec, source).keys == r.keys  # the parent finds the pinned student by the same keys
    assert plan(spec, source, kernels="default").keys["mine"] != r.keys["mine"]  # unpinned work never stands in for it


def test_a_student_whose_weights_differ_is_still_scored_and_the_first_differing_stage_named(
    tmp_path: Path, mini: tuple[ModelSpec, str, TrainingResult]
) -> None:
    from bench.reproduction import Target, reproduce_all

    _, _, r = mini
    data = mini_spec()
    data["weights"]["sha256"] = "f" * 64  # pinned weights that this machine did not build
    data["trained"] = {"stages": {**r.stage_sha256, "teachers": "0" * 64}, "measured_on": {"isa_level": "elsewhere"}}
    spec, source = write_spec(tmp_path, data)
    expected = {"nDCG@10": 0.5, "R@100": 0.9}
    (result,) = reproduce_all([Target(spec, source, "adi", expected=expected)], None)
    assert result.problem is None and result.verdict in ("OKish", "FAIL")
    assert all(c.observed is not None and 0 < c.observed <= 1 for c in result.checks)  # scores, always
    assert "weights differ" in result.note and "first differing stage: teachers" in result.note
    assert "isa_level: elsewhere -> " in result.note  # the training kernels' difference from where it was pinned


def test_a_changed_stage_reruns_only_what_it_affects(tmp_path: Path, mini: tuple[ModelSpec, str, TrainingResult]) -> None:
    _, _, first = mini
    spec, source = write_spec(tmp_path, mini_spec(labels="hard"))  # a train-stage field: the examples are reused
    hard = train_recipe(spec, source)
    assert hard.stages == {"mine": "not needed", "teachers": "not needed", "filter": "cached", "train": "ran"}
    assert hard.weights_sha256 != first.weights_sha256 and all(math.isfinite(v) for _, v in hard.loss_curve)
    spec, source = write_spec(
        tmp_path, mini_spec(labels="hard", margin={"rule": "none"})
    )  # a filter field: candidates and teacher scores reused
    no_margin = train_recipe(spec, source)
    assert no_margin.stages == {"mine": "cached", "teachers": "cached", "filter": "ran", "train": "ran"}
    assert no_margin.counts.negatives_dropped == 0 and no_margin.counts.examples_short == 0
    assert no_margin.counts.examples > first.counts.examples


def test_training_card_is_recorded_and_read_back(db_path: Path, mini: tuple[ModelSpec, str, TrainingResult]) -> None:
    _, _, r = mini
    with open_writer(db_path) as con:
        card_id = record_training_card(con, r.card())
    with open_read_only(db_path) as con:
        (card,) = training_cards(con, r.model)
        assert latest_training_card(con, r.model, "0" * 64) is None
    assert card["card_id"] == card_id and card["weights_sha256"] == r.weights_sha256
    assert card["training_datasets"] == ["adi"] and (card["seed"], card["threads"]) == (42, 2)
    assert card["loss_curve"] == r.loss_curve
    assert card["card"]["counts"]["negatives_dropped"] == r.counts.negatives_dropped
    assert card["card"]["recipe"]["loss"]["name"] == "distill-kl"


def test_student_runs_like_a_dense_model_and_is_flagged_on_its_training_collection(
    db_path: Path, mini: tuple[ModelSpec, str, TrainingResult]
) -> None:
    spec, source, r = mini
    summary, out, _ = execute_run(spec, resolve_dataset("adi"), db_path, spec_path=Path(source))
    assert out.weights_hash == r.weights_sha256
    assert 0.0 < summary.metrics["nDCG@10"] <= 1.0
    with open_read_only(db_path) as con:
        (declared,) = con.execute("SELECT training_datasets FROM model_versions WHERE name = ?", [spec.name]).fetchone()
    assert trained_on(declared, "adi") and not trained_on(declared, "med")


def test_pinned_hash_is_checked_at_run_time_and_an_untrained_recipe_says_how_to_train(
    tmp_path: Path, mini: tuple[ModelSpec, str, TrainingResult]
) -> None:
    data = mini_spec()
    data["weights"]["sha256"] = "0" * 64
    spec, source = write_spec(tmp_path, data)
    with pytest.raises(SpecError, match=r"weights\.sha256: the weights at .* hash to"):
        make_runner(spec, source).retrieve(resolve_dataset("adi"), resolve_dataset("adi").judged_queries()[:2], Progress())
    spec, source = write_spec(tmp_path, mini_spec(seed=7), "untrained.yaml")
    with pytest.raises(RunnerUnavailable, match=rf"train it first: bench train {source}$"):
        make_runner(spec, source).retrieve(resolve_dataset("adi"), resolve_dataset("adi").judged_queries()[:2], Progress())


def test_recipe_errors_name_the_file_line_and_field(tmp_path: Path) -> None:
    data = mini_spec()
    data["training_datasets"] = ["msmarco"]
    spec, source = write_spec(tmp_path, data)
    with pytest.raises(SpecError, match=rf"^{source}:\d+: training_datasets: the recipe trains on adi but training_datasets"):
        plan(spec, source)
    spec, source = write_spec(tmp_path, mini_spec(margn=0.9))
    with pytest.raises(SpecError, match=rf"^{source}:\d+: training\.margn: unknown field"):
        plan(spec, source)
    spec, source = write_spec(tmp_path, mini_spec(loss={"name": "margin-mse"}, labels="hard"))
    with pytest.raises(SpecError, match="margin-mse needs soft labels"):
        plan(spec, source)
    spec, source = write_spec(tmp_path, mini_spec(candidates={"sources": ["nope.yaml"]}))
    with pytest.raises(SpecError, match=r"training\.candidates\.sources: .*nope\.yaml does not exist"):
        plan(spec, source)


class Interrupt(Progress):
    """Raises KeyboardInterrupt at the ``at``-th training step (after the checkpoints of the steps before it)."""

    def __init__(self, at: int) -> None:
        self.at = at

    def track(self, items: Iterable[T], description: str, total: int | None = None, units: Any = None) -> Iterator[T]:
        for i, item in enumerate(items, start=1):
            if description.startswith("training") and i == self.at:
                raise KeyboardInterrupt
            yield item


def test_interrupted_training_resumes_from_the_last_checkpoint(tmp_path: Path, mini: tuple[ModelSpec, str, TrainingResult]) -> None:
    # in this process (pin=False): the interruption is raised by the progress object, which a child process cannot share
    spec, source = write_spec(tmp_path, mini_spec(checkpoint_steps=1))  # the checkpoint interval is not part of the weights
    whole = train_recipe(spec, source, cache_root=tmp_path / "whole", pin=False)
    assert whole.kernels == "default"
    root = tmp_path / "stages"
    with pytest.raises(KeyboardInterrupt):
        train_recipe(spec, source, Interrupt(at=2), cache_root=root, pin=False)
    assert stage_cache("train", root).load(plan(spec, source, cache_root=root, kernels="default").keys["train"]) is None
    resumed = train_recipe(spec, source, cache_root=root, pin=False)
    assert resumed.stages["train"] == "ran" and resumed.resumed_from == 1
    assert resumed.steps == 2 and resumed.examples_trained == 2  # only the step after the checkpoint ran again
    assert resumed.loss_curve == whole.loss_curve  # the curve keeps the step before the interruption
    assert not any((root / "checkpoints").iterdir())
    assert resumed.weights_sha256 == whole.weights_sha256  # resuming gives the uninterrupted weights, bit for bit


def test_a_cross_encoder_teacher_scores_the_pairs(tmp_path: Path) -> None:
    from datasets import Dataset as HFDataset
    from sentence_transformers.cross_encoder import CrossEncoder, CrossEncoderTrainer, CrossEncoderTrainingArguments
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss

    from bench.training.data import SpecRuns
    from bench.training.negatives import minmax
    from bench.training.stages import mine, score_teachers

    adi = resolve_dataset("adi")
    docs = {d.id: d.joined() for d in adi.iter_corpus()}
    queries = {q.id: q.text for q in adi.judged_queries()}
    rows = [(queries[q], docs[d], 1.0) for q, rel in list(adi.qrels().items())[:4] for d in list(rel)[:1]]
    rows += [(queries[q], docs["1"], 0.0) for q in list(queries)[:4]]
    ce = CrossEncoder(str(PACKAGED["rasyosef/splade-tiny"].locate()), num_labels=1, max_length=64, device="cpu")
    args = CrossEncoderTrainingArguments(
        output_dir=str(tmp_path / "ce-ckpt"),
        max_steps=3,
        per_device_train_batch_size=4,
        seed=1,
        report_to=[],
        use_cpu=True,
        save_strategy="no",
    )
    data = HFDataset.from_dict({"query": [r[0] for r in rows], "document": [r[1] for r in rows], "label": [r[2] for r in rows]})
    CrossEncoderTrainer(model=ce, args=args, train_dataset=data, loss=BinaryCrossEntropyLoss(ce)).train()
    ce.save(str(tmp_path / "ce"))

    spec, source = write_spec(tmp_path, mini_spec(teachers={"cross_encoder": {"path": "ce", "max_length": 64}}))
    p = plan(spec, source)
    assert [t["kind"] for t in p.teachers] == ["cross-encoder"] and p.teachers[0]["ref"] == fingerprint(tmp_path / "ce")[1]
    runs = SpecRuns(p.folder, source, Progress())
    candidates = mine(p.recipe, p.collections, runs, Progress())
    fused = score_teachers(p.recipe, p.collections, candidates, runs, p.folder, Progress())[0]["adi"]
    qid = next(iter(fused))
    pairs = sorted(fused[qid])
    predicted = CrossEncoder(str(tmp_path / "ce"), max_length=64, device="cpu").predict([(queries[qid], docs[d]) for d in pairs])
    expected = minmax(dict(zip(pairs, map(float, predicted), strict=True)))
    assert fused[qid] == pytest.approx(expected, abs=1e-5)
    assert {d for d, _ in p.collections[0].positives(qid)} <= set(pairs)  # positives are scored too, not only candidates
