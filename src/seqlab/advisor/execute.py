"""Running the advisor's training through the sweep engine, and measuring it as it runs.

    runs = [flat_run(kind, opts, cand, o, lr, seed, cap, step_s, checks(cap, eval_s))]
    found, wall = timed_sweep(runs, o, out)          # results by run id, seconds it took
    overhead, start = measured_overhead(found.values(), wall, len(runs), workers, cap, setup)

Each run trains for ``cap`` seconds (the trainer's ``max_seconds``) with about
``checks(cap, eval_s)`` validation checks, keeping its best-validation weights. The
measured caps are saved in ``out/runs/advisor-budget.json`` (``save_plan``), so rerunning
the same command (``plan_key``) reuses them and every finished run.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from seqlab.advisor.options import CompareOptions
from seqlab.advisor.plan import FIRST_OVERHEAD, MAX_STEPS, MIN_CAP, Candidate, waves
from seqlab.atomic import atomic_write_json
from seqlab.errors import ConfigError, SeqlabError
from seqlab.models import build_model
from seqlab.sweep import run_sweep
from seqlab.sweep.local import default_jobs, usable_cores
from seqlab.tasks import Task

EVALS = 12  # validation checks per run, at most


EVAL_SHARE = 0.25  # ... and fewer when they would take more than this share of the cap


def checks(cap: float, eval_s: float) -> int:
    """Validation checks of a run capped at ``cap`` s whose validation pass takes
    ``eval_s``: EVALS, fewer (at least 3) when they would cost more than EVAL_SHARE of it."""
    return max(3, min(EVALS, int(EVAL_SHARE * cap / max(eval_s, 1e-6))))


SERIAL_CORES = 2


def log(msg: str) -> None:
    print(f"seqlab compare: {msg}", file=sys.stderr, flush=True)


def flat_run(kind: str, task_opts: dict, cand: Candidate, o: CompareOptions, lr: float,
          seed: int, cap: float, step_s: float, n_checks: int) -> dict[str, Any]:  # fmt: skip
    """One run: ``cap`` seconds of training (``max_seconds``), about ``n_checks`` validation
    checks in them (from the measured step time), the best-validation weights kept."""
    return {
        "task": kind,
        **task_opts,
        **cand.flat(),
        "lr": lr,
        "seed": seed,
        "steps": MAX_STEPS,
        "max_seconds": round(cap, 2),
        "batch_size": o.batch_size,
        "eval_every": max(5, int(cap / max(step_s, 1e-6) / n_checks)),
    }


def workers_for(o: CompareOptions, runs: int) -> int:
    """``--jobs``, else one per core on more than SERIAL_CORES cores, else 1 (the runs then
    go in this process: starting worker processes, each importing torch, took 24–35 s per
    sweep on a loaded 2-core machine, more than the second core gains on short runs)."""
    if o.jobs is not None:
        return o.jobs
    if o.executor != "local":
        return usable_cores()
    return default_jobs(runs) if usable_cores() > SERIAL_CORES else 1


def latency_ms_per_step(cand: Candidate, task: Task, repeats: int = 9) -> float:
    """Inference time per step of ``cand``, in ms: a forward pass without autograd over one
    sequence of the task's T steps (batch 1), divided by T, on one CPU thread (or the GPU).
    The minimum over ``repeats`` timed passes (after two untimed ones): on a shared machine
    the other timings measure the neighbours, not the model."""
    model = build_model(
        cand.spec(),
        input_size=task.input_size,
        output_size=task.output_size,
        vocab_size=task.vocab_size,
        generator=torch.Generator().manual_seed(0),
    ).eval()
    g = torch.Generator().manual_seed(0)
    T = task.seq_len
    if task.vocab_size:
        x = torch.randint(0, task.vocab_size, (1, T), generator=g)  # (1, T)
    else:
        x = torch.randn(1, T, task.input_size, generator=g)  # (1, T, D)
    times = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.no_grad():
            for i in range(repeats + 2):
                t0 = time.perf_counter()
                model(x)
                if i >= 2:
                    times.append(time.perf_counter() - t0)
    finally:
        torch.set_num_threads(threads)
    return 1000.0 * min(times) / T


def sweep(runs: list[dict], o: CompareOptions, out: Path) -> dict[str, dict]:
    """Run ``runs``; results by run id (failed runs absent, their errors logged). With
    ``--jobs 1`` on the local executor they run one after another in this process (the
    same run directories; no worker process to start, which can take seconds)."""
    from seqlab.sweep.runner import run_config, run_id
    from seqlab.train import TrainingInterrupted

    if o.executor == "local" and workers_for(o, len(runs)) == 1:
        found = {}
        for i, flat in enumerate(runs, 1):
            try:
                found[run_id(flat)] = run_config(flat, str(out / "runs"))
            except TrainingInterrupted:
                raise  # Ctrl-C / SIGTERM: checkpoint saved; the rerun resumes it
            except SeqlabError as e:
                log(f"run failed: {run_id(flat)}: {e}")
                continue
            r = found[run_id(flat)]
            log(f"[{i}/{len(runs)}] {r['run_id']}: {r['metric']}={r['value']:.4g}")
        return found

    sweep = run_sweep(
        runs, out / "runs", executor=o.executor, jobs=o.jobs, address=o.address, progress=True
    )
    for r in sweep.failures:
        log(f"run failed: {Path(r.run_dir).name or r.config.get('model')}: {r.error}")
    by_dir = {Path(r.run_dir).name: r.result for r in sweep.runs if r.result is not None}
    return {run_id(f): by_dir[run_id(f)] for f in runs if run_id(f) in by_dir}


def timed_sweep(runs: list[dict], o: CompareOptions, out: Path) -> tuple[dict, float]:
    t = time.perf_counter()
    found = sweep(runs, o, out) if runs else {}
    return found, time.perf_counter() - t


def solve_cap(cap_of, overhead_at) -> float:
    """The cap c with c = cap_of(overhead_at(c)): fewer checks in a shorter run mean less
    overhead, so a few fixed-point steps from the most overhead (EVALS checks)."""
    cap = cap_of(overhead_at(1e9))
    for _ in range(3):
        cap = cap_of(overhead_at(max(cap, MIN_CAP)))
    return cap


def measured_overhead(
    results, wall: float, n_runs: int, workers: int, cap: float, setup: float
) -> tuple:
    """The per-wave overhead o (a run's wall time beyond its training: evaluation, test,
    files, plus ``setup`` for the data and model) and the sweep's fixed cost, from one sweep's
    results and its measured wall time ``wall``: start = wall − waves · (cap + o)."""
    extra = [r["wall_seconds"] - r["train_seconds"] for r in results if r.get("wall_seconds")]
    o = (float(np.mean(extra)) if extra else FIRST_OVERHEAD) + setup
    start = max(0.0, wall - waves(n_runs, workers) * (cap + o))
    return o, start


PLAN_FILE = "advisor-budget.json"


def plan_key(o: CompareOptions, kind: str, task_opts: dict, cands, workers: int) -> str:
    """What the plan was derived from: an equal key reuses the measured caps, so a rerun
    (after Ctrl-C, or to see the report again) reuses the finished runs."""
    blob = {
        "kind": kind,
        "task": task_opts,
        "candidates": [c.key for c in cands],
        "hidden": o.hidden_size,
        "batch": o.batch_size,
        "budget_minutes": o.budget_minutes,
        "lrs": list(o.lrs),
        "seeds": o.seeds,
        "workers": workers,
        "season": o.season,
    }
    return json.dumps(blob, sort_keys=True)


def load_plan(out: Path, key: str) -> dict | None:
    try:
        saved = json.loads((out / "runs" / PLAN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if saved.get("key") != key or "final_cap" not in saved.get("plan", {}):
        return None
    log(f"reusing the measured caps of the previous invocation ({out / 'runs' / PLAN_FILE})")
    return saved["plan"]


def save_plan(out: Path, key: str, plan: dict) -> None:
    try:
        (out / "runs").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"cannot create the output folder {out}: {e}. Pass another --out.") from e
    atomic_write_json(out / "runs" / PLAN_FILE, {"key": key, "plan": plan})
