"""The Typer application every command module registers on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="seqlab",
    help=(
        "When does a network with memory (RNN, LSTM, GRU) beat a feed-forward window? "
        "Measured, rerunnable evidence — and the same comparison on your own data."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from seqlab import __version__

        typer.echo(f"seqlab {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """seqlab: FFNN vs RNN vs LSTM vs GRU, measured."""
