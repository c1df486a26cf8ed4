"""Checks of 02-interpolation-failure. Each check accepts a correct solution (written here, independently of the package) and rejects
each common mistake with a message that names it."""

import jax.numpy as jnp
import numpy as np

from exercise_helpers import accepted, rejected
from vae_tutorial import exercises


def line(start, end, steps):
    t = np.linspace(0.0, 1.0, steps)[:, None]
    return (1 - t) * np.asarray(start) + t * np.asarray(end)


def test_latent_line():
    accepted(exercises.check_latent_line(line))
    accepted(exercises.check_latent_line(lambda a, b, n: jnp.linspace(a, b, n)))
    rejected(exercises.check_latent_line(lambda a, b, n: np.linspace(a, b, n, endpoint=False)), "short of `end`")
    rejected(exercises.check_latent_line(lambda a, b, n: line(b, a, n)), "backwards")
    rejected(exercises.check_latent_line(lambda a, b, n: line(a, b, n).T), "transposed")
    rejected(exercises.check_latent_line(lambda a, b, n: line(a, b, n + 1)), "points")
    rejected(exercises.check_latent_line(lambda a, b, n: a + np.linspace(0, 1, n)[:, None] * b), "subtracting start")


def nearest(points, codes):
    return np.sqrt(((points[:, None] - codes[None]) ** 2).sum(-1)).min(1)


def test_nearest_distance():
    accepted(exercises.check_nearest_distance(nearest))
    rejected(exercises.check_nearest_distance(lambda p, c: nearest(p, c) ** 2), "squared")
    rejected(exercises.check_nearest_distance(lambda p, c: ((p[:, None] - c[None]) ** 2).sum(-1).argmin(1)), "index")
    rejected(exercises.check_nearest_distance(lambda p, c: nearest(c, p)), "other way round")
