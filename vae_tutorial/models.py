"""The autoencoder and the variational autoencoder, as Flax NNX modules.

Both use multilayer perceptrons (by default one hidden layer of 512 units, close to the 500
that Kingma and Welling used for MNIST) and a decoder that outputs one Bernoulli logit per
pixel. Introduced in 01-autoencoder (``Autoencoder``) and 03-vae-sampling-problem (``VAE``).
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from vae_tutorial import checkpoints, losses, sampling
from vae_tutorial._checks import IMAGE_PIXELS, IMAGE_SIDE, check_images, check_latent, check_positive_int

__all__ = ["MLP", "Autoencoder", "VAE", "LatentModel", "MODEL_CLASSES", "ACTIVATIONS", "check_model", "require_vae"]

ACTIVATIONS = {"relu": nnx.relu, "tanh": jnp.tanh, "elu": nnx.elu}

# Speed, not maths: the weights are drawn by one compiled initializer per shape (Flax's default,
# LeCun normal, with the same values) instead of a dozen small programs compiled one by one.
_LECUN_NORMAL = jax.jit(nnx.initializers.lecun_normal(), static_argnums=(1, 2))


class MLP(nnx.Module):
    """A stack of dense layers with a nonlinearity between them (none after the last).

    Args:
        sizes: layer widths including input and output, e.g. ``(784, 512, 2)``.
        activation: name of the hidden nonlinearity, one of ``ACTIVATIONS``.
        rngs: random streams; ``params`` initialises the weights.
    """

    def __init__(self, sizes: Sequence[int], *, activation: str = "relu", rngs: nnx.Rngs):
        self.layers = nnx.List(
            [nnx.Linear(n_in, n_out, kernel_init=_LECUN_NORMAL, rngs=rngs) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        )
        self.activation = activation

    def __call__(self, x: jax.Array) -> jax.Array:
        """Map ``[batch, sizes[0]]`` to ``[batch, sizes[-1]]``."""
        act = ACTIVATIONS[self.activation]
        for layer in self.layers[:-1]:
            x = act(layer(x))
        return self.layers[-1](x)


def _check_config(latent_dim, hidden_sizes, activation) -> tuple[int, tuple[int, ...]]:
    latent_dim = check_positive_int(latent_dim, "latent_dim")
    hidden = tuple(check_positive_int(h, "each hidden size") for h in hidden_sizes)
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    return latent_dim, hidden


class LatentModel(nnx.Module):
    """The interface both models share, so training, evaluation, latent tools and widgets are written once.

    * ``code(images)``: where the model puts each image, ``[n, 28, 28]`` or ``[n, 784]`` to
      ``[n, latent_dim]`` (the point encoding of an autoencoder, the mean of q(z|x) for a VAE).
    * ``decode_logits(z)`` / ``decode(z)``: codes ``[n, latent_dim]`` to Bernoulli logits or
      pixel intensities ``[n, 28, 28]``.
    * ``loss_terms(images, *, key, num_samples=1)``: ``(reconstruction, kl)``, each ``[n]`` in
      nats; ``kl`` is zero for an autoencoder. Training minimises ``reconstruction + beta * kl``;
      for a VAE with ``beta = 1`` that is the negative ELBO (assembled in
      :func:`vae_tutorial.losses.elbo_terms`).
    * ``is_variational``: True for a model with a stochastic encoder and a prior N(0, I); its
      ``encode`` then returns ``(mean, log_var)`` of q(z|x), else the codes.
    * ``decoder_layers()``: the decoder as plain arrays, ``[(kernel [n_in, n_out], bias [n_out]), ...]``
      with ``decoder_activation`` between them (none after the last), which is what the widgets
      send to the browser.
    * ``config()``: the constructor arguments, as stored in checkpoints.

    Being a ``LatentModel`` is the one test of what a model is (:func:`check_model`,
    :func:`require_vae`): a new model subclasses it and keeps these promises. A model whose decoder
    is not an :class:`MLP` overrides ``decode_logits`` and ``decoder_layers``.
    """

    latent_dim: int
    decoder: MLP
    is_variational: bool = False

    @property
    def decoder_activation(self) -> str:
        """The name of the decoder's hidden nonlinearity, one of ``ACTIVATIONS``."""
        return self.decoder.activation

    def decoder_layers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The decoder's dense layers as float32 NumPy arrays: ``[(kernel [n_in, n_out], bias [n_out]), ...]``.

        Applying them in order, with ``decoder_activation`` between them, gives ``decode_logits`` (flattened).
        """
        return [(np.asarray(layer.kernel[...], np.float32), np.asarray(layer.bias[...], np.float32))
                for layer in self.decoder.layers]

    def decode_logits(self, z: jax.Array) -> jax.Array:
        """Bernoulli logits of each pixel, ``[n, latent_dim] -> [n, 28, 28]``."""
        z = check_latent(z, self.latent_dim)
        return self.decoder(z).reshape(z.shape[0], IMAGE_SIDE, IMAGE_SIDE)

    def decode(self, z: jax.Array) -> jax.Array:
        """Pixel intensities in [0, 1], ``[n, latent_dim] -> [n, 28, 28]``."""
        return nnx.sigmoid(self.decode_logits(z))

    def code(self, images: jax.Array) -> jax.Array:  # pragma: no cover - each model defines it
        raise NotImplementedError

    def loss_terms(self, images: jax.Array, *, key: jax.Array, num_samples: int = 1):  # pragma: no cover
        raise NotImplementedError

    def config(self) -> dict:
        """The constructor arguments, as stored in checkpoints."""
        return {
            "latent_dim": self.latent_dim,
            "hidden_sizes": list(self.hidden_sizes),
            "activation": self.activation,
        }


@checkpoints.register
class Autoencoder(LatentModel):
    """A deterministic autoencoder: ``encode`` gives one point per image, ``decode`` maps it back.

    Args:
        latent_dim: size of the embedding (2 lets us draw it).
        hidden_sizes: hidden widths of the encoder; the decoder mirrors them.
        activation: hidden nonlinearity (``"relu"``, ``"tanh"`` or ``"elu"``).
        rngs: ``nnx.Rngs`` with a ``params`` stream for the initial weights.

    Example:
        >>> model = Autoencoder(2, rngs=nnx.Rngs(params=0))
        >>> model.encode(jnp.zeros((5, 28, 28))).shape
        (5, 2)
    """

    def __init__(self, latent_dim: int = 2, *, hidden_sizes: Sequence[int] = (512,),
                 activation: str = "relu", rngs: nnx.Rngs):
        latent_dim, hidden = _check_config(latent_dim, hidden_sizes, activation)
        self.latent_dim, self.hidden_sizes, self.activation = latent_dim, hidden, activation
        self.encoder = MLP((IMAGE_PIXELS, *hidden, latent_dim), activation=activation, rngs=rngs)
        self.decoder = MLP((latent_dim, *hidden[::-1], IMAGE_PIXELS), activation=activation, rngs=rngs)

    is_variational = False

    def encode(self, images: jax.Array) -> jax.Array:
        """Embed images: ``[n, 28, 28]`` or ``[n, 784]`` in [0, 1] to codes ``[n, latent_dim]``."""
        return self.encoder(check_images(images))

    def code(self, images: jax.Array) -> jax.Array:
        """The point encoding, ``[n, 28, 28]``/``[n, 784]`` to ``[n, latent_dim]`` (same as ``encode``)."""
        return self.encode(images)

    def loss_terms(self, images: jax.Array, *, key: jax.Array | None = None, num_samples: int = 1):
        """``(reconstruction [n], kl [n])`` in nats; the KL is zero (see :func:`losses.autoencoder_terms`). ``key`` is unused."""
        return losses.autoencoder_terms(self, images)

    def __call__(self, images: jax.Array) -> jax.Array:
        """Reconstruction logits ``[n, 28, 28]`` of ``images``."""
        return self.decode_logits(self.encode(images))


@checkpoints.register
class VAE(LatentModel):
    """A variational autoencoder with a diagonal Gaussian encoder and a Bernoulli decoder.

    The encoder outputs the mean and the log-variance of q(z|x) = N(mean, diag(exp(log_var)));
    the standard deviation is ``exp(log_var / 2)``.

    Args:
        latent_dim: size of the latent space.
        hidden_sizes: hidden widths of the encoder; the decoder mirrors them.
        activation: hidden nonlinearity (``"relu"``, ``"tanh"`` or ``"elu"``).
        rngs: ``nnx.Rngs`` with a ``params`` stream for the initial weights.

    Example:
        >>> model = VAE(2, rngs=nnx.Rngs(params=0))
        >>> mean, log_var = model.encode(jnp.zeros((5, 784)))
        >>> mean.shape, log_var.shape
        ((5, 2), (5, 2))
    """

    def __init__(self, latent_dim: int = 2, *, hidden_sizes: Sequence[int] = (512,),
                 activation: str = "relu", rngs: nnx.Rngs):
        latent_dim, hidden = _check_config(latent_dim, hidden_sizes, activation)
        self.latent_dim, self.hidden_sizes, self.activation = latent_dim, hidden, activation
        self.encoder = MLP((IMAGE_PIXELS, *hidden, 2 * latent_dim), activation=activation, rngs=rngs)
        self.decoder = MLP((latent_dim, *hidden[::-1], IMAGE_PIXELS), activation=activation, rngs=rngs)

    def encode(self, images: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Parameters of q(z|x): images ``[n, 28, 28]``/``[n, 784]`` to ``(mean, log_var)``, each ``[n, latent_dim]``."""
        out = self.encoder(check_images(images))
        return out[:, : self.latent_dim], out[:, self.latent_dim :]

    is_variational = True

    def code(self, images: jax.Array) -> jax.Array:
        """The mean of q(z|x): ``[n, 28, 28]``/``[n, 784]`` to ``[n, latent_dim]``."""
        return self.encode(images)[0]

    def loss_terms(self, images: jax.Array, *, key: jax.Array, num_samples: int = 1):
        """The negative ELBO's two terms ``(reconstruction [n], kl [n])`` in nats (see :func:`losses.elbo_terms`)."""
        return losses.elbo_terms(self, images, key=key, num_samples=num_samples)

    def __call__(self, images: jax.Array, *, key: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        """Encode, sample z with the reparameterization trick, decode.

        Args:
            images: ``[n, 28, 28]`` or ``[n, 784]`` in [0, 1].
            key: a JAX random key for the noise eps ~ N(0, I).

        Returns:
            ``(logits, mean, log_var)``: reconstruction logits ``[n, 28, 28]`` and the
            encoder's ``[n, latent_dim]`` outputs.
        """
        mean, log_var = self.encode(images)
        z = sampling.reparameterize(key, mean, log_var)
        return self.decode_logits(z), mean, log_var


MODEL_CLASSES = {"Autoencoder": Autoencoder, "VAE": VAE}


def check_model(model, name: str = "model") -> LatentModel:
    """Return ``model`` if it is a :class:`LatentModel`, else raise a TypeError that says what was expected."""
    if not isinstance(model, LatentModel):
        raise TypeError(f"{name} must be a vae_tutorial model (an Autoencoder, a VAE or another models.LatentModel, "
                        f"e.g. pretrained.load('vae-2d')), got {type(model).__name__}")
    return model


def require_vae(model, name: str) -> LatentModel:
    """Return ``model`` if it is a variational :class:`LatentModel` (encode gives (mean, log_var), prior N(0, I))."""
    if not isinstance(model, LatentModel) or not model.is_variational:
        raise TypeError(f"{name} needs a VAE (a model whose encode returns (mean, log_var) and whose prior is "
                        f"N(0, I)), got {type(model).__name__}")
    return model
