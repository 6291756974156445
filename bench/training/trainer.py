"""The train stage: ``SentenceTransformerTrainer`` on the filtered examples, checkpointed, bitwise repeatable on CPU.

Repeatability: the recipe's seed seeds the trainer and its data order, the data loader has no worker
processes, and torch uses the recipe's thread count while training (another thread count gives
other weights). An interrupted training resumes from the last checkpoint in its checkpoint folder
(keyed like the stage entry); the folder is removed once the model is saved.
"""

from __future__ import annotations

import math
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.runners.base import Progress
from bench.training.data import TrainingCollection
from bench.training.negatives import Example
from bench.training.recipe import Recipe

HARD_NEGATIVE = -math.inf
"""Teacher logit of a negative under hard labels: softmax gives the positive probability 1, every negative 0."""


@dataclass
class TrainOutcome:
    """What the trainer reports for the card."""

    steps: int
    examples: int
    wall_s: float
    loss_curve: list[tuple[int, float]] = field(default_factory=list)
    resumed_from: int | None = None

    @property
    def examples_per_s(self) -> float:
        return self.examples / self.wall_s if self.wall_s > 0 else 0.0


def labels_of(example: Example, labels: str) -> list[float]:
    """The label row of one example: fused teacher scores (soft), or a one-hot target as teacher logits (hard)."""
    if labels == "hard":
        return [0.0, *([HARD_NEGATIVE] * len(example.negatives))]
    return list(example.scores)


def train_columns(examples: list[Example], collections: list[TrainingCollection], labels: str) -> dict[str, list[Any]]:
    """The trainer's columns: query, positive, negative_1..k (texts) and label."""
    by_name = {c.name: c for c in collections}
    k = len(examples[0].negatives) if examples else 0
    cols: dict[str, list[Any]] = {"query": [], "positive": [], **{f"negative_{i + 1}": [] for i in range(k)}, "label": []}
    for e in examples:
        c = by_name[e.collection]
        cols["query"].append(c.query_texts[e.qid])
        cols["positive"].append(c.doc_texts[e.positive])
        for i, d in enumerate(e.negatives):
            cols[f"negative_{i + 1}"].append(c.doc_texts[d])
        cols["label"].append(labels_of(e, labels))
    return cols


def make_loss(model: Any, recipe: Recipe) -> Any:
    """The recipe's loss on ``model``."""
    import torch
    from sentence_transformers.base.losses.merged_forward import embed_columns
    from sentence_transformers.sentence_transformer import losses

    spec = recipe.loss
    if spec.name == "margin-mse":
        return losses.MarginMSELoss(model)
    kl = losses.DistillKLDivLoss(model, temperature=spec.temperature, teacher_temperature=spec.teacher_temperature or spec.temperature)
    if not spec.contrastive_weight and spec.kd_weight == 1.0:
        return kl
    mnrl = losses.MultipleNegativesRankingLoss(model, scale=1.0 / spec.temperature)

    class DistillPlusContrastive(torch.nn.Module):
        """``kd_weight`` x KL distillation plus ``contrastive_weight`` x in-batch InfoNCE, on one forward pass."""

        def __init__(self) -> None:
            super().__init__()
            self.model, self.kl, self.mnrl = model, kl, mnrl
            self.kd_weight, self.contrastive_weight = spec.kd_weight, spec.contrastive_weight

        def forward(self, sentence_features: Any, labels: Any) -> Any:
            emb = embed_columns(self.model, sentence_features)
            loss = self.kd_weight * self.kl.compute_loss_from_embeddings(emb, labels)
            if self.contrastive_weight:
                loss = loss + self.contrastive_weight * self.mnrl.compute_loss_from_embeddings(emb, labels)
            return loss

        def get_config_dict(self) -> dict[str, Any]:
            return {"kl": self.kl.get_config_dict(), "kd_weight": self.kd_weight, "contrastive_weight": self.contrastive_weight}

    return DistillPlusContrastive()


def _last_checkpoint(folder: Path) -> Path | None:
    found = [p for p in folder.glob("checkpoint-*") if p.is_dir() and p.name.split("-")[-1].isdigit()]
    return max(found, key=lambda p: int(p.name.split("-")[-1])) if found else None


def train_model(
    recipe: Recipe,
    base_folder: Path,
    examples: list[Example],
    collections: list[TrainingCollection],
    out_folder: Path,
    checkpoints: Path,
    progress: Progress,
) -> TrainOutcome:
    """Train the student from ``base_folder`` and save it to ``out_folder`` (a sentence-transformers folder, no model card).

    Raises:
        ValueError: no examples survived the filter.
    """
    if not examples:
        raise ValueError("no training examples survived the margin filter; lower training.negatives or raise training.candidates.depth")
    import torch
    from datasets import Dataset as HFDataset
    from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from transformers import TrainerCallback

    threads = torch.get_num_threads()
    torch.set_num_threads(recipe.threads)
    try:
        model = SentenceTransformer(str(base_folder), device="cpu", local_files_only=True)
        model.max_seq_length = recipe.max_length
        data = HFDataset.from_dict(train_columns(examples, collections, recipe.labels))
        steps_per_epoch = math.ceil(len(examples) / recipe.batch_size)
        total = recipe.max_steps or steps_per_epoch * recipe.epochs
        checkpoints.mkdir(parents=True, exist_ok=True)
        resume = _last_checkpoint(checkpoints)
        args = SentenceTransformerTrainingArguments(
            output_dir=str(checkpoints),
            num_train_epochs=recipe.epochs,
            max_steps=recipe.max_steps or -1,
            per_device_train_batch_size=recipe.batch_size,
            learning_rate=recipe.learning_rate,
            warmup_steps=int(recipe.warmup_ratio * total),
            seed=recipe.seed,
            data_seed=recipe.seed,
            dataloader_num_workers=0,
            logging_steps=1,
            save_strategy="steps",
            save_steps=recipe.checkpoint_steps,
            save_total_limit=1,
            report_to=[],
            disable_tqdm=True,
            use_cpu=True,
        )
        bar = progress.track(iter(range(total)), f"training ({len(examples)} examples, {total} steps)", total=total)

        class Steps(TrainerCallback):
            def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
                next(bar, None)

        trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=data, loss=make_loss(model, recipe), callbacks=[Steps()])
        t0 = time.perf_counter()
        trainer.train(resume_from_checkpoint=str(resume) if resume else None)
        wall = time.perf_counter() - t0
        for _ in bar:  # finish the bar (a resumed run starts past zero)
            pass
        curve = [(int(h["step"]), float(h["loss"])) for h in trainer.state.log_history if "loss" in h and "step" in h]
        model.save(str(out_folder), create_model_card=False)
        done = trainer.state.global_step
    finally:
        torch.set_num_threads(threads)
    shutil.rmtree(checkpoints, ignore_errors=True)
    start = int(resume.name.split("-")[-1]) if resume else 0

    def seen(steps: int) -> int:  # examples processed after ``steps`` optimiser steps
        epochs, rest = divmod(steps, steps_per_epoch)
        return epochs * len(examples) + min(len(examples), rest * recipe.batch_size)

    return TrainOutcome(
        steps=done,
        examples=seen(done) - seen(start),
        wall_s=wall,
        loss_curve=curve,
        resumed_from=start or None,
    )
