"""The classic claims about FFNN vs RNN vs LSTM, each an experiment with a computed verdict.

One module per claim, holding everything about it:

    CLAIM                  statement and rule (``Claim``)
    RUNS                   the run groups it trains (``seqlab.claims.plan``): profile -> runs
    evidence(runs)         ``(evidence, figure or None)`` from this invocation's runs
                           (``seqlab.claims.common.Runs``)
    decide(evidence)       the rule applied to those numbers: a ``Decision``

Adding a claim is adding its module and one line to ``NAMES``; ``seqlab run`` plans its
runs, builds its evidence, decides it and reports it in this order.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from seqlab.claims.base import ERROR, VERDICTS, Claim, ClaimResult, Decision

NAMES = (
    "ffnn_window_blind",
    "ffnn_window_cost",
    "rnn_unrolled_deep",
    "rnn_vanishing_gradient",
    "rnn_forgets",
    "lstm_gates_roles",
    "next_word_context",
    "lstm_costlier",
    "memory_pays_off",
    "tcn_sees_far",
    "attention_cost",
    "parallel_recurrence",
)
MODULES: tuple[ModuleType, ...] = tuple(import_module(f"seqlab.claims.{n}") for n in NAMES)
CLAIMS: dict[str, ModuleType] = {m.CLAIM.id: m for m in MODULES}

__all__ = ["CLAIMS", "ERROR", "MODULES", "VERDICTS", "Claim", "ClaimResult", "Decision"]
