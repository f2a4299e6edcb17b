"""Frames at an equal budget: Fashion-MNIST read as 28 rows ("video frames"), an FFNN over
the last k rows against the sequence models over all rows (RNN, LSTM, GRU, dilated TCN,
causal Transformer, minGRU, minLSTM), at equal steps and equal time.

    .venv/bin/python benchmarks/frames.py [--steps 1500] [--hidden 128] [--windows 7 28]
        [--models rnn lstm gru tcn transformer mingru minlstm] [--jobs 5]
        [--runs /tmp/frames-runs] [--out benchmarks/frames.json]

Budgets (every model: hidden size H, 1 layer (FFNN: 1 hidden layer over the k·28 pixels;
TCN: kernel 3, 3 levels, a receptive field of 29 rows; Transformer: its default heads), AdamW
lr 3e-3 with a cosine decay to 0, batch 64, clipping 1.0, validation every 500 steps
on the 5,000 held-out training images, the best-validation weights scored on the 10,000
test images):

* equal steps: ``--steps`` optimizer steps for every model;
* equal time: every model gets the CPU time the LSTM spends on ``--steps`` steps. Each
  model's CPU seconds per step (``time.process_time``, 1 thread, median of 3 blocks of 10
  steps after 5 warm-up steps) is measured first; its step count is then
  ``steps · cpu_step(lstm) / cpu_step(model)``, so the cosine schedule still ends at 0.
  CPU time, not wall time, because the machine is shared: wall seconds are also recorded.

Runs go through ``seqlab.train.train`` (one run directory each, reused when it exists), in
``--jobs`` worker processes of 1 thread. Reference points (the data set's README table):
MLP 256-128-100 0.883, GRU+SVM 0.888.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import torch

REFERENCES = {"MLP 256-128-100": 0.883, "GRU+SVM": 0.888, "GRU+SVM with dropout": 0.897}
SEQUENCE_MODELS = ("rnn", "lstm", "gru", "tcn", "transformer", "mingru", "minlstm")
# The TCN's default stack (kernel 7, 6 levels, r = 757) is sized for adding T = 600; over 28
# rows the smallest kernel-3 stack that sees the whole image is 3 levels (r = 29).
MODEL_OPTIONS = {"tcn": {"kernel_size": 3, "levels": 3}}


def flat_config(model: str, k: int | None, steps: int, hidden: int, seed: int) -> dict:
    flat = {
        "task": "images",
        "order": "rows",
        "model": model,
        "hidden_size": hidden,
        "steps": steps,
        "schedule": "cosine",
        "eval_every": 500,
        "seed": seed,
    }
    if k is not None:
        flat["window"] = k
    return {**flat, **MODEL_OPTIONS.get(model, {})}


def label(model: str, k: int | None) -> str:
    return f"ffnn(k={k})" if model == "ffnn" else model


def cpu_per_step(flat: dict, blocks: int = 3, block: int = 10, warmup: int = 5) -> float:
    """Median CPU seconds of one training step (1 thread), batches as the trainer draws them."""
    from seqlab.config import TrainConfig
    from seqlab.tasks import build_task
    from seqlab.train import init_model

    torch.set_num_threads(1)
    cfg = TrainConfig.from_flat(flat)
    task = build_task(cfg.task, cfg.task_options, cfg.seed)
    with torch.random.fork_rng(devices=[]):
        model = init_model(cfg, task)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    g = torch.Generator().manual_seed(0)

    def step() -> None:
        b = task.train_batch(cfg.batch_size, g)
        loss = model.loss(b.x, b.y, b.mask, task.kind)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for _ in range(warmup):
        step()
    times = []
    for _ in range(blocks):
        t0 = time.process_time()
        for _ in range(block):
            step()
        times.append((time.process_time() - t0) / block)
    return statistics.median(times)


def train_one(args: tuple[dict, str]) -> dict:
    """Train (or reuse) one run in this worker; return its result with CPU seconds."""
    from seqlab.config import TrainConfig
    from seqlab.train import train

    flat, runs = args
    torch.set_num_threads(1)
    t0, w0 = time.process_time(), time.perf_counter()
    r = train(TrainConfig.from_flat(flat), runs, progress="quiet")
    return {
        **{k: r[k] for k in ("model", "params", "value", "valid_value", "steps", "best_step")},
        "train_seconds_wall": r["train_seconds"],
        "process_cpu_seconds": round(time.process_time() - t0, 2),
        "process_wall_seconds": round(time.perf_counter() - w0, 2),
        "run_dir": r["run_dir"],
        "config": flat,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--windows", type=int, nargs="+", default=[7, 28])
    ap.add_argument(
        "--models",
        nargs="+",
        default=list(SEQUENCE_MODELS),
        help="sequence models over all rows (the LSTM is always measured: "
        "the equal-time budget is its CPU time)",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=5)
    ap.add_argument("--runs", default="/tmp/frames-runs")
    ap.add_argument("--out", default="benchmarks/frames.json")
    a = ap.parse_args()

    sequence = ["lstm", *(m for m in a.models if m != "lstm")]
    models = [("ffnn", k) for k in a.windows] + [(m, None) for m in sequence]
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    load_start = os.getloadavg()
    cpu = {
        label(m, k): cpu_per_step(flat_config(m, k, a.steps, a.hidden, a.seed)) for m, k in models
    }
    print("CPU seconds per step:", {k: round(v, 4) for k, v in cpu.items()}, flush=True)
    plan = {}
    for m, k in models:
        name = label(m, k)
        plan[("steps", name)] = flat_config(m, k, a.steps, a.hidden, a.seed)
        time_steps = max(1, round(a.steps * cpu["lstm"] / cpu[name]))
        plan[("time", name)] = flat_config(m, k, time_steps, a.hidden, a.seed)
    unique = {json.dumps(f, sort_keys=True): f for f in plan.values()}
    with ProcessPoolExecutor(max_workers=a.jobs) as pool:
        done = dict(
            zip(unique, pool.map(train_one, [(f, a.runs) for f in unique.values()]), strict=True)
        )
    rows = []
    for (budget, name), f in plan.items():
        r = done[json.dumps(f, sort_keys=True)]
        rows.append(
            {
                "budget": budget,
                "label": name,
                "cpu_seconds_per_step": round(cpu[name], 5),
                "train_cpu_seconds_est": round(cpu[name] * r["steps"], 1),
                **r,
            }
        )
        print(
            f"{budget:>5}  {name:>10}  steps {r['steps']:>5}  params {r['params']:>7,}  "
            f"test acc {r['value']:.4f}  (valid {r['valid_value']:.4f})  "
            f"cpu/step {cpu[name] * 1000:.1f} ms  train wall {r['train_seconds_wall']:.0f} s",
            flush=True,
        )
    out = {
        "benchmark": "frames",
        "started": started,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load_average_start": load_start,
        "load_average_end": os.getloadavg(),
        "machine": {
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "torch": torch.__version__,
            "threads_per_run": 1,
            "jobs": a.jobs,
        },
        "settings": vars(a),
        "references": REFERENCES,
        "cpu_seconds_per_step": cpu,
        "rows": rows,
    }
    Path(a.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
