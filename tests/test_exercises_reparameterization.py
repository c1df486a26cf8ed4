"""Checks of 04-reparameterization-trick. Each check accepts a correct solution (written here, independently of the package) and rejects
each common mistake with a message that names it."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from exercise_helpers import accepted, rejected
from vae_tutorial import exercises


def reparameterize(key, mean, log_var):
    return mean + jnp.exp(0.5 * log_var) * jax.random.normal(key, mean.shape)


def test_reparameterize_accepts_correct_solutions():
    accepted(exercises.check_reparameterize(reparameterize))
    accepted(exercises.check_reparameterize(
        lambda key, m, lv: m + jnp.sqrt(jnp.exp(lv)) * jax.random.normal(key, m.shape, dtype=m.dtype)))


def exp_log_var_as_std(key, mean, log_var):
    std = jnp.exp(log_var)  # the slip: exp(log_var) is the variance
    return mean + std * jax.random.normal(key, mean.shape)


@pytest.mark.parametrize("mistake, words", [
    (exp_log_var_as_std, ("variance", "standard deviation", "exp(log_var)")),
    (lambda key, m, lv: m + jnp.sqrt(jnp.exp(lv)) ** 2 * jax.random.normal(key, m.shape),
     ("variance", "standard deviation")),  # "multiplied by the variance"
    (lambda key, m, lv: m + lv * jax.random.normal(key, m.shape), ("log_var itself",)),
    (lambda key, m, lv: m + jnp.exp(-lv / 2) * jax.random.normal(key, m.shape), ("1 / sigma",)),
    (lambda key, m, lv: m + jax.random.normal(key, m.shape), ("spread 1",)),
    (lambda key, m, lv: m, ("mean unchanged", "no noise")),
    (lambda key, m, lv: reparameterize(jax.random.key(42), m, lv), ("ignores the key",)),
    (lambda key, m, lv: m + jnp.exp(lv / 2) * jax.random.normal(key, m.shape[-1:]), ("same draw", "every image")),
    (lambda key, m, lv: m + jnp.exp(lv / 2) * jax.random.normal(key, (m.shape[0], 1)), ("share their noise",)),
    (lambda key, m, lv: jnp.exp(lv / 2) * jax.random.normal(key, m.shape), ("centred on 0", "add the mean")),
    (lambda key, m, lv: jax.lax.stop_gradient(reparameterize(key, m, lv)), ("cut off", "zero")),
    (lambda key, m, lv: m + jax.lax.stop_gradient(jnp.exp(lv / 2)) * jax.random.normal(key, m.shape),
     ("not log_var",)),
    (lambda key, m, lv: m + np.exp(np.asarray(lv) / 2) * jax.random.normal(key, m.shape), ("tracer", "np.asarray")),
    (lambda key, m, lv: m + jnp.exp(lv / 2) * np.random.default_rng().normal(size=m.shape), ("same key",
                                                                                            "different draws")),
    (lambda key, m, lv: reparameterize(key, m, lv)[0], ("shape of mean",)),
])
def test_reparameterize_names_the_mistake(mistake, words):
    rejected(exercises.check_reparameterize(mistake), *words)


def central(f, x, h):
    x = np.asarray(x, dtype=float)
    return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(len(x))])


def test_finite_difference():
    accepted(exercises.check_finite_difference(central))
    forward = lambda f, x, h: np.array([(f(x + h * e) - f(x)) / h for e in np.eye(len(x))])  # noqa: E731
    rejected(exercises.check_finite_difference(forward), "forward differences")
    rejected(exercises.check_finite_difference(lambda f, x, h: 2 * central(f, x, h)), "2h")
    rejected(exercises.check_finite_difference(lambda f, x, h: np.full(len(x), (f(x + h) - f(x - h)) / (2 * h))),
             "every coordinate at once")
    rejected(exercises.check_finite_difference(lambda f, x, h: jax.grad(f)(jnp.asarray(x))), "exact gradient")

    def in_place(f, x, h):
        out = []
        for i in range(len(x)):
            x[i] += h
            up = f(x)
            x[i] -= 2 * h
            down = f(x)
            x[i] += h + 1e-3  # a slip that leaves x changed
            out.append((up - down) / (2 * h))
        return np.array(out)

    rejected(exercises.check_finite_difference(in_place), "in place")
