"""The evidence suite end to end on the smoke profile: every claim gets a computed verdict,
the report and results are written, finished runs are reused by a second invocation; a
broken experiment is an error with exit code 1, never a verdict."""

from __future__ import annotations

import json
import types

import pytest

import seqlab.suite.run as suite_run
from browser import check_report, needs_chromium
from seqlab.claims import CLAIMS, VERDICTS
from seqlab.claims.base import Claim, Decision
from seqlab.claims.plan import recall_runs
from seqlab.claims.profiles import PROFILES
from seqlab.cli import main


def test_recall_plan_keeps_sequence_length_fixed_across_distances():
    p = PROFILES["quick"]
    runs = recall_runs(p)
    lengths = {r["lead"] + r["distance"] for r in runs.values()}
    assert lengths == {max(p.distances) + 2}


def test_profiles_quick_and_full_follow_the_design():
    assert len(PROFILES["full"].seeds) >= 3
    assert max(PROFILES["quick"].distances) > max(PROFILES["quick"].windows)
    assert min(PROFILES["quick"].distances) <= min(PROFILES["quick"].windows)


def fake_claim(cid: str, evidence) -> types.ModuleType:
    m = types.ModuleType(cid)
    m.CLAIM = Claim(cid, cid.title(), f"the {cid} statement", "supported if the numbers say so")
    m.RUNS = ()
    m.evidence = evidence
    m.decide = lambda ev: Decision("supported", f"x = {ev['x']}")
    return m


def test_a_broken_evidence_builder_is_an_error_and_exits_1(tmp_path, monkeypatch, capsys):
    claims = {
        "works": fake_claim("works", lambda runs: ({"x": 1}, None)),
        "breaks": fake_claim("breaks", lambda runs: ({"x": 1 / 0}, None)),
    }
    monkeypatch.setattr(suite_run, "CLAIMS", claims)
    with pytest.raises(SystemExit) as e:
        main(["run", "--profile", "smoke", "--out", str(tmp_path)])
    assert e.value.code == 1
    assert "error: breaks: ZeroDivisionError" in capsys.readouterr().err
    results = json.loads((tmp_path / "results.json").read_text())
    works, breaks = results["claims"]
    assert works["verdict"] == "supported" and works["reason"] == "x = 1"
    assert breaks["verdict"] == "error" and breaks["evidence"] == {}
    assert breaks["error"] == "ZeroDivisionError: division by zero"
    assert results["errors"] == ["breaks: ZeroDivisionError: division by zero"]
    assert any("Traceback" in n and "1 / 0" in n for n in results["notes"])
    html = (tmp_path / "report.html").read_text()
    assert 'id="errors"' in html and 'data-verdict="error"' in html
    summary = (tmp_path / "summary.md").read_text()
    assert "## Errors: this run is incomplete" in summary and "1 error" in summary


def test_a_claim_whose_training_run_failed_is_an_error_not_a_verdict(tmp_path, monkeypatch):
    key = "recall/lstm/d8/s0"
    flat = recall_runs(PROFILES["smoke"])[key]
    needs_run = fake_claim("needs-run", lambda runs: ({"x": len(runs.results)}, None))
    needs_run.RUNS = (lambda p: {key: flat},)
    claims = {"needs-run": needs_run, "works": fake_claim("works", lambda runs: ({"x": 1}, None))}
    monkeypatch.setattr(suite_run, "CLAIMS", claims)
    failed = types.SimpleNamespace(runs=[], executed=0, skipped=0, failed=1)
    monkeypatch.setattr(suite_run, "run_sweep", lambda *a, **k: failed)
    results = suite_run.run_suite("smoke", tmp_path, progress=False)
    lost, works = results["claims"]
    assert lost["verdict"] == "error" and key in lost["error"]
    assert works["verdict"] == "supported"
    assert results["errors"] == [f"needs-run: training runs failed: {key}"]


@pytest.fixture(scope="module")
def smoke_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("suite")
    with pytest.raises(SystemExit) as e:
        main(["run", "--profile", "smoke", "--out", str(out), "--jobs", "2"])
    assert e.value.code in (0, None)  # 1 if any experiment broke
    return out


@pytest.mark.slow
def test_run_writes_report_results_and_summary(smoke_report):
    for name in ("report.html", "results.json", "summary.md"):
        assert (smoke_report / name).stat().st_size > 0, name
    results = json.loads((smoke_report / "results.json").read_text())
    assert results["schema"] == 1 and results["profile"] == "smoke"
    assert [c["id"] for c in results["claims"]] == list(CLAIMS)
    assert results["errors"] == []
    for c in results["claims"]:
        assert c["verdict"] in VERDICTS and "error" not in c
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
