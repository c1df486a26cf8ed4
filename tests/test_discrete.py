"""Tests for vae_tutorial.discrete: Gumbel-softmax, straight-through, the discrete VAE, the estimator study."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats
from flax import nnx

from vae_tutorial import checkpoints, discrete, train
from vae_tutorial.discrete import gumbel_softmax

LOGITS = jnp.array([1.0, 0.0, -1.0, 0.5, 2.0])


def _softmax(x):
    e = np.exp(x - np.max(x))
    return e / e.sum()


# --------------------------------------------------------------------------------------------
# gumbel_softmax
# --------------------------------------------------------------------------------------------


def test_relaxed_samples_lie_on_the_simplex_with_the_logits_shape():
    logits = jax.random.normal(jax.random.key(1), (3, 4, 5))
    y = np.asarray(gumbel_softmax(jax.random.key(0), logits, temperature=0.7))
    assert y.shape == (3, 4, 5)
    assert (y >= 0).all()
    np.testing.assert_allclose(y.sum(-1), 1.0, atol=1e-6)
    assert not np.allclose(y, np.round(y))  # relaxed, not one-hot


def test_hard_samples_are_exactly_one_hot_with_softmax_frequencies():
    n = 20_000
    keys = jax.random.split(jax.random.key(0), n)
    y = np.asarray(jax.vmap(lambda k: gumbel_softmax(k, LOGITS, temperature=0.5, hard=True))(keys))
    assert set(np.unique(y)) == {0.0, 1.0}
    assert (y.sum(-1) == 1.0).all()
    observed = y.sum(0)
    expected = n * _softmax(np.asarray(LOGITS, np.float64))
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    assert chi2 < scipy.stats.chi2.ppf(0.999, df=len(LOGITS) - 1), (observed, expected)


def test_frequencies_of_a_wrong_distribution_would_fail_the_chi_square():
    # the test above can fail: the frequencies of uniform draws are far outside its bound
    n = 20_000
    observed = np.full(5, n / 5)
    expected = n * _softmax(np.asarray(LOGITS, np.float64))
    assert ((observed - expected) ** 2 / expected).sum() > scipy.stats.chi2.ppf(0.999, df=4)


def test_the_hard_sample_is_the_gumbel_max_draw_of_the_same_noise():
    key = jax.random.key(3)
    relaxed = gumbel_softmax(key, LOGITS, temperature=2.0)
    hard = gumbel_softmax(key, LOGITS, temperature=2.0, hard=True)
    noise = discrete.gumbel_noise(key, LOGITS.shape)
    assert int(jnp.argmax(hard)) == int(jnp.argmax(relaxed)) == int(jnp.argmax(LOGITS + noise))


def test_lower_temperature_approaches_one_hot_and_higher_approaches_uniform():
    keys = jax.random.split(jax.random.key(0), 2000)
    largest = []
    for t in (10.0, 1.0, 0.1, 0.01):
        y = jax.vmap(lambda k: gumbel_softmax(k, LOGITS, temperature=t))(keys)
        largest.append(float(y.max(-1).mean()))
    assert largest == sorted(largest)
    assert largest[-1] > 0.99
    y = jax.vmap(lambda k: gumbel_softmax(k, LOGITS, temperature=1000.0))(keys)
    assert float(jnp.abs(y - 0.2).max()) < 0.02


def test_gradients_are_finite_nonzero_and_straight_through_passes_the_relaxed_gradient():
    weights = jnp.arange(5.0)
    key = jax.random.key(5)
    grad = lambda hard: jax.grad(lambda l: jnp.sum(weights * gumbel_softmax(key, l, temperature=0.5, hard=hard)))(LOGITS)
    relaxed, hard = np.asarray(grad(False)), np.asarray(grad(True))
    assert np.isfinite(relaxed).all() and np.abs(relaxed).max() > 1e-3
    np.testing.assert_allclose(hard, relaxed, rtol=1e-6)
    # against the softmax Jacobian written out: dy/dl = (diag(y) - y y^T) / t
    y = np.asarray(gumbel_softmax(key, LOGITS, temperature=0.5), np.float64)
    manual = (np.diag(y) - np.outer(y, y)) @ np.arange(5.0) / 0.5
    np.testing.assert_allclose(relaxed, manual, rtol=1e-4, atol=1e-6)


def test_gumbel_softmax_works_under_jit_with_a_traced_temperature():
    f = jax.jit(lambda k, l, t: gumbel_softmax(k, l, temperature=t))
    np.testing.assert_allclose(f(jax.random.key(0), LOGITS, 0.5),
                               gumbel_softmax(jax.random.key(0), LOGITS, temperature=0.5), rtol=1e-6)


@pytest.mark.parametrize("temperature, error, words", [
    (0.0, ValueError, "positive"), (-1.0, ValueError, "positive"), (float("nan"), ValueError, "positive"),
    (True, TypeError, "number"), ("1", TypeError, "number"), (jnp.ones(2), TypeError, "number"),
])
def test_gumbel_softmax_rejects_bad_temperatures(temperature, error, words):
    with pytest.raises(error, match=words):
        gumbel_softmax(jax.random.key(0), LOGITS, temperature=temperature)


def test_gumbel_softmax_rejects_a_non_key_and_bad_shapes():
    with pytest.raises(TypeError, match="random key"):
        gumbel_softmax(0, LOGITS, temperature=1.0)
    with pytest.raises(TypeError, match="random key"):
        gumbel_softmax(np.zeros(3), LOGITS, temperature=1.0)
    with pytest.raises(ValueError, match="at least 2 classes"):
        gumbel_softmax(jax.random.key(0), jnp.float32(1.0), temperature=1.0)
    with pytest.raises(ValueError, match="at least 2 classes"):
        gumbel_softmax(jax.random.key(0), jnp.zeros((4, 1)), temperature=1.0)
    with pytest.raises(TypeError, match="logits"):
        gumbel_softmax(jax.random.key(0), "abc", temperature=1.0)
    assert gumbel_softmax(jax.random.PRNGKey(0), LOGITS, temperature=1.0).shape == (5,)  # a raw key is fine


def test_categorical_kl_uniform_against_the_formula():
    logits = np.random.default_rng(0).normal(size=(3, 4, 6))
    q = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    expected = (q * np.log(q * 6)).sum(-1).sum(-1)
    np.testing.assert_allclose(discrete.categorical_kl_uniform(jnp.asarray(logits)), expected, rtol=1e-5)
    assert abs(float(discrete.categorical_kl_uniform(jnp.zeros((2, 6))))) < 1e-6
    np.testing.assert_allclose(discrete.categorical_kl_uniform(jnp.array([[50.0, 0, 0, 0]])), math.log(4), rtol=1e-5)


# --------------------------------------------------------------------------------------------
# DiscreteVAE
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small():
    return discrete.DiscreteVAE(4, 3, hidden_sizes=(16,), temperature=0.5, rngs=nnx.Rngs(params=0))


def _images(n=8, seed=0):
    return jnp.asarray(np.random.default_rng(seed).uniform(size=(n, 28, 28)), jnp.float32)


def test_discrete_vae_shapes_and_codes(small):
    x = _images()
    assert small.latent_dim == 12 and small.is_variational
    assert small.encode(x).shape == (8, 4, 3)
    np.testing.assert_allclose(small.code(x).reshape(8, 4, 3).sum(-1), 1.0, atol=1e-6)
    mode = np.asarray(small.mode(x)).reshape(8, 4, 3)
    assert (mode.sum(-1) == 1).all()
    np.testing.assert_array_equal(mode.argmax(-1), np.asarray(small.encode(x)).argmax(-1))
    prior = np.asarray(small.sample_prior(jax.random.key(0), 5))
    assert prior.shape == (5, 12) and (prior.reshape(5, 4, 3).sum(-1) == 1).all()
    assert small.decode(small.codes_from_classes([0, 1, 2, 0])).shape == (1, 28, 28)
    with pytest.raises(ValueError, match="4 entries"):
        small.codes_from_classes([0, 1])


def test_discrete_loss_is_the_one_hot_elbo_with_the_relaxed_gradient(small):
    from vae_tutorial import losses

    x, key = _images(), jax.random.key(7)
    rec, kl = small.loss_terms(x, key=key)
    logits = small.encode(x)
    relaxed = gumbel_softmax(jax.random.split(key, 1)[0], logits, temperature=small.temperature)
    hard = jax.nn.one_hot(relaxed.argmax(-1), 3).reshape(8, 12)
    expected = losses.bernoulli_reconstruction(small.decode_logits(hard), x)
    np.testing.assert_allclose(rec, expected, rtol=1e-5)
    np.testing.assert_allclose(kl, discrete.categorical_kl_uniform(logits), rtol=1e-6)
    graphdef, params = nnx.split(small)

    def objective(params):
        r, k = nnx.merge(graphdef, params).loss_terms(x, key=key)
        return (r + k).mean()

    grads = jax.tree.leaves(jax.grad(objective)(params))
    assert all(np.isfinite(g).all() for g in grads)
    encoder_grad = jax.grad(objective)(params)["encoder"]["layers"][0]["kernel"][...]
    assert float(jnp.abs(encoder_grad).max()) > 0


def test_discrete_vae_trains_evaluates_and_round_trips_a_checkpoint(tmp_path):
    model = discrete.DiscreteVAE(4, 3, hidden_sizes=(16,), rngs=nnx.Rngs(params=0))
    x = _images(128)
    histories = discrete.train_annealed(model, x, epochs=4, stages=2, start=1.0, end=0.5, seed=0)
    assert len(histories) == 2 and model.temperature == pytest.approx(0.5)
    assert np.isfinite(histories[-1].loss).all() and histories[-1].kl
    result = train.evaluate(model, x)
    assert result["loss"] == pytest.approx(result["reconstruction"] + result["kl"])
    path = checkpoints.save(model, tmp_path / "d.ckpt")
    loaded = checkpoints.load(path, expect=discrete.DiscreteVAE)
    assert loaded.config() == model.config()
    np.testing.assert_array_equal(loaded.decode(model.mode(x)), model.decode(model.mode(x)))


def test_anneal_is_geometric():
    assert discrete.anneal(1, start=1.0, end=0.5, epochs=5) == 1.0
    assert discrete.anneal(5, start=1.0, end=0.5, epochs=5) == pytest.approx(0.5)
    assert discrete.anneal(3, start=1.0, end=0.25, epochs=5) == pytest.approx(0.5)


def test_discrete_vae_rejects_bad_configurations():
    with pytest.raises(ValueError, match="num_classes"):
        discrete.DiscreteVAE(4, 1, rngs=nnx.Rngs(params=0))
    with pytest.raises(ValueError, match="positive"):
        discrete.DiscreteVAE(4, 3, temperature=0.0, rngs=nnx.Rngs(params=0))


def test_the_shipped_discrete_vae_loads_and_matches_its_recorded_test_loss():
    from vae_tutorial import data

    model = discrete.load_pretrained()
    header = checkpoints.read_header(discrete.pretrained_path())
    assert header["config"]["num_variables"] == 20 and header["config"]["num_classes"] == 10
    assert model.temperature == pytest.approx(discrete.PRETRAINED_RECIPE["end_temperature"])
    test = train.evaluate(model, data.load_mnist().test_images)
    assert test["loss"] == pytest.approx(header["metadata"]["test"]["loss"], abs=0.05)


# --------------------------------------------------------------------------------------------
# The estimator study
# --------------------------------------------------------------------------------------------


def test_exact_gradient_against_the_written_out_formula():
    problem = discrete.EstimatorProblem()
    p = _softmax(np.linspace(-1, 1, 10))
    f = (np.arange(10) / 9 - 0.45) ** 2
    np.testing.assert_allclose(discrete.exact_gradient(problem), p * (f - p @ f), rtol=1e-5, atol=1e-7)


@pytest.fixture(scope="module")
def study():
    rows = discrete.estimator_study(temperatures=(0.3, 3.0), repeats=1000, seeds=(0, 1, 2))
    return {(r["estimator"], r["temperature"]): r for r in rows}


def test_unbiased_estimators_average_to_the_exact_gradient(study):
    exact = discrete.exact_gradient(discrete.EstimatorProblem())
    for name in ("score function", "score function + baseline"):
        row = study[(name, None)]
        assert row["z_max"] < 4.5, (name, row["mean"], exact)
        assert row["bias"] < 3 * max(row["bias_se"], 0.01)


def test_relaxed_estimators_show_their_bias_and_trade_it_for_variance(study):
    for name in ("Gumbel-softmax", "straight-through"):
        hot, cold = study[(name, 3.0)], study[(name, 0.3)]
        assert hot["z_max"] > 10 and hot["bias"] > 0.5
        assert cold["bias"] < hot["bias"] - 5 * (cold["bias_se"] + hot["bias_se"])
        assert cold["variance"] > hot["variance"] + 5 * (cold["variance_se"] + hot["variance_se"])
    base, plain = study[("score function + baseline", None)], study[("score function", None)]
    assert base["variance"] < plain["variance"] - 5 * (base["variance_se"] + plain["variance_se"])


def test_study_rows_match_each_estimator_run_alone_on_the_same_keys():
    """The study runs all estimators in one program; each row must equal that estimator run by itself."""
    problem = discrete.EstimatorProblem(logits=[0.5, -0.2, 0.1, 0.0], values=[0.0, 1.0, 0.3, 0.8], target=0.4)
    seeds, temperature, repeats = (3, 4), 0.7, 200
    rows = {(r["estimator"], r["temperature"]): r
            for r in discrete.estimator_study(problem, temperatures=(temperature,), num_samples=5,
                                              repeats=repeats, seeds=seeds)}
    assert len(rows) == 4
    exact = discrete.exact_gradient(problem)
    for name, (estimator, tempered) in discrete.ESTIMATORS.items():
        alone = np.concatenate([np.asarray(jax.vmap(lambda ks: estimator(problem, problem.logits, ks, temperature))(
            jax.random.split(jax.random.key(seed), (repeats, 5))), np.float64) for seed in seeds])
        row = rows[(name, temperature if tempered else None)]
        np.testing.assert_allclose(row["mean"], alone.mean(0), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(row["mean_se"], alone.std(0, ddof=1) / np.sqrt(len(alone)), rtol=1e-4)
        assert row["z_max"] == pytest.approx(np.max(np.abs(alone.mean(0) - exact) / row["mean_se"]), rel=1e-3)


def test_estimator_study_with_only_the_score_function_needs_no_temperature():
    (row,) = discrete.estimator_study(temperatures=(), estimators=["score function"], repeats=100, seeds=(0, 1))
    assert row["estimator"] == "score function" and row["temperature"] is None and row["mean"].shape == (10,)


def test_equal_estimator_problems_are_one_static_argument():
    a = discrete.EstimatorProblem()
    b = discrete.EstimatorProblem(logits=np.array(a.logits), values=np.array(a.values), target=0.45)  # new arrays, same values
    assert a == b and hash(a) == hash(b)
    assert a != discrete.EstimatorProblem(target=0.5)
    assert a != discrete.EstimatorProblem(logits=np.linspace(-1, 1, 10) + 1e-3)


def test_estimator_study_rejects_one_sample():
    with pytest.raises(ValueError, match="num_samples"):
        discrete.estimator_study(num_samples=1)


# --------------------------------------------------------------------------------------------
# Figures and the study's summary
# --------------------------------------------------------------------------------------------


def test_figures_draw_one_panel_per_temperature_and_both_measures():
    import matplotlib.pyplot as plt

    from vae_tutorial import discrete_plots

    y = jax.nn.softmax(jax.random.normal(jax.random.key(0), (50, 3)), axis=-1)
    fig = discrete_plots.simplex_panels({5.0: y, 0.1: y}, title="t", probabilities=jnp.ones(3) / 3)
    assert [ax.get_title() for ax in fig.axes] == ["temperature 5", "temperature 0.1"]
    plt.close(fig)
    rows = [{"estimator": name, "temperature": t, "bias": 0.1, "bias_se": 0.01, "variance": 1.0, "variance_se": 0.1}
            for name, (_, tempered) in discrete.ESTIMATORS.items() for t in ((0.1, 1.0) if tempered else (None,))]
    fig = discrete_plots.estimator_figure(rows, title="t")
    assert len(fig.axes) == 2 and fig.axes[1].get_yscale() == "log"
    plt.close(fig)


def test_study_summary_pairs_the_seeds():
    import sys

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1] / "tools"))
    import discrete_study

    runs = {s: {"gaussian": {m: 10.0 + s for m in discrete_study.MEASURES},
                "discrete": {m: 12.0 + s + 0.1 * (s % 2) for m in discrete_study.MEASURES}} for s in range(4)}
    summary = discrete_study.summarise(runs)["test_neg_elbo"]
    assert summary["gaussian_mean"] == pytest.approx(11.5) and summary["discrete_mean"] == pytest.approx(13.55)
    assert summary["difference_mean"] == pytest.approx(2.05)
    assert summary["difference_se"] == pytest.approx(np.std([2.0, 2.1, 2.0, 2.1], ddof=1) / 2)
    assert summary["difference_se"] < summary["gaussian_se"]  # pairing removes the shared seed-to-seed spread


def test_committed_study_has_five_seeds_and_matches_the_shipped_model():
    import json
    from importlib import resources

    study = json.loads(resources.files("vae_tutorial").joinpath("assets", "discrete_study.json").read_text())
    assert study["seeds"] == [0, 1, 2, 3, 4] and study["recipe"]["discrete"] == discrete.PRETRAINED_RECIPE
    header = checkpoints.read_header(discrete.pretrained_path())
    assert study["runs"]["0"]["discrete"]["test_neg_elbo"] == pytest.approx(header["metadata"]["test"]["loss"], abs=1e-3)
