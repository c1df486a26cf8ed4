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
    # Both terms are non-negative; an untrained decoder reconstructs grey noise at about 784 * log 2 nats.
    assert 400 < float(value) < 700


@pytest.mark.slow
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


def _bce(logits, x):
    """Independent reference: -log Bernoulli(x; sigmoid(logits)) summed over pixels, in float64."""
    logits, x = np.asarray(logits, np.float64).reshape(len(x), -1), np.asarray(x, np.float64).reshape(len(x), -1)
    return (np.logaddexp(0, logits) - x * logits).sum(-1)


def test_autoencoder_terms_against_a_numpy_forward_pass(tiny_models, mnist):
    model = tiny_models["autoencoder"]
    x = mnist.test_images[:6]
    rec, kl = losses.autoencoder_terms(model, x)
    # The forward pass by hand: encoder and decoder layers as NumPy matrix products.
    params = nnx.state(model, nnx.Param)
    def dense(h, layer):
        return h @ np.asarray(layer["kernel"][...], np.float64) + np.asarray(layer["bias"][...], np.float64)
    h = x.reshape(6, 784).astype(np.float64)
    h = dense(np.maximum(dense(h, params["encoder"]["layers"][0]), 0), params["encoder"]["layers"][1])
    logits = dense(np.maximum(dense(h, params["decoder"]["layers"][0]), 0), params["decoder"]["layers"][1])
    np.testing.assert_allclose(rec, _bce(logits, x), rtol=1e-4)
    np.testing.assert_array_equal(kl, np.zeros(6))
    assert float(losses.autoencoder_loss(model, x)) == pytest.approx(_bce(logits, x).mean(), rel=1e-4)
    rec2, _ = model.loss_terms(x, key=jax.random.key(0))
    np.testing.assert_array_equal(rec, rec2)


def test_bernoulli_reconstruction_rejects_logits_of_another_shape(small_images):
    # 8 x 784 logits reshaped to [16, 392] have the same number of elements: the old code reshaped them silently.
    with pytest.raises(ValueError, match=r"logits must have shape \[8, 28, 28\] or \[8, 784\] to match the images, got \(16, 392\)"):
        losses.bernoulli_reconstruction(np.zeros((16, 392), np.float32), small_images)
    with pytest.raises(ValueError, match="got \\(8, 784, 1\\)"):
        losses.bernoulli_reconstruction(np.zeros((8, 784, 1), np.float32), small_images)


@pytest.mark.slow
def test_every_loss_gives_the_same_values_under_jit(tiny_models, small_images):
    logits = np.random.default_rng(2).normal(size=(8, 28, 28)).astype(np.float32)
    mean = jnp.asarray(np.random.default_rng(3).normal(size=(8, 2)), jnp.float32)
    log_var = jnp.asarray(np.random.default_rng(4).normal(size=(8, 2)), jnp.float32)
    key = jax.random.key(1)
    vae, ae = tiny_models["vae"], tiny_models["autoencoder"]
    cases = {
        "bernoulli_reconstruction": (lambda l, x: losses.bernoulli_reconstruction(l, x), (logits, small_images)),
        "gaussian_kl": (losses.gaussian_kl, (mean, log_var)),
        "elbo_terms": (lambda x, k: losses.elbo_terms(vae, x, key=k, num_samples=2), (small_images, key)),
        "negative_elbo": (lambda x, k: losses.negative_elbo(vae, x, key=k), (small_images, key)),
        "autoencoder_terms": (lambda x: losses.autoencoder_terms(ae, x), (small_images,)),
        "autoencoder_loss": (lambda x: losses.autoencoder_loss(ae, x), (small_images,)),
    }
    for name, (fn, args) in cases.items():
        eager, jitted = fn(*args), jax.jit(fn)(*args)
        for a, b in zip(jax.tree.leaves(eager), jax.tree.leaves(jitted)):
            np.testing.assert_allclose(a, b, rtol=2e-5, err_msg=name)
    np.testing.assert_allclose(jax.jit(losses.gaussian_kl)(mean, log_var),
                               0.5 * (np.exp(log_var) + mean**2 - 1 - log_var).sum(-1), rtol=1e-5)
    np.testing.assert_allclose(cases["bernoulli_reconstruction"][0](logits, small_images), _bce(logits, small_images), rtol=1e-5)


def test_num_samples_validated(small_images):
    model = models.VAE(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=0))
    with pytest.raises(ValueError, match="num_samples must be >= 1"):
        losses.negative_elbo(model, small_images, key=jax.random.key(0), num_samples=0)


def test_per_dimension_kl_sums_to_the_kl():
    rng = np.random.default_rng(0)
    mean, log_var = rng.normal(size=(5, 3)).astype(np.float32), rng.normal(size=(5, 3)).astype(np.float32)
    per_dim = losses.gaussian_kl_per_dimension(mean, log_var)
    assert per_dim.shape == (5, 3) and float(per_dim.min()) >= 0
    np.testing.assert_allclose(per_dim.sum(-1), losses.gaussian_kl(mean, log_var), rtol=1e-6)
    np.testing.assert_allclose(losses.gaussian_kl_per_dimension(jnp.float32(1.0), jnp.float32(0.0)), 0.5)
    with pytest.raises(ValueError, match="same shape"):
        losses.gaussian_kl_per_dimension(jnp.zeros(2), jnp.zeros(3))
