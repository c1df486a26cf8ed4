"""Self-checks for the exercises: run the reader's function on cases with known answers and say what is wrong.

Each ``check_*`` function takes the reader's function, calls it on inputs whose right answer is
computed here independently (values, shapes, statistics over many draws with tolerances from
standard errors, gradients through ``jax.grad``), and returns a :class:`Feedback`: ``.passed``
(bool) and ``.message`` (str), shown in Jupyter as a green or red note. When the answer is wrong
the message names the likely mistake (the variance where the standard deviation belongs, a KL with
the wrong sign, a loss averaged over pixels, ...). A check never raises on a wrong answer, and an
exception raised by the reader's code is reported, not re-raised.

Introduced in 01-autoencoder; every lesson notebook ends with exercises that use these checks.

The package: :mod:`~vae_tutorial.exercises.feedback` is the framework (:class:`Feedback`, the
``@exercise`` decorator, the helpers that call the reader's code and name mistakes);
:mod:`~vae_tutorial.exercises.stand_ins` holds small models for checks that need one; each lesson's
checks live in a module of their own, named by the lesson's idea:

==========================  ===================================================
``autoencoder``             01-autoencoder
``latent_paths``            02-interpolation-failure
``sampling_problem``        03-vae-sampling-problem
``reparameterization``      04-reparameterization-trick
``gradient_estimators``     05-why-it-works
``elbo``                    06-the-elbo
``capstone``                06-the-elbo (exercise 6.5: a whole training step)
``how_vaes_fail``           07-how-vaes-fail
``error_bars``              08-vae-against-autoencoder
``beyond_gaussian``         10-beyond-the-gaussian
``vaes_people_use``         11-vaes-people-use
==========================  ===================================================

To add a lesson's checks: write ``vae_tutorial/exercises/<idea>.py`` with ``check_<what>(fn)``
functions decorated with ``@exercise`` (from ``vae_tutorial.exercises.feedback``; raise ``Wrong``
with a message to fail, return a message to pass), import them below and add them to
``__all__``, and write ``tests/test_exercises_<idea>.py`` with a correct solution and each
mistake a check names. Import from sibling modules by their full name, never from this
``__init__``, so the package has no import circle. A notebook then calls ``exercises.check_<what>``.

Example:
    >>> def reparameterize(key, mean, log_var):
    ...     return mean + jnp.exp(0.5 * log_var) * jax.random.normal(key, jnp.shape(mean))
    >>> check_reparameterize(reparameterize).passed
    True
"""

from vae_tutorial.exercises.autoencoder import check_reconstruct, check_reconstruction_loss
from vae_tutorial.exercises.beyond_gaussian import (check_exponential_sampler, check_gumbel_softmax,
                                                   check_straight_through)
from vae_tutorial.exercises.capstone import check_train_step
from vae_tutorial.exercises.elbo import check_elbo_terms, check_gaussian_kl
from vae_tutorial.exercises.error_bars import check_paired_difference, check_standard_error
from vae_tutorial.exercises.feedback import Feedback
from vae_tutorial.exercises.gradient_estimators import check_pathwise_gradient, check_score_function
from vae_tutorial.exercises.how_vaes_fail import check_active_units
from vae_tutorial.exercises.latent_paths import check_latent_line, check_nearest_distance
from vae_tutorial.exercises.reparameterization import check_finite_difference, check_reparameterize
from vae_tutorial.exercises.sampling_problem import check_monte_carlo_mean, check_std_from_log_var
from vae_tutorial.exercises.vaes_people_use import check_beta_for_rate, check_free_bits_kl, check_transposed_conv_size

__all__ = [
    "Feedback",
    "check_reconstruct",
    "check_reconstruction_loss",
    "check_latent_line",
    "check_nearest_distance",
    "check_std_from_log_var",
    "check_monte_carlo_mean",
    "check_reparameterize",
    "check_finite_difference",
    "check_gaussian_kl",
    "check_elbo_terms",
    "check_standard_error",
    "check_paired_difference",
    "check_pathwise_gradient",
    "check_score_function",
    "check_active_units",
    "check_train_step",
    "check_gumbel_softmax",
    "check_exponential_sampler",
    "check_straight_through",
    "check_free_bits_kl",
    "check_transposed_conv_size",
    "check_beta_for_rate",
]
