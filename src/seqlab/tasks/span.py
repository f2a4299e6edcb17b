"""How many of the most recent inputs a model must see to solve a task: its dependency span.

A model whose output at step t depends only on the last r inputs (a window MLP with
window r, a TCN with receptive field r, a Transformer with context r) cannot beat chance
when r is below the span. Per task (``None``: no single fixed dependency):

    recall    d_max           the cue is input T − d, the query T − 1 (d counts both)
    adding    T               the first marker can be input 0, the target is scored at T − 1
    copy      L + G + 2       symbol j is read at step j − 1 and written at step L + G + j
    images    T               the class is scored at the last step of the whole image
    classify  T               the same, for the user's labelled sequences (longest)
    text      None            next-word prediction: no fixed dependency
    series    None            forecasting: no fixed dependency
"""

from __future__ import annotations

from seqlab.tasks.base import Task


def dependency_span(task: Task) -> int | None:
    """The task's dependency span in inputs (see the module docstring), or None."""
    if task.name == "recall":
        return task.d_max
    if task.name == "copy":
        return task.length + task.gap + 2
    if task.name in ("adding", "images", "classify"):
        return task.seq_len
    return None
