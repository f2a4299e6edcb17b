"""The measured table behind ``path="auto"`` on a CPU when training: fused kernel or trace.

``auto_table.json`` (beside this file, written by ``benchmarks/auto_table.py``) holds, per
model and grid cell (B, T, H, I, threads), the path measured faster for one layer's forward
+ backward: ``"trace"`` only where the sequence-level layer was measured faster than torch's
fused kernel at that thread count, ``"fused"`` otherwise — so that at every measured size
the default is never below the fused kernel.

Lookup of a size ``(B, T, H, I)`` at ``threads``: in each dimension separately, the largest
measured value ≤ the size's (the cell "at or below"), or the smallest measured value when
the size is below the grid; beyond the grid that is the nearest (largest) cell. Floors,
not nearest-in-between, so that a threshold measured at a cell (T ≥ 400) holds from that
cell on and not from half-way to it. The choice depends only on the sizes and the thread
count, never on a timing taken at run time, so a run stays repeatable.

The table's ``source`` says where its numbers come from. The shipped table is measured on a
2-core Intel Xeon (2026-12-03, benchmarks/RESULTS.md "The auto table, measured"): the LSTM over
B ∈ {20, 64}, T ∈ {35, 100, 400, 1000}, H ∈ {64, 128, 256, 512}, I ∈ {2, 32, 128}, the GRU
over B ∈ {20, 64}, T ∈ {35, 100, 400}, H ∈ {64, 128, 256}, I ∈ {2, 32}, each at 1 and 2
threads. On another machine, ``benchmarks/auto_table.py`` remeasures it.
"""

from __future__ import annotations

import bisect
import functools
import json
import math
from pathlib import Path
from typing import Any

TABLE = Path(__file__).with_name("auto_table.json")
DIMS = ("B", "T", "H", "I", "threads")


@functools.cache
def load_table(path: str | Path = TABLE) -> dict[str, Any]:
    """The table as written by ``benchmarks/auto_table.py`` (cached per path)."""
    return json.loads(Path(path).read_text())


def _floor(values: list[int], x: int) -> int:
    """The largest of ``values`` ≤ x, or the smallest when x is below them all."""
    k = bisect.bisect_right(values, x)
    return values[max(0, k - 1)]


def lookup(
    model: str,
    B: int,
    T: int,
    H: int,
    I: int,
    threads: int,
    table: dict[str, Any] | None = None,
) -> tuple[str, str]:
    """``(path, reason)``: what ``auto`` trains ``model`` (``"lstm"``/``"gru"``) with at this
    size and thread count, and why (the cell used and its measured times or source).

    Answers are memoised per table object: a training step asks once per forward, and the
    search over a few hundred cells (~0.25 ms) would otherwise be paid every step."""
    table = load_table() if table is None else table
    key = (model, B, T, H, I, threads)
    held, answers = _MEMO.get(id(table), (None, None))
    if held is not table:  # a new table (or a reused id): start its memo afresh
        answers = {}
        _MEMO[id(table)] = (table, answers)
    if key not in answers:
        answers[key] = _search(table, *key)
    return answers[key]


#: id(table) -> (the table, its answers): the table is held so that its id is not reused.
_MEMO: dict[int, tuple[dict[str, Any], dict[tuple, tuple[str, str]]]] = {}


def _search(
    table: dict[str, Any], model: str, B: int, T: int, H: int, I: int, threads: int
) -> tuple[str, str]:
    cells = [c for c in table["cells"] if c["model"] == model]
    if not cells:
        return "fused", f"no measured {model} cell in the auto table: torch's fused kernel"
    size = {"B": B, "T": T, "H": H, "I": I, "threads": threads}
    want = {}
    for d in DIMS:
        grid = sorted({c[d] for c in cells})
        want[d] = _floor(grid, size[d])
    cell = next((c for c in cells if all(c[d] == want[d] for d in DIMS)), None)
    if cell is None:  # a ragged grid: the nearest measured cell in log-size

        def dist(c):
            return sum(abs(math.log(max(c[d], 1) / max(size[d], 1))) for d in DIMS)

        cell = min(cells, key=dist)
    where = ", ".join(f"{d}={cell[d]}" for d in DIMS)
    if "fused_ms" in cell and "trace_ms" in cell:
        why = f"fused {cell['fused_ms']:.3g} ms, trace {cell['trace_ms']:.3g} ms"
    else:  # a seeded cell: its own source (kept by a partial measurement) or the table's
        why = cell.get("source") or table.get("label", "unmeasured")
    return cell["path"], f"auto table cell {where} ({why})"


def dump_table(table: dict[str, Any], path: str | Path = TABLE) -> None:
    """Write ``table`` as JSON with one cell per line (a readable diff when it is remeasured)."""
    head = {k: v for k, v in table.items() if k != "cells"}
    lines = ",\n".join("  " + json.dumps(c) for c in table["cells"])
    text = json.dumps(head, indent=1)[:-2] + ',\n "cells": [\n' + lines + "\n ]\n}\n"
    json.loads(text)  # the writer's own check
    Path(path).write_text(text)
    load_table.cache_clear()
    _MEMO.clear()
