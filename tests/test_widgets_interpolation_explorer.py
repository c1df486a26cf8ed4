"""InterpolationExplorer: the straight path in several models at once."""


import numpy as np
import pytest

from vae_tutorial import widgets
from widget_helpers import assert_shows


@pytest.fixture(scope="module")
def two_and_nine(test_split):
    images, labels = test_split
    return images[labels == 2][0], images[labels == 9][0]


def test_interpolation_endpoints_are_each_models_decodings(ae2, vae2, vae20, two_and_nine):
    start, end = two_and_nine
    named = {"autoencoder": ae2, "VAE": vae2, "VAE 20-D": vae20}
    walk = widgets.InterpolationExplorer(named, start, end)
    assert walk.spec["names"] == list(named) and walk.slider.value == 0.0 and walk.t == 0.0
    assert (walk.slider.min, walk.slider.max) == (0.0, 1.0)
    # The inputs themselves, drawn like the decodings (ink dark on white).
    for sent, image in zip(walk.spec["inputs"], (start, end)):
        np.testing.assert_array_equal(np.frombuffer(sent, np.uint8), np.round((1.0 - image.reshape(-1)) * 255.0))
    codes = {name: np.asarray(model.code(np.stack([start, end]))) for name, model in named.items()}
    snapshots = dict(zip(named, walk._snapshots.values()))
    for (name, model), (z0, z1) in zip(named.items(), walk.spec["endpoints"]):
        np.testing.assert_allclose(z0, codes[name][0], atol=1e-6)
        np.testing.assert_allclose(z1, codes[name][1], atol=1e-6)
        assert_shows(walk, model, walk.z(name), snapshots[name])
    walk.slider.value = 0.25
    for name, model in named.items():
        np.testing.assert_allclose(walk.z(name), 0.75 * codes[name][0] + 0.25 * codes[name][1], atol=1e-6)
        assert_shows(walk, model, walk.z(name), snapshots[name])
    walk.set_state({"t": 1.0})  # as the browser sends it
    np.testing.assert_allclose(walk.z("VAE"), codes["VAE"][1], atol=1e-6)
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
        ({"x": "no"}, (28, 28), TypeError, r"named_models\['x'\] must be a vae_tutorial model"),
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
