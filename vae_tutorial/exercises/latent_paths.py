"""Checks of 02-interpolation-failure: a straight line between codes, the distance to the nearest code."""

from __future__ import annotations

import numpy as np

from vae_tutorial.exercises.feedback import Wrong, as_array, call, close, diagnose, exercise, fmt, shape_error

__all__ = ["check_latent_line", "check_nearest_distance"]


@exercise
def check_latent_line(fn):
    """Check ``fn(start, end, steps) -> [steps, d]``: evenly spaced points from start to end, both included."""
    cases = [(np.array([1.0, -2.0], np.float32), np.array([3.0, 2.0], np.float32), 5),
             (np.random.default_rng(2).normal(size=20).astype(np.float32),
              np.random.default_rng(3).normal(size=20).astype(np.float32), 11),
             (np.array([0.5, 0.5], np.float32), np.array([-1.0, 2.0], np.float32), 2)]
    for start, end, steps in cases:
        what = f"line(start, end, {steps})"
        out = as_array(call(fn, start, end, steps), what)
        s, e = start.astype(np.float64), end.astype(np.float64)
        t = np.linspace(0.0, 1.0, steps)[:, None]
        right = (1 - t) * s + t * e
        k = np.arange(steps)[:, None]
        diagnose(out, [
            ("The path stops one step short of `end` (np.linspace(..., endpoint=False) or t = k / steps): "
             "t must run from 0 to 1 with both ends included, t = k / (steps - 1).", s + (k / steps) * (e - s)),
            ("The path skips `start`: t must begin at 0, t = k / (steps - 1).", s + ((k + 1) / steps) * (e - s)),
            ("The path runs backwards, from `end` to `start`: z(t) = (1 - t) * start + t * end.", right[::-1]),
            ("You added t * end to start without subtracting start: z(t) = start + t * (end - start).",
             s + t * e),
            ("Right points, but transposed: return one row per point, shape [steps, d].", right.T),
        ], atol=1e-5)
        shape_error(out, right.shape, what, hints=[
            ((steps + 1, len(s)), f"{what} returned {steps + 1} points; `steps` counts the points, both "
                                  "ends included (np.linspace(0, 1, steps))."),
            ((steps - 1, len(s)), f"{what} returned {steps - 1} points; `steps` counts the points, both "
                                  "ends included (np.linspace(0, 1, steps))."),
        ])
        if not close(out, right, atol=1e-5):
            raise Wrong(f"{what}: right shape, but the points are not the straight line "
                        "z(t) = (1 - t) * start + t * end for t = 0, 1/(steps-1), ..., 1.")
    return "Straight, evenly spaced, both ends included, one row per point (checked in 2-D and 20-D)."


@exercise
def check_nearest_distance(fn):
    """Check ``fn(points, codes) -> [n]``: the Euclidean distance from each point to its nearest code."""
    rng = np.random.default_rng(4)
    points, codes = rng.normal(size=(7, 3)), rng.normal(size=(40, 3))
    points[0] = codes[5]  # a point that is itself a code: distance 0
    sq = ((points[:, None, :] - codes[None]) ** 2).sum(-1)
    right = np.sqrt(sq.min(axis=1))
    out = as_array(call(fn, points.astype(np.float32), codes.astype(np.float32)), "nearest_distance(points, codes)")
    diagnose(out, [
        ("These are squared distances: take the square root (np.sqrt) of the smallest sum of squares.",
         sq.min(axis=1)),
        ("You returned the index of the nearest code (argmin), not its distance (min).", sq.argmin(axis=1)),
        ("You returned the distance to the farthest code (max): the nearest one is the min.",
         np.sqrt(sq.max(axis=1))),
        ("You returned the distance from each code to its nearest point: the other way round, "
         "one distance per point.", np.sqrt(sq.min(axis=0))),
        ("You returned the whole distance matrix: take the minimum over the codes (axis=1).", np.sqrt(sq)),
        ("That is the mean distance to all codes: the nearest one is the minimum.", np.sqrt(sq).mean(axis=1)),
    ], rtol=1e-4, atol=1e-4)
    shape_error(out, right.shape, "nearest_distance(points, codes)")
    if not close(out, right, rtol=1e-4, atol=1e-4):
        raise Wrong(f"Right shape, wrong values: expected {fmt(right[:3])} for the first three points, got "
                    f"{fmt(out[:3])}. Compute sqrt(sum((point - code)**2)) for every code and keep the smallest.")
    return "One Euclidean distance per point, to its nearest code (0 for a point that is a code)."
