"""``write_report``: results dict -> ``results.json``, ``report.html``, ``summary.md``.

Every file is written atomically (a temporary file in the same folder, then ``os.replace``),
so an interrupted run never leaves a half-written report behind an old complete one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from seqlab.report.html import render_html
from seqlab.report.schema import check_results, plain
from seqlab.report.summary import render_summary


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` via a temporary sibling and ``os.replace``."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


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
    write_atomic(paths["results"], text)
    write_atomic(paths["html"], html)
    write_atomic(paths["summary"], summary)
    return paths
