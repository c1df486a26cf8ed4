"""LatentExplorer: sliders, the pad, ranges and steps, the sample button, errors."""


import anywidget
import numpy as np
import pytest

from vae_tutorial import geometry, latent, widgets
from widget_helpers import assert_shows


def test_latent_explorer_widgets(vae2, test_split):
    explorer = widgets.LatentExplorer(vae2, *test_split)
    assert isinstance(explorer, anywidget.AnyWidget)
    assert [s.description for s in explorer.sliders] == ["z1", "z2"]
    assert explorer.has_pad and explorer.spec["pad"]["png"].startswith(b"\x89PNG")
    assert explorer.z.shape == (2,) and explorer.z.dtype == np.float32
    # Starts at the mean encoding, which the sliders read; the synced traits hold the state.
    np.testing.assert_allclose(explorer.z, explorer.encodings.mean(axis=0), atol=1e-6)
    np.testing.assert_allclose(explorer.z, [s.value for s in explorer.sliders], atol=1e-6)
    assert explorer.values == [s.value for s in explorer.sliders] and explorer.rest == [0.0, 0.0]
    state = explorer.get_state()
    assert {"spec", "values", "rest", "_esm"} <= set(state)
    assert "export default { render }" in state["_esm"]  # the front end travels with the widget
    assert explorer.weights_bytes == 4 * (2 * 512 + 512 + 512 * 784 + 784)
    # What the browser paints at a code, computed from the weights as sent.
    expected = np.round((1.0 - latent.decode(vae2, [0.5, -1.0])) * 255.0)
    assert explorer.pixels([0.5, -1.0]).shape == (28, 28)
    assert np.abs(explorer.pixels([0.5, -1.0]).astype(int) - expected).max() <= 1
    np.testing.assert_array_equal(explorer.pixels(), explorer.pixels(explorer.z))


def test_setting_a_slider_changes_the_image_to_the_decoding_there(vae2, test_split):
    explorer = widgets.LatentExplorer(vae2, *test_split)
    assert_shows(explorer, vae2, explorer.z)
    explorer.sliders[0].value = explorer.sliders[0].min + 0.25 * (explorer.sliders[0].max - explorer.sliders[0].min)
    explorer.sliders[1].value = explorer.sliders[1].max - 0.1
    z = explorer.z
    np.testing.assert_allclose(z, [s.value for s in explorer.sliders], atol=1e-6)
    np.testing.assert_allclose(explorer.values, z, atol=1e-6)
    # What the browser sends back (a drag on the pad) is the state Python reads.
    explorer.set_state({"values": [0.5, -1.25]})
    np.testing.assert_allclose(explorer.z, [0.5, -1.25])
    assert explorer.sliders[1].value == -1.25
    assert_shows(explorer, vae2, explorer.z)


def test_vae_without_images_has_prior_ranges_and_no_map(vae2):
    explorer = widgets.LatentExplorer(vae2)
    assert [(s.min, s.max) for s in explorer.sliders] == [(-3.0, 3.0), (-3.0, 3.0)]
    assert explorer.has_pad  # an empty plane to press on
    np.testing.assert_array_equal(explorer.z, [0.0, 0.0])
    assert not widgets.LatentExplorer(vae2, max_sliders=1).has_pad


def test_ranges_come_from_the_encodings(ae2, test_split):
    images, labels = test_split
    explorer = widgets.LatentExplorer(ae2, images, labels)
    codes = np.asarray(ae2.encode(images))
    for k, slider in enumerate(explorer.sliders):
        assert slider.min < np.percentile(codes[:, k], 1) and slider.max > np.percentile(codes[:, k], 99)
        span = codes[:, k].max() - codes[:, k].min()
        assert slider.max - slider.min < 2 * span


def test_sliders_and_set_z_clamp(vae2):
    explorer = widgets.LatentExplorer(vae2)
    explorer.sliders[0].value = 100.0
    assert explorer.sliders[0].value == 3.0 and explorer.z[0] == 3.0
    explorer.set_z([-7.0, 0.5])
    np.testing.assert_allclose(explorer.z, [-3.0, 0.5])
    assert [s.value for s in explorer.sliders] == [-3.0, 0.5]
    assert_shows(explorer, vae2, [-3.0, 0.5])


def test_set_z_errors(vae2):
    explorer = widgets.LatentExplorer(vae2)
    with pytest.raises(ValueError, match=r"z must have shape \[2\], got \(3,\)"):
        explorer.set_z([0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="z must be finite"):
        explorer.set_z([np.nan, 0.0])


def test_a_single_image_gives_usable_ranges(ae2, vae20, test_split):
    images, _ = test_split
    explorer = widgets.LatentExplorer(ae2, images[:1])
    code = np.asarray(ae2.encode(images[:1]))[0]
    # +-1 around the code, widened to the next multiples of the step (0.02 for a span of 2).
    assert explorer.step == 0.02
    assert (explorer.ranges[:, 0] <= code - 1 + 1e-6).all() and (explorer.ranges[:, 0] > code - 1 - 0.02).all()
    assert (explorer.ranges[:, 1] >= code + 1 - 1e-6).all() and (explorer.ranges[:, 1] < code + 1 + 0.02).all()
    explorer.sliders[0].value = explorer.sliders[0].max
    assert_shows(explorer, ae2, explorer.z)
    assert len(widgets.LatentExplorer(vae20, images[:1]).sliders) == 6


def test_high_dimensional_model_gets_principal_direction_sliders(vae20, test_split):
    images, labels = test_split
    explorer = widgets.LatentExplorer(vae20, images, labels)
    assert [s.description for s in explorer.sliders] == [f"PC{k}" for k in range(1, 7)]
    assert explorer.has_pad and explorer.directions.shape == (6, 20)
    np.testing.assert_allclose(explorer.directions @ explorer.directions.T, np.eye(6), atol=1e-8)
    # PC1 is the direction of largest variance of the encodings.
    codes = np.asarray(vae20.encode(images)[0], np.float64)
    variances = np.var((codes - codes.mean(0)) @ explorer.directions.T, axis=0)
    assert (np.diff(variances) <= 1e-9).all()
    assert variances[0] >= np.var(codes @ np.linalg.svd(codes - codes.mean(0))[2][0]) - 1e-9
    # Moving PC1 moves z along that direction only.
    z0 = explorer.z
    explorer.sliders[0].value = explorer.sliders[0].value + 1.0
    np.testing.assert_allclose(explorer.z - z0, explorer.directions[0], atol=1e-5)
    assert_shows(explorer, vae20, explorer.z)
    # The pad is the plane of PC1 and PC2: the encodings' projections, at the pictured pixels.
    pad = explorer.spec["pad"]
    sx, ox, sy, oy = pad["transform"]
    x0, y0, x1, y1 = pad["box"]
    (lo1, hi1), (lo2, hi2) = explorer.ranges[:2]
    np.testing.assert_allclose([lo1 * sx + ox, hi1 * sx + ox], [x0, x1], atol=1.0)
    np.testing.assert_allclose([hi2 * sy + oy, lo2 * sy + oy], [y0, y1], atol=1.0)


def test_high_dimensional_without_images_uses_first_coordinates(vae20):
    explorer = widgets.LatentExplorer(vae20, max_sliders=3)
    assert [s.description for s in explorer.sliders] == ["z1", "z2", "z3"]
    explorer.sliders[2].value = 1.5
    np.testing.assert_allclose(explorer.z, np.r_[0.0, 0.0, 1.5, np.zeros(17)])


def test_prior_button_is_deterministic_and_changes_z(vae20):
    a, b = widgets.LatentExplorer(vae20, seed=3), widgets.LatentExplorer(vae20, seed=3)
    a.sample_prior()
    b.sample_prior()
    assert a.sample_label == "Sample from the prior" and a.spec["sample"]["seed"] == 3
    np.testing.assert_array_equal(a.z, b.z)
    # The first draw is N(0, I) from numpy's Generator with that seed (no coordinate needs clamping).
    draw = np.random.default_rng(3).standard_normal(20)
    assert np.abs(draw[:6]).max() < 3
    np.testing.assert_allclose(a.z, draw, atol=1e-6)
    assert_shows(a, vae20, a.z)
    first = a.z
    a.sample_prior()
    assert not np.allclose(a.z, first)
    assert not np.allclose(widgets.LatentExplorer(vae20, seed=4).sample_prior(), first)


def test_autoencoder_samples_from_a_gaussian_fitted_to_its_encodings(ae20, test_split):
    images, labels = test_split
    explorer = widgets.LatentExplorer(ae20, images, labels, seed=0)
    assert explorer.sample_label == "Sample from a Gaussian fit"
    draws = np.stack([explorer.sample_prior() for _ in range(400)])
    codes = np.asarray(ae20.encode(images))
    # Draws follow the encodings' mean and spread (the sliders clamp only the far tails).
    scale = codes.std(0).mean()
    assert np.abs(draws.mean(0) - codes.mean(0)).max() < 0.5 * scale
    np.testing.assert_allclose(draws.std(0), codes.std(0), rtol=0.3)


@pytest.mark.parametrize(
    ("model", "kwargs", "error", "message"),
    [
        ("a string", {}, TypeError, r"model must be a vae_tutorial model .* got str"),
        (None, {"images": np.zeros((3, 28, 28), np.float32)}, TypeError, "got NoneType"),
        ("vae", {"images": np.zeros((3, 27, 28), np.float32)}, ValueError,
         r"images must have shape \[n, 28, 28\] or \[n, 784\], got \(3, 27, 28\)"),
        ("vae", {"images": np.zeros((3, 28, 28), np.uint8)}, TypeError, "divide uint8 pixels by 255"),
        ("vae", {"images": np.full((3, 28, 28), 2.0, np.float32)}, ValueError, r"values in \[0, 1\]"),
        ("vae", {"labels": np.arange(3)}, ValueError, "labels were given without images"),
        ("vae", {"images": np.zeros((3, 784), np.float32), "labels": np.arange(4)}, ValueError,
         r"labels must have shape \[n\] = \[3\] to match images, got shape \(4,\)"),
        ("vae", {"images": np.zeros((3, 784), np.float32), "labels": np.ones(3)}, TypeError,
         "labels must be integer digit classes"),
        ("ae", {}, ValueError, "an Autoencoder has no prior .* pass images"),
        ("vae", {"max_sliders": 0}, ValueError, "max_sliders must be >= 1, got 0"),
        ("vae", {"max_sliders": 2.5}, TypeError, "max_sliders must be an integer >= 1, got 2.5"),
        ("vae", {"scale": 0}, ValueError, "scale must be >= 1, got 0"),
        ("vae", {"scale": 17}, ValueError, r"scale must be at most 16 \(a 448-pixel image\), got 17"),
        ("vae", {"scale": 2.0}, TypeError, "scale must be an integer >= 1, got 2.0"),
        ("vae", {"name": 3}, TypeError, "name must be a string, got int"),
        ("vae", {"seed": 1.5}, TypeError, "seed must be an integer, got 1.5"),
        ("vae", {"seed": True}, TypeError, "seed must be an integer, got True"),
        ("vae", {"seed": -1}, ValueError, "seed must be >= 0, got -1"),
        ("vae", {"images": np.zeros((3, 784), np.float32), "labels": np.array([0, 10, 2])}, ValueError,
         "labels must be digit classes 0 to 9, got values from 0 to 10"),
        ("vae", {"images": np.zeros((3, 784), np.float32), "labels": np.array([-1, 0, 2])}, ValueError,
         "labels must be digit classes 0 to 9, got values from -1 to 2"),
        ("vae", {"ranges": [(-1.0, 1.0)] * 3}, ValueError,
         r"ranges must have shape \[2\] .* or \[num_sliders, 2\] = \[2, 2\], got shape \(3, 2\)"),
        ("vae", {"ranges": (1.0, 2.0, 3.0)}, ValueError, r"got shape \(3,\)"),
        ("vae", {"ranges": (-1.0, np.inf)}, ValueError, "ranges must be finite"),
        ("vae", {"ranges": [(-1.0, 1.0), (2.0, 2.0)]}, ValueError,
         r"ranges must have min < max for every slider, got \(2, 2\) for z2"),
        ("vae", {"ranges": (1.0, -1.0)}, ValueError, r"got \(1, -1\) for z1"),
        ("vae", {"ranges": "wide"}, TypeError, "ranges must be numbers \\(min, max\\), got str"),
    ],
)
def test_latent_explorer_errors(vae2, ae2, model, kwargs, error, message):
    model = {"vae": vae2, "ae": ae2}.get(model, model)
    with pytest.raises(error, match=message):
        widgets.LatentExplorer(model, **kwargs)


def test_one_step_per_explorer_and_ranges_on_its_multiples(vae2, ae20, test_split):
    for explorer in (widgets.LatentExplorer(vae2, *test_split), widgets.LatentExplorer(ae20, *test_split)):
        step = explorer.step
        assert {s.step for s in explorer.sliders} == {step}
        spans = explorer.ranges[:, 1] - explorer.ranges[:, 0]
        assert 0.4 * step <= spans.max() / 100 <= 2.5 * step  # about a hundredth of the widest range
        for slider in explorer.sliders:
            for end in (slider.min, slider.max):
                assert abs(end / step - round(end / step)) < 1e-6, (end, step)
            # 0 lies on the slider's grid: a whole number of steps above its min.
            assert slider.min < 0 < slider.max
            assert abs(-slider.min / step - round(-slider.min / step)) < 1e-6
            slider.value = 0.0
            assert slider.value == 0.0
    # The AE's ranges still hold the data ranges they were widened from.
    images, _ = test_split
    explorer = widgets.LatentExplorer(ae20, images)
    proj = (explorer.encodings - explorer.origin) @ explorer.directions.T
    raw = geometry.slider_ranges(proj)
    low, high = explorer.ranges.T
    assert (low <= raw[:, 0] + 1e-9).all() and (low > raw[:, 0] - explorer.step).all()
    assert (high >= raw[:, 1] - 1e-9).all() and (high < raw[:, 1] + explorer.step).all()


def test_ranges_argument_sets_sliders_and_map_limits(vae2, vae20, test_split):
    explorer = widgets.LatentExplorer(vae2, *test_split, ranges=(-2.5, 2.5))
    assert [(s.min, s.max) for s in explorer.sliders] == [(-2.5, 2.5), (-2.5, 2.5)]
    assert explorer.step == 0.05
    map_ax = explorer.static_figure().axes[1]
    assert map_ax.get_xlim() == (-2.5, 2.5) and map_ax.get_ylim() == (-2.5, 2.5)
    # One row per slider; snapped outward to the step (0.05 for a widest span of 6).
    explorer = widgets.LatentExplorer(vae2, *test_split, ranges=[(-1.03, 2.0), (-3.0, 3.0)])
    np.testing.assert_allclose(explorer.ranges, [[-1.05, 2.0], [-3.0, 3.0]])
    # The start (mean encoding) is clamped into narrow ranges.
    explorer = widgets.LatentExplorer(vae2, *test_split, ranges=(5.0, 6.0))
    np.testing.assert_allclose(explorer.z, [5.0, 5.0])
    # For principal directions the ranges are offsets from the mean encoding.
    explorer = widgets.LatentExplorer(vae20, *test_split, ranges=(-1.0, 1.0), max_sliders=3)
    assert [(s.min, s.max) for s in explorer.sliders] == [(-1.0, 1.0)] * 3
    # Without images a VAE takes given ranges too.
    assert widgets.LatentExplorer(vae2, ranges=(-1.0, 1.0)).ranges.tolist() == [[-1.0, 1.0], [-1.0, 1.0]]


def test_principal_directions_sign_convention_and_variance_share(vae20, vae2, test_split):
    explorer = widgets.LatentExplorer(vae20, *test_split)
    assert (explorer.directions.sum(axis=1) > 0).all()
    codes = explorer.encodings
    eigenvalues = np.linalg.eigvalsh(np.cov(codes, rowvar=False))[::-1]
    np.testing.assert_allclose(explorer.variance_share, eigenvalues[:6] / eigenvalues.sum(), rtol=1e-6)
    assert 0 < explorer.variance_share.sum() < 1
    flat = widgets.LatentExplorer(vae2, *test_split)
    np.testing.assert_allclose(flat.variance_share.sum(), 1.0)
    assert widgets.LatentExplorer(vae2).variance_share is None


def test_sample_prior_clamps_to_the_slider_ranges_and_says_so(vae2, ae20, test_split):
    explorer = widgets.LatentExplorer(vae2, ranges=(-0.5, 0.5), seed=7)
    draw = np.random.default_rng(7).standard_normal(2)
    np.testing.assert_allclose(explorer.sample_prior(), np.clip(draw, -0.5, 0.5), atol=1e-6)
    assert explorer.sample_tooltip == explorer.spec["sample"]["tooltip"] == "z ~ N(0, I), clamped to the slider ranges"
    assert "clamps it to the slider ranges" in " ".join(widgets.LatentExplorer.sample_prior.__doc__.split())
    ae = widgets.LatentExplorer(ae20, *test_split)
    assert ae.sample_tooltip == "z ~ N(mean, covariance) of the encodings, clamped to the slider ranges"
    # The browser's button draws from the same Gaussian (latent.fit_gaussian of the encodings).
    fit = latent.fit_gaussian(ae.encodings)
    np.testing.assert_allclose(ae.spec["sample"]["mean"], fit.mean)
    np.testing.assert_allclose(ae.spec["sample"]["cholesky"], fit.cholesky)
    np.testing.assert_array_equal(explorer.spec["sample"]["cholesky"], np.eye(2))
