"""Options of the one training objective: free bits, KL warm-up, a Gaussian likelihood; rate and distortion.

The course trains every latent model on ``reconstruction + beta * kl`` (``train.latent_objective``).
The VAEs people use change that objective in three common ways, each a small pure function here:

* :func:`free_bits_kl` (Kingma et al. 2016): each latent dimension's KL, averaged over the batch, is
  charged only above ``lambda_`` nats, so the optimiser gains nothing by pushing a dimension below
  that: it stops dimensions from collapsing onto the prior.
* :func:`kl_weight` (Bowman et al. 2016; Sønderby et al. 2016): the KL weight grows linearly from 0
  to 1 over the first ``warmup_steps`` steps, so the decoder learns to use z before the KL term
  pulls every q(z|x) onto the prior.
* :func:`gaussian_reconstruction`: -log N(x; decoder mean, sigma^2 I) instead of the Bernoulli
  cross-entropy. ``SSE / (2 sigma^2) + KL`` is, times ``2 sigma^2``, ``SSE + 2 sigma^2 KL``: sigma^2 is a
  hidden beta (:func:`hidden_beta`), and "MSE + KL" with any weight picks one.

:func:`free_bits_objective`, :func:`gaussian_objective` and :func:`mse_objective` are losses for
``train.fit(..., loss=...)``; ``train.fit(free_bits=..., kl_warmup_steps=...)`` uses the first two. Rate and distortion (Alemi et
al. 2018) are the two terms that ``train.evaluate`` already returns: rate = the KL term, distortion =
the reconstruction term; :func:`rate_distortion` names them. Introduced in 11-vaes-people-use.

References:
    D. P. Kingma, T. Salimans, R. Jozefowicz, X. Chen, I. Sutskever, M. Welling, "Improved
    Variational Inference with Inverse Autoregressive Flow", NeurIPS 2016 (free bits).
    S. R. Bowman, L. Vilnis, O. Vinyals, A. M. Dai, R. Jozefowicz, S. Bengio, "Generating Sentences
    from a Continuous Space", CoNLL 2016 (KL annealing).
    C. K. Sønderby, T. Raiko, L. Maaløe, S. K. Sønderby, O. Winther, "Ladder Variational
    Autoencoders", NeurIPS 2016 (warm-up).
    A. A. Alemi, B. Poole, I. Fischer, J. V. Dillon, R. A. Saurous, K. Murphy, "Fixing a Broken
    ELBO", ICML 2018.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from vae_tutorial import losses, sampling
from vae_tutorial._checks import IMAGE_PIXELS, check_images

__all__ = ["free_bits_kl", "kl_weight", "gaussian_reconstruction", "hidden_beta", "free_bits_objective",
           "gaussian_objective", "mse_objective", "rate_distortion"]


def _check_nonnegative(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not math.isfinite(value):
        raise TypeError(f"{name} must be a finite number, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return float(value)


def free_bits_kl(kl_per_dim: jax.Array, *, lambda_: float) -> jax.Array:
    """The free-bits KL term of a batch: ``sum_d max(lambda_, mean_over_batch(KL_d))``, in nats.

    Kingma et al. (2016) average each latent dimension's KL over the minibatch, then charge at least
    ``lambda_`` nats for it: below ``lambda_`` the term is constant, so its gradient is zero and the
    reconstruction is free to use that dimension. With ``lambda_ = 0`` it is the batch mean of the
    ordinary KL (:func:`vae_tutorial.losses.gaussian_kl`).

    Args:
        kl_per_dim: ``[batch, latent]`` KL of each dimension of each image
            (:func:`vae_tutorial.losses.gaussian_kl_per_dimension`).
        lambda_: the free nats per dimension (>= 0).

    Returns:
        A scalar: the KL term to add (times beta) to the batch-mean reconstruction.
    """
    lambda_ = _check_nonnegative(lambda_, "lambda_")
    if jnp.ndim(kl_per_dim) != 2:
        raise ValueError(f"kl_per_dim must be [batch, latent], got shape {jnp.shape(kl_per_dim)}")
    return jnp.sum(jnp.maximum(jnp.mean(kl_per_dim, axis=0), lambda_))


def kl_weight(step, *, warmup_steps: int):
    """The KL weight of linear warm-up at training step ``step`` (0-based): ``min(1, (step + 1) / warmup_steps)``.

    The first step already has a small weight ``1 / warmup_steps``; from step ``warmup_steps - 1`` on
    the weight is 1 (multiply by beta for a beta-VAE). ``warmup_steps = 0`` means no warm-up (always 1).
    Works on Python integers and on traced JAX integers.
    """
    if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, (int, np.integer)) or warmup_steps < 0:
        raise ValueError(f"warmup_steps must be an integer >= 0, got {warmup_steps!r}")
    if warmup_steps == 0:
        return jnp.ones_like(jnp.asarray(step, jnp.float32))
    return jnp.minimum(1.0, (jnp.asarray(step, jnp.float32) + 1.0) / warmup_steps)


def gaussian_reconstruction(mean_images: jax.Array, images: jax.Array, *, sigma: float) -> jax.Array:
    """-log N(x; mean, sigma^2 I) of each image, summed over the 784 pixels: ``[n]`` nats.

    ``SSE / (2 sigma^2) + 784/2 * log(2 pi sigma^2)`` with ``SSE = sum (x - mean)^2``. The constant
    does not move the optimum; the ``1 / (2 sigma^2)`` in front of the SSE does (see :func:`hidden_beta`).
    """
    sigma = _check_nonnegative(sigma, "sigma")
    if sigma == 0:
        raise ValueError("sigma must be > 0")
    flat = check_images(images)
    mean = jnp.reshape(mean_images, flat.shape)
    sse = jnp.sum((flat - mean) ** 2, axis=-1)
    return sse / (2 * sigma**2) + 0.5 * IMAGE_PIXELS * math.log(2 * math.pi * sigma**2)


def hidden_beta(*, sigma: float | None = None, kl_weight_on_sse: float | None = None) -> float:
    """The beta that a Gaussian likelihood (or an "SSE + w KL" loss) sets, on the scale of "SSE + beta KL".

    ``SSE / (2 sigma^2) + KL`` has the minimiser of ``SSE + 2 sigma^2 KL``: the beta is ``2 sigma^2``.
    A loss ``SSE + w KL`` is that Gaussian with ``sigma^2 = w / 2``. "Mean squared error + KL" (the mean
    over 784 pixels) is ``SSE + 784 KL``. Give exactly one of the two arguments.
    """
    if (sigma is None) == (kl_weight_on_sse is None):
        raise ValueError("give exactly one of sigma and kl_weight_on_sse")
    if sigma is not None:
        return 2.0 * _check_nonnegative(sigma, "sigma") ** 2
    return _check_nonnegative(kl_weight_on_sse, "kl_weight_on_sse")


def _encode_sample(model, images, key):
    flat = check_images(images)
    mean, log_var = model.encode(flat)
    # The same draw as losses.elbo_terms with one sample (its key split once), so lambda_ = 0 is that objective.
    z = sampling.reparameterize(jax.random.split(key, 1)[0], mean, log_var)
    return flat, mean, log_var, model.decode_logits(z)


@functools.cache
def free_bits_objective(lambda_: float):
    """A ``train.fit`` loss: batch-mean Bernoulli reconstruction + ``beta * free_bits_kl(.., lambda_=lambda_)``.

    Cached per ``lambda_``, so the same value returns the same function (and never recompiles).
    Its metrics report the ordinary KL (``"kl"``), the one the ELBO holds.
    """
    lambda_ = _check_nonnegative(lambda_, "lambda_")

    def loss(model, batch, key, beta):
        flat, mean, log_var, logits = _encode_sample(model, batch["images"], key)
        reconstruction = losses.bernoulli_reconstruction(logits, flat).mean()
        per_dim = losses.gaussian_kl_per_dimension(mean, log_var)
        return (reconstruction + beta * free_bits_kl(per_dim, lambda_=lambda_),
                {"reconstruction": reconstruction, "kl": per_dim.sum(-1).mean()})

    loss.__name__ = loss.__qualname__ = f"free_bits_objective_{lambda_:g}"
    return loss


@functools.cache
def gaussian_objective(sigma: float):
    """A ``train.fit`` loss: Gaussian reconstruction with a fixed ``sigma`` (on the sigmoid of the logits) + beta * KL."""
    sigma = _check_nonnegative(sigma, "sigma")

    def loss(model, batch, key, beta):
        flat, mean, log_var, logits = _encode_sample(model, batch["images"], key)
        reconstruction = gaussian_reconstruction(nnx.sigmoid(logits), flat, sigma=sigma).mean()
        kl = losses.gaussian_kl(mean, log_var).mean()
        return reconstruction + beta * kl, {"reconstruction": reconstruction, "kl": kl}

    loss.__name__ = loss.__qualname__ = f"gaussian_objective_{sigma:g}"
    return loss


def mse_objective(model, batch, key, beta):
    """A ``train.fit`` loss: the mean squared error over pixels + beta * KL (a common "VAE loss" in tutorials).

    Per image that is ``SSE / 784 + KL``: the same minimiser as ``SSE + 784 KL`` (:func:`hidden_beta`).
    """
    flat, mean, log_var, logits = _encode_sample(model, batch["images"], key)
    mse = jnp.mean((flat - nnx.sigmoid(logits).reshape(flat.shape)) ** 2)
    kl = losses.gaussian_kl(mean, log_var).mean()
    return mse + beta * kl, {"reconstruction": mse, "kl": kl}


def rate_distortion(evaluation: dict[str, float]) -> tuple[float, float]:
    """``(rate, distortion)`` in nats from a ``train.evaluate`` result: rate = the KL term, distortion = reconstruction.

    Alemi et al. (2018): the negative ELBO is ``distortion + rate``; a beta-VAE minimises
    ``distortion + beta * rate``, so beta picks a point on the curve of the best distortion at each rate.
    """
    return float(evaluation["kl"]), float(evaluation["reconstruction"])
