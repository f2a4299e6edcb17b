"""``seqlab run``: the evidence suite."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from seqlab.cli.app import app


@app.command()
def run(
    profile: str = typer.Option(
        "quick",
        "--profile",
        help="quick (3 seeds, every claim; minutes on 2 CPU cores) | full (3 seeds, "
        "larger grids: hours on CPU) | smoke (plumbing only).",
    ),
    out: Path = typer.Option(Path("seqlab-report"), "--out", help="Output folder."),
    executor: str = typer.Option("local", "--executor", help="local | ray"),
    address: str = typer.Option(None, "--address", help="Ray cluster address HOST:PORT."),
    jobs: int = typer.Option(None, "--jobs", help="Parallel training runs (default: cores)."),
    as_json: bool = typer.Option(False, "--json", help="Print results.json on stdout."),
) -> None:
    """Run every claim's experiment and write report.html, results.json and summary.md.

    Finished runs under OUT/runs are reused: an interrupted suite resumes where it stopped.
    Exits 1 when an experiment broke (its claim has no verdict; everything else is written).
    """
    from seqlab.suite import run_suite

    results = run_suite(
        profile, out, executor=executor, jobs=jobs, address=address, progress=not as_json
    )
    if as_json:
        json.dump(results, sys.stdout, indent=2)
        print()
    else:
        for c in results["claims"]:
            typer.echo(f"{c['verdict']:>12}  {c['id']}")
        typer.echo(f"report: {out / 'report.html'}  ({results['wall_seconds']:.0f} s)")
    if results["errors"]:
        for e in results["errors"]:
            typer.echo(f"seqlab run: error: {e}", err=True)
        raise typer.Exit(1)
