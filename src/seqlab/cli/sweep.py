"""`seqlab sweep GRID.toml`: a grid of runs, resumable, on this machine or a Ray cluster.

Exit codes: 0 all runs finished; 1 some runs failed (the rest still ran; failures listed
on stderr); 2 bad grid or options; 130 / 143 on SIGINT / SIGTERM after stopping the
workers (their runs checkpoint; rerun the same command to resume).
"""

from __future__ import annotations

import json
import signal
import sys
from enum import StrEnum
from pathlib import Path

import typer

from seqlab.cli.app import app
from seqlab.sweep import load_grid, print_summary, run_sweep, summary_document, write_summary
from seqlab.sweep.runner import load_runner, runner_from_env


class ExecutorName(StrEnum):
    local = "local"
    ray = "ray"


@app.command()
def sweep(
    grid: Path = typer.Argument(
        ...,
        help="TOML grid file: \\[base] options, \\[axes] lists (every combination is a run), "
        "optional \\[\\[include]] extra runs.",
        show_default=False,
    ),
    executor: ExecutorName = typer.Option(
        ExecutorName.local, "--executor", help="local: a process pool here; ray: Ray tasks."
    ),
    address: str | None = typer.Option(
        None,
        "--address",
        metavar="HOST:PORT",
        help="Ray cluster to join (e.g. 10.0.0.1:6379); default: a local Ray instance.",
    ),
    jobs: int | None = typer.Option(
        None,
        "--jobs",
        "-j",
        min=1,
        help="Runs at once (local: worker processes, default one per core; "
        "ray: most in flight, default all).",
    ),
    out: Path = typer.Option(
        Path("runs"), "--out", help="Folder of run directories (+ summary.csv, summary.json)."
    ),
    retries: int = typer.Option(
        1, "--retries", min=0, help="Extra attempts for a run that crashed (not for bad input)."
    ),
    cpus_per_run: float | None = typer.Option(
        None,
        "--cpus-per-run",
        min=0,
        help="Torch threads per run (local default: cores / jobs); "
        "ray: also the CPUs each run reserves (default 1).",
    ),
    gpus_per_run: float = typer.Option(
        0, "--gpus-per-run", min=0, help="Ray: GPUs reserved per run (fractions share one)."
    ),
    json_out: bool = typer.Option(
        False, "--json", help="Print one JSON document (runs, groups, counts) on stdout."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress on stderr."),
) -> None:
    """Run a grid of training runs; finished runs are skipped, so reruns resume."""
    runner = runner_from_env()
    runs = load_grid(grid, known_keys=load_runner(runner).known_keys)
    stop = _SignalStop()
    try:
        with stop:
            result = run_sweep(
                runs, out, executor=executor.value, jobs=jobs, address=address,
                progress=not quiet, retries=retries, cpus_per_run=cpus_per_run,
                gpus_per_run=gpus_per_run, runner=runner,
            )  # fmt: skip
    except KeyboardInterrupt:
        print(
            f"seqlab: sweep interrupted; finished runs are kept in {out}. "
            "Rerun the same command to run only the unfinished ones.",
            file=sys.stderr,
        )
        raise typer.Exit(stop.exit_code) from None

    write_summary(result, out)
    if json_out:
        document = {"grid": str(grid), "out": str(out), **summary_document(result)}
        print(json.dumps(document, indent=2, default=str))
    else:
        print_summary(result)
    if result.failures:
        print(f"seqlab: {result.failed} of {len(result.runs)} runs failed:", file=sys.stderr)
        for run in result.failures:
            last = run.error.strip().splitlines()[-1] if run.error else "unknown error"
            print(f"  {run.config}: {last}", file=sys.stderr)
        raise typer.Exit(1)


class _SignalStop:
    """Turn SIGTERM into the same clean stop as Ctrl-C (exit 143 instead of 130).

    SIGINT is set to raise KeyboardInterrupt explicitly, as the trainer handles it: a process
    started in the background by a non-interactive shell inherits SIGINT ignored, and Python
    then installs no handler of its own."""

    exit_code = 130

    def __enter__(self) -> _SignalStop:
        self._previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            signal.signal(signal.SIGTERM, self._on_term)
            signal.signal(signal.SIGINT, signal.default_int_handler)
        except ValueError:  # not the main thread: leave signals alone
            self._previous = None
        return self

    def _on_term(self, signum, frame) -> None:
        self.exit_code = 143
        raise KeyboardInterrupt

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            for s, handler in self._previous.items():
                signal.signal(s, handler)
