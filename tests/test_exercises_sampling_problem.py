"""Checks of 03-vae-sampling-problem. Each check accepts a correct solution (written here, independently of the package) and rejects
each common mistake with a message that names it."""

import jax
import jax.numpy as jnp

from exercise_helpers import accepted, rejected
from vae_tutorial import exercises


def test_std_from_log_var():
    accepted(exercises.check_std_from_log_var(lambda lv: jnp.exp(0.5 * lv)))
    accepted(exercises.check_std_from_log_var(lambda lv: jnp.sqrt(jnp.exp(lv))))
    rejected(exercises.check_std_from_log_var(lambda lv: jnp.exp(lv)), "variance", "exp(log_var / 2)")
    rejected(exercises.check_std_from_log_var(lambda lv: jnp.exp(lv) / 2), "inside the exponent")
    rejected(exercises.check_std_from_log_var(lambda lv: jnp.exp(-lv / 2)), "minus sign")
    rejected(exercises.check_std_from_log_var(lambda lv: jnp.sqrt(lv)), "NaN")


def mc_mean(f, mu, sigma, key, n):
    return jnp.mean(f(mu + sigma * jax.random.normal(key, (n,))))


def test_monte_carlo_mean():
    accepted(exercises.check_monte_carlo_mean(mc_mean))
    rejected(exercises.check_monte_carlo_mean(lambda f, mu, s, key, n: f(jnp.float32(mu))), "f(E[z])")
    rejected(exercises.check_monte_carlo_mean(lambda f, mu, s, key, n: mc_mean(f, mu, s**2, key, n)), "variance")
    rejected(exercises.check_monte_carlo_mean(lambda f, mu, s, key, n: mc_mean(f, mu, s, jax.random.key(0), n)),
             "ignore `key`")
    rejected(exercises.check_monte_carlo_mean(lambda f, mu, s, key, n: n * mc_mean(f, mu, s, key, n)), "summed")
