"""A user's CSV file as a validated table of text cells, and typed columns from it.

Locations in messages are what the user sees in an editor: ``line`` is the 1-based line
of the file (the header is line 1 when it is the first line). The delimiter is sniffed
among ``,`` ``;`` and tab. Missing cells are empty or one of ``NA``, ``N/A``, ``NaN``,
``null``, ``None`` (any case); they become NaN in numeric columns. Infinite values
(``inf``, ``-Infinity`` …) are kept as ±inf so that callers can report them.
"""

from __future__ import annotations

import csv
import io
import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from seqlab.data.files import read_text
from seqlab.errors import DataValidationError

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none"})
TIME_NAMES = frozenset(
    {"date", "time", "timestamp", "datetime", "ds", "year", "month", "week", "day", "period"}
)
_DATE_FORMATS = ("%Y-%m", "%Y/%m/%d", "%Y/%m", "%d.%m.%Y")


@dataclass(frozen=True)
class Table:
    """Header and rows of text cells; ``lines[i]`` is the file line of data row ``i``."""

    path: Path
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    lines: tuple[int, ...]
    _parsed: dict = field(default_factory=dict, compare=False, repr=False)  # column parses

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> list[str]:
        j = self.header.index(name)
        return [r[j] for r in self.rows]

    def head(self, n: int) -> Table:
        return Table(self.path, self.header, self.rows[:n], self.lines[:n])


def read_csv(path: str | os.PathLike) -> Table:
    """The CSV at ``path`` after checking encoding, header and row widths."""
    p = Path(path).expanduser()
    text = read_text(p, "CSV file")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    records: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                records.append((reader.line_num, [cell.strip() for cell in row]))
    except csv.Error as e:
        raise DataValidationError(
            f"{p}: line {reader.line_num}: not valid CSV ({e}). Fix: check its quoting."
        ) from None
    if not records:
        raise DataValidationError(f"{p}: the CSV file holds no rows. Fix: name a file with data.")
    (header_line, header), data = records[0], records[1:]
    for j, name in enumerate(header):
        if not name:
            raise DataValidationError(
                f"{p}: line {header_line}: column {j + 1} of the header has no name. "
                "Fix: the first line must name every column."
            )
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise DataValidationError(
            f"{p}: line {header_line}: the header repeats column name(s) {', '.join(dupes)}. "
            "Fix: give every column a unique name."
        )
    if not data:
        raise DataValidationError(
            f"{p}: the CSV file has a header (line {header_line}) but no data rows. "
            "Fix: name a file with data."
        )
    for line, row in data:
        if len(row) != len(header):
            raise DataValidationError(
                f"{p}: line {line}: {len(row)} field(s), but the header (line {header_line}) "
                f"names {len(header)} columns. Fix: give every row the same number of fields."
            )
    return Table(p, tuple(header), tuple(tuple(r) for _, r in data), tuple(ln for ln, _ in data))


def is_missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING


def _float(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def numeric_values(table: Table, name: str) -> np.ndarray | None:
    """Column ``name`` as float64 (NaN where missing), or None if a cell is not a number
    or every cell is missing. Read-only; parsed once per table."""
    key = ("numeric", name)
    if key not in table._parsed:
        table._parsed[key] = _frozen(_numeric(table.column(name)))
    return table._parsed[key]


def _numeric(cells: list[str]) -> np.ndarray | None:
    try:  # fast path: numpy parses plain numbers (and nan / inf) itself
        out = np.asarray(cells, dtype=np.float64)
    except ValueError:
        return _cell_by_cell(cells, _float)
    return None if np.isnan(out).all() else out


def _cell_by_cell(cells: list[str], parse: Callable[[str], float | None]) -> np.ndarray | None:
    """The slow path of a column parser: ``parse`` each cell (NaN where missing); None if a
    cell does not parse or every cell is missing."""
    out = np.empty(len(cells), dtype=np.float64)
    for i, cell in enumerate(cells):
        v = math.nan if is_missing(cell) else parse(cell)
        if v is None:
            return None
        out[i] = v
    return None if np.isnan(out).all() else out


def _frozen(a: np.ndarray | None) -> np.ndarray | None:
    if a is not None:
        a.flags.writeable = False
    return a


def first_set(mask: np.ndarray) -> tuple[int, int, int] | None:
    """``(count, row, column)`` of a 2-D boolean mask over a table's rows × columns: how many
    cells are set, and the first of them in file order (row-major); None if none is."""
    if not mask.any():
        return None
    i, j = np.argwhere(mask)[0]
    return int(mask.sum()), int(i), int(j)


def first_non_numeric(table: Table, name: str) -> tuple[int, str] | None:
    """(line, cell) of the first cell of ``name`` that is neither missing nor a number."""
    for line, cell in zip(table.lines, table.column(name), strict=True):
        if not is_missing(cell) and _float(cell) is None:
            return line, cell
    return None


def parse_time(cell: str) -> float | None:
    """Seconds since the epoch (naive times read as UTC), a plain number as itself, or
    None if ``cell`` is no date/time."""
    v = _float(cell)
    if v is not None:
        return v
    s = cell.strip()
    try:
        t = datetime.fromisoformat(s)
    except ValueError:
        for fmt in _DATE_FORMATS:
            try:
                t = datetime.strptime(s, fmt)
                break
            except ValueError:
                continue
        else:
            return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.timestamp()


def time_values(table: Table, name: str) -> np.ndarray | None:
    """Column ``name`` as times (NaN where missing), or None if some cell is no time.
    Read-only; parsed once per table."""
    key = ("time", name)
    if key not in table._parsed:
        numbers = numeric_values(table, name)
        table._parsed[key] = numbers if numbers is not None else _frozen(_times(table.column(name)))
    return table._parsed[key]


def _times(cells: list[str]) -> np.ndarray | None:
    try:  # fast path: numpy parses ISO 8601 dates and times (naive, read as UTC)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            stamps = np.asarray(cells, dtype="datetime64[s]")
        out = stamps.astype(np.int64).astype(np.float64)
        out[np.isnat(stamps)] = math.nan
    except (ValueError, TypeError, Warning):
        return _cell_by_cell(cells, parse_time)
    return None if np.isnan(out).all() else out


def find_time_column(table: Table) -> str | None:
    """The time column: the first column named like a time (``date``, ``timestamp``,
    ``year`` …) whose cells parse as times, else the first non-numeric column whose cells
    all parse as dates; None if there is none."""
    for name in table.header:
        if name.strip().lower() in TIME_NAMES and time_values(table, name) is not None:
            return name
    for name in table.header:
        if numeric_values(table, name) is None and time_values(table, name) is not None:
            return name
    return None
