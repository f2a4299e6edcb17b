"""Which path trains a recurrent layer faster on this CPU: torch's fused kernel (oneDNN) or
seqlab's sequence-level layer (``path="trace"``)? The table behind ``auto_path``.

One layer, forward + ``out.sum()`` backward (input and weight gradients), the two paths
interleaved (fused, trace, fused, trace …) over 5 rounds, median per path; ratio > 1 means
the sequence-level layer is faster.

    .venv/bin/python benchmarks/paths.py [--threads 1] [--model lstm|gru|both]
"""

from __future__ import annotations

import argparse
import time

import torch

from seqlab.models.gru import GRU
from seqlab.models.lstm import LSTM

BATCHES = (20, 64)
HIDDEN = (64, 128, 256, 512)


def time_paths(
    cls, B: int, H: int, I: int, T: int, rounds: int = 5, seconds: float | None = None
) -> dict[str, float]:
    """Median seconds of one forward+backward per path, fused and trace interleaved in
    ``rounds``; each timing repeats the step for about ``seconds`` (measured on one fused
    step), or for ~0.1 s by a FLOP guess when ``None``."""
    torch.manual_seed(0)
    core = cls(I, H, 1)
    x = torch.randn(B, T, I, requires_grad=True)

    def step(path: str) -> None:
        core(x, path=path).sum().backward()

    for path in ("fused", "trace", "fused", "trace"):  # warm-up (and the extension's load)
        step(path)
    if seconds is None:
        n = max(1, int(2e8 / (B * T * H * H * 8)))
    else:
        t = time.perf_counter()
        step("fused")
        n = max(1, int(seconds / max(time.perf_counter() - t, 1e-6)))
    times: dict[str, list[float]] = {"fused": [], "trace": []}
    for _ in range(rounds):
        for path in times:
            t = time.perf_counter()
            for _ in range(n):
                step(path)
            times[path].append((time.perf_counter() - t) / n)
    return {p: sorted(v)[rounds // 2] for p, v in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--model", choices=("lstm", "gru", "both"), default="both")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    classes = {"lstm": (LSTM,), "gru": (GRU,), "both": (LSTM, GRU)}[args.model]
    print(f"threads {args.threads}, torch {torch.__version__}")
    print("| model | B | H | I | T | fused ms | trace ms | trace speed-up |")
    print("|---|---|---|---|---|---|---|---|")
    for cls in classes:
        for B in BATCHES:
            for H in HIDDEN:
                for I, T in ((H, 35), (32, 100)):
                    t = time_paths(cls, B, H, I, T)
                    print(
                        f"| {cls.__name__.lower()} | {B} | {H} | {I} | {T} | "
                        f"{t['fused'] * 1e3:.2f} | {t['trace'] * 1e3:.2f} | "
                        f"{t['fused'] / t['trace']:.2f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
