"""Checks of 07-how-vaes-fail: counting active latent units."""

from __future__ import annotations

import numpy as np

from vae_tutorial.exercises.feedback import Wrong, as_array, call, exercise, fmt

__all__ = ["check_active_units"]


@exercise
def check_active_units(fn):
    """Check ``fn(means) -> int``: how many latent dimensions are active.

    A dimension is active when the encoder's mean varies across images with variance above 0.01
    (Burda, Grosse and Salakhutdinov, "Importance Weighted Autoencoders", 2015). ``means`` is
    ``[n, d]``, one row per image.
    """
    rng = np.random.default_rng(10)
    spreads = np.array([2.0, 1.0, 0.2, 0.05, 0.001, 0.0, 0.5])  # variances 4, 1, 0.04, 0.0025, 1e-6, 0, 0.25
    z = rng.normal(size=(300, 7))
    means = (z - z.mean(axis=0)) / z.std(axis=0) * spreads + 0.3  # exactly these spreads, centred on 0.3
    variance = means.var(axis=0)
    right = int(np.sum(variance > 0.01))
    what = "active_units(means)"
    out = as_array(call(fn, means.astype(np.float32), what=what), what)
    if out.shape == (7,) and set(np.unique(out)) <= {0.0, 1.0}:
        raise Wrong("You returned which dimensions are active (a mask): return how many, mask.sum().")
    if out.size != 1:
        raise Wrong(f"{what} returned shape {out.shape}; expected one number, the count of active dimensions.")
    count = float(out.ravel()[0])
    for value, message in [
        (int(np.sum(means.var(axis=1) > 0.01)), "You measured the variance across the latent dimensions of each "
                                                "image (axis=1); activity is the variance of each dimension across "
                                                "the images (axis=0)."),
        (int(np.sum(means.std(axis=0) > 0.01)), "You compared the standard deviation with 0.01; the threshold is on "
                                                "the variance across images."),
        (7 - right, "You counted the inactive dimensions (variance <= 0.01): count the active ones."),
    ]:
        if count == value and value != right:
            raise Wrong(message)
    if count != right:
        raise Wrong(f"{right} of the 7 dimensions have a variance across images above 0.01 "
                    f"(variances {fmt(variance)}); you returned {count:g}.")
    return "Counts the dimensions whose mean varies across images with variance > 0.01."
