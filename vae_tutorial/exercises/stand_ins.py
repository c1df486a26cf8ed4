"""Small stand-ins for the course's models, for checks that need a model: fixed random linear layers.

Building a real Flax model costs seconds on first use; these cost nothing and behave the same way
for a check.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from flax import nnx

from vae_tutorial import losses
from vae_tutorial.exercises.feedback import PIXELS
from vae_tutorial.models import LatentModel

__all__ = ["TinyAutoencoder", "TinyVAE"]


class TinyAutoencoder(LatentModel):
    """A stand-in for ``models.Autoencoder``: a :class:`~vae_tutorial.models.LatentModel` of linear layers with fixed random weights.

    Building a real Flax model costs seconds on first use; this costs nothing and behaves the same way
    for a check (``encode``/``code`` to ``[n, 2]``, ``decode_logits``/``decode`` to ``[n, 28, 28]``).
    """

    latent_dim, is_variational = 2, False

    def __init__(self, seed: int = 0, outputs: int = 2):
        rng = np.random.default_rng(seed)
        self.w_in = nnx.Param(jnp.asarray(rng.normal(0, 0.05, size=(PIXELS, outputs)), jnp.float32))
        self.w_out = nnx.Param(jnp.asarray(rng.normal(0, 1.0, size=(2, PIXELS)), jnp.float32))
        self.b_out = nnx.Param(jnp.asarray(rng.normal(0, 0.5, size=PIXELS), jnp.float32))

    def _flat(self, images):
        return jnp.reshape(jnp.asarray(images, jnp.float32), (len(images), PIXELS))

    def encode(self, images):
        return self._flat(images) @ self.w_in[...]

    def code(self, images):
        return self.encode(images)

    def decode_logits(self, z):
        z = jnp.atleast_2d(jnp.asarray(z, jnp.float32))
        return (z @ self.w_out[...] + self.b_out[...]).reshape(-1, 28, 28)

    @property
    def decoder_activation(self) -> str:
        return "relu"  # one layer: no activation is applied

    def decoder_layers(self):
        return [(np.asarray(self.w_out[...], np.float32), np.asarray(self.b_out[...], np.float32))]

    def loss_terms(self, images, *, key=None, num_samples: int = 1):
        return losses.autoencoder_terms(self, images)

    def config(self) -> dict:
        return {}

    def __call__(self, images):
        return self.decode_logits(self.encode(images))


class TinyVAE(TinyAutoencoder):
    """A stand-in for ``models.VAE``: ``encode`` gives ``(mean, log_var)``; ``code`` the mean."""

    is_variational = True

    def __init__(self, seed: int = 0):
        super().__init__(seed, outputs=4)

    def encode(self, images):
        out = self._flat(images) @ self.w_in[...]
        return out[:, :2], out[:, 2:] - 1.0

    def code(self, images):
        return self.encode(images)[0]

    def loss_terms(self, images, *, key, num_samples: int = 1):
        return losses.elbo_terms(self, images, key=key, num_samples=num_samples)
