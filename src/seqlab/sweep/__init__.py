"""Grids of runs, on this machine or a Ray cluster, with the same run directories and resume.

    runs = load_grid("grid.toml")                    # flat run configs (grid.py)
    sweep = run_sweep(runs, "runs", executor="local")  # skip finished, execute the rest
    write_summary(sweep, "runs"); print_summary(sweep)

grid.py      the TOML grid form, validated at the edge, expanded into flat configs
runner.py    what names and trains one run (the trainer, by default)
executor.py  the executor interface, one attempt at a run, the retry rule
local.py     a process pool on this machine (default)
cluster.py   Ray tasks on a local Ray instance or a cluster (optional extra seqlab[ray])
driver.py    run_sweep: skip finished runs, dispatch the rest, collect outcomes
summary.py   runs and groups (mean ± sd over seeds) as a table, CSV and JSON
"""

from seqlab.sweep.driver import EXECUTORS, RunOutcome, SweepResult, run_sweep
from seqlab.sweep.grid import Grid, load_grid, read_grid
from seqlab.sweep.summary import print_summary, summary_document, write_summary

__all__ = [
    "EXECUTORS",
    "Grid",
    "RunOutcome",
    "SweepResult",
    "load_grid",
    "print_summary",
    "read_grid",
    "run_sweep",
    "summary_document",
    "write_summary",
]
