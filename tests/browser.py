"""Open a report in headless Chromium with the network off and check what a reader sees.

Reusable by any test that writes a report (the evidence suite's, the advisor's):

    from browser import check_report, needs_chromium

    @needs_chromium
    @pytest.mark.browser
    def test_report_opens_offline(tmp_path):
        ...
        seen = check_report(tmp_path / "report.html", {"rnn-forgets": "supported"},
                            screenshot=tmp_path / "report.png")

Several reports in one test module can share one browser: ``with chromium() as b:`` and
``check_report(..., browser=b)``.

It uses Debian's Chromium (``/usr/bin/chromium``) through Playwright's Python API and never
Playwright's own browser download. The page is opened offline, and a route aborts (and
records) every request that is neither ``file:`` nor ``data:``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is missing: install Debian's 'chromium' package (make browser)",
)


@dataclass
class PageCheck:
    """What the browser saw: problems found, and the facts tests may assert more on."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)  # {"alt", "naturalWidth", "naturalHeight"}
    sections: dict[str, str] = field(default_factory=dict)  # section id -> its data-verdict
    text: str = ""

    def problems(self, expected_sections: Mapping[str, str | None]) -> list[str]:
        found = []
        found += [f"console error: {m}" for m in self.console_errors]
        found += [f"page error: {m}" for m in self.page_errors]
        found += [f"blocked network request: {u}" for u in self.blocked_requests]
        found += [f"failed request: {u}" for u in self.failed_requests]
        found += [f"image {i['alt']!r} has no natural size" for i in self.images if not i["ok"]]
        for sid, verdict in expected_sections.items():
            if sid not in self.sections:
                found.append(f"section #{sid} is missing")
            elif verdict is not None and self.sections[sid] != verdict:
                found.append(
                    f"section #{sid} shows verdict {self.sections[sid]!r}, not {verdict!r}"
                )
        return found


_INSPECT = """() => ({
  images: Array.from(document.images).map(img => ({
    alt: img.alt, naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight,
    ok: img.complete && img.naturalWidth > 0 && img.naturalHeight > 0})),
  sections: Object.fromEntries(Array.from(document.querySelectorAll("section[id]")).map(s => {
    const badge = s.querySelector("h2 .badge");
    return [s.id, badge ? badge.innerText.replace(/^\\W+/, "").trim() : ""];
  })),
  text: document.body.innerText,
})"""


@contextmanager
def chromium() -> Iterator:
    """A headless Debian Chromium (a Playwright ``Browser``) for several checks in a row."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def inspect_report(
    path: str | Path, screenshot: str | Path | None = None, width: int = 1000, browser=None
) -> PageCheck:
    """Load ``path`` offline in headless Chromium (``browser``, or a fresh one) and return
    what it saw, without asserting anything."""
    if browser is None:
        with chromium() as b:
            return inspect_report(path, screenshot, width, b)
    url = Path(path).resolve().as_uri()
    seen = PageCheck()

    def route(r):
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            seen.blocked_requests.append(r.request.url)
            r.abort()

    context = browser.new_context(offline=True, viewport={"width": width, "height": 900})
    try:
        context.route("**/*", route)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and seen.console_errors.append(m.text))
        page.on("pageerror", lambda e: seen.page_errors.append(str(e)))
        page.on("requestfailed", lambda r: seen.failed_requests.append(r.url))
        page.goto(url, wait_until="load")
        facts = page.evaluate(_INSPECT)
        seen.images, seen.sections, seen.text = facts["images"], facts["sections"], facts["text"]
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=True)
    finally:
        context.close()
    # A request we aborted is also reported as failed; count it once, as blocked.
    seen.failed_requests = [u for u in seen.failed_requests if u not in seen.blocked_requests]
    return seen


def check_report(
    path: str | Path,
    expected_sections: Mapping[str, str | None] | Iterable[str],
    screenshot: str | Path | None = None,
    browser=None,
) -> PageCheck:
    """Open the report offline and fail the test on any console error, any failed or
    blocked request, any image without a natural size, or any expected section missing
    (``{"rnn-forgets": "supported"}`` also checks the verdict shown in its heading; a list
    of ids, or None as the verdict, checks presence only). ``browser`` reuses one from
    ``chromium()``; otherwise one is started. Returns what the browser saw."""
    if not isinstance(expected_sections, Mapping):
        expected_sections = dict.fromkeys(expected_sections)
    seen = inspect_report(path, screenshot, browser=browser)
    problems = seen.problems(expected_sections)
    assert not problems, f"{path} in the browser:\n  " + "\n  ".join(problems)
    return seen
