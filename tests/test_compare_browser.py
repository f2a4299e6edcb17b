"""`seqlab compare` end to end on a realistic CSV (dates, weekly season, trend, noise) on
CPU within its budget, and its report in a real browser (Debian's headless Chromium) with
the network off."""

from __future__ import annotations

import json

import pytest

from browser import check_report, needs_chromium
from seqlab.cli import main
from test_compare import seasonal_csv

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]

BUDGET_MINUTES = 0.8


def test_compare_on_a_dated_csv_writes_a_report_that_opens_offline(tmp_path, capsys):
    data = seasonal_csv(tmp_path / "sales.csv")
    out = tmp_path / "advice"
    argv = ["compare", str(data), "--target", "sales", "--seq-len", "32", "--max-window", "4",
            "--lrs", "3e-2", "--seeds", "2", "--hidden-size", "16",
            # the families this test reads: all ten leave too little of 0.8 min for two seeds
            "--models", "linear,ffnn,rnn,lstm,gru",
            "--budget-minutes", str(BUDGET_MINUTES), "--out", str(out), "--json"]  # fmt: skip
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    captured = capsys.readouterr()
    assert exit_info.value.code == 0, captured.err[-3000:]
    res = json.loads(captured.out)

    # Every family was trained for the same seconds, and the baselines are in the table.
    families = {c["model"] for c in res["candidates"]}
    assert {"persistence", "mean", "ar-levels", "ar-changes"} <= families
    assert {"linear", "ffnn", "rnn", "lstm", "gru"} <= families
    final = [r for r in res["runs"] if r.get("train_seconds") is not None]
    cap = res["final_cap_seconds"]
    assert final and all(cap <= r["train_seconds"] for r in final)  # each ran to the cap
    assert res["recommendation"]["reason"]
    assert [c["window"] for c in res["candidates"] if c["model"] == "ffnn"] == [1, 2, 4]

    seen = check_report(
        out / "report.html", ["recommendation", "candidates"], screenshot=tmp_path / "shot.png"
    )
    assert len(seen.images) == 1 and seen.images[0]["naturalWidth"] >= 800
    assert "Recommendation" in seen.text
    if res["memory_horizon"] is not None:
        assert f"Memory horizon: {res['memory_horizon']}" in seen.text
    assert res["budget"].split(":")[0] in seen.text
    assert (out / "summary.md").read_text(encoding="utf-8").startswith("# seqlab advisor")
