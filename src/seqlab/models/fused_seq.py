"""Sequence-level LSTM and GRU layers: one autograd node per layer, backward through time by hand.

Why: the step loop of the trace path records ~10 autograd nodes per step, and autograd then
accumulates ``dW_hh`` as T small products. Here a layer is one ``torch.autograd.Function``
over the whole sequence, time-major (T, B, ·) so that every step works on contiguous rows:

forward (per layer)
    Z = X W_ihᵀ + (b_ih + b_hh)                 one product for all steps      (T·B, G·H)
    for t: z_t = Z_t + h_{t−1} W_hhᵀ            one product per step           (B, G·H)
           gates = σ(z_t) over the whole row, then tanh on the candidate block (LSTM g,
           GRU n), written in place into a preallocated (T, B, G·H) buffer: that buffer
           IS what the trace returns, so exposing the gates costs nothing extra.

backward (per layer), sweeping t = T−1 … 0 in chunks of ``CHUNK`` steps. Per chunk, the
activation derivatives (σ' = a(1 − a), tanh' = 1 − a²) times what they multiply are
computed for all its steps at once, so that per step only a few elementwise products remain:
    dZ_t = dc_t ⊙ P_t (i, f, g blocks), dh_t ⊙ P_t (o block)    into the chunk's dZ  (C, B, G·H)
    dh_{t−1} = ∂L/∂h_{t−1} (from above) + dZ_t W_hh              one product per step
and after each chunk the weight gradients as single products over its C·B rows:
    dW_hh += dZ_cᵀ H_{c−1}   dW_ih += dZ_cᵀ X_c   db += Σ dZ_c   dX_c = dZ_c W_ih
Chunks, rather than one product over all T·B rows after the sweep, keep every temporary
at C·B·G·H floats: a (T, B, G·H) temporary at T = 400 is 52 MB, above glibc's mmap
threshold, and its page faults cost more than the products (measured). With C·B = 2048
rows a chunk's product runs at the same rate as one over all steps.

LSTM (gate order i|f|g|o, blocks as ``seqlab.models.lstm.VARIANT_BLOCKS``):
    c_t = f ⊙ c_{t−1} + i ⊙ g      h_t = o ⊙ tanh(c_t)
    dc_t = dc_{t+1} ⊙ f_{t+1} + dh_t ⊙ o ⊙ (1 − tanh²c_t)
    dz_i = dc ⊙ g ⊙ σ'   dz_f = dc ⊙ c_{t−1} ⊙ σ'   dz_g = dc ⊙ i ⊙ tanh'   dz_o = dh ⊙ tanh c ⊙ σ'
    Ablations fix a gate: nig i = 1, nfg f = 1, nog o = 1, cifg i = 1 − f (then
    dz_f = dc ⊙ (c_{t−1} − g) ⊙ σ' and dz_g = dc ⊙ (1 − f) ⊙ tanh').

GRU (gate order r|z|n): the recurrent term of n keeps its own bias inside the reset gate,
    n = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn))      h' = n + z ⊙ (h − n)
so per step the product ``h W_hhᵀ + [0, 0, b_hn]`` is stored whole (``hn`` is needed in the
backward) and r, z take b_hr, b_hz through the input projection. Backward:
    dn = dh ⊙ (1 − z)   dz_n = dn ⊙ tanh'   dz = dh ⊙ (h − n) ⊙ σ'   dr = dz_n ⊙ hn ⊙ σ'
    d(hW_hn) = dz_n ⊙ r    dh_{t−1} = dh ⊙ z + [dr, dz, dz_n ⊙ r] W_hh

Every output (hidden states, cell states, gates) is differentiable: gradients that reach
the gates or cell states directly are added in the sweep. Only first-order gradients are
implemented: asking for a graph of the gradient (``create_graph=True``, double backward)
raises a clear error. The initial state is zero.
"""

from __future__ import annotations

import functools

import torch

__all__ = ["gru_layer", "lstm_layer"]


CHUNK = 32  # steps per block of the backward sweep (scratch ~ CHUNK·B·G·H, K = CHUNK·B)


def once_differentiable(backward):
    """Refuse ``create_graph=True``: the hand-written backward is not itself differentiable."""

    @functools.wraps(backward)
    def checked(ctx, *grads):
        if torch.is_grad_enabled():
            raise RuntimeError(
                "seqlab's sequence-level LSTM/GRU layers implement first-order gradients only "
                "(no create_graph / double backward); run the model with path='loop' or "
                "path='fused' for higher-order gradients."
            )
        with torch.no_grad():
            return backward(ctx, *grads)

    return checked


def _block(t: torch.Tensor, k: int, H: int) -> torch.Tensor:
    """Block ``k`` of the last dimension: ``(…, G·H) -> (…, H)`` (a strided view)."""
    return t[..., k * H : (k + 1) * H]


def _grad_or_zeros(g: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor:
    return like.new_zeros(()).expand_as(like) if g is None else g


class _Sweep:
    """Scratch and accumulators of one backward sweep, visited in chunks of ``CHUNK`` steps.

    The weight gradients are accumulated one chunk at a time, each a single product with
    K = CHUNK·B (as efficient as one product over all steps, and no (T, B, G·H) temporary):
        dW_ih += dZ_cᵀ X_c    dW_hh += dZ_cᵀ H_{c−1}    db += Σ dZ_c    dX_c = dZ_c W_ih
    """

    def __init__(self, ctx, x, w_ih, w_hh, G: int) -> None:
        T, B, D = x.shape
        H = w_hh.shape[1]
        C = min(T, CHUNK)
        need = ctx.needs_input_grad
        self.x, self.w_ih, self.need = x, w_ih, need
        self.dz_x = x.new_empty(C, B, G * H)  # d(input pre-activations) of the chunk
        self.dx = x.new_empty(T, B, D) if need[0] else None
        self.dw_ih = torch.zeros_like(w_ih)
        self.dw_hh = torch.zeros_like(w_hh)
        self.db_ih = w_ih.new_zeros(G * H)
        self.db_hh = w_ih.new_zeros(G * H)

    def chunks(self, T: int):
        """``(t0, t1)`` from the end of the sequence back to its start."""
        for t1 in range(T, 0, -CHUNK):
            yield max(0, t1 - CHUNK), t1

    def accumulate(self, t0: int, t1: int, dz_x, dz_h, h_prev) -> None:
        """Add the chunk's products; ``h_prev`` (n, B, H) are h_{t−1} for t in [t0, t1)."""
        n, B, GH = dz_x.shape
        zx = dz_x.reshape(n * B, GH)
        zh = dz_h.reshape(n * B, GH)
        self.dw_ih.addmm_(zx.t(), self.x[t0:t1].reshape(n * B, -1))  # (G·H, D)
        self.dw_hh.addmm_(zh.t(), h_prev.reshape(n * B, -1))  # (G·H, H)
        self.db_ih += zx.sum(0)
        self.db_hh += zx.sum(0) if dz_h is dz_x else zh.sum(0)
        if self.dx is not None:
            torch.mm(zx, self.w_ih, out=self.dx[t0:t1].view(n * B, -1))  # (n·B, D)

    def grads(self) -> tuple:
        need = self.need
        return (
            self.dx,
            self.dw_ih if need[1] else None,
            self.dw_hh if need[2] else None,
            self.db_ih if need[3] else None,
            self.db_hh if need[4] else None,
        )


class _LSTMLayer(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w_ih, w_hh, b_ih, b_hh, blocks, cifg):
        T, B, D = x.shape
        GH, H = w_hh.shape
        k = {name: n for n, name in enumerate(blocks)}
        ctx.set_materialize_grads(False)
        # Pre-activations of all steps in one product, overwritten step by step by the gates.
        acts = torch.addmm(b_ih + b_hh, x.reshape(T * B, D), w_ih.t()).view(T, B, GH)
        hs = x.new_empty(T + 1, B, H)  # hs[0] = h_{-1} = 0, hs[t+1] = h_t
        cs = x.new_empty(T + 1, B, H)
        hs[0].zero_()
        cs[0].zero_()
        z = x.new_empty(B, GH)  # kept as its own buffer: tanh needs g's pre-activation
        tanh_c = x.new_empty(B, H)
        w_hh_t = w_hh.t()
        # Per-step views made once (``unbind``): indexing in the loop costs more than the work.
        A, Hs, Cs = acts.unbind(0), hs.unbind(0), cs.unbind(0)
        i, f, g, o = (_block(acts, k[n], H).unbind(0) if n in k else None for n in "ifgo")
        g_pre = _block(z, k["g"], H)
        for t in range(T):
            torch.addmm(A[t], Hs[t], w_hh_t, out=z)  # (B, G·H); at t = 0 a product with 0
            torch.sigmoid(z, out=A[t])
            torch.tanh(g_pre, out=g[t])
            c = Cs[t + 1]
            if f is not None:
                torch.mul(f[t], Cs[t], out=c)
            else:
                c.copy_(Cs[t])
            if i is not None:
                c.addcmul_(i[t], g[t])
            elif cifg:
                c.addcmul_(g[t], f[t], value=-1.0).add_(g[t])  # + (1 − f) ⊙ g
            else:
                c.add_(g[t])
            if o is not None:
                torch.mul(o[t], torch.tanh(c, out=tanh_c), out=Hs[t + 1])
            else:
                torch.tanh(c, out=Hs[t + 1])
        ctx.blocks, ctx.cifg = blocks, cifg
        ctx.save_for_backward(x, w_ih, w_hh, acts, hs, cs)
        return hs[1:], cs[1:], acts

    @staticmethod
    @once_differentiable
    def backward(ctx, d_hs, d_cs, d_acts):
        x, w_ih, w_hh, acts, hs, cs = ctx.saved_tensors
        blocks, cifg = ctx.blocks, ctx.cifg
        k = {name: n for n, name in enumerate(blocks)}
        T, B, _ = x.shape
        GH, H = w_hh.shape
        G = len(blocks)
        n_c = G - ("o" in k)  # blocks fed by dc: all but o, which comes last
        d_hs = _grad_or_zeros(d_hs, hs[1:])
        sweep = _Sweep(ctx, x, w_ih, w_hh, G)
        C = sweep.dz_x.shape[0]
        # Per chunk: P = ∂(gate input)/∂(pre-activation) ⊙ (what multiplies dc or dh), so
        # that per step dz_{i,f,g} = dc ⊙ P and dz_o = dh ⊙ P_o.
        P = x.new_empty(C, B, GH)
        der = x.new_empty(C, B, GH) if d_acts is not None else None
        th = x.new_empty(C, B, H)  # tanh(c_t)
        dhdc = x.new_empty(C, B, H)  # ∂h_t/∂c_t = o ⊙ (1 − tanh² c_t)
        tmp = x.new_empty(C, B, H)
        dc = x.new_zeros(B, H)
        dh_buf = (x.new_empty(B, H), x.new_empty(B, H))
        dh = d_hs[T - 1]
        # Per-step views made once (``unbind``): indexing in the loop costs more than the work.
        dz4, p4 = sweep.dz_x.view(C, B, G, H), P.view(C, B, G, H)
        dz_l, dz_c, p_c = sweep.dz_x.unbind(0), dz4[:, :, :n_c].unbind(0), p4[:, :, :n_c].unbind(0)
        if "o" in k:  # the o block comes last: index n_c
            dz_o, p_o = dz4[:, :, n_c].unbind(0), p4[:, :, n_c].unbind(0)
        dhdc_l, d_hs_l = dhdc.unbind(0), d_hs.unbind(0)
        f_l = _block(acts, k["f"], H).unbind(0) if "f" in k else None
        dc_b = dc.unsqueeze(1)  # (B, 1, H): broadcast over the blocks dc feeds
        for t0, t1 in sweep.chunks(T):
            n = t1 - t0
            a, p = acts[t0:t1], P[:n]
            pb = {name: _block(p, m, H) for name, m in k.items()}
            gate = {name: _block(a, m, H) for name, m in k.items()}
            torch.mul(a, a, out=p)
            torch.sub(a, p, out=p)  # σ' = a(1 − a)
            torch.mul(gate["g"], gate["g"], out=pb["g"]).neg_().add_(1.0)  # tanh' = 1 − g²
            if der is not None:
                der[:n].copy_(p)
            torch.tanh(cs[t0 + 1 : t1 + 1], out=th[:n])
            torch.mul(th[:n], th[:n], out=dhdc[:n]).neg_().add_(1.0)
            if "o" in k:
                dhdc[:n].mul_(gate["o"])
                pb["o"].mul_(th[:n])
            if "i" in k:
                pb["i"].mul_(gate["g"])
                pb["g"].mul_(gate["i"])
            elif cifg:
                pb["g"].mul_(torch.sub(1.0, gate["f"], out=tmp[:n]))  # i = 1 − f
            if "f" in k:
                c_prev = cs[t0:t1]
                pb["f"].mul_(torch.sub(c_prev, gate["g"], out=tmp[:n]) if cifg else c_prev)
            for t in range(t1 - 1, t0 - 1, -1):
                j = t - t0
                dc.addcmul_(dh, dhdc_l[j])
                if d_cs is not None:
                    dc.add_(d_cs[t])
                torch.mul(dc_b, p_c[j], out=dz_c[j])
                if "o" in k:
                    torch.mul(dh, p_o[j], out=dz_o[j])
                if der is not None:
                    dz_l[j].addcmul_(d_acts[t], der[j])
                if f_l is not None:
                    dc.mul_(f_l[t])  # dc_{t-1} (for nfg f = 1: unchanged)
                if t:
                    dh = torch.addmm(d_hs_l[t - 1], dz_l[j], w_hh, out=dh_buf[t % 2])
            sweep.accumulate(t0, t1, sweep.dz_x[:n], sweep.dz_x[:n], hs[t0:t1])
        return sweep.grads() + (None, None)


class _GRULayer(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w_ih, w_hh, b_ih, b_hh):
        T, B, D = x.shape
        GH, H = w_hh.shape
        ctx.set_materialize_grads(False)
        bias_x = b_ih.clone()
        bias_x[: 2 * H] += b_hh[: 2 * H]  # r and z take both biases through the input term
        bias_h = torch.zeros_like(b_hh)
        bias_h[2 * H :] = b_hh[2 * H :]  # b_hn stays inside the reset gate
        acts = torch.addmm(bias_x, x.reshape(T * B, D), w_ih.t()).view(T, B, GH)
        hw = x.new_empty(T, B, GH)  # h_{t-1} W_hhᵀ + [0, 0, b_hn]
        hs = x.new_empty(T + 1, B, H)
        hs[0].zero_()
        w_hh_t = w_hh.t()
        # Per-step views made once (``unbind``).
        rz, r, z, n = (
            v.unbind(0)
            for v in (acts[..., : 2 * H], acts[..., :H], _block(acts, 1, H), _block(acts, 2, H))
        )
        hn, hw_rz, hw_l, Hs = (
            _block(hw, 2, H).unbind(0),
            hw[..., : 2 * H].unbind(0),
            hw.unbind(0),
            hs.unbind(0),
        )
        for t in range(T):
            torch.addmm(bias_h, Hs[t], w_hh_t, out=hw_l[t])  # (B, 3H); at t = 0 a product with 0
            rz[t].add_(hw_rz[t]).sigmoid_()
            n[t].addcmul_(r[t], hn[t]).tanh_()
            torch.sub(Hs[t], n[t], out=Hs[t + 1]).mul_(z[t]).add_(n[t])  # n + z ⊙ (h − n)
        ctx.save_for_backward(x, w_ih, w_hh, acts, hw, hs)
        return hs[1:], acts

    @staticmethod
    @once_differentiable
    def backward(ctx, d_hs, d_acts):
        x, w_ih, w_hh, acts, hw, hs = ctx.saved_tensors
        T, B, _ = x.shape
        GH, H = w_hh.shape
        d_hs = _grad_or_zeros(d_hs, hs[1:])
        sweep = _Sweep(ctx, x, w_ih, w_hh, 3)
        C = sweep.dz_x.shape[0]
        dzh = x.new_empty(C, B, GH)  # d(h W_hhᵀ + [0, 0, b_hn]) = [dr, dz, dz_n ⊙ r]
        der = x.new_empty(C, B, GH)  # σ' on r, z; tanh' on n
        PQR = x.new_empty(C, B, GH)  # per step dz_n = dh ⊙ P, dz = dh ⊙ Q, dr = dz_n ⊙ R
        dh_buf = (x.new_empty(B, H), x.new_empty(B, H))
        dh = d_hs[T - 1]
        for t0, t1 in sweep.chunks(T):
            m = t1 - t0
            a, d, pqr = acts[t0:t1], der[:m], PQR[:m]
            r, z, n = a[..., :H], _block(a, 1, H), _block(a, 2, H)
            hn = _block(hw[t0:t1], 2, H)
            torch.mul(a, a, out=d)
            torch.sub(a, d, out=d)
            torch.mul(n, n, out=_block(d, 2, H)).neg_().add_(1.0)
            P, Q, R = _block(pqr, 2, H), _block(pqr, 1, H), pqr[..., :H]
            torch.sub(1.0, z, out=P).mul_(_block(d, 2, H))  # (1 − z) tanh'(n)
            torch.sub(hs[t0:t1], n, out=Q).mul_(_block(d, 1, H))  # (h − n) σ'(z)
            torch.mul(hn, d[..., :H], out=R)  # hn σ'(r)
            dzx, dzh_c = sweep.dz_x[:m], dzh[:m]
            for t in range(t1 - 1, t0 - 1, -1):
                j = t - t0
                dzn = _block(dzx[j], 2, H)
                torch.mul(dh, P[j], out=dzn)
                if d_acts is not None:
                    dzn.addcmul_(_block(d_acts[t], 2, H), _block(d[j], 2, H))
                torch.mul(dzn, R[j], out=dzh_c[j, :, :H])
                torch.mul(dh, Q[j], out=_block(dzh_c[j], 1, H))
                if d_acts is not None:
                    dzh_c[j, :, : 2 * H].addcmul_(d_acts[t, :, : 2 * H], d[j, :, : 2 * H])
                torch.mul(dzn, r[j], out=_block(dzh_c[j], 2, H))
                if t:
                    nxt = torch.addmm(d_hs[t - 1], dzh_c[j], w_hh, out=dh_buf[t % 2])
                    dh = nxt.addcmul_(dh, z[j])
            dzx[..., : 2 * H] = dzh_c[..., : 2 * H]
            sweep.accumulate(t0, t1, dzx, dzh_c, hs[t0:t1])
        return sweep.grads()


LSTM_FULL = ("i", "f", "g", "o")


def lstm_layer(
    x: torch.Tensor,
    w_ih: torch.Tensor,
    w_hh: torch.Tensor,
    b_ih: torch.Tensor,
    b_hh: torch.Tensor,
    blocks: tuple[str, ...] = LSTM_FULL,
    cifg: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One LSTM layer over a whole time-major sequence from a zero state.

    ``x`` (T, B, D); weights as torch.nn.LSTM with the rows of ``blocks`` (a sub-sequence
    of i|f|g|o, ``g`` required; ``cifg`` ties i = 1 − f when ``i`` is absent).
    Returns ``h`` (T, B, H), ``c`` (T, B, H) and the learned gates' activations
    ``(T, B, G·H)`` in ``blocks`` order.
    """
    if "g" not in blocks or (cifg and "i" in blocks):
        raise ValueError(f"bad LSTM blocks {blocks!r} (cifg={cifg})")
    return _LSTMLayer.apply(x.contiguous(), w_ih, w_hh, b_ih, b_hh, tuple(blocks), cifg)


def gru_layer(
    x: torch.Tensor, w_ih: torch.Tensor, w_hh: torch.Tensor, b_ih: torch.Tensor, b_hh: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """One GRU layer over a whole time-major sequence from a zero state.

    ``x`` (T, B, D); weights as torch.nn.GRU. Returns ``h`` (T, B, H) and the gates
    ``(T, B, 3H)`` in r|z|n order.
    """
    return _GRULayer.apply(x.contiguous(), w_ih, w_hh, b_ih, b_hh)
