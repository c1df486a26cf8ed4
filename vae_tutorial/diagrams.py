"""Computational-graph diagrams of the VAE: where sampling stops the gradient, and how the
reparameterization trick lets it through.

Introduced in 03-vae-sampling-problem (``kind="sampling"``) and 04-reparameterization-trick
(``kind="reparameterized"``). Notation follows Kingma & Welling, Auto-Encoding Variational Bayes
(arXiv 2013; ICLR 2014): the encoder's weights are phi, the decoder's weights are theta. The loss
drawn is the reconstruction loss -log p(x|z), the term that depends on the encoder only through z.

Shapes and styles (colours from the Okabe-Ito palette, readable with colour-vision deficiencies):

* rounded box, blue: a deterministic node (a function of its inputs);
* hatched circle, orange: a stochastic node (a value drawn at random);
* diamond, green: trained parameters;
* grey box: the input image;
* solid black arrow: the forward computation;
* dashed vermillion arrow: the gradient flowing backwards; a cross where it is blocked.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import patches
from matplotlib.legend_handler import HandlerPatch
from matplotlib.lines import Line2D

__all__ = ["computation_graph", "KINDS"]

KINDS = ("sampling", "reparameterized")

TITLES = {
    "sampling": "Sampling inside the model: the gradient stops at z",
    "reparameterized": "Reparameterized: the noise \u03b5 is an input, the gradient reaches \u03c6",
}

# Okabe-Ito colours.
DETERMINISTIC = "#56B4E9"  # sky blue
STOCHASTIC = "#E69F00"  # orange
PARAMETER = "#009E73"  # bluish green
INPUT = "#BBBBBB"  # grey
GRADIENT = "#D55E00"  # vermillion
FORWARD = "black"

_BOX_W, _BOX_H, _RADIUS, _DIAMOND = 1.15, 0.62, 0.42, 0.42
_LANE = 0.16  # how far a gradient arrow runs beside its forward arrow


class _Node:
    """A drawn node: its patch (for clipping arrows) and its centre."""

    def __init__(self, patch, center):
        self.patch, self.center = patch, np.asarray(center, dtype=float)


def _box(ax, center, label, *, color, caption=None, width=_BOX_W):
    x, y = center
    patch = patches.FancyBboxPatch((x - width / 2, y - _BOX_H / 2), width, _BOX_H,
                                   boxstyle="round,pad=0.02,rounding_size=0.12",
                                   fc=color, ec="black", lw=1.2, zorder=3)
    ax.add_patch(patch)
    ax.text(x, y, label, ha="center", va="center", fontsize=12, zorder=4)
    if caption:
        ax.text(x, y - _BOX_H / 2 - 0.08, caption, ha="center", va="top", fontsize=8.5, zorder=4)
    return _Node(patch, center)


def _circle(ax, center, label, *, caption=None):
    patch = patches.Circle(center, _RADIUS, fc=STOCHASTIC, ec="black", lw=1.2, hatch="///", zorder=3)
    ax.add_patch(patch)
    ax.text(*center, label, ha="center", va="center", fontsize=12, zorder=4,
            bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none"))
    if caption:
        ax.text(center[0], center[1] - _RADIUS - 0.08, caption, ha="center", va="top", fontsize=9.5,
                zorder=4)
    return _Node(patch, center)


def _diamond(ax, center, label, *, caption=None):
    x, y = center
    d = _DIAMOND
    patch = patches.Polygon([(x, y + d), (x + d, y), (x, y - d), (x - d, y)], closed=True,
                            fc=PARAMETER, ec="black", lw=1.2, zorder=3)
    ax.add_patch(patch)
    ax.text(x, y, label, ha="center", va="center", fontsize=13, color="white", zorder=4)
    if caption:
        ax.text(x, y + d + 0.06, caption, ha="center", va="bottom", fontsize=8.5, zorder=4)
    return _Node(patch, center)


def _arrow(ax, a: _Node, b: _Node, *, offset=0.0, color=FORWARD, style="-", lw=1.4):
    """An arrow from node ``a`` to node ``b``, shifted sideways by ``offset`` (to its right)."""
    direction = b.center - a.center
    normal = np.array([direction[1], -direction[0]]) / np.hypot(*direction)
    shift = offset * normal
    arrow = patches.FancyArrowPatch(a.center + shift, b.center + shift, patchA=a.patch, patchB=b.patch,
                                    arrowstyle="-|>", mutation_scale=14, color=color, lw=lw,
                                    linestyle=style, shrinkA=3, shrinkB=3, zorder=2)
    ax.add_patch(arrow)
    return arrow


def _gradient(ax, a: _Node, b: _Node):
    """The backward arrow of the forward edge ``a -> b``: from ``b`` back to ``a``, beside it."""
    return _arrow(ax, b, a, offset=_LANE, color=GRADIENT, style=(0, (4, 2.5)), lw=1.6)


def _blocked(ax, a: _Node, b: _Node):
    """A backward arrow from ``b`` towards ``a`` that stops half way at a cross."""
    direction = b.center - a.center
    normal = np.array([direction[1], -direction[0]]) / np.hypot(*direction)
    start = b.center - _LANE * normal
    stop = (a.center + b.center) / 2 - _LANE * normal
    ax.add_patch(patches.FancyArrowPatch(start, stop, patchA=b.patch, arrowstyle="-", color=GRADIENT,
                                         lw=1.6, linestyle=(0, (4, 2.5)), shrinkA=3, shrinkB=0,
                                         zorder=2))
    ax.plot(*stop, marker="X", ms=15, color=GRADIENT, mec="black", mew=1.0, zorder=5)
    return stop


def _legend(ax, kind):
    def ellipse(legend, orig_handle, xdescent, ydescent, width, height, fontsize):
        return patches.Ellipse((width / 2 - xdescent, height / 2 - ydescent), height * 1.5, height * 1.5)

    def diamond(legend, orig_handle, xdescent, ydescent, width, height, fontsize):
        cx, cy, d = width / 2 - xdescent, height / 2 - ydescent, height * 0.8
        return patches.Polygon([(cx, cy + d), (cx + d, cy), (cx, cy - d), (cx - d, cy)], closed=True)

    handles = [
        patches.Patch(fc=DETERMINISTIC, ec="black", label="deterministic node (a function)"),
        patches.Circle((0, 0), fc=STOCHASTIC, ec="black", hatch="///", label="stochastic node (drawn at random)"),
        patches.Polygon([(0, 0)], fc=PARAMETER, ec="black", label="trained parameters"),
        patches.Patch(fc=INPUT, ec="black", label="input image"),
        Line2D([], [], color=FORWARD, lw=1.4, label="forward computation"),
        Line2D([], [], color=GRADIENT, lw=1.6, linestyle=(0, (4, 2.5)), label="gradient (backward pass)"),
    ]
    if kind == "sampling":
        handles.append(Line2D([], [], color=GRADIENT, marker="X", ms=11, mec="black", linestyle="none",
                              label="gradient blocked"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4, fontsize=9,
              frameon=False, handler_map={patches.Circle: HandlerPatch(patch_func=ellipse),
                                          patches.Polygon: HandlerPatch(patch_func=diamond)})


def computation_graph(kind: str, *, ax=None):
    """Draw the computational graph of a VAE's loss, with its forward and backward passes.

    ``kind="sampling"``: the encoder (weights phi) outputs mu and sigma, z ~ N(mu, sigma^2) is
    drawn at random by a sampler treated as a black box (a stochastic node), the decoder (weights
    theta) maps z to the reconstruction loss -log p(x|z). The gradient reaches theta and z, but
    stops between z and (mu, sigma): phi gets no gradient.

    ``kind="reparameterized"``: the noise eps ~ N(0, I) is a side input, z = mu + sigma * eps is
    a deterministic node, and the gradient flows through it back to phi.

    Introduced in 03-vae-sampling-problem and 04-reparameterization-trick.

    Args:
        kind: ``"sampling"`` or ``"reparameterized"``.
        ax: matplotlib axes to draw into; a new figure when omitted.

    Returns:
        The axes, with a title, the node labels as texts and a legend of shapes and arrows.

    Raises:
        ValueError: for an unknown ``kind``.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(repr(k) for k in KINDS)}; got {kind!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 5.2))

    x = _box(ax, (0.0, 0.0), "x", color=INPUT, caption="image")
    encoder = _box(ax, (1.7, 0.0), "encoder", color=DETERMINISTIC)
    phi = _diamond(ax, (1.7, 1.55), "\u03c6", caption="encoder weights")
    mu = _box(ax, (3.5, 0.75), "\u03bc", color=DETERMINISTIC, caption="mean")
    sigma = _box(ax, (3.5, -0.75), "\u03c3", color=DETERMINISTIC, caption="standard deviation")
    if kind == "sampling":
        z = _circle(ax, (5.3, 0.0), "z", caption="z ~ N(\u03bc, \u03c3\u00b2)")
    else:
        z = _box(ax, (5.3, 0.0), "z = \u03bc + \u03c3 \u2299 \u03b5", color=DETERMINISTIC, width=1.75)
        eps = _circle(ax, (5.3, -1.75), "\u03b5", caption="\u03b5 ~ N(0, I)")
    decoder = _box(ax, (7.5, 0.0), "decoder", color=DETERMINISTIC)
    theta = _diamond(ax, (7.5, 1.55), "\u03b8", caption="decoder weights")
    loss = _box(ax, (9.2, 0.0), "loss", color=DETERMINISTIC, caption="\u2212log p(x | z)")

    forward = [(x, encoder), (phi, encoder), (encoder, mu), (encoder, sigma), (mu, z), (sigma, z),
               (z, decoder), (theta, decoder), (decoder, loss)]
    if kind == "reparameterized":
        forward.append((eps, z))
    for a, b in forward:
        _arrow(ax, a, b)
    for a, b in [(z, decoder), (theta, decoder), (decoder, loss)]:
        _gradient(ax, a, b)

    if kind == "sampling":
        for a in (mu, sigma):
            _blocked(ax, a, z)
        ax.text(4.4, 1.55, "sampling as a black box:\nno gradient reaches \u03bc, \u03c3",
                ha="center", va="center", fontsize=9, color=GRADIENT,
                bbox=dict(boxstyle="round", fc="white", ec=GRADIENT))
        ax.text(0.1, 1.3, "\u03c6 gets no gradient:\nthe encoder cannot learn",
                ha="center", va="center", fontsize=9, color=GRADIENT)
    else:
        for a, b in [(phi, encoder), (encoder, mu), (encoder, sigma), (mu, z), (sigma, z)]:
            _gradient(ax, a, b)
        ax.text(7.2, -1.75, "\u03b5 has no parameters:\nno gradient needed", ha="center", va="center",
                fontsize=9)
        ax.text(0.1, 1.3, "the gradient reaches \u03c6:\nthe encoder learns", ha="center",
                va="center", fontsize=9, color=GRADIENT)

    ax.set_title(TITLES[kind])
    ax.set_xlim(-1.0, 10.0)
    ax.set_ylim(-2.5 if kind == "reparameterized" else -1.5, 2.35)
    ax.set_aspect("equal")
    ax.axis("off")
    _legend(ax, kind)
    return ax
