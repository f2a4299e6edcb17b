"""A model's metric on a task's fixed evaluation split, in eval mode and without gradients."""

from __future__ import annotations

from typing import Any

import torch

from seqlab.metrics import MetricSums
from seqlab.models import SeqModel
from seqlab.tasks import Task


def evaluate(model: SeqModel, task: Task, split: str, **kw: Any) -> float:
    """``task.metric`` of ``model`` over the fixed ``split`` batches (``kw``: as
    ``evaluate_sums``)."""
    return evaluate_sums(model, task, split, **kw).value(task.metric)


@torch.no_grad()
def evaluate_sums(
    model: SeqModel,
    task: Task,
    split: str,
    *,
    batch_size: int,
    device: torch.device,
    path: str = "auto",
    max_batches: int | None = None,
) -> MetricSums:
    """The metric's running sums over ``split`` in eval mode (``.n`` = scored steps, for
    intervals); at most ``max_batches`` batches."""
    was_training = model.training
    model.eval()
    sums = MetricSums()
    for i, batch in enumerate(task.eval_batches(split, batch_size)):
        if max_batches is not None and i >= max_batches:
            break
        b = batch.to(device)
        model.add_scores(sums, b.x, b.y, b.mask, task.kind, path=path)
    model.train(was_training)
    return sums
