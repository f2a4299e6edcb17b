"""Weights and the trainer checkpoint, written atomically (``seqlab.atomic``).

The checkpoint is ONE file, ``checkpoint.pt``: model weights, optimizer state, every RNG
state, step, best-so-far and the metrics history together, so they can never disagree
(two files replaced one after the other could be torn apart by a crash between the two
replaces). It is read with ``torch.load(..., weights_only=True)``: tensors, numbers,
strings, lists and dicts only — nothing is unpickled. Best weights go to
``weights.safetensors`` (no pickle at all).

The atomic writers, ``OutputError`` and the test hook ``PAUSE_ENV`` are ``seqlab.atomic``'s.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from seqlab.atomic import atomic_write_bytes

__all__ = ["load_checkpoint", "load_weights", "save_checkpoint", "save_weights"]


def save_weights(path: str | Path, state: dict[str, torch.Tensor]) -> None:
    """A model's ``state_dict`` as safetensors (contiguous CPU copies), atomically."""
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in state.items()}
    atomic_write_bytes(path, st_save(tensors))


def load_weights(path: str | Path) -> dict[str, torch.Tensor]:
    return st_load(Path(path).read_bytes())


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> None:
    """The trainer state (a dict of tensors / numbers / strings / lists / dicts), atomically."""
    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint written by ``save_checkpoint``; nothing but plain data is loaded."""
    return torch.load(Path(path), map_location="cpu", weights_only=True)
