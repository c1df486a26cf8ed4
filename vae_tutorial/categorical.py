"""Categorical draws made differentiable: Gumbel-max, the Gumbel-softmax (Concrete) relaxation, straight-through.

A draw from a categorical distribution is a step function of its logits, so its derivative is zero
wherever it exists (03-vae-sampling-problem). Gumbel-max writes an exact draw as the argmax of the
logits plus Gumbel noise; replacing the argmax by a softmax with a temperature gives a sample that
moves smoothly with the logits (Jang, Gu and Poole 2017; Maddison, Mnih and Teh 2017).

* :func:`gumbel_noise`, :func:`gumbel_softmax`, :func:`straight_through`: the samplers.
* :func:`categorical_kl_uniform`: KL(q || uniform) of independent categorical variables, exact.
* :func:`estimator_study`: bias and variance of four gradient estimators of E[f(z)] for a
  categorical z over a few classes (score function with and without a baseline, Gumbel-softmax,
  straight-through), against the gradient computed exactly by enumeration.

This module imports nothing else of the package but its argument checks, so
:mod:`vae_tutorial.sampling` can re-export it. The VAE with categorical codes is
:mod:`vae_tutorial.discrete`. Introduced in 10-beyond-the-gaussian.

References:
    Jang, Gu and Poole, "Categorical Reparameterization with Gumbel-Softmax", ICLR 2017
    (arXiv:1611.01144); Maddison, Mnih and Teh, "The Concrete Distribution: A Continuous Relaxation
    of Discrete Random Variables", ICLR 2017 (arXiv:1611.00712); Mohamed, Rosca, Figurnov and Mnih,
    "Monte Carlo Gradient Estimation in Machine Learning", JMLR 21(132), 2020 (arXiv:1906.10652).
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from vae_tutorial._checks import check_positive_int, is_traced

__all__ = [
    "gumbel_noise", "gumbel_softmax", "straight_through", "categorical_kl_uniform",
    "EstimatorProblem", "exact_gradient", "estimator_study", "ESTIMATORS",
]

# --------------------------------------------------------------------------------------------
# Samplers
# --------------------------------------------------------------------------------------------


def _check_key(key, name: str) -> None:
    if isinstance(key, jax.Array) and jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        return
    if isinstance(key, (jax.Array, np.ndarray)) and key.dtype == np.uint32 and key.shape[-1:] == (2,):
        return  # a raw key from jax.random.PRNGKey
    raise TypeError(f"{name}: key must be a JAX random key (jax.random.key(0)), got {type(key).__name__}"
                    + (f" {key!r}" if isinstance(key, numbers.Number) else ""))


def _check_logits(logits, name: str) -> jax.Array:
    if not hasattr(logits, "shape") and not isinstance(logits, (list, tuple)):
        raise TypeError(f"{name}: logits must be an array [..., num_classes], got {type(logits).__name__}")
    logits = jnp.asarray(logits)
    if not jnp.issubdtype(logits.dtype, jnp.floating):
        logits = logits.astype(jnp.float32)
    if logits.ndim < 1 or logits.shape[-1] < 2:
        raise ValueError(f"{name}: logits must have shape [..., num_classes] with at least 2 classes on the last "
                         f"axis, got shape {tuple(logits.shape)}")
    return logits


def _check_temperature(temperature, name: str):
    if isinstance(temperature, bool) or not isinstance(temperature, (numbers.Real, np.ndarray, jax.Array)) \
            or np.ndim(temperature) != 0:
        raise TypeError(f"{name}: temperature must be a positive number, got {temperature!r}")
    if not is_traced(temperature):
        value = float(temperature)
        if not np.isfinite(value) or value <= 0:
            raise ValueError(f"{name}: temperature must be a positive number (the softmax divides by it), "
                             f"got {value!r}")
    return temperature


def gumbel_noise(key: jax.Array, shape, dtype=jnp.float32) -> jax.Array:
    """Standard Gumbel noise ``g = -log(-log(u))`` with ``u`` uniform on (0, 1).

    Args:
        key: a JAX random key.
        shape: the shape of the noise.
        dtype: a floating-point dtype.

    Returns:
        Noise of the given shape; ``argmax(logits + g)`` is an exact draw from ``softmax(logits)``.
    """
    u = jax.random.uniform(key, shape, dtype, minval=jnp.finfo(dtype).tiny, maxval=1.0)
    return -jnp.log(-jnp.log(u))


def gumbel_softmax(key: jax.Array, logits: jax.Array, *, temperature, hard: bool = False) -> jax.Array:
    """A relaxed one-hot sample of a categorical distribution (Gumbel-softmax, or Concrete).

    ``y = softmax((logits + g) / temperature)`` over the last axis, with Gumbel noise ``g``. The
    sample lies on the probability simplex and is a differentiable function of the logits. As the
    temperature falls it approaches the one-hot vector of ``argmax(logits + g)``, an exact draw
    from ``softmax(logits)``; as it grows it approaches the uniform vector.

    Args:
        key: a JAX random key.
        logits: ``[..., num_classes]`` unnormalised log-probabilities (at least 2 classes).
        temperature: a positive number (may be traced under ``jax.jit``).
        hard: if True, return the exact one-hot draw ``one_hot(argmax(logits + g))`` whose gradient
            is the relaxed sample's (the straight-through estimator, :func:`straight_through`).

    Returns:
        ``[..., num_classes]`` samples, shaped like ``logits``, each summing to 1 over the last axis.

    Raises:
        TypeError: if ``key`` is not a JAX key, ``temperature`` is not a number, or ``logits`` is
            not an array.
        ValueError: if ``temperature <= 0`` (checked outside ``jax.jit``) or ``logits`` has no
            class axis with at least 2 classes.

    References:
        Jang, Gu and Poole, ICLR 2017 (arXiv:1611.01144); Maddison, Mnih and Teh, ICLR 2017
        (arXiv:1611.00712).
    """
    name = "gumbel_softmax"
    _check_key(key, name)
    logits = _check_logits(logits, name)
    temperature = _check_temperature(temperature, name)
    g = gumbel_noise(key, logits.shape, logits.dtype)
    relaxed = jax.nn.softmax((logits + g) / temperature, axis=-1)
    return straight_through(relaxed) if hard else relaxed


def straight_through(relaxed: jax.Array) -> jax.Array:
    """The one-hot vector of ``argmax(relaxed)`` on the way forward, the gradient of ``relaxed`` on the way back.

    ``one_hot + (relaxed - stop_gradient(relaxed))``: the bracket is exactly zero, so the values
    are exactly one-hot, and its derivative is the relaxed sample's (Bengio, Leonard and Courville
    2013; Jang et al. 2017).
    """
    relaxed = jnp.asarray(relaxed)
    one_hot = jax.nn.one_hot(jnp.argmax(relaxed, axis=-1), relaxed.shape[-1], dtype=relaxed.dtype)
    return one_hot + (relaxed - jax.lax.stop_gradient(relaxed))


def categorical_kl_uniform(logits: jax.Array) -> jax.Array:
    """KL(q || uniform) for independent categorical variables ``q = softmax(logits)``, summed over variables.

    For one variable of C classes, ``KL = sum_c q_c log q_c + log C``: 0 for the uniform q, ``log C``
    for a certain one.

    Args:
        logits: ``[..., num_variables, num_classes]``.

    Returns:
        ``[...]`` in nats.
    """
    logits = jnp.asarray(logits)
    log_q = jax.nn.log_softmax(logits, axis=-1)
    per_variable = jnp.sum(jnp.exp(log_q) * log_q, axis=-1) + jnp.log(logits.shape[-1])
    return per_variable.sum(axis=-1)


# --------------------------------------------------------------------------------------------
# Gradient estimators for a categorical variable, against the exact gradient
# --------------------------------------------------------------------------------------------


class EstimatorProblem:
    """E[f(z)] for a categorical z over ``K`` classes with ``p = softmax(logits)`` and ``f(y) = (y . values - target)**2``.

    ``y`` is a one-hot vector for an exact draw (then ``f`` is ``(values[k] - target)**2``) or a
    point of the simplex for a relaxed one, where ``f`` is still defined and smooth. The default:
    10 classes, logits ``linspace(-1, 1, 10)``, values ``k / 9``, target 0.45.
    """

    def __init__(self, logits=None, values=None, target: float = 0.45):
        self.logits = jnp.linspace(-1.0, 1.0, 10) if logits is None else jnp.asarray(logits, jnp.float32)
        k = self.logits.shape[-1]
        self.values = jnp.arange(k, dtype=jnp.float32) / (k - 1) if values is None else jnp.asarray(values, jnp.float32)
        self.target = float(target)

    def _identity(self) -> tuple:
        return (np.asarray(self.logits).tobytes(), np.asarray(self.values).tobytes(), self.logits.shape, self.target)

    def __eq__(self, other) -> bool:  # equal problems share one compiled study program
        return isinstance(other, EstimatorProblem) and self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def f(self, y: jax.Array) -> jax.Array:
        """The function of a (one-hot or relaxed) sample ``y [K]``: a scalar."""
        return (y @ self.values - self.target) ** 2

    def expectation(self, logits: jax.Array) -> jax.Array:
        """E[f(z)] by enumeration of the K classes: ``sum_k softmax(logits)_k f(e_k)``."""
        return jnp.sum(jax.nn.softmax(logits) * (self.values - self.target) ** 2)


def exact_gradient(problem: EstimatorProblem) -> np.ndarray:
    """The gradient of E[f(z)] with respect to the logits, by differentiating the enumerated sum."""
    return np.asarray(jax.grad(problem.expectation)(problem.logits), np.float64)


def _score_terms(problem, logits, keys):
    p = jax.nn.softmax(logits)
    k = logits.shape[-1]
    draws = jax.vmap(lambda key: jax.random.categorical(key, logits))(keys)
    one_hot = jax.nn.one_hot(draws, k)
    f = jax.vmap(problem.f)(one_hot)
    return f, one_hot - p  # the score: d/dlogits log softmax(logits)_draw = e_draw - p


def _score_function(problem, logits, keys, temperature):
    f, score = _score_terms(problem, logits, keys)
    return jnp.mean(f[:, None] * score, axis=0)


def _score_function_baseline(problem, logits, keys, temperature):
    f, score = _score_terms(problem, logits, keys)
    s = f.shape[0]
    baseline = (f.sum() - f) / (s - 1)  # leave-one-out: independent of the sample it is subtracted from
    return jnp.mean((f - baseline)[:, None] * score, axis=0)


def _gumbel_softmax_estimate(problem, logits, keys, temperature, hard=False):
    def average(logits):
        y = jax.vmap(lambda key: gumbel_softmax(key, logits, temperature=temperature, hard=hard))(keys)
        return jnp.mean(jax.vmap(problem.f)(y))

    return jax.grad(average)(logits)


def _straight_through_estimate(problem, logits, keys, temperature):
    return _gumbel_softmax_estimate(problem, logits, keys, temperature, hard=True)


#: name -> (estimator, uses a temperature). Each maps (problem, logits, keys [S], temperature) to one estimate [K].
ESTIMATORS = {
    "score function": (_score_function, False),
    "score function + baseline": (_score_function_baseline, False),
    "Gumbel-softmax": (_gumbel_softmax_estimate, True),
    "straight-through": (_straight_through_estimate, True),
}


@functools.partial(jax.jit, static_argnums=(0, 3, 4))
def _all_estimates(problem, key, temperature, num_samples, repeats):
    """``repeats`` estimates ``[repeats, K]`` by every estimator in :data:`ESTIMATORS`, in its order, from the same keys.

    One compiled program for all four (and every temperature, which is traced): compiling JAX's
    random-number generator is most of the cost of such a small program, and the estimators share
    its draws (the same keys, as when each ran alone).
    """
    keys = jax.random.split(key, (repeats, num_samples))
    return tuple(jax.vmap(lambda ks, estimator=estimator: estimator(problem, problem.logits, ks, temperature))(keys)
                 for estimator, _ in ESTIMATORS.values())


def estimator_study(problem: EstimatorProblem | None = None, *, temperatures: Sequence[float] = (0.1, 0.3, 1.0, 3.0),
                    num_samples: int = 10, repeats: int = 2000, seeds: Sequence[int] = (0, 1, 2, 3, 4),
                    estimators: Sequence[str] | None = None) -> list[dict]:
    """Bias and variance of each estimator in :data:`ESTIMATORS`, against the exact gradient.

    For each estimator (and each temperature for the relaxed ones) and each seed, draw ``repeats``
    independent estimates, each an average over ``num_samples`` draws, and measure

    * ``bias``: the length of (expected estimate - exact gradient), in units of the exact gradient's
      length, estimated per seed as ``sqrt(max(0, |mean - exact|^2 - tr(Cov) / repeats))`` (the
      squared distance of the mean of the estimates overstates the squared bias by the variance of
      that mean);
    * ``variance``: the total variance of one estimate (summed over the K coordinates), in units of
      the exact gradient's squared length.

    Seeds are independent replications: the mean over seeds and its standard error (std / sqrt(n)).
    ``estimators`` optionally names a subset of :data:`ESTIMATORS` to run.

    Returns:
        A list of rows ``{"estimator", "temperature" (None for the score function), "bias",
        "bias_se", "variance", "variance_se", "mean" [K] (the mean estimate over all seeds),
        "mean_se" [K] (its standard error per coordinate), "z_max" (the largest |mean - exact| / se)}``.
    """
    problem = EstimatorProblem() if problem is None else problem
    num_samples = check_positive_int(num_samples, "num_samples")
    if num_samples < 2:
        raise ValueError("estimator_study: num_samples must be >= 2 (the leave-one-out baseline needs two draws)")
    repeats = check_positive_int(repeats, "repeats")
    exact = exact_gradient(problem)
    norm = float(np.linalg.norm(exact))
    rows = []
    unknown = set(estimators or ()) - set(ESTIMATORS)
    if unknown:
        raise ValueError(f"estimator_study: unknown estimators {sorted(unknown)}; known: {list(ESTIMATORS)}")
    runs = {}  # (temperature, seed) -> one [repeats, K] array per estimator; the score function ignores the temperature
    run_at = [float(t) for t in temperatures] or [1.0]
    for temperature in run_at:
        for seed in seeds:
            runs[float(temperature), seed] = [np.asarray(e, np.float64) for e in _all_estimates(
                problem, jax.random.key(seed), float(temperature), num_samples, repeats)]
    for i, (name, (_, tempered)) in enumerate(ESTIMATORS.items()):
        if estimators is not None and name not in estimators:
            continue
        for temperature in (temperatures if tempered else [None]):
            at = run_at[0] if temperature is None else float(temperature)
            per_seed = [runs[at, seed][i] for seed in seeds]
            # ||mean - exact||^2 overstates the squared bias by the variance of the mean, tr(Cov) / repeats:
            # subtract it (an unbiased estimate of the squared bias), then take the root.
            biases = [np.sqrt(max(np.sum((e.mean(0) - exact) ** 2) - e.var(0, ddof=1).sum() / len(e), 0.0)) / norm
                      for e in per_seed]
            variances = [e.var(0, ddof=1).sum() / norm**2 for e in per_seed]
            pooled = np.concatenate(per_seed)
            mean, se = pooled.mean(0), pooled.std(0, ddof=1) / np.sqrt(len(pooled))
            n = len(seeds)
            rows.append({
                "estimator": name, "temperature": temperature,
                "bias": float(np.mean(biases)), "bias_se": float(np.std(biases, ddof=1) / np.sqrt(n)),
                "variance": float(np.mean(variances)), "variance_se": float(np.std(variances, ddof=1) / np.sqrt(n)),
                "mean": mean, "mean_se": se, "z_max": float(np.max(np.abs(mean - exact) / se)),
            })
    return rows
