"""Command line: thin wrappers over importable functions (one module per command group).

Exit codes: 0 success, 2 bad usage or bad input (a one-paragraph message, no traceback),
130 on Ctrl-C after saving what can be saved.
"""

from __future__ import annotations

import sys

import click

from seqlab.cli import bench, compare, params, run, sweep, train  # noqa: F401  (register commands)
from seqlab.cli.app import app
from seqlab.errors import SeqlabError

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``seqlab`` script; always ends in ``sys.exit(code)``."""
    try:
        code = app(args=argv, prog_name="seqlab", standalone_mode=False)
    except click.exceptions.ClickException as e:  # bad usage: click's message, exit 2
        e.show()
        code = e.exit_code
    except SeqlabError as e:
        print(f"seqlab: error: {e}", file=sys.stderr)
        code = e.exit_code
    except (KeyboardInterrupt, click.exceptions.Abort):
        print("seqlab: interrupted", file=sys.stderr)
        code = 130
    sys.exit(code if isinstance(code, int) else 0)
