"""The interpolation explorer: the straight latent path between two images, in several models at once.

Introduced in 09-latent-playground (and used in 02-interpolation-failure).
"""

from __future__ import annotations

import numpy as np
import traitlets
from matplotlib.figure import Figure

from vae_tutorial import latent
from vae_tutorial._checks import IMAGE_SIDE
from vae_tutorial.models import check_model
from vae_tutorial.widgets.base import Explorer, Slider, check_one_image, check_scale, input_pixels
from vae_tutorial.widgets.snapshot import Snapshot
from vae_tutorial.widgets.still import draw_decoded_rows, footer, rows_axes

__all__ = ["InterpolationExplorer"]


def _check_named_models(named_models) -> dict:
    if not isinstance(named_models, dict):
        raise TypeError(f"named_models must be a dict {{name: model}}, got {type(named_models).__name__}")
    if not named_models:
        raise ValueError("named_models must hold at least one model, got an empty dict")
    for name, model in named_models.items():
        if not isinstance(name, str):
            raise TypeError(f"model names must be strings, got {name!r}")
        check_model(model, name=f"named_models[{name!r}]")
    return dict(named_models)


class InterpolationExplorer(Explorer):
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
        start = check_one_image(start_image, "start_image")
        end = check_one_image(end_image, "end_image")
        scale = check_scale(scale)
        self._inputs = (start, end)
        self._snapshots = {name: Snapshot(m) for name, m in self.models.items()}
        self.endpoints = {}
        for name, m in self.models.items():
            codes = latent.encodings(m, np.stack([start, end])).astype(np.float64)
            self.endpoints[name] = (codes[0], codes[1])
        spec = {
            "kind": "interpolation", "css_class": "vae-interpolation-explorer", "names": list(self.models),
            "scale": scale, "decoders": [s.spec() for s in self._snapshots.values()],
            "endpoints": [[z0.tolist(), z1.tolist()] for z0, z1 in self.endpoints.values()],
            "inputs": [input_pixels(image).tobytes() for image in self._inputs],
        }
        super().__init__(spec=spec, t=0.0)
        self.add_class("vae-interpolation-explorer")
        self.slider = Slider("t", 0.0, 1.0, 0.01, lambda: self.t, lambda v: setattr(self, "t", v))

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
        inputs[0], inputs[-1] = input_pixels(self._inputs[0]), input_pixels(self._inputs[1])
        rows = [inputs] + [s.pixels(np.stack([self.z(name, t) for t in ts])) for name, s in self._snapshots.items()]
        fig = Figure(figsize=(1.5 + 0.8 * steps, 1.2 + 0.8 * len(rows)))
        ax = rows_axes(fig, ["input images", *self._snapshots])
        draw_decoded_rows(ax, np.stack(rows), row_labels=["input images", *self._snapshots],
                           col_labels=[f"{t:.2f}" for t in ts], xlabel="t (0: start image, 1: end image)")
        ax.axhline(IMAGE_SIDE - 0.5, color="black", linewidth=0.8)
        ax.set(ylabel="model", title="Decoding the straight latent path (1 - t) z_start + t z_end")
        footer(fig)
        return fig


