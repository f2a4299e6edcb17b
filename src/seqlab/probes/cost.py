"""What a model costs per time step: FLOPs by formula, measured time, memory held for backward.

FLOPs count one multiply-add as 2 and every other elementwise operation (add, multiply,
sigmoid, tanh, relu) as 1, per example and per step. With input size D, hidden size H,
output size O, a recurrent layer with G gate blocks does the matrix products

    matmul = 2·G·H·(D + H)              RNN G=1, GRU G=3, LSTM G=4 (ablations 3)

plus elementwise work, counted from the equations of each model:

    RNN   4H    (x-part + h-part, two biases, tanh)
    LSTM  21H   (3·4H pre-activation adds, 4H gate nonlinearities, c' = f⊙c + i⊙g 3H,
                 tanh(c') H, o⊙ H); ablations drop what the missing gate needs
    GRU   17H   (3H + 3H biases, 2H r/z sums, r⊙(W_hn h) H, + H, 3H nonlinearities,
                 h' = (1−z)⊙n + z⊙h 4H)

Stacked layers use D = H above the first. The FFNN over a window of k steps computes
``2·kD·H + 2H`` (matrix, bias, relu) for its first layer and ``2·H·H + 2H`` for each further
one; ``layers=0`` is a linear window whose features (kD of them) go straight to the read-out.
The read-out is ``2·F·O + O`` with F = H (kD for a linear window). Forward + backward is
taken as 3 × forward: the backward pass does two products of the forward's size per matrix
(gradient with respect to the input and to the weight).

Matrix FLOPs equal ``2 × (number of weight-matrix entries)`` — every weight is used once per
step in one multiply-add; the tests check that against the model's parameter shapes and
against torch's FlopCounterMode on the trace path.

Measured costs (:func:`time_per_step`, :func:`activation_memory`) run the real model on
random inputs. Thread count is the caller's (``torch.set_num_threads``).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from functools import partial

import torch
from torch import nn

from seqlab.models import ModelSpec, SeqModel
from seqlab.models.gru import GRU
from seqlab.models.lstm import LSTM
from seqlab.models.window_mlp import WindowMLP
from seqlab.params import hidden_for_params

__all__ = [
    "activation_memory",
    "cost_vs_length",
    "cuda_peak_bytes",
    "describe",
    "flops_of",
    "flops_per_step",
    "match_params",
    "param_count",
    "saved_bytes",
    "time_per_step",
]


def param_count(model: nn.Module) -> int:
    """Number of parameters of the real model (``sum(p.numel())``)."""
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------- FLOPs by formula


def _lstm_elementwise(H: int, variant: str) -> int:
    blocks = {"full": 4, "nig": 3, "nfg": 3, "nog": 3, "cifg": 3}[variant]
    pre = 3 * blocks * H  # W x + W h + b_ih + b_hh: three adds per gate pre-activation
    nonlin = blocks * H  # one sigmoid / tanh per learned block
    cell = {"full": 3, "nog": 3, "nig": 2, "nfg": 2, "cifg": 4}[variant] * H  # c' (cifg: 1 − f)
    out = H + (0 if variant == "nog" else H)  # tanh(c'), o ⊙
    return pre + nonlin + cell + out


def flops_per_step(
    model: str,
    input_size: int,
    hidden_size: int,
    output_size: int,
    layers: int = 1,
    window: int = 1,
) -> dict:
    """FLOPs per time step and per example of model ``model`` (a model name: ``ffnn``,
    ``rnn``, ``lstm``, ``gru``, ``lstm-nig`` …), by the formulas of this module's docstring.

    Returns ``{"matmul", "elementwise", "core", "readout", "forward", "fwd_bwd", "formula"}``:
    ``matmul`` all matrix products (core and read-out), ``elementwise`` everything else,
    ``core`` / ``readout`` the split by part, ``forward`` their sum, ``fwd_bwd`` = 3 × forward,
    ``formula`` the expression used, as text.
    """
    spec = ModelSpec(model, hidden_size=hidden_size, layers=layers, window=window)
    D, H, O, L = input_size, hidden_size, output_size, layers
    matmul = elementwise = 0
    if spec.name == "ffnn":
        dims = [window * D] + [H] * L
        for a, b in zip(dims[:-1], dims[1:], strict=True):
            matmul += 2 * a * b
            elementwise += 2 * b  # bias, relu
        features = dims[-1]
        formula = f"ffnn: 2·kD·H + 2H + (L−1)·(2H² + 2H) + 2·F·O + O, k={window}, L={L}"
    else:
        G = 1 if spec.name == "rnn" else 3 if spec.name == "gru" else 4
        variant = spec.name.split("-", 1)[1] if "-" in spec.name else "full"
        if spec.name.startswith("lstm") and variant != "full":
            G = 3
        for layer in range(L):
            d = D if layer == 0 else H
            matmul += 2 * G * H * (d + H)
            if spec.name == "rnn":
                elementwise += 4 * H
            elif spec.name == "gru":
                elementwise += 17 * H
            else:
                elementwise += _lstm_elementwise(H, variant)
        features = H
        per_h = {"rnn": "4H", "gru": "17H"}.get(spec.name, f"{_lstm_elementwise(1, variant)}H")
        formula = f"{spec.name}: Σ_layers [2·{G}H(D_l + H) + {per_h}] + 2·H·O + O, L={L}"
    core = matmul + elementwise
    readout = 2 * features * O + O
    forward = core + readout
    return {
        "matmul": matmul + 2 * features * O,
        "elementwise": elementwise + O,
        "core": core,
        "readout": readout,
        "forward": forward,
        "fwd_bwd": 3 * forward,
        "formula": formula,
    }


def describe(model: SeqModel) -> dict:
    """Recover ``{"name", "input_size", "hidden_size", "output_size", "layers", "window"}`` of
    a built model from its structure (for token models ``input_size`` is the embedding
    width)."""
    core = model.core
    if isinstance(core, WindowMLP):
        name, layers, window = "ffnn", core.num_layers, core.window
    elif isinstance(core, LSTM):
        name = "lstm" if core.variant == "full" else f"lstm-{core.variant}"
        layers, window = core.num_layers, 1
    else:
        name = "gru" if isinstance(core, GRU) else "rnn"
        layers, window = core.num_layers, 1
    return {
        "name": name,
        "input_size": core.input_size,
        "hidden_size": core.hidden_size,
        "output_size": model.head.out_features,
        "layers": layers,
        "window": window,
    }


def flops_of(model: SeqModel) -> dict:
    """:func:`flops_per_step` of a built model (sizes read off the model)."""
    return flops_per_step(
        **{("model" if k == "name" else k): v for k, v in describe(model).items()}
    )


# ---------------------------------------------------------------- measured cost


def _random_input(
    model: SeqModel, batch_size: int, seq_len: int, input_size: int | None, device, seed: int
) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    if model.embed is not None:
        x = torch.randint(model.embed.num_embeddings, (batch_size, seq_len), generator=gen)
        return x.to(device)
    d = input_size if input_size is not None else model.core.input_size
    dtype = next(model.parameters()).dtype
    return torch.randn(batch_size, seq_len, d, generator=gen, dtype=dtype).to(device)


def _device(model: nn.Module, device) -> torch.device:
    return torch.device(device) if device is not None else next(model.parameters()).device


def _output_sum(model: SeqModel, x: torch.Tensor, path: str) -> torch.Tensor:
    """The scalar whose backward the memory probes measure (its gradient is all ones)."""
    return model(x, path=path).sum()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_per_step(
    model: SeqModel,
    batch_size: int,
    seq_len: int,
    input_size: int | None = None,
    repeats: int = 5,
    warmup: int = 1,
    path: str = "auto",
    device=None,
    seed: int = 0,
) -> dict:
    """Measured wall time per time step, in milliseconds, median of ``repeats`` runs after
    ``warmup`` untimed ones, on a random ``(batch_size, seq_len, input_size)`` batch.

    Returns ``{"forward_ms", "fwd_bwd_ms", "repeats", "threads", "path"}``: ``forward_ms`` the
    forward pass without autograd (inference), ``fwd_bwd_ms`` forward with autograd plus
    the gradient of ``output.sum()`` with respect to every parameter (``.grad`` fields are
    left untouched). Both divided by ``seq_len``.
    """
    if repeats < 1 or warmup < 0:
        raise ValueError("repeats must be >= 1 and warmup >= 0")
    dev = _device(model, device)
    x = _random_input(model, batch_size, seq_len, input_size, dev, seed)
    params = [p for p in model.parameters() if p.requires_grad]

    def fwd() -> None:
        with torch.no_grad():
            model(x, path=path)

    def fwd_bwd() -> None:
        with torch.enable_grad():
            torch.autograd.grad(model(x, path=path).sum(), params)

    def median_ms(fn) -> float:
        for _ in range(warmup):
            fn()
        times = []
        for _ in range(repeats):
            _sync(dev)
            t0 = time.perf_counter()
            fn()
            _sync(dev)
            times.append(time.perf_counter() - t0)
        return 1000.0 * statistics.median(times) / seq_len

    return {
        "forward_ms": median_ms(fwd),
        "fwd_bwd_ms": median_ms(fwd_bwd),
        "repeats": repeats,
        "threads": torch.get_num_threads(),
        "path": path,
    }


def saved_bytes(
    run: Callable[[], torch.Tensor], params: Iterable[torch.Tensor], *, with_output: bool = False
) -> int:
    """Bytes autograd holds for the backward pass of ``run()``: ``nbytes`` of the unique
    storages of every tensor saved for backward, ``params`` excluded; ``with_output`` adds
    the output's (what a step holds until its gradient arrives)."""
    param_ptrs = {p.untyped_storage().data_ptr() for p in params}
    storages: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        s = t.untyped_storage()
        if s.data_ptr() not in param_ptrs:
            storages[s.data_ptr()] = max(storages.get(s.data_ptr(), 0), s.nbytes())
        return t

    with torch.enable_grad(), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = run()
    if with_output:
        storages[out.untyped_storage().data_ptr()] = out.untyped_storage().nbytes()
    return int(sum(storages.values()))


def activation_memory(
    model: SeqModel,
    batch_size: int,
    seq_len: int,
    input_size: int | None = None,
    path: str = "auto",
    device=None,
    seed: int = 0,
) -> int:
    """Bytes that autograd holds for the backward pass of one forward on a random batch
    (``saved_bytes``; the loss is a scalar, so it is the saved tensors).

    This is the activation memory that grows with T; parameters are excluded (they exist
    whatever the sequence length) and the input batch counts when an operation saves it.
    Device independent; on CUDA :func:`cost_vs_length` also reports :func:`cuda_peak_bytes`.
    """
    x = _random_input(model, batch_size, seq_len, input_size, _device(model, device), seed)
    return saved_bytes(partial(_output_sum, model, x, path), model.parameters())


def cuda_peak_bytes(
    run: Callable[[], torch.Tensor], params: Iterable[torch.Tensor], device: torch.device
) -> int | None:
    """Peak CUDA memory allocated while ``run()`` and the gradient of its scalar output with
    respect to ``params`` are computed, above what was allocated before
    (``torch.cuda.max_memory_allocated``; ``.grad`` fields are left untouched). ``None`` when
    ``device`` is not CUDA. The CUDA counterpart of :func:`saved_bytes`: it also counts the
    kernels' workspace and what the backward pass allocates."""
    if device.type != "cuda":
        return None
    params = [p for p in params if p.requires_grad]
    torch.cuda.synchronize(device)
    base = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    with torch.enable_grad():
        grads = torch.autograd.grad(run(), params)
    torch.cuda.synchronize(device)
    peak = torch.cuda.max_memory_allocated(device) - base
    del grads
    return int(peak)


def cost_vs_length(
    models: dict[str, SeqModel],
    lengths,
    batch_size: int = 32,
    input_size: int | None = None,
    repeats: int = 3,
    warmup: int = 1,
    path: str = "auto",
    device=None,
    seed: int = 0,
) -> list[dict]:
    """One row per (model, T): ``{"model", "seq_len", "batch_size", "params",
    "flops_per_step", "fwd_bwd_flops_per_step", "forward_ms", "fwd_bwd_ms",
    "activation_bytes", "cuda_peak_bytes"}`` — times per step, memory for the whole
    sequence. FLOPs are by formula and do not depend on T; time per step should not
    either, activation memory grows linearly in T."""
    rows = []
    for name, model in models.items():
        flops = flops_of(model)
        dev = _device(model, device)
        for T in lengths:
            kw = dict(input_size=input_size, path=path, device=device, seed=seed)
            t = time_per_step(model, batch_size, T, repeats=repeats, warmup=warmup, **kw)
            x = _random_input(model, batch_size, T, input_size, dev, seed)
            loss = partial(_output_sum, model, x, path)
            rows.append(
                {
                    "model": name,
                    "seq_len": int(T),
                    "batch_size": batch_size,
                    "params": param_count(model),
                    "flops_per_step": flops["forward"],
                    "fwd_bwd_flops_per_step": flops["fwd_bwd"],
                    "forward_ms": t["forward_ms"],
                    "fwd_bwd_ms": t["fwd_bwd_ms"],
                    "activation_bytes": saved_bytes(loss, model.parameters()),
                    "cuda_peak_bytes": cuda_peak_bytes(loss, model.parameters(), dev),
                }
            )
    return rows


# ---------------------------------------------------------------- equal parameter count


def match_params(
    name: str,
    target_params: int,
    input_size: int | None,
    output_size: int | None,
    layers: int = 1,
    window: int = 5,
    vocab_size: int | None = None,
    embed_dim: int | None = None,
) -> int:
    """The hidden size H at which model ``name`` has the parameter count closest to
    ``target_params`` (ties go to the smaller H), for comparisons at equal parameter count.

    Delegates to ``seqlab.params.hidden_for_params`` (counts by hand, torch convention:
    embedding, biases and read-out included; the tests check the answer against the real
    models' ``numel``). ``window`` defaults to ModelSpec's 5. For token models pass
    ``embed_dim`` to hold the embedding fixed (otherwise it is H and grows with it).
    Raises ConfigError for bad sizes or an ``ffnn`` with ``layers=0`` (no H to choose).
    """
    return hidden_for_params(
        name,
        target_params,
        input_size,
        output_size,
        layers=layers,
        window=window,
        vocab_size=vocab_size,
        embed_dim=embed_dim,
    )
