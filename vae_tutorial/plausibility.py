"""Is this decoded image a plausible digit? Two measures used to judge latent spaces.

1. ``confidence``: the top softmax probability of a small digit classifier trained on the
   bundled training digits (high for a clear digit of some class, low for a form between
   classes or a blob). ``shipped_classifier()`` loads the one that ships with the package.
2. ``nearest_distance``: the Euclidean distance from each point to its nearest neighbour in a
   reference set (e.g. from a latent point to the nearest training encoding, or from a decoded
   image to the nearest real training digit, in pixels).

A blurrier decoder scores lower everywhere, so compare a model's in-between images with its
own endpoints rather than across models. Introduced in 02-interpolation-failure.
"""

from __future__ import annotations

import functools
from importlib import resources

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from vae_tutorial import checkpoints
from vae_tutorial._checks import IMAGE_PIXELS, check_images, check_positive_int
from vae_tutorial.models import MLP

CLASSIFIER_FILE = "digit-classifier.ckpt"


@checkpoints.register
class DigitClassifier(nnx.Module):
    """An MLP 784-256-10 that maps images ``[n, 28, 28]`` or ``[n, 784]`` to class logits ``[n, 10]``."""

    def __init__(self, *, hidden: int = 256, rngs: nnx.Rngs):
        self.hidden = check_positive_int(hidden, "hidden")
        self.net = MLP((IMAGE_PIXELS, self.hidden, 10), rngs=rngs)

    def __call__(self, images: jax.Array) -> jax.Array:
        return self.net(jnp.reshape(images, (images.shape[0], IMAGE_PIXELS)))

    def config(self) -> dict:
        """The constructor arguments, as stored in checkpoints."""
        return {"hidden": self.hidden}


def classification_loss(model, batch: dict, key, beta):
    """Mean softmax cross-entropy of ``model(batch["images"])`` against ``batch["labels"]`` (a ``train.fit`` loss).

    ``key`` and ``beta`` are unused (the signature is the one :func:`vae_tutorial.train.fit` calls).
    """
    cross_entropy = optax.softmax_cross_entropy_with_integer_labels(model(batch["images"]), batch["labels"]).mean()
    return cross_entropy, {"cross_entropy": cross_entropy}


def train_classifier(images, labels, *, epochs: int = 30, batch_size: int = 128, seed: int = 0) -> DigitClassifier:
    """Train a :class:`DigitClassifier` with Adam on cross-entropy, through :func:`vae_tutorial.train.fit`.

    Used by ``tools/train_pretrained.py``.

    Args:
        images: ``[n, 28, 28]`` in [0, 1].
        labels: ``[n]`` integer classes.
        epochs: passes over the data.
        batch_size: images per step.
        seed: seed of the initial weights and shuffles.

    Returns:
        The trained classifier.
    """
    from vae_tutorial import train

    model = DigitClassifier(rngs=nnx.Rngs(params=seed))
    train.fit(model, images, labels=labels, loss=classification_loss, epochs=epochs,
              batch_size=batch_size, seed=seed, progress=False)
    return model


@functools.cache
def shipped_classifier() -> DigitClassifier:
    """The classifier that ships with the package (its test accuracy is computed in notebook 02)."""
    with resources.as_file(resources.files("vae_tutorial").joinpath("assets", CLASSIFIER_FILE)) as file:
        return checkpoints.load(file, expect=DigitClassifier)


@jax.jit
def _softmax_max(logits):
    return jax.nn.softmax(logits).max(axis=-1)


def confidence(images, classifier: DigitClassifier | None = None) -> np.ndarray:
    """Top class probability of each image under a digit classifier.

    Args:
        images: ``[n, 28, 28]`` or ``[n, 784]`` in [0, 1].
        classifier: defaults to :func:`shipped_classifier`.

    Returns:
        ``[n]`` probabilities in [0.1, 1]: near 1 for a clear digit, lower for ambiguous forms.
    """
    flat = check_images(images)
    classifier = classifier or shipped_classifier()
    return np.asarray(_softmax_max(classifier(jnp.asarray(flat))))


def predict(images, classifier: DigitClassifier | None = None) -> np.ndarray:
    """The classifier's predicted class of each image, ``[n]`` integers."""
    classifier = classifier or shipped_classifier()
    return np.asarray(jnp.argmax(classifier(jnp.asarray(check_images(images))), axis=-1))


def nearest_distance(points, reference) -> np.ndarray:
    """Euclidean distance from each point to its nearest neighbour in ``reference``.

    Args:
        points: ``[n, d]`` (or images ``[n, 28, 28]``, flattened).
        reference: ``[m, d]`` (or ``[m, 28, 28]``).

    Returns:
        ``[n]`` distances.
    """
    p = np.asarray(points, dtype=np.float64).reshape(len(points), -1)
    r = np.asarray(reference, dtype=np.float64).reshape(len(reference), -1)
    if p.shape[1] != r.shape[1]:
        raise ValueError(f"points and reference must have the same dimension, got {p.shape[1]} and {r.shape[1]}")
    sq = (p**2).sum(1)[:, None] - 2 * p @ r.T + (r**2).sum(1)[None, :]
    return np.sqrt(np.maximum(sq.min(axis=1), 0.0))
