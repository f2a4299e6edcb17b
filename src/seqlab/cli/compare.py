"""`seqlab compare` (to be written)."""

from seqlab.cli.app import app  # noqa: F401
