"""Reports: results dict -> self-contained ``report.html``, ``results.json``, ``summary.md``.

    from seqlab.report import plots, write_report
    fig = plots.lines({"lstm": {"x": d, "y": acc}}, "distance d", "accuracy", hlines={"chance": .1})
    claim["figure"] = plots.save_figure(fig, out_dir, claim["id"])
    write_report(results, out_dir)   # -> {"results": ..., "html": ..., "summary": ...}

``plots`` (matplotlib) is imported on first use, so commands that only write or read
reports do not pay for matplotlib at start-up.
"""

from __future__ import annotations

import importlib
from typing import Any

from seqlab.report.html import render_html
from seqlab.report.schema import SCHEMA, VERDICTS, check_results, plain
from seqlab.report.summary import render_summary
from seqlab.report.write import write_report

__all__ = [
    "SCHEMA",
    "VERDICTS",
    "check_results",
    "plain",
    "plots",
    "render_html",
    "render_summary",
    "write_report",
]


def __getattr__(name: str) -> Any:
    if name == "plots":
        return importlib.import_module("seqlab.report.plots")
    raise AttributeError(f"module 'seqlab.report' has no attribute {name!r}")
