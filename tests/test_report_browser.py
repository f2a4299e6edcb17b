"""The written report in a real browser (Debian's headless Chromium), with the network off."""

from __future__ import annotations

import pytest

from browser import check_report, chromium, inspect_report, needs_chromium
from fixtures_results import advisor_results, claims_results, draw_figures
from seqlab.report import write_report

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:  # one launch for the module: starting Chromium is most of the time
        yield b


def test_claims_report_opens_offline_with_every_figure_and_verdict(tmp_path, browser):
    results = claims_results()
    draw_figures(results, tmp_path)
    paths = write_report(results, tmp_path)
    shot = tmp_path / "report.png"
    seen = check_report(
        paths["html"],
        {"questions": None, "overview": None, "runs": None}
        | {c["id"]: c["verdict"] for c in results["claims"]},
        screenshot=shot,
        browser=browser,
    )
    assert len(seen.images) == sum(bool(c["figure"]) for c in results["claims"]) == 7
    assert all(i["naturalWidth"] >= 800 for i in seen.images)
    for q in results["questions"]:
        assert q["question"] in seen.text
    assert shot.stat().st_size > 10_000


def test_advisor_report_opens_offline_with_its_recommendation(tmp_path, browser):
    results = advisor_results()
    draw_figures(results, tmp_path)
    paths = write_report(results, tmp_path)
    seen = check_report(
        paths["html"],
        ["recommendation", "candidates"],
        screenshot=tmp_path / "advisor.png",
        browser=browser,
    )
    assert len(seen.images) == 1 and "ffnn with a window of 2 steps" in seen.text


def test_check_report_catches_a_network_request_and_a_broken_image(tmp_path, browser):
    """The checker itself can fail: a remote image is blocked, and an empty one is broken."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><body><section id="x"></section>'
        '<img alt="remote" src="https://example.com/a.png">'
        '<img alt="empty" src="data:image/png;base64,">'
        "</body></html>",
        encoding="utf-8",
    )
    seen = inspect_report(page, browser=browser)
    problems = seen.problems({"x": None, "missing-claim": None})
    assert seen.blocked_requests == ["https://example.com/a.png"]
    assert any("image 'empty' has no natural size" in p for p in problems)
    assert "section #missing-claim is missing" in problems
