"""`seqlab explore` in a real browser (Debian's headless Chromium): type, hover, click, match.

The server runs in a thread on a free port of 127.0.0.1; a route aborts (and records) every
request that does not go to it. ``SEQLAB_EXPLORE_RUNS`` (run directories, separated by
spaces) replaces the tiny test runs and ``SEQLAB_EXPLORE_SCREENSHOT`` (a .png path) keeps the
screenshots (the page's top, and the recall LSTM's gates as ``…-gates.png``): that is how
the README's pictures are made, from the runs it names.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request

import pytest

from browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium
from explore_fixtures import ALICE, explore_runs

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``(url, loaded runs)`` of a live server over the recall runs and the text run."""
    import uvicorn

    from seqlab.explore import bind, create_app, load_runs

    if os.environ.get("SEQLAB_EXPLORE_RUNS"):
        dirs = os.environ["SEQLAB_EXPLORE_RUNS"].split()
    else:
        runs = explore_runs(tmp_path_factory.getbasetemp() / "explore-runs")
        dirs = [d for name, d in runs.items() if name != "series-gru"]
    loaded = load_runs(dirs)
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(loaded), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "the server did not start"
    yield f"http://127.0.0.1:{port}/", loaded
    srv.should_exit = True
    thread.join(timeout=10)
    sock.close()


def _post(url: str, body: dict) -> dict:
    req = urllib.request.Request(
        url, json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def test_type_hover_click_and_match_with_no_errors_and_no_remote_requests(server, tmp_path):
    from playwright.sync_api import sync_playwright

    url, loaded = server
    console, page_errors, blocked, failed = [], [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})

            def route(r):
                if r.request.url.startswith(url):
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda m: m.type == "error" and console.append(m.text))
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.goto(url, wait_until="load")
            page.wait_for_selector("body[data-ready='1']")

            # type the Alice sentence and submit with the keyboard only
            page.focus("#text")
            page.keyboard.type(ALICE)
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.id") == "analyze"
            page.keyboard.press("Enter")
            page.wait_for_selector("#prediction-table")
            api = _post(url + "api/analyze", {"text": ALICE})  # what the page should show
            views = {v["run"]: v for v in api["models"]}
            n_panels = sum(len(v["panels"]) for v in views.values())
            page.wait_for_function(
                f"document.querySelectorAll('#gates .chart svg').length >= {n_panels}"
            )
            page.wait_for_function(
                f"document.querySelectorAll('#saliency .chart svg').length >= {len(loaded)}"
            )

            # every model has a column of top-5 lists, one row per word
            headers = page.locator("#prediction-table thead th.model").all_inner_texts()
            assert headers == [r.label for r in loaded]
            words = ALICE.split()
            assert page.locator("#prediction-table tbody tr").count() == len(words)
            for r in loaded:
                cells = page.locator(f"#prediction-table td[data-run='{r.id}'] ol.top")
                assert cells.count() == len(words)
                assert cells.nth(0).locator("li").count() == min(5, len(r.output_labels))

            # each heatmap holds units × steps cells
            for r in loaded:
                steps = len(views[r.id]["tokens"])
                for name in (p["name"] for p in views[r.id]["panels"]):
                    rects = page.locator(
                        f"#gates .chart[data-run='{r.id}'][data-panel='{name}'] "
                        "path[aria-roledescription='rect mark']"
                    )
                    assert rects.count() == r.config.hidden_size * steps, (r.id, name)

            # hover one cell of the LSTM's cell state: the tooltip shows its exact value
            lstm = next(r for r in loaded if r.config.model == "lstm" and r.config.task == "recall")
            unit, step = 3, words.index("hungry")
            cell = page.locator(
                f"#gates .chart[data-run='{lstm.id}'][data-panel='c'] "
                f"path[aria-label^='step: {step}; unit: {unit};']"
            )
            cell.hover()
            tip = page.locator("#vg-tooltip-element")
            tip.wait_for(state="visible")
            c_value = next(p for p in views[lstm.id]["panels"] if p["name"] == "c")["values"]
            assert f"{c_value[unit][step]:.4f}" in tip.inner_text().replace("−", "-")
            assert "hungry" in tip.inner_text()

            # click it: the unit's trace appears and the unit joins the match form
            cell.click()
            trace = page.locator(f".trace[data-run='{lstm.id}']")
            trace.locator("svg").wait_for()
            assert trace.get_attribute("data-unit") == str(unit)
            assert page.input_value("#match-units") == str(unit)
            assert page.input_value("#match-run") == lstm.id

            # match: passages of the test set where the unit's input gate is open
            page.select_option("#match-panel", "i")
            page.fill("#match-threshold", "0.5")
            page.click("#match-go")
            page.wait_for_selector("#match-results li")
            expect = _post(
                url + "api/match",
                {"run": lstm.id, "panel": "i", "units": [unit], "threshold": 0.5, "limit": 10},
            )
            shown = page.locator("#match-results li mark").all_inner_texts()
            assert shown == [" ".join(m["tokens"]) for m in expect["results"]]
            assert shown, "no matches"

            # select view: the units whose input gate stays >= 0.5 from "hungry" to the end
            page.select_option("#span-from", str(step))
            page.select_option("#span-to", str(len(words) - 1))
            page.click("#span-select")
            gate_i = next(p for p in views[lstm.id]["panels"] if p["name"] == "i")["values"]
            off = views[lstm.id]["offset"]
            on = [u for u, row in enumerate(gate_i) if min(row[off + step :]) >= 0.5]
            assert page.input_value("#match-units") == ", ".join(map(str, on))

            # every control has a label (or, for a button, its text) for keyboard users
            unlabeled = page.evaluate(
                """() => Array.from(document.querySelectorAll('input, select, textarea, button'))
                  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                               && !(e.tagName === 'BUTTON' && e.textContent.trim()))
                  .map(e => e.outerHTML.slice(0, 80))"""
            )
            assert unlabeled == []

            shot = tmp_path / "explore.png"
            page.screenshot(path=str(shot), full_page=False)
            assert shot.stat().st_size > 10_000
            keep = os.environ.get("SEQLAB_EXPLORE_SCREENSHOT")
            if keep:
                page.evaluate("window.scrollTo(0, 0)")
                clip = {"x": 0, "y": 0, "width": 1280, "height": 2000}  # input to saliency
                page.screenshot(path=keep, full_page=True, clip=clip)
                gates = page.locator(f".model-gates[data-run='{lstm.id}']")
                gates.screenshot(path=keep.removesuffix(".png") + "-gates.png")
            context.close()
        finally:
            browser.close()
    failed = [u for u in failed if u not in blocked]
    assert not console, console
    assert not page_errors, page_errors
    assert not blocked, blocked
    assert not failed, failed
