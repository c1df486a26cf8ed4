"""Free bits, KL warm-up, the Gaussian likelihood and its hidden beta, against hand-computed references."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from vae_tutorial import losses, models, objectives, train


def test_free_bits_kl_by_hand():
    kl = np.array([[0.1, 2.0, 0.0], [0.3, 1.0, 0.2]], np.float32)  # batch means 0.2, 1.5, 0.1
    assert float(objectives.free_bits_kl(kl, lambda_=0.5)) == pytest.approx(0.5 + 1.5 + 0.5)
    assert float(objectives.free_bits_kl(kl, lambda_=0.0)) == pytest.approx(kl.sum(1).mean())
    assert float(objectives.free_bits_kl(kl, lambda_=0.15)) == pytest.approx(0.2 + 1.5 + 0.15)


def test_free_bits_charges_the_batch_mean_not_each_image():
    """max(lambda, mean) differs from mean(max(lambda, .)): the batch mean is what Kingma et al. clamp."""
    kl = np.array([[0.0], [1.0]], np.float32)
    assert float(objectives.free_bits_kl(kl, lambda_=0.6)) == pytest.approx(0.6)  # not (0.6 + 1.0) / 2


def test_free_bits_gradient_vanishes_below_lambda():
    kl = jnp.array([[0.1, 2.0], [0.3, 1.0]])
    grad = jax.grad(lambda k: objectives.free_bits_kl(k, lambda_=0.5))(kl)
    np.testing.assert_allclose(grad, [[0.0, 0.5], [0.0, 0.5]])


@pytest.mark.parametrize("bad, error", [(-0.1, ValueError), (float("nan"), TypeError), ("1", TypeError)])
def test_free_bits_rejects_bad_lambda(bad, error):
    with pytest.raises(error, match="lambda_"):
        objectives.free_bits_kl(jnp.zeros((2, 3)), lambda_=bad)


def test_free_bits_needs_a_matrix():
    with pytest.raises(ValueError, match=r"\[batch, latent\]"):
        objectives.free_bits_kl(jnp.zeros(3), lambda_=0.1)


def test_kl_weight_schedule():
    weights = [float(objectives.kl_weight(s, warmup_steps=4)) for s in range(6)]
    assert weights == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    assert float(objectives.kl_weight(10, warmup_steps=0)) == 1.0
    assert float(jax.jit(lambda s: objectives.kl_weight(s, warmup_steps=4))(jnp.int32(1))) == 0.5
    with pytest.raises(ValueError, match="warmup_steps"):
        objectives.kl_weight(0, warmup_steps=-1)


def test_gaussian_reconstruction_is_the_gaussian_log_density():
    rng = np.random.default_rng(0)
    x, mean = rng.uniform(size=(3, 784)).astype(np.float32), rng.uniform(size=(3, 784)).astype(np.float32)
    sigma = 0.3
    expected = -np.sum(-0.5 * ((x - mean) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi), axis=1)
    np.testing.assert_allclose(objectives.gaussian_reconstruction(mean, x, sigma=sigma), expected, rtol=1e-5)


def test_hidden_beta():
    assert objectives.hidden_beta(sigma=0.5 ** 0.5) == pytest.approx(1.0)
    assert objectives.hidden_beta(sigma=0.1) == pytest.approx(0.02)
    assert objectives.hidden_beta(kl_weight_on_sse=784.0) == 784.0
    with pytest.raises(ValueError, match="exactly one"):
        objectives.hidden_beta()


def test_gaussian_loss_has_the_minimiser_of_sse_plus_hidden_beta_kl(small_images):
    """SSE/(2 sigma^2) + KL and SSE + 2 sigma^2 KL differ by a factor and a constant: the same gradient direction."""
    model = models.VAE(2, hidden_sizes=(8,), rngs=nnx.Rngs(params=0))
    batch, key, sigma = {"images": jnp.asarray(small_images.reshape(8, -1))}, jax.random.key(0), 0.2
    gauss = objectives.gaussian_objective(sigma)

    def sse_plus(m):
        flat, mean, log_var, logits = objectives._encode_sample(m, batch["images"], key)
        sse = jnp.sum((flat - nnx.sigmoid(logits).reshape(flat.shape)) ** 2, axis=-1).mean()
        return sse + objectives.hidden_beta(sigma=sigma) * losses.gaussian_kl(mean, log_var).mean()

    g1 = nnx.grad(lambda m: gauss(m, batch, key, 1.0)[0])(model)
    g2 = nnx.grad(sse_plus)(model)
    a = np.asarray(g1["decoder"]["layers"][0]["kernel"][...]) * 2 * sigma**2
    np.testing.assert_allclose(a, g2["decoder"]["layers"][0]["kernel"][...], rtol=1e-3, atol=1e-6)


def test_objectives_are_cached_per_value():
    assert objectives.free_bits_objective(0.5) is objectives.free_bits_objective(0.5)
    assert objectives.gaussian_objective(0.5) is not objectives.gaussian_objective(0.25)


def test_free_bits_objective_with_zero_lambda_is_the_elbo(small_images):
    model = models.VAE(3, hidden_sizes=(8,), rngs=nnx.Rngs(params=0))
    batch, key = {"images": jnp.asarray(small_images.reshape(8, -1))}, jax.random.key(1)
    value, metrics = objectives.free_bits_objective(0.0)(model, batch, key, 2.0)
    expected, ref = train.latent_objective(model, batch, key, 2.0)
    np.testing.assert_allclose(value, expected, rtol=1e-5)
    np.testing.assert_allclose(metrics["kl"], ref["kl"], rtol=1e-5)


def _weight_probe(model, batch, key, beta):
    """A train.fit loss that reports the KL weight it was given (and trains the ELBO with it)."""
    value, metrics = train.latent_objective(model, batch, key, beta)
    return value, {**metrics, "weight": beta}


def test_fit_warmup_ramps_the_weight_step_by_step(mnist):
    """train.fit(kl_warmup_steps=8) with 4 steps per epoch: epoch means of beta * min(1, (t + 1) / 8)."""
    model = models.VAE(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=0))
    history = train.fit(model, mnist.train_images[:256], epochs=3, batch_size=64, beta=4.0, kl_warmup_steps=8,
                        loss=_weight_probe, progress=False)
    expected = [np.mean([4.0 * min(1.0, (t + 1) / 8) for t in range(4 * e, 4 * e + 4)]) for e in range(3)]
    np.testing.assert_allclose(history.metrics["weight"], expected, rtol=1e-6)


def test_fit_without_warmup_keeps_beta_and_free_bits_change_training(mnist):
    images = mnist.train_images[:256]
    runs = {}
    for name, options in (("plain", {}), ("zero warm-up", {"kl_warmup_steps": 0}), ("free bits", {"free_bits": 1.0})):
        model = models.VAE(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=0))
        runs[name] = train.fit(model, images, epochs=2, batch_size=64, beta=8.0, progress=False, **options)
    assert runs["zero warm-up"].loss == runs["plain"].loss
    assert runs["free bits"].loss != runs["plain"].loss
    # Free bits charge at least 2 dimensions x 1 nat x beta: the objective exceeds reconstruction + 8 * 2.
    assert runs["free bits"].loss[-1] >= runs["free bits"].reconstruction[-1] + 16.0 - 1e-3
    with pytest.raises(ValueError, match="default objective"):
        train.fit(models.VAE(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=0)), images, epochs=1, free_bits=1.0,
                  loss=train.latent_objective, progress=False)
    with pytest.raises(ValueError, match="warmup_steps"):
        train.fit(models.VAE(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=0)), images, epochs=1, kl_warmup_steps=-1,
                  progress=False)


def test_rate_distortion_names_the_terms():
    assert objectives.rate_distortion({"loss": 5.0, "reconstruction": 3.0, "kl": 2.0}) == (2.0, 3.0)
