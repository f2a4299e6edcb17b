"""``seqlab run``: plan the runs of a profile, train them through the sweep machinery,
probe the models, decide every claim, and write the report.

    out/runs/<run dirs>      every trained model (reused by the next invocation)
    out/figures/*.png        one figure per claim
    out/results.json         the schema of DESIGN.md
    out/report.html          one self-contained file
    out/summary.md
"""

from __future__ import annotations

import platform
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

import seqlab
from seqlab.claims import CLAIMS, ClaimResult
from seqlab.claims.base import inconclusive
from seqlab.errors import ConfigError, SeqlabError
from seqlab.report import write_report
from seqlab.suite import evidence as E
from seqlab.suite.plan import (
    adding_runs,
    alice_runs,
    image_runs,
    recall_runs,
    text_runs,
    text_task_options,
)
from seqlab.suite.profiles import PROFILES, Profile
from seqlab.suite.questions import answers
from seqlab.sweep import run_sweep
from seqlab.sweep.runner import run_id
from seqlab.tasks import build_task


def _log(msg: str) -> None:
    print(f"seqlab run: {msg}", file=sys.stderr, flush=True)


def plan_runs(p: Profile) -> tuple[dict[str, dict], list[str]]:
    """All runs of the profile by role, and notes on what could not be planned (e.g. a data
    package that is not installed: the claims that need it say so)."""
    plan: dict[str, dict] = {}
    notes: list[str] = []
    plan.update(recall_runs(p))
    plan.update(alice_runs(p))
    plan.update(adding_runs(p))
    try:
        text = build_task("text", text_task_options(p), 0)
        plan.update(text_runs(p, text.vocab_size))
    except SeqlabError as e:
        notes.append(f"King James Bible runs skipped: {e}")
    try:
        build_task("images", {"limit": p.image_limit}, 0)
        plan.update(image_runs(p))
    except SeqlabError as e:
        notes.append(f"Fashion-MNIST runs skipped: {e}")
    return plan, notes


# claim id -> (evidence builder, needs trained runs)
BUILDERS: dict[str, Callable[..., tuple[dict, str | None]]] = {
    "ffnn-window-blind": E.window_blind,
    "ffnn-window-cost": E.window_cost,
    "rnn-unrolled-deep": lambda R, p, out: E.unrolled_deep(p, out),
    "rnn-vanishing-gradient": E.vanishing_gradient,
    "rnn-forgets": E.forgets,
    "lstm-gates-roles": E.gates_roles,
    "next-word-context": E.next_word,
    "lstm-costlier": E.costlier,
    "memory-pays-off": E.pays_off,
}


def run_suite(
    profile: str = "quick",
    out: str | Path = "seqlab-report",
    *,
    executor: str = "local",
    jobs: int | None = None,
    address: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run the evidence suite; returns the results dict (also written to ``out``)."""
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    p = PROFILES[profile]
    out = Path(out)
    t0 = time.perf_counter()
    plan, notes = plan_runs(p)
    _log(f"profile {p.name}: {len(plan)} training runs, output in {out}")
    sweep = run_sweep(
        list(plan.values()), out / "runs", executor=executor, jobs=jobs, address=address,
        progress=progress,
    )  # fmt: skip
    by_dir = {Path(o.run_dir).name: o for o in sweep.runs if o.run_dir}
    R: dict[str, dict] = {}
    for key, flat in plan.items():
        o = by_dir.get(run_id(flat))
        if o is not None and o.result is not None:
            R[key] = o.result
        else:
            notes.append(f"run {key} failed: {o.error if o else 'not run'}")
    _log(f"{sweep.executed} runs trained, {sweep.skipped} reused, {sweep.failed} failed")

    claims = []
    for cid, module in CLAIMS.items():
        _log(f"claim {cid}")
        try:
            ev, fig = BUILDERS[cid](R, p, out)
            decision = module.decide(ev)
        except Exception as e:  # noqa: BLE001 - an experiment that breaks is reported, not hidden
            ev, fig = {"error": f"{type(e).__name__}: {e}"}, None
            decision = inconclusive(
                f"the experiment could not be completed: {type(e).__name__}: {e}"
            )
            notes.append(f"{cid}: {traceback.format_exc(limit=3)}")
        claims.append(ClaimResult(module.CLAIM, decision, ev, fig).to_dict())

    by_id = {c["id"]: c for c in claims}
    results = {
        "schema": 1,
        "seqlab_version": seqlab.__version__,
        "profile": p.name,
        "environment": {
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "device": "cuda" if torch.cuda.is_available() else "cpu",
            "threads": torch.get_num_threads(),
            "seed": list(p.seeds),
            "executor": executor,
        },
        "questions": answers(by_id),
        "claims": claims,
        "runs": [
            {
                "key": key,
                "dir": str(Path(r["run_dir"]).relative_to(out.resolve()))
                if Path(r["run_dir"]).is_relative_to(out.resolve())
                else r["run_dir"],
                "task": r["task"],
                "model": r["model"],
                "params": r["params"],
                "metric": r["metric"],
                "value": r["value"],
                "train_seconds": r["train_seconds"],
            }
            for key, r in R.items()
        ],
        "notes": notes,
        "wall_seconds": round(time.perf_counter() - t0, 1),
    }
    paths = write_report(results, out)
    _log(f"report: {paths['html']}  ({results['wall_seconds']:.0f} s)")
    return results
