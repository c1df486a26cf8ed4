"""Checks of 06-the-elbo. Each check accepts a correct solution (written here, independently of the package) and rejects
each common mistake with a message that names it."""

import jax
import jax.numpy as jnp
import optax
import pytest

from exercise_helpers import accepted, rejected
from vae_tutorial import exercises


def kl(mean, log_var):
    return 0.5 * jnp.sum(jnp.exp(log_var) + mean**2 - 1.0 - log_var, axis=-1)


@pytest.mark.parametrize("mistake, words", [
    (lambda m, lv: -kl(m, lv), ("wrong sign",)),
    (lambda m, lv: 0.5 * jnp.mean(jnp.exp(lv) + m**2 - 1.0 - lv, axis=-1), ("averaged over the latent dimensions",
                                                                             "instead of summing")),
    (lambda m, lv: 2 * kl(m, lv), ("missing the 1/2",)),
    (lambda m, lv: kl(m, lv).sum(), ("summed over the batch",)),
    (lambda m, lv: kl(m, lv).mean(), ("averaged over the batch",)),
    (lambda m, lv: 0.5 * (jnp.exp(lv) + m**2 - 1.0 - lv), ("one term per latent dimension",)),
    (lambda m, lv: 0.5 * jnp.sum(jnp.exp(lv / 2) + m**2 - 1.0 - lv, axis=-1), ("standard deviation",
                                                                                "variance")),
    (lambda m, lv: 0.5 * jnp.sum(jnp.exp(lv) + m**2 - lv, axis=-1), ("-1",)),
    (lambda m, lv: kl(m, lv)[:, None], ("shape [5, 1]",)),
    (lambda m, lv: 0.5 * jnp.sum(jnp.exp(lv) + m**2 - 1.0 - lv, axis=0), ("batch axis (axis=0)",)),
])
def test_gaussian_kl_names_the_mistake(mistake, words):
    rejected(exercises.check_gaussian_kl(mistake), *words)


def test_gaussian_kl_accepts_correct_solutions():
    accepted(exercises.check_gaussian_kl(kl))
    accepted(exercises.check_gaussian_kl(
        lambda m, lv: jnp.sum(-0.5 * (1 + lv - m**2 - jnp.exp(lv)), axis=1)))  # the Kingma-Welling form


def elbo_terms(model, images, key):
    mean, log_var = model.encode(images)
    z = mean + jnp.exp(0.5 * log_var) * jax.random.normal(key, mean.shape)
    logits = model.decode_logits(z)
    return optax.sigmoid_binary_cross_entropy(logits, images).sum(axis=(1, 2)), kl(mean, log_var)


@pytest.mark.slow
def test_elbo_terms():
    accepted(exercises.check_elbo_terms(elbo_terms))

    def other_noise(model, images, key):  # a different but valid draw: accepted on average
        mean, log_var = model.encode(images)
        eps = -jax.random.normal(jax.random.fold_in(key, 7), mean.shape)
        rec = optax.sigmoid_binary_cross_entropy(model.decode_logits(mean + jnp.exp(log_var / 2) * eps),
                                                 images).sum(axis=(1, 2))
        return rec, kl(mean, log_var)

    accepted(exercises.check_elbo_terms(other_noise))
    accepted(exercises.check_elbo_terms(lambda model, images, key: model.loss_terms(images, key=key)))

    def at_mean(model, images, key):
        mean, log_var = model.encode(images)
        return optax.sigmoid_binary_cross_entropy(model.decode_logits(mean), images).sum(axis=(1, 2)), kl(mean, log_var)

    rejected(exercises.check_elbo_terms(at_mean), "decodes the mean")
    rejected(exercises.check_elbo_terms(lambda m, x, k: (elbo_terms(m, x, k)[0] / 784, elbo_terms(m, x, k)[1])),
             "averaged over the 784 pixels", "dominates")
    rejected(exercises.check_elbo_terms(lambda m, x, k: elbo_terms(m, x, k)[::-1]), "swapped")
    rejected(exercises.check_elbo_terms(lambda m, x, k: (elbo_terms(m, x, k)[0], -elbo_terms(m, x, k)[1])),
             "wrong sign")
    rejected(exercises.check_elbo_terms(lambda m, x, k: tuple(t.mean() for t in elbo_terms(m, x, k))),
             "one value per image")
    rejected(exercises.check_elbo_terms(lambda m, x, k: elbo_terms(m, x, jax.random.key(0))), "ignores the key")
