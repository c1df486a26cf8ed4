"""Points in latent space: encodings, straight paths, grids, the region the data occupies, fitted Gaussians.

Plain NumPy geometry, written once and used by the notebooks, the study and the widgets.
Introduced in 02-interpolation-failure.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from vae_tutorial import _compiled
from vae_tutorial._checks import IMAGE_SIDE, check_images, check_latent, check_positive_int
from vae_tutorial._chunks import map_chunks

__all__ = [
    "encodings", "decode", "line", "paths", "grid", "occupied_box", "GaussianFit", "fit_gaussian",
    "prior_radius", "JITTER",
]

#: Relative jitter added to the diagonal of a fitted covariance (times its mean variance), so the
#: Cholesky factor exists even when the codes are (nearly) degenerate.
JITTER = 1e-6


def encodings(model, images, *, chunk_size: int = 2000) -> np.ndarray:
    """Where ``model`` puts each image: ``[n, 28, 28]`` to ``[n, latent_dim]`` (NumPy).

    For an autoencoder the code z; for a VAE the mean of q(z|x) (``model.code``). Encodes in
    chunks of ``chunk_size`` images (the last one padded), so memory stays bounded for large sets and
    one compiled program (``vae_tutorial._compiled``) serves every chunk.
    """
    flat = np.asarray(check_images(images), np.float32)
    return map_chunks(lambda block: _compiled.apply(model, "code", jnp.asarray(block)), flat, chunk_size=chunk_size)


def decode(model, z) -> np.ndarray:
    """Decode codes of any leading shape ``[..., latent_dim]`` to images ``[..., 28, 28]`` (NumPy)."""
    z = np.asarray(z, dtype=np.float32)
    flat = check_latent(z.reshape(-1, z.shape[-1]), model.latent_dim)
    return np.asarray(_compiled.apply(model, "decode", jnp.asarray(flat))).reshape(*z.shape[:-1], IMAGE_SIDE, IMAGE_SIDE)


def paths(starts, ends, *, steps: int) -> np.ndarray:
    """Straight latent paths: ``steps`` evenly spaced points from each start to its end.

    ``z(t) = (1 - t) * start + t * end`` for ``t`` in ``linspace(0, 1, steps)``.

    Args:
        starts: ``[p, d]`` first points.
        ends: ``[p, d]`` last points.
        steps: points per path, endpoints included (>= 1).

    Returns:
        ``[p, steps, d]`` float32 points.
    """
    steps = check_positive_int(steps, "steps")
    starts, ends = np.asarray(starts, np.float32), np.asarray(ends, np.float32)
    if starts.shape != ends.shape or starts.ndim != 2:
        raise ValueError(f"starts and ends must both have shape [p, d], got {starts.shape} and {ends.shape}")
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[None, :, None]
    return (1 - t) * starts[:, None] + t * ends[:, None]


def line(start, end, *, steps: int) -> np.ndarray:
    """One straight path from ``start`` to ``end`` (both ``[d]``): ``[steps, d]`` (see :func:`paths`)."""
    start, end = np.asarray(start, np.float32), np.asarray(end, np.float32)
    if start.shape != end.shape or start.ndim != 1:
        raise ValueError(f"start and end must be vectors of the same length, got {start.shape} and {end.shape}")
    return paths(start[None], end[None], steps=steps)[0]


def grid(x_range, y_range, *, steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


class GaussianFit(NamedTuple):
    """A Gaussian N(mean, cov) fitted to codes; ``cholesky`` is the lower factor L with L L^T = cov + jitter."""

    mean: np.ndarray  # [d]
    cov: np.ndarray  # [d, d]
    cholesky: np.ndarray  # [d, d]

    def sample(self, count: int, *, seed: int) -> np.ndarray:
        """``count`` draws ``mean + L eps`` with eps ~ N(0, I) from NumPy's ``default_rng(seed)``: ``[count, d]``."""
        count = check_positive_int(count, "count")
        eps = np.random.default_rng(seed).standard_normal((count, len(self.mean)))
        return (self.mean + eps @ self.cholesky.T).astype(np.float32)

    def whiten(self, z) -> np.ndarray:
        """Map points ``[n, d]`` to the standard coordinates ``L^-1 (z - mean)`` of this Gaussian."""
        return np.linalg.solve(self.cholesky, (np.asarray(z, np.float64) - self.mean).T).T


def fit_gaussian(codes) -> GaussianFit:
    """Fit N(mean, cov) to ``codes [n, d]`` by the sample mean and covariance (``n - 1`` in the denominator).

    Used as the autoencoder's prior in notebooks 02 and 06, as Ghosh et al. ("From Variational
    to Deterministic Autoencoders", ICLR 2020) do with their "ex-post density estimation".
    """
    codes = np.asarray(codes, np.float64)
    if codes.ndim != 2 or codes.shape[0] < 2:
        raise ValueError(f"codes must have shape [n, d] with n >= 2, got {codes.shape}")
    mean = codes.mean(axis=0)
    cov = np.atleast_2d(np.cov(codes, rowvar=False))
    jitter = JITTER * max(float(np.trace(cov)) / len(cov), 1e-12)
    return GaussianFit(mean, cov, np.linalg.cholesky(cov + jitter * np.eye(len(cov))))


def prior_radius(probability: float = 0.95) -> float:
    """Radius of the circle that holds ``probability`` of the 2-D prior N(0, I).

    |z|^2 follows a chi-square law with 2 degrees of freedom: P(|z| <= r) = 1 - exp(-r^2 / 2).
    """
    if not 0.0 < probability < 1.0:
        raise ValueError(f"probability must lie strictly between 0 and 1, got {probability!r}")
    return float(np.sqrt(-2.0 * np.log1p(-probability)))
