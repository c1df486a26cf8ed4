"""Losses: Bernoulli reconstruction, the Gaussian KL term, and the negative ELBO.

All losses are in nats per image. Introduced in 01-autoencoder (reconstruction) and
06-the-elbo (KL and negative ELBO). What is measured about a trained VAE is elsewhere: how tight the
bound is in :mod:`vae_tutorial.evidence_bounds`, how VAEs fail in :mod:`vae_tutorial.diagnostics`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from vae_tutorial import sampling
from vae_tutorial._checks import IMAGE_PIXELS, IMAGE_SIDE, check_images, check_positive_int

__all__ = [
    "bernoulli_reconstruction", "gaussian_kl", "gaussian_kl_per_dimension", "elbo_terms", "negative_elbo",
    "autoencoder_terms", "autoencoder_loss",
]


def bernoulli_reconstruction(logits: jax.Array, images: jax.Array) -> jax.Array:
    """Binary cross-entropy of each image under per-pixel Bernoulli logits, summed over pixels.

    This is -log p(x|z) when each pixel intensity is read as the probability of a Bernoulli
    variable (the usual treatment of MNIST intensities in [0, 1]).

    Args:
        logits: ``[n, 28, 28]`` or ``[n, 784]`` decoder logits.
        images: ``[n, 28, 28]`` or ``[n, 784]`` targets in [0, 1].

    Returns:
        ``[n]`` reconstruction losses in nats.

    Raises:
        ValueError: when ``logits`` is not ``[n, 28, 28]`` or ``[n, 784]`` for the same ``n``
            as ``images`` (another shape with the same number of elements is not reshaped).
    """
    images = check_images(images)
    shape = tuple(jnp.shape(logits))
    if shape not in ((images.shape[0], IMAGE_PIXELS), (images.shape[0], IMAGE_SIDE, IMAGE_SIDE)):
        raise ValueError(f"logits must have shape [{images.shape[0]}, 28, 28] or [{images.shape[0]}, {IMAGE_PIXELS}] "
                         f"to match the images, got {shape}")
    logits = jnp.reshape(logits, images.shape)
    return optax.sigmoid_binary_cross_entropy(logits, images).sum(axis=-1)


def gaussian_kl(mean: jax.Array, log_var: jax.Array) -> jax.Array:
    """KL(N(mean, diag(exp(log_var))) || N(0, I)) in closed form, summed over latent dimensions.

    KL = 1/2 * sum(exp(log_var) + mean**2 - 1 - log_var).

    Args:
        mean: ``[..., latent]`` means.
        log_var: ``[..., latent]`` log-variances.

    Returns:
        ``[...]`` KL divergences in nats.
    """
    if jnp.shape(mean) != jnp.shape(log_var):
        raise ValueError(f"mean and log_var must have the same shape, got {jnp.shape(mean)} and {jnp.shape(log_var)}")
    return 0.5 * jnp.sum(jnp.exp(log_var) + mean**2 - 1.0 - log_var, axis=-1)


def gaussian_kl_per_dimension(mean: jax.Array, log_var: jax.Array) -> jax.Array:
    """KL(N(mean, diag(exp(log_var))) || N(0, I)) of each latent dimension separately.

    The closed form of :func:`gaussian_kl` before the sum over dimensions:
    ``1/2 * (exp(log_var) + mean**2 - 1 - log_var)``. A dimension whose KL is close to 0 for
    every image carries no information about the image: q(z_d | x) is the prior.

    Introduced in 07-how-vaes-fail.

    Args:
        mean: ``[..., latent]`` means.
        log_var: ``[..., latent]`` log-variances.

    Returns:
        ``[..., latent]`` KL divergences in nats; they sum to :func:`gaussian_kl`.

    Raises:
        ValueError: if ``mean`` and ``log_var`` differ in shape.
    """
    if jnp.shape(mean) != jnp.shape(log_var):
        raise ValueError(f"mean and log_var must have the same shape, got {jnp.shape(mean)} and {jnp.shape(log_var)}")
    return 0.5 * (jnp.exp(log_var) + mean**2 - 1.0 - log_var)


def elbo_terms(model, images: jax.Array, *, key: jax.Array, num_samples: int = 1) -> tuple[jax.Array, jax.Array]:
    """The two terms of a VAE's negative ELBO for each image.

    Args:
        model: a :class:`vae_tutorial.models.VAE` (anything with ``encode -> (mean, log_var)``
            and ``decode_logits``).
        images: ``[n, 28, 28]`` or ``[n, 784]`` in [0, 1].
        key: random key for the reparameterized samples.
        num_samples: Monte Carlo samples of z per image for the reconstruction term.

    Returns:
        ``(reconstruction, kl)``, each ``[n]`` in nats: the expected -log p(x|z) under q(z|x)
        (Monte Carlo) and KL(q(z|x) || N(0, I)) (exact).
    """
    num_samples = check_positive_int(num_samples, "num_samples")
    flat = check_images(images)
    mean, log_var = model.encode(flat)
    keys = jax.random.split(key, num_samples)
    z = jax.vmap(lambda k: sampling.reparameterize(k, mean, log_var))(keys)  # [s, n, latent]
    logits = model.decode_logits(z.reshape(-1, mean.shape[-1]))  # [s*n, 28, 28]
    targets = jnp.broadcast_to(flat, (num_samples, *flat.shape)).reshape(-1, flat.shape[-1])
    reconstruction = bernoulli_reconstruction(logits, targets).reshape(num_samples, -1).mean(axis=0)
    return reconstruction, gaussian_kl(mean, log_var)


def negative_elbo(model, images: jax.Array, *, key: jax.Array, num_samples: int = 1) -> jax.Array:
    """Mean negative evidence lower bound of a VAE, in nats per image.

    -ELBO(x) = E_{q(z|x)}[-log p(x|z)] + KL(q(z|x) || N(0, I)), averaged over the batch.

    Args:
        model: a :class:`vae_tutorial.models.VAE`.
        images: ``[n, 28, 28]`` or ``[n, 784]`` in [0, 1].
        key: random key for the reparameterized samples.
        num_samples: Monte Carlo samples of z per image.

    Returns:
        A scalar: the batch mean of -ELBO.
    """
    reconstruction, kl = elbo_terms(model, images, key=key, num_samples=num_samples)
    return jnp.mean(reconstruction + kl)


def autoencoder_terms(model, images: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The loss terms of a deterministic autoencoder for each image, shaped like :func:`elbo_terms`.

    Args:
        model: a :class:`vae_tutorial.models.Autoencoder`.
        images: ``[n, 28, 28]`` or ``[n, 784]`` in [0, 1].

    Returns:
        ``(reconstruction, kl)``, each ``[n]`` in nats: the Bernoulli reconstruction loss of the
        decoded code, and zeros (an autoencoder has no prior, so no KL term).
    """
    flat = check_images(images)
    reconstruction = bernoulli_reconstruction(model.decode_logits(model.encode(flat)), flat)
    return reconstruction, jnp.zeros_like(reconstruction)


def autoencoder_loss(model, images: jax.Array) -> jax.Array:
    """Mean reconstruction loss of a deterministic autoencoder, in nats per image (a scalar)."""
    return jnp.mean(autoencoder_terms(model, images)[0])
