"""What every explorer shares: the anywidget class with its still-picture fallback, slider handles, argument checks.

An explorer is an :class:`Explorer` (an ``anywidget.AnyWidget`` whose front end is
``vae_tutorial/explorer.js``): its ``spec`` trait holds what never changes (the decoder's weights,
ranges, pictures) and its other synced traits hold the state.

Introduced in 09-latent-playground.
"""

from __future__ import annotations

import base64
import pathlib

import anywidget
import numpy as np
import traitlets
from matplotlib.figure import Figure

from vae_tutorial._checks import IMAGE_PIXELS, IMAGE_SIDE, check_images, check_positive_int
from vae_tutorial.widgets.snapshot import grey
from vae_tutorial.widgets.still import figure_png

__all__ = ["Explorer", "Slider", "TEXT_NOTE", "ESM", "MAX_SCALE", "check_one_image", "check_labels",
           "check_scale", "check_name", "input_pixels"]

#: Second line of the widgets' text form (what a terminal shows).
TEXT_NOTE = (
    "(An interactive widget that decodes in the browser: it needs a front end with Jupyter widgets "
    "or the course's static pages; static_figure() draws a still picture.)"
)
#: The one front-end module of every explorer.
ESM = pathlib.Path(__file__).parent.parent / "explorer.js"
MAX_SCALE = 16  # largest upscaling of the 28x28 image (448 x 448 pixels)


def check_one_image(image, name: str) -> np.ndarray:
    """One image ``[28, 28]`` or ``[784]`` in [0, 1] to ``float32 [784]``."""
    if not hasattr(image, "shape") or not hasattr(image, "dtype"):
        raise TypeError(f"{name} must be one image, an array of shape [28, 28] or [784], got {type(image).__name__}")
    if tuple(image.shape) not in ((IMAGE_SIDE, IMAGE_SIDE), (IMAGE_PIXELS,)):
        raise ValueError(f"{name} must be one image of shape [28, 28] or [784], got shape {tuple(image.shape)}")
    return np.asarray(check_images(np.asarray(image)[None], name=name), dtype=np.float32)[0]


def check_labels(labels, n: int) -> np.ndarray:
    labels = np.asarray(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must be integer digit classes, got dtype {labels.dtype}")
    if labels.shape != (n,):
        raise ValueError(f"labels must have shape [n] = [{n}] to match images, got shape {labels.shape}")
    if labels.min() < 0 or labels.max() > 9:
        raise ValueError(f"labels must be digit classes 0 to 9, got values from {labels.min()} to {labels.max()}")
    return labels


def check_scale(scale) -> int:
    scale = check_positive_int(scale, "scale")
    if scale > MAX_SCALE:
        raise ValueError(f"scale must be at most {MAX_SCALE} (a {IMAGE_SIDE * MAX_SCALE}-pixel image), got {scale}")
    return scale


def check_name(name):
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    return name


def input_pixels(image: np.ndarray) -> np.ndarray:
    """An input image ``[784]`` in [0, 1] to grey levels ``uint8 [28, 28]``, ink dark like the decodings."""
    return grey(image)[0]


# ------------------------------------------------------------------------------------------
# Shared plumbing: the widget class, the still picture, slider handles


class Explorer(anywidget.AnyWidget):
    """An explorer: ``spec`` holds what never changes (weights, ranges, pictures); other traits the state."""

    _esm = ESM
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
            data["image/png"] = base64.b64encode(figure_png(self.static_figure())).decode("ascii")
        data = {mime: value for mime, value in data.items() if wanted(mime)}
        return (data, metadata) if metadata else data


class Slider:
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
