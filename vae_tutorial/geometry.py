"""Where the explorers' sliders point and how far they reach: plain NumPy, tested on its own.

The widgets in :mod:`vae_tutorial.widgets` only wire this geometry to a front end:

* :func:`slider_ranges`: the range of each slider, from a set of codes (widened percentiles);
* :func:`snap_ranges`: one step for all sliders and the ranges widened to its multiples;
* :func:`principal_directions`: the leading principal directions of a set of codes, with a
  fixed sign, and the share of the variance along each;
* :func:`slider_frame`: all of it together, the frame a :class:`~vae_tutorial.widgets.LatentExplorer`
  moves in (the code where every slider reads 0, the directions, names, ranges and step);
* :func:`to_sliders` / :func:`from_sliders`: a code in slider coordinates and back.

The Gaussian fitted to an autoencoder's codes and the radius of the prior's circle are
:func:`vae_tutorial.latent.fit_gaussian` and :func:`vae_tutorial.latent.prior_radius`.

Introduced in 09-latent-playground.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from vae_tutorial._checks import check_positive_int

__all__ = ["slider_ranges", "snap_ranges", "nice_step", "principal_directions", "SliderFrame", "slider_frame",
           "check_ranges", "to_sliders", "from_sliders", "PRIOR_RANGE"]

#: Slider range [-3, 3] of a VAE shown without images: +-3 standard deviations of the prior N(0, I).
PRIOR_RANGE = 3.0


def slider_ranges(codes) -> np.ndarray:
    """The slider ranges an explorer derives from codes: ``[n, d]`` to ``[d, 2]`` (min, max).

    Each range runs from the 0.5th to the 99.5th percentile of its column, widened by a tenth of
    that span on each side (a column with no spread: +-1 around its value). Pass the result, for
    example of the codes of several models stacked together, as ``ranges=`` to give several
    explorers the same sliders and map limits. The explorer then widens each range to multiples
    of its slider step (:func:`snap_ranges`).

    Args:
        codes: ``[n, d]`` finite codes (or slider coordinates), ``n >= 1``.

    Returns:
        ``float64 [d, 2]``.

    Raises:
        ValueError: ``codes`` is not a non-empty ``[n, d]`` array of finite numbers.
    """
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2 or codes.shape[0] == 0 or codes.shape[1] == 0:
        raise ValueError(f"codes must have shape [n, d] with n, d >= 1, got shape {codes.shape}")
    if not np.isfinite(codes).all():
        raise ValueError("codes must be finite")
    lo, hi = np.percentile(codes, 0.5, axis=0), np.percentile(codes, 99.5, axis=0)
    margin = np.where(hi - lo > 1e-6, 0.1 * (hi - lo), 1.0)  # one image: +-1 around its code
    return np.stack([lo - margin, hi + margin], axis=1)


def nice_step(span: float) -> float:
    """About a hundredth of ``span`` (> 0), rounded to 1, 2 or 5 times a power of ten."""
    if not span > 0 or not np.isfinite(span):
        raise ValueError(f"span must be a positive finite number, got {span!r}")
    raw = span / 100.0
    power = 10.0 ** np.floor(np.log10(raw))
    return float(min((m * power for m in (1.0, 2.0, 5.0, 10.0)), key=lambda s: abs(s - raw)))


def snap_ranges(ranges) -> tuple[np.ndarray, float]:
    """One step for all sliders (about a hundredth of the widest range) and the ranges widened to its multiples.

    Every slider position is then a multiple of the step, so 0 is reachable whenever it lies in a range.

    Args:
        ranges: ``[num_sliders, 2]`` (min, max) with min < max.

    Returns:
        ``(ranges [num_sliders, 2], step)``.
    """
    ranges = np.asarray(ranges, dtype=np.float64)
    step = nice_step(float((ranges[:, 1] - ranges[:, 0]).max()))
    decimals = max(0, int(-np.floor(np.log10(step)))) + 1
    lo = np.round(np.floor(ranges[:, 0] / step + 1e-9) * step, decimals)
    hi = np.round(np.ceil(ranges[:, 1] / step - 1e-9) * step, decimals)
    return np.stack([lo, hi], axis=1), step


def principal_directions(codes, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``count`` leading principal directions of ``codes [n, d]``, each signed so its components sum > 0.

    A principal direction has no sign of its own; fixing it this way gives the same directions
    for the same codes every time.

    Returns:
        ``(mean [d], directions [count, d] orthonormal, variance_share [count])``: the share of
        the codes' total variance along each direction (the explained variance).
    """
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2 or codes.shape[0] == 0:
        raise ValueError(f"codes must have shape [n, d] with n >= 1, got shape {codes.shape}")
    count = check_positive_int(count, "count")
    if count > codes.shape[1]:
        raise ValueError(f"count must be at most d = {codes.shape[1]}, got {count}")
    mean = codes.mean(axis=0)
    centred = codes - mean
    _, vectors = np.linalg.eigh(centred.T @ centred)  # ascending variance; always d directions
    directions = vectors[:, ::-1][:, :count].T
    directions = directions * np.where(directions.sum(axis=1, keepdims=True) < 0, -1.0, 1.0)
    return mean, directions, _variance_share(codes, mean, directions)


def _variance_share(codes: np.ndarray, origin: np.ndarray, directions: np.ndarray) -> np.ndarray:
    total = codes.var(axis=0).sum()
    proj = (codes - origin) @ directions.T
    return proj.var(axis=0) / total if total > 0 else np.zeros(len(directions))


def check_ranges(ranges, names: list[str]) -> np.ndarray:
    """``ranges`` as given to an explorer (``[2]`` or ``[num_sliders, 2]``) to ``float64 [num_sliders, 2]``.

    Raises:
        TypeError: not numbers.
        ValueError: the wrong shape, not finite, or min >= max for a slider.
    """
    try:
        array = np.asarray(ranges, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"ranges must be numbers (min, max), got {type(ranges).__name__}") from None
    num = len(names)
    if array.shape == (2,):
        array = np.tile(array, (num, 1))
    if array.shape != (num, 2):
        raise ValueError(
            f"ranges must have shape [2] (one (min, max) for every slider) or [num_sliders, 2] = [{num}, 2], "
            f"got shape {np.shape(ranges)}")
    if not np.isfinite(array).all():
        raise ValueError("ranges must be finite")
    for name, (lo, hi) in zip(names, array):
        if not lo < hi:
            raise ValueError(f"ranges must have min < max for every slider, got ({lo:g}, {hi:g}) for {name}")
    return array


class SliderFrame(NamedTuple):
    """The frame an explorer's sliders move in: ``z = origin + values @ directions + rest``."""

    origin: np.ndarray  # [latent] the code where every slider reads 0
    directions: np.ndarray  # [num_sliders, latent] orthonormal
    names: list  # slider names, "z1", ... or "PC1", ...
    ranges: np.ndarray  # [num_sliders, 2] snapped to multiples of step
    step: float
    variance_share: np.ndarray | None  # [num_sliders] share of the codes' variance, or None without codes


def slider_frame(latent_dim: int, codes=None, *, max_sliders: int, ranges=None) -> SliderFrame:
    """The sliders for a ``latent_dim``-D model, from its ``codes [n, latent_dim]`` (optional).

    At most ``max_sliders`` latent dimensions: one slider per coordinate (``z1``, ...). More:
    sliders for the leading principal directions of ``codes`` (``PC1``, ...; measured from their
    mean), or without codes the first coordinates. Ranges: ``ranges`` if given (checked with
    :func:`check_ranges`), else :func:`slider_ranges` of the codes in slider coordinates, else
    ``[-3, 3]`` (the prior's +-3 standard deviations); then snapped with :func:`snap_ranges`.
    """
    latent_dim = check_positive_int(latent_dim, "latent_dim")
    num = min(latent_dim, check_positive_int(max_sliders, "max_sliders"))
    if codes is not None and latent_dim > num:
        origin, directions, _ = principal_directions(codes, num)
        names = [f"PC{k + 1}" for k in range(num)]
    else:
        origin, directions = np.zeros(latent_dim), np.eye(latent_dim)[:num]
        names = [f"z{k + 1}" for k in range(num)]
    share = None if codes is None else _variance_share(np.asarray(codes, np.float64), origin, directions)
    if ranges is not None:
        ranges = check_ranges(ranges, names)
    elif codes is not None:
        ranges = slider_ranges(to_sliders(codes, origin, directions))
    else:
        ranges = np.tile([-PRIOR_RANGE, PRIOR_RANGE], (num, 1))
    ranges, step = snap_ranges(ranges)
    return SliderFrame(origin, directions, names, ranges, step, share)


def to_sliders(z, origin, directions) -> np.ndarray:
    """Slider coordinates ``(z - origin) @ directions.T`` of codes ``[..., latent]``: ``[..., num_sliders]``."""
    return (np.asarray(z, np.float64) - origin) @ np.asarray(directions).T


def from_sliders(values, origin, directions, rest=0.0) -> np.ndarray:
    """The code ``origin + values @ directions + rest`` (``rest``: the part outside the slider directions)."""
    return origin + np.asarray(values, np.float64) @ np.asarray(directions) + rest
