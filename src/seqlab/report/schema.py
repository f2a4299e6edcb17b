"""The results dict (DESIGN.md's ``results.json``, schema 1): a JSON-safe copy and a check.

    {"schema": 1, "seqlab_version": str, "profile": str, "environment": {...},
     "questions": [{"question": str, "answer": str}],
     "claims": [{"id", "title"?, "statement", "verdict", "rule", "reason"?, "evidence": {...},
                 "figure": "figures/<id>.png" | None, "caption"?, "notes"?, "error"?,
                 "parts"?: [{"part", "verdict", "reason"}], ...}],
     "errors": [str]?,        # experiments that broke: no verdict, and `seqlab run` exits 1
     "runs": [{"dir", "task", "model", "params", "metric", "value", "train_seconds"}],
     "notes": str | [str]?,   # run-level: failed runs, tracebacks of broken experiments
     "wall_seconds": float,
     # the advisor (``seqlab compare``) adds:
     "recommendation": {"model", "window", "reason"},
     "candidates": [{"model", "window", "params", "metric", "value", "interval",
                     "train_seconds", "latency_ms_per_step"}],
     "memory_horizon": ..., "candidates_figure": "figures/<name>.png" | None}

A claim whose experiment broke has ``"verdict": "error"`` (not a verdict: nothing was
decided) and says why in ``"error"``. Any other key of a claim is shown under "more"; any
other top-level scalar among the run facts. Results come from our own code (claims,
advisor), so a malformed dict is a programming error: ``check_results`` raises
``ValueError`` listing every problem at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import numpy as np

SCHEMA = 1
VERDICTS = ("supported", "refuted", "inconclusive")
ERROR = "error"  # in a claim's "verdict" field: its experiment broke, no verdict was reached
# Ids of the report's own sections; a claim id must not collide with them.
RESERVED_IDS = frozenset(
    {"facts", "errors", "questions", "overview", "recommendation", "candidates", "notes", "runs"}
)
_CLAIM_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def plain(x: Any) -> Any:
    """A JSON-safe deep copy: numpy scalars and arrays become Python numbers and lists,
    tuples become lists, paths become strings, and non-finite floats become ``None``
    (strict JSON has no NaN; a diverged value reads as missing, "—", in the report)."""
    if isinstance(x, Mapping):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [plain(v) for v in x]
    if isinstance(x, np.ndarray):
        return plain(x.tolist())
    if isinstance(x, np.generic):
        return plain(x.item())
    if isinstance(x, PurePath):
        return str(x)
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if x is None or isinstance(x, bool | int | float | str):
        return x
    if hasattr(x, "tolist"):  # e.g. a CPU tensor, without importing torch here
        return plain(x.tolist())
    raise TypeError(f"results contain a {type(x).__name__}, which has no JSON form: {x!r}")


def check_results(results: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` naming every way ``results`` departs from schema 1."""
    problems: list[str] = []
    if results.get("schema") != SCHEMA:
        problems.append(f"'schema' must be {SCHEMA}, got {results.get('schema')!r}")
    claims = results.get("claims", [])
    if not isinstance(claims, list):
        problems.append("'claims' must be a list")
        claims = []
    seen: set[str] = set()
    for i, c in enumerate(claims):
        where = f"claims[{i}]"
        if not isinstance(c, Mapping):
            problems.append(f"{where} must be a dict")
            continue
        cid = c.get("id")
        if not isinstance(cid, str) or not _CLAIM_ID.match(cid):
            problems.append(f"{where}.id {cid!r}: use lower-case letters, digits and '-'")
        elif cid in RESERVED_IDS:
            problems.append(f"{where}.id {cid!r} collides with a report section; rename it")
        elif cid in seen:
            problems.append(f"{where}.id {cid!r} appears twice")
        else:
            seen.add(cid)
        for key in ("statement", "rule"):
            if not isinstance(c.get(key), str):
                problems.append(f"{where}.{key} must be a string")
        if c.get("verdict") == ERROR:
            if not isinstance(c.get("error"), str) or not c["error"].strip():
                problems.append(f"{where} has verdict 'error' but no 'error' text saying why")
        elif c.get("verdict") not in VERDICTS:
            problems.append(
                f"{where}.verdict {c.get('verdict')!r} is not one of {VERDICTS} or {ERROR!r}"
            )
        if not isinstance(c.get("evidence", {}), Mapping):
            problems.append(f"{where}.evidence must be a dict")
        if c.get("figure") is not None and not isinstance(c.get("figure"), str):
            problems.append(f"{where}.figure must be a path string or None")
        for j, q in enumerate(c.get("parts") or []):
            if not (
                isinstance(q, Mapping)
                and isinstance(q.get("part"), str)
                and q.get("verdict") in VERDICTS
                and isinstance(q.get("reason"), str)
            ):
                problems.append(
                    f"{where}.parts[{j}] must be {{'part': str, 'verdict': one of {VERDICTS}, "
                    "'reason': str}"
                )
    errors = results.get("errors", [])
    if not isinstance(errors, list) or not all(isinstance(e, str) for e in errors):
        problems.append("'errors' must be a list of strings")
    for key in ("questions", "runs", "candidates"):
        rows = results.get(key, [])
        if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
            problems.append(f"'{key}' must be a list of dicts")
    for i, q in enumerate(results.get("questions", []) or []):
        if isinstance(q, Mapping) and not all(
            isinstance(q.get(k), str) for k in ("question", "answer")
        ):
            problems.append(f"questions[{i}] needs string 'question' and 'answer'")
    rec = results.get("recommendation")
    if rec is not None and not (isinstance(rec, Mapping) and "model" in rec and "reason" in rec):
        problems.append("'recommendation' must be a dict with 'model', 'window' and 'reason'")
    if problems:
        raise ValueError("results do not follow schema 1:\n  " + "\n  ".join(problems))
