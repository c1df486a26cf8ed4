"""ReparameterizationExplorer: z = mu + sigma * eps with eps held fixed."""


import numpy as np
import pytest

from vae_tutorial import widgets
from widget_helpers import assert_shows


def test_reparameterization_draws_move_with_mu_and_sigma_and_keep_their_eps(vae2, test_split):
    image = test_split[0][7]
    trick = widgets.ReparameterizationExplorer(vae2, image, count=9, seed=2, sigma_scale=1.0)
    mean, log_var = vae2.encode(image[None])
    np.testing.assert_allclose(trick.mu, np.asarray(mean)[0], atol=1e-6)
    np.testing.assert_allclose(trick.sigma, np.exp(0.5 * np.asarray(log_var)[0]), rtol=1e-5)
    eps = np.random.default_rng(2).standard_normal((9, 2))
    np.testing.assert_allclose(trick.eps, eps)
    assert trick.z.shape == (9, 2) and trick.z.dtype == np.float32
    np.testing.assert_allclose(trick.z, np.asarray(trick.mu) + np.asarray(trick.sigma) * eps, atol=1e-6)
    # The trick: the same eps, mu and sigma moved; each draw moves along its own eps.
    trick.mu, trick.sigma, trick.sigma_scale = [0.5, -0.5], [0.2, 0.4], 2.0
    np.testing.assert_allclose(trick.z, [0.5, -0.5] + 2.0 * np.array([0.2, 0.4]) * eps, atol=1e-6)
    trick.sigma_scale = 0.0
    np.testing.assert_allclose(trick.z, np.tile([0.5, -0.5], (9, 1)), atol=1e-7)
    assert_shows(trick, vae2, trick.z)
    # New eps: the next draws of the same generator; the browser's button sends its own.
    np.testing.assert_allclose(trick.new_eps(), np.random.default_rng(2).standard_normal((18, 2))[9:])
    trick.set_state({"eps": [[1.0, 0.0]] * 9, "sigma_scale": 1.0})
    np.testing.assert_allclose(trick.z[0], [0.7, -0.5], atol=1e-6)
    # 2-D: a slider per mu and sigma coordinate, mu's range around the encoded mean.
    spec = trick.spec
    assert [s["index"] for s in spec["mu_sliders"]] == [0, 1] and len(spec["sigma_sliders"]) == 2
    lo, hi = spec["mu_sliders"][0]["range"]
    assert lo < float(mean[0, 0]) < hi and spec["input"] is not None
    assert repr(trick) == "ReparameterizationExplorer(VAE, latent_dim=2, draws=9)"
    bundle = trick._repr_mimebundle_()
    assert bundle["text/plain"] == repr(trick) + "\n" + widgets.TEXT_NOTE and "image/png" in bundle


def _mean_pairwise_change(model, z):
    images = np.asarray(model.decode(np.asarray(z, np.float32))).reshape(len(z), -1)
    i, j = np.triu_indices(len(z), 1)
    return np.abs(images[i] - images[j]).mean()


def test_by_default_the_draws_start_far_enough_apart_to_differ_visibly(vae2, test_split):
    """A trained encoder's sigma is about 0.1, where five draws decode to the same picture: the explorer
    starts at the smallest listed scale whose draws differ, checked here with the model's own decoder."""
    image = test_split[0][0]
    trick = widgets.ReparameterizationExplorer(vae2, image, count=5, seed=0)
    mu, sigma, eps = np.asarray(trick.mu), np.asarray(trick.sigma), np.asarray(trick.eps)
    scales = widgets.ReparameterizationExplorer.START_SCALES
    k = scales.index(trick.sigma_scale)
    assert trick.sigma_scale > 1.0, "the 2-D VAE's own sigma is too small for the draws to differ"
    assert _mean_pairwise_change(vae2, mu + scales[k] * sigma * eps) >= 0.049
    assert _mean_pairwise_change(vae2, mu + scales[k - 1] * sigma * eps) < 0.051
    assert _mean_pairwise_change(vae2, mu + sigma * eps) < 0.05  # the problem this default solves
    np.testing.assert_allclose(trick.z, mu + trick.sigma_scale * sigma * eps, atol=1e-6)
    # The still picture's rows: sigma scaled by 0, half the start, the start and twice it, within the slider's range.
    rows = [t.get_text() for t in trick.static_figure().axes[0].get_yticklabels()]
    expected = [0.0, trick.sigma_scale / 2, trick.sigma_scale, min(2 * trick.sigma_scale, 10.0)]
    assert rows == [f"sigma × {s:g}" for s in dict.fromkeys(expected)]
    trick.sigma_scale = 10.0  # the slider's end: no row beyond it
    rows = [t.get_text() for t in trick.static_figure().axes[0].get_yticklabels()]
    assert rows == ["sigma × 0", "sigma × 5", "sigma × 10"]
    # The measure of the start rule, as the notebook prints it, against the test's own decoding.
    assert trick.draw_difference(trick.sigma_scale) == pytest.approx(
        _mean_pairwise_change(vae2, mu + trick.sigma_scale * sigma * eps), abs=2e-3)
    assert trick.draw_difference(1.0) == pytest.approx(_mean_pairwise_change(vae2, mu + sigma * eps), abs=2e-3)
    assert trick.draw_difference() == trick.draw_difference(10.0)
    trick.sigma_scale = 0.0  # every draw is mu: one row, not four equal ones
    assert [t.get_text() for t in trick.static_figure().axes[0].get_yticklabels()] == ["sigma × 0"]
    assert trick.draw_difference() == pytest.approx(0.0, abs=1e-12)


def test_reparameterization_without_an_image_starts_at_the_prior(vae20):
    trick = widgets.ReparameterizationExplorer(vae20, name="vae-20d")
    assert trick.mu == [0.0] * 20 and trick.sigma == [1.0] * 20 and np.shape(trick.eps) == (1, 20)
    assert trick.sigma_scale == 1.0  # the prior's draws differ at its own sigma
    assert trick.spec["mu_sliders"] == [] and trick.spec["sigma_sliders"] == []  # 20-D: the sigma scale only
    assert trick.spec["input"] is None
    assert repr(trick) == "ReparameterizationExplorer('vae-20d', VAE, latent_dim=20, draws=1)"
    fig = trick.static_figure()
    assert fig.axes[0].images[0].get_array().shape == (4 * 28, 28)  # four sigma scales, one draw
    assert widgets.NO_FRONTEND_NOTE in [" ".join(t.get_text().split()) for t in fig.texts]


@pytest.mark.parametrize(
    ("model", "kwargs", "error", "message"),
    [
        ("ae", {"image": "digit"}, ValueError, "an autoencoder encodes an image to one point, with no sigma"),
        ("vae", {"image": np.zeros((2, 28, 28), np.float32)}, ValueError, r"image must be one image"),
        ("vae", {"image": [0.0]}, TypeError, "image must be one image, an array"),
        ("vae", {"count": 0}, ValueError, "count must be >= 1, got 0"),
        ("vae", {"count": 26}, ValueError, "count must be at most 25, got 26"),
        ("vae", {"count": 2.0}, TypeError, "count must be an integer >= 1"),
        ("vae", {"sigma_scale": 10.5}, ValueError, r"sigma_scale must lie in \[0, 10\], got 10.5"),
        ("vae", {"sigma_scale": "big"}, TypeError, "sigma_scale must be a number"),
        ("vae", {"seed": -2}, ValueError, "seed must be >= 0"),
        ("vae", {"scale": 17}, ValueError, "scale must be at most 16"),
        ("no model", {}, TypeError, "model must be a vae_tutorial model"),
    ],
)
def test_reparameterization_errors(vae2, ae2, test_split, model, kwargs, error, message):
    model = {"vae": vae2, "ae": ae2}.get(model, model)
    if isinstance(kwargs.get("image"), str):
        kwargs = {"image": test_split[0][0]}
    with pytest.raises(error, match=message):
        widgets.ReparameterizationExplorer(model, **kwargs)
