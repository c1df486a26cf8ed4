import numpy as np
import pytest

from vae_tutorial import plausibility


def test_shipped_classifier_reads_real_digits(mnist):
    predicted = plausibility.predict(mnist.test_images)
    assert predicted.shape == (500,)
    assert np.mean(predicted == mnist.test_labels) > 0.9
    conf = plausibility.confidence(mnist.test_images)
    assert conf.shape == (500,) and 0.1 <= conf.min() and conf.max() <= 1.0


def test_confidence_lower_for_noise_than_digits(mnist):
    noise = np.random.default_rng(0).uniform(size=(100, 28, 28)).astype(np.float32)
    assert plausibility.confidence(noise).mean() < plausibility.confidence(mnist.test_images[:100]).mean()


def test_train_classifier_learns(mnist):
    subset = np.random.default_rng(0).permutation(len(mnist.train_labels))[:512]  # all classes
    model = plausibility.train_classifier(mnist.train_images[subset], mnist.train_labels[subset], epochs=3, seed=1)
    accuracy = np.mean(plausibility.predict(mnist.test_images, model) == mnist.test_labels)
    assert accuracy > 0.6  # chance is 0.1


def test_nearest_distance():
    reference = np.array([[0.0, 0.0], [3.0, 4.0]])
    np.testing.assert_allclose(plausibility.nearest_distance(np.array([[0.0, 1.0], [3.0, 4.0]]), reference), [1.0, 0.0])
    images = np.zeros((2, 28, 28))
    images[1, 0, 0] = 1.0
    np.testing.assert_allclose(plausibility.nearest_distance(images, images[:1]), [0.0, 1.0])
    with pytest.raises(ValueError, match="same dimension, got 2 and 3"):
        plausibility.nearest_distance(np.zeros((1, 2)), np.zeros((1, 3)))
