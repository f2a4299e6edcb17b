"""The context probe's figure: loss increase against the context kept, per model, beside
the paper's effective context (``seqlab.probes.context_summary``)."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from seqlab.probes.context_summary import PAPER
from seqlab.report.plots import FAMILY_COLORS, GREY, PALETTE, SPARE_COLORS, lines


def context_figure(result: dict[str, Any], title: str = "") -> Figure:
    """Loss increase over the full-context loss (nats) against n, log x: per model the
    truncated (solid, with its bootstrap band), shuffled (dashed) and replaced (dotted)
    curves, one colour per model, and the paper's ~200 tokens as a vertical line. The
    legend, beside the plot, names each model once and the two line styles once. Returns a
    matplotlib Figure."""
    series, taken = {}, set()
    for label, m in result["models"].items():
        family = label.split("(")[0].split("-")[0]
        color = FAMILY_COLORS.get(family)
        if color is None or color in taken:  # no two models share a colour
            free = [c for c in (*SPARE_COLORS, *PALETTE) if c not in taken]
            color = free[0] if free else PALETTE[len(taken) % len(PALETTE)]
        taken.add(color)
        for kind, dashes in (("truncated", None), *STYLES.items()):
            c = m["curves"][kind]
            # matplotlib leaves labels starting with "_" out of the legend
            name = label if kind == "truncated" else f"_{label} {kind}"
            style = {"color": color} if dashes is None else {"color": color, "dashes": dashes}
            s = {"x": m["ns"], "y": c["increase"], "style": style}
            if kind == "truncated":
                s["lo"], s["hi"] = c["increase_lo"], c["increase_hi"]
            series[name] = s
    tol = result["tolerance"]
    fig = lines(
        series,
        xlabel="n: tokens of context kept (truncated) or kept in order (perturbed beyond n)",
        ylabel="loss increase over full context (nats)",
        title=title or f"Context use on the test text (effective context: within {tol:.0%})",
        logx=True,
        vlines={"paper ~200": PAPER["effective_context"]},
        hlines={"0": 0.0},
    )
    ax = fig.axes[0]
    for kind, dashes in STYLES.items():
        ax.plot([], [], color=GREY, dashes=dashes, label=f"{kind} beyond n")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    fig.set_figwidth(fig.get_figwidth() + 2.5)
    return fig


STYLES = {"shuffled": (6, 3), "replaced": (1, 2)}  # the perturbed curves' dash patterns
