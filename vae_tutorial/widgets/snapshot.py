"""The decoder as the browser gets it: the weights a widget sends, and a NumPy decoder that uses exactly those.

Every explorer sends its model's decoder once (``spec["decoder"]``: per layer ``n_in``, ``n_out``,
the dtype sent and the little-endian bytes of the kernel and bias); ``vae_tutorial/explorer.js``
decodes with them in the browser. :class:`Snapshot` keeps the same numbers and decodes them in
NumPy the way the browser does, so a test (or :meth:`LatentExplorer.pixels
<vae_tutorial.widgets.LatentExplorer.pixels>`) can say what the browser paints. The weights travel
as float32; with ``VAE_TUTORIAL_WIDGET_WEIGHTS=float16`` (set by ``make site``) the largest matrix
travels as float16.

Introduced in 09-latent-playground.
"""

from __future__ import annotations

import os

import numpy as np

from vae_tutorial._checks import IMAGE_SIDE

__all__ = ["Snapshot", "grey", "WEIGHTS_ENV", "NUMPY_ACTIVATIONS"]

#: Environment variable that sets how the largest weight matrix travels: "float32" (default) or "float16".
WEIGHTS_ENV = "VAE_TUTORIAL_WIDGET_WEIGHTS"
_HALF_ABOVE = 65_536  # matrices with more entries travel as float16 when WEIGHTS_ENV says so
#: The activations the browser knows, in NumPy (``explorer.js`` has the same three).
NUMPY_ACTIVATIONS = {"relu": lambda x: np.maximum(x, 0.0), "tanh": np.tanh,
                     "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))}


class Snapshot:
    """A model's decoder weights as sent to the browser, and a NumPy decoder that uses exactly those.

    Args:
        model: a :class:`~vae_tutorial.models.LatentModel`; its ``decoder_layers()`` and
            ``decoder_activation`` are what is sent.
    """

    def __init__(self, model):
        dtype = os.environ.get(WEIGHTS_ENV, "float32")
        if dtype not in ("float32", "float16"):
            raise ValueError(f"{WEIGHTS_ENV} must be float32 or float16, got {dtype!r}")
        self.latent_dim, self.activation = model.latent_dim, model.decoder_activation
        if self.activation not in NUMPY_ACTIVATIONS:
            raise ValueError(f"the browser decodes with {sorted(NUMPY_ACTIVATIONS)} between layers; this model's "
                             f"decoder uses {self.activation!r}")
        self.layers = []  # (kernel [n_in, n_out], bias [n_out], dtype sent)
        for kernel, bias in model.decoder_layers():
            kernel = np.asarray(kernel, np.float32)
            sent = "float16" if dtype == "float16" and kernel.size > _HALF_ABOVE else "float32"
            kernel = kernel.astype(sent).astype(np.float32)
            self.layers.append((kernel, np.asarray(bias, np.float32), sent))

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
                x = NUMPY_ACTIVATIONS[self.activation](x)
        return 1.0 / (1.0 + np.exp(-x))

    def pixels(self, z) -> np.ndarray:
        """Codes ``[n, latent]`` to grey levels ``uint8 [n, 28, 28]`` (dark ink on white)."""
        return grey(self.decode(z))


def grey(intensities) -> np.ndarray:
    return np.round((1.0 - np.asarray(intensities)) * 255.0).astype(np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
