"""Points in latent space: encodings, straight paths, grids, and how far a point is from the data.

Introduced in 02-interpolation-failure.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from vae_tutorial import models, plausibility
from vae_tutorial._checks import check_positive_int


def encodings(model, images) -> np.ndarray:
    """Where ``model`` puts each image: ``[n, 28, 28]`` to ``[n, latent_dim]``.

    For an autoencoder the code z; for a VAE the mean of q(z|x).
    """
    if isinstance(model, models.VAE):
        return np.asarray(model.encode(images)[0])
    if isinstance(model, models.Autoencoder):
        return np.asarray(model.encode(images))
    raise TypeError(f"model must be a vae_tutorial Autoencoder or VAE, got {type(model).__name__}")


def decode(model, z) -> np.ndarray:
    """Decode codes of any leading shape ``[..., latent_dim]`` to images ``[..., 28, 28]``."""
    z = np.asarray(z, dtype=np.float32)
    flat = z.reshape(-1, z.shape[-1])
    return np.asarray(model.decode(jnp.asarray(flat))).reshape(*z.shape[:-1], 28, 28)


def line(start, end, steps: int) -> np.ndarray:
    """``steps`` evenly spaced points from ``start`` to ``end`` (both ``[d]``), shape ``[steps, d]``."""
    steps = check_positive_int(steps, "steps")
    start, end = np.asarray(start, np.float32), np.asarray(end, np.float32)
    if start.shape != end.shape or start.ndim != 1:
        raise ValueError(f"start and end must be vectors of the same length, got {start.shape} and {end.shape}")
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    return (1 - t) * start + t * end


def grid(x_range, y_range, steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A ``steps x steps`` grid over a 2-D rectangle.

    Args:
        x_range: ``(x_first, x_last)``; may run in either direction.
        y_range: ``(y_first, y_last)``.
        steps: points per side.

    Returns:
        ``(xs [steps], ys [steps], points [steps, steps, 2])`` with ``points[i, j] = (xs[j], ys[i])``.
    """
    steps = check_positive_int(steps, "steps")
    xs = np.linspace(*x_range, steps, dtype=np.float32)
    ys = np.linspace(*y_range, steps, dtype=np.float32)
    points = np.stack(np.meshgrid(xs, ys), axis=-1)
    return xs, ys, points


def occupied_box(codes, percentiles=(1.0, 99.0)) -> tuple[np.ndarray, np.ndarray]:
    """Per-dimension low and high percentiles of ``codes [n, d]``: the region the data occupies."""
    codes = np.asarray(codes)
    return np.percentile(codes, percentiles[0], axis=0), np.percentile(codes, percentiles[1], axis=0)


def relative_gap(points, codes, reference_codes) -> np.ndarray:
    """How far each point lies from the data, in units of the data's own spacing.

    The distance from each of ``points [n, d]`` to its nearest neighbour in ``codes [m, d]``,
    divided by the median such distance of ``reference_codes`` (e.g. test encodings) to ``codes``.
    Values near 1 mean "as close to the data as a real digit"; much larger values mean a gap.
    """
    spacing = np.median(plausibility.nearest_distance(reference_codes, codes))
    return plausibility.nearest_distance(points, codes) / spacing


def path_confidence(model, start_images, end_images, steps: int = 11) -> np.ndarray:
    """Classifier confidence along straight latent paths between pairs of images.

    Args:
        model: an Autoencoder or VAE.
        start_images: ``[p, 28, 28]`` first image of each pair.
        end_images: ``[p, 28, 28]`` second image of each pair.
        steps: points per path, endpoints included.

    Returns:
        ``[p, steps]`` top-class probabilities of the decoded images (see
        :func:`vae_tutorial.plausibility.confidence`).
    """
    a, b = encodings(model, start_images), encodings(model, end_images)
    if a.shape != b.shape:
        raise ValueError(f"start_images and end_images must pair up, got {len(a)} and {len(b)} images")
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[None, :, None]
    paths = (1 - t) * a[:, None] + t * b[:, None]  # [p, steps, d]
    images = decode(model, paths).reshape(-1, 28, 28)
    return plausibility.confidence(images).reshape(len(a), steps)


def pairs(labels, first: int | None, second: int | None, count: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices of ``count`` random pairs of examples, of classes ``first`` and ``second``.

    With ``first=None`` and ``second=None``, pairs of any two different classes.

    Returns:
        ``(i [count], j [count])`` index arrays into ``labels``.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    if first is not None and second is not None:
        i = rng.choice(np.flatnonzero(labels == first), count)
        j = rng.choice(np.flatnonzero(labels == second), count)
        return i, j
    i, j = [], []
    while len(i) < count:
        a, b = rng.choice(len(labels), 2, replace=False)
        if labels[a] != labels[b]:
            i.append(a)
            j.append(b)
    return np.array(i), np.array(j)
