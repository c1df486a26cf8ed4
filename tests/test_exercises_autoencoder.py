"""Checks of 01-autoencoder. Each check accepts a correct solution (written here, independently of the package) and rejects
each common mistake with a message that names it."""

import jax
import jax.numpy as jnp
import optax

from exercise_helpers import accepted, rejected
from vae_tutorial import exercises


def test_reconstruct():
    accepted(exercises.check_reconstruct(lambda model, x: model.decode(model.encode(x))))
    accepted(exercises.check_reconstruct(lambda model, x: jax.nn.sigmoid(model(x))))
    rejected(exercises.check_reconstruct(lambda model, x: model(x)), "logits")
    rejected(exercises.check_reconstruct(lambda model, x: model.encode(x)), "codes")
    rejected(exercises.check_reconstruct(lambda model, x: x), "input images unchanged")
    rejected(exercises.check_reconstruct(lambda model, x: model.decode(model.encode(x)).reshape(len(x), -1)),
             "flat")


def bce(logits, images):
    return optax.sigmoid_binary_cross_entropy(logits, images).sum(axis=(1, 2))


def test_reconstruction_loss():
    accepted(exercises.check_reconstruction_loss(bce))
    accepted(exercises.check_reconstruction_loss(
        lambda l, x: -(x * jax.nn.log_sigmoid(l) + (1 - x) * jax.nn.log_sigmoid(-l)).reshape(len(l), -1).sum(-1)))
    averaged = rejected(exercises.check_reconstruction_loss(lambda l, x: bce(l, x) / 784),
                        "averaged over the 784 pixels", "KL")
    assert "dominates" in averaged.message and "blurry" in averaged.message
    rejected(exercises.check_reconstruction_loss(lambda l, x: bce(l, x).sum()), "summed over the batch")
    rejected(exercises.check_reconstruction_loss(lambda l, x: bce(l, x).mean()), "averaged over the batch")
    rejected(exercises.check_reconstruction_loss(lambda l, x: optax.sigmoid_binary_cross_entropy(l, x).mean()),
             "pixels and over the batch")
    rejected(exercises.check_reconstruction_loss(
        lambda l, x: optax.sigmoid_binary_cross_entropy(l, x).sum(axis=-1)), "last axis only")
    rejected(exercises.check_reconstruction_loss(lambda l, x: -bce(l, x)), "sign")
    rejected(exercises.check_reconstruction_loss(
        lambda l, x: optax.sigmoid_binary_cross_entropy(l, x).sum(axis=0)), "batch axis (axis=0)")
    rejected(exercises.check_reconstruction_loss(lambda l, x: bce(jax.nn.sigmoid(l), x)), "sigmoid twice")
    rejected(exercises.check_reconstruction_loss(lambda l, x: bce(x, l)), "swapped")
    rejected(exercises.check_reconstruction_loss(lambda l, x: ((jax.nn.sigmoid(l) - x) ** 2).sum(axis=(1, 2))),
             "squared error")
    rejected(exercises.check_reconstruction_loss(lambda l, x: jnp.zeros(len(l))[:, None]), "shape")

    def naive(l, x):  # log of sigmoid: fine for moderate logits, -inf for confident ones
        p = jax.nn.sigmoid(l)
        return -(x * jnp.log(p) + (1 - x) * jnp.log(1 - p)).sum(axis=(1, 2))

    rejected(exercises.check_reconstruction_loss(naive), "numerically stable", "log_sigmoid")
    rejected(exercises.check_reconstruction_loss(lambda l, x: -(x * jnp.log(l)).sum(axis=(1, 2))), "NaN")
