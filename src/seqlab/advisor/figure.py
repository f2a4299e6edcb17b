"""The advisor's figure: the test metric against the window k (log2 axis), one line per
window family with its interval band, the recurrent models as horizontal bands (their
intervals do not depend on k), the best baseline (trivial or classical) as a dashed line
and the memory horizon as a dotted vertical line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from seqlab.advisor.decide import Row
from seqlab.advisor.plan import FAMILY_TABLE
from seqlab.report.plots import lines, save_figure


def metric_vs_window(
    rows: Sequence[Row],
    baselines: Mapping[str, float],
    metric: str,
    horizon: int | None,
    out_dir: str | Path,
    higher: bool = False,
) -> str | None:
    """Draw and save ``figures/compare.png``; returns its relative path (None: no windows)."""
    ks = sorted({r.cand.window for r in rows if r.cand.is_window})
    if not ks:
        return None
    series: dict[str, dict] = {}
    for family in [f for f, (_, is_window) in FAMILY_TABLE.items() if is_window]:
        fam = sorted((r for r in rows if r.cand.family == family), key=lambda r: r.cand.window)
        if fam:
            series[FAMILY_TABLE[family][0]] = {
                "x": [r.cand.window for r in fam],
                "y": [r.test["mean"] for r in fam],
                "lo": [r.test["lo"] for r in fam],
                "hi": [r.test["hi"] for r in fam],
            }
    bands = {
        FAMILY_TABLE[r.cand.family][0]: {
            "mean": r.test["mean"],
            "lo": r.test["lo"],
            "hi": r.test["hi"],
        }
        for r in rows
        if not r.cand.is_window
    }
    fig = lines(
        series,
        xlabel="window k (steps the FFNN sees)",
        ylabel=f"test {metric}",
        title=f"Test {metric} against window k (recurrent models: bands)",
        logx=True,
        hbands=bands,
        hlines=_best_baseline(baselines, higher),
        vlines={f"memory horizon k={horizon}": horizon} if horizon is not None else None,
    )
    ax = fig.axes[0]
    ax.set_xscale("log", base=2)
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.minorticks_off()
    # Beside the plot: inside, it hides the memory-horizon label or a band.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return save_figure(fig, out_dir, "compare")


def _best_baseline(baselines: Mapping[str, float], higher: bool) -> dict[str, float] | None:
    """The best trivial baseline as one labelled reference line (several grey lines would
    be indistinguishable)."""
    if not baselines:
        return None
    name = (max if higher else min)(baselines, key=baselines.get)
    return {f"best baseline ({name})": baselines[name]}
