"""A sweep's summary: every run with its metrics, and the runs grouped by the axes.

The axes are the options whose values differ between the runs (so the same summary serves
a grid, ``seqlab run`` and ``seqlab compare``). Runs that differ only in ``seed`` form one
group, reported as mean ± sd over the seeds (sample sd, n − 1; blank for a single seed).

    summary.json   {"schema": 1, "axes": [...], "counts": {...}, "groups": [...], "runs": [...]}
    summary.csv    one row per run: status, run, the axes, the metrics, the error
    stdout         a rich table of the groups (and the failures, with their errors)
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from pathlib import Path
from typing import Any

from seqlab.atomic import atomic_write_text
from seqlab.sweep.driver import SweepResult

__all__ = [
    "axes_of",
    "group_rows",
    "print_summary",
    "run_rows",
    "summary_document",
    "write_summary",
]

MISSING = "—"
RESULT_COLUMNS = ("metric", "value", "valid_value", "chance", "params", "steps", "train_seconds")


def axes_of(sweep: SweepResult) -> list[str]:
    """Option names whose values differ between the runs, in first-seen order."""
    keys: list[str] = []
    for run in sweep.runs:
        keys += [k for k in run.config if k not in keys]
    return [k for k in keys if len({repr(r.config.get(k)) for r in sweep.runs}) > 1]


def run_rows(sweep: SweepResult) -> list[dict[str, Any]]:
    """One flat row per run (the CSV's rows)."""
    axes = axes_of(sweep)
    rows = []
    for run in sweep.runs:
        row: dict[str, Any] = {"status": run.status, "run": Path(run.run_dir).name}
        row |= {k: run.config.get(k, "") for k in axes}
        row |= {k: (run.result or {}).get(k, "") for k in RESULT_COLUMNS}
        row["error"] = run.error.strip().splitlines()[-1] if run.error else ""
        rows.append(row)
    return rows


def group_rows(sweep: SweepResult) -> list[dict[str, Any]]:
    """One row per combination of the axes other than ``seed``, with mean ± sd."""
    axes = [k for k in axes_of(sweep) if k != "seed"]
    groups: dict[tuple, list] = {}
    for run in sweep.runs:
        key = tuple(repr(run.config.get(k, MISSING)) for k in axes)
        groups.setdefault(key, []).append(run)
    rows = []
    for members in groups.values():
        done = [r.result for r in members if r.result is not None]
        first = done[0] if done else {}
        row: dict[str, Any] = {k: members[0].config.get(k, MISSING) for k in axes}
        value_mean, value_sd = _mean_sd([d.get("value") for d in done])
        valid_mean, valid_sd = _mean_sd([d.get("valid_value") for d in done])
        row |= {
            "n": len(done),
            "failed": sum(r.status == "failed" for r in members),
            "metric": first.get("metric", ""),
            "value_mean": value_mean,
            "value_sd": value_sd,
            "valid_mean": valid_mean,
            "valid_sd": valid_sd,
            "chance": first.get("chance"),
            "params": first.get("params"),
            "train_seconds_mean": _mean_sd([d.get("train_seconds") for d in done])[0],
            "seeds": [r.config.get("seed") for r in members],
        }
        rows.append(row)
    return rows


def summary_document(sweep: SweepResult) -> dict[str, Any]:
    """The JSON document (``--json`` on stdout and ``summary.json``)."""
    return {
        "schema": 1,
        "axes": axes_of(sweep),
        "counts": sweep.counts,
        "groups": group_rows(sweep),
        "runs": [r.to_dict() for r in sweep.runs],
    }


def write_summary(sweep: SweepResult, out: str | Path) -> tuple[Path, Path]:
    """Write ``summary.json`` and ``summary.csv`` into ``out`` (atomically); their paths."""
    out = Path(out)
    rows = run_rows(sweep)
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    json_path, csv_path = out / "summary.json", out / "summary.csv"
    atomic_write_text(json_path, json.dumps(summary_document(sweep), indent=2, default=str) + "\n")
    atomic_write_text(csv_path, buffer.getvalue())
    return json_path, csv_path


def print_summary(sweep: SweepResult, console=None) -> None:
    """A rich table of the groups on stdout, then the failures with their errors."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console(width=None if sys.stdout.isatty() else 160)
    axes = [k for k in axes_of(sweep) if k != "seed"]
    seeds = "seed" in axes_of(sweep)
    table = Table(title=f"sweep: {len(sweep.runs)} runs" + (" (mean ± sd over seeds)" * seeds))
    groups = group_rows(sweep)
    for k in axes:  # axis values are short names and numbers: never squeeze them to "…"
        width = max([len(k)] + [len(str(g[k])) for g in groups])
        table.add_column(k, no_wrap=True, min_width=width)
    for name in ("n", "metric", "test", "valid", "chance", "params", "train s"):
        table.add_column(name, justify="left" if name == "metric" else "right", no_wrap=True)
    for g in groups:
        n = f"{g['n']}" + (f" ({g['failed']} failed)" if g["failed"] else "")
        table.add_row(
            *(str(g[k]) for k in axes),
            n,
            g["metric"],
            _pm(g["value_mean"], g["value_sd"]),
            _pm(g["valid_mean"], g["valid_sd"]),
            _num(g["chance"]),
            "" if g["params"] is None else f"{g['params']:,}",
            _num(g["train_seconds_mean"], ".1f"),
        )
    console.print(table)
    counts = sweep.counts
    console.print(
        f"executed {counts['executed']}, skipped {counts['skipped']} (already finished), "
        f"failed {counts['failed']}",
        highlight=False,
    )
    for run in sweep.failures:
        console.print(f"[red]FAILED[/red] {run.config}:\n  {run.error}", highlight=False)


def _mean_sd(values: list[Any]) -> tuple[float | None, float | None]:
    xs = [float(v) for v in values if isinstance(v, int | float) and math.isfinite(v)]
    if not xs:
        return None, None
    mean = sum(xs) / len(xs)
    if len(xs) < 2:
        return mean, None
    return mean, math.sqrt(sum((x - mean) ** 2 for x in xs) / (len(xs) - 1))


def _num(x: Any, spec: str = ".4g") -> str:
    return "" if x is None else format(x, spec)


def _pm(mean: float | None, sd: float | None) -> str:
    if mean is None:
        return ""
    return _num(mean) if sd is None else f"{mean:.4g} ± {sd:.2g}"
