import jax
import jax.numpy as jnp
import numpy as np
import pytest

from vae_tutorial import sampling


def test_reparameterize_moments():
    mean = jnp.array([1.0, -2.0, 0.5])
    log_var = jnp.log(jnp.array([0.25, 4.0, 1.0]))  # std 0.5, 2, 1
    keys = jax.random.split(jax.random.key(0), 20000)
    z = jax.vmap(lambda k: sampling.reparameterize(k, mean, log_var))(keys)
    assert z.shape == (20000, 3)
    np.testing.assert_allclose(z.mean(0), mean, atol=0.05)
    # sigma is the standard deviation exp(log_var / 2), not the variance.
    np.testing.assert_allclose(z.std(0), [0.5, 2.0, 1.0], rtol=0.03)


def test_reparameterize_batched_and_jit():
    mean = jnp.zeros((4, 2))
    z = jax.jit(sampling.reparameterize)(jax.random.key(1), mean, jnp.zeros((4, 2)))
    assert z.shape == (4, 2)
    assert not np.allclose(z[0], z[1])


def test_reparameterize_is_differentiable():
    # d z / d mean = 1 and d z / d log_var = eps * std / 2, with eps = (z - mean) / std.
    key = jax.random.key(2)
    mean, log_var = jnp.array([0.3]), jnp.array([0.4])
    z = sampling.reparameterize(key, mean, log_var)
    g_mean = jax.grad(lambda m: sampling.reparameterize(key, m, log_var).sum())(mean)
    g_lv = jax.grad(lambda lv: sampling.reparameterize(key, mean, lv).sum())(log_var)
    np.testing.assert_allclose(g_mean, [1.0])
    np.testing.assert_allclose(g_lv, 0.5 * (z - mean), rtol=1e-5)


def test_reparameterize_shape_mismatch():
    with pytest.raises(ValueError, match=r"same shape, got \(2,\) and \(3,\)"):
        sampling.reparameterize(jax.random.key(0), jnp.zeros(2), jnp.zeros(3))
