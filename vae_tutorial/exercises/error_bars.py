"""Checks of 08-vae-against-autoencoder: the standard error of a mean, a paired difference."""

from __future__ import annotations

import math

import numpy as np

from vae_tutorial.exercises.feedback import Wrong, as_array, call, close, diagnose, exercise

__all__ = ["check_standard_error", "check_paired_difference"]


@exercise
def check_standard_error(fn):
    """Check ``fn(values) -> float``: the standard error of the mean, std(values, ddof=1) / sqrt(n)."""
    values = np.random.default_rng(8).normal(3.0, 2.0, size=10)
    n = len(values)
    right = values.std(ddof=1) / math.sqrt(n)
    out = as_array(call(fn, values.copy(), what="standard_error(values)"), "standard_error(values)")
    if out.size != 1:
        raise Wrong(f"standard_error(values) returned shape {out.shape}; expected one number.")
    out = out.reshape(())
    diagnose(out, [
        ("That is the standard deviation of single values: the standard error of their mean divides it by "
         "sqrt(n).", values.std(ddof=1)),
        ("That is the standard deviation of single values (ddof=0): divide by sqrt(n), and use ddof=1.",
         values.std()),
        ("You divided by n; the standard error divides the standard deviation by sqrt(n).", values.std(ddof=1) / n),
        ("You used the variance where the standard deviation belongs: take its square root first.",
         values.var(ddof=1) / math.sqrt(n)),
        ("Almost: np.std uses ddof=0 by default; the sample standard deviation uses ddof=1 "
         "(np.std(values, ddof=1)), which matters for small samples like this one (n = 10).",
         values.std() / math.sqrt(n)),
    ], rtol=1e-6, atol=1e-9)
    if not close(out, right, rtol=1e-6, atol=1e-9):
        raise Wrong(f"Expected {right:.4f}, std(values, ddof=1) / sqrt(n); got {float(out):.4f}.")
    return "std(values, ddof=1) / sqrt(n): how far the mean of n values typically lands from the true mean."


@exercise
def check_paired_difference(fn):
    """Check ``fn(a, b) -> (mean, standard_error)`` of the per-item differences a - b (paired, same items)."""
    rng = np.random.default_rng(9)
    shared = rng.normal(0.0, 5.0, size=40)  # how hard each item is: common to both measurements
    a = shared + rng.normal(0.3, 0.5, size=40)
    b = shared + rng.normal(0.0, 0.5, size=40)
    d = a - b
    right = np.array([d.mean(), d.std(ddof=1) / math.sqrt(len(d))])
    what = "paired_difference(a, b)"
    out = call(fn, a.copy(), b.copy(), what=what)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise Wrong(f"{what} should return two numbers, (mean difference, its standard error).")
    out = np.array([float(np.asarray(v)) for v in out])
    se_unpaired = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    diagnose(out, [
        ("The difference has the wrong sign: compute a - b.", [-right[0], right[1]]),
        ("Your standard error treats a and b as independent samples. The same items went through both, so "
         "pair them: the standard error of the per-item differences a - b, which removes how hard each item "
         f"is (here {right[1]:.3f} against {se_unpaired:.3f}).", [right[0], se_unpaired]),
        ("The standard error is the standard deviation of the differences divided by sqrt(n).",
         [right[0], d.std(ddof=1)]),
        ("Almost: use the sample standard deviation, ddof=1.", [right[0], d.std() / math.sqrt(len(d))]),
    ], rtol=1e-6, atol=1e-9)
    if not close(out, right, rtol=1e-6, atol=1e-9):
        raise Wrong(f"Expected ({right[0]:.4f}, {right[1]:.4f}): the mean of a - b and std(a - b, ddof=1) / sqrt(n).")
    return "Mean of the per-item differences and its paired standard error."
