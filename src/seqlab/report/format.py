"""Numbers and nested evidence as text and tables, shared by the HTML and markdown writers.

A claim's ``evidence`` is free-form nested JSON. These conventions become readable tables:

    {"d": 20, "margin": 0.31}                    scalars          -> one "quantity | value" table
    {"acc": {"mean": .9, "lo": .85, "hi": .95, "n": 3}}
                                                 interval         -> "0.9 [0.85, 0.95] (n=3)"
    {"acc": {"mean": .9, "ci95": .05}}           interval         -> "0.9 ± 0.05"
    {"per_seed": [0.91, 0.88, 0.93]}             per-seed list    -> "0.91, 0.88, 0.93"
    {"sweep": [{"model": "lstm", "d": 5, "acc": .9}, ...]}
                                                 list of rows     -> a table with those columns
    {"params": {"ffnn": 1200, "lstm": 900}}      name -> scalar   -> a "name | value" table
    {"acc": {"lstm": {"5": .9, "10": .8}, "rnn": {...}}}
                                                 name -> name -> scalar
                                                                  -> a matrix (rows x columns)
    {"a": {"b": [rows], "c": 1.0}}               mixed, one level -> sub-tables titled "a › b"
    {"a": {"lstm": {"acc": .9, "params": 10}, "ffnn": {"acc": .2, "params": 8}}, "d": 5}
                                                 records with equal fields inside a group
                                                                  -> one matrix titled "a"

An interval's extra keys (``"method": "Wilson, 1 seed"``) become a note under its table.

Anything deeper is shown as compact JSON in a cell rather than dropped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

_INTERVAL_KEYS = frozenset({"mean", "lo", "hi", "n", "ci95", "std", "sd", "se"})
_MAX_LIST = 8  # per-seed lists longer than this are shortened: first 4, …, last 2
_MAX_JSON = 300  # characters of compact JSON shown for structures deeper than the conventions


@dataclass(frozen=True)
class Cell:
    """One formatted table cell; ``numeric`` cells are right-aligned."""

    text: str
    numeric: bool = False
    note: str | None = None  # e.g. how an interval was computed; shown once per table


@dataclass(frozen=True)
class Table:
    """A titled table of formatted cells (``title`` None for the top-level scalars)."""

    title: str | None
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    @property
    def notes(self) -> tuple[str, ...]:
        """The distinct cell notes, in order (e.g. ``("Wilson, 1 seed",)``)."""
        return tuple(dict.fromkeys(c.note for r in self.rows for c in r if c.note))


def format_number(x: Any) -> str:
    """A number as a reader wants it: ints with thousands separators, floats with 4
    significant digits, scientific below 1e-3 or from 1e9 (``1.23e-5``), ``—`` for missing."""
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, Integral):
        return f"{int(x):,}"
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    a = abs(x)
    if a < 1e-3 or a >= 1e9:
        mantissa, exponent = f"{x:.3e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    if a >= 1e4:
        return f"{x:,.0f}"
    for digits in (4, 5, 6):  # never let 0.99999 read as an exact "1"
        text = f"{x:.{digits}g}"
        if float(text) != round(x) or x == round(x):
            return text
    return "≈" + text


def format_seconds(s: float | None) -> str:
    """Wall time as ``42.1 s``, ``8 min 12 s`` or ``2 h 05 min``."""
    if s is None:
        return "—"
    s = float(s)
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(round(s % 60)):02d} s"
    return f"{int(s // 3600)} h {int(round(s % 3600 / 60)):02d} min"


def is_number(x: Any) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool)


def is_interval(x: Any) -> bool:
    """``{"mean", "lo", "hi"[, "n"]}``, ``{"mean", "ci95"[, "n"]}`` or ``{"mean", "std"}``,
    optionally with more scalar keys (``"method": "Wilson, 1 seed"``) shown as a table note."""
    if not isinstance(x, Mapping) or not is_number(x.get("mean")):
        return False
    if not all(x.get(k) is None or is_number(x[k]) for k in _INTERVAL_KEYS):
        return False
    if not all(v is None or isinstance(v, str | Real) for v in x.values()):
        return False
    return ("lo" in x and "hi" in x) or any(k in x for k in ("ci95", "std", "sd", "se"))


def interval_note(x: Mapping[str, Any]) -> str | None:
    """An interval's keys beyond the number itself (``method``, …) as one short note."""
    extra = [
        str(v) if isinstance(v, str) else f"{k}={format_number(v)}"
        for k, v in x.items()
        if k not in _INTERVAL_KEYS and v is not None
    ]
    return ", ".join(extra) or None


def is_scalar_like(x: Any) -> bool:
    """A value that fits in one cell: scalar, interval, or a flat list of scalars."""
    if x is None or isinstance(x, str | Real):
        return True
    if is_interval(x):
        return True
    if isinstance(x, Sequence) and not isinstance(x, str):
        return all(v is None or isinstance(v, str | Real) for v in x)
    return False


def format_interval(x: Mapping[str, Any]) -> str:
    """``m [lo, hi] (n=k)``, ``m ± ci95 (n=k)`` or ``m ± std sd``."""
    text = format_number(x["mean"])
    if "lo" in x and "hi" in x:
        text += f" [{format_number(x['lo'])}, {format_number(x['hi'])}]"
    elif "ci95" in x:
        text += f" ± {format_number(x['ci95'])}"
    else:
        key = next(k for k in ("std", "sd", "se") if k in x)
        text += f" ± {format_number(x[key])} {'se' if key == 'se' else 'sd'}"
    if x.get("n") is not None:
        text += f" (n={format_number(x['n'])})"
    return text


def format_value(x: Any) -> str:
    """Any evidence value as one line of text (compact JSON beyond the conventions)."""
    if x is None or isinstance(x, Real):
        return format_number(x)
    if isinstance(x, str):
        return x
    if is_interval(x):
        return format_interval(x)
    if isinstance(x, Sequence) and is_scalar_like(x):
        items = [format_value(v) for v in x]
        if len(items) > _MAX_LIST:
            items = [*items[:4], "…", *items[-2:]]
            return ", ".join(items) + f" ({len(x)} values)"
        return ", ".join(items)
    text = json.dumps(x, default=str, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= _MAX_JSON else text[: _MAX_JSON - 1] + "…"


def cell(x: Any) -> Cell:
    if is_interval(x):
        return Cell(format_interval(x), True, interval_note(x))
    numeric = is_number(x)
    if isinstance(x, Sequence) and not isinstance(x, str) and x:
        numeric = all(v is None or is_number(v) for v in x)
    return Cell(format_value(x), numeric)


def align_columns(rows: tuple[tuple[Cell, ...], ...]) -> tuple[tuple[Cell, ...], ...]:
    """Right-align a whole column when every present value in it is numeric, so a missing
    value ("—" or empty) lines up with the numbers around it."""
    if not rows:
        return rows
    numeric = [
        any(r[j].numeric for r in rows)
        and all(r[j].numeric or r[j].text in ("", "—") for r in rows)
        for j in range(len(rows[0]))
    ]
    return tuple(tuple(Cell(c.text, numeric[j], c.note) for j, c in enumerate(r)) for r in rows)


def kv_table(title: str | None, items: Mapping[str, Any], header: str = "quantity") -> Table:
    """A two-column ``name | value`` table."""
    rows = tuple((Cell(str(k)), cell(v)) for k, v in items.items())
    return Table(title, (header, "value"), rows)


def rows_table(title: str | None, rows: Sequence[Mapping[str, Any]]) -> Table:
    """A list of row dicts as a table; columns are the union of keys in first-seen order."""
    columns: list[str] = []
    for row in rows:
        columns.extend(str(k) for k in row if str(k) not in columns)
    body = tuple(
        tuple(cell(row[c]) if c in row else Cell("") for c in columns)
        for row in ({str(k): v for k, v in r.items()} for r in rows)
    )
    return Table(title, tuple(columns), align_columns(body))


def matrix_table(title: str | None, nested: Mapping[str, Mapping[str, Any]]) -> Table:
    """``{row: {column: value}}`` as a matrix; columns are the union of inner keys."""
    columns: list[str] = []
    for inner in nested.values():
        columns.extend(str(k) for k in inner if str(k) not in columns)
    body = tuple(
        (Cell(str(name)), *(cell(inner[c]) if c in inner else Cell("") for c in columns))
        for name, inner in ((n, {str(k): v for k, v in i.items()}) for n, i in nested.items())
    )
    return Table(title, ("", *columns), align_columns(body))


def _is_row_list(x: Any) -> bool:
    return (
        isinstance(x, Sequence)
        and not isinstance(x, str)
        and len(x) > 0
        and all(isinstance(r, Mapping) and all(is_scalar_like(v) for v in r.values()) for r in x)
    )


def _is_record(x: Any) -> bool:
    return (
        isinstance(x, Mapping)
        and not is_interval(x)
        and bool(x)
        and all(is_scalar_like(v) for v in x.values())
    )


def evidence_tables(evidence: Mapping[str, Any] | None, _prefix: str | None = None) -> list[Table]:
    """Evidence as a list of tables: the top-level scalars first, then one table per
    structured entry in the order given (see the module docstring for the conventions).
    ``_prefix`` titles every table as a part of one named group."""
    if not evidence:
        return []
    scalars: dict[str, Any] = {}
    tables: list[Table] = []
    merged: Table | None = None
    if _prefix is not None:
        # Inside a group, sibling records with the same fields read best as one matrix:
        # {"lstm": {"accuracy": …, "params": …}, "ffnn": {"accuracy": …, "params": …}}.
        records = {k: v for k, v in evidence.items() if _is_record(v)}
        if len(records) >= 2 and len({tuple(v) for v in records.values()}) == 1:
            merged = matrix_table(_prefix, records)
            tables.append(merged)
            evidence = {k: v for k, v in evidence.items() if k not in records}
    for key, value in evidence.items():
        title = f"{_prefix} › {key}" if _prefix else str(key)
        if is_scalar_like(value):
            scalars[str(key)] = value
        elif _is_row_list(value):
            tables.append(rows_table(title, value))
        elif isinstance(value, Mapping) and all(is_scalar_like(v) for v in value.values()):
            tables.append(kv_table(title, value, header="name"))
        elif isinstance(value, Mapping) and all(
            isinstance(v, Mapping) and all(is_scalar_like(w) for w in v.values())
            for v in value.values()
        ):
            tables.append(matrix_table(title, value))
        elif isinstance(value, Mapping) and _prefix is None:
            tables.extend(evidence_tables(value, _prefix=title))
        else:
            scalars[str(key)] = value  # deeper than the conventions: compact JSON
    if (
        merged is not None
        and 0 < len(scalars) <= 3
        and all(v is None or isinstance(v, str | Real) for v in scalars.values())
    ):
        # A group's few plain scalars ("distance": 8) read best in the matrix's title.
        facts = ", ".join(f"{k} {format_value(v)}" for k, v in scalars.items())
        tables[0] = Table(f"{_prefix} ({facts})", merged.columns, merged.rows)
    elif scalars:
        tables.insert(0, kv_table(_prefix, scalars))
    return tables
