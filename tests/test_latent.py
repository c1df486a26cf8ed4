import numpy as np
import pytest
from flax import nnx

from vae_tutorial import latent, models


@pytest.fixture(scope="module")
def tiny_vae():
    return models.VAE(2, hidden_sizes=(8,), rngs=nnx.Rngs(params=0))


def test_line_endpoints_and_shape():
    path = latent.line([0.0, 1.0], [2.0, -1.0], 5)
    assert path.shape == (5, 2) and path.dtype == np.float32
    np.testing.assert_allclose(path[0], [0, 1])
    np.testing.assert_allclose(path[-1], [2, -1])
    np.testing.assert_allclose(path[2], [1, 0])
    with pytest.raises(ValueError, match="vectors of the same length"):
        latent.line([0.0], [1.0, 2.0], 3)
    with pytest.raises(ValueError, match="steps must be >= 1"):
        latent.line([0.0], [1.0], 0)


def test_grid_layout():
    xs, ys, points = latent.grid((0, 1), (10, 12), 3)
    assert points.shape == (3, 3, 2)
    np.testing.assert_allclose(points[2, 1], [0.5, 12.0])  # row = y index, column = x index
    np.testing.assert_allclose(xs, [0, 0.5, 1])
    np.testing.assert_allclose(ys, [10, 11, 12])


def test_encodings_and_decode_shapes(tiny_vae, small_images):
    codes = latent.encodings(tiny_vae, small_images)
    np.testing.assert_allclose(codes, tiny_vae.encode(small_images)[0])
    assert latent.decode(tiny_vae, np.zeros((3, 4, 2))).shape == (3, 4, 28, 28)
    with pytest.raises(TypeError, match="Autoencoder or VAE, got int"):
        latent.encodings(3, small_images)


def test_occupied_box_and_relative_gap():
    codes = np.stack([np.arange(101.0), np.zeros(101)], axis=1)
    low, high = latent.occupied_box(codes)
    np.testing.assert_allclose(low, [1, 0])
    np.testing.assert_allclose(high, [99, 0])
    reference = codes[:10] + np.array([0.5, 0.0])  # each 0.5 from the data
    gaps = latent.relative_gap(np.array([[0.0, 0.0], [0.0, 5.0]]), codes, reference)
    np.testing.assert_allclose(gaps, [0.0, 10.0])


def test_path_confidence_shape_and_range(tiny_vae, small_images):
    conf = latent.path_confidence(tiny_vae, small_images[:3], small_images[3:6], steps=4)
    assert conf.shape == (3, 4)
    assert (conf >= 0.1 - 1e-6).all() and (conf <= 1.0 + 1e-6).all()
    with pytest.raises(ValueError, match="must pair up, got 3 and 2"):
        latent.path_confidence(tiny_vae, small_images[:3], small_images[:2])


def test_pairs():
    labels = np.array([2, 9, 2, 9, 1, 1])
    i, j = latent.pairs(labels, 2, 9, 10, seed=0)
    assert (labels[i] == 2).all() and (labels[j] == 9).all() and len(i) == 10
    i, j = latent.pairs(labels, None, None, 20, seed=1)
    assert (labels[i] != labels[j]).all()
    assert np.array_equal(latent.pairs(labels, None, None, 5, seed=3)[0], latent.pairs(labels, None, None, 5, seed=3)[0])
