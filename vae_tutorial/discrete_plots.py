"""Figures of 10-beyond-the-gaussian: relaxed samples on the 3-class simplex, and the estimators' bias and variance."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullLocator

__all__ = ["simplex_panels", "estimator_figure"]

# Corners of the triangle that represents the probability simplex of 3 classes.
_CORNERS = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]])


def simplex_panels(samples: dict, *, title: str, probabilities=None):
    """One triangle per temperature: points ``[n, 3]`` of the simplex, drawn in barycentric coordinates.

    Args:
        samples: ``{temperature: [n, 3] samples}``, drawn left to right.
        title: the figure's title.
        probabilities: optionally ``softmax(logits)`` ``[3]``, marked with a cross in each panel.
    """
    fig, axes = plt.subplots(1, len(samples), figsize=(2.6 * len(samples), 2.9))
    for ax, (temperature, points) in zip(np.atleast_1d(axes), samples.items()):
        xy = np.asarray(points, float) @ _CORNERS
        ax.fill(*_CORNERS.T, color="0.94", zorder=0)
        ax.plot(*np.vstack([_CORNERS, _CORNERS[:1]]).T, color="0.4", lw=1)
        ax.scatter(xy[:, 0], xy[:, 1], s=6, alpha=0.5, color="C0", label="relaxed samples")
        if probabilities is not None:
            p = np.asarray(probabilities, float) @ _CORNERS
            ax.plot(p[0], p[1], "x", color="C3", ms=9, mew=2, label="softmax(logits)")
        ax.plot(*(np.ones(3) / 3 @ _CORNERS), "+", color="k", ms=9, mew=1.5, label="uniform (1/3, 1/3, 1/3)")
        for k, (x, y) in enumerate(_CORNERS):
            ax.annotate(f"class {k}", (x, y), xytext=(0, -12 if y == 0 else 4), textcoords="offset points",
                        ha="center", fontsize=8)
        ax.set(title=f"temperature {temperature:g}", aspect="equal", xlim=(-0.12, 1.12), ylim=(-0.15, 0.95))
        ax.axis("off")
    handles, labels = np.atleast_1d(axes)[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle(title)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.14, top=0.8, wspace=0.05)  # fixed: the panels have no ticks
    return fig


def estimator_figure(rows: list[dict], *, title: str):
    """Bias (left) and variance (right) of the estimators of :func:`vae_tutorial.discrete.estimator_study`.

    The relaxed estimators are lines over the temperature; the score-function estimators, which
    have no temperature, are horizontal lines. Error bars: one standard error over seeds.
    """
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    styles = {"Gumbel-softmax": ("C0", "o-"), "straight-through": ("C1", "s-"),
              "score function": ("C3", "--"), "score function + baseline": ("C2", ":")}
    for name, (color, style) in styles.items():
        mine = [r for r in rows if r["estimator"] == name]
        for ax, key in zip(axes, ("bias", "variance")):
            values = np.array([r[key] for r in mine])
            errors = np.array([r[f"{key}_se"] for r in mine])
            if mine[0]["temperature"] is None:
                ax.axhline(values[0], color=color, linestyle=style, label=f"{name} (no temperature)")
            else:
                t = [r["temperature"] for r in mine]
                ax.errorbar(t, values, yerr=errors, fmt=style, color=color, ms=4, capsize=2, label=name)
    axes[0].set(xscale="log", xlabel="temperature", ylabel="bias (relative to |exact gradient|)",
                title="bias: how far the average estimate is off")
    axes[0].set_ylim(bottom=-0.03)
    axes[1].set(xscale="log", yscale="log", xlabel="temperature",
                ylabel="variance (relative to |exact gradient|²)", title="variance of one 10-sample estimate")
    temperatures = sorted({r["temperature"] for r in rows if r["temperature"] is not None})
    for ax in axes:  # the temperatures studied, written out (log axes' minor labels cost a second to lay out)
        ax.set_xticks(temperatures, [f"{t:g}" for t in temperatures])
        ax.xaxis.set_minor_locator(NullLocator())
    handles, labels = axes[1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle(title)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.22, top=0.85, wspace=0.3)  # a fixed layout: no extra draw
    return fig
