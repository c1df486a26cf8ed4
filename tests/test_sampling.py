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


# --- Monte Carlo gradient estimators: d/d(mean, std) E_{x ~ N(mean, std^2)}[f(x)] -------------

ESTIMATORS = [sampling.pathwise_gradient, sampling.score_function_gradient]
ESTIMATOR_IDS = ["pathwise", "score_function"]


def square(x):
    return x**2


def sum_of_squares(x):
    return jnp.sum(x**2)


def _repeats(estimator, f, mean, std, *, num_samples, num_repeats, seed=0, **kwargs):
    """num_repeats independent estimates, stacked: ([R, ...], [R, ...])."""
    keys = jax.random.split(jax.random.key(seed), num_repeats)
    return jax.vmap(lambda k: estimator(f, mean, std, key=k, num_samples=num_samples, **kwargs))(keys)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_estimators_converge_to_closed_form_scalar(estimator):
    # E[x^2] = mu^2 + sigma^2, so the exact gradient is (2 mu, 2 sigma) = (2, 1).
    g_mean, g_std = estimator(square, 1.0, 0.5, key=jax.random.key(3), num_samples=200_000)
    assert g_mean.shape == () and g_std.shape == ()
    # Standard errors at 200k samples: below 0.011 (mean) and 0.02 (std) for both estimators.
    np.testing.assert_allclose(g_mean, 2.0, atol=0.05)
    np.testing.assert_allclose(g_std, 1.0, atol=0.08)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_estimators_converge_to_closed_form_vectorised(estimator):
    mean = jnp.array([[1.0, -2.0, 0.0], [0.5, 3.0, -1.0]])
    std = jnp.array([[0.5, 1.0, 2.0], [0.3, 0.7, 1.5]])
    g_mean, g_std = estimator(sum_of_squares, mean, std, key=jax.random.key(4), num_samples=1)
    assert g_mean.shape == (2, 3) and g_std.shape == (2, 3)
    # 200 independent estimates of 1,000 samples each: their average is a 200,000-sample estimate,
    # and their spread gives its standard error, coordinate by coordinate.
    g_mean, g_std = _repeats(estimator, sum_of_squares, mean, std, num_samples=1000, num_repeats=200, seed=4)
    for g, exact in ((g_mean, 2 * mean), (g_std, 2 * std)):
        stderr = g.std(axis=0) / np.sqrt(g.shape[0])
        assert np.all(np.abs(g.mean(axis=0) - exact) < 5 * stderr), (g.mean(axis=0), exact, stderr)
        # The check has teeth: measured standard errors are at most 0.015 (pathwise) and 0.25.
        assert float(stderr.max()) < (0.03 if estimator is sampling.pathwise_gradient else 0.5)


def test_pathwise_is_exact_for_a_linear_function():
    # f(x) = sum(a * x): grad wrt mean is a exactly; grad wrt std is a * mean(eps), close to 0.
    a = jnp.array([1.0, -2.0, 3.0])
    g_mean, g_std = sampling.pathwise_gradient(lambda x: jnp.sum(a * x), jnp.zeros(3), jnp.ones(3),
                                               key=jax.random.key(5), num_samples=50_000)
    np.testing.assert_allclose(g_mean, a, rtol=1e-6)
    np.testing.assert_allclose(g_std, 0.0, atol=0.05)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_estimators_are_unbiased(estimator):
    # Many independent estimates with few samples each: their average is within 4 standard errors.
    g_mean, g_std = _repeats(estimator, square, 1.0, 0.5, num_samples=4, num_repeats=20_000)
    for g, exact in ((g_mean, 2.0), (g_std, 1.0)):
        stderr = float(g.std()) / np.sqrt(g.shape[0])
        assert abs(float(g.mean()) - exact) < 4 * stderr, (float(g.mean()), exact, stderr)


def test_pathwise_variance_matches_closed_form():
    # One sample: d/dmu = 2x has variance 4 sigma^2; d/dsigma = 2 x eps has variance 4 mu^2 + 8 sigma^2.
    g_mean, g_std = _repeats(sampling.pathwise_gradient, square, 1.0, 0.5, num_samples=1, num_repeats=50_000)
    np.testing.assert_allclose(g_mean.var(), 1.0, rtol=0.05)
    np.testing.assert_allclose(g_std.var(), 6.0, rtol=0.08)


def test_score_function_variance_exceeds_pathwise():
    kwargs = dict(num_samples=10, num_repeats=5_000)
    pw_mean, pw_std = _repeats(sampling.pathwise_gradient, square, 1.0, 0.5, **kwargs)
    sf_mean, sf_std = _repeats(sampling.score_function_gradient, square, 1.0, 0.5, **kwargs)
    # Exact single-sample variances: 1 vs 21.75 (mean) and 6 vs about 78 (std).
    assert sf_mean.var() > 10 * pw_mean.var()
    assert sf_std.var() > 5 * pw_std.var()
    # Both variances shrink like 1 / num_samples: 10 samples give about a tenth of one sample's.
    np.testing.assert_allclose(pw_mean.var(), 0.1, rtol=0.1)


def test_score_function_baseline_keeps_mean_and_cuts_variance():
    kwargs = dict(num_samples=1, num_repeats=50_000)
    plain = _repeats(sampling.score_function_gradient, square, 1.0, 0.5, **kwargs)
    # A baseline near E[f(x)] = 1.25 (a constant: it does not look at the samples).
    based = _repeats(sampling.score_function_gradient, square, 1.0, 0.5, baseline=1.25, **kwargs)
    for g_plain, g_based, exact in zip(plain, based, (2.0, 1.0)):
        stderr = float(g_based.std()) / np.sqrt(g_based.shape[0])
        assert abs(float(g_based.mean()) - exact) < 4 * stderr
        assert g_based.var() < 0.75 * g_plain.var()  # measured: about 0.48 (mean) and 0.61 (std)


def test_score_function_handles_a_non_differentiable_f():
    # f(x) = 1[x > 0]: E[f] = Phi(mu / sigma), d/dmu = pdf(mu / sigma) / sigma. Its derivative is zero
    # almost everywhere, so the pathwise estimate is exactly zero: wrong, without any error.
    def step(x):
        return (x > 0).astype(jnp.float32)

    mu, sigma = 0.5, 1.0
    exact = np.exp(-0.5 * (mu / sigma) ** 2) / np.sqrt(2 * np.pi) / sigma
    g_mean, _ = sampling.score_function_gradient(step, mu, sigma, key=jax.random.key(6), num_samples=200_000)
    np.testing.assert_allclose(g_mean, exact, atol=0.01)
    g_mean, g_std = sampling.pathwise_gradient(step, mu, sigma, key=jax.random.key(6), num_samples=1000)
    assert float(g_mean) == 0.0 and float(g_std) == 0.0


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_estimators_shapes_and_dtypes(estimator):
    key = jax.random.key(7)
    g = estimator(square, 0.0, 1.0, key=key, num_samples=3)  # Python floats: scalars
    assert [x.shape for x in g] == [(), ()] and all(x.dtype == jnp.float32 for x in g)
    g = estimator(sum_of_squares, jnp.zeros((5, 2)), jnp.ones((5, 2)), key=key, num_samples=1)
    assert [x.shape for x in g] == [(5, 2), (5, 2)]
    g = estimator(sum_of_squares, np.zeros(4, dtype=np.int32), np.ones(4, dtype=np.int32), key=key, num_samples=2)
    assert [x.shape for x in g] == [(4,), (4,)] and all(x.dtype == jnp.float32 for x in g)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_estimators_same_key_same_estimate_and_jit(estimator):
    mean, std = jnp.array([1.0, -1.0]), jnp.array([0.5, 2.0])
    key = jax.random.key(8)
    eager = estimator(sum_of_squares, mean, std, key=key, num_samples=64)
    again = estimator(sum_of_squares, mean, std, key=key, num_samples=64)
    np.testing.assert_array_equal(eager[0], again[0])
    jitted = jax.jit(lambda m, s, k: estimator(sum_of_squares, m, s, key=k, num_samples=64))(mean, std, key)
    for a, b in zip(eager, jitted):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # num_samples as a static argument: std is traced, so its positivity is not checked inside jit.
    static = jax.jit(estimator, static_argnums=0, static_argnames="num_samples")
    g_mean, g_std = static(sum_of_squares, mean, std, key=key, num_samples=64)
    np.testing.assert_allclose(g_mean, eager[0], rtol=1e-5, atol=1e-6)
    assert g_std.shape == (2,)
    other = estimator(sum_of_squares, mean, std, key=jax.random.key(9), num_samples=64)
    assert not np.allclose(other[0], eager[0])


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_estimators_error_cases(estimator):
    key = jax.random.key(0)
    name = estimator.__name__
    with pytest.raises(ValueError, match=rf"{name}: mean and std must have the same shape, got \(2,\) and \(3,\)"):
        estimator(sum_of_squares, jnp.zeros(2), jnp.ones(3), key=key, num_samples=1)
    with pytest.raises(ValueError, match=rf"{name}: std must be > 0 everywhere \(a standard deviation\), got min 0"):
        estimator(sum_of_squares, jnp.zeros(2), jnp.array([1.0, 0.0]), key=key, num_samples=1)
    with pytest.raises(ValueError, match="got min -1"):
        estimator(square, 0.0, -1.0, key=key, num_samples=1)
    with pytest.raises(ValueError, match=rf"{name}: std contains NaN"):
        estimator(square, 0.0, jnp.nan, key=key, num_samples=1)
    with pytest.raises(ValueError, match="num_samples must be >= 1, got 0"):
        estimator(square, 0.0, 1.0, key=key, num_samples=0)
    with pytest.raises(TypeError, match="num_samples must be an integer >= 1, got 2.5"):
        estimator(square, 0.0, 1.0, key=key, num_samples=2.5)
    message = rf"{name}: f must return a scalar for one sample x of shape \(3,\), got \(3,\)"
    with pytest.raises(ValueError, match=message):
        estimator(square, jnp.zeros(3), jnp.ones(3), key=key, num_samples=1)
    with pytest.raises(TypeError, match=rf"{name}: f must be a function"):
        estimator("x**2", 0.0, 1.0, key=key, num_samples=1)


def test_score_function_baseline_must_be_scalar():
    with pytest.raises(ValueError, match=r"baseline must be a scalar, got shape \(2,\)"):
        sampling.score_function_gradient(square, 0.0, 1.0, key=jax.random.key(0), num_samples=1,
                                         baseline=jnp.zeros(2))
