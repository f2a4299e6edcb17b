"""`seqlab params`: a model's parameters counted by hand (thin wrapper over seqlab.params)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from seqlab.cli.app import app
from seqlab.params import MODELS, count_params


@app.command()
def params(
    model: Annotated[
        str, typer.Argument(metavar="MODEL", help=f"Model name: {', '.join(MODELS)}.")
    ],
    hidden_size: Annotated[
        int, typer.Option("--hidden-size", "-H", help="H: hidden units per layer.")
    ],
    input_size: Annotated[
        int | None,
        typer.Option(
            "--input-size",
            "-D",
            help="D: input features per step (not needed with --vocab-size).",
        ),
    ] = None,
    output_size: Annotated[
        int | None,
        typer.Option("--output-size", "-O", help="O: adds the linear read-out H → O."),
    ] = None,
    layers: Annotated[
        int,
        typer.Option(
            "--layers",
            "-L",
            help="L: stacked layers (rnn/lstm/gru/mingru/minlstm/transformer), or hidden layers "
            "of ffnn (0 = linear window).",
        ),
    ] = 1,
    levels: Annotated[
        int | None, typer.Option("--levels", help="tcn: residual blocks L (default 8).")
    ] = None,
    kernel_size: Annotated[
        int | None, typer.Option("--kernel-size", help="tcn: kernel size k (default 3).")
    ] = None,
    window: Annotated[
        int | None,
        typer.Option(
            "--window", "-K", help="K: steps the ffnn window sees (ffnn only; default 1)."
        ),
    ] = None,
    convention: Annotated[
        str,
        typer.Option(
            "--convention",
            metavar="torch|keras",
            help="torch: two bias vectors per gate block (b_ih, b_hh); "
            "keras: one (GRU: two, as keras's default reset_after=True).",
        ),
    ] = "torch",
    vocab_size: Annotated[
        int | None,
        typer.Option("--vocab-size", "-V", help="V: token inputs, embedded first (replaces D)."),
    ] = None,
    embed_dim: Annotated[
        int | None,
        typer.Option(
            "--embed-dim", "-E", help="E: embedding size (default H; needs --vocab-size)."
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help='Print only {"model", "convention", "parts": [{"name", "formula", "count"}], '
            '"total"} on stdout.',
        ),
    ] = False,
) -> None:
    """Count a model's parameters by hand: each part, its formula, its count, and the total.

    Example: a 2-layer LSTM over 300-dim word vectors with 512 hidden units:

        seqlab params lstm --input-size 300 --hidden-size 512 --layers 2

    gives 3,768,320 (torch convention; --convention keras: 3,764,224, one bias per gate).
    """
    if window is not None and model != "ffnn":
        typer.echo(f"note: --window applies to ffnn only; ignored for {model}.", err=True)
    if input_size is not None and vocab_size is not None:
        typer.echo("note: --input-size ignored: tokens are embedded to E inputs.", err=True)
    count = count_params(
        model,
        input_size,
        hidden_size,
        output_size=output_size,
        layers=layers,
        window=window if window is not None and model == "ffnn" else 1,
        convention=convention,
        vocab_size=vocab_size,
        embed_dim=embed_dim,
        **_tcn_size(model, levels, kernel_size),
    )
    if as_json:
        typer.echo(json.dumps(count.to_dict(), ensure_ascii=False))
        return

    sizes = ", ".join(f"{k}={v}" for k, v in count.symbols)
    table = Table(title=f"{model} parameters ({count.convention} convention; {sizes})")
    table.add_column("part")
    table.add_column("formula")
    table.add_column("count", justify="right")
    for part in count.parts:
        table.add_row(part.name, part.formula, f"{part.count:,}")
    table.add_section()
    table.add_row("total", "", f"{count.total:,}", style="bold")
    console = Console()
    console.print(table)
    console.print(f"torch vs keras: {count.note}", highlight=False)


def _tcn_size(model: str, levels: int | None, kernel_size: int | None) -> dict[str, int | None]:
    """A tcn's levels and kernel size, the training defaults where not given."""
    if model != "tcn":
        return {}
    from seqlab.models.newer import default

    return {
        "levels": default("tcn", "levels") if levels is None else levels,
        "kernel_size": default("tcn", "kernel_size") if kernel_size is None else kernel_size,
    }
