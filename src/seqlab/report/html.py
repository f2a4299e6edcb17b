"""``report.html``: one self-contained file rendered from the results dict.

Self-contained means: CSS inline, every figure inlined as a base64 ``data:`` URI, system
fonts only, no script, so the file opens offline, by e-mail, or from an archive years later
and is readable without JavaScript. All text goes through jinja2 autoescaping.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2

from seqlab.report.format import (
    Cell,
    Table,
    cell,
    evidence_tables,
    format_number,
    format_seconds,
    format_value,
    rows_table,
)
from seqlab.report.schema import ERROR, VERDICTS, check_results, plain

RUN_COLUMNS = ("dir", "task", "model", "params", "metric", "value", "train_seconds")
CANDIDATE_COLUMNS = (
    "model",
    "window",
    "params",
    "metric",
    "value",
    "interval",
    "train_seconds",
    "latency_ms_per_step",
)
_KNOWN_TOP = {
    "schema",
    "seqlab_version",
    "profile",
    "environment",
    "questions",
    "claims",
    "runs",
    "wall_seconds",
    "recommendation",
    "candidates",
    "memory_horizon",
    "candidates_figure",
    "candidates_caption",
    "title",
    "errors",
}
_KNOWN_CLAIM = {
    "id", "title", "statement", "verdict", "rule", "reason", "evidence", "figure", "notes",
    "caption", "error", "parts",
}  # fmt: skip
_MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}
SYMBOL = {"supported": "✓", "refuted": "✗", "inconclusive": "?", ERROR: "!"}


@functools.cache  # one environment per process: compiling the template is the slow part
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("seqlab.report", "templates"),
        autoescape=True,  # every value is text from results; never trusted as markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def figure(
    out_dir: Path, rel: str | None, alt: str, caption: str | None = None
) -> dict[str, Any] | None:
    """A figure path (relative to ``out_dir``) as ``{"src": data URI, "alt", "path"}``, or
    ``{"missing": True, ...}`` when the file is absent, so the report still renders."""
    if not rel:
        return None
    path = Path(rel) if Path(rel).is_absolute() else out_dir / rel
    mime = _MIME.get(path.suffix.lower())
    if mime is None or not path.is_file():
        why = "is not a PNG, JPEG or SVG file" if mime is None else "was not found"
        return {"missing": True, "path": rel, "why": why, "alt": alt}
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    src = f"data:{mime};base64,{data}"
    return {"missing": False, "path": rel, "src": src, "alt": alt, "caption": caption}


def paragraphs(text: str | None) -> list[str]:
    """Plain text split into paragraphs at blank lines."""
    if not text:
        return []
    return [" ".join(p.split()) for p in str(text).split("\n\n") if p.strip()]


def ordered_rows(rows: Sequence[Mapping[str, Any]], first: Sequence[str]) -> list[dict]:
    """Rows with the known columns first (in ``first`` order), then any others."""
    out = []
    for r in rows:
        keys = [k for k in first if k in r] + [k for k in r if k not in first]
        out.append({k: r[k] for k in keys})
    return out


def _interval_text(v: Any) -> Any:
    if isinstance(v, list) and len(v) == 2 and all(isinstance(x, int | float) for x in v):
        return f"[{format_number(v[0])}, {format_number(v[1])}]"
    return v


def candidates_table(results: Mapping[str, Any]) -> tuple[Table | None, int | None]:
    """The advisor's candidates as a table, and the row index of the recommended one."""
    cands = results.get("candidates") or []
    if not cands:
        return None, None
    rows = [
        {**c, "interval": _interval_text(c["interval"])} if "interval" in c else c for c in cands
    ]
    table = rows_table(None, ordered_rows(rows, CANDIDATE_COLUMNS))
    # An interval rendered as "[a, b]" is still a number column.
    if "interval" in table.columns:
        j = table.columns.index("interval")
        table = Table(
            table.title,
            table.columns,
            tuple(r[:j] + (Cell(r[j].text, True),) + r[j + 1 :] for r in table.rows),
        )
    rec = results.get("recommendation") or {}
    chosen = next(
        (
            i
            for i, c in enumerate(cands)
            if c.get("model") == rec.get("model") and c.get("window") == rec.get("window")
        ),
        None,
    )
    return table, chosen


def context(results: Mapping[str, Any], out_dir: Path) -> dict[str, Any]:
    """Everything the template shows, already formatted (the template only lays it out)."""
    claims = []
    for c in results.get("claims", []):
        heading = c.get("title") or c["id"]
        claims.append(
            {
                "id": c["id"],
                "heading": heading,
                "statement": c["statement"],
                "verdict": c["verdict"],
                "symbol": SYMBOL[c["verdict"]],
                "rule": c["rule"],
                "reason": paragraphs(c.get("reason")),
                "parts": [
                    {
                        "part": q["part"],
                        "verdict": q["verdict"],
                        "symbol": SYMBOL[q["verdict"]],
                        "reason": q["reason"],
                    }
                    for q in c.get("parts") or []
                ],
                "tables": evidence_tables(c.get("evidence"))
                + evidence_tables({k: v for k, v in c.items() if k not in _KNOWN_CLAIM}, "more"),
                "figure": figure(
                    out_dir, c.get("figure"), f"Figure for claim {heading}", c.get("caption")
                ),
                "notes": paragraphs(c.get("notes")),
            }
        )
    counts = {v: sum(c["verdict"] == v for c in claims) for v in VERDICTS}
    if any(c["verdict"] == ERROR for c in claims):
        counts[ERROR] = sum(c["verdict"] == ERROR for c in claims)
    env = results.get("environment") or {}
    facts = [("profile", results.get("profile")), ("seqlab", results.get("seqlab_version"))]
    facts += [(k, v) for k, v in results.items() if k not in _KNOWN_TOP and _is_fact(v)]
    facts += [(str(k), v) for k, v in env.items()]
    facts = [(k, format_value(v)) for k, v in facts if v is not None]
    if results.get("wall_seconds") is not None:
        facts.append(("wall time", format_seconds(results["wall_seconds"])))
    runs = results.get("runs") or []
    cand_table, chosen = candidates_table(results)
    rec = results.get("recommendation")
    advisor = rec is not None or bool(results.get("candidates"))
    title = results.get("title") or ("seqlab advisor" if advisor else "seqlab evidence report")
    return {
        "title": title,
        "advisor": advisor,
        "facts": facts,
        "questions": [
            {"question": q["question"], "answer": paragraphs(q["answer"])}
            for q in results.get("questions") or []
        ],
        "claims": claims,
        "counts": counts,
        "recommendation": None
        if rec is None
        else {
            "model": str(rec.get("model")),
            "window": None if rec.get("window") is None else format_value(rec.get("window")),
            "reason": paragraphs(rec.get("reason")),
        },
        "memory_horizon": None
        if results.get("memory_horizon") is None
        else cell(results["memory_horizon"]).text,
        "candidates": cand_table,
        "chosen": chosen,
        "candidates_figure": figure(
            out_dir,
            results.get("candidates_figure"),
            "Candidates: metric against window k",
            results.get("candidates_caption"),
        ),
        "notes": notes(results.get("notes")),
        "errors": [str(e) for e in results.get("errors") or []],
        "runs": rows_table(None, ordered_rows(runs, RUN_COLUMNS)) if runs else None,
        "runs_open": len(runs) <= 40,
        "n_runs": len(runs),
    }


def notes(value: Any) -> list[dict[str, Any]]:
    """Run-level notes (a string or a list of strings) as ``{"text", "pre"}``; multi-line
    notes such as tracebacks keep their lines (``pre``)."""
    if not value:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [{"text": str(t).rstrip(), "pre": "\n" in str(t).strip()} for t in items]


def _is_fact(v: Any) -> bool:
    return v is None or isinstance(v, str | int | float | bool)


def render_html(results: Mapping[str, Any], out_dir: str | Path) -> str:
    """The report as one HTML string; figures are read from ``out_dir`` and inlined."""
    results = plain(results)
    check_results(results)
    return _environment().get_template("report.html.j2").render(**context(results, Path(out_dir)))
