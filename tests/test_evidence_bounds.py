"""The importance-weighted bound, the ELBO of any Gaussian posterior and its optimisation (06-the-elbo).

References are computed independently here, in NumPy (float64), from the model's encoder and
decoder outputs; only the standard-normal noise is drawn with JAX, the same way the package
documents it (sample k of image i from fold_in(fold_in(key, i), k)).
"""

import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from vae_tutorial import evidence_bounds, losses, models, pretrained

LOG_2PI = np.log(2 * np.pi)


@pytest.fixture(scope="module")
def vae():
    return pretrained.load("vae-2d")


@pytest.fixture(scope="module")
def digits(mnist):
    return mnist.test_images[:6]


def _numpy_log_weights(model, images, key, num_samples):
    """[n, K] log p(x|z) + log p(z) - log q(z|x) in float64 NumPy, same noise as the package."""
    flat = images.reshape(len(images), -1).astype(np.float64)
    mean, log_var = (np.asarray(a, np.float64) for a in model.encode(images))
    latent = mean.shape[1]
    eps = np.stack([np.stack([np.asarray(jax.random.normal(jax.random.fold_in(jax.random.fold_in(key, i), k), (latent,)))
                              for k in range(num_samples)]) for i in range(len(images))]).astype(np.float64)
    z = mean[:, None] + np.exp(0.5 * log_var)[:, None] * eps  # [n, K, latent]
    logits = np.asarray(model.decode_logits(jnp.asarray(z.reshape(-1, latent), jnp.float32)), np.float64)
    logits = logits.reshape(len(images), num_samples, -1)
    log_px_z = (flat[:, None] * logits - np.logaddexp(0.0, logits)).sum(-1)  # Bernoulli log-likelihood
    log_pz = -0.5 * (z**2 + LOG_2PI).sum(-1)
    log_qz = -0.5 * (eps**2 + LOG_2PI + log_var[:, None]).sum(-1)
    return log_px_z + log_pz - log_qz


def _log_mean_exp(a, axis):
    top = a.max(axis=axis, keepdims=True)
    return np.log(np.exp(a - top).mean(axis=axis)) + top.squeeze(axis)


# ---------------------------------------------------------------- importance_weighted_bound


def test_bound_matches_a_direct_numpy_log_mean_exp(vae, digits):
    key = jax.random.key(11)
    got = evidence_bounds.importance_weighted_bound(vae, digits, key=key, num_samples=37)
    expected = _log_mean_exp(_numpy_log_weights(vae, digits, key, 37), axis=1)
    assert got.shape == (6,) and got.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(got), expected, rtol=2e-6, atol=2e-4)
    assert np.all(expected < 0)  # a bound on log p(x): negative nats for digits


def test_log_weights_are_the_bounds_raw_material(vae, digits):
    key = jax.random.key(2)
    log_w = evidence_bounds.importance_log_weights(vae, digits, key=key, num_samples=23, sample_chunk_size=5)
    assert log_w.shape == (6, 23)
    np.testing.assert_allclose(np.asarray(log_w), _numpy_log_weights(vae, digits, key, 23), rtol=1e-5, atol=1e-3)
    bound = evidence_bounds.importance_weighted_bound(vae, digits, key=key, num_samples=23)
    np.testing.assert_allclose(bound, jax.nn.logsumexp(log_w, axis=1) - np.log(23), rtol=1e-6)


@pytest.mark.parametrize("chunk_size, sample_chunk_size", [(1, 1), (4, 7), (6, 50), (100, 100)])
def test_chunked_equals_unchunked(vae, digits, chunk_size, sample_chunk_size):
    key = jax.random.key(4)
    whole = evidence_bounds.importance_weighted_bound(vae, digits, key=key, num_samples=50, chunk_size=6,
                                             sample_chunk_size=50)
    chunked = evidence_bounds.importance_weighted_bound(vae, digits, key=key, num_samples=50, chunk_size=chunk_size,
                                               sample_chunk_size=sample_chunk_size)
    np.testing.assert_allclose(chunked, whole, rtol=1e-6)


@pytest.mark.slow
def test_k1_equals_the_elbo_in_expectation(vae, digits):
    """Mean of L_1 over 4,000 keys against the ELBO (closed-form KL, 4,000-sample reconstruction)."""
    repeats = 4000
    keys = jax.random.split(jax.random.key(0), repeats)
    one = jax.vmap(lambda k: evidence_bounds.importance_weighted_bound(vae, digits, key=k, num_samples=1))(keys)  # [R, n]
    # Reference, independent of the bound's code: E_q[log p(x|z)] in NumPy from other draws, minus the KL.
    mean, log_var = (np.asarray(a, np.float64) for a in vae.encode(digits))
    eps = np.random.default_rng(1).standard_normal((repeats, *mean.shape))
    z = (mean + np.exp(0.5 * log_var) * eps).astype(np.float32).reshape(-1, 2)
    logits = np.asarray(vae.decode_logits(jnp.asarray(z)), np.float64).reshape(repeats, len(digits), -1)
    flat = digits.reshape(len(digits), -1).astype(np.float64)
    log_px_z = (flat * logits - np.logaddexp(0.0, logits)).sum(-1)  # [R, n]
    kl = 0.5 * (np.exp(log_var) + mean**2 - 1 - log_var).sum(-1)
    elbo = log_px_z.mean(0) - kl
    one = np.asarray(one, np.float64)
    se = np.sqrt(one.var(0, ddof=1) / repeats + log_px_z.var(0, ddof=1) / repeats)
    assert np.all(np.abs(one.mean(0) - elbo) < 4 * se), (one.mean(0) - elbo) / se
    # The test can fail: L_10 is measurably above the ELBO for the same digits.
    ten = evidence_bounds.importance_weighted_bound(vae, digits, key=jax.random.key(9), num_samples=10)
    assert float(np.mean(np.asarray(ten) - elbo)) > 8 * float(np.sqrt(np.mean(se**2)))


@pytest.mark.slow
def test_bound_rises_with_k_in_expectation(vae, digits):
    """E[L_1] <= E[L_10] <= E[L_100] <= log p(x): means over repeats, each step several standard errors."""
    means, errors = [], []
    for k_samples, repeats in ((1, 400), (10, 200), (100, 40)):
        keys = jax.random.split(jax.random.key(k_samples), repeats)
        values = jax.vmap(lambda k: evidence_bounds.importance_weighted_bound(vae, digits, key=k, num_samples=k_samples))(keys)
        values = np.asarray(values, np.float64).mean(axis=1)  # [R]: mean over the digits
        means.append(values.mean())
        errors.append(values.std(ddof=1) / np.sqrt(repeats))
    for low, high, e_low, e_high in zip(means, means[1:], errors, errors[1:]):
        assert high - low > 3 * np.hypot(e_low, e_high), (means, errors)


def test_bound_under_jit(vae, digits):
    key = jax.random.key(5)
    eager = evidence_bounds.importance_weighted_bound(vae, digits, key=key, num_samples=9, sample_chunk_size=4)
    jitted = jax.jit(lambda x, k: evidence_bounds.importance_weighted_bound(vae, x, key=k, num_samples=9, sample_chunk_size=4))
    np.testing.assert_allclose(jitted(jnp.asarray(digits), key), eager, rtol=1e-5)


def test_posterior_option_replaces_the_encoder(vae, digits):
    key = jax.random.key(6)
    mean, log_var = vae.encode(digits)
    same = evidence_bounds.importance_weighted_bound(vae, digits, key=key, num_samples=20, posterior=(mean, log_var))
    np.testing.assert_allclose(same, evidence_bounds.importance_weighted_bound(vae, digits, key=key, num_samples=20), rtol=1e-6)
    prior = evidence_bounds.importance_weighted_bound(vae, digits, key=key, num_samples=20,
                                             posterior=(jnp.zeros_like(mean), jnp.zeros_like(log_var)))
    assert np.isfinite(np.asarray(prior)).all() and not np.allclose(prior, same)


@pytest.mark.slow
def test_large_n_and_k_keep_memory_bounded():
    """n * K = 400,000 samples: all logits at once would take 1.25 GB; the chunked bound stays far below."""
    script = textwrap.dedent("""
        import os, resource
        os.environ["JAX_PLATFORMS"] = "cpu"
        import jax, numpy as np
        from flax import nnx
        from vae_tutorial import evidence_bounds, models
        model = models.VAE(2, hidden_sizes=(8,), rngs=nnx.Rngs(params=0))
        images = np.random.default_rng(0).uniform(size=(200, 784)).astype(np.float32)
        small = evidence_bounds.importance_weighted_bound(model, images[:50], key=jax.random.key(0), num_samples=100,
                                                 chunk_size=50, sample_chunk_size=50)
        small.block_until_ready()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        big = evidence_bounds.importance_weighted_bound(model, images, key=jax.random.key(0), num_samples=2000,
                                               chunk_size=50, sample_chunk_size=50)
        big.block_until_ready()
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert big.shape == (200,) and bool(np.isfinite(np.asarray(big)).all())
        print((after - before) / 1024)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    growth_mb = float(out.stdout.strip().splitlines()[-1])
    assert growth_mb < 200, f"peak memory grew by {growth_mb:.0f} MB for n=200, K=2000"


def test_bound_errors(vae, digits):
    key = jax.random.key(0)
    autoencoder = models.Autoencoder(2, hidden_sizes=(8,), rngs=nnx.Rngs(params=0))
    with pytest.raises(TypeError, match="needs a VAE"):
        evidence_bounds.importance_weighted_bound(autoencoder, digits, key=key, num_samples=3)
    with pytest.raises(ValueError, match="num_samples must be >= 1"):
        evidence_bounds.importance_weighted_bound(vae, digits, key=key, num_samples=0)
    with pytest.raises(TypeError, match="num_samples must be an integer"):
        evidence_bounds.importance_weighted_bound(vae, digits, key=key, num_samples=2.5)
    with pytest.raises(ValueError, match="chunk_size must be >= 1"):
        evidence_bounds.importance_weighted_bound(vae, digits, key=key, num_samples=3, chunk_size=0)
    with pytest.raises(ValueError, match=r"shape \[n, 28, 28\] or \[n, 784\]"):
        evidence_bounds.importance_weighted_bound(vae, digits[:, :10], key=key, num_samples=3)
    with pytest.raises(ValueError, match=r"each have shape \(6, 2\)"):
        evidence_bounds.importance_weighted_bound(vae, digits, key=key, num_samples=3, posterior=(jnp.zeros((5, 2)),) * 2)
    with pytest.raises(TypeError, match="pair"):
        evidence_bounds.importance_weighted_bound(vae, digits, key=key, num_samples=3, posterior=jnp.zeros((6, 2)))


# ---------------------------------------------------------------- the ELBO of any Gaussian, its optimisation


def test_evidence_lower_bound_is_minus_the_loss_terms(vae, digits):
    key = jax.random.key(3)
    rec, kl = losses.elbo_terms(vae, digits, key=key, num_samples=4)
    got = evidence_bounds.evidence_lower_bound(vae, digits, key=key, num_samples=4)
    assert got.shape == (6,)
    np.testing.assert_allclose(got, -(rec + kl), rtol=1e-6)


@pytest.mark.slow
def test_optimize_posterior_raises_the_elbo_and_leaves_the_model(vae, digits):
    before = jax.tree.map(np.asarray, nnx.to_pure_dict(nnx.state(vae, nnx.Param)))
    mean, log_var, trace = evidence_bounds.optimize_posterior(vae, digits[:3], key=jax.random.key(0), steps=150,
                                                     learning_rate=3e-2, num_samples=4)
    assert mean.shape == log_var.shape == (3, 2) and trace.shape == (150,)
    key = jax.random.key(1)
    amortized = evidence_bounds.evidence_lower_bound(vae, digits[:3], key=key, num_samples=2000)
    optimised = evidence_bounds.evidence_lower_bound(vae, digits[:3], key=key, num_samples=2000, posterior=(mean, log_var))
    assert np.all(np.asarray(optimised) > np.asarray(amortized))
    after = jax.tree.map(np.asarray, nnx.to_pure_dict(nnx.state(vae, nnx.Param)))
    jax.tree.map(np.testing.assert_array_equal, before, after)
    with pytest.raises(ValueError, match="learning_rate must be a positive number"):
        evidence_bounds.optimize_posterior(vae, digits, key=key, learning_rate=0.0)
    with pytest.raises(ValueError, match="steps must be >= 1"):
        evidence_bounds.optimize_posterior(vae, digits, key=key, steps=0)
