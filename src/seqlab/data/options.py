"""Task options arrive as Python values or as strings (``--task-opt KEY=VALUE``); these
helpers turn either into the typed value once, at the edge, or raise ``ConfigError``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from seqlab.errors import ConfigError


def as_int(task: str, name: str, value: Any, minimum: int | None = None) -> int:
    try:
        n = int(value)
        if isinstance(value, float | str) and float(value) != n:
            raise ValueError
    except (TypeError, ValueError):
        msg = f"task {task!r}: --{_flag(name)} must be an integer, got {value!r}"
        raise ConfigError(msg) from None
    if minimum is not None and n < minimum:
        raise ConfigError(f"task {task!r}: --{_flag(name)} must be >= {minimum}, got {n}")
    return n


def as_optional_int(task: str, name: str, value: Any, minimum: int | None = None) -> int | None:
    if value is None or (isinstance(value, str) and value.lower() in ("", "none")):
        return None
    return as_int(task, name, value, minimum)


def as_bool(task: str, name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    s = str(value).strip().lower()
    if s in ("1", "true", "yes", "on"):
        return True
    if s in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"task {task!r}: --{_flag(name)} must be true or false, got {value!r}")


def as_choice(task: str, name: str, value: Any, choices: Sequence[str | None]) -> Any:
    if isinstance(value, str) and value.lower() == "none" and None in choices:
        value = None
    if value not in choices:
        shown = ", ".join("none" if c is None else c for c in choices)
        raise ConfigError(f"task {task!r}: --{_flag(name)} must be one of {shown}, got {value!r}")
    return value


def as_names(value: Any) -> tuple[str, ...]:
    """A list of column names from a list/tuple or a comma-separated string."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(str(v) for v in value)


def _flag(name: str) -> str:
    return name.replace("_", "-")
