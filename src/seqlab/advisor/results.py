"""The advisor's report rows: each candidate's row, each run's row, what was tried."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from seqlab.advisor.decide import Row, interval
from seqlab.advisor.plan import Budget, Candidate
from seqlab.tasks import Task


def n_valid(kind: str, task: Task) -> int | None:
    """Scored validation targets (series: rows; classify: sequences; text: unknown here)."""
    if kind == "series":
        a, b = task.target_ranges["valid"]
        return b - a
    if kind == "classify":
        return len(task.split_index["valid"])
    return None


def finite(e: dict) -> bool:
    return e["mean"] is not None and math.isfinite(e["mean"])


def trained_row(c: Candidate, results: list[dict], scale: float, lr: float,
                latency_ms: float) -> Row:  # fmt: skip
    """A candidate's row from its runs' results (one per seed), on the level scale
    (``scale``: see ``seqlab.advisor.baselines``)."""
    return Row(
        cand=c,
        lr=lr,
        valid=interval([r["valid_value"] * scale for r in results]),
        test=interval([r["value"] * scale for r in results]),
        per_seed_test=[r["value"] * scale for r in results],
        train_seconds=float(np.mean([r["train_seconds"] for r in results])),
        steps=[r["steps"] for r in results],
        latency_ms=latency_ms,
        under_trained=sum(still_improving(r) for r in results),
        per_seed_valid=[r["valid_value"] * scale for r in results],
    )


def still_improving(result: dict) -> bool:
    """Validation was still improving at the end: the best check was the last one, and the
    run was stopped by its time cap."""
    return result.get("stopped") == "max_seconds" and result.get("best_step") == result.get("steps")


def tried_text(trained: list[Row], budget: Budget, under: list[Row], minutes: float) -> str:
    """What was trained and for how long, and the budget that might change the answer."""
    names = ", ".join(r.key for r in trained)
    steps = [s for r in trained for s in r.steps]
    text = (
        f"Tried: {names}; each for {budget.final_cap:.1f} s of training per seed over "
        f"{budget.seeds} seed(s) ({min(steps)}–{max(steps)} steps)."
    )
    if under:
        return text + (
            f" {len(under)} of them were still improving when their time ran out: a budget of "
            f"about {4 * minutes:g} minutes (--budget-minutes {4 * minutes:g}) gives each 4× "
            "the time and may change this."
        )
    return text + (
        " Every one had stopped improving on validation before its time ran out: more "
        "budget is unlikely to change this."
    )


def candidate_row(r: Row, metric: str) -> dict:
    trained = r.kind == "trained"
    return {
        "model": r.cand.family if trained else r.label,
        "window": r.window,
        "kind": r.kind,
        "params": r.cand.params if trained else r.params,
        "metric": metric,
        "value": r.test["mean"],
        "interval": [r.test["lo"], r.test["hi"]],
        "valid": r.valid["mean"],
        "train_seconds": round(r.train_seconds, 2),
        "steps": (r.steps[0] if len(set(r.steps)) == 1 else r.steps) if trained else None,
        "under_trained": f"{r.under_trained}/{len(r.steps)}" if trained else None,
        "latency_ms_per_step": r.latency_ms,
        "hidden": r.cand.hidden_size if trained and r.cand.family != "linear" else None,
        "lr": r.lr,
        "seeds": r.test["n"],
        "detail": r.detail or None,
    }


def run_row(result: dict | None, flat: dict, out: Path) -> dict:
    from seqlab.sweep.runner import run_id

    rid = run_id(flat)
    if result is None:
        return {"dir": f"runs/{rid}", "model": flat["model"], "status": "failed"}
    return {
        "dir": f"runs/{rid}",
        "task": result["task"],
        "model": result["model"],
        "window": flat.get("window"),
        "layers": flat.get("layers"),
        "lr": flat["lr"],
        "seed": result["seed"],
        "params": result["params"],
        "metric": result["metric"],
        "value": result["value"],
        "valid_value": result["valid_value"],
        "steps": result["steps"],
        "train_seconds": result["train_seconds"],
    }
