"""Shared test set-up: a hypothesis profile for a slow shared CI machine, and float64."""

from __future__ import annotations

import pytest
import torch
from hypothesis import settings

# Timing per example is noise on 2 shared cores; correctness is what the examples check.
settings.register_profile("seqlab", deadline=None)
settings.load_profile("seqlab")


@pytest.fixture
def float64():
    """torch's default dtype is float64 inside the test, restored after it."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch.float64
    torch.set_default_dtype(previous)
