"""`make faults` itself: one trial of each kind through scripts/faults.py (the full counts
run outside CI and are recorded in docs/reliability.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_faults_script_runs_a_trial_of_each_kind_and_reports_them(tmp_path):
    report = tmp_path / "reliability.md"
    args = ["--sigint", "1", "--sigterm", "0", "--sigkill", "1", "--concurrent", "2",
            "--no-sweep", "--report", str(report), "--json"]  # fmt: skip
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "faults.py"), *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(done.stdout)
    trials = doc["trials"]
    # a signal drawn for after the run's end finds it finished ("finished first") and the
    # script draws again, up to 3 times: exactly one must land during training
    landed = [t for t in trials["sigint"] if t["ok"] is not None]
    assert len(landed) == 1 and landed[0]["ok"], trials["sigint"]
    assert len(trials["sigint"]) <= 3 and len(trials["sigkill"]) == 1
    assert trials["sigkill"][0]["previous_loads"] and trials["sigkill"][0]["identical"]
    assert trials["concurrent"][0]["trained"] == 1
    assert len(trials["bad_input"]) >= 20 and all(b["exit_code"] == 2 for b in trials["bad_input"])
    text = report.read_text()
    assert "| SIGKILL inside a checkpoint write | 1 | 1 | 0 |" in text
    assert "$WORK" in text and str(tmp_path) not in text
