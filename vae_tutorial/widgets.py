"""Explorers that decode latent codes in the browser: sliders, a pad to drag on, the reparameterization trick.

Every explorer is an `anywidget <https://anywidget.dev>`_ widget. The decoder's weights go to
the browser once, as binary buffers; every slider move, click or drag decodes in JavaScript
(``vae_tutorial/explorer.js``) and paints a canvas, so nothing waits for the kernel: the
explorers keep working while a cell trains, and on the course's static pages (``make site``)
with no kernel at all. The state (slider values, the code, mu, sigma, eps) lives in synced
traits, so a notebook can read it and set it; the browser tells the kernel once a control rests.

* :class:`LatentExplorer`: one slider per latent direction, the decoded image, and a pad (the
  map of the encodings, or for a larger model their plane of the two leading principal
  directions): click or drag on it to decode the point under the pointer.
* :class:`InterpolationExplorer`: one slider ``t`` moves along the straight latent path between
  the encodings of two images in several models at once, next to the two input images.
* :class:`ReparameterizationExplorer`: z = mu + sigma * eps with the noise eps held fixed: move
  mu and sigma (or scale sigma) and watch one or several draws move and decode.
* :class:`ExplorerSwitch`: a slider that switches between several explorers (e.g. VAEs trained
  with different beta), carrying the current code over to the newly shown one.

The slider geometry (ranges, steps, principal directions) is :mod:`vae_tutorial.geometry`.
The widgets decode with the weights a model has when the widget is made (a snapshot): make a
new widget after training further. The weights travel as float32; with the environment
variable ``VAE_TUTORIAL_WIDGET_WEIGHTS=float16`` (set by ``make site`` to keep pages small) the
largest matrix travels as float16, whose decodings stay within one grey level here
(``tests/test_widgets.py`` checks the shipped models).

Where no widget front end exists, the explorers fall back to a still picture: their display
data carries, next to the widget view, a PNG drawn by ``static_figure()`` with a footer saying
why (shown by front ends that cannot run custom widgets, such as GitHub), and a text form
(shown in a terminal, which asks for text only, so no figure is drawn there).

Introduced in 09-latent-playground (notebooks 02, 03 and 04 use them too).
"""

from __future__ import annotations

import base64
import io
import os
import pathlib
import textwrap

import anywidget
import numpy as np
import traitlets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as PILImage

from vae_tutorial import geometry, latent, plots
from vae_tutorial._checks import IMAGE_PIXELS, IMAGE_SIDE, check_images, check_positive_int

__all__ = ["LatentExplorer", "InterpolationExplorer", "ReparameterizationExplorer", "ExplorerSwitch",
           "NO_FRONTEND_NOTE", "TEXT_NOTE", "WEIGHTS_ENV"]

#: Footer of the still picture shown where the interactive widget cannot be drawn.
NO_FRONTEND_NOTE = (
    "Still picture: this page cannot run the interactive explorer, which needs a front end with Jupyter "
    "widgets (JupyterLab 4, Notebook 7, VS Code, Colab) or the course's static pages (make site)."
)
#: Second line of the widgets' text form (what a terminal shows).
TEXT_NOTE = (
    "(An interactive widget that decodes in the browser: it needs a front end with Jupyter widgets "
    "or the course's static pages; static_figure() draws a still picture.)"
)
#: Environment variable that sets how the largest weight matrix travels: "float32" (default) or "float16".
WEIGHTS_ENV = "VAE_TUTORIAL_WIDGET_WEIGHTS"
MAX_SLIDERS = 6
MAX_SCALE = 16  # largest upscaling of the 28x28 image (448 x 448 pixels)
MAX_DRAWS = 25
_HALF_ABOVE = 65_536  # matrices with more entries travel as float16 when WEIGHTS_ENV says so
_MAP_DPI = 80
_MAP_SIZE = (4.6, 4.2)  # inches at _MAP_DPI: a 368 x 336 pixel map next to the 168-pixel digit
_ESM = pathlib.Path(__file__).with_name("explorer.js")
_NUMPY_ACTIVATIONS = {"relu": lambda x: np.maximum(x, 0.0), "tanh": np.tanh,
                      "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))}


# ------------------------------------------------------------------------------------------
# The decoder as the browser gets it
# ------------------------------------------------------------------------------------------


class _Snapshot:
    """A model's decoder weights as sent to the browser, and a NumPy decoder that uses exactly those."""

    def __init__(self, model):
        dtype = os.environ.get(WEIGHTS_ENV, "float32")
        if dtype not in ("float32", "float16"):
            raise ValueError(f"{WEIGHTS_ENV} must be float32 or float16, got {dtype!r}")
        self.latent_dim, self.activation = model.latent_dim, model.decoder.activation
        self.layers = []  # (kernel [n_in, n_out], bias [n_out], dtype sent)
        for layer in model.decoder.layers:
            kernel = np.asarray(layer.kernel[...], np.float32)
            sent = "float16" if dtype == "float16" and kernel.size > _HALF_ABOVE else "float32"
            kernel = kernel.astype(sent).astype(np.float32)
            self.layers.append((kernel, np.asarray(layer.bias[...], np.float32), sent))

    def spec(self) -> dict:
        layers = [{"n_in": int(w.shape[0]), "n_out": int(w.shape[1]), "dtype": sent,
                   "w": w.astype(sent).astype(f"<{'f2' if sent == 'float16' else 'f4'}").tobytes(),
                   "b": b.astype("<f4").tobytes()} for w, b, sent in self.layers]
        return {"latent_dim": self.latent_dim, "activation": self.activation, "layers": layers}

    def decode(self, z) -> np.ndarray:
        """Codes ``[n, latent]`` to intensities ``float64 [n, 784]``, computed like the browser does."""
        x = np.asarray(z, np.float64).reshape(-1, self.latent_dim)
        for k, (w, b, _) in enumerate(self.layers):
            x = x @ w.astype(np.float64) + b
            if k < len(self.layers) - 1:
                x = _NUMPY_ACTIVATIONS[self.activation](x)
        return 1.0 / (1.0 + np.exp(-x))

    def pixels(self, z) -> np.ndarray:
        """Codes ``[n, latent]`` to grey levels ``uint8 [n, 28, 28]`` (dark ink on white)."""
        return _grey(self.decode(z))


def _grey(intensities) -> np.ndarray:
    return np.round((1.0 - np.asarray(intensities)) * 255.0).astype(np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)


def _png(pixels: np.ndarray, *, colors: int | None = None) -> bytes:
    image = PILImage.fromarray(pixels)
    if colors:
        image = image.convert("RGB").quantize(colors=colors, dither=PILImage.Dither.NONE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _footer(fig: Figure) -> None:
    """The sentence saying why a still picture is shown, under the figure, wrapped to its width."""
    width = int(fig.get_figwidth() * 72 / (7 * 0.6))  # characters of 7-point text per line
    fig.supxlabel(textwrap.fill(NO_FRONTEND_NOTE, max(width, 40)), fontsize=7)


def _figure_png(fig: Figure) -> bytes:
    """A matplotlib figure as a compact PNG (256 colours suffice for grey digits and tab10)."""
    buffer = io.BytesIO()
    FigureCanvasAgg(fig)
    fig.savefig(buffer, format="png", dpi=72)  # one draw: constrained layout already fits the figure
    buffer.seek(0)
    with PILImage.open(buffer) as image:
        return _png(np.asarray(image.convert("RGB")), colors=256)


# ------------------------------------------------------------------------------------------
# Argument checks
# ------------------------------------------------------------------------------------------


def _check_model(model, name: str = "model"):
    """Any model with the course's interface (``code``, ``decode``, ``latent_dim``, an MLP ``decoder``)."""
    decoder = getattr(model, "decoder", None)
    if not (callable(getattr(model, "code", None)) and callable(getattr(model, "decode", None))
            and isinstance(getattr(model, "latent_dim", None), int) and hasattr(model, "is_variational")
            and hasattr(decoder, "layers") and getattr(decoder, "activation", None) in _NUMPY_ACTIVATIONS):
        raise TypeError(
            f"{name} must be a vae_tutorial model (an Autoencoder, a VAE or another models.LatentModel, "
            f"e.g. pretrained.load('vae-2d')), got {type(model).__name__}")
    return model


def _check_one_image(image, name: str) -> np.ndarray:
    """One image ``[28, 28]`` or ``[784]`` in [0, 1] to ``float32 [784]``."""
    if not hasattr(image, "shape") or not hasattr(image, "dtype"):
        raise TypeError(f"{name} must be one image, an array of shape [28, 28] or [784], got {type(image).__name__}")
    if tuple(image.shape) not in ((IMAGE_SIDE, IMAGE_SIDE), (IMAGE_PIXELS,)):
        raise ValueError(f"{name} must be one image of shape [28, 28] or [784], got shape {tuple(image.shape)}")
    return np.asarray(check_images(np.asarray(image)[None], name=name), dtype=np.float32)[0]


def _check_labels(labels, n: int) -> np.ndarray:
    labels = np.asarray(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must be integer digit classes, got dtype {labels.dtype}")
    if labels.shape != (n,):
        raise ValueError(f"labels must have shape [n] = [{n}] to match images, got shape {labels.shape}")
    if labels.min() < 0 or labels.max() > 9:
        raise ValueError(f"labels must be digit classes 0 to 9, got values from {labels.min()} to {labels.max()}")
    return labels


def _check_scale(scale) -> int:
    scale = check_positive_int(scale, "scale")
    if scale > MAX_SCALE:
        raise ValueError(f"scale must be at most {MAX_SCALE} (a {IMAGE_SIDE * MAX_SCALE}-pixel image), got {scale}")
    return scale


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return int(seed)


def _check_name(name):
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    return name


def _input_pixels(image: np.ndarray) -> np.ndarray:
    """An input image ``[784]`` in [0, 1] to grey levels ``uint8 [28, 28]``, ink dark like the decodings."""
    return _grey(image)[0]


# ------------------------------------------------------------------------------------------
# Shared plumbing: the widget class, the still picture, slider handles
# ------------------------------------------------------------------------------------------


class _Explorer(anywidget.AnyWidget):
    """An explorer: ``spec`` holds what never changes (weights, ranges, pictures); other traits the state."""

    _esm = _ESM
    spec = traitlets.Dict().tag(sync=True)

    def static_figure(self) -> Figure:  # pragma: no cover - overridden
        raise NotImplementedError

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        def wanted(mime: str) -> bool:
            return (include is None or mime in include) and not (exclude and mime in exclude)

        bundle = super()._repr_mimebundle_(include=include, exclude=exclude, **kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle or {}, {})
        data = dict(data, **{"text/plain": f"{self!r}\n{TEXT_NOTE}"})
        if wanted("image/png"):  # drawn only when asked for: a terminal asks for text only
            data["image/png"] = base64.b64encode(_figure_png(self.static_figure())).decode("ascii")
        data = {mime: value for mime, value in data.items() if wanted(mime)}
        return (data, metadata) if metadata else data


class _Slider:
    """A handle on one slider of an explorer: ``description``, ``min``, ``max``, ``step``, and ``value`` to read or set."""

    def __init__(self, description: str, lo: float, hi: float, step: float, get, put):
        self.description, self.min, self.max, self.step = description, float(lo), float(hi), float(step)
        self._get, self._put = get, put

    @property
    def value(self) -> float:
        return float(self._get())

    @value.setter
    def value(self, v) -> None:
        self._put(float(np.clip(float(v), self.min, self.max)))

    def __repr__(self) -> str:
        return f"Slider({self.description}={self.value:.2f}, min={self.min:g}, max={self.max:g})"


def _draw_decoded_rows(ax, rows: np.ndarray, *, row_labels, col_labels, xlabel: str) -> None:
    """``uint8 [rows, cols, 28, 28]`` as one image with labelled rows and columns."""
    r, c = rows.shape[:2]
    side = IMAGE_SIDE
    ax.imshow(rows.transpose(0, 2, 1, 3).reshape(r * side, c * side), cmap="gray", vmin=0, vmax=255)
    ax.set_yticks((np.arange(r) + 0.5) * side, row_labels)
    ax.set_xticks((np.arange(c) + 0.5) * side, col_labels, fontsize=7)
    ax.set_xlabel(xlabel)


# ------------------------------------------------------------------------------------------
# The map of the encodings (the pad's picture)
# ------------------------------------------------------------------------------------------


class _EmbeddingMap:
    """A scatter of 2-D points (encodings in slider coordinates), drawn once; the browser marks the current point.

    ``transform`` maps a point to pixels (``px = x * sx + ox``, ``py = y * sy + oy``, y down) and
    ``box`` is the axes' rectangle in pixels, the part of the picture that is the plane.
    """

    def __init__(self, points, labels, ranges: np.ndarray, *, title: str, axis_names, prior_circle: bool):
        self.points, self.labels, self.ranges, self.title = points, labels, ranges, title
        self.axis_names, self.prior_circle = axis_names, prior_circle
        fig = Figure(figsize=_MAP_SIZE, dpi=_MAP_DPI, layout="constrained")
        ax = fig.add_subplot()
        self.draw(ax, marker=None)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        rgb = np.asarray(canvas.buffer_rgba())[..., :3].copy()
        self.height, self.width = rgb.shape[:2]
        (x0, y0), (x1, y1) = ax.transData.transform([[0.0, 0.0], [1.0, 1.0]])
        self.transform = [float(x1 - x0), float(x0), float(-(y1 - y0)), float(self.height - y0)]
        box = ax.get_window_extent()
        self.box = [float(box.x0), float(self.height - box.y1), float(box.x1), float(self.height - box.y0)]
        self.png = _png(rgb, colors=256)

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
            bar = ax.figure.colorbar(ax.collections[0], ax=ax, ticks=range(10), fraction=0.05, pad=0.02)
            bar.set_label("digit")
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


# ------------------------------------------------------------------------------------------
# LatentExplorer
# ------------------------------------------------------------------------------------------


class LatentExplorer(_Explorer):
    """Sliders over a latent space, the image they decode to, and a pad to click or drag on.

    A model with at most ``max_sliders`` latent dimensions gets one slider per coordinate
    (``z1``, ``z2``, ...). A larger one (the 20-D models) gets sliders for its leading
    directions: the principal directions of the encodings of ``images`` (``PC1``, ...; the
    sliders then measure the offset from the mean encoding along each), or without images the
    first coordinates (:func:`vae_tutorial.geometry.slider_frame`). The other components of the
    code stay where they are while you move a slider; ``set_z`` and the sample button set all of them.

    Slider ranges are ``ranges`` if given; else they come from the encodings of ``images``
    (:func:`vae_tutorial.geometry.slider_ranges`), or are [-3, 3] for a VAE without images (the
    prior is N(0, I)). All sliders share one step and each range ends on a multiple of it.
    Values outside a range are clamped, by the sliders, the pad and ``set_z``.

    The pad, beside the sliders, is the plane of the first two sliders: for a 2-D model the map
    of the encodings of ``images`` (coloured by ``labels``; for a VAE with the circle that holds
    95% of the prior), for a larger one the encodings projected onto the two leading principal
    directions. Press on it or drag to decode the point under the pointer; the marker follows.

    The sample button draws z ~ N(0, I) for a VAE (its prior) or, for an autoencoder (which has
    no prior), from the Gaussian fitted to the encodings of ``images``
    (:func:`vae_tutorial.latent.fit_gaussian`), clamped to the slider ranges along the slider
    directions. The button draws in the browser (a generator seeded with ``seed``);
    :meth:`sample_prior` draws the same way with NumPy's ``default_rng(seed)``.

    Args:
        model: an Autoencoder, a VAE or another model with the interface of :class:`~vae_tutorial.models.LatentModel`.
        images: optional ``[n, 28, 28]`` or ``[n, 784]`` in [0, 1], e.g. the test digits; needed
            for an autoencoder (to set the ranges and fit the Gaussian).
        labels: optional ``[n]`` integer classes 0 to 9 of ``images`` (colour the map).
        ranges: optional slider ranges in slider units: one ``(min, max)`` for every slider, or
            ``[num_sliders, 2]`` (e.g. from :func:`vae_tutorial.geometry.slider_ranges`).
        max_sliders: most sliders to show.
        seed: integer >= 0, seed of the sample button's random draws.
        scale: upscaling of the 28x28 image, 1 to 16: 6 shows 168x168 pixels.
        name: optional name shown in the map's title and the text form (e.g. ``"vae-2d"``).

    Attributes:
        values: synced trait, ``[num_sliders]`` slider values.
        rest: synced trait, ``[latent]`` the part of ``z - origin`` outside the slider directions.
        z: the current code ``origin + values @ directions + rest``, ``float32 [latent]``.
        sliders: handles with ``description``, ``min``, ``max``, ``step`` and a settable ``value``.
        step, directions, origin, ranges, encodings, variance_share, labels: the slider frame
            (:class:`vae_tutorial.geometry.SliderFrame`) and the data it came from.
        has_pad: whether the pad is shown (at least two sliders).

    Raises:
        TypeError: ``model`` is not a course model; images, labels, ranges or ``seed`` of the wrong type.
        ValueError: images of the wrong shape or outside [0, 1]; labels without images, of a
            length other than ``n`` or outside 0 to 9; an autoencoder without images; ranges of
            the wrong shape, not finite or with min >= max; ``max_sliders`` < 1; ``scale``
            outside 1 to 16; ``seed`` < 0.

    Example:
        >>> explorer = LatentExplorer(pretrained.load("vae-2d"), test_images, test_labels)
        >>> explorer.sliders[0].value = 1.5   # the browser redraws
        >>> explorer.z.shape
        (2,)

    Introduced in 09-latent-playground.
    """

    values = traitlets.List(traitlets.Float()).tag(sync=True)
    rest = traitlets.List(traitlets.Float()).tag(sync=True)

    def __init__(self, model, images=None, labels=None, *, ranges=None, max_sliders: int = MAX_SLIDERS,
                 seed: int = 0, scale: int = 6, name: str | None = None):
        model = _check_model(model)
        name = _check_name(name)
        max_sliders = check_positive_int(max_sliders, "max_sliders")
        scale = _check_scale(scale)
        seed = _check_seed(seed)
        if labels is not None and images is None:
            raise ValueError("labels were given without images: pass the images they label too")
        self.is_vae = bool(model.is_variational)
        if images is None and not self.is_vae:
            raise ValueError(
                "an Autoencoder has no prior to set the slider ranges from: pass images, "
                "e.g. LatentExplorer(model, test_images, test_labels)")
        self.model, self.latent_dim, self.name = model, model.latent_dim, name
        self.encodings = self.labels = None
        if images is not None:
            self.encodings = latent.encodings(model, check_images(images)).astype(np.float64)
            if labels is not None:
                self.labels = _check_labels(labels, len(self.encodings))
        frame = geometry.slider_frame(self.latent_dim, self.encodings, max_sliders=max_sliders, ranges=ranges)
        self.origin, self.directions, self.ranges, self.step = frame.origin, frame.directions, frame.ranges, frame.step
        self.variance_share, self._names = frame.variance_share, frame.names
        self._snapshot = _Snapshot(model)
        self._rng = np.random.default_rng(seed)
        if self.is_vae:
            self._fit = (np.zeros(self.latent_dim), np.eye(self.latent_dim))
        elif len(self.encodings) >= 2:
            fit = latent.fit_gaussian(self.encodings)
            self._fit = (fit.mean, fit.cholesky)
        else:  # one code: no spread to fit, the button returns it
            self._fit = (self.encodings[0], np.zeros((self.latent_dim, self.latent_dim)))
        drawn = "z ~ N(0, I)" if self.is_vae else "z ~ N(mean, covariance) of the encodings"
        self.sample_label = "Sample from the prior" if self.is_vae else "Sample from a Gaussian fit"
        self.sample_tooltip = f"{drawn}, clamped to the slider ranges"
        self._map = None
        if len(self._names) >= 2:
            points = None if self.encodings is None else geometry.to_sliders(
                self.encodings, self.origin, self.directions)[:, :2]
            plane = "" if self.latent_dim == 2 else f" on {self._names[0]}, {self._names[1]}"
            self._map = _EmbeddingMap(points, self.labels, self.ranges[:2],
                                      title=f"{name or type(model).__name__} encodings{plane}",
                                      axis_names=self._names[:2], prior_circle=self.is_vae and self.latent_dim == 2)
        spec = {
            "kind": "latent", "css_class": "vae-latent-explorer", "latent_dim": self.latent_dim,
            "names": self._names, "ranges": self.ranges.tolist(), "step": self.step,
            "origin": self.origin.tolist(), "directions": self.directions.tolist(), "scale": scale,
            "decoder": self._snapshot.spec(),
            "sample": {"label": self.sample_label, "tooltip": self.sample_tooltip, "seed": seed,
                       "mean": self._fit[0].tolist(), "cholesky": self._fit[1].tolist()},
            "pad": None if self._map is None else self._map.spec(),
        }
        start = self.encodings.mean(axis=0) if self.encodings is not None else np.zeros(self.latent_dim)
        values, rest = self._clamped_state(start)
        super().__init__(spec=spec, values=values, rest=rest)
        self.add_class("vae-latent-explorer")
        self.sliders = [_Slider(n, lo, hi, self.step, lambda k=k: self.values[k],
                                lambda v, k=k: self._set_value(k, v)) for k, (n, (lo, hi)) in
                        enumerate(zip(self._names, self.ranges))]

    # -- state ---------------------------------------------------------------------------------

    @property
    def z(self) -> np.ndarray:
        """The current code, ``float32 [latent]``."""
        return geometry.from_sliders(self.values, self.origin, self.directions, np.asarray(self.rest)).astype(np.float32)

    @property
    def has_pad(self) -> bool:
        return self._map is not None

    def _clamped_state(self, z) -> tuple[list, list]:
        z = np.asarray(z, dtype=np.float64)
        if z.shape not in ((self.latent_dim,), (1, self.latent_dim)):
            raise ValueError(f"z must have shape [{self.latent_dim}], got {z.shape}")
        if not np.isfinite(z).all():
            raise ValueError("z must be finite")
        offset = z.reshape(-1) - self.origin
        s = offset @ self.directions.T
        rest = offset - s @ self.directions
        s = np.clip(s, self.ranges[:, 0], self.ranges[:, 1])
        return [float(v) for v in s], [float(v) for v in rest]

    def set_z(self, z) -> None:
        """Move to code ``z`` (``[latent]``), clamped to the slider ranges along their directions.

        Raises:
            ValueError: ``z`` has the wrong shape or is not finite.
        """
        values, rest = self._clamped_state(z)
        with self.hold_sync():
            self.values, self.rest = values, rest

    def _set_value(self, k: int, value: float) -> None:
        values = list(self.values)
        values[k] = value
        self.values = values

    def sample_prior(self) -> np.ndarray:
        """Draw a code, show it and return the code shown, ``float32 [latent]``.

        A VAE draws z ~ N(0, I) (its prior); an autoencoder draws from the Gaussian fitted to the
        encodings of ``images``. The draw then goes through :meth:`set_z`, which clamps it to the
        slider ranges along the slider directions (the sliders cannot show a value outside them),
        so a draw beyond a range is returned on its edge; the components outside the slider
        directions are kept as drawn. Use a numpy Generator directly for unclamped draws.
        """
        eps = self._rng.standard_normal(self.latent_dim)
        self.set_z(self._fit[0] + self._fit[1] @ eps)
        return self.z

    def pixels(self, z=None) -> np.ndarray:
        """The grey levels the browser paints at code ``z`` (default: the current code), ``uint8 [28, 28]``.

        Computed in NumPy from the weights exactly as they were sent (the browser's arithmetic).
        """
        return self._snapshot.pixels(self.z if z is None else z)[0]

    @property
    def weights_bytes(self) -> int:
        """How many bytes of decoder weights the browser received (once)."""
        return sum(len(layer["w"]) + len(layer["b"]) for layer in self.spec["decoder"]["layers"])

    # -- display -------------------------------------------------------------------------------

    def __repr__(self) -> str:
        named = f"{self.name!r}, " if self.name else ""
        return (f"LatentExplorer({named}{type(self.model).__name__}, latent_dim={self.latent_dim}, "
                f"sliders: {', '.join(self._names)})")

    @property
    def _two_d(self) -> bool:
        return len(self._names) == 2 and self.latent_dim == 2

    def _static_size(self, steps: int, *, stacked: bool = False) -> tuple[float, float]:
        if self._two_d:
            panels = 2 if self.encodings is not None else 1
            return (4.4, 4.6 * panels) if stacked else (4.4 * panels, 4.6)
        return 1.6 + 0.75 * steps, 1.3 + 0.95 * len(self._names)

    def static_figure(self, *, steps: int = 9) -> Figure:
        """A still picture of what the sliders show, with a sentence saying it is static.

        A 2-D model: the grid of images decoded over both slider ranges (and the map of the
        encodings, if any); a larger one: for each slider, ``steps`` images across its range with
        the other components at the current code, the slider values on each row's x axis.

        Returns:
            A matplotlib ``Figure`` (not registered with pyplot).
        """
        fig = Figure(figsize=self._static_size(steps), layout="constrained")
        self._draw_static(fig, steps=steps)
        fig.suptitle(f"{self.name or type(self.model).__name__}, {self.latent_dim}-D latent space")
        _footer(fig)
        return fig

    def _draw_static(self, fig, *, steps: int, stacked: bool = False) -> None:
        """Draw the still picture's panels into ``fig`` (a ``Figure`` or ``SubFigure``)."""
        side = IMAGE_SIDE
        grid = [np.linspace(a, b, steps) for a, b in self.ranges]
        if self._two_d:
            panels = 2 if self.encodings is not None else 1
            axes = fig.subplots(panels if stacked else 1, 1 if stacked else panels, squeeze=False).ravel()
            s1, s2 = np.meshgrid(grid[0], grid[1][::-1])
            codes = geometry.from_sliders(np.stack([s1.ravel(), s2.ravel()], axis=1), self.origin, self.directions)
            tiles = self._snapshot.pixels(codes).reshape(steps, steps, side, side)
            axes[0].imshow(tiles.transpose(0, 2, 1, 3).reshape(steps * side, steps * side), cmap="gray",
                           vmin=0, vmax=255, extent=(*self.ranges[0], *self.ranges[1]), aspect="auto")
            axes[0].set(xlabel=self._names[0], ylabel=self._names[1], title="Decoded images across the slider ranges")
            if self.encodings is not None:
                self._map.draw(axes[1], marker=self.z)
            return
        axes = fig.subplots(len(self._names), 1, squeeze=False)[:, 0]
        current = np.asarray(self.values)
        for k, (ax, values) in enumerate(zip(axes, grid)):
            s = np.tile(current, (steps, 1))
            s[:, k] = values
            tiles = self._snapshot.pixels(geometry.from_sliders(s, self.origin, self.directions, np.asarray(self.rest)))
            ax.imshow(np.concatenate(list(tiles), axis=1), cmap="gray", vmin=0, vmax=255)
            ax.set_xticks((np.arange(steps) + 0.5) * side, [f"{v:.1f}" for v in values], fontsize=7)
            ax.set_yticks([])
            ax.set_ylabel(self._names[k], rotation=0, ha="right", va="center")
        axes[0].set_title("One slider at a time (the others at the current code)")
        axes[-1].set_xlabel("slider value")


# ------------------------------------------------------------------------------------------
# InterpolationExplorer
# ------------------------------------------------------------------------------------------


def _check_named_models(named_models) -> dict:
    if not isinstance(named_models, dict):
        raise TypeError(f"named_models must be a dict {{name: model}}, got {type(named_models).__name__}")
    if not named_models:
        raise ValueError("named_models must hold at least one model, got an empty dict")
    for name, model in named_models.items():
        if not isinstance(name, str):
            raise TypeError(f"model names must be strings, got {name!r}")
        _check_model(model, name=f"named_models[{name!r}]")
    return dict(named_models)


class InterpolationExplorer(_Explorer):
    """Walk the straight latent path between two images in several models at once.

    Each model encodes both images (``model.code``: a VAE gives the mean of q(z|x)); the slider
    ``t`` in [0, 1] decodes ``(1 - t) * z_start + t * z_end`` in every model, in the browser,
    side by side under its name, between the two input images themselves (so each model's
    decoding at t = 0 and t = 1 can be compared with what it was given).

    Args:
        named_models: ``{name: model}``, at least one course model (latent sizes may differ).
        start_image: one image ``[28, 28]`` or ``[784]`` in [0, 1] (shown at t = 0).
        end_image: one image ``[28, 28]`` or ``[784]`` in [0, 1] (shown at t = 1).
        scale: upscaling of the 28x28 images, 1 to 16.

    Attributes:
        t: synced trait, the slider's value in [0, 1].
        slider: a handle on it (``value`` to read or set, clamped to [0, 1]).
        models: ``{name: model}``.
        endpoints: ``{name: (z_start [latent], z_end [latent])}``.

    Raises:
        TypeError: ``named_models`` is not a dict of course models with string names; an image
            is not an array.
        ValueError: ``named_models`` is empty; an image is not a single [28, 28] or [784] image in
            [0, 1]; ``scale`` outside 1 to 16.

    Example:
        >>> walk = InterpolationExplorer({"autoencoder": ae, "VAE": vae}, test_images[0], test_images[1])
        >>> walk.slider.value = 0.5

    Introduced in 09-latent-playground (and used in 02-interpolation-failure).
    """

    t = traitlets.Float(0.0).tag(sync=True)

    def __init__(self, named_models: dict, start_image, end_image, *, scale: int = 6):
        self.models = _check_named_models(named_models)
        start = _check_one_image(start_image, "start_image")
        end = _check_one_image(end_image, "end_image")
        scale = _check_scale(scale)
        self._inputs = (start, end)
        self._snapshots = {name: _Snapshot(m) for name, m in self.models.items()}
        self.endpoints = {}
        for name, m in self.models.items():
            codes = latent.encodings(m, np.stack([start, end])).astype(np.float64)
            self.endpoints[name] = (codes[0], codes[1])
        spec = {
            "kind": "interpolation", "css_class": "vae-interpolation-explorer", "names": list(self.models),
            "scale": scale, "decoders": [s.spec() for s in self._snapshots.values()],
            "endpoints": [[z0.tolist(), z1.tolist()] for z0, z1 in self.endpoints.values()],
            "inputs": [_input_pixels(image).tobytes() for image in self._inputs],
        }
        super().__init__(spec=spec, t=0.0)
        self.add_class("vae-interpolation-explorer")
        self.slider = _Slider("t", 0.0, 1.0, 0.01, lambda: self.t, lambda v: setattr(self, "t", v))

    def z(self, name: str, t: float | None = None) -> np.ndarray:
        """The code of model ``name`` at ``t`` (default: the slider's value), ``float32 [latent]``."""
        t = self.t if t is None else float(t)
        z0, z1 = self.endpoints[name]
        return ((1.0 - t) * z0 + t * z1).astype(np.float32)

    def __repr__(self) -> str:
        return f"InterpolationExplorer(models: {', '.join(self.models)})"

    def static_figure(self, *, steps: int = 11) -> Figure:
        """The inputs (top row, at t = 0 and t = 1) and the path at ``steps`` values of t for every model.

        Returns:
            A matplotlib ``Figure`` (not registered with pyplot), with a sentence saying it is static.
        """
        ts = np.linspace(0.0, 1.0, steps)
        inputs = np.full((steps, IMAGE_SIDE, IMAGE_SIDE), 255, dtype=np.uint8)  # white paper between the inputs
        inputs[0], inputs[-1] = _input_pixels(self._inputs[0]), _input_pixels(self._inputs[1])
        rows = [inputs] + [s.pixels(np.stack([self.z(name, t) for t in ts])) for name, s in self._snapshots.items()]
        fig = Figure(figsize=(1.5 + 0.8 * steps, 1.2 + 0.8 * len(rows)), layout="constrained")
        ax = fig.add_subplot()
        _draw_decoded_rows(ax, np.stack(rows), row_labels=["input images", *self._snapshots],
                           col_labels=[f"{t:.2f}" for t in ts], xlabel="t (0: start image, 1: end image)")
        ax.axhline(IMAGE_SIDE - 0.5, color="black", linewidth=0.8)
        ax.set(ylabel="model", title="Decoding the straight latent path (1 - t) z_start + t z_end")
        _footer(fig)
        return fig


# ------------------------------------------------------------------------------------------
# ReparameterizationExplorer
# ------------------------------------------------------------------------------------------


class ReparameterizationExplorer(_Explorer):
    """The reparameterization trick in one gesture: z = mu + sigma * eps with the noise eps held fixed.

    ``count`` noise vectors eps ~ N(0, I) are drawn once (NumPy's ``default_rng(seed)``) and held
    fixed; moving mu or sigma moves every draw ``z_k = mu + sigma_scale * sigma * eps_k``
    smoothly, and each is decoded in the browser. A button draws new eps (in the browser;
    :meth:`new_eps` does it from Python). For a 2-D model mu and sigma get a slider per
    coordinate; for a larger one only the sigma scale moves (mu and sigma stay as encoded and can
    be set from Python). A panel shows z's first two coordinates: mu (black), the ellipse of one
    scaled standard deviation, and the draws (red) joined to mu.

    Args:
        model: a course model. With ``image``, a VAE (``model.is_variational``): mu and sigma are
            its q(z|x) for that image. Without, mu = 0 and sigma = 1 (the prior N(0, I)).
        image: optional one image ``[28, 28]`` or ``[784]`` in [0, 1], shown beside the draws.
        count: number of fixed noise vectors (draws), 1 to 25, e.g. 9 for a 3x3 grid.
        seed: integer >= 0, seed of the first eps.
        sigma_scale: the sigma scale slider's start, 0 to 3 (1: the encoder's own sigma).
        scale: upscaling of the 28x28 images, 1 to 16.
        name: optional name shown in the text form.

    Attributes:
        mu, sigma: synced traits, ``[latent]``.
        sigma_scale: synced trait, the factor on sigma (0 to 3).
        eps: synced trait, ``[count][latent]`` the fixed noise.
        z: ``float32 [count, latent]``, ``mu + sigma_scale * sigma * eps``.

    Raises:
        TypeError: ``model`` is not a course model; ``image`` not an array; ``seed``, ``count``
            or ``sigma_scale`` of the wrong type.
        ValueError: ``image`` with an autoencoder (it has no sigma); ``image`` not one [28, 28] or
            [784] image in [0, 1]; ``count`` outside 1 to 25; ``sigma_scale`` outside 0 to 3;
            ``scale`` outside 1 to 16; ``seed`` < 0.

    Example:
        >>> trick = ReparameterizationExplorer(vae, test_images[0], count=9)
        >>> trick.sigma_scale = 2.0   # the nine draws spread out, each along its own eps
        >>> trick.z.shape
        (9, 2)

    Introduced in 04-reparameterization-trick (and used in 03-vae-sampling-problem).
    """

    mu = traitlets.List(traitlets.Float()).tag(sync=True)
    sigma = traitlets.List(traitlets.Float()).tag(sync=True)
    sigma_scale = traitlets.Float(1.0).tag(sync=True)
    eps = traitlets.List(traitlets.List(traitlets.Float())).tag(sync=True)

    SCALE_RANGE = (0.0, 3.0)

    def __init__(self, model, image=None, *, count: int = 1, seed: int = 0, sigma_scale: float = 1.0,
                 scale: int = 4, name: str | None = None):
        model = _check_model(model)
        name = _check_name(name)
        count = check_positive_int(count, "count")
        if count > MAX_DRAWS:
            raise ValueError(f"count must be at most {MAX_DRAWS}, got {count}")
        seed = _check_seed(seed)
        scale = _check_scale(scale)
        if isinstance(sigma_scale, bool) or not isinstance(sigma_scale, (int, float, np.floating, np.integer)):
            raise TypeError(f"sigma_scale must be a number, got {sigma_scale!r}")
        if not self.SCALE_RANGE[0] <= sigma_scale <= self.SCALE_RANGE[1]:
            raise ValueError(f"sigma_scale must lie in [0, 3], got {sigma_scale}")
        d = model.latent_dim
        self.model, self.latent_dim, self.name, self.count = model, d, name, count
        self._image = None
        if image is not None:
            self._image = _check_one_image(image, "image")
            if not model.is_variational:
                raise ValueError("an autoencoder encodes an image to one point, with no sigma: "
                                 "pass a VAE, or no image (mu = 0, sigma = 1)")
            mean, log_var = model.encode(self._image[None])
            mu0, sigma0 = np.asarray(mean, np.float64)[0], np.exp(0.5 * np.asarray(log_var, np.float64)[0])
        else:
            mu0, sigma0 = np.zeros(d), np.ones(d)
        self._rng = np.random.default_rng(seed)
        self._snapshot = _Snapshot(model)
        # Sliders (2-D models): mu within +-max(2, 4 sigma) of where it starts, sigma from 0 to 3x its start.
        half = np.maximum(2.0, 4.0 * sigma0)
        mu_ranges, mu_step = geometry.snap_ranges(np.stack([mu0 - half, mu0 + half], axis=1))
        sigma_ranges, sigma_step = geometry.snap_ranges(np.stack([np.zeros(d), np.maximum(1.0, 3.0 * sigma0)], axis=1))
        self.mu_ranges, self.sigma_ranges = mu_ranges, sigma_ranges
        sliders = d <= 2
        width = float(half[:2].max())
        frame = [[float(mu0[0] - width), float(mu0[0] + width)],
                 [float(mu0[min(1, d - 1)] - width), float(mu0[min(1, d - 1)] + width)]]
        first_two = "" if d <= 2 else f" (the first two of {d} coordinates)"
        spec = {
            "kind": "reparameterization", "css_class": "vae-reparameterization-explorer", "latent_dim": d,
            "scale": scale, "seed": seed, "decoder": self._snapshot.spec(), "scale_range": list(self.SCALE_RANGE),
            "input": None if self._image is None else _input_pixels(self._image).tobytes(),
            "mu_sliders": [{"index": k, "range": mu_ranges[k].tolist(), "step": mu_step} for k in range(d)] if sliders else [],
            "sigma_sliders": [{"index": k, "range": sigma_ranges[k].tolist(), "step": sigma_step} for k in range(d)]
            if sliders else [],
            "plane": {"size": 200, "frame": frame, "xlabel": "z1", "ylabel": "z2" if d > 1 else "",
                      "title": f"z = mu + sigma × eps{first_two}"},
        }
        super().__init__(spec=spec, mu=[float(v) for v in mu0], sigma=[float(v) for v in sigma0],
                         sigma_scale=float(sigma_scale), eps=self._draw_eps())
        self.add_class("vae-reparameterization-explorer")

    def _draw_eps(self) -> list:
        return [[float(v) for v in row] for row in self._rng.standard_normal((self.count, self.latent_dim))]

    def new_eps(self) -> np.ndarray:
        """Draw new noise (the next draws of the seeded NumPy generator), show it and return it, ``[count, latent]``."""
        self.eps = self._draw_eps()
        return np.asarray(self.eps)

    @property
    def z(self) -> np.ndarray:
        """The draws ``mu + sigma_scale * sigma * eps``, ``float32 [count, latent]``."""
        mu, sigma, eps = np.asarray(self.mu), np.asarray(self.sigma), np.asarray(self.eps)
        return (mu + self.sigma_scale * sigma * eps).astype(np.float32)

    def __repr__(self) -> str:
        named = f"{self.name!r}, " if self.name else ""
        return (f"ReparameterizationExplorer({named}{type(self.model).__name__}, latent_dim={self.latent_dim}, "
                f"draws={self.count})")

    def static_figure(self, *, scales=(0.0, 0.5, 1.0, 2.0)) -> Figure:
        """The draws (columns, at most 9) at several sigma scales (rows), the same eps in every row.

        Returns:
            A matplotlib ``Figure`` (not registered with pyplot), with a sentence saying it is static.
        """
        mu, sigma, eps = np.asarray(self.mu), np.asarray(self.sigma), np.asarray(self.eps)[:9]
        rows = np.stack([self._snapshot.pixels(mu + s * sigma * eps) for s in scales])
        fig = Figure(figsize=(max(5.0, 2.2 + 0.8 * len(eps)), 1.6 + 0.8 * len(scales)), layout="constrained")
        ax = fig.add_subplot()
        _draw_decoded_rows(ax, rows, row_labels=[f"sigma × {s:g}" for s in scales],
                           col_labels=[str(k + 1) for k in range(len(eps))], xlabel="draw (its eps held fixed)")
        ax.set_title("z = mu + s · sigma · eps decoded, eps held fixed")
        _footer(fig)
        return fig


# ------------------------------------------------------------------------------------------
# ExplorerSwitch
# ------------------------------------------------------------------------------------------


class ExplorerSwitch(_Explorer):
    """Several :class:`LatentExplorer` s behind one slider; the code carries over on a switch.

    The slider shows one explorer at a time, in the browser. On a switch the newly shown
    explorer moves to the code the previous one showed (clamped to its slider ranges; give the
    explorers the same ``ranges`` and nothing is clamped), so the same z is decoded by the other
    model. The switch keeps the shown explorer's state in its own traits and in that explorer.

    Args:
        explorers: ``{label: LatentExplorer}``, at least one, all with the same latent size and
            number of sliders; the labels are the slider's positions (e.g. beta values).
        description: the slider's label, e.g. ``"beta"``.
        value: the label shown first (default: the first).

    Attributes:
        explorers: ``{label: LatentExplorer}``.
        labels: the labels, in order.
        index: synced trait, the position of the explorer shown.
        value: the label of the explorer shown; set it to switch (the code carries over).
        current: the explorer shown.

    Raises:
        TypeError: ``explorers`` is not a dict of LatentExplorer; ``description`` not a string.
        ValueError: ``explorers`` is empty or mixes latent sizes or slider counts; ``value`` is not
            one of the labels.

    Example:
        >>> switch = ExplorerSwitch({0.3: explorer_a, 1.0: explorer_b}, description="beta", value=1.0)
        >>> switch.value = 0.3   # shows explorer_a at explorer_b's code

    Introduced in 09-latent-playground.
    """

    index = traitlets.Int(0).tag(sync=True)
    values = traitlets.List(traitlets.Float()).tag(sync=True)
    rest = traitlets.List(traitlets.Float()).tag(sync=True)

    def __init__(self, explorers: dict, *, description: str = "model", value=None):
        if not isinstance(explorers, dict):
            raise TypeError(f"explorers must be a dict {{label: LatentExplorer}}, got {type(explorers).__name__}")
        if not explorers:
            raise ValueError("explorers must hold at least one LatentExplorer, got an empty dict")
        for label, explorer in explorers.items():
            if not isinstance(explorer, LatentExplorer):
                raise TypeError(f"explorers[{label!r}] must be a LatentExplorer, got {type(explorer).__name__}")
        if not isinstance(description, str):
            raise TypeError(f"description must be a string, got {type(description).__name__}")
        shapes = {(e.latent_dim, len(e.sliders)) for e in explorers.values()}
        if len(shapes) > 1:
            raise ValueError(
                f"explorers must share latent size and slider count, got (latent, sliders) {sorted(shapes)}")
        self.explorers, self.description, self._switching = dict(explorers), description, False
        self.labels = list(self.explorers)
        if value is None:
            value = self.labels[0]
        if value not in self.labels:
            raise ValueError(f"value must be one of the labels {self.labels}, got {value!r}")
        index = self.labels.index(value)
        shown = self.explorers[value]
        spec = {"kind": "switch", "css_class": "vae-explorer-switch", "description": description,
                "labels": [str(label) for label in self.labels],
                "explorers": [e.spec for e in self.explorers.values()]}
        super().__init__(spec=spec, index=index, values=list(shown.values), rest=list(shown.rest))
        self.add_class("vae-explorer-switch")
        self.observe(self._to_current, names=["values", "rest"])
        for explorer in self.explorers.values():
            explorer.observe(self._from_explorer, names=["values", "rest"])

    @property
    def current(self) -> LatentExplorer:
        """The explorer shown now."""
        return self.explorers[self.labels[self.index]]

    @property
    def value(self):
        """The label of the explorer shown."""
        return self.labels[self.index]

    @value.setter
    def value(self, label) -> None:
        if label not in self.labels:
            raise ValueError(f"value must be one of the labels {self.labels}, got {label!r}")
        z = self.current.z
        shown = self.explorers[label]
        shown.set_z(z)  # move first, then show: the new view opens at the same code
        self._switching = True
        try:
            with self.hold_sync():
                self.index = self.labels.index(label)
                self.values, self.rest = list(shown.values), list(shown.rest)
        finally:
            self._switching = False

    @traitlets.observe("index")
    def _index_changed(self, change) -> None:  # a switch in the browser sends index, values and rest together
        self._to_current(None)

    def _to_current(self, _change) -> None:
        if self._switching:
            return
        current = self.current
        if len(self.values) == len(current.values):
            with current.hold_sync():
                current.values, current.rest = list(self.values), list(self.rest)

    def _from_explorer(self, change) -> None:
        if change["owner"] is self.current:
            setattr(self, change["name"], list(change["new"]))

    def __repr__(self) -> str:
        return f"ExplorerSwitch({self.description}: {', '.join(map(str, self.labels))})"

    def static_figure(self, *, steps: int = 9) -> Figure:
        """Every explorer's still picture side by side, one column per label, with a sentence saying it is static.

        Returns:
            A matplotlib ``Figure`` (not registered with pyplot).
        """
        explorers = list(self.explorers.values())
        width, height = explorers[0]._static_size(steps, stacked=True)
        fig = Figure(figsize=(width * len(explorers), height + 0.4), layout="constrained")
        subfigs = fig.subfigures(1, len(explorers), squeeze=False)[0]
        for subfig, (label, explorer) in zip(subfigs, self.explorers.items()):
            explorer._draw_static(subfig, steps=steps, stacked=True)
            subfig.suptitle(f"{self.description} = {label}")
        fig.suptitle(f"What the {self.description} slider switches between")
        _footer(fig)
        return fig
