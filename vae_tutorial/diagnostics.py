"""How VAEs fail, measured: active units, the aggregate posterior, the KL split into information and marginal KL.

A dimension the encoder's mean never moves along carries nothing (posterior collapse); codes the
prior draws where no image's posterior lies decode to nothing seen in training (prior holes); the
average KL term splits into the information the code keeps about the image and how far all codes
together are from the prior. None of these is a training loss (those are :mod:`vae_tutorial.losses`).
Introduced in 07-how-vaes-fail.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from vae_tutorial._checks import check_images, check_positive_int
from vae_tutorial._chunks import map_chunks
from vae_tutorial.losses import gaussian_kl
from vae_tutorial.models import require_vae

__all__ = ["latent_activity", "active_units", "ACTIVE_UNIT_THRESHOLD", "aggregate_posterior_log_density",
           "kl_decomposition"]

#: Burda et al. (2016) call latent dimension d active when Cov_x(E_q[z_d | x]) exceeds this.
ACTIVE_UNIT_THRESHOLD = 0.01

_LOG_2PI = float(np.log(2.0 * np.pi))


def latent_activity(model, images, *, chunk_size: int = 1000) -> np.ndarray:
    """How much the encoder's mean moves with the image, per latent dimension: ``Var_x(E_q[z_d | x])``.

    Burda et al. (2016) count a dimension as *active* when this variance over the data exceeds
    :data:`ACTIVE_UNIT_THRESHOLD` (0.01). An inactive dimension has (nearly) the same mean for
    every image; the decoder cannot use it, and its KL is usually close to zero.

    Introduced in 07-how-vaes-fail.

    Args:
        model: a :class:`~vae_tutorial.models.VAE`.
        images: ``[n, 28, 28]`` or ``[n, 784]`` in [0, 1], n >= 2.
        chunk_size: images encoded at once.

    Returns:
        NumPy float64 ``[latent]``: the variance over the images of each coordinate of the mean.

    Raises:
        TypeError: if ``model`` is not a VAE.
        ValueError: for bad images or fewer than two of them.
    """
    require_vae(model, "latent_activity")
    flat = check_images(images)
    if flat.shape[0] < 2:
        raise ValueError(f"latent_activity needs at least two images for a variance, got {flat.shape[0]}")
    means = map_chunks(lambda block: model.encode(block)[0], np.asarray(flat, np.float32), chunk_size=chunk_size)
    return means.astype(np.float64).var(axis=0)


def active_units(model, images, *, threshold: float = ACTIVE_UNIT_THRESHOLD) -> int:
    """The number of active latent dimensions (Burda et al. 2016): those with ``latent_activity > threshold``.

    Introduced in 07-how-vaes-fail.

    Args:
        model: a :class:`~vae_tutorial.models.VAE`.
        images: ``[n, 28, 28]`` or ``[n, 784]`` in [0, 1], n >= 2.
        threshold: the variance above which a dimension counts as active (default 0.01).

    Returns:
        An int between 0 and ``model.latent_dim``.
    """
    if isinstance(threshold, bool) or not np.isfinite(float(threshold)) or float(threshold) < 0:
        raise ValueError(f"threshold must be a number >= 0, got {threshold!r}")
    return int(np.sum(latent_activity(model, images) > float(threshold)))


def _gaussian_log_density_matrix(z, mean, log_var):
    """``[m, n]``: log N(z_i; mean_j, diag(exp(log_var_j))) for every point i and every component j."""
    inv_var = jnp.exp(-log_var)  # [n, d]
    quad = (z**2) @ inv_var.T - 2.0 * z @ (mean * inv_var).T + jnp.sum(mean**2 * inv_var, axis=1)
    return -0.5 * (quad + jnp.sum(log_var, axis=1) + mean.shape[1] * _LOG_2PI)


@jax.jit
def _mixture_log_density(z, mean, log_var):
    return jax.nn.logsumexp(_gaussian_log_density_matrix(z, mean, log_var), axis=1) - jnp.log(mean.shape[0])


def aggregate_posterior_log_density(mean, log_var, z, *, chunk_size: int = 1024) -> np.ndarray:
    """log q(z) of the aggregate posterior q(z) = (1/N) sum_n q(z | x_n), at the points ``z``.

    The aggregate posterior is the distribution of codes over the whole data set: draw an image,
    then a code from its q(z|x). Generation draws from the prior p(z) instead; where p(z) is high
    and q(z) low, the decoder was never trained ("prior holes"; Hoffman and Johnson 2016, Rosca,
    Lakshminarayanan and Mohamed 2018). The mixture of N Gaussians is evaluated exactly, in chunks
    of ``chunk_size`` points (memory about ``chunk_size * N`` floats).

    Introduced in 07-how-vaes-fail.

    Args:
        mean: ``[N, latent]`` encoder means of the data set's images.
        log_var: ``[N, latent]`` their log-variances.
        z: ``[m, latent]`` points (e.g. a flattened 2-D grid).
        chunk_size: points per compiled call.

    Returns:
        NumPy float64 ``[m]``: log q(z) in nats (a log-density).

    Raises:
        ValueError: if the shapes do not match.
    """
    mean, log_var = np.asarray(mean, np.float32), np.asarray(log_var, np.float32)
    z = np.asarray(z, np.float32)
    if mean.ndim != 2 or mean.shape != log_var.shape:
        raise ValueError(f"mean and log_var must both have shape [N, latent], got {mean.shape} and {log_var.shape}")
    if z.ndim != 2 or z.shape[1] != mean.shape[1]:
        raise ValueError(f"z must have shape [m, {mean.shape[1]}] (one row per point), got {z.shape}")
    return map_chunks(lambda block: _mixture_log_density(block, mean, log_var), z,
                      chunk_size=chunk_size).astype(np.float64)


def kl_decomposition(model, images, *, seed: int = 0, num_samples: int = 1) -> dict[str, float]:
    """Split the average KL term into mutual information and marginal KL (Hoffman and Johnson 2016).

    With the data set as the distribution of x (each image weight 1/N) and q(x, z) = q(x) q(z|x),

        E_x KL(q(z|x) || p(z))  =  I_q(x; z)  +  KL(q(z) || p(z)),

    where q(z) is the aggregate posterior. The mutual information I_q(x; z) (at most log N) is
    how much the code says about which image it came from; the marginal KL is how far all codes
    together are from the prior. Both are estimated by Monte Carlo from ``num_samples`` codes
    z ~ q(z|x_n) per image, with log q(z) computed exactly as a mixture over all N images
    (:func:`aggregate_posterior_log_density`): I = E[log q(z|x) - log q(z)] and
    KL(q(z) || p(z)) = E[log q(z) - log p(z)]. Their sum estimates the average KL, which is also
    returned in closed form as a check. Cost: about ``N * num_samples * N`` Gaussian densities.

    Introduced in 07-how-vaes-fail.

    Args:
        model: a :class:`~vae_tutorial.models.VAE`.
        images: ``[N, 28, 28]`` or ``[N, 784]`` in [0, 1], N >= 2.
        seed: seed of the codes drawn.
        num_samples: codes per image (>= 1).

    Returns:
        A dict of floats in nats: ``"average_kl"`` (closed form), ``"mutual_information"``,
        ``"marginal_kl"``, their standard errors ``"mutual_information_se"`` and
        ``"marginal_kl_se"``, and ``"log_n"`` (log N, the largest possible mutual information).

    References:
        Hoffman and Johnson, "ELBO surgery: yet another way to carve up the variational evidence
        lower bound", NeurIPS 2016 Workshop on Advances in Approximate Bayesian Inference.
    """
    require_vae(model, "kl_decomposition")
    num_samples = check_positive_int(num_samples, "num_samples")
    flat = check_images(images)
    n = flat.shape[0]
    if n < 2:
        raise ValueError(f"kl_decomposition needs at least two images, got {n}")
    mean, log_var = (np.asarray(a, np.float32) for a in model.encode(flat))
    eps = np.random.default_rng(seed).standard_normal((num_samples, *mean.shape)).astype(np.float32)
    z = (mean + np.exp(0.5 * log_var) * eps).reshape(-1, mean.shape[1])  # [s * n, latent]
    log_q_z_x = (-0.5 * np.sum(eps**2 + _LOG_2PI + log_var, axis=-1)).reshape(-1).astype(np.float64)
    log_q_z = aggregate_posterior_log_density(mean, log_var, z)
    log_p_z = -0.5 * np.sum(z.astype(np.float64) ** 2 + _LOG_2PI, axis=-1)
    info, marginal = log_q_z_x - log_q_z, log_q_z - log_p_z
    se = lambda v: float(v.std(ddof=1) / np.sqrt(v.size))
    return {"average_kl": float(np.mean(np.asarray(gaussian_kl(mean, log_var), np.float64))),
            "mutual_information": float(info.mean()), "mutual_information_se": se(info),
            "marginal_kl": float(marginal.mean()), "marginal_kl_se": se(marginal), "log_n": float(np.log(n))}
