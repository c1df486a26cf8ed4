"""How tight the ELBO is: the importance-weighted bound on log p(x), and the ELBO of any Gaussian posterior.

The importance-weighted bound L_K and its K log-weights, the ELBO of each image for the encoder's
q(z|x) or any other Gaussian, and per-image optimisation of q (the amortization gap). These measure
a trained VAE; the training loss is :mod:`vae_tutorial.losses`. Introduced in 06-the-elbo.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from vae_tutorial import sampling
from vae_tutorial._checks import check_images, check_positive_int
from vae_tutorial._chunks import chunks
from vae_tutorial.losses import gaussian_kl
from vae_tutorial.models import require_vae

__all__ = ["importance_weighted_bound", "importance_log_weights", "evidence_lower_bound", "optimize_posterior"]

_LOG_2PI = float(np.log(2.0 * np.pi))


def _check_posterior(posterior, n: int, latent_dim: int, name: str):
    """``posterior = (mean, log_var)``, each ``[n, latent_dim]``; returned as float32 arrays."""
    if not isinstance(posterior, (tuple, list)) or len(posterior) != 2:
        raise TypeError(f"{name}: posterior must be a pair (mean, log_var), each [n, latent], got "
                        f"{type(posterior).__name__}")
    mean, log_var = (jnp.asarray(a, dtype=jnp.float32) for a in posterior)
    if mean.shape != (n, latent_dim) or log_var.shape != (n, latent_dim):
        raise ValueError(f"{name}: posterior mean and log_var must each have shape ({n}, {latent_dim}) "
                         f"(one row per image), got {mean.shape} and {log_var.shape}")
    return mean, log_var


def _log_weights(model, flat, mean, log_var, eps):
    """log p(x|z) + log p(z) - log q(z|x) for z = mean + std * eps; eps ``[s, n, latent]`` -> ``[s, n]``."""
    z = mean + jnp.exp(0.5 * log_var) * eps  # [s, n, latent]
    s, n, latent_dim = z.shape
    logits = model.decode_logits(z.reshape(s * n, latent_dim)).reshape(s, n, -1)
    log_px_z = -optax.sigmoid_binary_cross_entropy(logits, flat[None]).sum(-1)
    log_pz = -0.5 * jnp.sum(z**2 + _LOG_2PI, axis=-1)
    log_qz_x = -0.5 * jnp.sum(eps**2 + _LOG_2PI + log_var, axis=-1)
    return log_px_z + log_pz - log_qz_x


def _noise(image_keys, first_sample, count, latent_dim):
    """eps ``[count, n, latent]`` for samples ``first_sample .. first_sample + count - 1`` of each image.

    Sample ``s`` of image ``i`` always comes from ``fold_in(image_keys[i], s)``, so the draws do
    not depend on how images and samples are cut into chunks.
    """
    n = image_keys.shape[0]
    samples = jnp.tile(first_sample + jnp.arange(count), n)  # [n * count], image-major
    keys = jnp.repeat(image_keys, count)
    # One flat vmap (not a nested one): the same numbers, and XLA compiles it faster.
    eps = jax.vmap(lambda k, s: jax.random.normal(jax.random.fold_in(k, s), (latent_dim,)))(keys, samples)
    return eps.reshape(n, count, latent_dim).transpose(1, 0, 2)


def _chunk_log_weights(model, flat, mean, log_var, image_keys, index, num_samples, sample_chunk_size):
    """Log-weights ``[sample_chunk, c]`` of sample chunk ``index``; padded samples beyond K are -inf."""
    first = index * sample_chunk_size
    eps = _noise(image_keys, first, sample_chunk_size, mean.shape[-1])
    log_w = _log_weights(model, flat, mean, log_var, eps)
    valid = (first + jnp.arange(sample_chunk_size) < num_samples)[:, None]
    return jnp.where(valid, log_w, -jnp.inf)


@functools.partial(jax.jit, static_argnames=("graphdef", "num_samples", "sample_chunk_size"))
def _iwae_chunk(params, graphdef, flat, mean, log_var, image_keys, *, num_samples, sample_chunk_size):
    """L_K for one chunk of images ``[c, 784]``: a running logsumexp over chunks of samples."""
    model = nnx.merge(graphdef, params)
    steps = -(-num_samples // sample_chunk_size)  # ceil: the last chunk is padded and masked

    def step(carry, index):
        running_max, running_sum = carry
        log_w = _chunk_log_weights(model, flat, mean, log_var, image_keys, index, num_samples, sample_chunk_size)
        new_max = jnp.maximum(running_max, log_w.max(axis=0))
        running_sum = running_sum * jnp.exp(running_max - new_max) + jnp.exp(log_w - new_max).sum(axis=0)
        return (new_max, running_sum), None

    start = (jnp.full(flat.shape[0], -jnp.inf), jnp.zeros(flat.shape[0]))
    (running_max, running_sum), _ = jax.lax.scan(step, start, jnp.arange(steps))
    return running_max + jnp.log(running_sum) - jnp.log(num_samples)


@functools.partial(jax.jit, static_argnames=("graphdef", "num_samples", "sample_chunk_size"))
def _log_weights_chunk(params, graphdef, flat, mean, log_var, image_keys, *, num_samples, sample_chunk_size):
    """All K log-weights ``[c, K]`` for one chunk of images, computed chunk of samples by chunk."""
    model = nnx.merge(graphdef, params)
    steps = -(-num_samples // sample_chunk_size)
    step = lambda _, index: (None, _chunk_log_weights(model, flat, mean, log_var, image_keys, index,
                                                      num_samples, sample_chunk_size))
    _, log_w = jax.lax.scan(step, None, jnp.arange(steps))  # [steps, sample_chunk, c]
    return log_w.reshape(steps * sample_chunk_size, -1)[:num_samples].T


def _by_image_chunks(core, name, model, images, key, num_samples, chunk_size, sample_chunk_size, posterior):
    """Check the arguments, pad the images to whole chunks, run ``core`` on each chunk, concatenate."""
    require_vae(model, name)
    num_samples = check_positive_int(num_samples, "num_samples")
    sample_chunk_size = min(check_positive_int(sample_chunk_size, "sample_chunk_size"), num_samples)
    flat = check_images(images).astype(jnp.float32)
    n = flat.shape[0]
    if posterior is None:
        mean, log_var = model.encode(flat)
    else:
        mean, log_var = _check_posterior(posterior, n, model.latent_dim, name)
    graphdef, params = nnx.split(model)
    parts = []
    for chunk in chunks(flat, mean, log_var, chunk_size=chunk_size):
        rows = chunk.start + jnp.arange(chunk.blocks[0].shape[0])
        image_keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(rows)
        parts.append(core(params, graphdef, *chunk.blocks, image_keys, num_samples=num_samples,
                          sample_chunk_size=sample_chunk_size)[:chunk.valid])
    return jnp.concatenate(parts)


def importance_weighted_bound(model, images: jax.Array, *, key: jax.Array, num_samples: int,
                              chunk_size: int = 100, sample_chunk_size: int = 100,
                              posterior=None) -> jax.Array:
    """The importance-weighted bound L_K on log p(x) of each image (Burda, Grosse and Salakhutdinov).

    With K independent draws z_k ~ q(z|x) and importance weights
    ``w_k = p(x|z_k) p(z_k) / q(z_k|x)``,

        L_K(x) = E[ log (1/K) sum_k w_k ]  <=  log p(x).

    Each call returns one Monte Carlo draw of the quantity inside the expectation. At K = 1 it
    is a one-sample estimate of the ELBO; its expectation never decreases as K grows and tends
    to log p(x) as K -> infinity. The log of the mean is taken with a logsumexp, so weights of
    order e^-150 do not underflow.

    Memory stays bounded however large ``n`` or ``num_samples`` are: images go through in
    chunks of ``chunk_size`` (the last one padded), and within a chunk the K samples in chunks of
    ``sample_chunk_size``, combined with a running logsumexp (the last sample chunk is padded and
    masked). Every chunk has the same shape, so one compiled program serves them all; the peak
    is about ``chunk_size * sample_chunk_size * 784`` floats times a small factor, independent
    of ``n`` and K. Sample k of image i is drawn from ``fold_in(fold_in(key, i), k)``, so the
    result does not depend on the chunk sizes, and it uses the same draws as
    :func:`importance_log_weights` with the same key.

    Introduced in 06-the-elbo.

    Args:
        model: a :class:`~vae_tutorial.models.VAE` (prior N(0, I), Bernoulli decoder).
        images: ``[n, 28, 28]`` or ``[n, 784]`` in [0, 1].
        key: a JAX random key.
        num_samples: K >= 1, importance samples per image.
        chunk_size: images per compiled call (>= 1).
        sample_chunk_size: samples per step of the running logsumexp (>= 1).
        posterior: optionally ``(mean, log_var)``, each ``[n, latent]``: a Gaussian proposal per
            image to use instead of the encoder's q(z|x) (e.g. one from
            :func:`optimize_posterior`). Any proposal gives a lower bound.

    Returns:
        ``[n]`` float32: L_K of each image in nats (negative numbers for these digits).

    Raises:
        TypeError: if ``model`` is not a VAE, or for non-integer sizes.
        ValueError: for images of the wrong shape or range, sizes < 1, or a ``posterior`` whose
            shapes do not match the images.

    References:
        Burda, Grosse and Salakhutdinov, "Importance Weighted Autoencoders", ICLR 2016
        (arXiv:1509.00519).
    """
    return _by_image_chunks(_iwae_chunk, "importance_weighted_bound", model, images, key, num_samples,
                            chunk_size, sample_chunk_size, posterior)


def importance_log_weights(model, images: jax.Array, *, key: jax.Array, num_samples: int,
                           chunk_size: int = 100, sample_chunk_size: int = 100, posterior=None) -> jax.Array:
    """The K log importance weights ``log p(x|z_k) + log p(z_k) - log q(z_k|x)`` of each image.

    The raw material of :func:`importance_weighted_bound` (same draws for the same key: its value
    is ``logsumexp(log_w, axis=1) - log K``). Keeping them lets one set of K_max samples give
    estimates of L_K for every K that divides K_max (average the log-mean-exp of disjoint groups
    of K), and shows how unequal the weights are. Computed in the same bounded chunks; only the
    result, ``n * K`` floats, grows with n and K.

    Introduced in 06-the-elbo.

    Args:
        model, images, key, num_samples, chunk_size, sample_chunk_size, posterior: as for
            :func:`importance_weighted_bound`.

    Returns:
        ``[n, K]`` float32 log-weights in nats; their mean over k estimates the ELBO of each image.

    Raises:
        As :func:`importance_weighted_bound`.
    """
    return _by_image_chunks(_log_weights_chunk, "importance_log_weights", model, images, key, num_samples,
                            chunk_size, sample_chunk_size, posterior)


def evidence_lower_bound(model, images: jax.Array, *, key: jax.Array, num_samples: int = 1,
                         posterior=None) -> jax.Array:
    """The ELBO of each image, ``E_q[log p(x|z)] - KL(q || N(0, I))``, for the encoder's q or any Gaussian.

    The same quantity as ``-(reconstruction + kl)`` from :func:`elbo_terms` (same noise for the
    same key), with the option of a different Gaussian q per image: that is what the amortization
    gap compares (Cremer, Li and Duvenaud 2018).

    Introduced in 06-the-elbo.

    Args:
        model: a :class:`~vae_tutorial.models.VAE`.
        images: ``[n, 28, 28]`` or ``[n, 784]`` in [0, 1].
        key: random key for the reparameterized samples.
        num_samples: Monte Carlo samples of z per image for the reconstruction term (>= 1).
        posterior: optionally ``(mean, log_var)``, each ``[n, latent]``, used instead of the
            encoder's output.

    Returns:
        ``[n]``: the ELBO of each image in nats (a negative number; the training loss is its
        negative).

    Raises:
        TypeError: if ``model`` is not a VAE.
        ValueError: for bad images, ``num_samples < 1`` or a mismatched ``posterior``.
    """
    require_vae(model, "evidence_lower_bound")
    num_samples = check_positive_int(num_samples, "num_samples")
    flat = check_images(images)
    if posterior is None:
        mean, log_var = model.encode(flat)
    else:
        mean, log_var = _check_posterior(posterior, flat.shape[0], model.latent_dim, "evidence_lower_bound")
    keys = jax.random.split(key, num_samples)
    z = jax.vmap(lambda k: sampling.reparameterize(k, mean, log_var))(keys)  # [s, n, latent]
    logits = model.decode_logits(z.reshape(-1, mean.shape[-1])).reshape(num_samples, flat.shape[0], -1)
    reconstruction = optax.sigmoid_binary_cross_entropy(logits, flat[None]).sum(-1).mean(axis=0)
    return -(reconstruction + gaussian_kl(mean, log_var))


@functools.partial(jax.jit, static_argnames=("graphdef", "steps", "num_samples"))
def _optimize_posterior(params, graphdef, flat, mean, log_var, key, learning_rate, *, steps, num_samples):
    model = nnx.merge(graphdef, params)
    tx = optax.adam(learning_rate)

    def negative_bound(q, step_key):  # a sum over images: each image's q gets its own gradient
        return -jnp.sum(evidence_lower_bound(model, flat, key=step_key, num_samples=num_samples, posterior=q))

    def step(carry, step_key):
        q, opt_state = carry
        value, grads = jax.value_and_grad(negative_bound)(q, step_key)
        updates, opt_state = tx.update(grads, opt_state, q)
        return (optax.apply_updates(q, updates), opt_state), value / flat.shape[0]

    q = (mean, log_var)
    (q, _), trace = jax.lax.scan(step, (q, tx.init(q)), jax.random.split(key, steps))
    return q[0], q[1], trace


def optimize_posterior(model, images: jax.Array, *, key: jax.Array, steps: int = 500,
                       learning_rate: float = 1e-2, num_samples: int = 8):
    """Fit a Gaussian q(z|x) to each image directly, by gradient ascent on its ELBO.

    The encoder predicts one (mean, log_var) per image with one network for all images
    ("amortized" inference). Here each image instead gets its own free parameters, started at
    the encoder's output and improved with Adam on the reparameterized ELBO (decoder fixed). The
    ELBO gained is the *amortization gap* of Cremer, Li and Duvenaud (2018); what remains between
    the optimised ELBO and log p(x) is the *approximation gap* of the Gaussian family.

    Introduced in 06-the-elbo.

    Args:
        model: a :class:`~vae_tutorial.models.VAE`; its weights are not changed.
        images: ``[n, 28, 28]`` or ``[n, 784]`` in [0, 1] (a few images: all are optimised at once).
        key: random key for the noise of every step.
        steps: Adam steps (>= 1).
        learning_rate: Adam's step size (> 0).
        num_samples: samples of z per image and step in the ELBO estimate (>= 1).

    Returns:
        ``(mean, log_var, trace)``: the optimised ``[n, latent]`` parameters, and ``[steps]`` the
        mean ELBO estimate per image before each step (noisy; for watching convergence).

    Raises:
        TypeError: if ``model`` is not a VAE, or for non-integer counts.
        ValueError: for bad images, counts < 1 or a learning rate that is not positive.

    References:
        Cremer, Li and Duvenaud, "Inference Suboptimality in Variational Autoencoders", ICML 2018
        (arXiv:1801.03558).
    """
    require_vae(model, "optimize_posterior")
    steps = check_positive_int(steps, "steps")
    num_samples = check_positive_int(num_samples, "num_samples")
    if isinstance(learning_rate, bool) or not np.isfinite(float(learning_rate)) or float(learning_rate) <= 0:
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    flat = check_images(images).astype(jnp.float32)
    mean, log_var = model.encode(flat)
    graphdef, params = nnx.split(model)
    mean, log_var, trace = _optimize_posterior(params, graphdef, flat, mean, log_var, key,
                                               jnp.float32(learning_rate), steps=steps, num_samples=num_samples)
    return mean, log_var, -trace
