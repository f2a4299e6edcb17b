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


@pytest.fixture
def one_thread():
    """torch at one thread inside the test (numbers that depend on the thread count, such as
    float32 reductions, are then the same on every machine), restored after it."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
