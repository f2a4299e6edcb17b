"""Command line: thin wrappers over importable functions (one module per command group).

Exit codes: 0 success, 2 bad usage or bad input (a one-paragraph message, no traceback),
130 on Ctrl-C after saving what can be saved (long-running commands catch
``KeyboardInterrupt`` themselves and exit 130).
"""

from __future__ import annotations

import sys

from seqlab.cli import (  # noqa: F401  (register commands)
    bench,
    compare,
    context,
    explore,
    params,
    run,
    sweep,
    train,
)
from seqlab.cli.app import app
from seqlab.errors import SeqlabError

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``seqlab`` script; always ends in ``sys.exit(code)``.

    Usage errors are Typer's (exit 2); a ``SeqlabError`` (bad input) prints its message
    without a traceback and exits with its code (2).
    """
    try:
        app(args=argv, prog_name="seqlab")
    except SeqlabError as e:
        print(f"seqlab: error: {e}", file=sys.stderr)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        print("seqlab: interrupted", file=sys.stderr)
        sys.exit(130)
