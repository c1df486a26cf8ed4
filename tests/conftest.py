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
