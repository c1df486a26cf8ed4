import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from vae_tutorial import losses, models, sampling


def test_bernoulli_reconstruction_matches_formula(small_images):
    logits = np.random.default_rng(1).normal(size=(8, 784)).astype(np.float32)
    p = 1 / (1 + np.exp(-logits))
    x = small_images.reshape(8, 784)
    expected = -(x * np.log(p) + (1 - x) * np.log(1 - p)).sum(-1)
    got = losses.bernoulli_reconstruction(logits.reshape(8, 28, 28), small_images)
    assert got.shape == (8,)
    np.testing.assert_allclose(got, expected, rtol=1e-4)


def test_gaussian_kl_zero_at_prior():
    np.testing.assert_allclose(losses.gaussian_kl(jnp.zeros((3, 2)), jnp.zeros((3, 2))), np.zeros(3), atol=1e-7)


def test_gaussian_kl_against_monte_carlo():
    mean = jnp.array([0.7, -1.2])
    log_var = jnp.array([-0.5, 0.8])
    analytic = float(losses.gaussian_kl(mean, log_var))
    n = 400_000
    z = sampling.reparameterize(jax.random.key(0), jnp.broadcast_to(mean, (n, 2)), jnp.broadcast_to(log_var, (n, 2)))
    std = jnp.exp(0.5 * log_var)
    log_q = jax.scipy.stats.norm.logpdf(z, mean, std).sum(-1)
    log_p = jax.scipy.stats.norm.logpdf(z).sum(-1)
    mc = float(jnp.mean(log_q - log_p))
    assert analytic == pytest.approx(mc, abs=0.01)
    assert analytic == pytest.approx(1.2310, abs=1e-3)  # 0.5*(e^-0.5+0.49-1+0.5 + e^0.8+1.44-1-0.8)


def test_gaussian_kl_shape_mismatch():
    with pytest.raises(ValueError, match="same shape"):
        losses.gaussian_kl(jnp.zeros(2), jnp.zeros(3))


def test_negative_elbo_is_sum_of_terms(small_images):
    model = models.VAE(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=0))
    key = jax.random.key(0)
    rec, kl = losses.elbo_terms(model, small_images, key=key, num_samples=3)
    assert rec.shape == kl.shape == (8,)
    assert float(kl.min()) >= 0
    value = losses.negative_elbo(model, small_images, key=key, num_samples=3)
    np.testing.assert_allclose(value, jnp.mean(rec + kl), rtol=1e-6)
    # Both terms are non-negative and the reconstruction of 784 grey pixels costs far more than 0.
    assert value > 100


def test_reparameterized_gradient_matches_finite_differences(small_images):
    model = models.VAE(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=0))
    graphdef, params = nnx.split(model)
    key = jax.random.key(5)

    def loss_of_bias(bias):
        p = jax.tree.map(lambda x: x, params)
        p["encoder"]["layers"][1]["bias"][...] = bias
        return losses.negative_elbo(nnx.merge(graphdef, p), small_images, key=key, num_samples=4)

    bias = params["encoder"]["layers"][1]["bias"][...]
    grad = jax.grad(loss_of_bias)(bias)
    h = 1e-2
    for i in range(4):
        e = jnp.zeros_like(bias).at[i].set(h)
        fd = (loss_of_bias(bias + e) - loss_of_bias(bias - e)) / (2 * h)
        assert float(grad[i]) == pytest.approx(float(fd), rel=2e-2, abs=2e-2)


def test_autoencoder_loss(small_images):
    model = models.Autoencoder(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=0))
    value = losses.autoencoder_loss(model, small_images)
    expected = losses.bernoulli_reconstruction(model(small_images), small_images).mean()
    np.testing.assert_allclose(value, expected, rtol=1e-6)


def test_num_samples_validated(small_images):
    model = models.VAE(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=0))
    with pytest.raises(ValueError, match="num_samples must be >= 1"):
        losses.negative_elbo(model, small_images, key=jax.random.key(0), num_samples=0)
