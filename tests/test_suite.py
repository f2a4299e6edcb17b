"""The evidence suite end to end on the smoke profile: every claim gets a computed verdict,
the report and results are written, finished runs are reused by a second invocation."""

from __future__ import annotations

import json

import pytest

from browser import check_report, needs_chromium
from seqlab.claims import CLAIMS, VERDICTS
from seqlab.cli import main
from seqlab.suite.plan import recall_runs
from seqlab.suite.profiles import PROFILES


def test_recall_plan_keeps_sequence_length_fixed_across_distances():
    p = PROFILES["quick"]
    runs = recall_runs(p)
    lengths = {r["lead"] + r["distance"] for r in runs.values()}
    assert lengths == {max(p.distances) + 2}


def test_profiles_quick_and_full_follow_the_design():
    assert len(PROFILES["full"].seeds) >= 3
    assert max(PROFILES["quick"].distances) > max(PROFILES["quick"].windows)
    assert min(PROFILES["quick"].distances) <= min(PROFILES["quick"].windows)


@pytest.fixture(scope="module")
def smoke_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("suite")
    with pytest.raises(SystemExit) as e:
        main(["run", "--profile", "smoke", "--out", str(out), "--jobs", "2"])
    assert e.value.code in (0, None)
    return out


@pytest.mark.slow
def test_run_writes_report_results_and_summary(smoke_report):
    for name in ("report.html", "results.json", "summary.md"):
        assert (smoke_report / name).stat().st_size > 0, name
    results = json.loads((smoke_report / "results.json").read_text())
    assert results["schema"] == 1 and results["profile"] == "smoke"
    assert [c["id"] for c in results["claims"]] == list(CLAIMS)
    for c in results["claims"]:
        assert c["verdict"] in VERDICTS
        assert c["rule"] and c["statement"]
        if c["figure"]:
            assert (smoke_report / c["figure"]).stat().st_size > 0
    assert len(results["questions"]) == 3
    assert all(r["params"] > 0 for r in results["runs"])


@pytest.mark.slow
def test_rerun_reuses_finished_runs(smoke_report, capsys):
    before = {p: p.stat().st_mtime_ns for p in smoke_report.glob("runs/*/result.json")}
    with pytest.raises(SystemExit):
        main(["run", "--profile", "smoke", "--out", str(smoke_report)])
    after = {p: p.stat().st_mtime_ns for p in smoke_report.glob("runs/*/result.json")}
    assert before and before == after


@pytest.mark.slow
@pytest.mark.browser
@needs_chromium
def test_suite_report_opens_offline_in_chromium(smoke_report, tmp_path):
    results = json.loads((smoke_report / "results.json").read_text())
    expected = {c["id"]: c["verdict"] for c in results["claims"]}
    check_report(smoke_report / "report.html", expected, screenshot=tmp_path / "report.png")
