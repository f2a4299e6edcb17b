"""``summary.md``: the report in markdown — verdict table, the questions, the recommendation.

Short enough to paste into an issue or a pull request; the full evidence lives in
``report.html``. Table cells are escaped (``|`` and newlines) so text cannot break a table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from seqlab.report.format import Table, format_seconds, format_value
from seqlab.report.html import candidates_table
from seqlab.report.schema import ERROR, VERDICTS, check_results, plain

SYMBOL = {"supported": "✅", "refuted": "❌", "inconclusive": "⚠️", ERROR: "🛑"}


def md_cell(text: Any) -> str:
    """Text safe inside a markdown table cell."""
    return " ".join(str(text).split()).replace("\\", "\\\\").replace("|", "\\|")


def md_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[bool]) -> str:
    head = "| " + " | ".join(md_cell(c) for c in columns) + " |"
    rule = "|" + "|".join("---:" if r else "---" for r in right) + "|"
    body = ["| " + " | ".join(md_cell(v) for v in row) + " |" for row in rows]
    return "\n".join([head, rule, *body])


def _from_table(t: Table) -> str:
    right = [bool(t.rows) and all(r[j].numeric for r in t.rows) for j in range(len(t.columns))]
    return md_table(t.columns, [[c.text for c in r] for r in t.rows], right)


def _why(c: Mapping[str, Any]) -> str:
    return f" — why: {' '.join(str(c['reason']).split())}" if c.get("reason") else ""


def _parts(parts: list[Mapping[str, Any]]) -> str:
    """One indented bullet per part of a claim: its clause, verdict and numbers."""
    return "".join(
        f"\n  - {md_cell(q['part'])}: {q['verdict']} ({' '.join(str(q['reason']).split())})"
        for q in parts
    )


def render_summary(results: Mapping[str, Any]) -> str:
    """The markdown summary of ``results`` (schema 1, evidence suite or advisor)."""
    results = plain(results)
    check_results(results)
    out: list[str] = []
    advisor = results.get("recommendation") is not None or bool(results.get("candidates"))
    out.append(
        f"# {results.get('title') or ('seqlab advisor' if advisor else 'seqlab evidence report')}"
    )
    facts = [f"profile **{results['profile']}**"] if results.get("profile") else []
    if results.get("seqlab_version"):
        facts.append(f"seqlab {results['seqlab_version']}")
    for k, v in (results.get("environment") or {}).items():
        facts.append(f"{k} {format_value(v)}")
    if results.get("wall_seconds") is not None:
        facts.append(f"wall time {format_seconds(results['wall_seconds'])}")
    if facts:
        out.append(" · ".join(facts))

    errors = results.get("errors") or []
    if errors:
        out.append("## Errors: this run is incomplete")
        out.append("\n".join(f"- {md_cell(e)}" for e in errors))

    rec = results.get("recommendation")
    if rec is not None:
        pick = str(rec.get("model"))
        if rec.get("window") is not None:
            pick += f" with a window of {format_value(rec['window'])} steps"
        out.append(f"## Recommendation: {pick}")
        out.append(" ".join(str(rec.get("reason", "")).split()))
        if results.get("memory_horizon") is not None:
            out.append(f"Memory horizon: {format_value(results['memory_horizon'])}")

    claims = results.get("claims") or []
    if claims:
        shown = VERDICTS + ((ERROR,) if any(c["verdict"] == ERROR for c in claims) else ())
        counts = ", ".join(f"{sum(c['verdict'] == v for c in claims)} {v}" for v in shown)
        out.append(f"## Verdicts ({counts})")
        rows = [
            [
                c.get("title") or c["id"],
                f"{SYMBOL[c['verdict']]} {c['verdict']}",
                c["statement"],
            ]
            for c in claims
        ]
        out.append(md_table(["claim", "verdict", "statement"], rows, [False] * 3))

    questions = results.get("questions") or []
    if questions:
        out.append("## The questions, answered from this run")
        for q in questions:
            out.append(f"### {' '.join(q['question'].split())}")
            out.append(str(q["answer"]).strip())

    table, _ = candidates_table(results)
    if table is not None:
        out.append("## Candidates")
        out.append(_from_table(table))

    if claims:
        out.append("## Verdict rules")
        out.append(
            "\n".join(
                f"- **{md_cell(c['id'])}** ({c['verdict']}): {' '.join(c['rule'].split())}"
                + (_parts(c["parts"]) if c.get("parts") else _why(c))
                for c in claims
            )
        )
    run_notes = results.get("notes") or []
    run_notes = [run_notes] if isinstance(run_notes, str) else run_notes
    if run_notes:
        out.append("## Notes")
        out.append(
            "\n".join(f"- {md_cell((str(n).strip().splitlines() or [''])[0])}" for n in run_notes)
        )
    out.append("Full evidence, figures and runs: `report.html`; numbers: `results.json`.")
    return "\n\n".join(out) + "\n"
