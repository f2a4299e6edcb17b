"""Probes: measurements of a fresh or trained model, not of its accuracy.

gradients  ‖∂L/∂h_{T−1−k}‖ and ‖∂h_{T−1}/∂x_{T−1−k}‖ vs lag k, fitted decay, spectral radius
gates      gate statistics at cue / gap / query steps, saturation, matrices for heatmaps,
           how selective each unit is for the cue
interventions  a trained LSTM run with a gate (or a unit's cell) held at a value at one step
cost       FLOPs per step by formula, measured time per step, activation memory, equal-size H
depth      longest autograd path from the loss to x_0: the unrolled RNN is T layers deep
"""

from __future__ import annotations

from seqlab.probes.cost import (
    activation_memory,
    cost_vs_length,
    cuda_peak_bytes,
    describe,
    flops_of,
    flops_per_step,
    match_params,
    param_count,
    time_per_step,
)
from seqlab.probes.depth import gradient_path_length, graph_depth
from seqlab.probes.gates import cue_selectivity, gate_matrix, gate_statistics
from seqlab.probes.gradients import (
    fit_decay,
    hidden_grad_norms,
    input_jacobian_norms,
    spectral_radius,
    state_grad_norms,
    state_jacobian_norms,
)
from seqlab.probes.interventions import Clamp, clamped_correct, run_lstm

__all__ = [
    "Clamp",
    "activation_memory",
    "clamped_correct",
    "cost_vs_length",
    "cue_selectivity",
    "cuda_peak_bytes",
    "describe",
    "fit_decay",
    "flops_of",
    "flops_per_step",
    "gate_matrix",
    "gate_statistics",
    "gradient_path_length",
    "graph_depth",
    "hidden_grad_norms",
    "input_jacobian_norms",
    "match_params",
    "param_count",
    "run_lstm",
    "spectral_radius",
    "state_grad_norms",
    "state_jacobian_norms",
    "time_per_step",
]
