"""Time to solve the adding problem, every model with ``seqlab train``'s defaults, beside
the TCN paper's Table 1 (Bai, Kolter & Koltun 2018; adding T = 600, final test MSE at about
70K parameters: TCN 5.8e-5, LSTM 0.164, GRU 5.3e-5, RNN 0.177).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/solve_adding.py [--lens 600 200 1000]
        [--models tcn transformer mingru minlstm lstm gru rnn] [--budget 300]
        [--out benchmarks/solve-adding.json]

Each model runs with its ``seqlab train`` defaults, except that a TCN whose default
receptive field (757 inputs) is shorter than T gets the fewest levels that cover T (7 at T =
1000): below it the answer's first marker can be out of sight. Each cell is
``seqlab.time_to_solve``: one run in a child process at 1 thread, stopped at the first
validation whose MSE is below 0.01 ("solved", the time is the trainer's wall time then) or
after ``--budget`` seconds ("not solved within the budget", with the best validation MSE
reached). A recipe with a schedule keeps its own steps (the TCN's cosine over 10,000), so
its run can also end at its last step before the budget (``ended``: "steps"). Cells run one
after the other, T = 600 first; the JSON is rewritten after every cell, so an interrupted
grid keeps what it measured. The load average at the start of each cell is recorded beside
it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

from seqlab.models.newer import default
from seqlab.models.tcn import levels_for
from seqlab.params import count_params
from seqlab.time_to_solve import time_to_solve

MODELS = ("tcn", "transformer", "mingru", "minlstm", "lstm", "gru", "rnn")
PAPER_T600 = {"tcn": 5.8e-5, "lstm": 0.164, "gru": 5.3e-5, "rnn": 0.177}


def params(model: str, settings: dict) -> int:
    return count_params(
        model,
        2,
        settings["hidden_size"],
        1,
        layers=settings["layers"],
        levels=settings["levels"] or default(model, "levels"),
        kernel_size=settings["kernel_size"] or default(model, "kernel_size"),
    ).total


def options(model: str, T: int) -> dict:
    """The defaults' exceptions: a TCN gets the fewest levels whose receptive field covers T
    when its default stack does not."""
    if model != "tcn":
        return {}
    n = levels_for(T, default("tcn", "kernel_size"))
    return {"levels": n} if n > default("tcn", "levels") else {}


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lens", type=int, nargs="+", default=[600, 200, 1000])
    ap.add_argument("--models", nargs="+", default=list(MODELS))
    ap.add_argument("--budget", type=float, default=300.0)
    ap.add_argument("--out", default="benchmarks/solve-adding.json")
    args = ap.parse_args(argv)
    cells = []
    with tempfile.TemporaryDirectory(prefix="solve-adding-") as runs:
        for T in args.lens:
            for model in args.models:
                load = os.getloadavg()[0]
                opts = options(model, T)
                cell = time_to_solve(T, args.budget, runs, seed=0, model=model, options=opts)
                cell["options"] = opts
                cell["load_average_1min_at_start"] = load
                cell["params"] = params(model, cell["settings"])
                cell["paper_t600_mse"] = PAPER_T600.get(model) if T == 600 else None
                cell.pop("history", None)
                cells.append(cell)
                with open(args.out, "w") as f:
                    json.dump(cells, f, indent=1)
                print(
                    f"T={T} {model}: "
                    + (
                        f"solved in {cell['seconds']:.0f} s ({cell['steps']} steps)"
                        if cell["solved"]
                        else f"not solved ({cell['ended']} ran out: {args.budget:.0f} s "
                        f"budget; best valid MSE {cell['best_valid_mse']}, {cell['steps']} steps)"
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main(sys.argv[1:])
