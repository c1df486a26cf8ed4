"""Checks of 05-why-it-works: the pathwise and the score-function gradient estimators."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from vae_tutorial.exercises.feedback import Wrong, as_array, call, exercise, fmt

__all__ = ["check_pathwise_gradient", "check_score_function"]


_TOY_MU, _TOY_SIGMA, _TOY_SAMPLES = 1.0, 0.5, 20_000
_step = lambda z: (z > 0).astype(jnp.float32)  # noqa: E731
_square = lambda z: z**2  # noqa: E731


def _estimate(fn, f, key, what):
    out = call(fn, f, _TOY_MU, _TOY_SIGMA, key, _TOY_SAMPLES, what=what)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise Wrong(f"{what} should return two numbers, (d/dmean, d/dstd); got {type(out).__name__}.")
    parts = [as_array(v, what) for v in out]
    if any(p.size != 1 for p in parts):
        raise Wrong(f"{what} returned arrays of shapes {[p.shape for p in parts]}: average the per-sample terms "
                    "to one number each.")
    return np.array([float(p.ravel()[0]) for p in parts])


def _estimator_check(fn, name, one_term_var, mistakes, other):
    what = f"{name}(f, mean, std, key, num_samples)"
    mu, sigma, n = _TOY_MU, _TOY_SIGMA, _TOY_SAMPLES
    exact = np.array([2 * mu, 2 * sigma])
    se = np.sqrt(np.asarray(one_term_var) / n)
    g = _estimate(fn, _square, jax.random.key(0), what)
    if np.any(g != 0) and np.array_equal(g, _estimate(fn, _square, jax.random.key(1), what)):
        raise Wrong("Two different keys gave exactly the same estimate: your samples ignore `key`. Draw the noise "
                    "with jax.random.normal(key, (num_samples,)).")
    for value, message in mistakes + [(n * exact, "You summed over the samples: average them (divide by "
                                                  "num_samples)."),
                                      (-exact, "Wrong sign: both components should be positive here.")]:
        value = np.asarray(value, np.float64)
        if np.all(np.abs(g - value) <= 4.5 * se * np.maximum(1.0, np.abs(value) / exact)):
            raise Wrong(f"{message} (For f(z) = z**2, mu = 1, sigma = 0.5 you got {fmt(g)}; exact {fmt(exact)}.)")
    if np.any(np.abs(g - exact) > 4.5 * se):
        raise Wrong(f"For f(z) = z**2, mu = 1, sigma = 0.5 with 20,000 samples the estimate should land within "
                    f"{fmt(4.5 * se)} of the exact gradient {fmt(exact)} (2 mu, 2 sigma); you got {fmt(g)}.")
    step = _estimate(fn, _step, jax.random.key(2), what)[0]
    exact_step = math.exp(-0.5 * (mu / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
    verdict = other(step, exact_step)
    if verdict:
        raise Wrong(verdict)
    return (f"Unbiased on f(z) = z**2 (within 4.5 standard errors of (2, 1)), uses the key, and behaves as the "
            f"{name.replace('_', ' ')} estimator should on a step function (d/dmu estimate {step:.3f}).")


@exercise
def check_pathwise_gradient(fn):
    """Check ``fn(f, mean, std, key, num_samples) -> (d_mean, d_std)``: the pathwise (reparameterization) estimate.

    The gradient of E_{z ~ N(mean, std^2)}[f(z)] as the average over samples of the gradient of
    f(mean + std * eps). Tested on f(z) = z**2 (exact (2 mu, 2 sigma)), with tolerances of 4.5
    standard errors from the closed-form variance of one term, and on a step function, where the
    pathwise estimate is exactly 0.
    """
    mu, sigma = _TOY_MU, _TOY_SIGMA

    def other(step, exact_step):
        if abs(step) > 1e-6:
            return ("On a step function f(z) = 1[z > 0] the pathwise estimate is exactly 0 (its derivative is 0 "
                    f"wherever it exists), but yours is {step:.3f}: did you write the score-function estimator? "
                    "The pathwise estimator differentiates f(mean + std * eps) with jax.grad.")
        return None

    return _estimator_check(fn, "pathwise_gradient", [4 * sigma**2, 4 * mu**2 + 8 * sigma**2], [
        ((0.0, 0.0), "Your gradient is zero: the samples are cut off from mean and std (stop_gradient or NumPy). "
                     "Differentiate the average of f(mean + std * eps) with jax.grad."),
        ((2 * mu, 4 * sigma**3), "d/dstd is wrong in the way the variance slip predicts: you drew z = mean + "
                                 "std**2 * eps; the noise is scaled by the standard deviation."),
    ], other)


@exercise
def check_score_function(fn):
    """Check ``fn(f, mean, std, key, num_samples) -> (d_mean, d_std)``: the score-function (REINFORCE) estimate.

    The average over samples z ~ N(mean, std^2) of f(z) * ((z - mean) / std**2, ((z - mean)**2 - std**2) / std**3).
    Tested on f(z) = z**2 (exact (2 mu, 2 sigma); tolerance 4.5 standard errors from the closed-form
    variances) and on a step function, whose derivative is zero but whose expected value slopes.
    """
    mu, sigma = _TOY_MU, _TOY_SIGMA

    def other(step, exact_step):
        if abs(step) < 1e-6:
            return ("On a step function f(z) = 1[z > 0] your estimate is 0, while the true d/dmu of P(z > 0) is "
                    f"{exact_step:.3f}: that is what the pathwise estimator gives. The score function never "
                    "differentiates f: average f(z) * (z - mean) / std**2.")
        if abs(step - exact_step) > 0.08:
            return (f"On a step function f(z) = 1[z > 0] the exact d/dmu is {exact_step:.3f}; your estimate "
                    f"{step:.3f} is off by more than 4.5 standard errors.")
        return None

    return _estimator_check(fn, "score_function", [
        mu**4 / sigma**2 + 14 * mu**2 + 15 * sigma**2, 2 * mu**4 / sigma**2 + 60 * mu**2 + 74 * sigma**2], [
        ((2 * mu * sigma, 2 * sigma), "d/dmean is off by a factor sigma: the score for the mean is "
                                      "(z - mean) / std**2, not (z - mean) / std."),
        ((2 * mu, (mu**2 + 3 * sigma**2) / sigma), "d/dstd is biased: the score for the standard deviation is "
                                                   "((z - mean)**2 - std**2) / std**3; the - std**2 is missing."),
        ((2 * mu, 2 * sigma**2), "d/dstd is off by a factor sigma: divide by std**3, not std**2."),
    ], other)
