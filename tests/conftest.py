"""Shared fixtures. JAX runs on the CPU in tests unless the caller chose otherwise."""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def mnist():
    from vae_tutorial import data

    return data.load_mnist()


@pytest.fixture
def small_images():
    """Eight random images [8, 28, 28] in [0, 1]."""
    return np.random.default_rng(0).uniform(size=(8, 28, 28)).astype(np.float32)


@pytest.fixture(scope="session")
def tiny_models(mnist):
    """One tiny trained autoencoder and VAE (2-D codes, 16 hidden units, 2 epochs on 512 digits), shared by all tests.

    Tests that need a model of this size use these two instead of compiling their own.
    Do not train them further in a test (copy with ``nnx.clone`` first).
    """
    from flax import nnx

    from vae_tutorial import models, train

    out = {}
    for name, cls in (("autoencoder", models.Autoencoder), ("vae", models.VAE)):
        model = cls(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=0))
        train.fit(model, mnist.train_images[:512], epochs=2, batch_size=64, progress=False)
        out[name] = model
    return out


@pytest.fixture(scope="session")
def vae2():
    from vae_tutorial import pretrained

    return pretrained.load("vae-2d")


@pytest.fixture(scope="session")
def ae2():
    from vae_tutorial import pretrained

    return pretrained.load("autoencoder-2d")


@pytest.fixture(scope="session")
def vae20():
    from vae_tutorial import pretrained

    return pretrained.load("vae-20d")


@pytest.fixture(scope="session")
def ae20():
    from vae_tutorial import pretrained

    return pretrained.load("autoencoder-20d")


@pytest.fixture(scope="session")
def test_split(mnist):
    """Every other test digit (250, sorted by class: 25 of each)."""
    return mnist.test_images[::2], mnist.test_labels[::2]
