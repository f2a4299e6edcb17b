"""Profiles of the evidence suite: how many seeds, which distances, how long to train.

``quick`` is what ``make run`` runs: every claim gets a verdict in 3½–5 minutes on a quiet
2-core CPU, one seed (intervals from the evaluation sets). ``full`` uses three seeds
(intervals over seeds), longer training and larger grids: hours on a CPU, much less on a
GPU or a Ray cluster. ``smoke`` only exercises the plumbing (tests); its verdicts mean
little and the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    seeds: tuple[int, ...]
    hidden: int  # hidden size of every recurrent model and FFNN hidden layer
    # recall (plain symbols): accuracy vs distance d, FFNN windows k
    distances: tuple[int, ...]
    windows: tuple[int, ...]
    recall_steps: int
    eval_size: int
    # the "Alice" templates (words): cue d words before the query
    alice_distance: int
    alice_steps: int
    # adding problem
    adding_len: int
    adding_steps: int
    # LSTM ablations on recall at this distance
    ablation_distance: int
    # real data: KJV next word, Fashion-MNIST rows
    text_limit: int  # training tokens taken from the corpus (then split 90/5/5)
    text_steps: int
    image_limit: int
    image_windows: tuple[int, ...]
    image_steps: int
    # probes
    depth_lengths: tuple[int, ...]
    cost_seq_len: int
    cost_repeats: int
    grad_batches: int  # independent sub-batches for the decay-rate interval

    @property
    def long_distance(self) -> int:
        return max(self.distances)

    @property
    def short_distance(self) -> int:
        return min(self.distances)


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke",
        seeds=(0,),
        hidden=16,
        distances=(3, 8),
        windows=(5,),
        recall_steps=30,
        eval_size=64,
        alice_distance=8,
        alice_steps=30,
        adding_len=10,
        adding_steps=30,
        ablation_distance=8,
        text_limit=4000,
        text_steps=10,
        image_limit=600,
        image_windows=(4, 28),
        image_steps=10,
        depth_lengths=(4, 8, 12),
        cost_seq_len=10,
        cost_repeats=3,
        grad_batches=4,
    ),
    "quick": Profile(
        name="quick",
        seeds=(0,),
        hidden=64,
        distances=(3, 10, 30),
        windows=(5, 15),
        recall_steps=600,
        eval_size=1000,
        alice_distance=12,
        alice_steps=600,
        adding_len=50,
        adding_steps=1500,
        ablation_distance=30,
        text_limit=120_000,
        text_steps=400,
        image_limit=12_000,
        image_windows=(4, 28),
        image_steps=400,
        depth_lengths=(10, 20, 40, 80),
        cost_seq_len=100,
        cost_repeats=7,
        grad_batches=8,
    ),
    "full": Profile(
        name="full",
        seeds=(0, 1, 2),
        hidden=128,
        distances=(2, 5, 10, 20, 40, 80),
        windows=(5, 20, 50),
        recall_steps=3000,
        eval_size=2000,
        alice_distance=15,
        alice_steps=3000,
        adding_len=100,
        adding_steps=6000,
        ablation_distance=40,
        text_limit=800_000,
        text_steps=4000,
        image_limit=60_000,
        image_windows=(2, 4, 8, 14, 28),
        image_steps=3000,
        depth_lengths=(10, 25, 50, 100, 200),
        cost_seq_len=200,
        cost_repeats=15,
        grad_batches=16,
    ),
}
