import numpy as np
import pytest

from vae_tutorial import latent


def test_line_endpoints_and_shape():
    path = latent.line([0.0, 1.0], [2.0, -1.0], steps=5)
    assert path.shape == (5, 2) and path.dtype == np.float32
    np.testing.assert_allclose(path, [[0, 1], [0.5, 0.5], [1, 0], [1.5, -0.5], [2, -1]])
    with pytest.raises(ValueError, match="vectors of the same length"):
        latent.line([0.0], [1.0, 2.0], steps=3)
    with pytest.raises(ValueError, match="steps must be >= 1"):
        latent.line([0.0], [1.0], steps=0)
    with pytest.raises(TypeError):
        latent.line([0.0], [1.0], 3)  # steps is keyword-only: a third number is ambiguous


def test_paths_are_straight_lines_between_each_pair():
    starts = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]])
    ends = np.array([[4.0, 0.0, -4.0], [1.0, 2.0, 3.0]])
    p = latent.paths(starts, ends, steps=3)
    assert p.shape == (2, 3, 3)
    np.testing.assert_allclose(p[0], [[0, 0, 0], [2, 0, -2], [4, 0, -4]])
    np.testing.assert_allclose(p[1], np.tile([1, 2, 3], (3, 1)))  # a pair of equal points stays put
    np.testing.assert_array_equal(latent.paths(starts[:1], ends[:1], steps=3)[0],
                                  latent.line(starts[0], ends[0], steps=3))
    with pytest.raises(ValueError, match=r"shape \[p, d\]"):
        latent.paths(starts, ends[:1], steps=3)


def test_grid_layout():
    xs, ys, points = latent.grid((0, 1), (10, 12), steps=3)
    assert points.shape == (3, 3, 2)
    np.testing.assert_allclose(points[2, 1], [0.5, 12.0])  # row = y index, column = x index
    np.testing.assert_allclose(xs, [0, 0.5, 1])
    np.testing.assert_allclose(ys, [10, 11, 12])


def test_encodings_use_each_models_code(tiny_models, small_images):
    for model in tiny_models.values():
        codes = latent.encodings(model, small_images, chunk_size=3)  # chunks of 3, 3, 2
        assert codes.shape == (8, 2) and isinstance(codes, np.ndarray)
        np.testing.assert_allclose(codes, np.asarray(model.code(small_images)), rtol=1e-6, atol=1e-6)
    vae = tiny_models["vae"]
    np.testing.assert_allclose(latent.encodings(vae, small_images), np.asarray(vae.encode(small_images)[0]), atol=1e-6)
    assert latent.decode(vae, np.zeros((3, 4, 2))).shape == (3, 4, 28, 28)
    with pytest.raises(TypeError, match="must be an array"):
        latent.encodings(vae, [[0.0]])


def test_occupied_box():
    codes = np.stack([np.arange(101.0), np.zeros(101)], axis=1)
    low, high = latent.occupied_box(codes)
    np.testing.assert_allclose(low, [1, 0])
    np.testing.assert_allclose(high, [99, 0])


def test_fit_gaussian_recovers_a_known_gaussian_and_samples_from_it():
    rng = np.random.default_rng(0)
    true_cov = np.array([[4.0, 1.2], [1.2, 1.0]])
    codes = rng.multivariate_normal([3.0, -1.0], true_cov, size=20_000)
    fit = latent.fit_gaussian(codes)
    np.testing.assert_allclose(fit.mean, [3.0, -1.0], atol=0.05)
    np.testing.assert_allclose(fit.cov, true_cov, atol=0.1)
    np.testing.assert_allclose(fit.cholesky @ fit.cholesky.T, fit.cov, rtol=1e-5)
    draws = fit.sample(20_000, seed=1)
    assert draws.shape == (20_000, 2) and draws.dtype == np.float32
    np.testing.assert_allclose(np.cov(draws.T), true_cov, atol=0.15)
    np.testing.assert_array_equal(draws, fit.sample(20_000, seed=1))
    white = fit.whiten(codes)
    np.testing.assert_allclose(np.cov(white.T), np.eye(2), atol=1e-3)


def test_fit_gaussian_survives_degenerate_codes_and_rejects_bad_shapes():
    codes = np.stack([np.arange(10.0), 2 * np.arange(10.0)], axis=1)  # on a line: singular covariance
    fit = latent.fit_gaussian(codes)
    assert np.isfinite(fit.cholesky).all()
    with pytest.raises(ValueError, match=r"shape \[n, d\] with n >= 2"):
        latent.fit_gaussian(np.zeros((1, 3)))


def test_prior_radius_holds_the_stated_share_of_draws():
    assert latent.prior_radius(0.95) == pytest.approx(2.4477, abs=1e-4)  # sqrt(-2 ln 0.05)
    z = np.random.default_rng(0).standard_normal((200_000, 2))
    assert np.mean(np.linalg.norm(z, axis=1) <= latent.prior_radius(0.5)) == pytest.approx(0.5, abs=0.005)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        latent.prior_radius(1.0)


def test_compiled_helpers_equal_the_eager_methods(tiny_models, mnist):
    """latent.encodings / decode run the model compiled (vae_tutorial._compiled): same values as the methods."""
    for model in tiny_models.values():
        images = mnist.test_images[:7]
        np.testing.assert_allclose(latent.encodings(model, images, chunk_size=3), model.code(images),
                                   rtol=1e-5, atol=1e-6)
        z = np.random.default_rng(1).standard_normal((2, 3, 2)).astype(np.float32)
        np.testing.assert_allclose(latent.decode(model, z), np.asarray(model.decode(z.reshape(6, 2))).reshape(2, 3, 28, 28),
                                   rtol=1e-5, atol=1e-6)


def test_encodings_in_padded_chunks_equal_one_call(tiny_models, mnist):
    model = tiny_models["vae"]
    images = mnist.test_images[:7]
    np.testing.assert_allclose(latent.encodings(model, images, chunk_size=3), latent.encodings(model, images),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(latent.encodings(model, images), np.asarray(model.code(images)), rtol=1e-5, atol=1e-5)
