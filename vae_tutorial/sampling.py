"""Sampling with the reparameterization trick, and two Monte Carlo gradient estimators.

Introduced in 04-reparameterization-trick (``reparameterize``) and 05-why-it-works (the
estimators).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def reparameterize(key: jax.Array, mean: jax.Array, log_var: jax.Array) -> jax.Array:
    """Draw z ~ N(mean, diag(exp(log_var))) as a differentiable function of mean and log_var.

    The noise eps ~ N(0, I) is drawn independently of the model, then shifted and scaled:
    ``z = mean + std * eps`` with the standard deviation ``std = exp(log_var / 2)``.

    Args:
        key: a JAX random key.
        mean: ``[..., latent]`` means.
        log_var: ``[..., latent]`` log-variances, same shape as ``mean``.

    Returns:
        ``[..., latent]`` samples, shaped like ``mean``.

    Raises:
        ValueError: if ``mean`` and ``log_var`` differ in shape.

    References:
        Kingma and Welling, "Auto-Encoding Variational Bayes", 2013 (arXiv:1312.6114);
        Rezende, Mohamed and Wierstra, "Stochastic Backpropagation and Approximate
        Inference in Deep Generative Models", 2014 (arXiv:1401.4082).
    """
    if jnp.shape(mean) != jnp.shape(log_var):
        raise ValueError(f"mean and log_var must have the same shape, got {jnp.shape(mean)} and {jnp.shape(log_var)}")
    eps = jax.random.normal(key, jnp.shape(mean), dtype=jnp.result_type(mean))
    return mean + jnp.exp(0.5 * log_var) * eps
