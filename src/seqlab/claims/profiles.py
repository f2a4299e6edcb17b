"""Profiles of the evidence suite: how many seeds, which distances, how long to train.

``quick`` is what ``make run`` runs: every claim gets a verdict in minutes on a 2-core CPU
(measured: ``docs/design.md`` "Time"), with three seeds wherever a run costs seconds
(recall, Alice, adding, ablations: intervals over seeds). ``full`` trains longer, on wider
grids and on whole corpora: 57 min 50 s end to end on 2 quiet CPU cores (measured,
``docs/design.md`` "Time"; its report is ``docs/results/full/``), less on a Ray cluster.
``smoke`` only exercises the plumbing (tests); its verdicts mean little and the report says so.
Each profile's ``cuts`` says what it leaves out to fit its time; it is the first note of
its report.

The profiles are one table of data: ``QUICK`` in full, the others as the fields they change.

Recall distances. Each recurrent model is trained once per seed on every distance of
``2 … max(distances)`` at once (each training sequence draws its own d) and then evaluated
at each d of ``distances`` on its own test set (``seqlab.claims.common.accuracy_by_distance``):
one run per model and seed gives the whole accuracy-vs-d curve. The window FFNNs are trained
on ``2 … ffnn_max_distance`` only: beyond its window nothing an FFNN sees depends on the cue,
whatever d is, so longer (costlier) sequences would add nothing but time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Profile:
    name: str
    seeds: tuple[int, ...]
    hidden: int  # hidden size of every recurrent model and FFNN hidden layer
    # recall (plain symbols): accuracy vs distance d, FFNN windows k
    distances: tuple[int, ...]  # the evaluation grid; training covers 2 … max
    windows: tuple[int, ...]
    ffnn_max_distance: int  # the FFNNs train and are evaluated on d <= this
    recall_steps: int
    eval_size: int  # test examples per distance
    # the "Alice" templates (words): cue d words before the query, same scheme as recall
    alice_distances: tuple[int, ...]
    alice_steps: int
    # adding problem
    adding_len: int
    adding_steps: int
    adding_models: tuple[str, ...]  # the recurrent models trained on it (RNN and LSTM decide)
    # LSTM ablations on recall at this distance (fixed d, T = d + 2)
    ablation_distance: int
    # real text (KJV and fortunes-de) for the next-word claim, and its context probe
    text_corpora: tuple[str, ...]
    text_seeds: tuple[int, ...]
    text_limit: int | None  # tokens taken from the corpus (then split 90/5/5); None: all
    text_hidden: int
    text_layers: int
    text_steps: int
    context_tokens: int  # test positions the context probe scores
    context_ns: tuple[int, ...]  # context lengths it keeps (the last is the full context)
    # Fashion-MNIST rows
    image_limit: int
    image_windows: tuple[int, ...]
    image_steps: int
    # probes
    depth_lengths: tuple[int, ...]
    cost_seq_len: int
    cost_repeats: int
    grad_batches: int  # independent sub-batches for the decay-rate interval
    # what the profile leaves out to fit its time: the first note of its report
    cuts: str = ""

    @property
    def recall_range(self) -> str:
        """The recurrent recall runs' distance option, ``"2-dmax"`` (also in their keys)."""
        return f"2-{max(self.distances)}"

    @property
    def ffnn_range(self) -> str:
        return f"2-{self.ffnn_max_distance}"

    @property
    def long_distance(self) -> str:
        """The distance option of the recurrent recall runs: their keys are
        ``recall/{model}/d{long_distance}/s{seed}`` (the range covers the longest d)."""
        return self.recall_range

    @property
    def short_distance(self) -> int:
        return min(self.distances)

    @property
    def alice_distance(self) -> int:
        """The longest Alice distance (the example sentence is drawn at it)."""
        return max(self.alice_distances)

    @property
    def alice_range(self) -> str:
        return f"2-{max(self.alice_distances)}"


QUICK = Profile(
    name="quick",
    seeds=(0, 1, 2),
    hidden=64,
    distances=(2, 3, 5, 8, 12, 20, 30, 50),
    windows=(5, 15),
    ffnn_max_distance=30,
    recall_steps=400,
    eval_size=1000,
    alice_distances=(2, 3, 5, 8, 12, 20, 30, 50),
    alice_steps=400,
    adding_len=50,
    adding_steps=1000,
    adding_models=("rnn", "lstm"),
    ablation_distance=30,
    text_corpora=("kjv", "fortunes-de"),
    text_seeds=(0,),
    text_limit=120_000,
    text_hidden=64,
    text_layers=1,
    text_steps=400,
    context_tokens=200,
    context_ns=(1, 2, 5, 10, 20, 50, 100),
    image_limit=12_000,
    image_windows=(4, 28),
    image_steps=400,
    depth_lengths=(10, 20, 40, 80),
    cost_seq_len=100,
    cost_repeats=7,
    grad_batches=4,
    cuts=(
        "Quick is cut to fit minutes on 2 CPU cores: every model trains the same 400 steps on "
        "recall and Alice (the plain RNN was often still improving at its last check, so its "
        "forgetting distance is what this budget gives it), the recall grid stops at d = 50, "
        "the adding problem runs 1,000 steps at T = 50 for the RNN and the LSTM (the GRU's "
        "three adding runs, a tenth of quick's training time, are left to full), the text "
        "models are small (64 units) and see 120,000 tokens for 400 steps (under-trained by "
        "design: next-word-context's "
        "text parts then say so), Fashion-MNIST uses 12,000 images, the TCN and Transformer "
        "recall runs use 32 channels and 300 steps, and the min-RNNs' accuracy runs and the "
        "newer models beside next-word-context's rule (TCN, Transformer, minGRU) use the "
        "first seed only. The full profile trains longer on wider grids."
    ),
)

PROFILES: dict[str, Profile] = {
    "smoke": replace(
        QUICK,
        name="smoke",
        seeds=(0,),
        hidden=16,
        distances=(2, 3, 8),
        windows=(5,),
        ffnn_max_distance=8,
        recall_steps=30,
        eval_size=64,
        alice_distances=(3, 8),
        alice_steps=30,
        adding_len=10,
        adding_steps=30,
        ablation_distance=8,
        text_corpora=("kjv",),
        text_limit=4000,
        text_steps=10,
        context_tokens=20,
        context_ns=(1, 2, 5, 10),
        image_limit=600,
        image_steps=10,
        depth_lengths=(4, 8, 12),
        cost_seq_len=10,
        cost_repeats=3,
        grad_batches=4,
        cuts="Smoke only exercises the plumbing: a few steps per run, one seed; its verdicts "
        "mean little.",
    ),
    "quick": QUICK,
    "full": replace(
        QUICK,
        name="full",
        seeds=(0, 1, 2),
        hidden=64,
        distances=(2, 3, 5, 8, 12, 20, 30, 50, 80, 120),
        windows=(5, 20),
        ffnn_max_distance=50,
        recall_steps=1500,
        eval_size=2000,
        alice_distances=(2, 3, 5, 8, 12, 20, 30, 50, 80, 120),
        alice_steps=1500,
        adding_len=100,
        adding_steps=3000,
        adding_models=("rnn", "lstm", "gru"),
        ablation_distance=40,
        text_limit=None,
        text_hidden=200,
        text_layers=2,
        text_steps=3000,
        context_tokens=300,
        context_ns=(1, 2, 5, 10, 20, 50, 100, 200),
        image_limit=60_000,
        image_windows=(2, 4, 8, 14, 28),
        image_steps=2000,
        depth_lengths=(10, 25, 50, 100, 200),
        cost_seq_len=200,
        cost_repeats=15,
        grad_batches=8,
        cuts=(
            "Full is sized to train in about 70 minutes on 2 quiet CPU cores (the design "
            "allows 6 hours), so that it runs end to end in one sitting: hidden size 64 (as "
            "quick, not 128), 1,500 steps on recall, Alice and the ablations, the recall and "
            "Alice grids up to d = 120 (not 200), the adding problem at T = 100 for 3,000 "
            "steps, the TCN and Transformer recall runs at 32 channels and 600 steps, the "
            "text models by `seqlab train --task text`'s recipe (2 × 200 units, its "
            "read-out) on the whole corpora for 3,000 steps (not its default 5,000) with one "
            "seed, the context probe on 300 positions up to 200 words back, and the "
            "min-RNNs' accuracy runs on the first seed only."
        ),
    ),
}
