"""The decoder as the browser gets it: the weights sent, float16, and the NumPy decoder that mirrors the browser."""


import numpy as np
import pytest

from vae_tutorial import geometry, widgets
from widget_helpers import assert_shows, sent_layers


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


def test_shown_image_matches_decode_at_many_points(vae2):
    explorer = widgets.LatentExplorer(vae2)
    for z in np.random.default_rng(1).uniform(-2.5, 2.5, size=(10, 2)):
        explorer.set_z(z)
        np.testing.assert_allclose(explorer.z, z, atol=1e-6)
        assert_shows(explorer, vae2, z)
