"""The full LSTM's sequence-level layer compiled (C++), with the Python layer as fallback.

``seqlab.models.fused_seq.lstm_layer`` runs the loop over T from Python: per step ~7
elementwise kernels forward and ~6 backward, each dispatched from Python. ``csrc/lstm_layer.cpp``
runs the same algorithm (same equations, same chunked weight-gradient products, see
fused_seq's docstring) as one C++ call per direction: per step one ``addmm``, then one
parallel region over row blocks of the batch in which each thread runs ATen's vectorised
``sigmoid`` over its rows' whole (contiguous) gate row — the g block's weights enter doubled,
so g = tanh(z_g) = 2σ(2 z_g) − 1 — the cell update, ``tanh(c)`` and h = o ⊙ tanh c;
backward, one vectorisable loop over (B, H) for the whole step (dc, dz_i, dz_f, dz_g, dz_o),
reading ∂L/∂h in place (a batch-first gradient's strided rows need no copy). Shapes: ``x``
(T, B, D) -> ``h``, ``c`` (T, B, H) and the gates (T, B, 4H), exactly ``lstm_layer``'s.

The extension is compiled by ``torch.utils.cpp_extension.load`` at first use (``make``
builds it at install by calling ``implementation()``) into torch's extension cache
(``$TORCH_EXTENSIONS_DIR``, default ``~/.cache/torch_extensions``), which rebuilds when the
source changes. Where it cannot be built (no compiler or ninja), or where
``SEQLAB_LSTM_EXTENSION=0``, the Python layer runs instead. ``IMPLEMENTATION`` says which
one runs (``"cpp"`` or ``"python"``; ``None`` before the first use) and ``REASON`` why;
``implementation()`` decides it. The full LSTM and its ablations (nig, nfg, nog, cifg: a
removed gate fixed at 1, cifg's i = 1 − f; the full LSTM has its own loops) on CPU in
float32/float64 are routed here; other devices and dtypes run the Python layer.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from pathlib import Path

import torch
from torch.utils._python_dispatch import is_in_torch_dispatch_mode

from seqlab.models.fused_seq import CHUNK, LSTM_FULL, once_differentiable
from seqlab.models.fused_seq import lstm_layer as python_lstm_layer

__all__ = ["IMPLEMENTATION", "REASON", "implementation", "lstm_layer"]

SOURCE = Path(__file__).with_name("csrc") / "lstm_layer.cpp"
ENV = "SEQLAB_LSTM_EXTENSION"  # "0" forces the Python layer

#: ``"cpp"`` or ``"python"``: which sequence-level LSTM layer runs (None until decided).
IMPLEMENTATION: str | None = None
#: Why: the build's outcome, or the environment variable that turned it off.
REASON: str = ""

_ext = None
_lock = threading.Lock()


def _ninja_on_path() -> None:
    """torch runs ``ninja`` from PATH; pip's ``ninja`` lives in the venv's bin folder, which
    is not on PATH when the venv's python is run directly (``make``, CI): add it."""
    if shutil.which("ninja") is not None:
        return
    try:
        import ninja

        folder = ninja.BIN_DIR
    except (ImportError, AttributeError):
        folder = os.path.dirname(sys.executable)
    os.environ["PATH"] = folder + os.pathsep + os.environ.get("PATH", "")


def _load():
    global IMPLEMENTATION, REASON, _ext
    with _lock:
        if IMPLEMENTATION is not None:
            return _ext
        if os.environ.get(ENV, "1") == "0":
            IMPLEMENTATION, REASON = "python", f"{ENV}=0"
            return None
        try:
            from torch.utils.cpp_extension import load

            _ninja_on_path()
            _ext = load(
                name="seqlab_lstm_layer",
                sources=[str(SOURCE)],
                extra_cflags=["-O3"],
                verbose=False,
            )
            IMPLEMENTATION, REASON = "cpp", "compiled C++ extension loaded"
        except Exception as e:  # no compiler, no ninja, no headers: the Python layer runs
            IMPLEMENTATION = "python"
            REASON = f"C++ extension unavailable: {type(e).__name__}: {str(e)[:300]}"
        return _ext


def implementation() -> str:
    """``"cpp"`` or ``"python"``, building or loading the extension on first call."""
    _load()
    return IMPLEMENTATION  # type: ignore[return-value]


class _CppLSTMLayer(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w_ih, w_hh, b_ih, b_hh, blocks, cifg):
        ctx.set_materialize_grads(False)
        index = [blocks.index(n) if n in blocks else -1 for n in "ifgo"]
        ctx.index, ctx.cifg = index, cifg
        hs, cs, acts, ths = _ext.forward(x, w_ih, w_hh, b_ih, b_hh, index, cifg)
        ctx.save_for_backward(x, w_ih, w_hh, acts, hs, cs, ths)
        return hs[1:], cs[1:], acts

    @staticmethod
    @once_differentiable
    def backward(ctx, d_hs, d_cs, d_acts):
        x, w_ih, w_hh, acts, hs, cs, ths = ctx.saved_tensors
        need = ctx.needs_input_grad

        def dense(g):
            return None if g is None else g.contiguous()

        # ∂L/∂h is read row by row, so strided rows (the batch-first gradient's time-major
        # view) go in without a copy; only its last dimension must be contiguous
        rows_hs = d_hs if d_hs is not None and d_hs.stride(-1) == 1 else dense(d_hs)
        dx, dw_ih, dw_hh, db_ih, db_hh = _ext.backward(
            x, w_ih, w_hh, acts, hs, cs, ths, rows_hs, dense(d_cs), dense(d_acts),
            need[0], CHUNK, ctx.index, ctx.cifg,
        )  # fmt: skip
        return (
            dx if need[0] else None,
            dw_ih if need[1] else None,
            dw_hh if need[2] else None,
            db_ih if need[3] else None,
            db_hh if need[4] else None,
            None,
            None,
        )


def _routable(x: torch.Tensor) -> bool:
    """CPU float tensors, outside any Python dispatch mode: a mode (``FlopCounterMode``, a
    tracer) sees only the ops dispatched from Python, and the compiled loop's products would
    be hidden from it (the flop count of the trace path came out at half), so under one the
    Python layer runs and every product is seen."""
    return (
        x.device.type == "cpu"
        and x.dtype in (torch.float32, torch.float64)
        and not is_in_torch_dispatch_mode()
    )


def lstm_layer(
    x: torch.Tensor,
    w_ih: torch.Tensor,
    w_hh: torch.Tensor,
    b_ih: torch.Tensor,
    b_hh: torch.Tensor,
    blocks: tuple[str, ...] = LSTM_FULL,
    cifg: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``fused_seq.lstm_layer``'s contract: the compiled layer on CPU where it is available
    (``IMPLEMENTATION == "cpp"``), the Python layer otherwise."""
    if "g" not in blocks or (cifg and "i" in blocks):
        raise ValueError(f"bad LSTM blocks {blocks!r} (cifg={cifg})")
    if _routable(x) and _load() is not None:
        params = [p.contiguous() for p in (w_ih, w_hh, b_ih, b_hh)]
        return _CppLSTMLayer.apply(x.contiguous(), *params, tuple(blocks), cifg)
    return python_lstm_layer(x, w_ih, w_hh, b_ih, b_hh, blocks, cifg)
