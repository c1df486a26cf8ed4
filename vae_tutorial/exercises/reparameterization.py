"""Checks of 04-reparameterization-trick: the trick itself, a finite-difference gradient."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from vae_tutorial.exercises.feedback import Wrong, as_array, call, close, diagnose, exercise, fmt, shape_error

__all__ = ["check_reparameterize", "check_finite_difference"]


@exercise
def check_reparameterize(fn):
    """Check ``fn(key, mean, log_var) -> z``: z = mean + exp(log_var / 2) * eps with eps ~ N(0, I) from ``key``.

    Checks the shape, that the draws depend on the key (and only on it), their mean and spread over
    20,000 draws per coordinate (tolerance: 5 standard errors), that the coordinates and rows get
    independent noise, and the gradients through ``jax.grad``: dz/dmean = 1, dz/dlog_var = (z - mean) / 2.
    """
    n = 20_000
    centre, var = np.array([1.0, -2.0, 0.5]), np.array([0.25, 4.0, 0.01])
    std = np.sqrt(var)
    mean = jnp.asarray(np.tile(centre, (n, 1)), jnp.float32)
    log_var = jnp.asarray(np.tile(np.log(var), (n, 1)), jnp.float32)
    what = "reparameterize(key, mean, log_var)"
    key, other = jax.random.key(0), jax.random.key(1)
    z = as_array(call(fn, key, mean, log_var, what=what), what)
    shape_error(z, (n, 3), what, hints=[
        ((3,), f"{what} returned one code [3] for a batch of shape [{n}, 3]: z has the shape of mean; draw "
               "eps with jax.random.normal(key, mean.shape)."),
        ((n,), f"{what} returned shape [{n}]: z has the shape of mean, [{n}, 3] (did you sum?)."),
    ])
    if close(z, np.asarray(mean), atol=1e-6):
        raise Wrong("Your function returns the mean unchanged: no noise. z must be a draw, mean + std * eps. "
                    "(The mean is a fine 'best guess' code after training, but training needs the draw.)")
    again = as_array(call(fn, key, mean, log_var, what=what), what)
    if not np.array_equal(z, again):
        raise Wrong("The same key gave different draws: your noise does not come from `key` (np.random, or a "
                    "random state kept between calls). In JAX all randomness comes from the key: "
                    "jax.random.normal(key, mean.shape).")
    if np.array_equal(z, as_array(call(fn, other, mean, log_var, what=what), what)):
        raise Wrong("Your noise ignores the key: two different keys gave exactly the same z. Did you make a key "
                    "inside the function (jax.random.key(0))? Draw eps with the `key` argument.")
    if np.all(z == z[0]):
        raise Wrong("Every row got the same draw: one eps shared by the whole batch. Draw eps with the shape "
                    "of mean, jax.random.normal(key, mean.shape), so every image gets its own noise.")
    spread, centre_hat = z.std(axis=0), z.mean(axis=0)
    tol = 5 / math.sqrt(2 * n)  # relative standard error of a standard deviation, times 5
    for scale, message in [
        (var, "Your draws spread like the variance sigma**2 = exp(log_var), not like the standard deviation "
              "sigma = exp(log_var / 2): you multiplied the noise by the variance where the standard deviation "
              "belongs (or took exp(log_var) as the standard deviation). z = mean + exp(log_var / 2) * eps."),
        (np.abs(np.log(var)), "You scaled the noise by log_var itself: it is the log of the variance; the standard "
                              "deviation is exp(log_var / 2)."),
        (1 / std, "Your draws spread like 1 / sigma: a sign slip in the exponent, exp(-log_var / 2). Use "
                  "exp(log_var / 2)."),
        (np.sqrt(std), "Your draws spread like sqrt(sigma) = exp(log_var / 4): the exponent is log_var / 2."),
        (np.ones(3), "Your draws have spread 1 whatever log_var says: eps is not scaled by the standard deviation "
                     "exp(log_var / 2)."),
    ]:
        if np.all(np.abs(spread / scale - 1) < tol):
            raise Wrong(f"{message} (Measured spread {fmt(spread)}; expected {fmt(std)}.)")
    if not np.all(np.abs(spread / std - 1) < tol):
        raise Wrong(f"The spread of 20,000 draws per coordinate is {fmt(spread)}; the standard deviations are "
                    f"{fmt(std)} (exp(log_var / 2)). Scale standard normal noise by exp(log_var / 2).")
    if np.all(np.abs(centre_hat) < 5 * std / math.sqrt(n)):
        raise Wrong("Your draws are centred on 0, not on the mean: add the mean, z = mean + std * eps.")
    if not np.all(np.abs(centre_hat - centre) < 5 * std / math.sqrt(n)):
        raise Wrong(f"The draws average {fmt(centre_hat)}; expected the mean {fmt(centre)}: z = mean + std * eps.")
    eps = (z - centre) / std
    corr = np.corrcoef(eps.T)[np.triu_indices(3, 1)]
    if np.any(np.abs(corr) > 0.1):
        raise Wrong("The latent coordinates share their noise (their draws are correlated): draw one eps per "
                    "coordinate, jax.random.normal(key, mean.shape), not one per row.")
    return _reparameterize_gradients(fn, what) + " Shape, key, mean and spread over 20,000 draws are right too."


def _reparameterize_gradients(fn, what) -> str:
    rng = np.random.default_rng(5)
    mean = jnp.asarray(rng.normal(size=(4, 3)), jnp.float32)
    log_var = jnp.asarray(rng.uniform(-1.5, 1.0, size=(4, 3)), jnp.float32)
    weights = jnp.asarray(rng.normal(size=(4, 3)), jnp.float32)
    key = jax.random.key(2)
    total = lambda m, lv: jnp.sum(fn(key, m, lv) * weights)  # noqa: E731
    g_mean, g_log_var = call(jax.grad(total, argnums=(0, 1)), mean, log_var, what=f"jax.grad through {what}")
    g_mean, g_log_var = np.asarray(g_mean, np.float64), np.asarray(g_log_var, np.float64)
    z = np.asarray(fn(key, mean, log_var), np.float64)
    if np.all(g_mean == 0) and np.all(g_log_var == 0):
        raise Wrong("jax.grad through your sampler is zero for both mean and log_var: the draw is cut off from its "
                    "parameters (jax.lax.stop_gradient, a value made outside JAX, or a sampler that hides them). "
                    "The trick is that z = mean + exp(log_var / 2) * eps stays a JAX expression of mean and log_var.")
    if np.all(g_log_var == 0):
        raise Wrong("The gradient reaches the mean but not log_var: the standard deviation is cut off "
                    "(stop_gradient, or computed with NumPy). Write std = jnp.exp(log_var / 2) inside the function.")
    if not np.allclose(g_mean, np.asarray(weights), rtol=1e-4, atol=1e-5):
        raise Wrong("dz/dmean should be 1 for every coordinate (z = mean + std * eps); jax.grad says otherwise.")
    if not np.allclose(g_log_var, np.asarray(weights) * 0.5 * (z - np.asarray(mean)), rtol=1e-3, atol=1e-5):
        raise Wrong("dz/dlog_var should be (z - mean) / 2 (= std * eps / 2); jax.grad says otherwise.")
    return "jax.grad flows through the draw: dz/dmean = 1 and dz/dlog_var = (z - mean) / 2."


@exercise
def check_finite_difference(fn):
    """Check ``fn(f, x, h) -> [d]``: central differences (f(x + h e_i) - f(x - h e_i)) / (2h), one coordinate at a time.

    Tested with f(x) = sum(x**3) + x[0] * x[1] at x = (0.5, -1, 2) and h = 0.1, where central, forward
    and backward differences and the exact gradient all differ.
    """
    f = lambda x: (x**3).sum() + x[0] * x[1]  # noqa: E731
    x = np.array([0.5, -1.0, 2.0])
    h = 0.1
    keep = x.copy()
    what = "finite_differences(f, x, h)"
    out = as_array(call(fn, f, x, h, what=what), what)
    if not np.array_equal(x, keep):
        raise Wrong("Your function changed x in place (x[i] += h on the caller's array): work on a copy, "
                    "x.copy(), or build the step as a new array.")
    eye = np.eye(3) * h
    central = np.array([(f(x + e) - f(x - e)) / (2 * h) for e in eye])
    forward = np.array([(f(x + e) - f(x)) / h for e in eye])
    backward = np.array([(f(x) - f(x - e)) / h for e in eye])
    exact = 3 * x**2 + np.array([x[1], x[0], 0.0])
    ones = np.ones(3) * h
    diagnose(out, [
        ("These are forward differences (f(x + h) - f(x)) / h: their error shrinks like h. Central differences "
         "(f(x + h) - f(x - h)) / (2h) have an error like h**2.", forward),
        ("These are backward differences (f(x) - f(x - h)) / h: use central ones, (f(x + h) - f(x - h)) / (2h).",
         backward),
        ("Twice the right answer: central differences divide by 2h, the distance between x + h and x - h.",
         2 * central),
        ("You moved every coordinate at once (x + h for the whole vector): step one coordinate at a time, "
         "x + h * e_i with e_i the i-th unit vector.", np.full(3, (f(x + ones) - f(x - ones)) / (2 * h))),
        ("That is the exact gradient (jax.grad?), not a finite-difference estimate: compute "
         "(f(x + h e_i) - f(x - h e_i)) / (2h) for each coordinate i.", exact),
    ], rtol=1e-4, atol=1e-4)
    shape_error(out, (3,), what)
    if not close(out, central, rtol=1e-4, atol=1e-4):
        raise Wrong(f"Expected central differences {fmt(central)}, got {fmt(out)}.")
    return "Central differences, one coordinate at a time, x left unchanged (error of order h**2)."
