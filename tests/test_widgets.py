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
    np.testing.assert_allclose(explorer.ranges, np.stack([code - 1, code + 1], axis=1), atol=1e-5)
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
    # A terminal asks for text only: no figure is drawn.
    assert set(explorer._repr_mimebundle_(include={"text/plain"})) == {
        "text/plain", "application/vnd.jupyter.widget-view+json"}


def test_static_figures(vae2, vae20, test_split):
    fig = widgets.LatentExplorer(vae2, *test_split).static_figure()
    assert isinstance(fig, Figure) and len(fig.axes) == 3  # decoded grid, map, colour bar
    assert fig.axes[0].get_xlabel() == "z1" and fig.axes[0].get_title()
    assert widgets.NO_FRONTEND_NOTE in [t.get_text() for t in fig.texts]
    fig = widgets.LatentExplorer(vae20).static_figure(steps=5)
    assert fig.axes[0].images[0].get_array().shape == (6 * 28, 5 * 28)


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
        ("vae", {"name": 3}, TypeError, "name must be a string, got int"),
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
    assert labels == list(named)
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
    assert fig.axes[0].images[0].get_array().shape == (28, 5 * 28)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["0.00", "0.25", "0.50", "0.75", "1.00"]


@pytest.mark.parametrize(
    ("models", "start_shape", "error", "message"),
    [
        ("vae", (28, 28), TypeError, r"models must be a dict \{name: model\}, got VAE"),
        ({}, (28, 28), ValueError, "models must hold at least one model, got an empty dict"),
        ({"x": "no"}, (28, 28), TypeError, r"models\['x'\] must be a vae_tutorial Autoencoder or VAE"),
        ({1: "vae"}, (28, 28), TypeError, "model names must be strings, got 1"),
        ({"v": "vae"}, (2, 28, 28), ValueError,
         r"start_image must be one image of shape \[28, 28\] or \[784\], got shape \(2, 28, 28\)"),
        ({"v": "vae"}, (27, 28), ValueError, r"start_image must be one image .* got shape \(27, 28\)"),
    ],
)
def test_interpolation_errors(vae2, models, start_shape, error, message):
    if isinstance(models, dict):
        models = {k: vae2 if v == "vae" else v for k, v in models.items()}
    else:
        models = vae2
    with pytest.raises(error, match=message):
        widgets.InterpolationExplorer(models, np.zeros(start_shape, np.float32), np.zeros((28, 28), np.float32))


def test_interpolation_rejects_a_non_array_image(vae2):
    with pytest.raises(TypeError, match="end_image must be one image, an array of shape"):
        widgets.InterpolationExplorer({"v": vae2}, np.zeros((28, 28), np.float32), [[0.0]])
