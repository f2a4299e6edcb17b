"""How much context a trained text model uses: test loss with the history cut, shuffled or
replaced beyond the last n tokens (Khandelwal, He, Qi and Jurafsky, ACL 2018, "Sharp Nearby,
Fuzzy Far Away: How Neural Language Models Use Context").

This module is the measurement on one run (``probe_run``: per-position losses) and its
statistics (``summarise``); ``seqlab.probes.context_summary`` groups runs into models and
compares them with the paper.

Setup. ``s`` is the test stream of the run's task (``seqlab.tasks.text``: ``<eos>`` then the
split's tokens, contiguous). A *position* t scores the target ``s[t+1]`` from inputs ending
with ``s[t]``. ``F`` (the *full context*) is the largest n of the grid that the text allows
(``F <= len(s) - 1``); positions are those with at least ``F`` tokens of history
(``t >= F - 1``), ``tokens`` of them drawn without replacement (explicit generator). Every
input window starts from the model's zero state, as in the trainer's evaluation.

For each n of ``NS`` (1, 2, 5, …, 500; those < F, then F itself), per position:

    truncated  the model reads ``s[t-n+1 … t]``                        (n tokens)
    shuffled   it reads ``s[t-F+1 … t]`` with the first F−n permuted     (F tokens)
    replaced   it reads ``s[t-F+1 … t]`` with the first F−n drawn i.i.d. from the training
               unigram distribution                                      (F tokens)

and the negative log-likelihood ``−log p(s[t+1] | window)`` of the last step (nats) is kept.
``L(n)`` is its mean over positions; ``L(F)`` (truncated at F) is the full-context loss.

Effective context: the smallest n with ``L_trunc(n) <= (1 + tol) · L*``, where ``L* = min_m
L_trunc(m)`` is the loss at the *best* n of the grid (``best``), with the paper's 1%
tolerance. Khandelwal et al. take ``L(F)`` as the reference (kept as
``effective_context_full``). The two agree for a model whose loss falls with every token
kept, as an LSTM's does. They part for a model whose loss rises again past its training
length (a Transformer without position encoding, the min-RNNs: ``benchmarks/RESULTS.md``,
the context benchmark): against ``L(F)`` such a model, best at 50 tokens and worse at 500,
would seem to use 1–5 tokens, since its short windows beat its own long one. Order-sensitive
context: the smallest n with ``L_shuf(n) <= (1 + tol) · L(F)`` (the shuffled window always
holds F tokens, so ``L(F)`` is its like-for-like reference; beyond it, word order no longer
matters); for the replaced loss, beyond it the words themselves no longer matter. Intervals:
a paired bootstrap over positions (the same resampled positions for every n), percentiles
2.5 / 97.5 of the statistic. With several runs of one model (seeds), the per-position losses
are averaged over the seeds before the bootstrap, and each seed's own value is listed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from seqlab.errors import DataValidationError

__all__ = [
    "KINDS",
    "NS",
    "effective_n",
    "last_step_nll",
    "perturbed_windows",
    "position_losses",
    "probe_run",
    "summarise",
]

NS = (1, 2, 5, 10, 20, 50, 100, 200, 500)
KINDS = ("truncated", "shuffled", "replaced")


# ----- windows -------------------------------------------------------------------------


def perturbed_windows(
    stream: torch.Tensor,
    positions: torch.Tensor,
    n: int,
    full: int,
    kind: str,
    generator: torch.Generator,
    unigram: torch.Tensor | None = None,
) -> torch.Tensor:
    """The input windows ``(P, len)`` for one n: ``truncated`` → ``(P, n)``; ``shuffled`` /
    ``replaced`` → ``(P, full)`` with the first ``full − n`` tokens permuted per row / drawn
    from ``unigram`` (a ``(V,)`` probability vector). Row p ends with ``stream[positions[p]]``.
    """
    length = n if kind == "truncated" else full
    idx = positions[:, None] - length + 1 + torch.arange(length)  # (P, length)
    if int(idx.min()) < 0:
        raise ValueError(f"a position has fewer than {length} tokens of history")
    x = stream[idx].clone()
    far = full - n
    if kind == "truncated" or far <= 0:
        return x
    if kind == "shuffled":
        perm = torch.rand(len(positions), far, generator=generator).argsort(dim=1)  # (P, far)
        x[:, :far] = torch.gather(x[:, :far], 1, perm)
    elif kind == "replaced":
        if unigram is None:
            raise ValueError("replaced windows need the unigram distribution")
        draws = torch.multinomial(unigram, len(positions) * far, True, generator=generator)
        x[:, :far] = draws.view(len(positions), far)
    else:
        raise ValueError(f"unknown kind {kind!r}; use one of {KINDS}")
    return x


@torch.no_grad()
def last_step_nll(model, x: torch.Tensor, y: torch.Tensor, batch_size: int = 64) -> np.ndarray:
    """``−log p(y_p | x_p)`` at the last step of each window, float64 ``(P,)``.

    Any ``SeqModel``: the head is applied to the last step's features only (an adaptive
    softmax returns log-probabilities, a linear head logits; ``log_softmax`` serves both)."""
    out = []
    for i in range(0, len(x), batch_size):
        h = model.features(x[i : i + batch_size])[:, -1:]  # (b, 1, H)
        logp = torch.log_softmax(model.head(h)[:, 0].double(), dim=-1)  # (b, V)
        out.append(-logp.gather(1, y[i : i + batch_size, None])[:, 0])
    return torch.cat(out).numpy()


def position_losses(
    model,
    stream: torch.Tensor,
    positions: torch.Tensor,
    ns: Sequence[int],
    full: int,
    generator: torch.Generator,
    unigram: torch.Tensor | None = None,
    kinds: Sequence[str] = KINDS,
    batch_size: int = 64,
) -> dict[str, np.ndarray]:
    """Per-position NLL for every kind and n: ``{kind: (len(ns), P)}`` (model in eval mode)."""
    was = model.training
    model.eval()
    y = stream[positions + 1]
    out = {}
    for kind in kinds:
        rows = []
        for n in ns:
            if kind != "truncated" and n >= full and "truncated" in out:
                rows.append(out["truncated"][list(ns).index(n)])  # nothing beyond n to perturb
                continue
            x = perturbed_windows(stream, positions, n, full, kind, generator, unigram)
            rows.append(last_step_nll(model, x, y, batch_size))
        out[kind] = np.stack(rows)
    model.train(was)
    return out


# ----- statistics ----------------------------------------------------------------------


def effective_n(losses: np.ndarray, reference: float | np.ndarray, ns: Sequence[int], tol: float):
    """The smallest n whose mean loss is within ``tol`` (relative) of ``reference`` (a loss).

    ``losses`` ``(len(ns), ...)`` of means; returns an int array over the trailing axes
    (or an int). With the reference one of the losses (the best or the full context's, for
    truncation) some n always qualifies; otherwise ``ns[-1]`` is returned when none does."""
    ok = losses <= (1.0 + tol) * np.asarray(reference)  # (len(ns), ...)
    first = np.where(ok.any(axis=0), ok.argmax(axis=0), len(ns) - 1)
    picked = np.asarray(ns)[first]
    return int(picked) if picked.ndim == 0 else picked


def _bootstrap_counts(P: int, boot: int, rng: np.random.Generator) -> np.ndarray:
    """``(boot, P)`` multiplicities of a resample of P positions with replacement."""
    return rng.multinomial(P, np.full(P, 1.0 / P), size=boot).astype(np.float64)


def summarise(
    losses: dict[str, np.ndarray], ns: Sequence[int], tol: float, boot: int, seed: int
) -> dict[str, Any]:
    """Means, increases and effective contexts (with bootstrap intervals) from per-position
    losses ``{kind: (len(ns), P)}``; ``ns[-1]`` is the full context.

    Keys: ``full_loss``, ``full_perplexity``, ``best`` (``{"n", "loss", "perplexity",
    "full_above_best"}``: the truncation with the lowest mean loss), ``curves`` (per kind:
    ``loss``, ``increase`` over the full context's loss, its interval, ``relative_increase``),
    and ``{"n", "lo", "hi"}`` for ``effective_context`` (reference: the best n, each bootstrap
    resample taking its own best), ``effective_context_full`` (reference: the full context,
    the paper's), ``order_context`` and ``word_context`` (reference: the full context)."""
    trunc = losses["truncated"]
    P = trunc.shape[1]
    full = float(trunc[-1].mean())
    counts = _bootstrap_counts(P, boot, np.random.default_rng(seed))
    out: dict[str, Any] = {"full_loss": full, "full_perplexity": math.exp(full), "curves": {}}
    names = {"truncated": "effective_context", "shuffled": "order_context"}
    names["replaced"] = "word_context"
    boot_trunc = trunc @ counts.T / P  # (len(ns), boot)
    boot_full = boot_trunc[-1]
    boot_best = boot_trunc.min(axis=0)  # each resample's own best n
    trunc_means = trunc.mean(axis=1)  # (len(ns),)
    i = int(np.argmin(trunc_means))
    best = float(trunc_means[i])
    out["best"] = {
        "n": int(ns[i]),
        "loss": best,
        "perplexity": math.exp(best),
        "full_above_best": (full - best) / best,  # relative; 0 when the full context is best
    }
    for kind, nll in losses.items():
        means = nll.mean(axis=1)  # (len(ns),)
        boot_means = nll @ counts.T / P  # (len(ns), boot)
        inc = means - full
        boot_inc = boot_means - boot_full
        lo, hi = np.percentile(boot_inc, [2.5, 97.5], axis=1)
        out["curves"][kind] = {
            "loss": means.tolist(),
            "increase": inc.tolist(),
            "increase_lo": lo.tolist(),
            "increase_hi": hi.tolist(),
            "relative_increase": (inc / full).tolist(),
        }
        refs = [(names[kind], full, boot_full)]
        if kind == "truncated":
            refs = [(names[kind], best, boot_best), ("effective_context_full", full, boot_full)]
        for name, ref, boot_ref in refs:
            point = effective_n(means, ref, ns, tol)
            per_boot = effective_n(boot_means, boot_ref, ns, tol)
            elo, ehi = np.percentile(per_boot, [2.5, 97.5], method="nearest")
            out[name] = {"n": point, "lo": int(elo), "hi": int(ehi)}
    return out


# ----- one run -------------------------------------------------------------------------


def _load(run_dir: str | Path):
    from seqlab.rundir import load_model
    from seqlab.tasks import build_task

    cfg, model, meta = load_model(run_dir)
    if cfg.task != "text":
        raise DataValidationError(
            f"{run_dir} is a {cfg.task!r} run; the context probe measures word-level language "
            "models. Pass a run directory written by `seqlab train --task text`."
        )
    task = build_task(cfg.task, cfg.task_options, cfg.seed)
    return cfg, model, meta, task


def _weights_step(run_dir: str | Path) -> dict[str, Any]:
    """What the probed weights saw: the finished run's result, or for a run still training
    the best validation so far (its weights are the best-validation ones)."""
    import json

    from seqlab.rundir import METRICS_JSONL, read_result

    result = read_result(run_dir)
    if result is not None:
        return {**result, "finished": True, "steps": result["best_step"]}
    rows = []
    path = Path(run_dir) / METRICS_JSONL
    if path.exists():
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    best = min(rows, key=lambda r: r["valid_value"], default=None)
    return {
        "finished": False,
        "steps": best["step"] if best else None,
        "valid_perplexity": best["valid_value"] if best else None,
    }


def _label(cfg) -> str:
    return f"ffnn({cfg.window})" if cfg.model == "ffnn" else cfg.model


def probe_run(
    run_dir: str | Path,
    *,
    tokens: int = 2000,
    ns: Sequence[int] = NS,
    seed: int = 0,
    batch_size: int = 64,
) -> dict[str, Any]:
    """Per-position losses of one run on its test text (see the module docstring).

    Returns ``{"label", "ns", "full", "positions", "losses": {kind: (len(ns), P)}, "run":
    {...}}``; the positions depend only on ``seed`` and the text, so runs of one corpus
    share them."""
    cfg, model, meta, task = _load(run_dir)
    stream = task.streams["test"]
    if len(stream) < 3:
        raise DataValidationError(f"{run_dir}: the test text has fewer than 2 tokens.")
    full = min(max(ns), len(stream) - 1)
    grid = [n for n in ns if n < full] + [full]
    candidates = torch.arange(full - 1, len(stream) - 1)  # t with >= full tokens of history
    g = torch.Generator().manual_seed(seed)
    if len(candidates) > tokens:
        pick = torch.randperm(len(candidates), generator=g)[:tokens].sort().values
        candidates = candidates[pick]
    train = task.streams["train"][1:]
    unigram = torch.bincount(train, minlength=task.vocab_size).double()
    losses = position_losses(
        model, stream, candidates, grid, full, g, unigram / unigram.sum(), batch_size=batch_size
    )
    result = _weights_step(run_dir)
    tokens_trained = None
    if result.get("steps"):
        tokens_trained = int(result["steps"]) * cfg.batch_size * int(task.seq_len)
    return {
        "label": _label(cfg),
        "ns": grid,
        "full": full,
        "positions": len(candidates),
        "losses": losses,
        "run": {
            "run_dir": str(run_dir),
            "model": cfg.model,
            "seed": cfg.seed,
            "corpus": task.source,
            "params": meta.get("params"),
            "hidden_size": cfg.hidden_size,
            "layers": cfg.layers,
            "steps": result.get("steps"),  # of the probed (best-validation) weights
            "finished": result["finished"],
            "train_seconds": result.get("train_seconds"),
            "seq_len": task.seq_len,
            "eval_context": task.context,
            "tokens_trained": tokens_trained,
            "test_perplexity": result.get("value"),
            "test_tokens": len(stream) - 1,
        },
    }
