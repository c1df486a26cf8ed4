"""Figures for the series. Every figure has a title and labelled axes; colours come from
colour-blind-safe maps (tab10 for digit classes, viridis/cividis for values).

Each function draws into a new figure (or the given axes) and returns the axes; call
``plt.show()`` after it in a notebook. Introduced in 01-autoencoder.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from vae_tutorial._checks import IMAGE_SIDE

__all__ = ["digits", "image_rows", "loss_curves", "embedding", "mark_path", "image_strip", "image_grid", "heatmap", "profile",
           "DIGIT_CMAP", "IMAGE_CMAP"]

DIGIT_CMAP = "tab10"
IMAGE_CMAP = "gray_r"


def _mosaic(images: np.ndarray, ncols: int, gap: int) -> np.ndarray:
    """Images ``[n, 28, 28]`` as one canvas of ``ncols`` columns, a light grey ``gap`` between them (empty cells white)."""
    nrows = int(np.ceil(len(images) / ncols))
    cell = IMAGE_SIDE + gap
    canvas = np.full((nrows * cell + gap, ncols * cell + gap), 0.15)
    for k, image in enumerate(images):
        r, c = divmod(k, ncols)
        canvas[gap + r * cell:gap + r * cell + IMAGE_SIDE, gap + c * cell:gap + c * cell + IMAGE_SIDE] = image
    for k in range(len(images), nrows * ncols):
        r, c = divmod(k, ncols)
        canvas[gap + r * cell:gap + r * cell + IMAGE_SIDE, gap + c * cell:gap + c * cell + IMAGE_SIDE] = 0.0
    return canvas


def digits(images, labels=None, *, title: str, ncols: int = 10, row_titles=None, gap: int = 2):
    """Show images ``[n, 28, 28]`` in rows of ``ncols``, each labelled with its class if given.

    Drawn as one picture (one ``imshow``; one axes per digit took about 1 s for 30 digits), the
    ``labels`` written above the digits and ``row_titles`` left of the rows. Returns the axes.
    """
    images = np.asarray(images, dtype=float)
    nrows = int(np.ceil(len(images) / ncols))
    cell = IMAGE_SIDE + gap
    _, ax = plt.subplots(figsize=(1.1 * ncols + (1.0 if row_titles is not None else 0.2), 1.25 * nrows + 0.4),
                         layout="constrained")
    ax.imshow(_mosaic(images, ncols, gap), cmap=IMAGE_CMAP, vmin=0, vmax=1)
    if labels is not None:
        for k, label in enumerate(labels):
            r, c = divmod(k, ncols)
            ax.text(gap + c * cell + (IMAGE_SIDE - 1) / 2, r * cell + gap / 2, str(label), ha="center", va="bottom",
                    fontsize=9)
    centres = gap + np.arange(nrows) * cell + (IMAGE_SIDE - 1) / 2
    ax.set_yticks(centres, [str(t) for t in row_titles] if row_titles is not None else [""] * nrows, fontsize=9)
    ax.set_xticks([])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(title, pad=14 if labels is not None else 6)
    return ax


def image_rows(rows, *, title: str, row_titles=None, gap: int = 2):
    """Rows of images ``[r, c, 28, 28]`` drawn as one picture (one ``imshow``: fast for many images).

    A thin white gap of ``gap`` pixels separates the images; ``row_titles`` label the rows on the left.
    """
    rows = np.asarray(rows, dtype=float)
    if rows.ndim != 4 or rows.shape[2:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise ValueError(f"rows must have shape [rows, columns, {IMAGE_SIDE}, {IMAGE_SIDE}], got {rows.shape}")
    r, c = rows.shape[:2]
    cell = IMAGE_SIDE + gap
    canvas = np.zeros((r * cell - gap, c * cell - gap))
    for i in range(r):
        for j in range(c):
            canvas[i * cell:i * cell + IMAGE_SIDE, j * cell:j * cell + IMAGE_SIDE] = rows[i, j]
    fig, ax = plt.subplots(figsize=(1.05 * c + (1.4 if row_titles else 0.2), 1.05 * r + 0.5))
    ax.imshow(canvas, cmap=IMAGE_CMAP, vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks(np.arange(r) * cell + (IMAGE_SIDE - 1) / 2, row_titles if row_titles else [""] * r, fontsize=9)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(title)
    return ax


def loss_curves(history, *, title: str):
    """Per-epoch training losses of a :class:`~vae_tutorial.train.History` (nats per image)."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    epochs = np.arange(1, history.epochs + 1)
    if history.kl:
        ax.plot(epochs, history.reconstruction, label="reconstruction", color="C0")
        ax.plot(epochs, history.kl, label="KL", color="C1")
        ax.plot(epochs, history.loss, label="total", color="C2", linestyle="--")
        ax.legend()
    else:
        ax.plot(epochs, history.loss, label="reconstruction", color="C0")
    ax.set(title=title, xlabel="epoch", ylabel="loss (nats per image)")
    ax.grid(alpha=0.3)
    return ax


def embedding(codes, labels, *, title: str, ax=None, alpha: float = 0.7, legend: bool = True):
    """Scatter of 2-D codes ``[n, 2]`` coloured by digit class."""
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] != 2:
        raise ValueError(f"embedding plots need 2-D codes [n, 2], got shape {codes.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5))
    scatter = ax.scatter(codes[:, 0], codes[:, 1], c=labels, cmap=DIGIT_CMAP, vmin=-0.5, vmax=9.5, s=8, alpha=alpha)
    labels = np.asarray(labels)
    for digit in np.unique(labels):  # the class written at each cluster's centre, for readers who can't tell colours
        cx, cy = np.median(codes[labels == digit], axis=0)
        ax.text(cx, cy, str(digit), fontsize=13, fontweight="bold", ha="center", va="center",
                color="black", bbox={"boxstyle": "circle,pad=0.15", "fc": "white", "alpha": 0.75, "lw": 0})
    if legend:
        handles, names = scatter.legend_elements()
        ax.legend(handles, names, title="digit", loc="center left", bbox_to_anchor=(1, 0.5), fontsize=8)
    ax.set(title=title, xlabel="$z_1$", ylabel="$z_2$")
    return ax


def mark_path(ax, path, *, label: str = "straight path", box: bool = True):
    """Draw a latent path ``[k, 2]`` on ``ax``, and (``box=True``) the rectangle its endpoints span."""
    path = np.asarray(path)
    ax.plot(path[:, 0], path[:, 1], "k-", lw=1.5, label=label)
    ax.plot(path[[0, -1], 0], path[[0, -1], 1], "ko", ms=6)
    if box:
        (x0, y0), (x1, y1) = path[0], path[-1]
        ax.add_patch(Rectangle((min(x0, x1), min(y0, y1)), abs(x1 - x0), abs(y1 - y0),
                               fill=False, ls="--", lw=1.2, ec="k"))
    return ax


def image_strip(images, *, title: str, captions=None, xlabel: str = "", gap: int = 2):
    """A row of images ``[k, 28, 28]`` drawn as one picture, with optional captions under each. Returns the axes."""
    images = np.asarray(images, dtype=float)
    cell = IMAGE_SIDE + gap
    _, ax = plt.subplots(figsize=(1.1 * len(images), 1.9), layout="constrained")
    ax.imshow(_mosaic(images, len(images), gap), cmap=IMAGE_CMAP, vmin=0, vmax=1)
    ax.set_xticks(gap + np.arange(len(images)) * cell + (IMAGE_SIDE - 1) / 2,
                  [str(c) for c in captions] if captions is not None else [""] * len(images), fontsize=8)
    ax.set_yticks([])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(title + (f"\n{xlabel}" if xlabel else ""), fontsize=11)
    return ax


def image_grid(images, xs, ys, *, title: str, xlabel: str = "$z_1$", ylabel: str = "$z_2$", ax=None):
    """Tile decoded images ``[rows, cols, 28, 28]`` into one picture with latent coordinates on the axes.

    ``images[i, j]`` is drawn at column ``j`` (x = ``xs[j]``) and row ``i`` (y = ``ys[i]``), with
    ``ys`` increasing upwards.
    """
    images, xs, ys = np.asarray(images), np.asarray(xs), np.asarray(ys)
    if xs[0] > xs[-1]:  # draw x increasing to the right and y increasing upwards, whatever the order
        images, xs = images[:, ::-1], xs[::-1]
    if ys[0] > ys[-1]:
        images, ys = images[::-1], ys[::-1]
    rows, cols = images.shape[:2]
    canvas = images[::-1].transpose(0, 2, 1, 3).reshape(rows * IMAGE_SIDE, cols * IMAGE_SIDE)  # top row = last y
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    ax.imshow(canvas, cmap=IMAGE_CMAP, vmin=0, vmax=1)
    step = max(1, cols // 8)  # at most about eight readable tick labels per axis
    ax.set_xticks(np.arange(0, cols, step) * IMAGE_SIDE + (IMAGE_SIDE - 1) / 2, [f"{x:.1f}" for x in xs[::step]], fontsize=9)
    ystep = max(1, rows // 8)
    ax.set_yticks(np.arange(0, rows, ystep) * IMAGE_SIDE + (IMAGE_SIDE - 1) / 2, [f"{y:.1f}" for y in ys[::-1][::ystep]], fontsize=9)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return ax


def heatmap(values, xs, ys, *, title: str, colorbar: str, ax=None, cmap: str = "viridis", vmin=None, vmax=None):
    """A map of ``values [len(ys), len(xs)]`` over a 2-D latent grid."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5))
    mesh = ax.pcolormesh(xs, ys, values, cmap=cmap, shading="nearest", vmin=vmin, vmax=vmax)
    ax.figure.colorbar(mesh, ax=ax, label=colorbar)
    ax.set(title=title, xlabel="$z_1$", ylabel="$z_2$")
    return ax


def profile(t, curves, *, title: str, xlabel: str, ylabel: str, ax=None):
    """Mean of several curves ``{name: [p, steps]}`` along ``t [steps]``, with a band of +-1 standard error.

    The standard error at each step is ``std / sqrt(p)`` over the ``p`` curves (e.g. paths): the
    uncertainty of the mean, which is what two profiles are compared by.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for k, (name, values) in enumerate(curves.items()):
        values = np.asarray(values, dtype=float)
        if values.ndim != 2 or values.shape[1] != len(t):
            raise ValueError(f"curves[{name!r}] must have shape [p, {len(t)}], got {values.shape}")
        mean = values.mean(0)
        se = values.std(0, ddof=1) / np.sqrt(len(values)) if len(values) > 1 else np.zeros_like(mean)
        color = f"C{k}"
        ax.plot(t, mean, color=color, marker="o", ms=4, label=f"{name}: mean of {len(values)}")
        ax.fill_between(t, mean - se, mean + se, color=color, alpha=0.25, label=f"{name}: +-1 standard error")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2)
    return ax
