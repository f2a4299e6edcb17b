"""`seqlab context`: how much context trained text models use (thin wrapper over
``seqlab.probes.context_summary`` and ``seqlab.report.context_figure``)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from seqlab.cli.app import app


@app.command()
def context(
    runs: list[Path] = typer.Argument(
        ..., help="Run directories of `seqlab train --task text` (several seeds of a model pool)."
    ),
    tokens: int = typer.Option(
        2000, "--tokens", min=1, help="Test positions (target words) to score."
    ),
    tolerance: float = typer.Option(
        0.01, "--tolerance", help="Effective context: loss within this fraction of the full."
    ),
    boot: int = typer.Option(1000, "--boot", min=10, help="Bootstrap resamples of positions."),
    seed: int = typer.Option(0, "--seed", help="Seed of the positions, shuffles and draws."),
    out_png: Path | None = typer.Option(None, "--out", help="Write the figure to this PNG."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Test loss with the context cut to the last n tokens, and with the tokens beyond n
    shuffled or replaced by random words (Khandelwal et al. 2018); each model's effective
    context (the smallest n within --tolerance of the lowest loss over the n kept; the
    paper's reference, the full context's loss, is in --json as effective_context_full),
    beside the paper's ~200 tokens.

    Example: seqlab context runs/text-lstm-3f9a1c2e7b runs/text-rnn-0c1d2e3f4a --out ctx.png
    """
    from seqlab.probes.context_summary import context_use
    from seqlab.report.context_figure import context_figure

    result = context_use(runs, tokens=tokens, tolerance=tolerance, boot=boot, seed=seed)
    if out_png is not None:
        from seqlab.atomic import atomic_write_bytes
        from seqlab.report.plots import png_bytes

        atomic_write_bytes(out_png, png_bytes(context_figure(result)))
        result["figure"] = str(out_png)
    if json_out:
        typer.echo(json.dumps(result, indent=2))
        return
    typer.echo(_table(result))


def _table(result: dict) -> str:
    lines = []
    for label, m in result["models"].items():
        seeds = ", ".join(str(s) for s in m["seeds"])
        lines.append(
            f"{label} (seeds {seeds}; {m['positions']} positions; full context {m['full']} "
            f"tokens: perplexity {m['full_perplexity']:.1f}; best at {m['best']['n']} tokens: "
            f"{m['best']['perplexity']:.1f})"
        )
        lines.append(f"{'n':>6}  {'truncated':>10}  {'shuffled':>10}  {'replaced':>10}   (loss +%)")
        c = m["curves"]
        for i, n in enumerate(m["ns"]):
            row = [
                100 * c[k]["relative_increase"][i] for k in ("truncated", "shuffled", "replaced")
            ]
            lines.append(f"{n:>6}  " + "  ".join(f"{v:>+10.2f}" for v in row))
        lines.append("  " + m["paper_comparison"])
        lines.append("")
    if "figure" in result:
        lines.append(f"figure: {result['figure']}")
    return "\n".join(lines)
