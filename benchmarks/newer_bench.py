"""Throughput and activation memory of the newer models against torch.nn, side by side.

    .venv/bin/python benchmarks/newer_bench.py [--lens 100 400 512 1000 4000 4096]
        [--batch 8] [--hidden 64] [--rounds 3] [--out benchmarks/newer-bench.json]

``seqlab.bench`` with only the newer candidates (and their torch.nn references): tcn
(kernel 7, 6 levels), transformer (1 layer, 4 heads), minLSTM against ``torch.nn.LSTM``;
minGRU by its parallel scan (path ``fast``) and by its sequential step (``trace``) against
``torch.nn.GRU``; one training step (forward + every parameter's gradient) of a random
(B, T, 32) batch, interleaved in one process, 1 thread, ratios per round (see
``seqlab.bench``). Small B and H so that T = 4096 fits a few minutes. Prints the markdown
table of ``benchmarks/RESULTS.md`` and writes the JSON (the load average at the start is in
``machine``).
"""

from __future__ import annotations

import argparse
import json
import sys

from seqlab.bench import BenchConfig, run_bench, to_markdown

NEWER = ("tcn", "transformer", "mingru", "minlstm")


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lens", type=int, nargs="+", default=[100, 400, 512, 1000, 4000, 4096])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default="benchmarks/newer-bench.json")
    args = ap.parse_args(argv)
    cfg = BenchConfig(
        batch_size=args.batch,
        hidden_size=args.hidden,
        input_sizes=(32,),
        seq_lens=tuple(args.lens),
        threads=(1,),
        processes=1,
        rounds=args.rounds,
        solve_lens=(),
        models=NEWER,
    )
    result = run_bench(cfg, log=lambda s: print(s, file=sys.stderr, flush=True))
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(to_markdown(result))


if __name__ == "__main__":
    main(sys.argv[1:])
