"""The report's figures: a few plot helpers with one consistent style, and ``save_figure``.

Figures are built on ``matplotlib.figure.Figure`` directly (no pyplot, no global figure
registry, no GUI backend); PNGs are rendered by Agg. Each helper returns the Figure; the
caller saves it with ``save_figure(fig, out_dir, name)``, which writes
``out_dir/figures/<name>.png`` and returns ``"figures/<name>.png"`` for the claim's
``figure`` field (atomically, ``seqlab.atomic``); ``png_bytes`` renders one for a caller
that writes it itself. ``report.html`` inlines it. The chart kinds stay in one
module (~400 lines) because they share one style: palette, sizes, titles, legends.

Sizes: 8 in wide at 150 dpi (1200 px), so text stays readable when the page shows the
figure 800 px wide. Colours are the Okabe–Ito colour-blind-safe palette, and each model
family keeps its colour in every figure (LSTM blue, RNN vermillion, GRU green, FFNN orange);
a second series of the same family in one figure takes a spare colour (sky blue, purple,
black, yellow) before any other family's.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from seqlab.atomic import atomic_write_bytes

DPI = 150
WIDTH = 8.0  # inches
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
FAMILY_COLORS = {
    "lstm": "#0072B2",
    "rnn": "#D55E00",
    "elman": "#D55E00",
    "gru": "#009E73",
    "ffnn": "#E69F00",
    "window": "#E69F00",
    "linear": "#CC79A7",
}
SPARE_COLORS = ("#56B4E9", "#CC79A7", "#000000", "#F0E442")
GREY = "#6b6b6b"
_LABEL_BOX = {"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1}
STYLE = {
    "font.size": 11,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "legend.fontsize": 10,
    "legend.framealpha": 0.9,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "lines.linewidth": 2.0,
    "lines.markersize": 5,
    "image.cmap": "viridis",
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

Marks = Mapping[str, float] | Iterable[float | tuple[float, str]] | float | None


@contextmanager
def _style():
    with matplotlib.rc_context(STYLE):
        yield


class _Colors:
    """Colour per series name for one figure: the family colour first, then the next free."""

    def __init__(self) -> None:
        self.used: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        if name in self.used:
            return self.used[name]
        family = re.split(r"[^a-z0-9]", name.lower(), maxsplit=1)[0]
        taken = set(self.used.values())
        color = FAMILY_COLORS.get(family)
        if color is None or color in taken:
            # Colours no model family owns come first, so a second LSTM variant is never
            # drawn in the RNN's colour.
            free = [c for c in (*SPARE_COLORS, *PALETTE) if c not in taken]
            color = free[0] if free else PALETTE[len(self.used) % len(PALETTE)]
        self.used[name] = color
        return color


def _floats(values: Any, what: str, ndim: int = 1) -> np.ndarray:
    """``values`` as a float array of ``ndim`` dimensions: a sequence, or rows × columns."""
    a = np.asarray(values, dtype=float)
    if a.ndim != ndim:
        kind = "a 1-D sequence of numbers" if ndim == 1 else "a 2-D matrix (rows × columns)"
        raise ValueError(f"{what} must be {kind}, got shape {a.shape}")
    return a


def _marks(marks: Marks) -> list[tuple[float, str | None]]:
    """Reference lines as ``[(value, label)]`` from a dict, a list, pairs, or one number."""
    if marks is None:
        return []
    if isinstance(marks, Mapping):
        return [(float(v), str(k)) for k, v in marks.items()]
    if isinstance(marks, int | float):
        return [(float(marks), None)]
    out = []
    for m in marks:
        if isinstance(m, tuple | list):
            out.append((float(m[0]), str(m[1])))
        else:
            out.append((float(m), None))
    return out


def _wrap(title: str, fig: Figure) -> str:
    """Wrap a long title to the figure's width (about 9 bold 13-pt characters per inch)."""
    return textwrap.fill(title, width=max(30, int(fig.get_figwidth() * 9)))


def _plain_log_ticks(axis, limits: tuple[float, float]) -> None:
    """On a log axis spanning few decades of ordinary numbers (window k = 1 … 64), label
    ticks 1, 2, 5, 10, 20 … as plain numbers instead of powers of ten."""
    lo, hi = limits
    if lo > 0 and lo >= 0.01 and hi <= 1e5 and hi / lo <= 1e3:
        axis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        axis.set_minor_formatter(ticker.NullFormatter())


def _finish(ax, title: str, xlabel: str | None, ylabel: str | None, logx=False, logy=False):
    if title:
        ax.set_title(_wrap(title, ax.figure))
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if logx:
        ax.set_xscale("log")
        _plain_log_ticks(ax.xaxis, ax.get_xlim())
    if logy:
        ax.set_yscale("log")
        _plain_log_ticks(ax.yaxis, ax.get_ylim())
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        ax.legend(loc="best")


def lines(
    series: Mapping[str, Mapping[str, Any]],
    xlabel: str,
    ylabel: str,
    title: str = "",
    logx: bool = False,
    logy: bool = False,
    vlines: Marks = None,
    hlines: Marks = None,
    hbands: Mapping[str, Any] | None = None,
) -> Figure:
    """One line per series, with a shaded band where ``lo``/``hi`` are given.

    ``series[name] = {"x": [...], "y": [...], "lo": [...]?, "hi": [...]?, "style": ...?}``;
    ``style`` is a matplotlib format string (``"--"``, ``"o:"``) or a dict of ``plot``
    keyword arguments (``{"linestyle": "--", "color": "#444"}``). ``hlines`` (e.g. chance
    level: ``{"chance": 0.1}``) are dashed grey lines in the legend; ``vlines`` (e.g. FFNN
    windows: ``{"k=5": 5, "k=20": 20}``) are dotted grey lines labelled at the top.
    ``hbands`` are levels that do not depend on x, each a line with its interval shaded
    across the plot: ``{"lstm": {"mean": .41, "lo": .38, "hi": .44}}`` or ``(lo, mean, hi)``
    (e.g. the recurrent models beside FFNN metric vs window k).
    """
    with _style():
        fig = Figure(figsize=(WIDTH, 4.5), layout="constrained")
        ax = fig.add_subplot()
        colors = _Colors()
        for name, s in series.items():
            x, y = _floats(s["x"], f"{name}.x"), _floats(s["y"], f"{name}.y")
            if x.shape != y.shape:
                raise ValueError(f"series {name!r}: x has {len(x)} values, y has {len(y)}")
            style = s.get("style")
            fmt = style if isinstance(style, str) else ""
            kwargs = dict(style) if isinstance(style, Mapping) else {}
            kwargs.setdefault("color", colors(name))
            if not fmt and "marker" not in kwargs and len(x) <= 25:
                kwargs["marker"] = "o"
            ax.plot(x, y, fmt, label=str(name), **kwargs)
            if s.get("lo") is not None and s.get("hi") is not None:
                lo, hi = _floats(s["lo"], f"{name}.lo"), _floats(s["hi"], f"{name}.hi")
                ax.fill_between(x, lo, hi, color=kwargs["color"], alpha=0.18, linewidth=0)
        for name, band in (hbands or {}).items():
            if isinstance(band, Mapping):
                lo, mid, hi = band.get("lo"), band["mean"], band.get("hi")
            else:
                lo, mid, hi = band
            color = colors(str(name))
            ax.axhline(float(mid), color=color, linewidth=1.8, label=str(name))
            if lo is not None and hi is not None:
                ax.axhspan(float(lo), float(hi), color=color, alpha=0.15, linewidth=0)
        for value, label in _marks(hlines):
            ax.axhline(value, color=GREY, linestyle="--", linewidth=1.2, label=label)
        for value, label in _marks(vlines):
            ax.axvline(value, color=GREY, linestyle=":", linewidth=1.2)
            if label:
                ax.annotate(
                    label,
                    xy=(value, 1.0),
                    xycoords=("data", "axes fraction"),
                    xytext=(-3, -4),
                    textcoords="offset points",
                    color=GREY,
                    fontsize=9,
                    rotation=90,
                    ha="right",
                    va="top",
                    bbox=_LABEL_BOX,
                )
        _finish(ax, title, xlabel, ylabel, logx, logy)
    return fig


def _mean_err(v: Any) -> tuple[float, float, float]:
    """A bar value as ``(mean, below, above)``: a number, {"mean","lo","hi"} or {"mean","ci95"}."""
    if v is None:
        return np.nan, 0.0, 0.0
    if isinstance(v, Mapping):
        m = float(v["mean"])
        if v.get("lo") is not None and v.get("hi") is not None:
            return m, m - float(v["lo"]), float(v["hi"]) - m
        if v.get("ci95") is not None:
            return m, float(v["ci95"]), float(v["ci95"])
        return m, 0.0, 0.0
    return float(v), 0.0, 0.0


def bars(
    groups: Mapping[str, Mapping[str, Any]],
    ylabel: str,
    title: str = "",
    hline: Marks = None,
) -> Figure:
    """Grouped bars: ``groups[group][series] = value`` where a value is a number,
    ``{"mean", "lo", "hi"}`` or ``{"mean", "ci95"}`` (drawn as error bars).

    Each series keeps one colour across groups (e.g. groups = tasks, series = LSTM
    ablations). ``hline`` marks a reference level such as chance.
    """
    group_names = [str(g) for g in groups]
    series_names: list[str] = []
    for inner in groups.values():
        series_names.extend(str(s) for s in inner if str(s) not in series_names)
    with _style():
        width_in = max(6.0, min(WIDTH + 4, 1.5 + 0.45 * len(group_names) * len(series_names)))
        fig = Figure(figsize=(width_in, 4.5), layout="constrained")
        ax = fig.add_subplot()
        colors = _Colors()
        n = max(len(series_names), 1)
        width = 0.8 / n
        for j, s in enumerate(series_names):
            xs = np.arange(len(group_names)) + (j - (n - 1) / 2) * width
            stats = [
                _mean_err({str(k): v for k, v in inner.items()}.get(s)) for inner in groups.values()
            ]
            means = np.array([m for m, _, _ in stats])
            err = np.array([[b for _, b, _ in stats], [a for _, _, a in stats]])
            ax.bar(xs, means, width * 0.92, label=s, color=colors(s))
            has_err = err.any(axis=0)  # error bars only where an interval was given
            if has_err.any():
                ax.errorbar(xs[has_err], means[has_err], yerr=err[:, has_err], fmt="none",
                            ecolor="#333333", elinewidth=1.2, capsize=3)  # fmt: skip
        ax.set_xticks(np.arange(len(group_names)), group_names)
        ax.grid(axis="x", visible=False)
        for value, label in _marks(hline):
            ax.axhline(value, color=GREY, linestyle="--", linewidth=1.2, label=label)
        _finish(ax, title, None, ylabel)
        if ax.get_legend() is not None:  # beside the plot: bars fill the area 'best' looks in
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return fig


def _heatmap_axes(ax, m, row_labels, col_labels, cmap, vmin, vmax, annotate: bool | None):
    im = ax.imshow(m, aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.grid(False)
    # Past ~24 rows or ~40 columns, label every n-th one so the labels stay legible.
    rstep, cstep = max(1, -(-m.shape[0] // 24)), max(1, -(-m.shape[1] // 40))
    ax.set_xticks(np.arange(0, m.shape[1], cstep), [str(c) for c in col_labels][::cstep])
    ax.set_yticks(np.arange(0, m.shape[0], rstep), [str(r) for r in row_labels][::rstep])
    if any(len(str(c)) > 3 for c in col_labels) or m.shape[1] > 20:
        ax.tick_params(axis="x", labelrotation=45)
        for t in ax.get_xticklabels():
            t.set_ha("right")
            t.set_rotation_mode("anchor")
    if annotate is None:
        annotate = m.size <= 160
    if annotate:
        for (r, c), v in np.ndenumerate(m):
            if np.isfinite(v):
                # White on a dark cell, black on a light one: the cell's own luminance, so
                # a diverging map (light in the middle) is read right too.
                red, green, blue, _ = im.cmap(im.norm(v))
                dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
                color = "white" if dark else "black"
                ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=8, color=color)
    return im


def _within(m: np.ndarray, vmin: float | None, vmax: float | None) -> bool:
    finite = m[np.isfinite(m)]
    if finite.size == 0:
        return True
    return (vmin is None or finite.min() >= vmin) and (vmax is None or finite.max() <= vmax)


def heatmaps(
    panels: Mapping[str, Any],
    col_labels: Sequence[str],
    row_labels: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
    title: str = "",
    cmap: str = "viridis",
    vmin: float | None = 0.0,
    vmax: float | None = 1.0,
    annotate: bool | None = None,
) -> Figure:
    """Several heatmaps stacked on one shared column axis, e.g. the input, forget and output
    gates (rows = hidden units) over the words of a sentence.

    Panels whose values lie within ``[vmin, vmax]`` (gates: the default [0, 1]) share one
    colour scale and colour bar. A panel outside it (e.g. the cell state) is never clipped:
    it gets its own scale and colour bar — symmetric about 0 in the diverging ``RdBu_r``
    when it has both signs. ``row_labels`` is one list for all panels, a dict per panel, or
    None (0, 1, …)."""
    mats = {name: _floats(m, f"panel {name!r}", ndim=2) for name, m in panels.items()}
    for name, m in mats.items():
        if m.shape[1] != len(col_labels):
            raise ValueError(f"panel {name!r} has {m.shape[1]} columns, {len(col_labels)} labels")
    rows_total = sum(m.shape[0] for m in mats.values())
    with _style():
        w = max(6.0, min(14.0, 2.0 + 0.6 * len(col_labels)))
        h = max(3.0, min(14.0, 1.2 + 0.9 * len(mats) + 0.3 * rows_total))
        fig = Figure(figsize=(w, h), layout="constrained")
        axes = fig.subplots(
            len(mats),
            1,
            sharex=True,
            squeeze=False,
            height_ratios=[max(m.shape[0], 1) for m in mats.values()],
        )[:, 0]
        shared_im, shared_axes = None, []
        for ax, (name, m) in zip(axes, mats.items(), strict=True):
            if isinstance(row_labels, Mapping):
                rl = row_labels[name]
            else:
                rl = row_labels if row_labels is not None else [str(i) for i in range(m.shape[0])]
            if _within(m, vmin, vmax):
                im = _heatmap_axes(ax, m, rl, col_labels, cmap, vmin, vmax, annotate)
                shared_im = im
                shared_axes.append(ax)
            else:
                finite = m[np.isfinite(m)]
                if finite.min() < 0 < finite.max():
                    bound = float(np.abs(finite).max())
                    im = _heatmap_axes(ax, m, rl, col_labels, "RdBu_r", -bound, bound, annotate)
                else:
                    im = _heatmap_axes(ax, m, rl, col_labels, cmap, None, None, annotate)
                fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
            ax.set_ylabel(str(name))
            if ax is not axes[-1]:
                ax.tick_params(axis="x", labelbottom=False)
        if shared_im is not None:
            fig.colorbar(shared_im, ax=shared_axes, fraction=0.04, pad=0.02)
        if title:
            fig.suptitle(_wrap(title, fig), fontweight="bold")
    return fig


def png_bytes(fig: Figure) -> bytes:
    """``fig`` rendered as PNG at the report's resolution (``DPI``) on white."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
    return buf.getvalue()


def save_figure(fig: Figure, out_dir: str | Path, name: str) -> str:
    """Write ``fig`` to ``out_dir/figures/<name>.png`` atomically; return the relative path
    ``"figures/<name>.png"`` that goes into a claim's ``figure`` field."""
    name = name.removesuffix(".png")
    if not _NAME.match(name):
        raise ValueError(f"figure name {name!r}: use letters, digits, '.', '_' or '-'")
    atomic_write_bytes(Path(out_dir) / "figures" / f"{name}.png", png_bytes(fig))
    return f"figures/{name}.png"


def add_panel(fig: Figure, width: float = 5.0) -> Axes:
    """A second panel to the right of a one-panel figure (``lines``, ``bars``): the figure is
    widened by ``width`` inches and the new axes, in the house style, is returned to draw on
    (e.g. a claim's main comparison on the left and what explains it on the right)."""
    main = fig.axes[0]
    w, h = fig.get_size_inches()
    with _style():
        fig.set_size_inches(w + width, h)
        grid = fig.add_gridspec(1, 2, width_ratios=[w, width])
        main.set_subplotspec(grid[0, 0])
        return fig.add_subplot(grid[0, 1])
