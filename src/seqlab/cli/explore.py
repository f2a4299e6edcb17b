"""``seqlab explore RUN_DIR …``: the local web page over trained runs."""

from __future__ import annotations

from pathlib import Path

import typer

from seqlab.cli.app import app


@app.command()
def explore(
    runs: list[Path] = typer.Argument(
        ..., metavar="RUN_DIR...", help="Run directories written by `seqlab train`."
    ),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port (0: any free one)."),
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to listen on (default: this machine only)."
    ),
) -> None:
    """A local web page: type a sentence (or pick a test example) and see each model's
    top-5 next words, which earlier words it used (saliency), its gates and cell state
    per unit and step, and the test passages where chosen units fire (LSTMVis's match).

    Example: seqlab explore runs/recall-lstm-* runs/recall-ffnn-* --port 8000
    """
    from seqlab.explore import bind, load_runs, serve

    loaded = load_runs(runs)  # a bad folder exits 2 here, before anything is served
    sock = bind(host, port)
    h, p = sock.getsockname()[:2]
    url = f"http://{'[' + h + ']' if ':' in h else h}:{p}/"

    def ready() -> None:
        typer.echo(f"seqlab explore: {len(loaded)} run(s) at {url}  (Ctrl-C stops)")
        if host not in ("127.0.0.1", "localhost", "::1"):
            typer.echo(f"warning: listening on {host}: other machines can reach it", err=True)

    serve(loaded, sock, on_ready=ready)
    typer.echo("seqlab explore: stopped")
