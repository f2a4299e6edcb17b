"""torch.nn's default initialisations, drawn from an explicit ``torch.Generator``.

``nn.Linear`` and ``nn.Embedding`` initialise themselves from torch's global RNG inside their
constructors. Here they are built with the global RNG left as it was (``construct``: the
constructor draws from a forked copy) and then initialised with the distributions torch
uses, from the ``generator`` given:

    nn.Linear(F_in, F_out)    weight ~ U(−1/√F_in, 1/√F_in)  (kaiming_uniform_, a = √5)
                              bias   ~ U(−1/√F_in, 1/√F_in)
    nn.Embedding(V, E)        weight ~ N(0, 1)

``generator=None`` draws from the global RNG, exactly as torch's constructors do. Drawn in
the same order, a generator seeded with ``s`` gives the same numbers as ``torch.manual_seed(s)``
followed by torch's own constructors (the tests check both distributions and that identity).
"""

from __future__ import annotations

import math
from typing import Any, TypeVar

import torch
from torch import nn

M = TypeVar("M", bound=nn.Module)


def init_linear_(lin: nn.Linear, generator: torch.Generator | None = None) -> nn.Linear:
    """``nn.Linear.reset_parameters`` with ``generator``."""
    nn.init.kaiming_uniform_(lin.weight, a=math.sqrt(5), generator=generator)
    if lin.bias is not None:
        fan_in = lin.weight.shape[1]
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        nn.init.uniform_(lin.bias, -bound, bound, generator=generator)
    return lin


def init_embedding_(emb: nn.Embedding, generator: torch.Generator | None = None) -> nn.Embedding:
    """``nn.Embedding.reset_parameters`` with ``generator``."""
    nn.init.normal_(emb.weight, generator=generator)
    if emb.padding_idx is not None:
        with torch.no_grad():
            emb.weight[emb.padding_idx].fill_(0)
    return emb


def init_default_(module: M, generator: torch.Generator | None = None) -> M:
    """Every ``nn.Linear`` / ``nn.Embedding`` inside ``module``, in ``module.modules()`` order
    (the order their constructors would have drawn in)."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            init_linear_(m, generator)
        elif isinstance(m, nn.Embedding):
            init_embedding_(m, generator)
    return module


def construct(cls: type[M], *args: Any, **kwargs: Any) -> M:
    """``cls(*args, **kwargs)`` with torch's global RNG left as it was: the constructor's own
    initialisation draws from a forked copy, and the caller overwrites it. (Not
    ``nn.utils.skip_init``: its meta-device tensors cost the first build in each process
    about 1.7 s of imports, measured 2026-12-03, and every suite worker builds models.)"""
    with torch.random.fork_rng(devices=[]):
        return cls(*args, **kwargs)


def build(cls: type[M], *args: Any, generator: torch.Generator | None = None, **kwargs: Any) -> M:
    """``cls(*args, **kwargs)`` built without touching the global RNG, then given torch's
    default initialisation from ``generator``."""
    return init_default_(construct(cls, *args, **kwargs), generator)
