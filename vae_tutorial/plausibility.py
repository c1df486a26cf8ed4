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
from flax import nnx

from vae_tutorial import _compiled, checkpoints, latent, train
from vae_tutorial._checks import IMAGE_PIXELS, IMAGE_SIDE, check_images, check_positive_int
from vae_tutorial.models import MLP

__all__ = [
    "DigitClassifier", "train_classifier", "shipped_classifier", "confidence",
    "predict", "nearest_distance", "relative_gap", "path_confidence", "CLASSIFIER_FILE",
]

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


def train_classifier(images, labels, *, epochs: int = 30, batch_size: int = 128, seed: int = 0) -> DigitClassifier:
    """Train a :class:`DigitClassifier` with Adam on cross-entropy (:func:`vae_tutorial.train.fit_classifier`).

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
    return train.fit_classifier(DigitClassifier(rngs=nnx.Rngs(params=seed)), images, labels, epochs=epochs,
                                batch_size=batch_size, seed=seed)


@functools.cache
def shipped_classifier() -> DigitClassifier:
    """The classifier that ships with the package (its test accuracy is computed in notebook 02)."""
    with resources.as_file(resources.files("vae_tutorial").joinpath("assets", CLASSIFIER_FILE)) as file:
        return checkpoints.load(file, expect=DigitClassifier)


@jax.jit
def _softmax_max(logits):
    return jax.nn.softmax(logits).max(axis=-1)


def confidence(images, *, classifier: DigitClassifier | None = None) -> np.ndarray:
    """Top class probability of each image under a digit classifier.

    Args:
        images: ``[n, 28, 28]`` or ``[n, 784]`` in [0, 1].
        classifier: defaults to :func:`shipped_classifier`.

    Returns:
        ``[n]`` probabilities in [0.1, 1]: near 1 for a clear digit, lower for ambiguous forms.
        A classifier's top probability rewards contrast (crisp extrapolations score high), so
        never use it as the only judge: see :mod:`vae_tutorial.judges`.
    """
    flat = check_images(images)
    classifier = classifier or shipped_classifier()
    return np.asarray(_softmax_max(_compiled.apply(classifier, "__call__", jnp.asarray(flat))))


def predict(images, *, classifier: DigitClassifier | None = None) -> np.ndarray:
    """The classifier's predicted class of each image, ``[n]`` integers."""
    classifier = classifier or shipped_classifier()
    logits = _compiled.apply(classifier, "__call__", jnp.asarray(check_images(images)))
    return np.asarray(logits).argmax(axis=-1)


def nearest_distance(points, reference, *, chunk_size: int = 1024) -> np.ndarray:
    """Euclidean distance from each point to its nearest neighbour in ``reference``.

    Works through ``points`` in chunks of ``chunk_size`` rows, so the largest temporary is a
    ``[chunk_size, m]`` float32 block of squared distances (about 240 MB for 60,000 reference
    images at the default), never the whole ``[n, m]`` matrix.

    Args:
        points: ``[n, d]`` (or images ``[n, 28, 28]``, flattened).
        reference: ``[m, d]`` (or ``[m, 28, 28]``).
        chunk_size: rows of ``points`` per block.

    Returns:
        ``[n]`` distances (float64).
    """
    p, r = np.asarray(points, dtype=np.float32), np.asarray(reference, dtype=np.float32)
    if len(r) == 0:
        raise ValueError("reference must hold at least one point")
    p, r = p.reshape(len(p), -1), r.reshape(len(r), -1)
    if p.shape[1] != r.shape[1]:
        raise ValueError(f"points and reference must have the same dimension, got {p.shape[1]} and {r.shape[1]}")
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    r_sq = np.einsum("ij,ij->i", r, r)
    out = np.empty(len(p), dtype=np.float64)
    for start in range(0, len(p), chunk_size):
        block = p[start:start + chunk_size]
        sq = r_sq[None, :] - 2.0 * (block @ r.T)
        best = sq.argmin(axis=1)
        # Recompute the winners exactly: the expansion |a|^2 - 2ab + |b|^2 loses digits for near points.
        diff = block.astype(np.float64) - r[best].astype(np.float64)
        out[start:start + len(block)] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    return out


def relative_gap(points, codes, reference_codes) -> np.ndarray:
    """How far each point lies from the data, in units of the data's own spacing.

    The distance from each of ``points [n, d]`` to its nearest neighbour in ``codes [m, d]``,
    divided by the median such distance of ``reference_codes`` (e.g. test encodings) to ``codes``.
    Values near 1 mean "as close to the data as a real digit"; much larger values mean a gap.
    """
    spacing = np.median(nearest_distance(reference_codes, codes))
    return nearest_distance(points, codes) / spacing


def path_confidence(model, start_images, end_images, *, steps: int = 11,
                    classifier: DigitClassifier | None = None) -> np.ndarray:
    """Classifier confidence along straight latent paths between pairs of images.

    Args:
        model: a :class:`~vae_tutorial.models.LatentModel` (an Autoencoder or a VAE).
        start_images: ``[p, 28, 28]`` first image of each pair.
        end_images: ``[p, 28, 28]`` second image of each pair.
        steps: points per path, endpoints included.
        classifier: defaults to :func:`shipped_classifier`.

    Returns:
        ``[p, steps]`` top-class probabilities of the decoded images (see :func:`confidence`).
    """
    a, b = latent.encodings(model, start_images), latent.encodings(model, end_images)
    if a.shape != b.shape:
        raise ValueError(f"start_images and end_images must pair up, got {len(a)} and {len(b)} images")
    images = latent.decode(model, latent.paths(a, b, steps=steps)).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
    return confidence(images, classifier=classifier).reshape(len(a), steps)
