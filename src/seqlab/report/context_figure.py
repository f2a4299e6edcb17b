"""The context probe's figure: loss increase against the context kept, per model, beside
the paper's effective context (``seqlab.probes.context_summary``)."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from seqlab.probes.context_summary import PAPER
from seqlab.report.plots import FAMILY_COLORS, PALETTE, lines


def context_figure(result: dict[str, Any], title: str = "") -> Figure:
    """Loss increase over the full-context loss (nats) against n, log x: per model the
    truncated (solid, with its bootstrap band), shuffled (dashed) and replaced (dotted)
    curves, and the paper's ~200 tokens as a vertical line. Returns a matplotlib Figure."""
    series = {}
    for i, (label, m) in enumerate(result["models"].items()):
        family = label.split("(")[0].split("-")[0]
        color = FAMILY_COLORS.get(family, PALETTE[(4 + i) % len(PALETTE)])
        for kind, dashes in (("truncated", None), ("shuffled", (6, 3)), ("replaced", (1, 2))):
            c = m["curves"][kind]
            name = label if kind == "truncated" else f"{label} {kind}"
            style = {"color": color} if dashes is None else {"color": color, "dashes": dashes}
            s = {"x": m["ns"], "y": c["increase"], "style": style}
            if kind == "truncated":
                s["lo"], s["hi"] = c["increase_lo"], c["increase_hi"]
            series[name] = s
    tol = result["tolerance"]
    return lines(
        series,
        xlabel="n: tokens of context kept (truncated) or kept in order (perturbed beyond n)",
        ylabel="loss increase over full context (nats)",
        title=title or f"Context use on the test text (effective context: within {tol:.0%})",
        logx=True,
        vlines={"paper ~200": PAPER["effective_context"]},
        hlines={"0": 0.0},
    )
