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
from seqlab.config import TrainConfig
from seqlab.tasks import build_task


def test_recall_sweeps_cover_the_grid_with_one_run_per_model_and_seed():
    p = PROFILES["quick"]
    runs = recall_runs(p)
    sweeps = {k: r for k, r in runs.items() if "-" in str(r["distance"])}
    recurrent = {r["model"] for r in sweeps.values() if r["model"] != "ffnn"}
    assert len(sweeps) == len(p.seeds) * (len(p.windows) + len(recurrent)) + 1  # + rnn-noclip
    for r in sweeps.values():
        lo, hi = map(int, r["distance"].split("-"))
        assert lo == 2 and r["lead"] + hi == hi + 2  # T = 2 + the longest d
        assert hi == (p.ffnn_max_distance if r["model"] == "ffnn" else max(p.distances))


def test_profiles_quick_and_full_follow_the_design():
    quick, full = PROFILES["quick"], PROFILES["full"]
    assert all(p.cuts for p in PROFILES.values()) and quick.cuts != full.cuts
    assert len(full.seeds) >= 3 and len(quick.seeds) >= 3
    assert len(quick.distances) >= 8 and max(full.distances) > max(quick.distances)
    assert max(quick.distances) > max(quick.windows) and min(quick.distances) <= min(quick.windows)
    assert quick.ffnn_max_distance > max(quick.windows)  # every FFNN is tested beyond its window
    assert set(quick.text_corpora) == {"kjv", "fortunes-de"}


@pytest.mark.parametrize("name", ["quick", "full"])
def test_every_planned_synthetic_run_builds_its_task_and_held_out_sets(name):
    """A profile's plan is valid before hours of training depend on it: every run's config
    passes validation and its synthetic task draws disjoint valid/test sets (the smoke
    profile's tiny eval sets cannot show a too-short sequence at 1,000 examples)."""
    plan, _, _ = suite_run.plan_runs(PROFILES[name])
    built = set()
    for key, flat in plan.items():
        config = TrainConfig.from_flat(flat)
        if config.task in ("text", "images") or (config.task, str(config.task_options)) in built:
            continue
        built.add((config.task, str(config.task_options)))
        task = build_task(config.task, config.task_options, config.seed)
        assert len(task.eval_set("test").y) == task.eval_size, key


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
    # what the profile cut to fit its time comes first, in the results and in the summary
    assert results["notes"][0] == PROFILES["smoke"].cuts
    assert PROFILES["smoke"].cuts.split(":")[0] in (smoke_report / "summary.md").read_text()


@pytest.mark.slow
def test_two_fresh_runs_agree_on_everything_but_timing(smoke_report, tmp_path):
    """Run values, evidence, parts and verdicts are identical across fresh invocations;
    only what ``results.json`` marks as timing-dependent may differ."""
    with pytest.raises(SystemExit) as e:
        main(["run", "--profile", "smoke", "--out", str(tmp_path), "--jobs", "2"])
    assert e.value.code in (0, None)
    first, second = (json.loads((d / "results.json").read_text()) for d in (smoke_report, tmp_path))
    assert "runs.*.train_seconds" in first["timing_dependent"]
    marked = {c["id"]: c["timing_dependent"] for c in first["claims"]}
    assert marked["lstm-costlier"] and marked["memory-pays-off"]
    a, b = suite_run.without_timing(first), suite_run.without_timing(second)
    for ca, cb in zip(a.pop("claims"), b.pop("claims"), strict=True):
        assert ca == cb, ca["id"]
    assert a == b
    assert [r["value"] for r in first["runs"]] == [r["value"] for r in second["runs"]]


def test_without_timing_removes_exactly_the_marked_numbers():
    results = {
        "timing_dependent": ["wall_seconds", "runs.*.train_seconds"],
        "wall_seconds": 3.0,
        "runs": [{"value": 0.5, "train_seconds": 1.0}],
        "claims": [
            {
                "id": "c",
                "verdict": "supported",
                "reason": "fast",
                "figure": "f.png",
                "timing_dependent": ["rows.*.ms"],
                "parts": [
                    {"part": "a", "verdict": "supported", "reason": "x"},
                    {"part": "b", "verdict": "supported", "reason": "1 ms", "timing": True},
                ],
                "evidence": {"rows": [{"ms": 1.0, "acc": 0.9}]},
            }
        ],
    }
    out = suite_run.without_timing(results)
    assert out["runs"] == [{"value": 0.5}] and "wall_seconds" not in out
    (c,) = out["claims"]
    assert c["evidence"] == {"rows": [{"acc": 0.9}]}
    assert [p["part"] for p in c["parts"]] == ["a"] and "verdict" not in c
    assert results["runs"][0]["train_seconds"] == 1.0  # the input is left alone


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


def test_a_finished_whole_run_stands_in_for_its_stopped_twin(tmp_path):
    """A suite from before the recall runs stopped at accuracy 1 is reused: the whole run
    kept the weights the stopped one would keep. Not for any other stop or metric."""
    flat = {"task": "recall", "model": "lstm", "distance": 6, "steps": 40, "stop_at": 1.0}
    twin = {k: v for k, v in flat.items() if k != "stop_at"}
    plan = {"ok": flat, "partial": {**flat, "stop_at": 0.9}, "fresh": {**flat, "seed": 7}}
    assert suite_run.reuse_whole_runs(plan, tmp_path) == plan  # nothing finished yet
    for f, metric in ((twin, "accuracy"), ({**twin, "seed": 7}, "mse")):
        folder = tmp_path / suite_run.run_id(f)
        folder.mkdir()
        (folder / "result.json").write_text(json.dumps({"metric": metric}))
    reused = suite_run.reuse_whole_runs(plan, tmp_path)
    assert reused["ok"] == twin
    assert reused["partial"] == plan["partial"]  # 0.9: a later, better check could be kept
    assert reused["fresh"] == plan["fresh"]  # its twin's metric is not an accuracy
