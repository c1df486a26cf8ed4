"""DiscreteExplorer: Gumbel-softmax samples on the 3-class simplex, and the discrete VAE's code set by clicks."""

import numpy as np
import pytest

from vae_tutorial import discrete, widgets
from widget_helpers import expected_pixels, sent_layers


@pytest.fixture(scope="module")
def dvae():
    return discrete.load_pretrained()


@pytest.fixture(scope="module")
def explorer(dvae, test_split):
    return widgets.DiscreteExplorer(dvae, test_split[0][3], count=6, seed=4, temperature=1.0)


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_starts_at_the_images_most_probable_code_and_sends_its_pieces(explorer, dvae, test_split):
    image = test_split[0][3]
    logits = np.asarray(dvae.encode(image[None]))[0]
    assert explorer.classes == logits.argmax(-1).tolist() and len(explorer.classes) == 20
    np.testing.assert_array_equal(explorer.code, np.asarray(dvae.mode(image[None]))[0])
    spec = explorer.spec
    assert spec["kind"] == "discrete" and spec["num_variables"] == 20 and spec["num_classes"] == 10
    np.testing.assert_allclose(spec["q"], _softmax(logits.astype(np.float64)), rtol=1e-5, atol=1e-7)
    rng = np.random.default_rng(4)
    np.testing.assert_allclose(spec["simplex"]["noise"], rng.gumbel(size=(6, 3)))
    np.testing.assert_allclose(spec["code_noise"], rng.gumbel(size=(20, 10)))
    # The weights the browser reads are the decoder's own.
    for (w, b), (kernel, bias) in zip(sent_layers(spec["decoder"]), dvae.decoder_layers()):
        np.testing.assert_array_equal(w, kernel)
        np.testing.assert_array_equal(b, bias)
    # The browser's slider moves log10(temperature) on a grid that holds 0 (temperature 1) and stays
    # inside the temperatures the kernel accepts.
    from vae_tutorial.widgets.discrete_explorer import TEMPERATURE_RANGE

    lo, hi = spec["log_range"]
    assert TEMPERATURE_RANGE[0] <= 10 ** lo and 10 ** hi <= TEMPERATURE_RANGE[1]
    assert abs(round(-lo / spec["log_step"]) * spec["log_step"] + lo) < 1e-9
    assert repr(explorer) == "DiscreteExplorer(20 variables x 10 classes, temperature=1.00)"
    bundle = explorer._repr_mimebundle_()
    assert bundle["text/plain"] == repr(explorer) + "\n" + widgets.TEXT_NOTE and "image/png" in bundle


def test_the_temperature_moves_samples_from_uniform_towards_one_hot(explorer):
    noise = np.asarray(explorer.spec["simplex"]["noise"])
    explorer.temperature = 0.37
    np.testing.assert_allclose(explorer.samples, _softmax((np.array([1.0, 0.0, -1.0]) + noise) / 0.37))
    explorer.temperature = 5.0
    hot = explorer.samples
    explorer.temperature = 0.05
    cold = explorer.samples
    assert np.abs(hot - 1 / 3).max() < 0.25  # near the centre of the simplex
    assert cold.max(-1).min() > 0.9  # near a corner, each at the class of argmax(logits + g)
    np.testing.assert_array_equal(cold.argmax(-1), (np.array([1.0, 0.0, -1.0]) + noise).argmax(-1))
    explorer.temperature = 1.0


def test_the_numpy_decode_of_the_snapshot_matches_the_model_within_one_grey_level(explorer, dvae):
    for temperature in (0.05, 1.0, 5.0):
        explorer.temperature = temperature
        relaxed_code = _softmax((np.asarray(explorer.spec["code_logits"]) + np.asarray(explorer.spec["code_noise"]))
                                / temperature).reshape(-1)
        np.testing.assert_allclose(explorer.relaxed_code, relaxed_code, rtol=1e-6, atol=1e-7)
        shown = explorer.pixels()[0].astype(np.int16)
        assert np.abs(shown - expected_pixels(dvae, relaxed_code).reshape(28, 28)).max() <= 1
    explorer.temperature = 1.0
    start = list(explorer.classes)
    explorer.set_class(5, (start[5] + 3) % 10)
    code = np.asarray(dvae.codes_from_classes(np.asarray(explorer.classes)))[0]
    np.testing.assert_array_equal(explorer.code, code)
    shown = explorer.pixels()[1].astype(np.int16)
    assert np.abs(shown - expected_pixels(dvae, code).reshape(28, 28)).max() <= 1
    before = expected_pixels(dvae, np.asarray(dvae.codes_from_classes(np.asarray(start)))[0])
    assert np.abs(shown - before.reshape(28, 28)).max() > 20  # one variable changed the digit visibly
    explorer.reset()
    assert explorer.classes == start


def test_bad_arguments_are_rejected_with_clear_messages(dvae, vae2, test_split):
    image = test_split[0][0]
    with pytest.raises(TypeError, match="DiscreteVAE"):
        widgets.DiscreteExplorer(vae2, image)
    with pytest.raises(TypeError, match="vae_tutorial model"):
        widgets.DiscreteExplorer("a model", image)
    with pytest.raises(ValueError, match="one image"):
        widgets.DiscreteExplorer(dvae, test_split[0][:2])
    with pytest.raises(ValueError, match="3 finite numbers"):
        widgets.DiscreteExplorer(dvae, image, logits=[1.0, 2.0])
    with pytest.raises(TypeError, match="logits must be 3 numbers"):
        widgets.DiscreteExplorer(dvae, image, logits=1.0)
    with pytest.raises(ValueError, match=r"temperature must lie in \[0.05, 5\]"):
        widgets.DiscreteExplorer(dvae, image, temperature=0.0)
    with pytest.raises(TypeError, match="temperature must be a number"):
        widgets.DiscreteExplorer(dvae, image, temperature="hot")
    with pytest.raises(ValueError, match="count must be at most 50"):
        widgets.DiscreteExplorer(dvae, image, count=51)
    with pytest.raises(ValueError, match="scale"):
        widgets.DiscreteExplorer(dvae, image, scale=17)
    explorer = widgets.DiscreteExplorer(dvae, image, count=1)
    with pytest.raises(ValueError, match="variable must lie in 0 to 19"):
        explorer.set_class(20, 0)
    with pytest.raises(ValueError, match="each class must lie in 0 to 9"):
        explorer.set_class(0, 10)
    with pytest.raises(ValueError, match="one class per variable"):
        explorer.classes = [0] * 19
    with pytest.raises(ValueError, match="temperature must lie"):
        explorer.temperature = 50.0
