"""Tests for vae_tutorial.judges: realism (improved precision), the Fréchet distance, the CNN judge."""

import tracemalloc

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from vae_tutorial import checkpoints, judges


# ---------------------------------------------------------------- realism
def test_realism_hand_made_points():
    # k = 1 radii: 0 -> 1, 1 -> 1, 2 -> 1, 10 -> 8 (its nearest other point is 2).
    real = np.array([[0.0], [1.0], [2.0], [10.0]])
    np.testing.assert_allclose(judges.kth_neighbour_radii(real, k=1), [1, 1, 1, 8])
    # 0.5 lies in the ball of 0; 5 in the ball of 10 (|5 - 10| = 5 <= 8); 20 in none (|20 - 10| = 10 > 8).
    generated = np.array([[0.5], [5.0], [20.0]])
    np.testing.assert_array_equal(judges.realistic(generated, real, k=1), [True, True, False])
    assert judges.realism(generated, real, k=1) == pytest.approx(2 / 3)
    # k = 2: radii 2, 1, 2, 9 -> 20 is still out (10 > 9), -1.5 now inside the ball of 0.
    assert judges.realism(np.array([[-1.5], [20.0]]), real, k=2) == 0.5


def test_realism_boundary_counts_as_inside():
    real = np.array([[0.0, 0.0], [3.0, 4.0], [100.0, 0.0]])
    # radius of (0, 0) with k = 1 is 5; a point at distance exactly 5 counts.
    assert judges.realism(np.array([[0.0, 5.0]]), real, k=1) == 1.0


def test_realism_of_the_real_set_against_itself_is_one():
    real = np.random.default_rng(0).normal(size=(300, 5))
    assert judges.realism(real, real, k=3) == 1.0


def test_realism_of_a_far_blob_is_zero():
    rng = np.random.default_rng(1)
    real, far = rng.normal(size=(200, 4)), rng.normal(size=(50, 4)) + 100.0
    assert judges.realism(far, real) == 0.0


def test_kth_neighbour_radii_match_brute_force():
    points = np.random.default_rng(2).normal(size=(97, 3)).astype(np.float32)
    full = np.sqrt(((points[:, None] - points[None]) ** 2).sum(-1))
    expected = np.sort(full, axis=1)[:, 3]
    np.testing.assert_allclose(judges.kth_neighbour_radii(points, k=3, chunk_size=10), expected, rtol=1e-4, atol=1e-5)


def test_realism_does_not_depend_on_the_chunk_size():
    rng = np.random.default_rng(3)
    real, generated = rng.normal(size=(150, 6)), rng.normal(size=(333, 6)) * 1.3
    values = {judges.realism(generated, real, chunk_size=c) for c in (1, 7, 64, 1000)}
    assert len(values) == 1 and 0.0 < values.pop() < 1.0


def test_realism_accepts_precomputed_radii():
    rng = np.random.default_rng(4)
    real, generated = rng.normal(size=(120, 3)), rng.normal(size=(80, 3))
    radii = judges.kth_neighbour_radii(real, k=3)
    assert judges.realism(generated, real, radii=radii) == judges.realism(generated, real, k=3)


def test_realism_errors():
    real = np.zeros((5, 2))
    with pytest.raises(ValueError, match="space must be one of"):
        judges.realism(real, real, space="latent")
    with pytest.raises(ValueError, match="same dimension"):
        judges.realism(np.zeros((3, 3)), real)
    with pytest.raises(ValueError, match="smaller than the number of real points"):
        judges.realism(real, real, k=5)
    with pytest.raises(ValueError, match="one radius per real point"):
        judges.realism(real, real, radii=np.ones(4))
    with pytest.raises(ValueError, match="non-empty"):
        judges.realism(np.zeros((0, 2)), real)


@pytest.mark.slow
def test_realism_memory_stays_bounded_for_large_inputs():
    """20,000 generated 784-pixel images against 4,500 real ones: the full distance matrix would be 360 MB."""
    rng = np.random.default_rng(5)
    real = rng.uniform(size=(4500, 784)).astype(np.float32)
    generated = rng.uniform(size=(20_000, 784)).astype(np.float32)
    tracemalloc.start()
    tracemalloc.reset_peak()
    share = judges.realism(generated, real, chunk_size=256)
    peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    assert 0.0 <= share <= 1.0
    # Per block: [256, 4500] float32 distances (4.4 MB) and a few temporaries of that size.
    assert peak_mb < 60, f"peak traced memory {peak_mb:.0f} MB"


# ---------------------------------------------------------------- Fréchet distance
def _with_moments(mean, cov, n=400, seed=0):
    """Points whose sample mean and sample covariance (n - 1) are exactly ``mean`` and ``cov``."""
    x = np.random.default_rng(seed).normal(size=(n, len(mean)))
    x -= x.mean(0)
    x = x @ np.linalg.inv(np.linalg.cholesky(np.cov(x, rowvar=False))).T  # sample covariance I
    return mean + x @ np.linalg.cholesky(cov).T


def test_frechet_distance_of_two_gaussians_in_closed_form():
    # In 2-D, tr((A B)^1/2) = sqrt(tr(A B) + 2 sqrt(det A det B)) (the eigenvalues of AB are positive).
    mean_a, mean_b = np.array([0.0, 1.0]), np.array([2.0, -1.0])
    cov_a = np.array([[2.0, 0.8], [0.8, 1.0]])
    cov_b = np.array([[0.5, -0.3], [-0.3, 1.5]])
    cross = np.sqrt(np.trace(cov_a @ cov_b) + 2 * np.sqrt(np.linalg.det(cov_a) * np.linalg.det(cov_b)))
    expected = 8.0 + np.trace(cov_a) + np.trace(cov_b) - 2 * cross
    a, b = _with_moments(mean_a, cov_a, seed=1), _with_moments(mean_b, cov_b, n=300, seed=2)
    assert judges.frechet_distance(a, b) == pytest.approx(expected, rel=1e-9)
    assert judges.frechet_distance(b, a) == pytest.approx(expected, rel=1e-9)


def test_frechet_distance_diagonal_case():
    # Commuting (diagonal) covariances: sum of (sqrt(a_i) - sqrt(b_i))^2 plus the squared mean gap.
    var_a, var_b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 9.0])
    a = _with_moments(np.zeros(3), np.diag(var_a), seed=3)
    b = _with_moments(np.full(3, 0.5), np.diag(var_b), seed=4)
    expected = 0.75 + ((np.sqrt(var_a) - np.sqrt(var_b)) ** 2).sum()
    assert judges.frechet_distance(a, b) == pytest.approx(expected, rel=1e-9)


def test_frechet_distance_of_a_set_with_itself_is_zero():
    x = np.random.default_rng(6).normal(size=(200, 16))
    assert judges.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)
    assert judges.frechet_distance(x, x + 3.0) == pytest.approx(16 * 9.0, rel=1e-9)


def test_frechet_distance_errors():
    with pytest.raises(ValueError, match="same d"):
        judges.frechet_distance(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="at least 2 rows"):
        judges.frechet_distance(np.zeros((1, 2)), np.zeros((5, 2)))


# ---------------------------------------------------------------- the CNN judge
def test_patch_conv_equals_nnx_conv():
    patch = judges.PatchConv(3, 5, rngs=nnx.Rngs(params=0))
    conv = nnx.Conv(3, 5, kernel_size=(3, 3), padding="SAME", rngs=nnx.Rngs(params=1))
    conv.kernel[...] = patch.kernel[...].reshape(3, 3, 3, 5)
    conv.bias[...] = patch.bias[...] + 0.25
    patch.bias[...] = patch.bias[...] + 0.25
    x = jax.random.normal(jax.random.key(0), (2, 8, 10, 3))
    np.testing.assert_allclose(patch(x), conv(x), atol=1e-5)


@pytest.mark.slow
def test_cnn_shapes_and_checkpoint_round_trip(tmp_path):
    cnn = judges.DigitCNN(channels=(4, 8), hidden=16, rngs=nnx.Rngs(params=0))
    images = np.random.default_rng(0).uniform(size=(3, 28, 28)).astype(np.float32)
    assert cnn(jnp.asarray(images)).shape == (3, 10)
    assert judges.features(images, model=cnn).shape == (3, 16)
    loaded = checkpoints.load(checkpoints.save(cnn, tmp_path / "cnn.ckpt"), expect=judges.DigitCNN)
    np.testing.assert_array_equal(judges.features(images, model=loaded), judges.features(images, model=cnn))


def test_features_do_not_depend_on_the_chunk_size(mnist):
    images = mnist.test_images[:23]
    a, b = judges.features(images, chunk_size=5), judges.features(images, chunk_size=500)
    assert a.shape == (23, 64)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_shipped_cnn_accuracy_matches_its_metadata(mnist):
    header = checkpoints.read_header(judges.resources.files("vae_tutorial").joinpath("assets", judges.CNN_FILE))
    measured = judges.accuracy(mnist.test_images, mnist.test_labels)
    assert measured == pytest.approx(header["metadata"]["test_accuracy"], abs=0.005)
    assert measured > 0.95


def test_real_test_digits_in_feature_space(mnist):
    digits = mnist.test_images[:200]
    assert judges.realism(digits, digits, space="features") == 1.0
    noise = np.random.default_rng(0).uniform(size=(50, 28, 28)).astype(np.float32)
    assert judges.realism(noise, mnist.train_images[:1000], space="features") == 0.0


@pytest.mark.slow
def test_train_cnn_smoke(mnist):
    cnn = judges.train_cnn(mnist.train_images[:128], mnist.train_labels[:128], epochs=1, batch_size=64)
    assert judges.predict(mnist.test_images[:4], model=cnn).shape == (4,)


def test_accuracy_checks_labels(mnist):
    with pytest.raises(ValueError, match="one class per image"):
        judges.accuracy(mnist.test_images[:4], mnist.test_labels[:3])


# ---------------------------------------------------------------- sharpness
def test_sharpness_known_values():
    assert judges.sharpness(np.full((2, 28, 28), 0.5, np.float32)) == 0.0
    checker = (np.indices((28, 28)).sum(0) % 2).astype(np.float32)[None]
    assert judges.sharpness(checker) == pytest.approx(1.0)
    stripes = np.tile((np.arange(28) % 2).astype(np.float32), (28, 1))[None]  # steps only along rows
    assert judges.sharpness(stripes) == pytest.approx(0.5)


def test_patch_conv_gradient_is_the_patch_form_gradient():
    """Forward through XLA's convolution, backward through patches: both equal the plain patch form's."""
    patch = judges.PatchConv(3, 4, rngs=nnx.Rngs(params=2))
    x = jax.random.normal(jax.random.key(1), (2, 6, 5, 3))
    kernel = patch.kernel[...]

    def reference(x, kernel):  # the convolution written out, independently of the module
        padded = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
        out = sum(padded[:, i:i + 6, j:j + 5] @ kernel.reshape(3, 3, 3, 4)[i, j] for i in range(3) for j in range(3))
        return (out**2).sum()

    np.testing.assert_allclose(judges._conv3x3(x, kernel), jax.lax.stop_gradient(judges._patch_conv(x, kernel)),
                               atol=1e-5)
    ours = jax.grad(lambda x, k: (judges._conv3x3(x, k) ** 2).sum(), argnums=(0, 1))(x, kernel)
    expected = jax.grad(reference, argnums=(0, 1))(x, kernel)
    for a, b in zip(ours, expected):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
