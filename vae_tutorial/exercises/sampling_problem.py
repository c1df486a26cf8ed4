"""Checks of 03-vae-sampling-problem: the standard deviation from log_var, a Monte Carlo mean."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from vae_tutorial.exercises.feedback import Wrong, as_array, call, close, diagnose, exercise, fmt, shape_error

__all__ = ["check_std_from_log_var", "check_monte_carlo_mean"]


@exercise
def check_std_from_log_var(fn):
    """Check ``fn(log_var) -> std``: the standard deviation exp(log_var / 2), element by element."""
    var = np.array([0.25, 4.0, 0.01, 1.0, 9.0])
    log_var = np.log(var)
    out = as_array(call(fn, jnp.asarray(log_var, jnp.float32)), "std_from_log_var(log_var)")
    right = np.sqrt(var)
    diagnose(out, [
        ("You returned the variance exp(log_var): the standard deviation is its square root, "
         "exp(log_var / 2). This is the classic variance/standard-deviation slip.", var),
        ("exp(log_var) / 2 halves the variance; the 1/2 belongs inside the exponent: exp(log_var / 2).", var / 2),
        ("exp(-log_var / 2) is 1 / sigma: drop the minus sign.", 1 / right),
        ("exp(log_var / 4) is the square root of sigma: use exp(log_var / 2).", np.sqrt(right)),
    ], rtol=1e-4, atol=1e-6)
    shape_error(out, right.shape, "std_from_log_var(log_var)")
    if not close(out, right, rtol=1e-4, atol=1e-6):
        raise Wrong(f"For variances {fmt(var)} the standard deviations are {fmt(right)}; you returned "
                    f"{fmt(out)}. log_var is the log of the variance: sigma = exp(log_var / 2).")
    return "sigma = exp(log_var / 2): the square root of the variance, positive for any log_var."


@exercise
def check_monte_carlo_mean(fn):
    """Check ``fn(f, mu, sigma, key, num_samples) -> scalar``: a Monte Carlo estimate of E[f(z)], z ~ N(mu, sigma^2).

    Tested with f(z) = z**2 at mu = 1, sigma = 0.5 (exact 1.25) and 20,000 samples, against a tolerance
    of 4.5 standard errors.
    """
    mu, sigma, n = 1.0, 0.5, 20_000
    se = math.sqrt((4 * mu**2 * sigma**2 + 2 * sigma**4) / n)  # Var(z^2) = 4 mu^2 sigma^2 + 2 sigma^4
    square = lambda z: z**2  # noqa: E731
    what = "your estimate"
    a = as_array(call(fn, square, mu, sigma, jax.random.key(0), n, what=what), what)
    b = as_array(call(fn, square, mu, sigma, jax.random.key(1), n, what=what), what)
    if a.size != 1:
        raise Wrong(f"{what} returned shape {a.shape}: average f over the samples to a single number.")
    a, b = float(a.ravel()[0]), float(b.ravel()[0])
    exact = mu**2 + sigma**2
    if a == b and abs(a - mu**2) > 1e-6:
        raise Wrong("Two different keys gave exactly the same estimate: your samples ignore `key` (a key made "
                    "inside the function, or np.random with a fixed seed). Draw with "
                    "jax.random.normal(key, (num_samples,)).")
    for value, message in [
        (mu**2, "You returned f(mu) = f(E[z]), the loss at the mean: for a curved f, E[f(z)] is not f(E[z]) "
                "(here 1.25 against 1.0). Average f over draws z = mu + sigma * eps."),
        (mu**2 + sigma**4, "Your samples have variance sigma**4: you scaled the noise by sigma**2 (the variance) "
                           "where sigma (the standard deviation) belongs."),
        (n * exact, "You summed f over the samples: divide by their number (use the mean)."),
    ]:
        if abs(a - value) <= 4.5 * se * max(1.0, abs(value) / exact):
            raise Wrong(message)
    if abs(a - exact) > 4.5 * se:
        raise Wrong(f"Estimate {a:.4f}; the exact E[z**2] = mu**2 + sigma**2 = {exact:.4f}, and 20,000 samples "
                    f"should land within {4.5 * se:.3f} of it. Draw z = mu + sigma * eps, eps ~ N(0, 1), "
                    "and average f(z).")
    return f"Within {4.5 * se:.3f} (4.5 standard errors) of the exact E[z**2] = 1.25, and a new key gives new samples."
