"""Errors a user can fix. The CLI turns each into a one-paragraph message and exit code 2."""

from __future__ import annotations


class SeqlabError(Exception):
    """A problem with the user's input or options: what, where, and how to fix it.

    The message is shown to the user as it is (no traceback), so it names the file, the
    problem and the fix.
    """

    exit_code = 2


class DataValidationError(SeqlabError):
    """Input data that cannot be used as given (missing file, bad CSV, NaN, too short …)."""


class ConfigError(SeqlabError, ValueError):
    """An option or a combination of options that cannot work."""


class TrainingDiverged(SeqlabError):
    """The loss became non-finite; the last good checkpoint is kept."""

    exit_code = 3
