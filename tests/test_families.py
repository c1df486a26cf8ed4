"""Tests for vae_tutorial.families: location-scale, inverse-CDF and implicit reparameterization."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate
import scipy.special
import scipy.stats

from vae_tutorial import families


@pytest.mark.parametrize("family, dist", [("Gaussian", scipy.stats.norm), ("Laplace", scipy.stats.laplace),
                                          ("logistic", scipy.stats.logistic)])
def test_location_scale_draws_have_the_family_distribution_and_pathwise_gradients(family, dist):
    n, loc, scale = 20_000, 1.5, 0.7
    z = np.asarray(families.location_scale(jax.random.key(0), loc, scale, family, (n,)), np.float64)
    assert scipy.stats.kstest(z, dist(loc=loc, scale=scale).cdf).pvalue > 1e-3
    assert families.NOISE_VARIANCE[family] == pytest.approx(dist.var())
    # d/d(loc, scale) E[z^2] = (2 loc, 2 scale Var[eps]); the pathwise terms are 2 z and 2 z eps
    mean_sq = lambda l, s: jnp.mean(families.location_scale(jax.random.key(1), l, s, family, (n,)) ** 2)
    g_loc, g_scale = jax.grad(mean_sq, argnums=(0, 1))(loc, scale)
    assert float(g_loc) == pytest.approx(2 * loc, rel=0.03)
    assert float(g_scale) == pytest.approx(2 * scale * families.NOISE_VARIANCE[family], rel=0.05)


def test_location_scale_rejects_an_unknown_family():
    with pytest.raises(ValueError, match="family"):
        families.location_scale(jax.random.key(0), 0.0, 1.0, "Cauchy")


def test_kumaraswamy_draws_follow_its_cdf_and_the_mean_formula_is_right():
    a, b = 2.0, 3.0
    z = np.asarray(families.kumaraswamy(jax.random.key(0), a, b, (20_000,)), np.float64)
    assert ((z > 0) & (z < 1)).all()
    assert scipy.stats.kstest(z, lambda x: 1 - (1 - x**a) ** b).pvalue > 1e-3
    # the mean as the integral of 1 - F, computed numerically (independent of the Beta-function formula)
    integral = scipy.integrate.quad(lambda x: (1 - x**a) ** b, 0, 1)[0]
    assert float(families.kumaraswamy_mean(a, b)) == pytest.approx(integral, rel=1e-5)


def test_kumaraswamy_pathwise_gradient_matches_the_derivative_of_its_mean():
    a, b, n = 2.0, 3.0, 50_000
    estimate = jax.grad(lambda a, b: families.kumaraswamy(jax.random.key(2), a, b, (n,)).mean(), argnums=(0, 1))(a, b)
    eps = 1e-5
    for i, g in enumerate(estimate):
        shift = np.eye(2)[i] * eps
        exact = (scipy.integrate.quad(lambda x: (1 - x ** (a + shift[0])) ** (b + shift[1]), 0, 1)[0]
                 - scipy.integrate.quad(lambda x: (1 - x ** (a - shift[0])) ** (b - shift[1]), 0, 1)[0]) / (2 * eps)
        assert float(g) == pytest.approx(exact, rel=0.03), (i, float(g), exact)


@pytest.mark.parametrize("alpha", [0.3, 1.0, 2.5, 8.0])
def test_jax_gamma_derivative_is_the_implicit_formula(alpha):
    keys = jax.random.split(jax.random.key(0), 100)
    z, dz = jax.vmap(jax.value_and_grad(lambda a, k: jax.random.gamma(k, a)), in_axes=(None, 0))(jnp.float32(alpha), keys)
    implicit = families.implicit_gamma_derivative(z, alpha)
    np.testing.assert_allclose(np.asarray(dz), implicit, rtol=2e-4)
    # the formula is not trivially satisfied: the derivative of the mean E[z] = alpha is 1 on average
    assert np.mean(implicit) == pytest.approx(1.0, abs=5 * np.std(implicit) / 10)


def test_implicit_formula_against_a_closed_form_case():
    # Gamma(1) is the exponential: F = 1 - exp(-z) has no alpha, but at alpha = 1 the implicit derivative
    # equals d/dalpha of the quantile at fixed u, checked by differencing scipy's quantile function
    u = np.array([0.1, 0.5, 0.9])
    z = scipy.special.gammaincinv(1.0, u)
    by_quantile = (scipy.special.gammaincinv(1 + 1e-6, u) - scipy.special.gammaincinv(1 - 1e-6, u)) / 2e-6
    np.testing.assert_allclose(families.implicit_gamma_derivative(z, 1.0), by_quantile, rtol=1e-4)


def test_gamma_expectation_gradients_agree_with_the_exact_derivative():
    result = families.gamma_expectation_gradients(jax.random.key(0), 2.5, 20_000)
    # exact value by a finite difference of the closed-form mean Gamma(a + 1/2) / Gamma(a)
    m = lambda a: np.exp(scipy.special.gammaln(a + 0.5) - scipy.special.gammaln(a))
    assert result["exact"] == pytest.approx((m(2.5 + 1e-6) - m(2.5 - 1e-6)) / 2e-6, rel=1e-5)
    assert abs(result["pathwise"] - result["exact"]) < 4 * result["pathwise_se"]
    assert abs(result["score"] - result["exact"]) < 4 * result["score_se"]
    assert result["score_se"] > 10 * result["pathwise_se"]
