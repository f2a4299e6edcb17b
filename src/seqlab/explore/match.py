"""LSTMVis's match view: passages where a chosen set of units is on, ranked as LSTMVis ranks.

Strobelt et al. 2018 (LSTMVis, IEEE TVCG 24(1)), "Match View". Given a state matrix per
passage ``S_i (T_i, H)``, a threshold ℓ and the selected units C (|C| = m):

    on_i[t, u]  = S_i[t, u] >= ℓ
    count_i[t]  = Σ_{u ∈ C} on_i[t, u]

Candidates: for k = m, m−1, …, 1, every maximal run of steps [s, e) inside one passage
with count ≥ k at every step and length e − s ≥ ``min_length`` (2, LSTMVis's cut-off),
until ``max_candidates`` distinct runs are collected. Each candidate's active set is
``A = {u : on_i[t, u] for all t in [s, e)}``, and candidates are ranked by

    1. the largest |A ∩ C|   (most selected units on throughout),
    2. the smallest |A ∪ C|  (fewest other units on as well),
    3. the longest run,

then by passage and start for a stable order. (The LSTMVis server does the same:
``query_similar_activations`` in its ``lstmdata`` package, with the optional left/right
"off" constraints left out here.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Match:
    passage: int
    start: int
    end: int  # exclusive
    intersection: int  # |A ∩ C|
    union: int  # |A ∪ C|

    @property
    def length(self) -> int:
        return self.end - self.start


def runs_at_least(count: np.ndarray, k: int, min_length: int) -> list[tuple[int, int]]:
    """Maximal ``[s, e)`` with ``count[t] >= k`` for all t, of length >= ``min_length``."""
    on = np.concatenate(([False], count >= k, [False]))
    edges = np.flatnonzero(on[1:] != on[:-1])  # starts and ends alternate
    starts, ends = edges[::2], edges[1::2]
    keep = ends - starts >= min_length
    return list(zip(starts[keep].tolist(), ends[keep].tolist(), strict=True))


def rank_matches(
    states: list[np.ndarray],
    units: list[int],
    threshold: float,
    *,
    min_length: int = 2,
    max_candidates: int = 1000,
    limit: int = 20,
) -> list[Match]:
    """The ``limit`` best-ranked candidates (see module doc); ``states[i]`` is ``(T_i, H)``."""
    sel = np.asarray(sorted(set(units)), dtype=np.int64)
    on = [s >= threshold for s in states]  # (T_i, H) bool
    counts = [o[:, sel].sum(axis=1) for o in on]  # (T_i,)
    candidates: dict[tuple[int, int, int], None] = {}
    for k in range(len(sel), 0, -1):
        for i, c in enumerate(counts):
            for s, e in runs_at_least(c, k, min_length):
                candidates[(i, s, e)] = None
        if len(candidates) >= max_candidates:
            break
    found = []
    for i, s, e in candidates:
        active = on[i][s:e].all(axis=0)  # (H,)
        inter = int(active[sel].sum())
        found.append(Match(i, s, e, inter, int(active.sum()) + len(sel) - inter))
    found.sort(key=lambda m: (-m.intersection, m.union, -m.length, m.passage, m.start))
    return found[:limit]
