"""Sampling with the reparameterization trick, and two Monte Carlo gradient estimators.

Introduced in 04-reparameterization-trick (``reparameterize``) and 05-why-it-works (the
estimators).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from vae_tutorial._checks import check_positive_int, is_traced


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


# --------------------------------------------------------------------------------------------
# Monte Carlo gradient estimators for d/d(mean, std) E_{x ~ N(mean, std^2)}[f(x)]
# --------------------------------------------------------------------------------------------


def pathwise_gradient(f, mean, std, *, key: jax.Array, num_samples: int) -> tuple[jax.Array, jax.Array]:
    """Pathwise (reparameterization) estimate of the gradient of E_{x ~ N(mean, std^2)}[f(x)].

    Writes x = mean + std * eps with eps ~ N(0, I), which does not depend on (mean, std), so the
    gradient moves inside the expectation:
    ``grad E[f(x)] = E_eps[grad_{mean, std} f(mean + std * eps)]``. The estimate is the gradient
    of the Monte Carlo average ``1/S * sum_s f(mean + std * eps_s)``, which equals the average of
    the per-sample gradients. Needs f to be differentiable (and written in JAX).

    Introduced in 05-why-it-works.

    Args:
        f: a function from one sample ``x``, shaped like ``mean``, to a scalar. It is mapped over
            the samples with ``jax.vmap`` and differentiated with ``jax.grad``.
        mean: ``[...]`` means of the independent Gaussian coordinates (a scalar is allowed).
        std: ``[...]`` standard deviations (not variances), same shape as ``mean``, all > 0.
        key: a JAX random key for the noise eps.
        num_samples: S >= 1, the number of Monte Carlo samples. It sets an array shape, so mark
            it static under ``jax.jit`` (``static_argnames="num_samples"``).

    Returns:
        ``(grad_mean, grad_std)``: the estimated gradient with respect to ``mean`` and ``std``,
        shaped like ``mean`` and ``std``.

    Raises:
        TypeError: if ``f`` is not callable or ``num_samples`` is not an integer.
        ValueError: if ``mean`` and ``std`` differ in shape, ``num_samples < 1``, ``f`` does not
            return a scalar, or (outside ``jax.jit``) ``std`` has an entry <= 0 or NaN.

    References:
        Mohamed, Rosca, Figurnov and Mnih, "Monte Carlo Gradient Estimation in Machine Learning",
        JMLR 21(132), 2020, section 5 (arXiv:1906.10652);
        Kingma and Welling, "Auto-Encoding Variational Bayes", 2013 (arXiv:1312.6114).
    """
    mean, std, eps = _gaussian_noise(f, mean, std, key, num_samples, "pathwise_gradient")
    return _pathwise_estimate(f, mean, std, eps)


def score_function_gradient(f, mean, std, *, key: jax.Array, num_samples: int,
                            baseline=0.0) -> tuple[jax.Array, jax.Array]:
    """Score-function (REINFORCE, log-derivative) estimate of the gradient of E_{x ~ N(mean, std^2)}[f(x)].

    Uses ``grad p = p * grad log p`` to write the gradient as an expectation under the
    same distribution: ``grad E[f(x)] = E_x[f(x) * grad_{mean, std} log N(x; mean, std^2)]`` with
    the score ``(x - mean) / std**2`` for the mean and ``((x - mean)**2 - std**2) / std**3`` for
    the standard deviation. Only evaluates f, so f may be non-differentiable or a black box
    (it must still be a JAX function, because it is mapped with ``jax.vmap``).

    Since the score has expectation zero, subtracting a constant ``baseline`` from f keeps the
    estimate unbiased and can reduce its variance (a control variate). The default, 0, is the
    plain estimator.

    Introduced in 05-why-it-works.

    Args:
        f: a function from one sample ``x``, shaped like ``mean``, to a scalar. It is mapped over
            the samples with ``jax.vmap``; it is never differentiated.
        mean: ``[...]`` means of the independent Gaussian coordinates (a scalar is allowed).
        std: ``[...]`` standard deviations (not variances), same shape as ``mean``, all > 0.
        key: a JAX random key for the samples.
        num_samples: S >= 1, the number of Monte Carlo samples. It sets an array shape, so mark
            it static under ``jax.jit`` (``static_argnames="num_samples"``).
        baseline: a scalar subtracted from every f(x) (default 0: the plain estimator). It must
            not depend on the samples drawn with ``key``, or the estimate is biased.

    Returns:
        ``(grad_mean, grad_std)``: the estimated gradient with respect to ``mean`` and ``std``,
        shaped like ``mean`` and ``std``.

    Raises:
        TypeError: if ``f`` is not callable or ``num_samples`` is not an integer.
        ValueError: if ``mean`` and ``std`` differ in shape, ``num_samples < 1``, ``f`` does not
            return a scalar, ``baseline`` is not a scalar, or (outside ``jax.jit``) ``std`` has
            an entry <= 0 or NaN.

    References:
        Mohamed, Rosca, Figurnov and Mnih, "Monte Carlo Gradient Estimation in Machine Learning",
        JMLR 21(132), 2020, section 4 (arXiv:1906.10652);
        Williams, "Simple Statistical Gradient-Following Algorithms for Connectionist
        Reinforcement Learning", Machine Learning 8, 1992.
    """
    mean, std, eps = _gaussian_noise(f, mean, std, key, num_samples, "score_function_gradient")
    if jnp.ndim(baseline) != 0:
        raise ValueError(f"score_function_gradient: baseline must be a scalar, got shape {jnp.shape(baseline)}")
    return _score_function_estimate(f, mean, std, eps, baseline)


def _pathwise_estimate(f, mean, std, eps):
    """grad_{mean, std} of (1/S) sum_s f(mean + std * eps_s), for eps of shape [S, *mean.shape]."""

    def monte_carlo_average(mean, std):
        x = mean + std * eps  # [S, ...]: the reparameterized samples
        return jnp.mean(jax.vmap(f)(x))

    return jax.grad(monte_carlo_average, argnums=(0, 1))(mean, std)


def _score_function_estimate(f, mean, std, eps, baseline=0.0):
    """(1/S) sum_s (f(x_s) - baseline) * grad_{mean, std} log N(x_s; mean, std^2), x_s = mean + std * eps_s."""
    x = mean + std * eps  # [S, ...]: samples from N(mean, std^2)
    fx = jax.lax.stop_gradient(jax.vmap(f)(x)) - baseline  # [S]: only values of f are used
    fx = fx.reshape(-1, *([1] * jnp.ndim(mean)))  # [S, 1, ...] to broadcast over the coordinates
    score_mean = (x - mean) / std**2  # = eps / std
    score_std = ((x - mean) ** 2 - std**2) / std**3  # = (eps**2 - 1) / std
    return jnp.mean(fx * score_mean, axis=0), jnp.mean(fx * score_std, axis=0)


def _gaussian_noise(f, mean, std, key, num_samples, name):
    """Check the estimators' arguments; return float ``mean``, ``std`` and eps ``[S, *mean.shape]``."""
    if not callable(f):
        raise TypeError(f"{name}: f must be a function from x (shaped like mean) to a scalar, got {type(f).__name__}")
    num_samples = check_positive_int(num_samples, "num_samples")
    dtype = jnp.result_type(mean, std, jnp.float32)
    mean, std = jnp.asarray(mean, dtype), jnp.asarray(std, dtype)
    if mean.shape != std.shape:
        raise ValueError(f"{name}: mean and std must have the same shape, got {mean.shape} and {std.shape}")
    if not is_traced(std):
        values = np.asarray(std)
        if np.isnan(values).any():
            raise ValueError(f"{name}: std contains NaN")
        if (values <= 0).any():
            raise ValueError(f"{name}: std must be > 0 everywhere (a standard deviation), got min {values.min():.3g}")
    out = jax.eval_shape(f, jax.ShapeDtypeStruct(mean.shape, dtype))
    if not hasattr(out, "shape") or out.shape != ():
        shape = getattr(out, "shape", type(out).__name__)
        raise ValueError(f"{name}: f must return a scalar for one sample x of shape {mean.shape}, got {shape}")
    eps = jax.random.normal(key, (num_samples, *mean.shape), dtype=dtype)
    return mean, std, eps
