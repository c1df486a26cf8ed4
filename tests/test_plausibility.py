import numpy as np
import pytest

from memory import peak_growth_mb
from vae_tutorial import latent, plausibility


def test_shipped_classifier_reads_real_digits(mnist):
    predicted = plausibility.predict(mnist.test_images)
    assert predicted.shape == (500,)
    assert np.mean(predicted == mnist.test_labels) == pytest.approx(0.948, abs=1e-9)  # recorded when it shipped


def test_confidence_is_the_top_softmax_probability(mnist):
    classifier = plausibility.shipped_classifier()
    logits = np.asarray(classifier(mnist.test_images[:20].reshape(20, 784)), dtype=np.float64)
    softmax = np.exp(logits - logits.max(1, keepdims=True))
    softmax /= softmax.sum(1, keepdims=True)
    np.testing.assert_allclose(plausibility.confidence(mnist.test_images[:20]), softmax.max(1), rtol=1e-5)


def test_confidence_lower_for_noise_than_digits(mnist):
    noise = np.random.default_rng(0).uniform(size=(100, 28, 28)).astype(np.float32)
    assert plausibility.confidence(noise).mean() < plausibility.confidence(mnist.test_images[:100]).mean() - 0.1


@pytest.mark.slow
def test_train_classifier_learns_through_fit(mnist):
    subset = np.random.default_rng(0).permutation(len(mnist.train_labels))[:512]  # all classes
    model = plausibility.train_classifier(mnist.train_images[subset], mnist.train_labels[subset], epochs=3, seed=1)
    accuracy = np.mean(plausibility.predict(mnist.test_images, classifier=model) == mnist.test_labels)
    assert accuracy > 0.6  # chance is 0.1


def _brute_nearest(points, reference):
    d = np.sqrt(((points[:, None, :].astype(np.float64) - reference[None].astype(np.float64)) ** 2).sum(-1))
    return d.min(1)


def test_nearest_distance_against_brute_force_in_any_chunking():
    rng = np.random.default_rng(0)
    points, reference = rng.normal(size=(37, 5)), rng.normal(size=(23, 5))
    expected = _brute_nearest(points, reference)
    for chunk in (1, 4, 37, 1000):
        np.testing.assert_allclose(plausibility.nearest_distance(points, reference, chunk_size=chunk), expected, rtol=1e-5)
    np.testing.assert_allclose(plausibility.nearest_distance(reference[:3] + 1e-4, reference)[:3], 1e-4 * np.sqrt(5), rtol=1e-3)


def test_nearest_distance_images_and_errors():
    images = np.zeros((2, 28, 28))
    images[1, 0, 0] = 1.0
    np.testing.assert_allclose(plausibility.nearest_distance(images, images[:1]), [0.0, 1.0])
    with pytest.raises(ValueError, match="same dimension, got 2 and 3"):
        plausibility.nearest_distance(np.zeros((1, 2)), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="at least one point"):
        plausibility.nearest_distance(np.zeros((1, 2)), np.zeros((0, 2)))


@pytest.mark.slow
def test_nearest_distance_memory_stays_bounded_on_full_mnist_sizes():
    # 60,000 points against 4,500 references: a dense float64 distance matrix would be 2.2 GB.
    growth = peak_growth_mb(
        "import numpy as np\nfrom vae_tutorial import plausibility\n"
        "rng = np.random.default_rng(0)\npoints = rng.random((60_000, 784), dtype=np.float32)\n"
        "reference = rng.random((4_500, 784), dtype=np.float32)",
        "plausibility.nearest_distance(points, reference)",
    )
    assert growth < 300, f"nearest_distance raised the peak memory by {growth:.0f} MB"


def test_relative_gap_in_units_of_the_data_spacing():
    codes = np.stack([np.arange(101.0), np.zeros(101)], axis=1)
    reference = codes[:10] + np.array([0.5, 0.0])  # each 0.5 from the data: the spacing is 0.5
    gaps = plausibility.relative_gap(np.array([[0.0, 0.0], [0.0, 5.0]]), codes, reference)
    np.testing.assert_allclose(gaps, [0.0, 10.0])


def test_path_confidence_equals_decoding_the_path_by_hand(tiny_models, small_images):
    model = tiny_models["vae"]
    conf = plausibility.path_confidence(model, small_images[:3], small_images[3:6], steps=4)
    assert conf.shape == (3, 4)
    a, b = np.asarray(model.code(small_images[:3])), np.asarray(model.code(small_images[3:6]))
    t = np.array([0, 1 / 3, 2 / 3, 1.0])
    for p in range(3):
        z = np.stack([(1 - s) * a[p] + s * b[p] for s in t]).astype(np.float32)
        by_hand = plausibility.confidence(np.asarray(model.decode(z)))
        np.testing.assert_allclose(conf[p], by_hand, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="must pair up, got 3 and 2"):
        plausibility.path_confidence(model, small_images[:3], small_images[:2])
    with pytest.raises(TypeError):
        plausibility.path_confidence(model, small_images[:3], small_images[3:6], 4)  # steps is keyword-only
