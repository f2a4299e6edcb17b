"""Atomic files (seqlab.atomic) and the trainer checkpoint (seqlab.checkpoint)."""

from __future__ import annotations

import os

import pytest
import torch

from seqlab.atomic import (
    OutputError,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    check_writable,
    clean_temporaries,
)
from seqlab.checkpoint import load_checkpoint, load_weights, save_checkpoint, save_weights


def test_atomic_write_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "a.json"
    atomic_write_json(target, {"x": 1})
    atomic_write_json(target, {"x": 2})
    assert target.read_text().strip() == '{\n  "x": 2\n}'
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_atomic_write_respects_the_umask(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    atomic_write_bytes(tmp_path / "b", b"1")
    assert (tmp_path / "b").stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_failed_replace_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "cache" / "kjv.txt"
    atomic_write_text(target, "old\n")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OutputError, match="cannot write kjv.txt .*disk full"):
        atomic_write_text(target, "new\n")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["kjv.txt"]


def test_clean_temporaries_removes_only_leftover_temp_files(tmp_path):
    (tmp_path / ".checkpoint.pt.tmp-abc").write_bytes(b"half")
    (tmp_path / "checkpoint.pt").write_bytes(b"whole")
    removed = clean_temporaries(tmp_path)
    assert [p.name for p in removed] == [".checkpoint.pt.tmp-abc"]
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]


def test_checkpoint_round_trips_optimizer_and_rng_state_with_weights_only_load(tmp_path):
    model = torch.nn.LSTM(3, 4)
    opt = torch.optim.AdamW(model.parameters(), lr=0.1)
    model(torch.randn(5, 2, 3))[0].sum().backward()
    opt.step()
    gen = torch.Generator().manual_seed(7)
    state = {
        "step": 3,
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "rng": {"batches": gen.get_state(), "torch": torch.get_rng_state()},
        "best_value": None,
        "history": [{"step": 1, "valid_value": 0.5}],
    }
    save_checkpoint(tmp_path / "c.pt", state)
    back = load_checkpoint(tmp_path / "c.pt")

    opt2 = torch.optim.AdamW(torch.nn.LSTM(3, 4).parameters(), lr=0.1)
    opt2.load_state_dict(back["optimizer"])
    for k, v in opt.state_dict()["state"][0].items():
        assert torch.equal(opt2.state_dict()["state"][0][k], v)
    g2 = torch.Generator()
    g2.set_state(back["rng"]["batches"])
    assert torch.equal(torch.rand(4, generator=g2), torch.rand(4, generator=gen))
    assert back["history"] == state["history"] and back["best_value"] is None


def test_checkpoint_loader_refuses_arbitrary_pickles(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    torch.save({"x": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(Exception, match="[Ww]eights only"):
        load_checkpoint(tmp_path / "evil.pt")


def test_weights_round_trip_bit_exactly(tmp_path):
    state = {"a": torch.randn(3, 4), "b": torch.arange(5.0)[::2]}  # non-contiguous too
    save_weights(tmp_path / "w.safetensors", state)
    back = load_weights(tmp_path / "w.safetensors")
    assert all(torch.equal(back[k], v) for k, v in state.items())


def test_unwritable_output_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError, match=r"output folder .*file.*--out"):
        check_writable(blocker / "runs")
    with pytest.raises(OutputError, match="cannot write x.json"):
        atomic_write_json(blocker / "x.json", {})
