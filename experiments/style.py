"""One figure style for every experiment."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # experiments write files; they never open windows

import matplotlib.pyplot as plt

#: Colours by learner type, used by every figure so that a reader learns them once.
COLORS = {"ann": "#1f77b4", "snn": "#d62728", "mixed": "#9467bd"}
LABELS = {"ann": "MLP (backprop)", "snn": "spiking (STDP)", "mixed": "mixed society"}

STYLE = {
    "figure.figsize": (6.4, 4.2),
    "figure.dpi": 110,
    "savefig.dpi": 130,
    "savefig.bbox": "tight",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "font.size": 10,
}


# Applied on import: every figure the experiments draw (and anything drawn
# after importing them) shares the style, including properties read at save time.
plt.rcParams.update(STYLE)


def figure(*args, **kwargs):
    """``plt.subplots`` under the shared style."""
    return plt.subplots(*args, **kwargs)


def color(kind: str) -> str:
    return COLORS.get(kind, "#444444")


def label(kind: str) -> str:
    return LABELS.get(kind, kind)


def curve_with_band(ax, x, mean, low=None, high=None, *, color, label, **line):
    """A curve with small markers and, given ``low`` and ``high``, a light band of its colour
    between them (the one look of every per-round or per-task curve)."""
    ax.plot(x, mean, marker="o", markersize=3, color=color, label=label, **line)
    if low is not None:
        ax.fill_between(x, low, high, color=color, alpha=0.12, linewidth=0)


def titled(fig, title: str, n_seeds: int):
    """``fig`` with the suptitle ``title`` and how many seeds it shows, laid out."""
    fig.suptitle(f"{title}, {n_seeds} seed{'s' if n_seeds > 1 else ''}", fontsize=11)
    fig.tight_layout()
    return fig


def titled_over_legend(fig, title: str, handles, labels, *, ncol: int, space: float, fontsize=None):
    """``fig`` with the suptitle ``title`` and one legend of ``handles`` and ``labels`` below
    all its panels (``space``: the fraction of the figure's height kept for the legend), laid
    out; a legend there hides no data."""
    fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=8)
    fig.suptitle(title, **({} if fontsize is None else {"fontsize": fontsize}))
    fig.tight_layout(rect=(0, space, 1, 1))
    return fig
