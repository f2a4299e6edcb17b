"""The context probe over several runs: the runs of one model are its seeds, their
per-position losses are averaged before the bootstrap (``seqlab.probes.context.summarise``),
and each model is set beside Khandelwal et al. 2018 (``PAPER``).

    result = context_use(["runs/text-lstm-…"], tokens=2000)
    result["models"]["lstm"]["effective_context"]      # e.g. {"n": 50, "lo": 20, "hi": 100}

How this relates to the trainer's text evaluation: there every scored word is predicted from
a zero state after ``context`` (default ``seq_len`` = 35) to ``context + seq_len − 1``
earlier tokens, so the run's test perplexity is close to the probe's ``exp L(n)``
(``seqlab.probes.context``) at n ≈ 35–70, not to
``exp L(F)``; ``full_vs_run`` reports both. A model trained on ``seq_len``-token chunks never
saw a longer history in training, so it has no reason to use one; see ``paper_comparison``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.errors import DataValidationError
from seqlab.probes.context import KINDS, NS, probe_run, summarise

__all__ = ["PAPER", "context_use", "summarise_probes"]

PAPER = {
    "source": "Khandelwal, He, Qi and Jurafsky 2018, Sharp Nearby, Fuzzy Far Away (ACL)",
    "effective_context": 200,
    "order_matters_within": (20, 50),
    "tolerance": 0.01,
    "corpora": "Penn Treebank and WikiText-2 (about 1M and 2M training tokens)",
    "model": "AWD-LSTM (Merity et al. 2018): 3 layers, 1,150 units, ~24M parameters, trained "
    "to convergence with the state carried across batches (truncated BPTT)",
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
                    "effective_context_full": own["effective_context_full"],
                    "best_n": own["best"]["n"],
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


def _reference(m: dict, tol: float) -> str:
    """What the effective context was measured against: the full context, or the best n
    with the full context's effective context beside it when the loss rises past the best."""
    b, full = m["best"], m["full"]
    if b["n"] == full:
        return f"loss within {tol:.0%} of the {full}-token context, its best"
    f = m["effective_context_full"]
    return (
        f"loss within {tol:.0%} of its best, at {b['n']} tokens; the {full}-token context is "
        f"{b['full_above_best']:.1%} worse, and against it the effective context would be "
        f"{f['n']} ({f['lo']}–{f['hi']})"
    )


def _paper_sentence(label: str, m: dict, tol: float) -> str:
    e, o = m["effective_context"], m["order_context"]
    r = m["runs"][0]
    capped = " (the longest context the probe gave)" if e["n"] == m["full"] else ""
    tokens = f"{r['tokens_trained']:,}" if r["tokens_trained"] else "?"
    return (
        f"{label}: effective context {e['n']} tokens{capped} (95% interval {e['lo']}–{e['hi']}, "
        f"{_reference(m, tol)}); word order matters within "
        f"{o['n']} tokens ({o['lo']}–{o['hi']}). Khandelwal et al. 2018: about "
        f"{PAPER['effective_context']} tokens, order within 20–50. Differences: corpus "
        f"{r['corpus']} ({r['test_tokens']:,} test tokens) vs {PAPER['corpora']}; model "
        f"{r['layers']}×{r['hidden_size']} with {r['params']:,} parameters vs "
        f"{PAPER['model']}; training {r['steps']} steps on {tokens} tokens in random "
        f"{r['seq_len']}-token chunks from a zero state, so no history longer than "
        f"{r['seq_len']} tokens was ever seen in training."
    )
