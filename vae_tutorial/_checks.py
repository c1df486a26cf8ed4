"""Input checks shared by the public functions: clear errors that say what was expected."""

from __future__ import annotations

import jax
import numpy as np

__all__ = ["IMAGE_SIDE", "IMAGE_PIXELS", "check_images", "check_latent", "check_positive_int", "check_seed", "is_traced"]

#: The one place that says how big an image is: MNIST digits are 28 x 28 grey pixels.
IMAGE_SIDE = 28
IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE


def is_traced(x) -> bool:
    """True when ``x`` is an abstract value inside ``jax.jit``/``grad`` (its values are unknown)."""
    return isinstance(x, jax.core.Tracer)


def check_images(images, *, name: str = "images"):
    """Check a batch of images and return it as a float array of shape ``[n, 784]``.

    Accepts ``[n, 28, 28]`` or ``[n, 784]`` floating-point arrays with values in [0, 1].
    Values are only checked when they are concrete (outside ``jax.jit``).

    Raises:
        TypeError: if ``images`` is not a floating-point array.
        ValueError: for a wrong shape, NaN, or values outside [0, 1].
    """
    if not hasattr(images, "shape") or not hasattr(images, "dtype"):
        raise TypeError(f"{name} must be an array of shape [n, 28, 28] or [n, 784], got {type(images).__name__}")
    if not np.issubdtype(images.dtype, np.floating):
        raise TypeError(
            f"{name} must be floating point with values in [0, 1], got dtype {images.dtype} "
            "(divide uint8 pixels by 255)"
        )
    shape = tuple(images.shape)
    if len(shape) == 3 and shape[1:] == (IMAGE_SIDE, IMAGE_SIDE):
        flat = images.reshape(shape[0], IMAGE_PIXELS)
    elif len(shape) == 2 and shape[1] == IMAGE_PIXELS:
        flat = images
    else:
        raise ValueError(f"{name} must have shape [n, 28, 28] or [n, 784], got {shape}")
    if shape[0] == 0:
        raise ValueError(f"{name} must hold at least one image, got shape {shape}")
    if not is_traced(images):
        values = np.asarray(images)
        if np.isnan(values).any():
            raise ValueError(f"{name} contain NaN")
        lo, hi = float(values.min()), float(values.max())
        if lo < 0.0 or hi > 1.0:
            raise ValueError(f"{name} must have values in [0, 1], got values in [{lo:.3g}, {hi:.3g}]")
    return flat


def check_latent(z, latent_dim: int, *, name: str = "z"):
    """Check latent codes of shape ``[n, latent_dim]`` (a single code ``[latent_dim]`` is allowed)."""
    if not hasattr(z, "shape"):
        raise TypeError(f"{name} must be an array of shape [n, {latent_dim}], got {type(z).__name__}")
    if not np.issubdtype(z.dtype, np.floating):
        raise TypeError(f"{name} must be floating point, got dtype {z.dtype}")
    if z.ndim == 1:
        z = z[None, :]
    if z.ndim != 2 or z.shape[1] != latent_dim:
        raise ValueError(f"{name} must have shape [n, {latent_dim}] for this model, got {tuple(z.shape)}")
    if not is_traced(z) and not np.isfinite(np.asarray(z)).all():
        raise ValueError(f"{name} must be finite (no NaN or infinity): a code holding one decodes to NaN pixels")
    return z


def check_seed(seed, name: str = "seed") -> int:
    """Return ``seed`` as an int if it is an integer >= 0 (a random seed), else raise a clear error."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {seed!r}")
    if seed < 0:
        raise ValueError(f"{name} must be >= 0, got {seed}")
    return int(seed)


def check_positive_int(value, name: str) -> int:
    """Return ``value`` if it is an int >= 1, else raise a clear error."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= 1, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)
