"""Still pictures: what an explorer shows where no widget front end runs, and the pictures it sends once.

An explorer's display data carries, next to the widget view, a PNG drawn by its ``static_figure()``
with a footer saying why (:data:`NO_FRONTEND_NOTE`), shown by front ends that cannot run custom
widgets (GitHub, for one). :class:`EmbeddingMap` is the map of the encodings drawn once as a PNG
for the explorer's pad (the browser only moves the marker over it).

Introduced in 09-latent-playground.
"""

from __future__ import annotations

import io
import textwrap

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as PILImage

from vae_tutorial import latent, plots
from vae_tutorial._checks import IMAGE_SIDE

__all__ = ["NO_FRONTEND_NOTE", "png", "footer", "figure_png", "margins", "colorbar_beside", "rows_axes",
           "draw_decoded_rows",
           "EmbeddingMap"]

#: Footer of the still picture shown where the interactive widget is not drawn: most often a cell
#: not run yet in JupyterLab or Notebook (the saved output has no live widget behind it), else a
#: page that runs no code (GitHub).
NO_FRONTEND_NOTE = (
    "Still picture of the explorer: run this cell to move it (JupyterLab, Notebook 7, VS Code, Colab). "
    "Where code cannot run, the course's static pages (python course.py site) have every explorer working."
)
MAP_DPI = 80
MAP_SIZE = (4.6, 4.2)  # inches at MAP_DPI: a 368 x 336 pixel map next to the 168-pixel digit


def png(pixels: np.ndarray, *, colors: int | None = None) -> bytes:
    image = PILImage.fromarray(pixels)
    if colors:
        image = image.convert("RGB").quantize(colors=colors, dither=PILImage.Dither.NONE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def footer(fig: Figure) -> None:
    """The sentence saying why a still picture is shown, under the figure, wrapped to its width."""
    width = int(fig.get_figwidth() * 72 / (7 * 0.6))  # characters of 7-point text per line
    fig.supxlabel(textwrap.fill(NO_FRONTEND_NOTE, max(width, 40)), fontsize=7)


def margins(fig, *, left: float, right: float, bottom: float, top: float, wspace: float = 0.0,
            hspace: float = 0.0, nrows: int = 1, ncols: int = 1) -> dict:
    """``gridspec_kw`` for ``fig.subplots(nrows, ncols)`` with margins and gaps in inches.

    A fixed layout for the still pictures instead of matplotlib's constrained layout, which
    measures every label twice before the picture is drawn: about half of each picture's time
    (0.3-0.5 s a picture on a 2-core CPU; an explorer draws two). ``fig`` may be a ``SubFigure``.
    """
    width, height = fig.bbox.width / fig.dpi, fig.bbox.height / fig.dpi
    axes_width = (width - left - right - (ncols - 1) * wspace) / ncols
    axes_height = (height - bottom - top - (nrows - 1) * hspace) / nrows
    if axes_width <= 0 or axes_height <= 0:
        raise ValueError(f"margins leave no room for the axes in a {width:.1f} x {height:.1f} inch figure")
    return {"left": left / width, "right": 1 - right / width, "bottom": bottom / height, "top": 1 - top / height,
            "wspace": wspace / axes_width, "hspace": hspace / axes_height}


def colorbar_beside(ax, mappable, *, ticks, label: str, pad: float = 0.06, width: float = 0.12):
    """A colour bar as tall as ``ax`` and just right of it (``pad``, ``width`` in inches), after ``ax`` keeps its aspect."""
    fig = ax.figure
    ax.apply_aspect()
    box = ax.get_position(original=False)
    inch_x = fig.dpi / fig.bbox.width  # one inch as a fraction of the (sub)figure's width
    cax = fig.add_axes((box.x1 + pad * inch_x, box.y0, width * inch_x, box.height))
    bar = fig.colorbar(mappable, cax=cax, ticks=ticks)
    bar.set_label(label)
    return bar


def figure_png(fig: Figure) -> bytes:
    """A matplotlib figure as a compact PNG (256 colours suffice for grey digits and tab10)."""
    buffer = io.BytesIO()
    FigureCanvasAgg(fig)
    fig.savefig(buffer, format="png", dpi=72)
    buffer.seek(0)
    with PILImage.open(buffer) as image:
        return png(np.asarray(image.convert("RGB")), colors=256)


def rows_axes(fig, row_labels):
    """One axes for :func:`draw_decoded_rows` with a title above and the footer below, in a fixed layout."""
    left = 0.45 + 0.075 * max(len(str(label)) for label in row_labels)  # the model names written left of the rows
    return fig.subplots(gridspec_kw=margins(fig, left=left, right=0.2, bottom=0.85, top=0.3))


def draw_decoded_rows(ax, rows: np.ndarray, *, row_labels, col_labels, xlabel: str) -> None:
    """``uint8 [rows, cols, 28, 28]`` as one image with labelled rows and columns."""
    r, c = rows.shape[:2]
    side = IMAGE_SIDE
    ax.imshow(rows.transpose(0, 2, 1, 3).reshape(r * side, c * side), cmap="gray", vmin=0, vmax=255)
    ax.set_yticks((np.arange(r) + 0.5) * side, row_labels)
    ax.set_xticks((np.arange(c) + 0.5) * side, col_labels, fontsize=7)
    ax.set_xlabel(xlabel)


# ------------------------------------------------------------------------------------------


class EmbeddingMap:
    """A scatter of 2-D points (encodings in slider coordinates), drawn once; the browser marks the current point.

    ``transform`` maps a point to pixels (``px = x * sx + ox``, ``py = y * sy + oy``, y down) and
    ``box`` is the axes' rectangle in pixels, the part of the picture that is the plane.
    """

    def __init__(self, points, labels, ranges: np.ndarray, *, title: str, axis_names, prior_circle: bool):
        self.points, self.labels, self.ranges, self.title = points, labels, ranges, title
        self.axis_names, self.prior_circle = axis_names, prior_circle
        fig = Figure(figsize=MAP_SIZE, dpi=MAP_DPI)
        ax = fig.subplots(gridspec_kw=margins(fig, left=0.55, right=0.75, bottom=0.5, top=0.3))
        self.draw(ax, marker=None)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        rgb = np.asarray(canvas.buffer_rgba())[..., :3].copy()
        self.height, self.width = rgb.shape[:2]
        (x0, y0), (x1, y1) = ax.transData.transform([[0.0, 0.0], [1.0, 1.0]])
        self.transform = [float(x1 - x0), float(x0), float(-(y1 - y0)), float(self.height - y0)]
        box = ax.get_window_extent()
        self.box = [float(box.x0), float(self.height - box.y1), float(box.x1), float(self.height - box.y0)]
        self.png = png(rgb, colors=256)

    def spec(self) -> dict:
        return {"png": self.png, "width": self.width, "height": self.height, "transform": self.transform,
                "box": self.box}

    def draw(self, ax, *, marker) -> None:
        """Draw the points (classes written at their centres), the prior's circle and a marker at ``marker``."""
        xlabel, ylabel = (f"${n[0]}_{n[1:]}$" if n.startswith("z") else n for n in self.axis_names)
        if self.points is None:
            ax.set(title=self.title, xlabel=xlabel, ylabel=ylabel)
            ax.grid(alpha=0.3)
        elif self.labels is None:
            ax.scatter(*self.points.T, s=10, color="tab:blue", alpha=0.6, linewidths=0)
            ax.set(title=self.title, xlabel=xlabel, ylabel=ylabel)
        else:
            plots.embedding(self.points, self.labels, title=self.title, ax=ax, legend=False)
            ax.set(xlabel=xlabel, ylabel=ylabel)
            (x0, x1), (y0, y1) = self.ranges
            for text in list(ax.texts):  # a class centre outside the map would be drawn outside the axes
                x, y = text.get_position()
                if not (x0 <= x <= x1 and y0 <= y <= y1):
                    text.remove()
            ax.set_xlim(*self.ranges[0])
            ax.set_ylim(*self.ranges[1])
            ax.set_aspect("equal", adjustable="box")
            colorbar_beside(ax, ax.collections[0], ticks=range(10), label="digit")
        if self.prior_circle:
            angle = np.linspace(0.0, 2.0 * np.pi, 200)
            radius = latent.prior_radius(0.95)
            ax.plot(radius * np.cos(angle), radius * np.sin(angle), color="black", linestyle="--", linewidth=1.2,
                    label="95% of the prior N(0, I)")
            ax.legend(loc="best", fontsize=8, framealpha=0.8)
        if marker is not None:
            ax.plot(*np.asarray(marker)[:2], marker="o", markersize=9, markerfacecolor="white",
                    markeredgecolor="black", markeredgewidth=2, linestyle="none", zorder=5)
        ax.set_xlim(*self.ranges[0])
        ax.set_ylim(*self.ranges[1])
        ax.set_aspect("equal", adjustable="box")


