"""``write_report``: results dict -> ``results.json``, ``report.html``, ``summary.md``.

Every file is written atomically (``seqlab.atomic``: a temporary file in the same folder,
then ``os.replace``), so an interrupted run never leaves a half-written report behind an
old complete one; an unwritable folder is a ``seqlab.atomic.OutputError``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from seqlab.atomic import atomic_write_text
from seqlab.report.html import render_html
from seqlab.report.schema import check_results, plain
from seqlab.report.summary import render_summary


def write_report(results: Mapping[str, Any], out_dir: str | Path) -> dict[str, Path]:
    """Write ``results.json``, ``report.html`` and ``summary.md`` into ``out_dir``.

    ``results`` follows DESIGN.md's schema 1 (see ``seqlab.report.schema``); figures it
    names (``"figures/<id>.png"``, as returned by ``plots.save_figure``) are read from
    ``out_dir`` and inlined into the HTML. numpy values are converted and non-finite floats
    stored as ``null``. Returns ``{"results": path, "html": path, "summary": path}``.
    Raises ``ValueError`` (before writing anything) when ``results`` breaks the schema.
    """
    out = Path(out_dir)
    data = plain(results)
    check_results(data)
    html = render_html(data, out)
    summary = render_summary(data)
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "results": out / "results.json",
        "html": out / "report.html",
        "summary": out / "summary.md",
    }
    atomic_write_text(paths["results"], text)
    atomic_write_text(paths["html"], html)
    atomic_write_text(paths["summary"], summary)
    return paths
