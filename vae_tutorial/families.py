"""Reparameterizing distributions other than the Gaussian: location-scale, inverse CDF, implicit.

Three ways to write a draw z as a differentiable function of the parameters and of noise that
does not depend on them (Mohamed, Rosca, Figurnov and Mnih, JMLR 2020, section 5):

* **location-scale**: ``z = loc + scale * eps`` with ``eps`` from a fixed standard distribution
  (Gaussian, Laplace, logistic): :func:`location_scale`;
* **inverse CDF**: ``z = F^{-1}(u; theta)`` with ``u`` uniform on (0, 1), when the inverse has a
  formula (exponential, Kumaraswamy): :func:`kumaraswamy`;
* **implicit**: when it has none (Gamma, hence Beta and Dirichlet), differentiate the equation
  ``F(z; theta) = u`` instead: ``dz/dtheta = -(dF/dtheta) / p(z)`` (Figurnov, Mohamed and Mnih,
  NeurIPS 2018). ``jax.random.gamma`` does this; :func:`implicit_gamma_derivative` computes the
  same derivative independently, by finite differences of the Gamma CDF.

Introduced in 10-beyond-the-gaussian.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import scipy.special

__all__ = ["NOISE", "NOISE_VARIANCE", "location_scale", "kumaraswamy", "kumaraswamy_mean",
           "implicit_gamma_derivative", "gamma_expectation_gradients"]

#: Standard noise of each location-scale family, drawn by JAX without any parameter.
NOISE = {"Gaussian": jax.random.normal, "Laplace": jax.random.laplace, "logistic": jax.random.logistic}
#: The variance of each standard noise (for checks: Var[loc + scale * eps] = scale**2 * this).
NOISE_VARIANCE = {"Gaussian": 1.0, "Laplace": 2.0, "logistic": float(np.pi**2 / 3)}


def location_scale(key, loc, scale, family: str = "Gaussian", shape=()):
    """Draw ``z = loc + scale * eps``, with ``eps`` standard noise of ``family``: differentiable in loc and scale."""
    if family not in NOISE:
        raise ValueError(f"family must be one of {sorted(NOISE)}, got {family!r}")
    eps = NOISE[family](key, shape)
    return loc + scale * eps


def kumaraswamy(key, a, b, shape=()):
    """Draw from the Kumaraswamy(a, b) distribution on (0, 1) by its inverse CDF.

    Its CDF is ``F(z) = 1 - (1 - z**a)**b``; solving ``F(z) = u`` gives
    ``z = (1 - (1 - u)**(1 / b))**(1 / a)``, a differentiable function of a and b.
    """
    u = jax.random.uniform(key, shape)
    return (1.0 - (1.0 - u) ** (1.0 / b)) ** (1.0 / a)


def kumaraswamy_mean(a, b):
    """E[z] for z ~ Kumaraswamy(a, b), in closed form: ``b * B(1 + 1/a, b)``."""
    return b * jnp.exp(jax.scipy.special.betaln(1.0 + 1.0 / a, b))


def implicit_gamma_derivative(z, alpha, *, step: float = 1e-6) -> np.ndarray:
    """dz/dalpha of a Gamma(alpha, 1) draw z, by the implicit formula ``-(dF/dalpha) / p(z)``.

    ``F(z; alpha)`` is the Gamma CDF (the regularized lower incomplete gamma function, SciPy's
    ``gammainc``), differentiated in alpha by a central finite difference in float64; ``p`` is
    the Gamma density. Independent of JAX's own derivative of ``jax.random.gamma``.
    """
    z, alpha = np.asarray(z, np.float64), float(alpha)
    dF = (scipy.special.gammainc(alpha + step, z) - scipy.special.gammainc(alpha - step, z)) / (2 * step)
    density = np.exp((alpha - 1) * np.log(z) - z - scipy.special.gammaln(alpha))
    return -dF / density


def gamma_expectation_gradients(key, alpha: float, num_samples: int) -> dict:
    """d/dalpha E[sqrt(z)] for z ~ Gamma(alpha, 1): pathwise (through ``jax.random.gamma``), score function, exact.

    Exact: ``E[sqrt(z)] = Gamma(alpha + 1/2) / Gamma(alpha)``, so the derivative is that ratio times
    ``digamma(alpha + 1/2) - digamma(alpha)``. Each estimate is the mean of ``num_samples``
    one-draw terms (the same draws for both), returned with its standard error.
    """
    keys = jax.random.split(key, num_samples)
    z, dz = jax.vmap(jax.value_and_grad(lambda a, k: jax.random.gamma(k, a)), in_axes=(None, 0))(
        jnp.float32(alpha), keys)
    z, dz = np.asarray(z, np.float64), np.asarray(dz, np.float64)
    pathwise = 0.5 / np.sqrt(z) * dz                                     # f'(z) dz/dalpha
    score = np.sqrt(z) * (np.log(z) - scipy.special.digamma(alpha))      # f(z) d/dalpha log p(z; alpha)
    ratio = np.exp(scipy.special.gammaln(alpha + 0.5) - scipy.special.gammaln(alpha))
    exact = ratio * (scipy.special.digamma(alpha + 0.5) - scipy.special.digamma(alpha))
    se = lambda x: float(x.std(ddof=1) / np.sqrt(len(x)))
    return {"exact": float(exact), "pathwise": float(pathwise.mean()), "pathwise_se": se(pathwise),
            "score": float(score.mean()), "score_se": se(score)}
