"""How deep an unrolled network is: the longest path from the loss back to the first input.

Claim ``rnn-unrolled-deep``: an RNN run over T steps is a T-layer network. Unrolled, the
output at step T−1 depends on x_0 only through ``h_0 → h_1 → … → h_{T−1}``, one recurrent
matrix product (and one nonlinearity) per step, so the autograd graph from the loss back to
x_0 has a path whose length grows linearly in T. The FFNN over a window of k steps has a
fixed depth whatever T is, and for T > k the last output does not depend on x_0 at all.

We build the graph of the explicit step loop (:func:`seqlab.probes.gradients.unroll`: the
model's own equations and parameters, each step projecting its own input — the same
computation as the trace path; the fused kernels, and any sequence-level autograd
Function, are a single node per layer whatever T is, which would hide the depth) on a
batch of one random sequence, with x_0 as its own leaf tensor, and walk
``grad_fn.next_functions`` from the loss (the sum of the outputs at the last step) to x_0:

* :func:`graph_depth` — the number of autograd nodes on the longest path;
* :func:`gradient_path_length` — the largest number of matrix-product nodes
  (``MmBackward``, ``AddmmBackward`` …, and ``ConvolutionBackward``: a convolution is a
  product over its window, as the window MLP's first layer) on any path: recurrent
  products plus the input projection and the read-out.

Both walks are iterative with memoised longest paths (the graph is a DAG), so T = 1000
is fine. An FFNN whose window of k steps does not reach x_0 (T > k) cannot see it, and
both functions return ``None``: that is decided by the window, not by the graph, because
the window's ``unfold`` links x_0 to every output in the graph even where its gradient is
exactly zero (``input_jacobian_norms`` shows those zeros). Nor is a zero gradient the test:
over a long sequence an RNN's gradient to x_0 underflows to exactly 0.0 in float32 — the
vanishing gradient itself — while x_0 still lies on the path.
"""

from __future__ import annotations

import re

import torch

from seqlab.models import GRU, LSTM, RNN, SeqModel
from seqlab.probes.gradients import unroll

__all__ = ["graph_depth", "gradient_path_length", "longest_path"]

MATMUL = re.compile(r"^(Mm|Addmm|Bmm|Baddbmm|Mv|Addmv|Matmul|Linear|Convolution)Backward")


def _core_input_size(model: SeqModel) -> int:
    return model.embed.embedding_dim if model.embed is not None else model.core.input_size


def _loss_and_x0(model: SeqModel, seq_len: int, input_size: int | None, seed: int):
    """The loss (last step's outputs, summed) of the step loop on one random sequence, and
    the leaf x_0 ``(1, 1, D)`` it was computed from."""
    D = input_size if input_size is not None else _core_input_size(model)
    gen = torch.Generator().manual_seed(seed)
    dtype = next(model.parameters()).dtype
    device = next(model.parameters()).device
    x0 = torch.randn(1, 1, D, generator=gen, dtype=dtype).to(device).requires_grad_(True)
    rest = torch.randn(1, seq_len - 1, D, generator=gen, dtype=dtype).to(device)
    x = torch.cat([x0, rest], dim=1)  # (1, T, D)
    if isinstance(model.core, RNN | LSTM | GRU):
        last = unroll(model.core, x)[-1][-1]  # (1, H): top layer, last step
    else:
        last = model.core(x)[:, -1]  # (1, H): the window net's output at the last step
    loss = model.head(last).sum()
    return loss, x0


def longest_path(root, target, weight) -> int | None:
    """Largest total ``weight(node)`` over paths from autograd node ``root`` to ``target``
    (both ends included), following ``next_functions``; ``None`` if none exists."""
    best: dict = {}
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if node in best:
            continue
        children = [n for n, _ in node.next_functions if n is not None]
        if not expanded:
            stack.append((node, True))
            stack.extend((c, False) for c in children if c not in best)
            continue
        if node is target:
            best[node] = weight(node)
            continue
        reach = [best[c] for c in children if best.get(c) is not None]
        best[node] = weight(node) + max(reach) if reach else None
    return best[root]


def _walk(model: SeqModel, seq_len: int, input_size: int | None, seed: int, weight):
    if seq_len < 1:
        raise ValueError(f"seq_len must be >= 1, got {seq_len}")
    window = getattr(model.core, "window", None)
    if window is not None and seq_len > window:
        return None  # the last output sees only x_{T-k} … x_{T-1}
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            loss, x0 = _loss_and_x0(model, seq_len, input_size, seed)
            target = None
            stack, seen = [loss.grad_fn], set()
            while stack:  # find x_0's AccumulateGrad node
                node = stack.pop()
                if getattr(node, "variable", None) is x0:
                    target = node
                    break
                if node not in seen:
                    seen.add(node)
                    stack.extend(n for n, _ in node.next_functions if n is not None)
            if target is None:
                return None
            return longest_path(loss.grad_fn, target, weight)
    finally:
        model.train(was_training)


def graph_depth(
    model: SeqModel, seq_len: int, input_size: int | None = None, seed: int = 0
) -> int | None:
    """Autograd nodes on the longest path from the last step's loss back to x_0 (the leaf
    x_0 and the loss's own node included), on the explicit step loop. Grows linearly in ``seq_len``
    for RNN / LSTM / GRU; constant for the FFNN while ``seq_len <= window``, and ``None``
    beyond (x_0 is out of sight). ``input_size`` defaults to the core's input width."""
    return _walk(model, seq_len, input_size, seed, lambda node: 1)


def gradient_path_length(
    model: SeqModel, seq_len: int, input_size: int | None = None, seed: int = 0
) -> int | None:
    """Matrix-product nodes on the path from the last step's loss back to x_0 that has the
    most of them: the longest chain of matrix products the gradient to x_0 goes through.
    An L-layer recurrent net: ``T − 1`` recurrent products, one input projection per layer
    and the read-out, ``T + L`` (a path climbs the layers diagonally, so stacking adds depth
    once, not per step). The FFNN: its layers and the read-out, independent of T. ``None``
    when x_0 cannot affect the output."""

    def weight(node) -> int:
        return 1 if MATMUL.match(node.name()) else 0

    return _walk(model, seq_len, input_size, seed, weight)
