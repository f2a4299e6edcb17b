"""`seqlab compare PATH`: the advisor on the user's data (thin wrapper over seqlab.compare)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer

from seqlab.cli.app import app


def process_age() -> float:
    """Seconds since this process started, when this process is the ``seqlab`` command
    (Linux ``/proc``; else 0, e.g. when a test calls ``main``): Python start and imports
    count against ``--budget-minutes`` too, which is wall time of the command."""
    entry = Path(sys.argv[0])
    if entry.name != "seqlab" and entry.parts[-2:] != ("seqlab", "__main__.py"):
        return 0.0
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])  # field 22, starttime
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


@app.command()
def compare(
    path: Path = typer.Argument(
        ..., help="Your CSV time series, labelled sequences (CSV or .npz), or text file / folder."
    ),  # fmt: skip
    task: str | None = typer.Option(
        None, "--task", help="series, classify or text (inferred from PATH when clear)."
    ),
    target: str | None = typer.Option(
        None, "--target", help="series: the column to forecast; classify: the label column."
    ),
    horizon: int | None = typer.Option(None, "--horizon", help="series: steps ahead (1)."),
    seq_len: int | None = typer.Option(
        None, "--seq-len", help="series/text: training chunk length T (64 / 35)."
    ),
    fill: str | None = typer.Option(
        None, "--fill", help="series: missing values: ffill, interpolate or drop."
    ),
    limit: int | None = typer.Option(
        None, "--limit", help="Use only the first N rows (series) or sequences (classify)."
    ),
    covariates: str | None = typer.Option(
        None, "--covariates", help="series: more numeric input columns, e.g. price,promo."
    ),
    season: int | None = typer.Option(
        None, "--season", help="series: the season in steps (default: detected)."
    ),
    test: Path | None = typer.Option(
        None,
        "--test",
        help="An official test file (series: the rows after PATH's; classify: sequences); "
        "PATH is then the training file.",
    ),
    task_opt: list[str] = typer.Option(
        [], "--task-opt", help="Any other task option as KEY=VALUE (repeatable), as in train."
    ),
    budget_minutes: float = typer.Option(
        5.0, "--budget-minutes", help="Wall-clock budget of the whole comparison, in minutes."
    ),
    seeds: int = typer.Option(3, "--seeds", help="Seeds per candidate (intervals need >= 2)."),
    lrs: str | None = typer.Option(
        None, "--lrs", help="Learning rates searched per candidate (3e-3,1e-2,3e-2)."
    ),
    max_window: int | None = typer.Option(
        None, "--max-window", help="Widest FFNN window of the grid 1, 2, 4, … (default: T)."
    ),
    windows: str | None = typer.Option(
        None, "--windows", help="Explicit window grid instead, e.g. 1,4,16,64."
    ),
    models: str | None = typer.Option(
        None,
        "--models",
        help="Families to train (linear,ffnn,rnn,lstm,gru,tcn,transformer,mingru: all).",
    ),
    hidden_size: int = typer.Option(
        32, "--hidden-size", help="LSTM hidden units; the others are matched to its parameters."
    ),
    batch_size: int = typer.Option(32, "--batch-size", help="Sequences per step."),
    tolerance: float = typer.Option(
        0.02, "--tolerance", help="Gaps below this fraction of the best value count as noise."
    ),
    out: Path = typer.Option(Path("seqlab-compare"), "--out", help="Report and runs folder."),
    executor: str = typer.Option("local", "--executor", help="local (default) or ray."),
    jobs: int | None = typer.Option(None, "--jobs", help="Parallel runs (default: one per core)."),
    address: str | None = typer.Option(None, "--address", help="Ray cluster HOST:PORT."),
    json_out: bool = typer.Option(False, "--json", help="Print results.json on stdout."),
) -> None:
    """Which architecture does your data need? Scores trivial and classical baselines, and
    trains linear and FFNN windows, RNN, LSTM, GRU, TCN, Transformer and minGRU at matched
    parameter counts for equal seconds within the budget;
    recommends the simplest that is as good as the best, with reasons.

    Example: seqlab compare sales.csv --target units --budget-minutes 10
    """
    from seqlab.advisor.options import DEFAULT_LRS, CompareOptions, parse_list
    from seqlab.advisor.plan import FAMILIES
    from seqlab.advisor.run import compare as run_compare

    options = CompareOptions(
        path=str(path),
        task=task,
        target=target,
        horizon=horizon,
        seq_len=seq_len,
        budget_minutes=budget_minutes,
        seeds=seeds,
        lrs=parse_list(lrs, float, "lrs") or DEFAULT_LRS,
        windows=parse_list(windows, int, "windows"),
        max_window=max_window,
        models=parse_list(models, str, "models") or FAMILIES,
        hidden_size=hidden_size,
        batch_size=batch_size,
        tolerance=tolerance,
        out=str(out),
        executor=executor,
        jobs=jobs,
        address=address,
        fill=fill,
        limit=limit,
        covariates=covariates,
        task_opts=tuple(task_opt),
        season=season,
        test=None if test is None else str(test),
        spent_seconds=process_age(),
    )
    results = run_compare(options)
    if json_out:
        typer.echo(json.dumps(results, indent=2, allow_nan=False, default=str))
    else:
        rec = results["recommendation"]
        window = f" with a window of {rec['window']} steps" if rec["window"] else ""
        typer.echo(f"Recommendation: {rec['model']}{window}\n{rec['reason']}")
        typer.echo(f"Report: {out / 'report.html'}")
