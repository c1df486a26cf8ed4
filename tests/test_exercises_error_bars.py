"""Checks of 08-vae-against-autoencoder. Each check accepts a correct solution (written here, independently of the package) and rejects
each common mistake with a message that names it."""

import numpy as np

from exercise_helpers import accepted, rejected
from vae_tutorial import exercises


def test_standard_error_and_paired_difference():
    accepted(exercises.check_standard_error(lambda v: np.std(v, ddof=1) / np.sqrt(len(v))))
    rejected(exercises.check_standard_error(lambda v: np.std(v, ddof=1)), "sqrt(n)")
    rejected(exercises.check_standard_error(lambda v: np.std(v) / np.sqrt(len(v))), "ddof=1")
    rejected(exercises.check_standard_error(lambda v: np.var(v, ddof=1) / np.sqrt(len(v))), "variance")

    def paired(a, b):
        d = a - b
        return d.mean(), d.std(ddof=1) / np.sqrt(len(d))

    accepted(exercises.check_paired_difference(paired))
    rejected(exercises.check_paired_difference(lambda a, b: paired(b, a)), "sign")
    unpaired = lambda a, b: (np.mean(a - b), np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)))  # noqa: E731
    rejected(exercises.check_paired_difference(unpaired), "independent", "pair them")
