"""The latent widgets without a browser: set slider values, check the PNG bytes they produce."""

import base64
import io
import os

import anywidget
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from vae_tutorial import geometry, latent, pretrained, widgets


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


def expected_pixels(model, z) -> np.ndarray:
    """The model's own (eager) decoding of ``z``, as grey levels 0..255 (255 = white paper, 0 = ink)."""
    image = np.asarray(model.decode(np.asarray(z, np.float32).reshape(-1, model.latent_dim)))
    return np.round((1.0 - image) * 255.0)


def assert_shows(explorer, model, z, snapshot=None):
    """The weights the explorer sends decode ``z`` like ``model.decode``, within one grey level."""
    snapshot = snapshot or explorer._snapshot
    shown = snapshot.pixels(np.asarray(z)).astype(np.int16)
    assert np.abs(shown - expected_pixels(model, z).reshape(shown.shape)).max() <= 1


def sent_layers(spec: dict) -> list:
    """The decoder weights as the browser reads them from the spec's buffers."""
    out = []
    for layer in spec["layers"]:
        dtype = "<f2" if layer["dtype"] == "float16" else "<f4"
        w = np.frombuffer(layer["w"], dtype).astype(np.float32).reshape(layer["n_in"], layer["n_out"])
        out.append((w, np.frombuffer(layer["b"], "<f4")))
    return out


# ---------------------------------------------------------------------------------------------
# LatentExplorer
# ---------------------------------------------------------------------------------------------


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


def test_the_browser_gets_the_decoder_weights_once_as_binary_buffers(vae2, test_split):
    explorer = widgets.LatentExplorer(vae2, *test_split)
    spec = explorer.spec["decoder"]
    assert spec["latent_dim"] == 2 and spec["activation"] == "relu"
    assert [(layer["n_in"], layer["n_out"], layer["dtype"]) for layer in spec["layers"]] == [
        (2, 512, "float32"), (512, 784, "float32")]
    for (w, b), layer in zip(sent_layers(spec), vae2.decoder.layers):
        np.testing.assert_array_equal(w, np.asarray(layer.kernel[...]))
        np.testing.assert_array_equal(b, np.asarray(layer.bias[...]))
    # Buffers, not JSON numbers: ipywidgets sends them as binary frames.
    from ipywidgets.widgets.widget import _remove_buffers

    _, paths, buffers = _remove_buffers(explorer.get_state())
    assert ["spec", "decoder", "layers", 1, "w"] in paths
    assert sum(len(memoryview(b).cast("B")) for b in buffers) > 4 * 512 * 784


def test_float16_weights_decode_within_one_grey_level(vae2, ae2, vae20, ae20, test_split, monkeypatch):
    monkeypatch.setenv(widgets.WEIGHTS_ENV, "float16")
    for model in (vae2, ae2, vae20, ae20):
        explorer = widgets.LatentExplorer(model, *test_split)
        assert [layer["dtype"] for layer in explorer.spec["decoder"]["layers"]] == ["float32", "float16"]
        lo, hi = explorer.ranges.T
        values = np.random.default_rng(0).uniform(lo, hi, size=(300, len(lo)))
        codes = geometry.from_sliders(values, explorer.origin, explorer.directions)
        assert_shows(explorer, model, codes)
    monkeypatch.setenv(widgets.WEIGHTS_ENV, "float8")
    with pytest.raises(ValueError, match="must be float32 or float16, got 'float8'"):
        widgets.LatentExplorer(vae2)


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


def test_shown_image_matches_decode_at_many_points(vae2):
    explorer = widgets.LatentExplorer(vae2)
    for z in np.random.default_rng(1).uniform(-2.5, 2.5, size=(10, 2)):
        explorer.set_z(z)
        np.testing.assert_allclose(explorer.z, z, atol=1e-6)
        assert_shows(explorer, vae2, z)


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


def test_repr_is_stable_and_display_carries_a_static_fallback(vae2, test_split):
    explorer = widgets.LatentExplorer(vae2, *test_split)
    assert repr(explorer) == "LatentExplorer(VAE, latent_dim=2, sliders: z1, z2)"
    bundle = explorer._repr_mimebundle_()
    assert bundle["text/plain"] == repr(explorer) + "\n" + widgets.TEXT_NOTE
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.model_id
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
    assert widgets.NO_FRONTEND_NOTE in [" ".join(t.get_text().split()) for t in fig.texts]
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


# ---------------------------------------------------------------------------------------------
# Slider ranges and steps
# ---------------------------------------------------------------------------------------------


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


def test_vae_maps_draw_the_prior_circle_digit_labels_and_equal_aspect(vae2, ae2, test_split):
    r = latent.prior_radius(0.95)
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
    # The pad's picture: large enough to aim at, the axes box inside it.
    pad = widgets.LatentExplorer(vae2, images, labels).spec["pad"]
    assert pad["width"] >= 320 and pad["height"] >= 300
    x0, y0, x1, y1 = pad["box"]
    assert 0 <= x0 < x1 <= pad["width"] and 0 <= y0 < y1 <= pad["height"]
    with Image.open(io.BytesIO(pad["png"])) as picture:
        assert picture.size == (pad["width"], pad["height"])


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
    assert switch.description == "beta" and switch.spec["labels"] == ["0.3", "1.0"]
    assert switch.value == 1.0 and switch.index == 1 and switch.current is beta_like[1.0]
    assert [e["decoder"]["layers"][0]["n_in"] for e in switch.spec["explorers"]] == [2, 2]
    beta_like[1.0].set_z([1.5, -2.0])
    np.testing.assert_allclose(switch.values, [1.5, -2.0])  # the shown explorer's state is the switch's
    switch.value = 0.3
    assert switch.index == 0 and switch.current is beta_like[0.3]
    np.testing.assert_allclose(beta_like[0.3].z, [1.5, -2.0], atol=1e-6)
    assert_shows(beta_like[0.3], beta_like[0.3].model, [1.5, -2.0])
    beta_like[0.3].sliders[0].value = -3.0
    switch.value = 1.0
    np.testing.assert_allclose(beta_like[1.0].z, [-3.0, -2.0], atol=1e-6)
    # A switch in the browser sends index, values and rest together; the explorer shown follows.
    switch.set_state({"index": 0, "values": [0.5, 0.25], "rest": [0.0, 0.0]})
    assert switch.current is beta_like[0.3]
    np.testing.assert_allclose(beta_like[0.3].z, [0.5, 0.25])
    assert widgets.ExplorerSwitch(beta_like).value == 0.3  # default: the first label
    with pytest.raises(ValueError, match="value must be one of the labels"):
        switch.value = 2.0


def test_explorer_switch_clamps_to_narrower_ranges(vae2):
    wide, narrow = widgets.LatentExplorer(vae2, ranges=(-3.0, 3.0)), widgets.LatentExplorer(vae2, ranges=(-1.0, 1.0))
    switch = widgets.ExplorerSwitch({"wide": wide, "narrow": narrow})
    wide.set_z([2.5, -0.5])
    switch.value = "narrow"
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
    assert widgets.NO_FRONTEND_NOTE in [" ".join(t.get_text().split()) for t in fig.texts]
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


# ---------------------------------------------------------------------------------------------
# ReparameterizationExplorer
# ---------------------------------------------------------------------------------------------


def test_reparameterization_draws_move_with_mu_and_sigma_and_keep_their_eps(vae2, test_split):
    image = test_split[0][7]
    trick = widgets.ReparameterizationExplorer(vae2, image, count=9, seed=2)
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


def test_reparameterization_without_an_image_starts_at_the_prior(vae20):
    trick = widgets.ReparameterizationExplorer(vae20, name="vae-20d")
    assert trick.mu == [0.0] * 20 and trick.sigma == [1.0] * 20 and np.shape(trick.eps) == (1, 20)
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
        ("vae", {"sigma_scale": 3.5}, ValueError, r"sigma_scale must lie in \[0, 3\], got 3.5"),
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


def test_every_explorer_ships_the_same_front_end_module():
    source = (widgets._ESM).read_text()
    assert "export default { render }" in source
    for kind in ("latent", "interpolation", "reparameterization", "switch"):
        assert f"{kind}:" in source
    assert "import " not in source  # one self-contained module: the static pages inline it
