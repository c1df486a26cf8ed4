"""ConditionalExplorer: one style code z, ten labels, decoded from the weights the browser gets."""

import jax.numpy as jnp
import numpy as np
import pytest

from vae_tutorial import people, pretrained, widgets
from widget_helpers import sent_layers


@pytest.fixture(scope="module")
def cvae():
    return people.load_pretrained("cvae-2d")


@pytest.fixture(scope="module")
def explorer(cvae):
    return widgets.ConditionalExplorer(cvae, z=(0.5, -1.25), digit=7)


def _model_grey(model, z, labels) -> np.ndarray:
    z = jnp.broadcast_to(jnp.asarray(z, jnp.float32), (len(labels), 2))
    image = np.asarray(model.decode(z, jnp.asarray(labels)))
    return np.round((1.0 - image) * 255.0).reshape(len(labels), 28, 28)


def test_construction_sends_the_decoder_and_the_start_state(explorer, cvae):
    assert explorer.z == [0.5, -1.25] and explorer.digit == 7
    spec = explorer.spec
    assert spec["kind"] == "conditional" and spec["latent_dim"] == 2 and spec["num_labels"] == 10
    assert spec["start_z"] == [0.5, -1.25] and spec["start_digit"] == 7
    assert spec["decoder"]["layers"][0]["n_in"] == 12  # [z, onehot(label)]
    for (w, b), (kernel, bias) in zip(sent_layers(spec["decoder"]), cvae.decoder_layers(), strict=True):
        np.testing.assert_array_equal(w, kernel)
        np.testing.assert_array_equal(b, bias)
    np.testing.assert_array_equal(explorer.code, np.r_[0.5, -1.25, np.eye(10)[7]].astype(np.float32))
    assert repr(explorer) == "ConditionalExplorer(z=(0.50, -1.25), digit=7)"
    bundle = explorer._repr_mimebundle_()
    assert bundle["text/plain"] == repr(explorer) + "\n" + widgets.TEXT_NOTE and "image/png" in bundle


@pytest.mark.parametrize("z", [(0.0, 0.0), (0.5, -1.25), (-2.9, 2.7)])
def test_numpy_decode_of_the_snapshot_matches_the_model_for_all_ten_labels(cvae, z):
    explorer = widgets.ConditionalExplorer(cvae, z=z)
    shown = explorer.pixels().astype(np.int16)
    assert shown.shape == (10, 28, 28)
    assert np.abs(shown - _model_grey(cvae, z, np.arange(10))).max() <= 1


def test_one_style_gives_ten_different_digits_and_the_style_moves_them(cvae):
    explorer = widgets.ConditionalExplorer(cvae)
    start = explorer.pixels().astype(np.int16)
    differences = np.abs(start[:, None] - start[None]).reshape(10, 10, -1).mean(-1)
    assert differences[~np.eye(10, dtype=bool)].min() > 5  # the label changes what is drawn
    explorer.z = [2.0, 1.0]
    moved = explorer.pixels().astype(np.int16)
    assert np.abs(moved - start).reshape(10, -1).max(axis=1).min() > 50  # and the style moves every digit
    assert np.abs(moved - _model_grey(cvae, (2.0, 1.0), np.arange(10))).max() <= 1


def test_float16_weights_still_agree_within_one_grey_level(cvae, monkeypatch):
    monkeypatch.setenv(widgets.WEIGHTS_ENV, "float16")
    explorer = widgets.ConditionalExplorer(cvae, z=(1.0, -0.5))
    assert explorer.spec["decoder"]["layers"][-1]["dtype"] == "float16"
    assert np.abs(explorer.pixels().astype(np.int16) - _model_grey(cvae, (1.0, -0.5), np.arange(10))).max() <= 1


def test_static_figure_draws_the_chosen_digit_and_the_row(explorer):
    fig = explorer.static_figure()
    images = [ax for ax in fig.get_axes() if ax.images]
    assert len(images) == 11
    np.testing.assert_array_equal(images[0].images[0].get_array(), explorer.pixels()[7])


@pytest.mark.parametrize("kwargs, error, message", [
    ({"z": (0.0,)}, ValueError, "2 numbers"),
    ({"z": (0.0, 3.5)}, ValueError, r"\[-3, 3\]"),
    ({"z": (0.0, float("nan"))}, ValueError, r"\[-3, 3\]"),
    ({"z": "ab"}, TypeError, "style code"),
    ({"z": (0.0, "1")}, TypeError, "style code"),
    ({"digit": 10}, ValueError, "0 to 9"),
    ({"digit": -1}, ValueError, "0 to 9"),
    ({"digit": 2.0}, TypeError, "integer"),
    ({"digit": True}, TypeError, "integer"),
    ({"scale": 0}, ValueError, "scale"),
    ({"name": 3}, TypeError, "name"),
])
def test_bad_arguments_are_rejected_clearly(cvae, kwargs, error, message):
    with pytest.raises(error, match=message):
        widgets.ConditionalExplorer(cvae, **kwargs)


def test_bad_models_and_bad_state_are_rejected(cvae, explorer):
    with pytest.raises(TypeError, match="ConditionalVAE"):
        widgets.ConditionalExplorer(pretrained.load("vae-2d"))
    with pytest.raises(TypeError, match="model"):
        widgets.ConditionalExplorer("cvae-2d")
    with pytest.raises(ValueError, match="0 to 9"):
        explorer.digit = 12
    with pytest.raises(ValueError, match=r"\[-3, 3\]"):
        explorer.z = [0.0, -4.0]
    assert explorer.digit == 7 and explorer.z == [0.5, -1.25]
