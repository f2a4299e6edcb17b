"""Parameters by hand for the newer families (``seqlab.params.count_params`` calls these).

Symbols as in ``seqlab.params``: ``D`` the core's input size (``E`` after an embedding),
``H`` hidden size (channels of a TCN), ``L`` layers (levels of a TCN), ``k`` kernel size.

    tcn block i (C_in = D for i = 0, else H; weight norm keeps g (H) beside V):
        conv1  H·C_in·k + 2H      V (H, C_in, k), g (H, 1, 1), bias (H,)
        conv2  H·H·k + 2H
        1×1    H·C_in + H         only where C_in ≠ H (block 0 when D ≠ H)
    transformer:
        input projection   H·D + H
        layer l            12H² + 13H  = LN 2H + qkv 3H·H + 3H + out H·H + H + LN 2H
                                         + MLP 4H·H + 4H + H·4H + H
        final LayerNorm    2H
    mingru layer l         2·H·D_l + 2H     (z | h̃ from x only; the GRU has 3·H·(D_l + H) + 6H)
    minlstm layer l        3·H·D_l + 3H     (f | i | h̃)

Every part has one bias vector (no b_hh: no recurrent weights), so the torch and keras
conventions agree. This module imports nothing from torch.
"""

from __future__ import annotations

from seqlab.errors import ConfigError

NEWER = ("tcn", "transformer", "mingru", "minlstm")
MIN_GATES = {"mingru": ("z", "h̃"), "minlstm": ("f", "i", "h̃")}


def note(model: str) -> str:
    """Why torch and keras counts agree for ``model``."""
    return (
        f"torch = keras for {model}: every part has at most one bias vector (no recurrent "
        "weights, so no second bias b_hh)."
    )


def core_parts(
    model: str,
    d_sym: str,
    D: int,
    H: int,
    layers: int,
    levels: int | None,
    kernel_size: int | None,
) -> list[tuple[str, str, int]]:
    """``(name, formula, count)`` for each part of the core of a newer ``model``."""
    if model == "tcn":
        if levels is None or kernel_size is None:
            raise ConfigError("a tcn count needs its size: pass --levels L and --kernel-size k.")
        if levels < 1 or kernel_size < 2:
            raise ConfigError(
                f"tcn needs --levels >= 1 and --kernel-size >= 2, got {levels} and {kernel_size}."
            )
        return [_tcn_block(i, d_sym, D, H, kernel_size) for i in range(levels)]
    if model == "transformer":
        parts = [(f"input projection ({d_sym} → H)", f"H·{d_sym} + H = {H}·{D} + {H}", H * D + H)]
        parts += [
            (
                f"layer {l} (LN, qkv, out, LN, MLP H → 4H → H)",
                f"12·H² + 13·H = 12·{H}² + 13·{H}",
                12 * H * H + 13 * H,
            )
            for l in range(layers)
        ]
        parts.append(("final LayerNorm", f"2·H = 2·{H}", 2 * H))
        return parts
    gates = MIN_GATES[model]
    G = len(gates)
    parts = []
    for l in range(layers):
        src_sym, src = (d_sym, D) if l == 0 else ("H", H)
        parts.append(
            (
                f"layer {l} ({'|'.join(gates)}; W {G}H×{src_sym}, one bias)",
                f"{G}·H·{src_sym} + {G}·H = {G}·{H}·{src} + {G}·{H}",
                G * H * src + G * H,
            )
        )
    return parts


def _tcn_block(i: int, d_sym: str, D: int, H: int, k: int) -> tuple[str, str, int]:
    c_sym, c = (d_sym, D) if i == 0 else ("H", H)
    symbolic = f"H·{c_sym}·k + 2H + H·H·k + 2H"
    numeric = f"{H}·{c}·{k} + 2·{H} + {H}·{H}·{k} + 2·{H}"
    count = H * c * k + 2 * H + H * H * k + 2 * H
    name = f"block {i} (dilation {2**i}; two weight-normed convolutions"
    if c != H:
        symbolic += f" + H·{c_sym} + H"
        numeric += f" + {H}·{c} + {H}"
        count += H * c + H
        name += ", a 1×1 convolution"
    return (name + ")", f"{symbolic} = {numeric}", count)
