"""The LSTM trace path, compiled layer against the Python layer and torch.nn.LSTM (issue 20).

One layer, forward + ``out.sum()`` backward (input and weight gradients), in one process at
the given thread count: torch.nn.LSTM (oneDNN), seqlab's trace path with the compiled layer
(``lstm_ext``, "cpp") and with the Python sequence-level layer ("python"), interleaved
(torch, cpp, python, torch, …) over ``--rounds`` rounds, median per path. Prints the load
average beside every row, since a ratio taken on a busy machine is only indicative.

    .venv/bin/python benchmarks/trace_ext.py [--threads 1] [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from seqlab.models import lstm_ext
from seqlab.models.fused_seq import lstm_layer as python_layer
from seqlab.models.lstm import LSTM

GRID = [(64, 128, I, T) for I in (1, 32) for T in (100, 400)]


def time_cell(B: int, H: int, I: int, T: int, rounds: int) -> dict[str, float]:
    """Median seconds of one forward+backward per path."""
    torch.manual_seed(0)
    ref = torch.nn.LSTM(I, H, batch_first=True)
    core = LSTM(I, H, forget_bias=0.0)
    core.load_state_dict(ref.state_dict())
    x = torch.randn(B, T, I, requires_grad=True)

    def python_trace() -> torch.Tensor:
        return python_layer(x.transpose(0, 1), *core.layer_params(0))[0].transpose(0, 1)

    steps = {
        "torch": lambda: ref(x)[0],
        "cpp": lambda: core(x, path="trace"),
        "python": python_trace,
    }
    for f in list(steps.values()) * 2:  # warm-up
        f().sum().backward()
    n = max(1, int(2e8 / (B * T * H * H * 8)))
    times: dict[str, list[float]] = {p: [] for p in steps}
    for _ in range(rounds):
        for p, f in steps.items():
            t = time.perf_counter()
            for _ in range(n):
                f().sum().backward()
            times[p].append((time.perf_counter() - t) / n)
    return {p: sorted(v)[rounds // 2] for p, v in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"threads {args.threads}, torch {torch.__version__}, layer {lstm_ext.implementation()}")
    print("| B | H | I | T | torch ms | cpp ms | python ms | cpp/torch | python/torch | load |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for B, H, I, T in GRID:
        load0 = os.getloadavg()[0]
        m = time_cell(B, H, I, T, args.rounds)
        load1 = os.getloadavg()[0]
        print(
            f"| {B} | {H} | {I} | {T} | {m['torch'] * 1e3:.1f} | {m['cpp'] * 1e3:.1f} | "
            f"{m['python'] * 1e3:.1f} | {m['torch'] / m['cpp']:.2f} | "
            f"{m['torch'] / m['python']:.2f} | {load0:.2f}–{load1:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
