"""Typed option fields: declared once, with their help text; coerced from strings by type.

    hidden_size: int = option(64, "Hidden units.")

An option field is a dataclass field whose metadata carries the help text that
``seqlab train --help`` shows (``seqlab.cli.train`` builds one command-line option per
field), so adding an option means declaring one field. ``coerce`` converts the values of a
frozen dataclass in place by each field's annotation (``"3e-3"`` -> 0.003 for a float,
``64.0`` -> 64 for an int, ``None`` kept for an optional one), so equal configs hash equally
whether they came from code, a command line or a sweep grid.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable
from typing import Any

from seqlab.errors import ConfigError

HELP = "help"


def option(default: Any, help: str, **field_kw: Any) -> Any:
    """A dataclass field with ``default`` and the command line's ``help`` text."""
    return dataclasses.field(default=default, metadata={HELP: help}, **field_kw)


def flag(name: str) -> str:
    """The command-line spelling of a field name: ``hidden_size`` -> ``--hidden-size``."""
    return "--" + name.replace("_", "-")


def bad(name: str, problem: str, fix: str = "") -> ConfigError:
    """The one shape of an option error: ``option --NAME: problem. fix``."""
    return ConfigError(f"option {flag(name)}: {problem}. {fix}".rstrip())


@functools.cache
def field_types(cls: type) -> dict[str, tuple[type, bool]]:
    """``name -> (scalar type, optional)`` of the int / float / str fields of ``cls``."""
    out = {}
    for name, hint in typing.get_type_hints(cls).items():
        args = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        kinds = [a for a in args if a is not type(None)]
        if len(kinds) == 1 and kinds[0] in (int, float, str):
            out[name] = (kinds[0], len(kinds) < len(args))
    return out


def coerce(obj: Any, parsers: dict[str, tuple[Callable[[Any], Any], str]] | None = None) -> None:
    """Convert ``obj``'s int / float fields by annotation, and each ``parsers`` field by its
    ``(parser, fix)`` (the parser raises ValueError); set them on the frozen ``obj``."""
    for name, (kind, optional) in field_types(type(obj)).items():
        v = getattr(obj, name)
        if (v is None and optional) or kind is str:
            continue
        try:
            f = float(v)
            if isinstance(v, bool) or (kind is int and not f.is_integer()):
                raise ValueError
            out: Any = int(f) if kind is int else f
        except (TypeError, ValueError):
            what = "an integer" if kind is int else "a number"
            raise bad(name, f"expected {what}, got {v!r}") from None
        object.__setattr__(obj, name, out)
    for name, (parse, fix) in (parsers or {}).items():
        try:
            object.__setattr__(obj, name, parse(getattr(obj, name)))
        except ValueError as e:
            raise bad(name, str(e), fix) from None


def positive(obj: Any, names: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
    """``names`` must be >= 1; ``optional`` ones too unless ``None``."""
    for name in names:
        if getattr(obj, name) < 1:
            raise bad(name, f"must be >= 1, got {getattr(obj, name)}", "Use a positive integer.")
    for name in optional:
        v = getattr(obj, name)
        if v is not None and v < 1:
            raise bad(name, f"must be >= 1 when given, got {v}", "Leave it out for the default.")


def one_of(obj: Any, choices: dict[str, tuple[str, ...]]) -> None:
    """Each ``name`` in ``choices`` must hold one of its allowed strings."""
    for name, allowed in choices.items():
        if getattr(obj, name) not in allowed:
            raise bad(
                name, f"unknown value {getattr(obj, name)!r}", f"Use one of {', '.join(allowed)}."
            )
