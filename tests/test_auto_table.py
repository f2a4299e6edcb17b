"""``path="auto"`` on a CPU when training: the decision read from the measured table
(``seqlab.models.auto_table``), the script that measures it (``benchmarks/auto_table.py``) on
a tiny grid, and the choice recorded in ``result.json``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from seqlab import rundir
from seqlab.config import TrainConfig
from seqlab.models import LSTM, lstm_ext
from seqlab.models import auto_table as at
from seqlab.models._recurrent import auto_choice
from seqlab.train import run_config, run_dir

ROOT = Path(__file__).resolve().parents[1]


def cell(model="lstm", B=64, T=100, H=128, I=32, threads=1, fused=1.0, trace=2.0):
    path = "trace" if trace < fused else "fused"
    c = {"model": model, "B": B, "T": T, "H": H, "I": I, "threads": threads}
    return {**c, "path": path, "fused_ms": fused, "trace_ms": trace}


TABLE = {
    "label": "test table",
    "cells": [
        cell(T=100, threads=1, fused=2.0, trace=1.0),  # trace faster at 1 thread …
        cell(T=100, threads=2, fused=1.0, trace=1.5),  # … slower at 2
        cell(T=400, threads=1, fused=4.0, trace=3.0),
        cell(T=400, threads=2, fused=3.0, trace=3.0),  # a tie is fused
    ],
}


def test_the_decision_follows_the_table_per_thread_count():
    assert at.lookup("lstm", 64, 100, 128, 32, 1, TABLE)[0] == "trace"
    assert at.lookup("lstm", 64, 100, 128, 32, 2, TABLE)[0] == "fused"
    assert at.lookup("lstm", 64, 400, 128, 32, 1, TABLE)[0] == "trace"
    assert at.lookup("lstm", 64, 400, 128, 32, 2, TABLE)[0] == "fused"  # tie: never below fused


def test_between_and_outside_the_grid_the_cell_at_or_below_is_used():
    assert at.lookup("lstm", 64, 399, 128, 32, 2, TABLE)[0] == "fused"  # floor: T=100
    assert at.lookup("lstm", 64, 5000, 128, 32, 1, TABLE)[0] == "trace"  # beyond: T=400
    assert at.lookup("lstm", 8, 10, 16, 1, 1, TABLE)[0] == "trace"  # below: the smallest cell
    assert at.lookup("lstm", 64, 100, 128, 32, 8, TABLE)[0] == "fused"  # 8 threads: as 2
    path, reason = at.lookup("lstm", 64, 700, 128, 32, 2, TABLE)
    assert "T=400" in reason and "threads=2" in reason and "fused 3 ms" in reason


def test_a_model_missing_from_the_table_trains_fused():
    assert at.lookup("gru", 64, 100, 128, 32, 1, TABLE)[0] == "fused"


def test_the_shipped_table_is_measured_and_never_picks_the_slower_path():
    # the table auto reads: measured at 1 and 2 threads for both models, and every cell says
    # trace only where the trace was timed faster than the fused kernel at that cell
    table = at.load_table()
    assert table["measured"] and table["machine"] and table["torch"]
    for model in ("lstm", "gru"):
        cells = [c for c in table["cells"] if c["model"] == model]
        assert {c["threads"] for c in cells} == {1, 2}, model
        for c in cells:
            assert c["path"] == ("trace" if c["trace_ms"] < c["fused_ms"] else "fused"), c
            path, reason = at.lookup(model, c["B"], c["T"], c["H"], c["I"], c["threads"])
            assert path == c["path"] and "fused" in reason and "trace" in reason


def test_auto_reads_the_thread_count_this_process_runs_with(monkeypatch):
    monkeypatch.setattr(at, "load_table", lambda path=at.TABLE: TABLE)
    core, x = LSTM(32, 128), torch.zeros(64, 100, 32)
    before = torch.get_num_threads()
    try:
        for threads, want in ((1, "trace"), (2, "fused")):
            torch.set_num_threads(threads)
            path, reason = auto_choice(core, x)
            assert path == want and f"threads={threads}" in reason
    finally:
        torch.set_num_threads(before)


def test_the_script_measures_a_tiny_grid_and_writes_a_table_auto_can_read(tmp_path):
    out = tmp_path / "table.json"
    args = ["--threads", "1", "--B", "2", "--T", "3", "--H", "4", "--I", "1", "--rounds", "3"]
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "auto_table.py"), *args]
        + ["--seconds", "0.005", "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    table = json.loads(out.read_text())
    assert table["measured"] and table["trace_layer"] in ("cpp", "python")
    assert [c["model"] for c in table["cells"]] == ["lstm", "gru"]
    for c in table["cells"]:
        assert c["path"] == ("trace" if c["trace_ms"] < c["fused_ms"] else "fused")
        assert len(c["load"]) == 2
        assert at.lookup(c["model"], 2, 3, 4, 1, 1, table)[0] == c["path"]
        assert at.lookup(c["model"], 50, 900, 64, 9, 2, table)[0] == c["path"]  # nearest


def test_a_partial_measurement_merges_and_keeps_the_other_models_cells_with_their_source(
    tmp_path,
):
    out = tmp_path / "table.json"
    seeded = {"model": "gru", "B": 2, "T": 3, "H": 4, "I": 1, "threads": 1, "path": "trace"}
    at.dump_table({"label": "seeded here", "measured": False, "cells": [seeded]}, out)
    args = ["--threads", "1", "--B", "2", "--T", "3", "--H", "4", "--I", "1", "--rounds", "1"]
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "auto_table.py"), *args]
        + ["--models", "lstm", "--seconds", "0.005", "--out", str(out), "--merge"],
        check=True,
        capture_output=True,
        timeout=300,
    )
    table = json.loads(out.read_text())
    assert [c["model"] for c in table["cells"]] == ["lstm", "gru"]
    assert "fused_ms" in table["cells"][0] and table["cells"][1]["source"] == "seeded here"
    path, reason = at.lookup("gru", 2, 3, 4, 1, 1, table)
    assert path == "trace" and "seeded here" in reason


@pytest.mark.parametrize("path", ["auto", "trace"])
def test_result_json_records_which_path_the_run_took_and_why(tmp_path, path):
    flat = {"task": "adding", "model": "lstm", "steps": 2, "seq_len": 12, "path": path}
    flat |= {"hidden_size": 8, "batch_size": 8, "eval_every": 2, "eval_size": 16}
    r = run_config(flat, str(tmp_path))
    on_disk = json.loads(
        (run_dir(TrainConfig.from_flat(flat), tmp_path) / rundir.RESULT).read_text()
    )
    assert on_disk["path"] == r["path"]
    rec = r["path"]
    assert rec["requested"] == path and rec["threads"] == torch.get_num_threads()
    if path == "auto":
        want = LSTM(2, 8).cpu_training_choice(8, 12, torch.get_num_threads())
        assert (rec["chosen"], rec["reason"]) == want
        assert rec["eval"]["chosen"] == "fused"  # inference: no grad
    else:
        assert rec["chosen"] == "trace" and rec["trace_layer"] == lstm_ext.implementation()
