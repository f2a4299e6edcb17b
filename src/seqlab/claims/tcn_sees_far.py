"""tcn-sees-far: a dilated causal convolution is feed-forward, yet sees 2^L steps back.

Experiment: the recall task (plain symbols, the same runs as ffnn-window-blind's but for the
model) with TCNs of several depths L and kernel size k (``SIZES``: 4 at quick and full, 2
at smoke), so the receptive field is r = 1 + 2(k − 1)(2^L − 1) with 2L convolutions: depth
O(log r). A TCN whose r covers the cue distance d (r ≥ d) sees it; one with r < d sees
nothing that depends on the answer.

The TCN trains at AdamW 3e-3 (``plan.FEEDFORWARD_RECALL_LR``, the trainer's default), not at
the 1e-2 the recurrent models' recall runs use (``plan.RECALL_LR``). At 1e-2 the first steps
collapse the TCN's features toward a constant (in a hand-written loop of seed 3 at d = 30,
their spread over a batch at the last step fell from 1.26 to 0.10 within 20 steps, against
0.57 at 3e-3; that loop recovered by step 100), and whether a run recovers is a matter of
its seed: at quick, d = 30 with L = 3 stayed at chance for 600 steps in seeds 0 and 3 and
was learned in seeds 1 and 2, and at full L = 5 never left chance at d = 100. At 3e-3 seeds
0–3 at d = 30 and seed 0 at d = 100 (L = 5) all reached validation accuracy 1.0 by the first
check, step 50 (``benchmarks/RESULTS.md``, "tcn-sees-far: why d = 30 was not learned").

Beside each distance: the parameters of the shallowest TCN covering d and
of the window MLP whose window is d (``seqlab.params.count_params``, same hidden size,
embedding and head): the MLP's grow linearly in d, the TCN's linearly in
L = log₂(1 + (r − 1) / (2(k − 1))). At short d the MLP can be the smaller one; the claim
is about far cues, so the rule compares them at the longest distance.

Evidence: ``{"kernel_size", "rows": [{"levels", "receptive_field", "distance", "sees_cue",
"accuracy": est, "chance"}], "params": [{"distance", "levels", "receptive_field",
"convolutions", "tcn_params", "ffnn_window", "ffnn_params"}]}``. Figure: recall accuracy vs
d per depth, with each receptive field marked.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from seqlab.claims import plan
from seqlab.claims.base import Claim, Decision, Part, fmt, from_parts, inconclusive
from seqlab.claims.common import Runs, band, fixed_distances
from seqlab.claims.profiles import Profile
from seqlab.models.tcn import receptive_field
from seqlab.params import count_params
from seqlab.report import plots
from seqlab.tasks import build_task

CLAIM = Claim(
    id="tcn-sees-far",
    title="A dilated TCN is feed-forward yet sees far back",
    statement=(
        "A temporal convolutional network with L levels of dilated causal convolutions of "
        "kernel k sees 1 + 2(k − 1)(2^L − 1) inputs back: it recalls a cue d steps back with "
        "depth O(log d) "
        "and fewer parameters than a window MLP covering d, and it is blind beyond its "
        "receptive field."
    ),
    rule=(
        "Three parts. Reach: supported if every TCN whose receptive field covers the cue "
        "(r ≥ d) is above chance (lower end of its 95% interval above chance), refuted if "
        "none is. Blind: supported if no TCN with r < d is above chance, refuted if any is. "
        "Cheaper: at the longest distance d, supported if the shallowest TCN covering d has "
        "fewer parameters than the window MLP with window d, refuted if it has as many or more. "
        "The claim is supported only if all three parts are, refuted if any part is."
    ),
)

# per profile: kernel, TCN depths (some receptive fields shorter than the longest distance,
# some longer: kernel 4 gives r = 7, 43, 187 for L = 1, 3, 5; smoke's kernel 2 gives r = 3
# and 15, short enough for its distances), channels and steps (None: the profile's hidden
# size and recall steps). At quick 32 channels and 300 steps keep the six runs cheap (a TCN
# reached validation accuracy 1.0 at d = 3 by step 120, the first check); full keeps 32
# channels and trains 600 steps: at the profile's 64 and 1,500 its 36 runs were estimated at
# 3,300 CPU-s (``benchmarks/suite-estimate-full.json``), a third of the whole profile.
SIZES: dict[str, dict[str, Any]] = {
    "smoke": {"kernel": 2, "levels": (1, 3), "hidden": None, "steps": None},
    "quick": {"kernel": 4, "levels": (1, 3), "hidden": 32, "steps": 300},
    "full": {"kernel": 4, "levels": (1, 3, 5), "hidden": 32, "steps": 600},
}


def sizes(p: Profile) -> dict[str, Any]:
    """The TCN sizes of profile ``p`` (smoke's for a profile not in ``SIZES``)."""
    return SIZES.get(p.name, SIZES["smoke"])


def levels(p: Profile) -> tuple[int, ...]:
    return sizes(p)["levels"]


def recall_tcn(p: Profile) -> dict[str, dict]:
    """TCNs of every depth of the profile at every distance d (recall, plain symbols)."""
    s, runs = sizes(p), {}
    for seed in p.seeds:
        for d in fixed_distances(p):
            for L in levels(p):
                flat = plan._recall(p, "tcn", None, d, seed)
                flat.update(levels=L, kernel_size=s["kernel"], lr=plan.FEEDFORWARD_RECALL_LR)
                flat["hidden_size"] = s["hidden"] or flat["hidden_size"]
                flat["steps"] = s["steps"] or flat["steps"]
                flat["eval_every"] = max(1, flat["steps"] // 5)
                flat.pop("forget_bias", None)  # a TCN has no gates
                runs[f"recall/tcn-L{L}/d{d}/s{seed}"] = flat
    return runs


RUNS = (recall_tcn,)


def _param_rows(runs: Runs) -> list[dict[str, Any]]:
    """Per distance d: the shallowest TCN run whose receptive field covers d, beside the
    window MLP with window d (same hidden size, embedding and head)."""
    rows, k = [], sizes(runs.profile)["kernel"]
    for d in fixed_distances(runs.profile):
        covering = [L for L in levels(runs.profile) if receptive_field(k, L) >= d]
        run = runs.first(f"recall/tcn-L{min(covering)}/d{d}") if covering else None
        if run is None:
            continue
        cfg, L = run["config"], min(covering)
        V = build_task("recall", cfg["task_options"], 0).vocab_size
        H, classes = cfg["hidden_size"], cfg["task_options"]["classes"]
        ffnn = count_params("ffnn", None, H, classes, window=d, vocab_size=V, embed_dim=H)
        rows.append(
            {
                "distance": d,
                "levels": L,
                "receptive_field": receptive_field(k, L),
                "convolutions": 2 * L,
                "tcn_params": run["params"],
                "ffnn_window": d,
                "ffnn_params": ffnn.total,
            }
        )
    return rows


def evidence(runs: Runs) -> tuple[dict, Figure]:
    p = runs.profile
    rows, series, chance, k = [], {}, None, sizes(p)["kernel"]
    for L in levels(p):
        r = receptive_field(k, L)
        xs, ests = [], []
        for d in fixed_distances(p):
            est = runs.accuracy(f"recall/tcn-L{L}/d{d}")
            if est is None:
                continue
            chance = runs.first(f"recall/tcn-L{L}/d{d}")["chance"]
            rows.append(
                {
                    "levels": L,
                    "receptive_field": r,
                    "distance": d,
                    "sees_cue": r >= d,
                    "accuracy": est,
                    "chance": chance,
                }
            )
            xs.append(d)
            ests.append(est)
        if ests:
            series[f"tcn L={L} (r={r})"] = {"x": xs, **band(ests), "style": "o-"}
    figure = plots.lines(
        series,
        "distance d (inputs from cue to query)",
        "test accuracy",
        title="TCN recall vs distance, receptive fields marked (95% intervals)",
        hlines={"chance": chance} if chance is not None else None,
        vlines={f"r={receptive_field(k, L)}": receptive_field(k, L) for L in levels(p)},
    )
    return {"kernel_size": k, "rows": rows, "params": _param_rows(runs)}, figure


def _acc(r: dict) -> str:
    return f"L={r['levels']} (r={r['receptive_field']}) at d={r['distance']}: {fmt(r['accuracy'])}"


def decide(evidence: dict) -> Decision:
    rows = evidence["rows"]
    seeing = [r for r in rows if r["sees_cue"]]
    blind = [r for r in rows if not r["sees_cue"]]
    if not seeing or not blind or not evidence["params"]:
        return inconclusive("the experiment needs receptive fields both shorter and longer than d")
    chance = rows[0]["chance"]
    fails = [r for r in seeing if r["accuracy"]["lo"] <= chance]
    if not fails:
        reach = Part(
            "reach", "supported", f"all {len(seeing)} TCNs with r ≥ d beat chance {chance:.3g}"
        )
    elif len(fails) == len(seeing):
        reach = Part("reach", "refuted", "no TCN with r ≥ d beats chance; e.g. " + _acc(fails[0]))
    else:
        reach = Part("reach", "inconclusive", "not above chance: " + _acc(fails[0]))
    leaks = [r for r in blind if r["accuracy"]["lo"] > chance]
    best = max(blind, key=lambda r: r["accuracy"]["mean"])
    blind_part = (
        Part("blind", "refuted", "above chance though r < d: " + _acc(leaks[0]))
        if leaks
        else Part(
            "blind", "supported", f"none of {len(blind)} with r < d beats chance; best {_acc(best)}"
        )
    )
    far = max(evidence["params"], key=lambda r: r["distance"])
    text = "; ".join(
        f"d={r['distance']}: TCN L={r['levels']} {r['tcn_params']} vs window-{r['ffnn_window']} "
        f"MLP {r['ffnn_params']}"
        for r in evidence["params"]
    )
    fewer = far["tcn_params"] < far["ffnn_params"]
    cheaper = Part("cheaper", "supported" if fewer else "refuted", text)
    return from_parts(reach, blind_part, cheaper)
