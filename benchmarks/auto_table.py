"""Measure the table behind ``path="auto"``: fused kernel or sequence-level trace, per size
and thread count, and write ``src/seqlab/models/auto_table.json`` (``seqlab.models.auto_table``).

Each grid cell (model, B, T, H, I, threads) is timed in a fresh process at that thread count
(``torch.set_num_threads`` and ``OMP_NUM_THREADS``): one layer's forward + ``out.sum()``
backward (input and weight gradients), the two paths interleaved (fused, trace, fused, …)
over ``--rounds`` rounds of about ``--seconds`` each, median per path. A cell says ``trace``
only where the trace was measured faster than fused, else ``fused``. The load average
before and after each cell is kept in the table: rerun cells measured on a busy machine.

    .venv/bin/python benchmarks/auto_table.py                      # the full grid, both counts
    .venv/bin/python benchmarks/auto_table.py --threads 1 --B 2 --T 5 --H 4 --I 1 \\
        --models lstm --rounds 3 --seconds 0.01 --out /tmp/table.json   # a tiny grid
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "seqlab" / "models" / "auto_table.json"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def measure_cell(model: str, B: int, T: int, H: int, I: int, rounds: int, seconds: float):
    """Median ms of one forward+backward per path, in this process at its thread count
    (``paths.time_paths``, the paths grid's timing loop)."""
    from paths import time_paths

    from seqlab.models import GRU, LSTM

    times = time_paths(LSTM if model == "lstm" else GRU, B, H, I, T, rounds, seconds)
    return {f"{p}_ms": round(v * 1e3, 4) for p, v in times.items()}


def run_cell(cell: dict, rounds: int, seconds: float) -> dict:
    """``cell`` measured in a fresh process at ``cell["threads"]`` threads."""
    env = {**os.environ, "OMP_NUM_THREADS": str(cell["threads"])}
    args = [sys.executable, __file__, "--cell", json.dumps(cell)]
    args += ["--rounds", str(rounds), "--seconds", str(seconds)]
    load0 = os.getloadavg()[0]
    out = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    path = "trace" if got["trace_ms"] < got["fused_ms"] else "fused"
    load = [round(load0, 2), round(os.getloadavg()[0], 2)]
    return {**cell, "path": path, **got, "load": load}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--models", nargs="+", choices=("lstm", "gru"), default=["lstm", "gru"])
    ap.add_argument("--B", type=int, nargs="+", default=[20, 64])
    ap.add_argument("--T", type=int, nargs="+", default=[35, 100, 400, 1000])
    ap.add_argument("--H", type=int, nargs="+", default=[64, 128, 256, 512])
    ap.add_argument("--I", type=int, nargs="+", default=[2, 32, 128])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=0.1, help="about this long per timing")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument(
        "--merge",
        action="store_true",
        help="keep --out's cells of the models not measured now (each marked with its source)",
    )
    ap.add_argument("--cell", help=argparse.SUPPRESS)  # worker: measure one cell, print JSON
    args = ap.parse_args()
    if args.cell:
        import torch

        c = json.loads(args.cell)
        torch.set_num_threads(c["threads"])
        keys = ("model", "B", "T", "H", "I")
        print(json.dumps(measure_cell(*(c[k] for k in keys), args.rounds, args.seconds)))
        return

    import torch

    from seqlab.models import lstm_ext
    from seqlab.models.auto_table import dump_table

    cells = []
    for threads in args.threads:
        for model in args.models:
            for B in args.B:
                for H in args.H:
                    for I in args.I:
                        for T in args.T:
                            cell = {"model": model, "B": B, "T": T, "H": H, "I": I}
                            row = run_cell({**cell, "threads": threads}, args.rounds, args.seconds)
                            print(json.dumps(row), flush=True)
                            cells.append(row)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    grid = ", ".join(f"{d} {getattr(args, d)}" for d in ("B", "T", "H", "I", "threads"))
    kept = []
    if args.merge and args.out.exists():
        old = json.loads(args.out.read_text())
        kept = [
            {**c, "source": c.get("source", old.get("label", "unmeasured"))}
            for c in old["cells"]
            if c["model"] not in args.models
        ]
    table = {
        "source": f"measured by benchmarks/auto_table.py, {now}: one fresh process per cell, "
        f"{args.rounds} interleaved rounds, median; {', '.join(args.models)} over {grid}"
        + (f"; {len(kept)} cells of other models kept with their own source" if kept else ""),
        "label": f"measured {now}",
        "measured": True,
        "trace_layer": lstm_ext.implementation(),
        "torch": torch.__version__,
        "machine": f"{cpu_name()}, {os.cpu_count()} CPUs",
        "cells": cells + kept,
    }
    dump_table(table, args.out)
    print(f"wrote {args.out} ({len(cells)} cells)")


if __name__ == "__main__":
    main()
