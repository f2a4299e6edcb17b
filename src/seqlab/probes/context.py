"""How much context a trained text model uses: test loss with the history cut, shuffled or
replaced beyond the last n tokens (Khandelwal, He, Qi and Jurafsky, ACL 2018, "Sharp Nearby,
Fuzzy Far Away: How Neural Language Models Use Context").

    result = context_use(["runs/text-lstm-…"], tokens=2000)
    result["models"]["lstm"]["effective_context"]      # e.g. {"n": 50, "lo": 20, "hi": 100}

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

Effective context (the paper's definition with its 1% tolerance): the smallest n with
``L_trunc(n) <= (1 + tol) · L(F)``. Order-sensitive context: the same with the shuffled loss
(beyond it, word order no longer matters); for the replaced loss, beyond it the words
themselves no longer matter. Intervals: a paired bootstrap over positions (the same resampled
positions for every n), percentiles 2.5 / 97.5 of the statistic. With several runs of one
model (seeds), the per-position losses are averaged over the seeds before the bootstrap, and
each seed's own value is listed.

How this relates to the trainer's text evaluation: there every scored word is predicted from
a zero state after ``context`` (default ``seq_len`` = 35) to ``context + seq_len − 1``
earlier tokens, so the run's test perplexity is close to ``exp L(n)`` at n ≈ 35–70, not to
``exp L(F)``; ``full_vs_run`` reports both. A model trained on ``seq_len``-token chunks never
saw a longer history in training, so it has no reason to use one; see ``paper_comparison``.
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
    "NS",
    "PAPER",
    "context_use",
    "context_figure",
    "effective_n",
    "perturbed_windows",
    "position_losses",
    "probe_run",
    "summarise",
    "summarise_probes",
]

NS = (1, 2, 5, 10, 20, 50, 100, 200, 500)
KINDS = ("truncated", "shuffled", "replaced")
PAPER = {
    "source": "Khandelwal, He, Qi and Jurafsky 2018, Sharp Nearby, Fuzzy Far Away (ACL)",
    "effective_context": 200,
    "order_matters_within": (20, 50),
    "tolerance": 0.01,
    "corpora": "Penn Treebank and WikiText-2 (about 1M and 2M training tokens)",
    "model": "AWD-LSTM (Merity et al. 2018): 3 layers, 1,150 units, ~24M parameters, trained "
    "to convergence with the state carried across batches (truncated BPTT)",
}


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


def effective_n(losses: np.ndarray, full_loss: float | np.ndarray, ns: Sequence[int], tol: float):
    """The smallest n whose mean loss is within ``tol`` (relative) of the full-context loss.

    ``losses`` ``(len(ns), ...)`` of means; returns an int array over the trailing axes
    (or an int). The last n (the full context itself, for truncation) always qualifies for
    truncated losses; for perturbed ones ``ns[-1]`` is returned when none does."""
    ok = losses <= (1.0 + tol) * np.asarray(full_loss)  # (len(ns), ...)
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
    losses ``{kind: (len(ns), P)}``; ``ns[-1]`` is the full context."""
    trunc = losses["truncated"]
    P = trunc.shape[1]
    full = float(trunc[-1].mean())
    counts = _bootstrap_counts(P, boot, np.random.default_rng(seed))
    out: dict[str, Any] = {"full_loss": full, "full_perplexity": math.exp(full), "curves": {}}
    names = {"truncated": "effective_context", "shuffled": "order_context"}
    names["replaced"] = "word_context"
    boot_full = counts @ trunc[-1] / P  # (boot,)
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
        point = effective_n(means, full, ns, tol)
        per_boot = effective_n(boot_means, boot_full, ns, tol)
        elo, ehi = np.percentile(per_boot, [2.5, 97.5], method="nearest")
        out[names[kind]] = {"n": point, "lo": int(elo), "hi": int(ehi)}
    return out


# ----- runs ----------------------------------------------------------------------------


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


def context_use(
    run_dirs: Sequence[str | Path],
    *,
    tokens: int = 2000,
    ns: Sequence[int] = NS,
    tolerance: float = 0.01,
    boot: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """The probe over runs, grouped by model (runs of one model = seeds): a plain dict.

    ``models[label]``: ``ns``, ``full``, ``positions``, ``seeds``, the curves of each kind,
    ``effective_context`` / ``order_context`` / ``word_context`` (``{"n", "lo", "hi"}``),
    ``per_seed`` (each run's own values), ``full_vs_run`` and ``paper_comparison``."""
    if not run_dirs:
        raise DataValidationError("no run directory given. Pass one or more text runs.")
    if not 0 < tolerance < 1:
        raise DataValidationError(f"--tolerance must be in (0, 1), got {tolerance}. E.g. 0.01.")
    probes = [probe_run(d, tokens=tokens, ns=ns, seed=seed) for d in run_dirs]
    return summarise_probes(probes, tolerance=tolerance, boot=boot, seed=seed)


def summarise_probes(
    probes: Sequence[dict[str, Any]], *, tolerance: float = 0.01, boot: int = 1000, seed: int = 0
) -> dict[str, Any]:
    """``context_use`` from ``probe_run`` outputs (e.g. computed in parallel processes)."""
    groups: dict[str, list[dict]] = {}
    for p in probes:
        groups.setdefault(p["label"], []).append(p)
    models = {}
    for label, ps in groups.items():
        grids = {tuple(p["ns"]) for p in ps}
        if len(grids) > 1 or len({p["positions"] for p in ps}) > 1:
            raise DataValidationError(
                f"the {label} runs have different test texts ({[p['run']['corpus'] for p in ps]})"
                "; probe runs of one corpus together."
            )
        grid = ps[0]["ns"]
        mean_losses = {k: np.mean([p["losses"][k] for p in ps], axis=0) for k in KINDS}
        summary = summarise(mean_losses, grid, tolerance, boot, seed)
        per_seed = []
        for p in ps:
            own = summarise(p["losses"], grid, tolerance, boot, seed)
            per_seed.append(
                {
                    "seed": p["run"]["seed"],
                    "run_dir": p["run"]["run_dir"],
                    "effective_context": own["effective_context"],
                    "order_context": own["order_context"],
                    "full_perplexity": own["full_perplexity"],
                }
            )
        runs = [p["run"] for p in ps]
        models[label] = {
            "ns": grid,
            "full": ps[0]["full"],
            "positions": ps[0]["positions"],
            "seeds": [r["seed"] for r in runs],
            **summary,
            "per_seed": per_seed,
            "runs": runs,
            "full_vs_run": _full_vs_run(summary, runs, grid),
        }
        models[label]["paper_comparison"] = _paper_sentence(label, models[label], tolerance)
    return {"tolerance": tolerance, "boot": boot, "seed": seed, "paper": PAPER, "models": models}


def _full_vs_run(summary: dict, runs: list[dict], grid: list[int]) -> dict[str, Any]:
    """The probe's perplexity at the n nearest the trainer's evaluation context, beside the
    run's test perplexity (the trainer scores every test word, the probe a sample)."""
    ctx = runs[0]["eval_context"] + runs[0]["seq_len"] // 2  # mean history in the trainer
    near = min(grid, key=lambda n: abs(math.log(n) - math.log(max(1, ctx))))
    i = grid.index(near)
    loss = summary["curves"]["truncated"]["loss"][i]
    vals = [r["test_perplexity"] for r in runs if r["test_perplexity"] is not None]
    return {
        "trainer_mean_history": ctx,
        "probe_n": near,
        "probe_perplexity_at_n": math.exp(loss),
        "probe_full_perplexity": summary["full_perplexity"],
        "run_test_perplexity": float(np.mean(vals)) if vals else None,
    }


def _paper_sentence(label: str, m: dict, tol: float) -> str:
    e, o = m["effective_context"], m["order_context"]
    r = m["runs"][0]
    capped = " (the longest context the probe gave)" if e["n"] == m["full"] else ""
    tokens = f"{r['tokens_trained']:,}" if r["tokens_trained"] else "?"
    return (
        f"{label}: effective context {e['n']} tokens{capped} (95% interval {e['lo']}–{e['hi']}, "
        f"loss within {tol:.0%} of the {m['full']}-token context); word order matters within "
        f"{o['n']} tokens ({o['lo']}–{o['hi']}). Khandelwal et al. 2018: about "
        f"{PAPER['effective_context']} tokens, order within 20–50. Differences: corpus "
        f"{r['corpus']} ({r['test_tokens']:,} test tokens) vs {PAPER['corpora']}; model "
        f"{r['layers']}×{r['hidden_size']} with {r['params']:,} parameters vs "
        f"{PAPER['model']}; training {r['steps']} steps on {tokens} tokens in random "
        f"{r['seq_len']}-token chunks from a zero state, so no history longer than "
        f"{r['seq_len']} tokens was ever seen in training."
    )


# ----- figure --------------------------------------------------------------------------


def context_figure(result: dict[str, Any], title: str = ""):
    """Loss increase over the full-context loss (nats) against n, log x: per model the
    truncated (solid, with its bootstrap band), shuffled (dashed) and replaced (dotted)
    curves, and the paper's ~200 tokens as a vertical line. Returns a matplotlib Figure."""
    from seqlab.report.plots import FAMILY_COLORS, PALETTE, lines

    series = {}
    for i, (label, m) in enumerate(result["models"].items()):
        family = label.split("(")[0].split("-")[0]
        color = FAMILY_COLORS.get(family, PALETTE[(4 + i) % len(PALETTE)])
        for kind, dashes in (("truncated", None), ("shuffled", (6, 3)), ("replaced", (1, 2))):
            c = m["curves"][kind]
            name = label if kind == "truncated" else f"{label} {kind}"
            style = {"color": color} if dashes is None else {"color": color, "dashes": dashes}
            s = {"x": m["ns"], "y": c["increase"], "style": style}
            if kind == "truncated":
                s["lo"], s["hi"] = c["increase_lo"], c["increase_hi"]
            series[name] = s
    tol = result["tolerance"]
    return lines(
        series,
        xlabel="n: tokens of context kept (truncated) or kept in order (perturbed beyond n)",
        ylabel="loss increase over full context (nats)",
        title=title or f"Context use on the test text (effective context: within {tol:.0%})",
        logx=True,
        vlines={"paper ~200": PAPER["effective_context"]},
        hlines={"0": 0.0},
    )
