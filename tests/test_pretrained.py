import numpy as np
import pytest

from vae_tutorial import models, pretrained, train

EXPECTED = {
    "autoencoder-2d": (models.Autoencoder, 2),
    "autoencoder-20d": (models.Autoencoder, 20),
    "vae-2d": (models.VAE, 2),
    "vae-20d": (models.VAE, 20),
    "vae-2d-beta0.3": (models.VAE, 2),
    "vae-2d-beta3": (models.VAE, 2),
}


def test_names():
    assert set(pretrained.NAMES) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_loads_and_reaches_recorded_test_loss(name, mnist):
    model = pretrained.load(name)
    cls, latent = EXPECTED[name]
    assert type(model) is cls and model.latent_dim == latent
    meta = pretrained.info(name)["metadata"]
    assert meta["name"] == name and meta["recipe"] == pretrained.RECIPES[name]
    result = train.evaluate(model, mnist.test_images)
    # Same versions and machine reproduce it exactly; other JAX builds draw other noise.
    assert result["loss"] == pytest.approx(meta["test"]["loss"], abs=1.0)
    # A trained model is far better than an untrained one (about 543 nats/image).
    assert result["loss"] < 200


def test_pretrained_decoder_makes_digit_like_images():
    model = pretrained.load("vae-2d")
    images = np.asarray(model.decode(np.zeros((1, 2), np.float32)))
    assert images.shape == (1, 28, 28)
    # MNIST digits are mostly dark background with a bright stroke.
    assert 0.05 < images.mean() < 0.35 and images.max() > 0.8


def test_unknown_name_lists_known_ones():
    with pytest.raises(ValueError, match=r"unknown pretrained model 'vae-3d'; known: autoencoder-2d, autoencoder-20d, vae-2d"):
        pretrained.load("vae-3d")


@pytest.mark.parametrize("name", [["vae-2d"], ("vae-2d",), 2, None])
def test_a_name_that_is_not_a_string_says_what_was_expected(name):
    with pytest.raises(TypeError, match=r"name must be one model's name, a string, one of autoencoder-2d, .*vae-2d-beta3; got"):
        pretrained.load(name)
    with pytest.raises(TypeError, match="name must be one model's name"):
        pretrained.info(name)
