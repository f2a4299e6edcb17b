"""The classic claims about FFNN vs RNN vs LSTM, each an experiment with a computed verdict.

Each module holds ``CLAIM`` (statement and rule) and ``decide(evidence) -> Decision``; the
evidence comes from this run's measurements (``seqlab.suite``).
"""

from __future__ import annotations

from types import ModuleType

from seqlab.claims import (
    ffnn_window_blind,
    ffnn_window_cost,
    lstm_costlier,
    lstm_gates_roles,
    memory_pays_off,
    next_word_context,
    rnn_forgets,
    rnn_unrolled_deep,
    rnn_vanishing_gradient,
)
from seqlab.claims.base import VERDICTS, Claim, ClaimResult, Decision

MODULES: tuple[ModuleType, ...] = (
    ffnn_window_blind,
    ffnn_window_cost,
    rnn_unrolled_deep,
    rnn_vanishing_gradient,
    rnn_forgets,
    lstm_gates_roles,
    next_word_context,
    lstm_costlier,
    memory_pays_off,
)
CLAIMS: dict[str, ModuleType] = {m.CLAIM.id: m for m in MODULES}

__all__ = ["CLAIMS", "VERDICTS", "Claim", "ClaimResult", "Decision"]
