"""The conditional explorer: one style code z, ten labels; the same handwriting drawn as every digit.

Introduced in 11-vaes-people-use.
"""

from __future__ import annotations

import numbers

import numpy as np
import traitlets
from matplotlib.figure import Figure

from vae_tutorial.models import check_model
from vae_tutorial.widgets.base import Explorer, check_name, check_scale
from vae_tutorial.widgets.snapshot import NUMPY_ACTIVATIONS, Snapshot, grey
from vae_tutorial.widgets.still import footer, margins

__all__ = ["ConditionalExplorer", "STYLE_RANGE", "STYLE_STEP", "NUM_DIGITS"]

#: The range of each style slider (the prior N(0, 1) puts 99.7% of its mass inside) and its step.
STYLE_RANGE = (-3.0, 3.0)
STYLE_STEP = 0.01
NUM_DIGITS = 10


def _check_z(z, latent_dim: int) -> list[float]:
    if isinstance(z, (str, bytes)) or not hasattr(z, "__len__"):
        raise TypeError(f"z must be {latent_dim} numbers (the style code), got {z!r}")
    values = np.asarray(z, np.float64) if all(isinstance(v, numbers.Real) and not isinstance(v, bool)
                                               for v in np.asarray(z, object).reshape(-1)) else None
    if values is None:
        raise TypeError(f"z must be {latent_dim} numbers (the style code), got {z!r}")
    if values.shape != (latent_dim,):
        raise ValueError(f"z must hold {latent_dim} numbers (one per slider), got shape {values.shape}")
    lo, hi = STYLE_RANGE
    if not np.all(np.isfinite(values)) or values.min() < lo or values.max() > hi:
        raise ValueError(f"each entry of z must lie in [{lo:g}, {hi:g}] (the sliders' range), got {values.tolist()}")
    return [float(v) for v in values]


def _check_digit(digit) -> int:
    if isinstance(digit, bool) or not isinstance(digit, numbers.Integral):
        raise TypeError(f"digit must be an integer 0 to 9, got {digit!r}")
    if not 0 <= int(digit) < NUM_DIGITS:
        raise ValueError(f"digit must lie in 0 to 9, got {digit}")
    return int(digit)


class ConditionalExplorer(Explorer):
    """A conditional VAE's style code with ten labels: pick a digit and slide the style.

    The decoder of a :class:`~vae_tutorial.variants.ConditionalVAE` reads ``[z, onehot(label)]``.
    The explorer holds one style code z (one slider per latent direction, within [-3, 3]) and
    decodes it twice over in the browser: as the chosen ``digit``, large, and as all ten digits
    in a row, so that moving the style changes the handwriting of every digit at once. Clicking
    a digit button (or one of the ten small images) chooses it. Everything decodes in the
    browser from the decoder's weights, sent once.

    Args:
        model: a ConditionalVAE (e.g. ``people.load_pretrained("cvae-2d")``) with a 2-D code.
        z: the style code to start at, ``latent_dim`` numbers in [-3, 3] (default all 0).
        digit: the label to start at, 0 to 9.
        scale: upscaling of the large 28x28 image, 1 to 16 (the row of ten is drawn at half of it).
        name: optional name shown in the text form.

    Attributes:
        z: synced trait, the style code (list of ``latent_dim`` floats).
        digit: synced trait, the chosen label.
        code: ``float32 [latent_dim + 10]``, the decoder's input ``[z, onehot(digit)]``.

    Raises:
        TypeError: ``model`` is not a ConditionalVAE; ``z`` not numbers; ``digit`` not an integer.
        ValueError: the model's code is not 2-D; ``z`` of the wrong length or outside [-3, 3];
            ``digit`` outside 0 to 9; ``scale`` outside 1 to 16.

    Example:
        >>> explorer = ConditionalExplorer(people.load_pretrained("cvae-2d"), z=(0.5, -1.0), digit=7)
        >>> explorer.pixels().shape      # the ten digits in the style z, as the browser paints them
        (10, 28, 28)
    """

    z = traitlets.List(traitlets.Float()).tag(sync=True)
    digit = traitlets.Int(0).tag(sync=True)

    def __init__(self, model, *, z=None, digit: int = 0, scale: int = 6, name: str | None = None):
        from vae_tutorial.variants import ConditionalVAE  # not at import time: widgets load without variants

        model = check_model(model)
        if not isinstance(model, ConditionalVAE):
            raise TypeError(f"model must be a variants.ConditionalVAE (its decoder reads a label), "
                            f"got {type(model).__name__}")
        if model.latent_dim != 2:
            raise ValueError(f"the explorer slides a 2-D style code; this model's code has {model.latent_dim} dimensions")
        self.latent_dim = model.latent_dim
        z = _check_z((0.0,) * self.latent_dim if z is None else z, self.latent_dim)
        digit = _check_digit(digit)
        scale = check_scale(scale)
        self.model, self.name = model, check_name(name)
        self._snapshot = Snapshot(model)
        if self._snapshot.layers[0][0].shape[0] != self.latent_dim + NUM_DIGITS:
            raise ValueError("the model's decoder does not read [z, onehot(label)]")
        spec = {
            "kind": "conditional", "css_class": "vae-conditional-explorer", "scale": scale,
            "decoder": self._snapshot.spec(), "latent_dim": self.latent_dim, "num_labels": NUM_DIGITS,
            "range": list(STYLE_RANGE), "step": STYLE_STEP,
            "start_z": z, "start_digit": digit,  # the state again, for pages that carry the spec only
        }
        super().__init__(spec=spec, z=z, digit=digit)
        self.add_class("vae-conditional-explorer")

    @traitlets.validate("z")
    def _valid_z(self, proposal):
        return _check_z(proposal["value"], self.latent_dim)

    @traitlets.validate("digit")
    def _valid_digit(self, proposal):
        return _check_digit(proposal["value"])

    @property
    def code(self) -> np.ndarray:
        """The decoder's input for the chosen digit, ``[z, onehot(digit)]``, ``float32 [latent_dim + 10]``."""
        return self.inputs()[self.digit]

    def inputs(self) -> np.ndarray:
        """The decoder's inputs ``[z, onehot(label)]`` for the ten labels, ``float32 [10, latent_dim + 10]``."""
        z = np.broadcast_to(np.asarray(self.z, np.float32), (NUM_DIGITS, self.latent_dim))
        return np.concatenate([z, np.eye(NUM_DIGITS, dtype=np.float32)], axis=1)

    def decode(self, inputs) -> np.ndarray:
        """Decoder inputs ``[n, latent_dim + 10]`` to intensities ``float64 [n, 784]``, computed like the browser."""
        x = np.asarray(inputs, np.float64).reshape(-1, self.latent_dim + NUM_DIGITS)
        layers = self._snapshot.layers
        for k, (w, b, _) in enumerate(layers):
            x = x @ w.astype(np.float64) + b
            if k < len(layers) - 1:
                x = NUMPY_ACTIVATIONS[self._snapshot.activation](x)
        return 1.0 / (1.0 + np.exp(-x))

    def pixels(self) -> np.ndarray:
        """What the browser paints: the style z drawn as each digit 0 to 9, ``uint8 [10, 28, 28]``."""
        return grey(self.decode(self.inputs()))

    def __repr__(self) -> str:
        named = f"{self.name!r}, " if self.name else ""
        style = ", ".join(f"{v:.2f}" for v in self.z)
        return f"ConditionalExplorer({named}z=({style}), digit={self.digit})"

    def static_figure(self) -> Figure:
        """The chosen digit in the style z, and the ten digits in the same style.

        Returns:
            A matplotlib ``Figure`` (not registered with pyplot), with a sentence saying it is static.
        """
        pixels = self.pixels()
        fig = Figure(figsize=(10.5, 2.9))
        big, row = fig.subfigures(1, 2, width_ratios=[1, 4.2])
        ax = big.subplots(gridspec_kw=margins(big, left=0.15, right=0.1, bottom=0.65, top=0.35))
        ax.imshow(pixels[self.digit], cmap="gray", vmin=0, vmax=255)
        ax.set_title(f"digit {self.digit}, z = ({', '.join(f'{v:.2f}' for v in self.z)})", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        axes = row.subplots(1, NUM_DIGITS, gridspec_kw=margins(row, left=0.1, right=0.15, bottom=0.65, top=0.35,
                                                               wspace=0.1, ncols=NUM_DIGITS))
        for label, ax in enumerate(axes):
            ax.imshow(pixels[label], cmap="gray", vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel(str(label))
        row.suptitle("the same style z drawn as each digit", fontsize=10)
        footer(fig)
        return fig
