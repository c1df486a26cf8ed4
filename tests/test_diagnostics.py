"""Active units, the aggregate posterior and the KL decomposition (07-how-vaes-fail), against NumPy references."""

import numpy as np
import pytest
from flax import nnx

from vae_tutorial import diagnostics, models, pretrained

LOG_2PI = np.log(2 * np.pi)


@pytest.fixture(scope="module")
def vae():
    return pretrained.load("vae-2d")


def test_latent_activity_and_active_units(vae, mnist):
    images = mnist.test_images[:50]
    activity = diagnostics.latent_activity(vae, images, chunk_size=16)
    means = np.asarray(vae.encode(images)[0], np.float64)
    np.testing.assert_allclose(activity, means.var(axis=0), rtol=1e-6)
    assert diagnostics.active_units(vae, images) == int((means.var(axis=0) > 0.01).sum()) == 2
    assert diagnostics.active_units(vae, images, threshold=1e9) == 0
    with pytest.raises(ValueError, match="at least two images"):
        diagnostics.latent_activity(vae, images[:1])
    with pytest.raises(ValueError, match="threshold must be a number >= 0"):
        diagnostics.active_units(vae, images, threshold=-1.0)
    with pytest.raises(TypeError, match="needs a VAE"):
        diagnostics.latent_activity(models.Autoencoder(2, hidden_sizes=(8,), rngs=nnx.Rngs(params=0)), images)


# ---------------------------------------------------------------- the aggregate posterior


def test_aggregate_posterior_density_against_numpy_and_normalised():
    rng = np.random.default_rng(0)
    mean = rng.normal(size=(7, 2)).astype(np.float32)
    log_var = rng.normal(-1.0, 0.3, size=(7, 2)).astype(np.float32)
    z = rng.normal(size=(11, 2)).astype(np.float32)
    got = diagnostics.aggregate_posterior_log_density(mean, log_var, z, chunk_size=4)
    var = np.exp(log_var.astype(np.float64))
    comps = -0.5 * (((z[:, None] - mean[None]) ** 2 / var[None]).sum(-1) + np.log(var).sum(-1)[None] + 2 * LOG_2PI)
    expected = np.log(np.exp(comps).mean(axis=1))
    assert got.shape == (11,)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    # A density: integrates to 1 over a grid wide enough to hold every component.
    xs = np.linspace(-8, 8, 321)
    grid = np.stack(np.meshgrid(xs, xs), -1).reshape(-1, 2)
    mass = np.exp(diagnostics.aggregate_posterior_log_density(mean, log_var, grid)).sum() * (xs[1] - xs[0]) ** 2
    assert mass == pytest.approx(1.0, abs=1e-3)
    with pytest.raises(ValueError, match=r"z must have shape \[m, 2\]"):
        diagnostics.aggregate_posterior_log_density(mean, log_var, np.zeros((3, 5)))
    with pytest.raises(ValueError, match="both have shape"):
        diagnostics.aggregate_posterior_log_density(mean, log_var[:3], z)


def test_kl_decomposition_adds_up(vae, mnist):
    parts = diagnostics.kl_decomposition(vae, mnist.train_images[:400], seed=0, num_samples=4)
    total = parts["mutual_information"] + parts["marginal_kl"]
    se = np.hypot(parts["mutual_information_se"], parts["marginal_kl_se"])
    assert total == pytest.approx(parts["average_kl"], abs=4 * se + 0.05)
    assert 0 < parts["mutual_information"] <= parts["log_n"] == pytest.approx(np.log(400))
    assert parts["marginal_kl"] > -4 * parts["marginal_kl_se"]
    with pytest.raises(ValueError, match="at least two images"):
        diagnostics.kl_decomposition(vae, mnist.train_images[:1])
