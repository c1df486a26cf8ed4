"""Checks of 05-why-it-works. Each check accepts a correct solution (written here, independently of the package) and rejects
each common mistake with a message that names it."""

import jax
import jax.numpy as jnp

from exercise_helpers import accepted, rejected
from vae_tutorial import exercises


def pathwise(f, mean, std, key, n):
    eps = jax.random.normal(key, (n,))
    return jax.grad(lambda m, s: jnp.mean(f(m + s * eps)), argnums=(0, 1))(mean, std)


def score(f, mean, std, key, n):
    z = mean + std * jax.random.normal(key, (n,))
    fz = f(z)
    return jnp.mean(fz * (z - mean) / std**2), jnp.mean(fz * ((z - mean) ** 2 - std**2) / std**3)


def test_pathwise_gradient():
    accepted(exercises.check_pathwise_gradient(pathwise))
    rejected(exercises.check_pathwise_gradient(score), "score-function")
    rejected(exercises.check_pathwise_gradient(
        lambda f, m, s, k, n: pathwise(lambda z: f(jax.lax.stop_gradient(z)), m, s, k, n)), "zero")
    rejected(exercises.check_pathwise_gradient(lambda f, m, s, k, n: pathwise(f, m, s, jax.random.key(0), n)),
             "ignore `key`")
    rejected(exercises.check_pathwise_gradient(
        lambda f, m, s, k, n: jax.grad(lambda m, s: jnp.mean(f(m + s**2 * jax.random.normal(k, (n,)))),
                                       argnums=(0, 1))(m, s)), "variance slip")


def test_score_function():
    accepted(exercises.check_score_function(score))
    rejected(exercises.check_score_function(pathwise), "pathwise")

    def by_sigma(f, mean, std, key, n):
        z = mean + std * jax.random.normal(key, (n,))
        return jnp.mean(f(z) * (z - mean) / std), score(f, mean, std, key, n)[1]

    rejected(exercises.check_score_function(by_sigma), "(z - mean) / std**2")

    def no_minus(f, mean, std, key, n):
        z = mean + std * jax.random.normal(key, (n,))
        return score(f, mean, std, key, n)[0], jnp.mean(f(z) * (z - mean) ** 2 / std**3)

    rejected(exercises.check_score_function(no_minus), "- std**2")
    rejected(exercises.check_score_function(lambda f, m, s, k, n: tuple(n * g for g in score(f, m, s, k, n))),
             "summed")
    rejected(exercises.check_score_function(lambda f, m, s, k, n: (f(m + s * jax.random.normal(k, (n,))),) * 2),
             "average")
