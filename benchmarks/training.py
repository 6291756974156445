"""Training throughput: our train stage vs a bare `SentenceTransformerTrainer` loop on the same examples.

Both sides start from the same filtered examples in memory (a miniature recipe's filter stage on one
collection) and the same base weights, and end with the model saved: ours is
:func:`bench.training.trainer.train_model` (thread pinning, checkpointing set beyond the run, loss
curve, progress callback), the peer is the textbook loop (load, ``Dataset.from_dict``,
``DistillKLDivLoss``, ``SentenceTransformerTrainer(...).train()``, ``save``). Rounds alternate the order.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks.measure import ROOT, Samples, Settings, ratio_cell
from benchmarks.report import Report

DATASET = "cranfield"
MODELS = ROOT / "models"


def _spec(folder: Path, dataset: str) -> Path:
    recipe = {
        "base": {"id": "sentence-transformers/all-MiniLM-L6-v2", "revision": "8b3219a92973c328a8e22fadcfa821b5dc75636a"},
        "collections": [{"name": dataset}],
        "positives_per_query": 1,
        "candidates": {"sources": [str(MODELS / "bm25-flat.yaml")], "depth": 20},
        "teachers": {"runners": [{"spec": str(MODELS / "bm25-flat.yaml")}]},
        "negatives": 4,
        "batch_size": 16,
        "max_steps": 6,
        "max_length": 64,
        "loss": {"temperature": 0.05},
        "checkpoint_steps": 1000,
    }
    data = {
        "name": "bench-training",
        "family": "soft-label",
        "kind": "dense",
        "weights": {"id": "brewbench/bench-training", "revision": "x"},
        "training_datasets": [dataset],
        "training": recipe,
    }
    path = folder / "bench-training.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _bare(base: Path, columns: dict[str, list[Any]], recipe: Any, out: Path) -> float:
    """The textbook loop, timed from loading the model to saving it."""
    import torch
    from datasets import Dataset as HFDataset
    from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.sentence_transformer.losses import DistillKLDivLoss

    torch.set_num_threads(recipe.threads)
    t = time.perf_counter()
    model = SentenceTransformer(str(base), device="cpu")
    model.max_seq_length = recipe.max_length
    args = SentenceTransformerTrainingArguments(
        output_dir=str(out / "ckpt"),
        max_steps=recipe.max_steps,
        per_device_train_batch_size=recipe.batch_size,
        learning_rate=recipe.learning_rate,
        seed=recipe.seed,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
    )
    trainer = SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=HFDataset.from_dict(columns),
        loss=DistillKLDivLoss(model, temperature=recipe.loss.temperature),
    )
    trainer.train()
    model.save(str(out / "model"))
    return time.perf_counter() - t


def run(report: Report, cfg: Settings) -> None:
    """Examples per second of both sides, median of the rounds, and the ratio."""
    from bench.runners.base import Progress
    from bench.specs import load_spec
    from bench.training.data import SpecRuns
    from bench.training.pipeline import plan
    from bench.training.stages import build_examples, mine, score_teachers
    from bench.training.trainer import train_columns, train_model

    name = cfg.dataset(DATASET)
    rounds = cfg.repeat(3)
    with tempfile.TemporaryDirectory(prefix="bench-training-") as tmp:
        work = Path(tmp)
        source = _spec(work, name)
        p = plan(load_spec(source), str(source))
        runs = SpecRuns(p.folder, str(source), Progress())
        candidates = mine(p.recipe, p.collections, runs, Progress())
        fused, _ = score_teachers(p.recipe, p.collections, candidates, runs, p.folder, Progress())
        examples, _ = build_examples(p.recipe, p.collections, candidates, fused)
        examples = examples[: p.recipe.max_steps * p.recipe.batch_size]
        columns = train_columns(examples, p.collections, p.recipe.labels)
        ours_s, bare_s = [], []
        for i in range(rounds):
            for side in ("ours", "bare") if i % 2 == 0 else ("bare", "ours"):
                out = work / f"{side}-{i}"
                if side == "ours":
                    t = time.perf_counter()
                    train_model(p.recipe, p.base.path, examples, p.collections, out / "model", out / "ckpt", Progress())
                    ours_s.append(time.perf_counter() - t)
                else:
                    bare_s.append(_bare(p.base.path, columns, p.recipe, out))
            print(f"[bench] training, round {i + 1}/{rounds}", flush=True)
    per_epoch = math.ceil(len(examples) / p.recipe.batch_size)
    epochs, rest = divmod(p.recipe.max_steps, per_epoch)
    n = epochs * len(examples) + min(len(examples), rest * p.recipe.batch_size)  # examples processed in max_steps steps
    ours, bare = Samples.of([n / s for s in ours_s]), Samples.of([n / s for s in bare_s])
    report.section(
        f"Training throughput on {name.upper()}: our train stage vs a bare `SentenceTransformerTrainer` loop",
        f"all-MiniLM-L6-v2, {len(examples)} examples ({n} processed; query, positive, {p.recipe.negatives} negatives, fused BM25 teacher scores) from a "
        f"miniature recipe on {name}, batch {p.recipe.batch_size}, {p.recipe.max_steps} steps, max length {p.recipe.max_length}, "
        f"{p.recipe.threads} torch threads, CPU. Both sides are timed from loading the model to saving it, in this process, "
        f"median (min–max) of {rounds} rounds, order alternating. Ours: `bench.training.trainer.train_model` (checkpoint "
        "interval beyond the run, loss curve, progress callback, no model card). Bare: `SentenceTransformer` + "
        "`DistillKLDivLoss` + `SentenceTransformerTrainer(...).train()` + `save()` with default arguments.",
        ["side", "examples/s", "ratio"],
        [["bare SentenceTransformerTrainer loop", bare.cell(2), "1.00x"], ["our train stage", ours.cell(2), ratio_cell(ours, bare)]],
        notes="A ratio above 1 means our stage trains faster than the bare loop; below 1, the cost of what it adds.",
    )
