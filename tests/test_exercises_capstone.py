"""The capstone check of 06-the-elbo (a whole VAE training step): it accepts correct steps, written here
independently of the package, and names each listed mistake in a step made wrong on purpose."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

from exercise_helpers import accepted, rejected

from vae_tutorial import exercises, models, train
from vae_tutorial.exercises import capstone


def bce(logits, images):
    return optax.sigmoid_binary_cross_entropy(logits, images).sum(axis=(1, 2))


def kl(mean, log_var):
    return -0.5 * jnp.sum(1 + log_var - mean**2 - jnp.exp(log_var), axis=-1)


def make_step(*, kl_sign=1.0, pixel_mean=False, split=True, fixed_noise=False, outside=False, update=True,
              scale="std", at_mean=False):
    """A training step written out by hand; each keyword makes one known mistake."""

    def train_step(model, optimizer, images, key):
        if split:
            key, noise_key = jax.random.split(key)
        else:
            noise_key = key  # the mistake: the same key is used for the noise and returned
        if fixed_noise:
            noise_key = jax.random.key(0)

        def draw(mean, log_var):
            eps = jax.random.normal(noise_key, mean.shape)
            std = {"std": jnp.exp(0.5 * log_var), "variance": jnp.exp(log_var)}[scale]
            return mean if at_mean else mean + std * eps

        if outside:
            z_fixed = draw(*model.encode(images))

        def loss_fn(model):
            mean, log_var = model.encode(images)
            z = z_fixed if outside else draw(mean, log_var)
            reconstruction = bce(model.decode_logits(z), images)
            if pixel_mean:
                reconstruction = reconstruction / 784
            return jnp.mean(reconstruction + kl_sign * kl(mean, log_var))

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        if update:
            optimizer.update(model, grads)
        return loss, key

    return train_step


def test_correct_steps_pass():
    accepted(exercises.check_train_step(make_step()))
    accepted(exercises.check_train_step(nnx.jit(make_step())))  # compiled by the reader: still checked

    def with_the_package(model, optimizer, images, key):  # the package's own objective, another valid split
        noise_key, key = jax.random.split(key)
        (loss, _), grads = nnx.value_and_grad(
            lambda m: train.latent_objective(m, {"images": images}, noise_key, 1.0), has_aux=True)(model)
        optimizer.update(model, grads)
        return loss, key

    accepted(exercises.check_train_step(with_the_package))


@pytest.mark.parametrize("mistake, words", [
    (dict(kl_sign=-1.0), ("wrong sign", "reconstruction - KL")),
    (dict(pixel_mean=True), ("averaged over the 784 pixels", "beta = 784", "blurry")),
    (dict(split=False), ("never split", "same noise")),
    (dict(fixed_noise=True), ("same noise", "does not come from the key")),
    (dict(outside=True), ("outside the function you differentiate", "encoder")),
    (dict(update=False), ("optimizer.update",)),
    (dict(scale="variance"), ("variance", "standard deviation")),
    (dict(at_mean=True), ("mean, not a draw",)),
])
def test_each_mistake_is_named(mistake, words):
    rejected(exercises.check_train_step(make_step(**mistake)), *words)


def test_other_failures_are_reported_kindly():
    def stub(model, optimizer, images, key):
        raise NotImplementedError("write me")

    rejected(exercises.check_train_step(stub), "not attempted yet")
    rejected(exercises.check_train_step(42), "function itself")

    def loss_only(model, optimizer, images, key):
        return make_step()(model, optimizer, images, key)[0]

    rejected(exercises.check_train_step(loss_only), "(loss, key)")

    def summed_over_batch(model, optimizer, images, key):
        key, noise_key = jax.random.split(key)

        def loss_fn(model):
            mean, log_var = model.encode(images)
            z = mean + jnp.exp(0.5 * log_var) * jax.random.normal(noise_key, mean.shape)
            return jnp.sum(bce(model.decode_logits(z), images) + kl(mean, log_var))

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        optimizer.update(model, grads)
        return loss, key

    rejected(exercises.check_train_step(summed_over_batch), "summed over the images")


def test_reference_is_the_packages_objective():
    """With the package's own noise, the check's reference loss equals train.latent_objective's value."""
    model = models.VAE(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=3))
    images = jnp.asarray(np.random.default_rng(0).uniform(size=(8, 28, 28)), jnp.float32)
    key = jax.random.key(5)
    ours, _ = train.latent_objective(model, {"images": images}, key, 1.0)
    mean, _ = model.encode(images)
    eps = jax.random.normal(jax.random.split(key, 1)[0], mean.shape)  # the noise elbo_terms draws from key
    assert np.isclose(float(capstone.reference_loss(model, images, eps)), float(ours), rtol=1e-6)
    assert not np.isclose(float(capstone.reference_loss(model, images, eps, variant="kl_sign")), float(ours))


def test_a_checked_step_trains():
    """The step the check accepts lowers the loss over a few dozen Adam steps on real digits."""
    from vae_tutorial import data

    images = jnp.asarray(data.load_mnist().train_images[:256])
    model = models.VAE(2, hidden_sizes=(32,), rngs=nnx.Rngs(params=0))
    optimizer = nnx.Optimizer(model, optax.adam(3e-3), wrt=nnx.Param)
    step, key = nnx.jit(make_step()), jax.random.key(0)
    history = []
    for _ in range(6):
        for batch in images.reshape(-1, 64, 28, 28):
            loss, key = step(model, optimizer, batch, key)
            history.append(float(loss))
    assert np.mean(history[-4:]) < np.mean(history[:4]) - 100
