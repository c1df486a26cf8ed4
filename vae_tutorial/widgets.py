"""Interactive widgets that decode latent codes live: explore a latent space, walk between two digits.

Both widgets are ``ipywidgets`` boxes. Every slider change decodes one code with a jitted
decoder and sends the result as PNG bytes (Pillow) to an ``ipywidgets.Image``, which takes
about a millisecond or two in the kernel, instead of redrawing a matplotlib figure (tens of
milliseconds, and the output flickers).

* :class:`LatentExplorer`: one slider per latent direction, the decoded image, and for a 2-D
  model a map of the encodings with the current point marked.
* :class:`InterpolationExplorer`: one slider ``t`` moves along the straight latent path between
  the encodings of two images in several models at once, next to the two input images.
* :class:`ExplorerSwitch`: a selection slider that switches between several explorers (e.g. VAEs
  trained with different beta), carrying the current code over to the newly shown one.
* :func:`slider_ranges`: the slider ranges the explorers derive from a set of codes, so several
  explorers can be given one shared set (``LatentExplorer(..., ranges=...)``).

The widgets decode with the weights a model has when the widget is made (a snapshot): make a
new widget after training further.

Where no widget front end exists, the widgets fall back to a still picture: their display data
carries, next to the widget view, a PNG drawn by ``static_figure()`` with a footer saying why
(shown by front ends that cannot render widgets, such as JupyterLab for an untrusted notebook),
and a text form that says what the widget needs (shown in a terminal, which asks for text only,
so no figure is drawn there). ``nbconvert --to html`` picks the widget view first and shows
nothing for it unless the notebook saved its widget state.

Introduced in 06-latent-playground.
"""

from __future__ import annotations

import base64
import functools
import io

import ipywidgets
import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from PIL import Image as PILImage
from PIL import ImageDraw

from vae_tutorial import models, plots
from vae_tutorial._checks import IMAGE_PIXELS, IMAGE_SIDE, check_images, check_positive_int

__all__ = ["LatentExplorer", "InterpolationExplorer", "ExplorerSwitch", "slider_ranges"]

#: Footer of the still picture shown where the interactive widget cannot be drawn.
NO_FRONTEND_NOTE = (
    "Static picture: the sliders need a running Jupyter kernel and a front end with ipywidgets "
    "(JupyterLab, Notebook 7, VS Code, Colab)."
)
#: Second line of the widgets' text form (what a terminal shows).
TEXT_NOTE = (
    "(An interactive widget: it needs a running Jupyter kernel and a front end with ipywidgets; "
    "static_figure() draws a still picture.)"
)
MAX_SLIDERS = 6
MAX_SCALE = 16  # largest upscaling of the 28x28 image (448 x 448 pixels)
PRIOR_RANGE = 3.0  # slider range [-3, 3] of a VAE shown without images: +-3 prior standard deviations
#: Radius of the circle that holds 95% of the 2-D prior N(0, I): P(|z| <= r) = 1 - exp(-r^2 / 2) = 0.95.
PRIOR_95_RADIUS = float(np.sqrt(-2.0 * np.log(0.05)))
_PNG_LEVEL = 1  # zlib level: fast to encode, the images are tiny anyway
_MAP_DPI = 80
_MAP_SIZE = (4.6, 4.2)  # inches at _MAP_DPI: a 368 x 336 pixel map next to the 168-pixel digit


# ------------------------------------------------------------------------------------------
# Fast decoding to PNG bytes
# ------------------------------------------------------------------------------------------


@functools.partial(jax.jit, static_argnames=("graphdef", "scale"))
def _decode_pixels(graphdef, state, z, *, scale):
    """Codes ``[n, latent]`` to grey levels ``uint8 [n, 28 * scale, 28 * scale]`` (ink dark, nearest-neighbour upscaled).

    ``graphdef`` is static, so one compiled program serves every model of the same architecture.
    """
    images = nnx.merge(graphdef, state).decode(z)
    pixels = jnp.round((1.0 - images) * 255.0).astype(jnp.uint8)  # dark ink on white, like every figure
    return jnp.repeat(jnp.repeat(pixels, scale, axis=1), scale, axis=2)


class _Decoder:
    """A model's decoder as a jitted function of codes, on a snapshot of its weights."""

    def __init__(self, model, scale: int):
        self.graphdef, self.state = nnx.split(model)
        self.latent_dim, self.scale = model.latent_dim, scale

    def pixels(self, z: np.ndarray, *, scale: int | None = None) -> np.ndarray:
        """Codes ``[n, latent]`` to ``uint8 [n, 28 * scale, 28 * scale]`` (default: the widget's scale)."""
        z = jnp.asarray(np.asarray(z, dtype=np.float32).reshape(-1, self.latent_dim))
        scale = self.scale if scale is None else scale
        return np.asarray(_decode_pixels(self.graphdef, self.state, z, scale=scale))

    def png(self, z: np.ndarray) -> bytes:
        """One code ``[latent]`` to the PNG bytes of its decoded image."""
        return _png(self.pixels(z)[0])


def _image_widget(width: int, height: int | None = None) -> ipywidgets.Image:
    """An empty PNG ``ipywidgets.Image`` shown at exactly ``width`` x ``height`` pixels (never stretched)."""
    height = width if height is None else height
    layout = ipywidgets.Layout(width=f"{width}px", height=f"{height}px", flex="none", margin="0 6px")
    return ipywidgets.Image(format="png", width=width, height=height, layout=layout)


def _png(pixels: np.ndarray) -> bytes:
    """``uint8 [h, w]`` (grey) or ``[h, w, 3]`` (RGB) to PNG bytes."""
    buffer = io.BytesIO()
    PILImage.fromarray(pixels).save(buffer, format="PNG", compress_level=_PNG_LEVEL)
    return buffer.getvalue()


def _figure_png(fig: Figure) -> bytes:
    """A matplotlib figure as a compact PNG (256 colours suffice for grey digits and tab10)."""
    buffer = io.BytesIO()
    FigureCanvasAgg(fig)
    fig.savefig(buffer, format="png", dpi=72, bbox_inches="tight")
    buffer.seek(0)
    with PILImage.open(buffer) as image:
        small = image.convert("RGB").quantize(colors=256, dither=PILImage.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


# ------------------------------------------------------------------------------------------
# Argument checks
# ------------------------------------------------------------------------------------------


def _check_model(model, name: str = "model"):
    if not isinstance(model, (models.Autoencoder, models.VAE)):
        raise TypeError(
            f"{name} must be a vae_tutorial Autoencoder or VAE (e.g. pretrained.load('vae-2d')), "
            f"got {type(model).__name__}"
        )
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


def _check_ranges(ranges, names: list[str]) -> np.ndarray:
    """``ranges`` as given to :class:`LatentExplorer` (``[2]`` or ``[num_sliders, 2]``) to ``float64 [num_sliders, 2]``."""
    try:
        array = np.asarray(ranges, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"ranges must be numbers (min, max), got {type(ranges).__name__}") from None
    num = len(names)
    if array.shape == (2,):
        array = np.tile(array, (num, 1))
    if array.shape != (num, 2):
        raise ValueError(
            f"ranges must have shape [2] (one (min, max) for every slider) or [num_sliders, 2] = [{num}, 2], "
            f"got shape {np.shape(ranges)}")
    if not np.isfinite(array).all():
        raise ValueError("ranges must be finite")
    for name, (lo, hi) in zip(names, array):
        if not lo < hi:
            raise ValueError(f"ranges must have min < max for every slider, got ({lo:g}, {hi:g}) for {name}")
    return array


def _encode(model, images: np.ndarray) -> np.ndarray:
    """Codes ``float64 [n, latent]``; a VAE's code is the mean of q(z|x)."""
    codes = model.encode(jnp.asarray(images))
    if isinstance(model, models.VAE):
        codes = codes[0]
    return np.asarray(codes, dtype=np.float64)


def slider_ranges(codes) -> np.ndarray:
    """The slider ranges :class:`LatentExplorer` derives from codes: ``[n, d]`` to ``[d, 2]`` (min, max).

    Each range runs from the 0.5th to the 99.5th percentile of its column, widened by a tenth of
    that span on each side (a column with no spread: +-1 around its value). Pass the result, for
    example of the codes of several models stacked together, as ``ranges=`` to give several
    explorers the same sliders and map limits. The explorer then widens each range to multiples
    of its slider step.

    Args:
        codes: ``[n, d]`` finite codes (or slider coordinates), ``n >= 1``.

    Returns:
        ``float64 [d, 2]``.

    Raises:
        ValueError: ``codes`` is not a non-empty ``[n, d]`` array of finite numbers.

    Introduced in 06-latent-playground.
    """
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2 or codes.shape[0] == 0 or codes.shape[1] == 0:
        raise ValueError(f"codes must have shape [n, d] with n, d >= 1, got shape {codes.shape}")
    if not np.isfinite(codes).all():
        raise ValueError("codes must be finite")
    lo, hi = np.percentile(codes, 0.5, axis=0), np.percentile(codes, 99.5, axis=0)
    margin = np.where(hi - lo > 1e-6, 0.1 * (hi - lo), 1.0)  # one image: +-1 around its code
    return np.stack([lo - margin, hi + margin], axis=1)


def _nice_step(span: float) -> float:
    """About a hundredth of ``span``, rounded to 1, 2 or 5 times a power of ten."""
    raw = span / 100.0
    power = 10.0 ** np.floor(np.log10(raw))
    return float(min((m * power for m in (1.0, 2.0, 5.0, 10.0)), key=lambda s: abs(s - raw)))


def _snap(ranges: np.ndarray) -> tuple[np.ndarray, float]:
    """One step for all sliders (about a hundredth of the widest range) and the ranges widened to its multiples.

    Every slider position is then a multiple of the step, so 0 is reachable whenever it lies in a range.
    """
    step = _nice_step(float((ranges[:, 1] - ranges[:, 0]).max()))
    decimals = max(0, int(-np.floor(np.log10(step)))) + 1
    lo = np.round(np.floor(ranges[:, 0] / step + 1e-9) * step, decimals)
    hi = np.round(np.ceil(ranges[:, 1] / step - 1e-9) * step, decimals)
    return np.stack([lo, hi], axis=1), step


class _StaticFallback:
    """Display data: widget view, a still PNG from ``static_figure()`` and a text line saying why."""

    def static_figure(self) -> Figure:  # pragma: no cover - overridden
        raise NotImplementedError

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        def wanted(mime: str) -> bool:
            return (include is None or mime in include) and not (exclude and mime in exclude)

        data = super()._repr_mimebundle_(include=include, exclude=exclude, **kwargs) or {}
        data["text/plain"] = f"{self!r}\n{TEXT_NOTE}"
        if wanted("image/png"):  # drawn only when asked for: a terminal asks for text only
            data["image/png"] = base64.b64encode(_figure_png(self.static_figure())).decode("ascii")
        return {mime: value for mime, value in data.items() if wanted(mime)}


# ------------------------------------------------------------------------------------------
# LatentExplorer
# ------------------------------------------------------------------------------------------


class LatentExplorer(_StaticFallback, ipywidgets.HBox):
    """Sliders over a latent space and the image they decode to, updated live.

    A model with at most ``max_sliders`` latent dimensions gets one slider per coordinate
    (``z1``, ``z2``, ...). A larger one (the 20-D models) gets sliders for its leading
    directions: the principal directions of the encodings of ``images`` (``PC1``, ...; the
    sliders then measure the offset from the mean encoding along each), or without images the
    first coordinates. A principal direction has no sign of its own; the explorer picks the one
    whose components sum to a positive number, so the same model and images always give the same
    sliders. The other components of the code stay where they are while you move a slider;
    ``set_z`` and the sample button set all of them.

    Slider ranges are ``ranges`` if given; else they come from the encodings of ``images``
    (:func:`slider_ranges`: their 0.5th to 99.5th percentile, widened by a tenth of the span on
    each side), or are [-3, 3] for a VAE without images (the prior is N(0, I)). All sliders share
    one step, about a hundredth of the widest range, and each range is widened to multiples of
    it, so every position (0 included, where it lies in the range) is a multiple of the step.
    Values outside a range are clamped, by the sliders and by ``set_z``. For a 2-D model the
    ranges are also the limits of the map.

    The sample button draws z ~ N(0, I) for a VAE (its prior) or, for an autoencoder (which has
    no prior), from a Gaussian fitted to the encodings of ``images``; a numpy Generator seeded
    with ``seed`` makes the sequence of draws reproducible. The sliders cannot show a value
    outside their ranges, so a draw is clamped to them along the slider directions (a rare far
    draw lands on the edge); see :meth:`sample_prior`.

    For a 2-D model with ``images``, a map of their encodings (coloured by ``labels``, each
    class written at its centre; for a VAE with the circle that holds 95% of the prior) marks
    the current point; the map is drawn once, and each update only pastes the marker.

    Args:
        model: a :class:`~vae_tutorial.models.Autoencoder` or :class:`~vae_tutorial.models.VAE`.
        images: optional ``[n, 28, 28]`` or ``[n, 784]`` in [0, 1], e.g. the test digits; needed
            for an autoencoder (to set the ranges and fit the Gaussian).
        labels: optional ``[n]`` integer classes 0 to 9 of ``images`` (colour the map).
        ranges: optional slider ranges in slider units: one ``(min, max)`` for every slider, or
            ``[num_sliders, 2]``. Give several explorers the same ranges to compare them on the
            same sliders and map limits (e.g. from :func:`slider_ranges`).
        max_sliders: most sliders to show.
        seed: integer >= 0, seed of the sample button's random draws.
        scale: upscaling of the 28x28 image (nearest neighbour), 1 to 16: 6 shows 168x168 pixels.
        name: optional name shown in the map's title and the text form (e.g. ``"vae-2d"``).

    Attributes:
        sliders: list of ``ipywidgets.FloatSlider``, one per direction.
        step: the sliders' common step.
        image: ``ipywidgets.Image`` (PNG) with the decoded image.
        sample_button: ``ipywidgets.Button`` that calls :meth:`sample_prior`.
        map_image: ``ipywidgets.Image`` with the embedding map (2-D models with images), else None.
        directions: ``[num_sliders, latent]`` orthonormal directions the sliders move along.
        origin: ``[latent]`` the code where every slider reads 0.
        ranges: ``[num_sliders, 2]`` each slider's (min, max).
        encodings: ``[n, latent]`` codes of ``images`` (a VAE: means of q(z|x)), or None.
        variance_share: ``[num_sliders]`` share of the encodings' total variance along each
            slider direction (for principal directions: the explained variance), or None.
        labels: ``[n]`` the labels, or None.

    Raises:
        TypeError: ``model`` is not an Autoencoder or VAE; images, labels, ranges or ``seed`` of
            the wrong type.
        ValueError: images of the wrong shape or outside [0, 1]; labels without images, of a
            length other than ``n`` or outside 0 to 9; an autoencoder without images; ranges of
            the wrong shape, not finite or with min >= max; ``max_sliders`` < 1; ``scale``
            outside 1 to 16; ``seed`` < 0.

    Example:
        >>> explorer = LatentExplorer(pretrained.load("vae-2d"), test_images, test_labels)
        >>> explorer.sliders[0].value = 1.5   # the image updates
        >>> explorer.z.shape
        (2,)

    Introduced in 06-latent-playground.
    """

    def __init__(self, model, images=None, labels=None, *, ranges=None, max_sliders: int = MAX_SLIDERS,
                 seed: int = 0, scale: int = 6, name: str | None = None):
        model = _check_model(model)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string, got {type(name).__name__}")
        max_sliders = check_positive_int(max_sliders, "max_sliders")
        scale = _check_scale(scale)
        seed = _check_seed(seed)
        if labels is not None and images is None:
            raise ValueError("labels were given without images: pass the images they label too")
        is_vae = isinstance(model, models.VAE)
        if images is None and not is_vae:
            raise ValueError(
                "an Autoencoder has no prior to set the slider ranges from: pass images, "
                "e.g. LatentExplorer(model, test_images, test_labels)"
            )
        self.model, self.latent_dim, self.is_vae, self.name = model, model.latent_dim, is_vae, name
        self._decoder = _Decoder(model, scale)
        self._rng = np.random.default_rng(seed)
        d = self.latent_dim
        num = min(d, max_sliders)

        self.encodings = self.labels = None
        if images is not None:
            flat = np.asarray(check_images(images), dtype=np.float32)
            self.encodings = _encode(model, flat)
            if labels is not None:
                self.labels = _check_labels(labels, len(flat))

        # Directions the sliders move along, the code where they all read 0, and their ranges.
        if self.encodings is not None and d > num:
            self.origin = self.encodings.mean(axis=0)
            centred = self.encodings - self.origin
            _, vectors = np.linalg.eigh(centred.T @ centred)  # ascending variance; always d directions
            vt = vectors[:, ::-1][:, :num].T
            vt = vt * np.where(vt.sum(axis=1, keepdims=True) < 0, -1.0, 1.0)  # sign: components sum > 0
            self.directions, names = vt, [f"PC{k + 1}" for k in range(num)]
        else:
            self.origin = np.zeros(d)
            self.directions, names = np.eye(d)[:num], [f"z{k + 1}" for k in range(num)]
        self.variance_share = None
        if self.encodings is not None:
            proj = (self.encodings - self.origin) @ self.directions.T
            total = self.encodings.var(axis=0).sum()
            self.variance_share = proj.var(axis=0) / total if total > 0 else np.zeros(num)
            start = self.encodings.mean(axis=0)
        else:
            proj, start = None, np.zeros(d)
        if ranges is not None:
            ranges = _check_ranges(ranges, names)
        elif proj is not None:
            ranges = slider_ranges(proj)
        else:
            ranges = np.tile([-PRIOR_RANGE, PRIOR_RANGE], (num, 1))
        self.ranges, self.step = _snap(ranges)  # [num_sliders, 2], one step for all sliders

        self.sliders = [
            ipywidgets.FloatSlider(value=0.0, min=float(a), max=float(b), step=self.step,
                                   description=title, readout_format=".2f", continuous_update=True)
            for title, (a, b) in zip(names, self.ranges)
        ]
        self.image = _image_widget(IMAGE_SIDE * scale)
        self.image.add_class("vae-latent-image")
        label = "Sample from the prior" if is_vae else "Sample from a Gaussian fit"
        drawn = "z ~ N(0, I)" if is_vae else "z ~ N(mean, covariance) of the encodings"
        self.sample_button = ipywidgets.Button(
            description=label, tooltip=f"{drawn}, clamped to the slider ranges",
            layout=ipywidgets.Layout(width="auto"))
        self.sample_button.on_click(lambda _: self.sample_prior())
        if not is_vae:
            centred = self.encodings - self.encodings.mean(axis=0)
            cov = centred.T @ centred / max(len(centred) - 1, 1)
            self._fit = (self.encodings.mean(axis=0), np.linalg.cholesky(cov + 1e-6 * np.eye(d)))

        self.map_image, self._map = None, None
        if d == 2 and num == 2 and self.encodings is not None:
            self._map = _EmbeddingMap(self.encodings, self.labels, self.ranges,
                                      model_name=name or type(model).__name__, prior_circle=is_vae)
            height, width = self._map.background.shape[:2]
            self.map_image = _image_widget(width, height)

        self._syncing = False
        self._s = np.zeros(num)  # slider values
        self._rest = np.zeros(d)  # the part of z - origin outside the sliders' directions
        for k, slider in enumerate(self.sliders):
            slider.observe(functools.partial(self._on_slider, k), names="value")
        controls = ipywidgets.VBox([*self.sliders, self.sample_button])
        children = [controls, self.image] + ([self.map_image] if self.map_image is not None else [])
        super().__init__(children=children, layout=ipywidgets.Layout(align_items="flex-start"))
        self.add_class("vae-latent-explorer")
        self.set_z(start)

    # -- state ---------------------------------------------------------------------------------

    @property
    def z(self) -> np.ndarray:
        """The current code, ``float32 [latent]``."""
        return (self.origin + self._s @ self.directions + self._rest).astype(np.float32)

    def set_z(self, z) -> None:
        """Move to code ``z`` (``[latent]``), clamped to the slider ranges along their directions.

        Raises:
            ValueError: ``z`` has the wrong shape or is not finite.
        """
        z = np.asarray(z, dtype=np.float64)
        if z.shape not in ((self.latent_dim,), (1, self.latent_dim)):
            raise ValueError(f"z must have shape [{self.latent_dim}], got {z.shape}")
        if not np.isfinite(z).all():
            raise ValueError("z must be finite")
        offset = z.reshape(-1) - self.origin
        s = self.directions @ offset
        self._rest = offset - s @ self.directions
        self._s = np.clip(s, self.ranges[:, 0], self.ranges[:, 1])
        self._syncing = True
        try:
            for slider, value in zip(self.sliders, self._s):
                slider.value = float(value)
            self._s = np.array([slider.value for slider in self.sliders])
        finally:
            self._syncing = False
        self._render()

    def sample_prior(self) -> np.ndarray:
        """Draw a code, show it and return the code shown, ``float32 [latent]``.

        A VAE draws z ~ N(0, I) (its prior); an autoencoder draws from the Gaussian fitted to the
        encodings of ``images``. The draw then goes through :meth:`set_z`, which clamps it to the
        slider ranges along the slider directions (the sliders cannot show a value outside them),
        so a draw beyond a range is returned on its edge; the components outside the slider
        directions are kept as drawn. Use a numpy Generator directly for unclamped draws.
        """
        eps = self._rng.standard_normal(self.latent_dim)
        self.set_z(eps if self.is_vae else self._fit[0] + self._fit[1] @ eps)
        return self.z

    def _on_slider(self, k: int, change) -> None:
        if self._syncing:
            return
        self._s[k] = change["new"]
        self._render()

    def _render(self) -> None:
        z = self.z
        self.image.value = self._decoder.png(z)
        if self._map is not None:
            self.map_image.value = self._map.png(z)

    # -- display -------------------------------------------------------------------------------

    def __repr__(self) -> str:
        names = ", ".join(s.description for s in self.sliders)
        named = f"{self.name!r}, " if self.name else ""
        return f"LatentExplorer({named}{type(self.model).__name__}, latent_dim={self.latent_dim}, sliders: {names})"

    @property
    def _two_d(self) -> bool:
        return len(self.sliders) == 2 and self.latent_dim == 2

    def _static_size(self, steps: int, *, stacked: bool = False) -> tuple[float, float]:
        if self._two_d:
            panels = 2 if self._map is not None else 1
            return (4.4, 4.6 * panels) if stacked else (4.4 * panels, 4.6)
        return 1.6 + 0.75 * steps, 1.3 + 0.95 * len(self.sliders)

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
        fig.text(0.5, 0.0, NO_FRONTEND_NOTE, ha="center", va="top", fontsize=7, wrap=True)
        return fig

    def _draw_static(self, fig, *, steps: int, stacked: bool = False) -> None:
        """Draw the still picture's panels into ``fig`` (a ``Figure`` or ``SubFigure``)."""
        side = IMAGE_SIDE
        grid = [np.linspace(a, b, steps) for a, b in self.ranges]
        if self._two_d:
            panels = 2 if self._map is not None else 1
            axes = fig.subplots(panels if stacked else 1, 1 if stacked else panels, squeeze=False).ravel()
            s1, s2 = np.meshgrid(grid[0], grid[1][::-1])
            codes = np.stack([s1.ravel(), s2.ravel()], axis=1) @ self.directions + self.origin
            tiles = self._decoder.pixels(codes, scale=1).reshape(steps, steps, side, side)
            axes[0].imshow(tiles.transpose(0, 2, 1, 3).reshape(steps * side, steps * side), cmap="gray",
                           vmin=0, vmax=255, extent=(*self.ranges[0], *self.ranges[1]), aspect="auto")
            axes[0].set(xlabel=self.sliders[0].description, ylabel=self.sliders[1].description,
                        title="Decoded images across the slider ranges")
            if self._map is not None:
                self._map.draw(axes[1], marker=self.z)
            return
        axes = fig.subplots(len(self.sliders), 1, squeeze=False)[:, 0]
        for k, (ax, values) in enumerate(zip(axes, grid)):
            s = np.tile(self._s, (steps, 1))
            s[:, k] = values
            tiles = self._decoder.pixels(self.origin + s @ self.directions + self._rest, scale=1)
            ax.imshow(np.concatenate(list(tiles), axis=1), cmap="gray", vmin=0, vmax=255)
            ax.set_xticks((np.arange(steps) + 0.5) * side, [f"{v:.1f}" for v in values], fontsize=7)
            ax.set_yticks([])
            ax.set_ylabel(self.sliders[k].description, rotation=0, ha="right", va="center")
        axes[0].set_title("One slider at a time (the others at the current code)")
        axes[-1].set_xlabel("slider value")


class _EmbeddingMap:
    """A scatter of 2-D encodings rendered once to RGB pixels; ``png(z)`` pastes a marker at ``z``."""

    def __init__(self, encodings: np.ndarray, labels, ranges: np.ndarray, *, model_name: str,
                 prior_circle: bool = False):
        self.encodings, self.labels, self.ranges, self.model_name = encodings, labels, ranges, model_name
        self.prior_circle = prior_circle
        fig = Figure(figsize=_MAP_SIZE, dpi=_MAP_DPI, layout="constrained")
        ax = fig.add_subplot()
        self.draw(ax, marker=None)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        self.background = np.asarray(canvas.buffer_rgba())[..., :3].copy()
        height = self.background.shape[0]
        # Affine map from codes to pixel coordinates (x right, y down), read after drawing: the
        # equal aspect places the axes box at draw time.
        (x0, y0), (x1, y1) = ax.transData.transform([[0.0, 0.0], [1.0, 1.0]])
        self._scale = np.array([x1 - x0, -(y1 - y0)])
        self._offset = np.array([x0, height - y0])
        # A palette image encodes to PNG about ten times faster than RGB; two extra entries hold
        # the marker's colours.
        base = PILImage.fromarray(self.background).quantize(colors=254, dither=PILImage.Dither.NONE)
        palette = base.getpalette()[: 3 * 254]
        palette += [0, 0, 0] * (254 - len(palette) // 3)
        base.putpalette(palette + [255, 255, 255, 0, 0, 0])
        self._base, self._white, self._black = base, 254, 255

    def draw(self, ax, *, marker) -> None:
        """Draw the scatter (classes written at their centres), the prior's circle and a marker at code ``marker``."""
        title = f"{self.model_name} encodings"
        if self.labels is None:
            ax.scatter(*self.encodings.T, s=10, color="tab:blue", alpha=0.6, linewidths=0)
            ax.set(title=title, xlabel="$z_1$", ylabel="$z_2$")
        else:
            plots.embedding(self.encodings, self.labels, title=title, ax=ax, legend=False)
            (x0, x1), (y0, y1) = self.ranges
            for text in list(ax.texts):  # a class centre outside the map would be drawn outside the axes
                x, y = text.get_position()
                if not (x0 <= x <= x1 and y0 <= y <= y1):
                    text.remove()
            bar = ax.figure.colorbar(ax.collections[0], ax=ax, ticks=range(10), fraction=0.05, pad=0.02)
            bar.set_label("digit")
        if self.prior_circle:
            angle = np.linspace(0.0, 2.0 * np.pi, 200)
            ax.plot(PRIOR_95_RADIUS * np.cos(angle), PRIOR_95_RADIUS * np.sin(angle), color="black",
                    linestyle="--", linewidth=1.2, label="95% of the prior N(0, I)")
            ax.legend(loc="best", fontsize=8, framealpha=0.8)
        if marker is not None:
            ax.plot(*np.asarray(marker)[:2], marker="o", markersize=9, markerfacecolor="white",
                    markeredgecolor="black", markeredgewidth=2, linestyle="none", zorder=5)
        ax.set_xlim(*self.ranges[0])
        ax.set_ylim(*self.ranges[1])
        ax.set_aspect("equal", adjustable="box")

    def png(self, z: np.ndarray) -> bytes:
        x, y = np.asarray(z[:2], dtype=np.float64) * self._scale + self._offset
        frame = self._base.copy()
        draw = ImageDraw.Draw(frame)
        r = 6
        draw.ellipse((x - r, y - r, x + r, y + r), fill=self._white, outline=self._black, width=2)
        buffer = io.BytesIO()
        frame.save(buffer, format="PNG", compress_level=_PNG_LEVEL)
        return buffer.getvalue()


# ------------------------------------------------------------------------------------------
# InterpolationExplorer
# ------------------------------------------------------------------------------------------


class InterpolationExplorer(_StaticFallback, ipywidgets.VBox):
    """Walk the straight latent path between two images in several models at once.

    Each model encodes both images (a VAE: the mean of q(z|x)); the slider ``t`` in [0, 1]
    decodes ``(1 - t) * z_start + t * z_end`` in every model, side by side under its name,
    between the two input images themselves (so each model's decoding at t = 0 and t = 1 can be
    compared with what it was given).

    Args:
        named_models: ``{name: model}``, at least one Autoencoder or VAE (latent sizes may differ).
        start_image: one image ``[28, 28]`` or ``[784]`` in [0, 1] (shown at t = 0).
        end_image: one image ``[28, 28]`` or ``[784]`` in [0, 1] (shown at t = 1).
        scale: upscaling of the 28x28 images (nearest neighbour), 1 to 16.

    Attributes:
        slider: the ``ipywidgets.FloatSlider`` t.
        images: ``{name: ipywidgets.Image}`` (PNG), in the order of ``named_models``.
        inputs: ``(start, end)``, the ``ipywidgets.Image`` s of the two input images.
        models: ``{name: model}``.
        endpoints: ``{name: (z_start [latent], z_end [latent])}``.

    Raises:
        TypeError: ``named_models`` is not a dict of Autoencoder/VAE with string names; an image
            is not an array.
        ValueError: ``named_models`` is empty; an image is not a single [28, 28] or [784] image in
            [0, 1]; ``scale`` outside 1 to 16.

    Example:
        >>> walk = InterpolationExplorer({"autoencoder": ae, "VAE": vae}, test_images[0], test_images[1])
        >>> walk.slider.value = 0.5

    Introduced in 06-latent-playground.
    """

    def __init__(self, named_models: dict, start_image, end_image, *, scale: int = 6):
        if not isinstance(named_models, dict):
            raise TypeError(f"named_models must be a dict {{name: model}}, got {type(named_models).__name__}")
        if not named_models:
            raise ValueError("named_models must hold at least one model, got an empty dict")
        for name, model in named_models.items():
            if not isinstance(name, str):
                raise TypeError(f"model names must be strings, got {name!r}")
            _check_model(model, name=f"named_models[{name!r}]")
        start = _check_one_image(start_image, "start_image")
        end = _check_one_image(end_image, "end_image")
        scale = _check_scale(scale)
        self.models = dict(named_models)
        self._inputs = (start, end)
        self._decoders = {name: _Decoder(m, scale) for name, m in self.models.items()}
        self.endpoints = {}
        for name, m in self.models.items():
            codes = _encode(m, np.stack([start, end]))
            self.endpoints[name] = (codes[0], codes[1])
        self.slider = ipywidgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.01, description="t",
                                             readout_format=".2f", continuous_update=True)
        self.images = {name: _image_widget(IMAGE_SIDE * scale) for name in self.models}
        self.inputs = (_image_widget(IMAGE_SIDE * scale), _image_widget(IMAGE_SIDE * scale))
        for widget, image in zip(self.inputs, self._inputs):
            widget.value = _png(_input_pixels(image, scale))
        columns = [ipywidgets.VBox([ipywidgets.Label(name), image]) for name, image in self.images.items()]
        columns.insert(0, ipywidgets.VBox([ipywidgets.Label("input at t = 0"), self.inputs[0]]))
        columns.append(ipywidgets.VBox([ipywidgets.Label("input at t = 1"), self.inputs[1]]))
        super().__init__(children=[self.slider, ipywidgets.HBox(columns)])
        self.add_class("vae-interpolation-explorer")
        self.slider.observe(lambda _: self._render(), names="value")
        self._render()

    def z(self, name: str, t: float | None = None) -> np.ndarray:
        """The code of model ``name`` at ``t`` (default: the slider's value), ``float32 [latent]``."""
        t = self.slider.value if t is None else float(t)
        z0, z1 = self.endpoints[name]
        return ((1.0 - t) * z0 + t * z1).astype(np.float32)

    def _render(self) -> None:
        for name, decoder in self._decoders.items():
            self.images[name].value = decoder.png(self.z(name))

    def __repr__(self) -> str:
        return f"InterpolationExplorer(models: {', '.join(self.models)})"

    def static_figure(self, *, steps: int = 11) -> Figure:
        """The inputs (top row, at t = 0 and t = 1) and the path at ``steps`` values of t for every model.

        Returns:
            A matplotlib ``Figure`` (not registered with pyplot), with a sentence saying it is static.
        """
        ts = np.linspace(0.0, 1.0, steps)
        side = IMAGE_SIDE
        inputs = np.full((side, steps * side), 255, dtype=np.uint8)  # white paper between the two inputs
        inputs[:, :side] = _input_pixels(self._inputs[0], 1)
        inputs[:, -side:] = _input_pixels(self._inputs[1], 1)
        rows = [inputs] + [np.concatenate(list(d.pixels(np.stack([self.z(name, t) for t in ts]), scale=1)), axis=1)
                           for name, d in self._decoders.items()]
        fig = Figure(figsize=(1.5 + 0.8 * steps, 1.2 + 0.8 * len(rows)), layout="constrained")
        ax = fig.add_subplot()
        ax.imshow(np.concatenate(rows, axis=0), cmap="gray", vmin=0, vmax=255)
        ax.axhline(side - 0.5, color="black", linewidth=0.8)
        ax.set_yticks((np.arange(len(rows)) + 0.5) * side, ["input images", *self._decoders])
        ax.set_xticks((np.arange(steps) + 0.5) * side, [f"{t:.2f}" for t in ts])
        ax.set(xlabel="t (0: start image, 1: end image)", ylabel="model",
               title="Decoding the straight latent path (1 - t) z_start + t z_end")
        fig.text(0.5, 0.0, NO_FRONTEND_NOTE, ha="center", va="top", fontsize=7, wrap=True)
        return fig


def _input_pixels(image: np.ndarray, scale: int) -> np.ndarray:
    """An input image ``[784]`` in [0, 1] to grey levels ``uint8 [28 * scale, 28 * scale]``, ink dark like the decodings."""
    pixels = np.round((1.0 - image.reshape(IMAGE_SIDE, IMAGE_SIDE)) * 255.0).astype(np.uint8)
    return np.repeat(np.repeat(pixels, scale, axis=0), scale, axis=1)


# ------------------------------------------------------------------------------------------
# ExplorerSwitch
# ------------------------------------------------------------------------------------------


class ExplorerSwitch(_StaticFallback, ipywidgets.VBox):
    """Several :class:`LatentExplorer` s behind one selection slider; the code carries over on a switch.

    The slider shows one explorer at a time (an ``ipywidgets.Stack``). On a switch the newly shown
    explorer moves to the code the previous one showed (clamped to its slider ranges; give the
    explorers the same ``ranges`` and nothing is clamped), so the same z is decoded by the other
    model. Moving the code needs the kernel, like the sliders themselves.

    Args:
        explorers: ``{label: LatentExplorer}``, at least one, all with the same latent size and
            number of sliders; the labels are the slider's options (e.g. beta values).
        description: the slider's label, e.g. ``"beta"``.
        value: the label shown first (default: the first).

    Attributes:
        explorers: ``{label: LatentExplorer}``.
        slider: the ``ipywidgets.SelectionSlider``.
        stack: the ``ipywidgets.Stack`` that holds the explorers.

    Raises:
        TypeError: ``explorers`` is not a dict of LatentExplorer; ``description`` not a string.
        ValueError: ``explorers`` is empty or mixes latent sizes or slider counts; ``value`` is not
            one of the labels.

    Example:
        >>> switch = ExplorerSwitch({0.3: explorer_a, 1.0: explorer_b}, description="beta", value=1.0)
        >>> switch.slider.value = 0.3   # shows explorer_a at explorer_b's code

    Introduced in 06-latent-playground.
    """

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
        self.explorers = dict(explorers)
        self._labels = list(self.explorers)
        if value is None:
            value = self._labels[0]
        if value not in self._labels:
            raise ValueError(f"value must be one of the labels {self._labels}, got {value!r}")
        self.slider = ipywidgets.SelectionSlider(options=[(str(k), k) for k in self._labels], value=value,
                                                 description=description)
        index = self._labels.index(value)
        self.stack = ipywidgets.Stack(list(self.explorers.values()), selected_index=index)
        self.slider.observe(self._on_switch, names="index")
        super().__init__(children=[self.slider, self.stack])
        self.add_class("vae-explorer-switch")

    @property
    def current(self) -> LatentExplorer:
        """The explorer shown now."""
        return self.explorers[self._labels[self.stack.selected_index]]

    def _on_switch(self, change) -> None:
        previous = self.current
        shown = self.explorers[self._labels[change["new"]]]
        shown.set_z(previous.z)  # move first, then show: the new view opens at the same code
        self.stack.selected_index = change["new"]

    def __repr__(self) -> str:
        return f"ExplorerSwitch({self.slider.description}: {', '.join(map(str, self._labels))})"

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
            subfig.suptitle(f"{self.slider.description} = {label}")
        fig.suptitle(f"What the {self.slider.description} slider switches between")
        fig.text(0.5, 0.0, NO_FRONTEND_NOTE, ha="center", va="top", fontsize=7, wrap=True)
        return fig
