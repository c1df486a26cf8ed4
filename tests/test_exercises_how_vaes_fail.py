"""Checks of 07-how-vaes-fail. Each check accepts a correct solution (written here, independently of the package) and rejects
each common mistake with a message that names it."""

import numpy as np

from exercise_helpers import accepted, rejected
from vae_tutorial import exercises


def test_active_units():
    accepted(exercises.check_active_units(lambda means: int(np.sum(np.var(means, axis=0) > 0.01))))
    rejected(exercises.check_active_units(lambda means: np.var(means, axis=0) > 0.01), "mask")
    rejected(exercises.check_active_units(lambda means: int(np.sum(np.var(means, axis=1) > 0.01))), "axis=0")
    rejected(exercises.check_active_units(lambda means: int(np.sum(np.std(means, axis=0) > 0.01))),
             "standard deviation")
    rejected(exercises.check_active_units(lambda means: int(np.sum(np.var(means, axis=0) <= 0.01))), "inactive")
