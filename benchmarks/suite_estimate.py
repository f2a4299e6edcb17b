"""Estimate the CPU time of an evidence-suite profile's training runs from short runs.

    .venv/bin/python benchmarks/suite_estimate.py --profile full [--short 10 --long 30]
        [--out benchmarks/suite-estimate-full.json]

Every run the profile plans (``seqlab.suite.run.plan_runs``) is grouped by its *shape*: its
config without seed and steps. One run of each shape is trained once untimed (2 steps: the
one-time costs of a process), then for ``--short`` and for ``--long`` steps (one evaluation
each, 1 thread): per step = the difference of the two runs' step-loop times (the trainer's
``train_seconds``, evaluations excluded: a whole-corpus validation varies by more than
the steps between the two runs take) / (long − short steps), fixed = the short run's CPU
time (``time.process_time``) − its step-loop time (start-up, data, the evaluations). A
planned run is estimated as its evaluations · fixed + steps · per step (an overestimate:
the fixed part also holds start-up). The sum over runs is the CPU time of training; on a
quiet 2-core machine the suite trains two runs at a time, so wall ≈ CPU / 2 (the claims'
evidence, computed after training, comes on top).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import torch


def _shape(flat: dict) -> str:
    return json.dumps(
        {k: v for k, v in flat.items() if k not in ("seed", "steps", "eval_every")}, sort_keys=True
    )


def _cpu(flat: dict, steps: int, root: str) -> float:
    from seqlab.config import TrainConfig
    from seqlab.train import train

    cfg = TrainConfig.from_flat({**flat, "steps": steps, "eval_every": steps})
    t0 = time.process_time()
    result = train(cfg, root, progress="quiet")
    return time.process_time() - t0, result["train_seconds"]


def main() -> None:
    from seqlab.claims.profiles import PROFILES
    from seqlab.suite.run import plan_runs

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--profile", default="full", choices=list(PROFILES))
    ap.add_argument("--short", type=int, default=10)
    ap.add_argument("--long", type=int, default=30)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    torch.set_num_threads(1)
    plan, _, notes = plan_runs(PROFILES[args.profile])
    shapes: dict[str, list[dict]] = {}
    for key, flat in plan.items():
        shapes.setdefault(_shape(flat), []).append({"key": key, **flat})
    rows, total = [], 0.0
    root = tempfile.mkdtemp(prefix="suite-estimate-")
    try:
        for members in shapes.values():
            flat = {k: v for k, v in members[0].items() if k != "key"}
            _cpu(flat, 2, f"{root}/warm")  # one-time costs: imports, kernels, evaluation sets
            a, steps_a = _cpu(flat, args.short, f"{root}/short")  # apart: a run may extend another
            _, steps_b = _cpu(flat, args.long, f"{root}/long")
            per_step = max(0.0, (steps_b - steps_a) / (args.long - args.short))
            fixed = max(0.0, a - steps_a)
            cpu = 0.0
            for m in members:
                evals = max(1, m["steps"] // max(1, m.get("eval_every") or m["steps"]))
                cpu += fixed * evals + m["steps"] * per_step
            total += cpu
            rows.append(
                {
                    "example": members[0]["key"],
                    "runs": len(members),
                    "steps": members[0]["steps"],
                    "per_step_ms": round(1000 * per_step, 2),
                    "fixed_s": round(fixed, 2),
                    "cpu_s": round(cpu, 1),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    result = {
        "profile": args.profile,
        "runs": len(plan),
        "shapes": len(shapes),
        "train_cpu_s": round(total, 1),
        "train_wall_s_on_2_cores": round(total / 2, 1),
        "notes": notes,
        "rows": rows,
    }
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
