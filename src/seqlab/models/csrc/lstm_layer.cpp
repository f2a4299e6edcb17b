// One LSTM layer over a whole time-major sequence, forward and backward through time, in C++.
// The full LSTM has its own loops; the ablations (nig, nfg, nog, cifg) share generic ones.
//
// The same algorithm and numbers as seqlab.models.fused_seq._LSTMLayer (gate order i|f|g|o),
// without the per-step dispatch from Python: per step the recurrent product is one addmm in
// place, then one parallel region over row blocks of the batch, each thread running ATen's
// vectorised sigmoid on its rows' whole gate row (contiguous), one loop for the cell update,
// ATen's tanh of c, and one loop for h; backward, one loop over (B, H) for the whole step.
//
//   forward:  Z = X W_ihᵀ + b_ih + b_hh              (T·B, 4H), then per step
//             z_t = Z_t + h_{t-1} W_hhᵀ; i, f, o = σ(z); g = tanh(z_g) = 2σ(2 z_g) − 1
//             c_t = f ⊙ c_{t-1} + i ⊙ g;  h_t = o ⊙ tanh(c_t)
//
// The g block's weights and bias enter the forward doubled, so that one sigmoid over the
// whole contiguous (rows, 4H) block gives σ(2 z_g), and tanh(z_g) = 2σ(2 z_g) − 1 is one
// multiply-add in the cell loop (exact algebra; rounding within a few ulp of ATen's tanh).
// Measured on a 2-core Xeon at B=64, H=128: ATen's sigmoid and tanh on the three strided
// blocks took 54 µs per step at 1 thread and 105 µs at 2 (tanh's own threading on small
// strided blocks costs more than it gains), one sigmoid over the contiguous rows 26–29 µs.
//   backward: dc_t = dc_{t+1} ⊙ f_{t+1} + dh_t ⊙ o ⊙ (1 − tanh² c_t) (+ ∂L/∂c_t)
//             dz_i = dc ⊙ g ⊙ σ'(i)   dz_f = dc ⊙ c_{t-1} ⊙ σ'(f)
//             dz_g = dc ⊙ i ⊙ (1 − g²)  dz_o = dh ⊙ tanh c_t ⊙ σ'(o)   (+ ∂L/∂gates ⊙ act')
//             dh_{t-1} = ∂L/∂h_{t-1} + dz_t W_hh, and per chunk of C steps the weight
//             gradients as single products over C·B rows (as fused_seq's _Sweep).
#include <torch/extension.h>

#include <ATen/Parallel.h>

#include <optional>
#include <vector>

namespace {

// Rows of B handed to one thread: at least ~8k gate elements (row width W) per task, so that
// a small layer runs inline (its step's elementwise work is a few microseconds, about the
// cost of waking a second thread).
constexpr int64_t kGrainElements = 8192;
int64_t grain_rows(int64_t W) {
  return std::max<int64_t>(1, kGrainElements / std::max<int64_t>(1, W));
}

// One row of the full LSTM's backward step, written so that the compiler vectorises it:
// no aliasing between inputs and outputs (__restrict__), and the optional terms chosen at
// compile time rather than tested per element.
template <typename scalar_t, bool kDhs, bool kDcs>
inline void backward_row(const scalar_t* __restrict__ i, const scalar_t* __restrict__ f,
                         const scalar_t* __restrict__ g, const scalar_t* __restrict__ o,
                         const scalar_t* __restrict__ tb, const scalar_t* __restrict__ cp,
                         const scalar_t* __restrict__ dhb, const scalar_t* __restrict__ dhsb,
                         const scalar_t* __restrict__ dcsb, scalar_t* __restrict__ dcb,
                         scalar_t* __restrict__ zi, scalar_t* __restrict__ zf,
                         scalar_t* __restrict__ zg, scalar_t* __restrict__ zo, int64_t H) {
  for (int64_t j = 0; j < H; ++j) {
    const scalar_t t = tb[j];
    scalar_t dhj = dhb[j];
    if constexpr (kDhs) dhj += dhsb[j];
    scalar_t d = dcb[j] + dhj * (o[j] * (scalar_t(1) - t * t));
    if constexpr (kDcs) d += dcsb[j];
    zi[j] = d * (g[j] * (i[j] - i[j] * i[j]));
    zf[j] = d * (cp[j] * (f[j] - f[j] * f[j]));
    zg[j] = d * (i[j] * (scalar_t(1) - g[j] * g[j]));
    zo[j] = dhj * (t * (o[j] - o[j] * o[j]));
    dcb[j] = d * f[j];
  }
}

// One backward step: dz (B, 4H) from dh_t = dh (from step t+1, through W_hh) + dhs (∂L/∂h_t
// from outside, rows dhs_row elements apart, or null), and the running dc (updated in place
// to dc_{t-1}).
template <typename scalar_t>
void backward_step(const scalar_t* a, const scalar_t* th, const scalar_t* c_prev,
                   const scalar_t* dh, const scalar_t* dhs, int64_t dhs_row, const scalar_t* dcs,
                   const scalar_t* dacts, scalar_t* dc, scalar_t* dz, int64_t B, int64_t H) {
  at::parallel_for(0, B, grain_rows(4 * H), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const scalar_t* ab = a + b * 4 * H;
      const scalar_t *i = ab, *f = ab + H, *g = ab + 2 * H, *o = ab + 3 * H;
      const scalar_t* tb = th + b * H;
      const scalar_t* cp = c_prev + b * H;
      const scalar_t* dhb = dh + b * H;
      const scalar_t* dhsb = dhs ? dhs + b * dhs_row : nullptr;
      scalar_t* dcb = dc + b * H;
      scalar_t* zb = dz + b * 4 * H;
      const scalar_t* dcsb = dcs ? dcs + b * H : nullptr;
      scalar_t *zi = zb, *zf = zb + H, *zg = zb + 2 * H, *zo = zb + 3 * H;
      if (dhsb && dcsb) {
        backward_row<scalar_t, true, true>(i, f, g, o, tb, cp, dhb, dhsb, dcsb, dcb, zi, zf, zg,
                                           zo, H);
      } else if (dhsb) {
        backward_row<scalar_t, true, false>(i, f, g, o, tb, cp, dhb, dhsb, dcsb, dcb, zi, zf,
                                            zg, zo, H);
      } else if (dcsb) {
        backward_row<scalar_t, false, true>(i, f, g, o, tb, cp, dhb, dhsb, dcsb, dcb, zi, zf,
                                            zg, zo, H);
      } else {
        backward_row<scalar_t, false, false>(i, f, g, o, tb, cp, dhb, dhsb, dcsb, dcb, zi, zf,
                                             zg, zo, H);
      }
      if (dacts) {  // gradients that reach the gates directly: ∂L/∂a ⊙ a'(z)
        const scalar_t* da = dacts + b * 4 * H;
        for (int64_t k = 0; k < 4 * H; ++k) {
          const scalar_t v = ab[k];
          const bool is_g = k >= 2 * H && k < 3 * H;
          zb[k] += da[k] * (is_g ? scalar_t(1) - v * v : v - v * v);
        }
      }
    }
  });
}


// The ablations (seqlab.models.lstm.VARIANT_BLOCKS): G learned blocks at positions k.i, k.f,
// k.g, k.o of the row (−1: removed, the gate fixed at 1, or i = 1 − f with cifg).
struct Blocks {
  int64_t i, f, g, o, G;
  bool cifg;
  bool full() const { return i == 0 && f == 1 && g == 2 && o == 3 && !cifg; }
};

template <typename scalar_t>
void backward_step_variant(const scalar_t* a, const scalar_t* th, const scalar_t* c_prev,
                           const scalar_t* dh, const scalar_t* dhs, int64_t dhs_row,
                           const scalar_t* dcs, const scalar_t* dacts, scalar_t* dc,
                           scalar_t* dz, int64_t B, int64_t H, const Blocks& k) {
  at::parallel_for(0, B, grain_rows(k.G * H), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const scalar_t* ab = a + b * k.G * H;
      const scalar_t* g = ab + k.g * H;
      const scalar_t* i = k.i >= 0 ? ab + k.i * H : nullptr;
      const scalar_t* f = k.f >= 0 ? ab + k.f * H : nullptr;
      const scalar_t* o = k.o >= 0 ? ab + k.o * H : nullptr;
      const scalar_t* tb = th + b * H;
      const scalar_t* cp = c_prev + b * H;
      const scalar_t* dhb = dh + b * H;
      const scalar_t* dhsb = dhs ? dhs + b * dhs_row : nullptr;
      scalar_t* dcb = dc + b * H;
      scalar_t* zb = dz + b * k.G * H;
      const scalar_t* dcsb = dcs ? dcs + b * H : nullptr;
      for (int64_t j = 0; j < H; ++j) {
        const scalar_t t = tb[j];
        const scalar_t dhj = dhsb ? dhb[j] + dhsb[j] : dhb[j];
        const scalar_t oj = o ? o[j] : scalar_t(1);
        const scalar_t fj = f ? f[j] : scalar_t(1);
        const scalar_t ij = i ? i[j] : (k.cifg ? scalar_t(1) - fj : scalar_t(1));
        scalar_t d = dcb[j] + dhj * (oj * (scalar_t(1) - t * t));
        if (dcsb) d += dcsb[j];
        if (i) zb[k.i * H + j] = d * (g[j] * (ij - ij * ij));
        if (f) zb[k.f * H + j] = d * ((k.cifg ? cp[j] - g[j] : cp[j]) * (fj - fj * fj));
        zb[k.g * H + j] = d * (ij * (scalar_t(1) - g[j] * g[j]));
        if (o) zb[k.o * H + j] = dhj * (t * (oj - oj * oj));
        dcb[j] = d * fj;
      }
      if (dacts) {
        const scalar_t* da = dacts + b * k.G * H;
        for (int64_t m = 0; m < k.G * H; ++m) {
          const scalar_t v = ab[m];
          const bool is_g = m >= k.g * H && m < (k.g + 1) * H;
          zb[m] += da[m] * (is_g ? scalar_t(1) - v * v : v - v * v);
        }
      }
    }
  });
}

Blocks make_blocks(const std::vector<int64_t>& index, bool cifg) {
  TORCH_CHECK(index.size() == 4 && index[2] >= 0, "blocks: (i, f, g, o) indices, g required");
  int64_t G = 0;
  for (auto v : index) G += v >= 0;
  return Blocks{index[0], index[1], index[2], index[3], G, cifg};
}

// One forward step after z_t is in `a` (B, G·H; the g block holds 2 z_g): in one parallel
// region over row blocks, each thread turns its rows' z into the gates (σ on the whole
// contiguous row block, then g = 2σ(2 z_g) − 1), and computes c_t, tanh(c_t) and h_t.
// ATen's calls inside the region run on the calling thread.
template <typename scalar_t>
void forward_step(const at::Tensor& a, const at::Tensor& c_prev, const at::Tensor& c,
                  const at::Tensor& th, const at::Tensor& h, int64_t H, const Blocks& k) {
  const int64_t B = a.size(0), GH = k.G * H;
  const bool full = k.full();
  at::parallel_for(0, B, grain_rows(GH), [&](int64_t b0, int64_t b1) {
    const int64_t n = b1 - b0;
    a.narrow(0, b0, n).sigmoid_();
    scalar_t* ap = a.data_ptr<scalar_t>();
    const scalar_t* cpp = c_prev.data_ptr<scalar_t>();
    scalar_t* cptr = c.data_ptr<scalar_t>();
    for (int64_t b = b0; b < b1; ++b) {
      scalar_t* ab = ap + b * GH;
      scalar_t* g = ab + k.g * H;
      const scalar_t* cp = cpp + b * H;
      scalar_t* cb = cptr + b * H;
      for (int64_t j = 0; j < H; ++j) g[j] = scalar_t(2) * g[j] - scalar_t(1);
      if (full) {
        const scalar_t *i = ab, *f = ab + H;
        for (int64_t j = 0; j < H; ++j) cb[j] = f[j] * cp[j] + i[j] * g[j];
      } else {
        const scalar_t* i = k.i >= 0 ? ab + k.i * H : nullptr;
        const scalar_t* f = k.f >= 0 ? ab + k.f * H : nullptr;
        for (int64_t j = 0; j < H; ++j) {
          const scalar_t fj = f ? f[j] : scalar_t(1);
          const scalar_t ij = i ? i[j] : (k.cifg ? scalar_t(1) - fj : scalar_t(1));
          cb[j] = fj * cp[j] + ij * g[j];
        }
      }
    }
    auto th_rows = th.narrow(0, b0, n);
    at::tanh_out(th_rows, c.narrow(0, b0, n));
    const scalar_t* tp = th.data_ptr<scalar_t>();
    scalar_t* hp = h.data_ptr<scalar_t>();
    for (int64_t b = b0; b < b1; ++b) {
      const scalar_t* tb = tp + b * H;
      scalar_t* hb = hp + b * H;
      if (k.o >= 0) {
        const scalar_t* o = ap + b * GH + k.o * H;
        for (int64_t j = 0; j < H; ++j) hb[j] = o[j] * tb[j];
      } else {
        for (int64_t j = 0; j < H; ++j) hb[j] = tb[j];
      }
    }
  });
}

}  // namespace

// x (T, B, D); weights as torch.nn.LSTM. Returns h (T, B, H), c (T, B, H), gates (T, B, 4H)
// and, for the backward, tanh(c) (T, B, H).
std::vector<at::Tensor> lstm_forward(const at::Tensor& x, const at::Tensor& w_ih,
                                     const at::Tensor& w_hh, const at::Tensor& b_ih,
                                     const at::Tensor& b_hh, const std::vector<int64_t>& index,
                                     bool cifg) {
  TORCH_CHECK(x.dim() == 3 && x.is_contiguous(), "x must be a contiguous (T, B, D) tensor");
  const int64_t T = x.size(0), B = x.size(1), D = x.size(2), H = w_hh.size(1);
  const Blocks k = make_blocks(index, cifg);
  const int64_t GH = k.G * H;
  TORCH_CHECK(w_hh.size(0) == GH, "weight_hh must be (G·H, H) for the given blocks");
  at::NoGradGuard no_grad;
  // the g block's rows doubled: one sigmoid per step then gives σ(2 z_g) (see the top)
  auto scale = at::ones({GH, 1}, x.options());
  scale.narrow(0, k.g * H, H).fill_(2);
  auto acts = at::addmm((b_ih + b_hh) * scale.view({GH}), x.view({T * B, D}), (w_ih * scale).t())
                  .view({T, B, GH});
  auto hs = at::zeros({T + 1, B, H}, x.options());
  auto cs = at::zeros({T + 1, B, H}, x.options());
  auto ths = at::empty({T, B, H}, x.options());
  const auto w_hh_t = (w_hh * scale).t();
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "seqlab_lstm_forward", [&] {
    for (int64_t t = 0; t < T; ++t) {
      auto a = acts[t];
      a.addmm_(hs[t], w_hh_t);  // z_t in place, (B, G·H), the g block doubled
      forward_step<scalar_t>(a, cs[t], cs[t + 1], ths[t], hs[t + 1], H, k);
    }
  });
  return {hs, cs, acts, ths};
}

// The gradients (dx or an undefined tensor, dW_ih, dW_hh, db_ih, db_hh) of a loss whose
// gradients w.r.t. h, c and the gates are d_hs, d_cs, d_acts (each (T, B, ·), or None when
// nothing reached that output; d_cs and d_acts contiguous, d_hs with contiguous rows).
std::vector<at::Tensor> lstm_backward(const at::Tensor& x, const at::Tensor& w_ih,
                                      const at::Tensor& w_hh, const at::Tensor& acts,
                                      const at::Tensor& hs, const at::Tensor& cs,
                                      const at::Tensor& ths,
                                      const std::optional<at::Tensor>& d_hs_opt,
                                      const std::optional<at::Tensor>& d_cs_opt,
                                      const std::optional<at::Tensor>& d_acts_opt,
                                      bool need_dx, int64_t chunk,
                                      const std::vector<int64_t>& index, bool cifg) {
  at::NoGradGuard no_grad;
  const at::Tensor d_hs = d_hs_opt.value_or(at::Tensor());  // (T, B, H), rows may be strided
  TORCH_CHECK(!d_hs.defined() || d_hs.stride(2) == 1, "d_hs: the last dimension contiguous");
  const at::Tensor d_cs = d_cs_opt.value_or(at::Tensor());
  const at::Tensor d_acts = d_acts_opt.value_or(at::Tensor());
  const int64_t T = x.size(0), B = x.size(1), D = x.size(2), H = w_hh.size(1);
  const int64_t C = std::min(T, chunk);
  const Blocks k = make_blocks(index, cifg);
  const bool full = k.full();
  const int64_t GH = k.G * H;
  auto dz = at::empty({C, B, GH}, x.options());
  auto dc = at::zeros({B, H}, x.options());
  auto dh = at::zeros({B, H}, x.options());  // through W_hh from step t+1; ∂L/∂h_t is added in the step
  auto dh_next = at::empty({B, H}, x.options());
  auto dx = need_dx ? at::empty({T, B, D}, x.options()) : at::Tensor();
  auto dw_ih = at::zeros_like(w_ih);
  auto dw_hh = at::zeros_like(w_hh);
  auto db = at::zeros({GH}, x.options());
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "seqlab_lstm_backward", [&] {
    for (int64_t t1 = T; t1 > 0; t1 -= C) {
      const int64_t t0 = std::max<int64_t>(0, t1 - C), n = t1 - t0;
      for (int64_t t = t1 - 1; t >= t0; --t) {
        auto dz_t = dz[t - t0];
        const scalar_t* dcs_t = d_cs.defined() ? d_cs[t].data_ptr<scalar_t>() : nullptr;
        const scalar_t* dacts_t = d_acts.defined() ? d_acts[t].data_ptr<scalar_t>() : nullptr;
        const scalar_t* dhs_t = d_hs.defined() ? d_hs[t].data_ptr<scalar_t>() : nullptr;
        const int64_t dhs_row = d_hs.defined() ? d_hs.stride(1) : 0;
        if (full) {
          backward_step<scalar_t>(acts[t].data_ptr<scalar_t>(), ths[t].data_ptr<scalar_t>(),
                                  cs[t].data_ptr<scalar_t>(), dh.data_ptr<scalar_t>(), dhs_t,
                                  dhs_row, dcs_t, dacts_t, dc.data_ptr<scalar_t>(),
                                  dz_t.data_ptr<scalar_t>(), B, H);
        } else {
          backward_step_variant<scalar_t>(
              acts[t].data_ptr<scalar_t>(), ths[t].data_ptr<scalar_t>(),
              cs[t].data_ptr<scalar_t>(), dh.data_ptr<scalar_t>(), dhs_t, dhs_row, dcs_t, dacts_t,
              dc.data_ptr<scalar_t>(), dz_t.data_ptr<scalar_t>(), B, H, k);
        }
        if (t > 0) {
          at::mm_out(dh_next, dz_t, w_hh);
          std::swap(dh, dh_next);
        }
      }
      auto zc = dz.narrow(0, 0, n).view({n * B, GH});
      dw_ih.addmm_(zc.t(), x.narrow(0, t0, n).view({n * B, D}));
      dw_hh.addmm_(zc.t(), hs.narrow(0, t0, n).view({n * B, H}));  // h_{t-1}, t in [t0, t1)
      db.add_(zc.sum(0));
      if (need_dx) {
        auto dx_c = dx.narrow(0, t0, n).view({n * B, D});
        at::mm_out(dx_c, zc, w_ih);
      }
    }
  });
  return {dx, dw_ih, dw_hh, db, db.clone()};
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("forward", &lstm_forward, "seqlab LSTM layer forward over a sequence");
  m.def("backward", &lstm_backward, "seqlab LSTM layer backward through time");
}
