"""How close the measured auto-table cells come to the matmul peak (issue 20, item 3).

Reads the cells of an auto table (``benchmarks/auto_table.py``'s output, by default the
package's ``auto_table.json``) and measures this machine's float32 matmul peak at each thread
count in it (``seqlab.machine.matmul_gflops``, best of 7 1024×1024 products). A cell's
forward + backward of one layer with input gradients does

    6 · B · T · G·H · (I + H)   floating-point operations

(the products x W_ihᵀ and h W_hhᵀ forward; dW_ih, dW_hh, dx and dh backward; G = 4 gate
blocks for the LSTM, 3 for the GRU), so its fraction of the peak is that count over the
cell's median time and the peak. Prints one markdown row per cell with H ≥ ``--min-H``.

    .venv/bin/python benchmarks/peak_fraction.py [--table PATH] [--min-H 256]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from seqlab.machine import matmul_gflops
from seqlab.models.auto_table import TABLE

BLOCKS = {"lstm": 4, "gru": 3}


def train_flops(model: str, B: int, T: int, H: int, I: int) -> float:
    """Operations of one layer's forward + backward (with dx) in its matrix products."""
    return 6.0 * B * T * BLOCKS[model] * H * (I + H)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--table", type=Path, default=TABLE)
    ap.add_argument("--min-H", type=int, default=256)
    args = ap.parse_args()
    cells = [c for c in json.loads(args.table.read_text())["cells"] if "trace_ms" in c]
    cells = [c for c in cells if c["H"] >= args.min_H]
    peak = {}
    for threads in sorted({c["threads"] for c in cells}):
        torch.set_num_threads(threads)
        peak[threads] = matmul_gflops(threads)
    print("| model | threads | B | T | H | I | fused % peak | trace % peak | chosen |")
    print("|---|---|---|---|---|---|---|---|---|")
    for c in sorted(
        cells, key=lambda c: (c["model"], c["threads"], c["H"], c["B"], c["T"], c["I"])
    ):
        ops = train_flops(c["model"], c["B"], c["T"], c["H"], c["I"])
        frac = {
            p: ops / (c[f"{p}_ms"] / 1e3) / (peak[c["threads"]] * 1e9) for p in ("fused", "trace")
        }
        print(
            f"| {c['model']} | {c['threads']} | {c['B']} | {c['T']} | {c['H']} | {c['I']} | "
            f"{frac['fused']:.0%} | {frac['trace']:.0%} | {c['path']} |"
        )
    print("matmul peak, GFLOP/s: " + ", ".join(f"{t} thread(s) {g:.1f}" for t, g in peak.items()))


if __name__ == "__main__":
    main()
