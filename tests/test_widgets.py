"""The latent widgets without a browser: set slider values, check the PNG bytes they produce."""

import io

import ipywidgets
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from vae_tutorial import pretrained, widgets

SCALE = 6


@pytest.fixture(scope="module")
def vae2():
    return pretrained.load("vae-2d")


@pytest.fixture(scope="module")
def ae2():
    return pretrained.load("autoencoder-2d")


@pytest.fixture(scope="module")
def vae20():
    return pretrained.load("vae-20d")


@pytest.fixture(scope="module")
def ae20():
    return pretrained.load("autoencoder-20d")


@pytest.fixture(scope="module")
def test_split(mnist):
    """Every other test digit (250, sorted by class: 25 of each)."""
    return mnist.test_images[::2], mnist.test_labels[::2]


def png_pixels(png: bytes, scale: int = SCALE) -> np.ndarray:
    """Decode PNG bytes and undo the nearest-neighbour upscaling: ``uint8 [28, 28]``."""
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        pixels = np.asarray(image.convert("L"))
    assert pixels.shape == (28 * scale, 28 * scale)
    blocks = pixels.reshape(28, scale, 28, scale)
    # Nearest-neighbour upscaling: every block is one constant value.
    assert (blocks == blocks[:, :1, :, :1]).all()
    return blocks[:, 0, :, 0]


def expected_pixels(model, z) -> np.ndarray:
    """The model's own (eager) decoding of ``z``, as grey levels 0..255 (255 = white paper, 0 = ink)."""
    image = np.asarray(model.decode(np.asarray(z, np.float32)[None]))[0]
    return np.round((1.0 - image) * 255.0)


def assert_shows(png: bytes, model, z):
    shown = png_pixels(png).astype(np.int16)
    assert np.abs(shown - expected_pixels(model, z)).max() <= 1


# ---------------------------------------------------------------------------------------------
# LatentExplorer
# ---------------------------------------------------------------------------------------------


def test_latent_explorer_widgets(vae2, test_split):
    explorer = widgets.LatentExplorer(vae2, *test_split)
    assert isinstance(explorer, ipywidgets.DOMWidget)
    assert [s.description for s in explorer.sliders] == ["z1", "z2"]
    assert all(isinstance(s, ipywidgets.FloatSlider) for s in explorer.sliders)
    assert isinstance(explorer.image, ipywidgets.Image) and explorer.image.format == "png"
    assert isinstance(explorer.map_image, ipywidgets.Image) and explorer.map_image.format == "png"
    assert explorer.z.shape == (2,) and explorer.z.dtype == np.float32
    # Starts at the mean encoding, which the sliders read.
    np.testing.assert_allclose(explorer.z, [s.value for s in explorer.sliders], atol=1e-6)


def test_setting_a_slider_changes_the_image_to_the_decoding_there(vae2, test_split):
    explorer = widgets.LatentExplorer(vae2, *test_split)
    before_image, before_map = explorer.image.value, explorer.map_image.value
    assert_shows(before_image, vae2, explorer.z)
    explorer.sliders[0].value = explorer.sliders[0].min + 0.25 * (explorer.sliders[0].max - explorer.sliders[0].min)
    explorer.sliders[1].value = explorer.sliders[1].max - 0.1
    assert explorer.image.value != before_image
    assert explorer.map_image.value != before_map
    z = explorer.z
    np.testing.assert_allclose(z, [s.value for s in explorer.sliders], atol=1e-6)
    assert_shows(explorer.image.value, vae2, z)


def test_shown_image_matches_decode_at_many_points(vae2):
    explorer = widgets.LatentExplorer(vae2)
    for z in np.random.default_rng(1).uniform(-2.5, 2.5, size=(10, 2)):
        explorer.set_z(z)
        np.testing.assert_allclose(explorer.z, z, atol=1e-6)
        assert_shows(explorer.image.value, vae2, z)


def test_vae_without_images_has_prior_ranges_and_no_map(vae2):
    explorer = widgets.LatentExplorer(vae2)
    assert [(s.min, s.max) for s in explorer.sliders] == [(-3.0, 3.0), (-3.0, 3.0)]
    assert explorer.map_image is None
    np.testing.assert_array_equal(explorer.z, [0.0, 0.0])


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
    assert_shows(explorer.image.value, vae2, [-3.0, 0.5])


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
    assert_shows(explorer.image.value, ae2, explorer.z)
    assert len(widgets.LatentExplorer(vae20, images[:1]).sliders) == 6


def test_high_dimensional_model_gets_principal_direction_sliders(vae20, test_split):
    images, labels = test_split
    explorer = widgets.LatentExplorer(vae20, images, labels)
    assert [s.description for s in explorer.sliders] == [f"PC{k}" for k in range(1, 7)]
    assert explorer.map_image is None and explorer.directions.shape == (6, 20)
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
    assert_shows(explorer.image.value, vae20, explorer.z)


def test_high_dimensional_without_images_uses_first_coordinates(vae20):
    explorer = widgets.LatentExplorer(vae20, max_sliders=3)
    assert [s.description for s in explorer.sliders] == ["z1", "z2", "z3"]
    explorer.sliders[2].value = 1.5
    np.testing.assert_allclose(explorer.z, np.r_[0.0, 0.0, 1.5, np.zeros(17)])


def test_prior_button_is_deterministic_and_changes_z(vae20):
    a, b = widgets.LatentExplorer(vae20, seed=3), widgets.LatentExplorer(vae20, seed=3)
    before = a.image.value
    a.sample_button.click()
    b.sample_button.click()
    assert a.sample_button.description == "Sample from the prior"
    assert a.image.value != before
    np.testing.assert_array_equal(a.z, b.z)
    # The first draw is N(0, I) from numpy's Generator with that seed (no coordinate needs clamping).
    draw = np.random.default_rng(3).standard_normal(20)
    assert np.abs(draw[:6]).max() < 3
    np.testing.assert_allclose(a.z, draw, atol=1e-6)
    assert_shows(a.image.value, vae20, a.z)
    first = a.z
    a.sample_button.click()
    assert not np.allclose(a.z, first)
    assert not np.allclose(widgets.LatentExplorer(vae20, seed=4).sample_prior(), first)


def test_autoencoder_samples_from_a_gaussian_fitted_to_its_encodings(ae20, test_split):
    images, labels = test_split
    explorer = widgets.LatentExplorer(ae20, images, labels, seed=0)
    assert explorer.sample_button.description == "Sample from a Gaussian fit"
    draws = np.stack([explorer.sample_prior() for _ in range(400)])
    codes = np.asarray(ae20.encode(images))
    # Draws follow the encodings' mean and spread (the sliders clamp only the far tails).
    scale = codes.std(0).mean()
    assert np.abs(draws.mean(0) - codes.mean(0)).max() < 0.5 * scale
    np.testing.assert_allclose(draws.std(0), codes.std(0), rtol=0.3)


def test_repr_is_stable_and_display_carries_a_static_fallback(vae2, test_split):
    explorer = widgets.LatentExplorer(vae2, *test_split)
    assert repr(explorer) == "LatentExplorer(VAE, latent_dim=2, sliders: z1, z2)"
    bundle = explorer._repr_mimebundle_()
    assert bundle["text/plain"] == repr(explorer) + "\n" + widgets.TEXT_NOTE
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.model_id
    import base64

    with Image.open(io.BytesIO(base64.b64decode(bundle["image/png"]))) as still:
        assert still.width > 300 and still.height > 200
    named = widgets.LatentExplorer(vae2, name="vae-2d")
    assert repr(named) == "LatentExplorer('vae-2d', VAE, latent_dim=2, sliders: z1, z2)"
    # A terminal asks for text only: no figure is drawn, and only what was asked for comes back.
    assert explorer._repr_mimebundle_(include={"text/plain"}) == {"text/plain": bundle["text/plain"]}
    assert set(explorer._repr_mimebundle_(exclude={"image/png"})) == {
        "text/plain", "application/vnd.jupyter.widget-view+json"}
    assert set(explorer._repr_mimebundle_(include={"image/png", "text/plain"}, exclude={"text/plain"})) == {"image/png"}


def test_static_figures(vae2, vae20, test_split):
    fig = widgets.LatentExplorer(vae2, *test_split).static_figure()
    assert isinstance(fig, Figure) and len(fig.axes) == 3  # decoded grid, map, colour bar
    assert fig.axes[0].get_xlabel() == "z1" and fig.axes[0].get_title()
    assert widgets.NO_FRONTEND_NOTE in [t.get_text() for t in fig.texts]
    fig = widgets.LatentExplorer(vae20).static_figure(steps=5)
    assert len(fig.axes) == 6  # one row per slider
    assert all(ax.images[0].get_array().shape == (28, 5 * 28) for ax in fig.axes)
    assert [ax.get_ylabel() for ax in fig.axes] == [f"z{k}" for k in range(1, 7)]
    # Each row's x axis shows the slider values of its images ([-3, 3] without images).
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["-3.0", "-1.5", "0.0", "1.5", "3.0"]
    assert fig.axes[-1].get_xlabel() == "slider value"


@pytest.mark.parametrize(
    ("model", "kwargs", "error", "message"),
    [
        ("a string", {}, TypeError, r"model must be a vae_tutorial Autoencoder or VAE .* got str"),
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


# ---------------------------------------------------------------------------------------------
# InterpolationExplorer
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_and_nine(test_split):
    images, labels = test_split
    return images[labels == 2][0], images[labels == 9][0]


def test_interpolation_endpoints_are_each_models_decodings(ae2, vae2, vae20, two_and_nine):
    start, end = two_and_nine
    named = {"autoencoder": ae2, "VAE": vae2, "VAE 20-D": vae20}
    walk = widgets.InterpolationExplorer(named, start, end)
    assert list(walk.images) == list(named) and walk.slider.value == 0.0
    assert (walk.slider.min, walk.slider.max) == (0.0, 1.0)
    labels = [column.children[0].value for column in walk.children[1].children]
    assert labels == ["input at t = 0", *named, "input at t = 1"]
    # The inputs themselves, drawn like the decodings (ink dark on white).
    for widget, image in zip(walk.inputs, (start, end)):
        np.testing.assert_array_equal(png_pixels(widget.value), np.round((1.0 - image) * 255.0))
    codes = {}
    for name, model in named.items():
        out = model.encode(np.stack([start, end]))
        codes[name] = np.asarray(out[0] if isinstance(out, tuple) else out)  # a VAE: the mean
    for name, model in named.items():
        assert_shows(walk.images[name].value, model, codes[name][0])
    shown_at_0 = {name: image.value for name, image in walk.images.items()}
    walk.slider.value = 1.0
    for name, model in named.items():
        assert walk.images[name].value != shown_at_0[name]
        assert_shows(walk.images[name].value, model, codes[name][1])
    walk.slider.value = 0.25
    for name, model in named.items():
        assert_shows(walk.images[name].value, model, 0.75 * codes[name][0] + 0.25 * codes[name][1])
    walk.slider.value = 7.0  # clamped
    assert walk.slider.value == 1.0


def test_interpolation_accepts_flat_images_and_has_a_stable_repr(vae2, two_and_nine):
    start, end = two_and_nine
    walk = widgets.InterpolationExplorer({"VAE": vae2}, start.reshape(784), end)
    assert repr(walk) == "InterpolationExplorer(models: VAE)"
    fig = walk.static_figure(steps=5)
    picture = fig.axes[0].images[0].get_array()
    assert picture.shape == (2 * 28, 5 * 28)  # the inputs' row, then one row per model
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["input images", "VAE"]
    np.testing.assert_array_equal(picture[:28, :28], np.round((1.0 - start) * 255.0))
    np.testing.assert_array_equal(picture[:28, -28:], np.round((1.0 - end) * 255.0))
    assert (picture[:28, 28:-28] == 255).all()  # white paper between the two inputs
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["0.00", "0.25", "0.50", "0.75", "1.00"]


@pytest.mark.parametrize(
    ("named", "start_shape", "error", "message"),
    [
        ("vae", (28, 28), TypeError, r"named_models must be a dict \{name: model\}, got VAE"),
        ({}, (28, 28), ValueError, "named_models must hold at least one model, got an empty dict"),
        ({"x": "no"}, (28, 28), TypeError, r"named_models\['x'\] must be a vae_tutorial Autoencoder or VAE"),
        ({1: "vae"}, (28, 28), TypeError, "model names must be strings, got 1"),
        ({"v": "vae"}, (2, 28, 28), ValueError,
         r"start_image must be one image of shape \[28, 28\] or \[784\], got shape \(2, 28, 28\)"),
        ({"v": "vae"}, (27, 28), ValueError, r"start_image must be one image .* got shape \(27, 28\)"),
    ],
)
def test_interpolation_errors(vae2, named, start_shape, error, message):
    if isinstance(named, dict):
        named = {k: vae2 if v == "vae" else v for k, v in named.items()}
    else:
        named = vae2
    with pytest.raises(error, match=message):
        widgets.InterpolationExplorer(named, np.zeros(start_shape, np.float32), np.zeros((28, 28), np.float32))


def test_interpolation_rejects_a_non_array_image(vae2):
    with pytest.raises(TypeError, match="end_image must be one image, an array of shape"):
        widgets.InterpolationExplorer({"v": vae2}, np.zeros((28, 28), np.float32), [[0.0]])


def test_interpolation_scale_is_checked(vae2, two_and_nine):
    with pytest.raises(ValueError, match="scale must be at most 16"):
        widgets.InterpolationExplorer({"v": vae2}, *two_and_nine, scale=17)


# ---------------------------------------------------------------------------------------------
# Slider ranges and steps
# ---------------------------------------------------------------------------------------------


def test_slider_ranges_are_widened_percentiles():
    codes = np.stack([np.linspace(0.0, 10.0, 1001), np.full(1001, 2.0)], axis=1)
    ranges = widgets.slider_ranges(codes)
    # Column 1: percentiles 0.05 and 9.95, widened by a tenth of 9.9; column 2: no spread, +-1.
    np.testing.assert_allclose(ranges, [[0.05 - 0.99, 9.95 + 0.99], [1.0, 3.0]])
    np.testing.assert_allclose(widgets.slider_ranges([[1.0, 2.0]]), [[0.0, 2.0], [1.0, 3.0]])


@pytest.mark.parametrize(
    ("codes", "message"),
    [(np.zeros(3), r"codes must have shape \[n, d\] with n, d >= 1, got shape \(3,\)"),
     (np.zeros((0, 2)), r"got shape \(0, 2\)"),
     (np.array([[0.0, np.nan]]), "codes must be finite")],
)
def test_slider_ranges_errors(codes, message):
    with pytest.raises(ValueError, match=message):
        widgets.slider_ranges(codes)


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
    raw = widgets.slider_ranges(proj)
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


def test_vae_maps_draw_the_prior_circle_digit_labels_and_equal_aspect(vae2, ae2, test_split):
    r = widgets.PRIOR_95_RADIUS
    assert np.isclose(1.0 - np.exp(-r**2 / 2), 0.95)
    draws = np.random.default_rng(0).standard_normal((200_000, 2))
    assert abs(np.mean(np.linalg.norm(draws, axis=1) <= r) - 0.95) < 0.003  # Monte Carlo check
    images, labels = test_split
    vae_map = widgets.LatentExplorer(vae2, images, labels).static_figure().axes[1]
    circle = [line for line in vae_map.lines if line.get_label() == "95% of the prior N(0, I)"]
    assert len(circle) == 1
    np.testing.assert_allclose(np.hypot(*circle[0].get_data()), r)
    assert vae_map.get_aspect() == 1.0
    # Each digit is written at the median of its codes.
    codes = np.asarray(vae2.encode(images)[0])
    written = {t.get_text(): t.get_position() for t in vae_map.texts}
    assert sorted(written) == [str(k) for k in range(10)]
    np.testing.assert_allclose(written["4"], np.median(codes[labels == 4], axis=0), atol=1e-6)
    ae_map = widgets.LatentExplorer(ae2, images, labels).static_figure().axes[1]
    assert not [line for line in ae_map.lines if "prior" in line.get_label()]
    # The live map: larger than before, with the marker pasted at the current code.
    explorer = widgets.LatentExplorer(vae2, images, labels)
    assert int(explorer.map_image.width) >= 320 and int(explorer.map_image.height) >= 300


def test_sample_prior_clamps_to_the_slider_ranges_and_says_so(vae2, ae20, test_split):
    explorer = widgets.LatentExplorer(vae2, ranges=(-0.5, 0.5), seed=7)
    draw = np.random.default_rng(7).standard_normal(2)
    np.testing.assert_allclose(explorer.sample_prior(), np.clip(draw, -0.5, 0.5), atol=1e-6)
    assert explorer.sample_button.tooltip == "z ~ N(0, I), clamped to the slider ranges"
    assert "clamps it to the slider ranges" in " ".join(widgets.LatentExplorer.sample_prior.__doc__.split())
    ae = widgets.LatentExplorer(ae20, *test_split)
    assert ae.sample_button.tooltip == "z ~ N(mean, covariance) of the encodings, clamped to the slider ranges"


# ---------------------------------------------------------------------------------------------
# ExplorerSwitch
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def beta_like(vae2, ae2, test_split):
    """Two explorers over different 2-D models with one shared set of ranges."""
    return {0.3: widgets.LatentExplorer(ae2, *test_split, ranges=(-4.0, 4.0), name="a"),
            1.0: widgets.LatentExplorer(vae2, *test_split, ranges=(-4.0, 4.0), name="b")}


def test_explorer_switch_shows_one_explorer_and_keeps_z(beta_like, vae2):
    switch = widgets.ExplorerSwitch(beta_like, description="beta", value=1.0)
    assert isinstance(switch.slider, ipywidgets.SelectionSlider) and switch.slider.description == "beta"
    assert switch.slider.label == "1.0" and switch.slider.value == 1.0
    assert [label for label, _ in switch.slider.options] == ["0.3", "1.0"]
    assert switch.stack.selected_index == 1 and switch.current is beta_like[1.0]
    beta_like[1.0].set_z([1.5, -2.0])
    switch.slider.value = 0.3
    assert switch.stack.selected_index == 0 and switch.current is beta_like[0.3]
    np.testing.assert_allclose(beta_like[0.3].z, [1.5, -2.0], atol=1e-6)
    assert_shows(beta_like[0.3].image.value, beta_like[0.3].model, [1.5, -2.0])
    beta_like[0.3].sliders[0].value = -3.0
    switch.slider.value = 1.0
    np.testing.assert_allclose(beta_like[1.0].z, [-3.0, -2.0], atol=1e-6)
    assert_shows(beta_like[1.0].image.value, vae2, [-3.0, -2.0])
    assert widgets.ExplorerSwitch(beta_like).slider.value == 0.3  # default: the first label


def test_explorer_switch_clamps_to_narrower_ranges(vae2):
    wide, narrow = widgets.LatentExplorer(vae2, ranges=(-3.0, 3.0)), widgets.LatentExplorer(vae2, ranges=(-1.0, 1.0))
    switch = widgets.ExplorerSwitch({"wide": wide, "narrow": narrow})
    wide.set_z([2.5, -0.5])
    switch.slider.value = "narrow"
    np.testing.assert_allclose(narrow.z, [1.0, -0.5])


def test_explorer_switch_display(beta_like):
    switch = widgets.ExplorerSwitch(beta_like, description="beta")
    assert repr(switch) == "ExplorerSwitch(beta: 0.3, 1.0)"
    bundle = switch._repr_mimebundle_()
    assert bundle["text/plain"] == repr(switch) + "\n" + widgets.TEXT_NOTE
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == switch.model_id
    assert "image/png" in bundle
    fig = switch.static_figure(steps=3)
    assert [sub._suptitle.get_text() for sub in fig.subfigs] == ["beta = 0.3", "beta = 1.0"]
    assert widgets.NO_FRONTEND_NOTE in [t.get_text() for t in fig.texts]
    # Both columns share the map limits given by the shared ranges.
    maps = [ax for ax in fig.axes if ax.get_title().endswith("encodings")]
    assert len(maps) == 2 and all(ax.get_xlim() == (-4.0, 4.0) for ax in maps)


@pytest.mark.parametrize(
    ("explorers", "kwargs", "error", "message"),
    [
        ("no", {}, TypeError, r"explorers must be a dict \{label: LatentExplorer\}, got str"),
        ({}, {}, ValueError, "explorers must hold at least one LatentExplorer, got an empty dict"),
        ({"x": 3}, {}, TypeError, r"explorers\['x'\] must be a LatentExplorer, got int"),
        ({"a": "2d", "b": "20d"}, {}, ValueError,
         r"explorers must share latent size and slider count, got \(latent, sliders\) \[\(2, 2\), \(20, 6\)\]"),
        ({"a": "2d"}, {"value": "c"}, ValueError, r"value must be one of the labels \['a'\], got 'c'"),
        ({"a": "2d"}, {"description": 1}, TypeError, "description must be a string, got int"),
    ],
)
def test_explorer_switch_errors(vae2, vae20, explorers, kwargs, error, message):
    made = {"2d": widgets.LatentExplorer(vae2), "20d": widgets.LatentExplorer(vae20)}
    if isinstance(explorers, dict):
        explorers = {k: made.get(v, v) if isinstance(v, str) else v for k, v in explorers.items()}
    with pytest.raises(error, match=message):
        widgets.ExplorerSwitch(explorers, **kwargs)
