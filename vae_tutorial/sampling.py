"""Sampling with the reparameterization trick, and two Monte Carlo gradient estimators.

Introduced in 04-reparameterization-trick (``reparameterize``) and 05-why-it-works (the
estimators, and ``repeated_estimates``, ``estimator_variance`` and ``compare_estimators``, which
measure how noisy they are).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from vae_tutorial._checks import check_positive_int, is_traced

__all__ = [
    "reparameterize", "pathwise_gradient", "score_function_gradient", "pathwise_from_noise",
    "score_function_from_noise", "repeated_estimates", "estimator_variance", "compare_estimators",
]


def reparameterize(key: jax.Array, mean: jax.Array, log_var: jax.Array) -> jax.Array:
    """Draw z ~ N(mean, diag(exp(log_var))) as a differentiable function of mean and log_var.

    The noise eps ~ N(0, I) is drawn independently of the model, then shifted and scaled:
    ``z = mean + std * eps`` with the standard deviation ``std = exp(log_var / 2)``.

    Args:
        key: a JAX random key.
        mean: ``[..., latent]`` means.
        log_var: ``[..., latent]`` log-variances, same shape as ``mean``.

    Returns:
        ``[..., latent]`` samples, shaped like ``mean``.

    Raises:
        ValueError: if ``mean`` and ``log_var`` differ in shape, or (for concrete values, outside
            ``jax.jit``) if a ``log_var`` is so large that ``exp(log_var / 2)`` overflows (above about
            177 in float32). Inside ``jax.jit`` the values are unknown and such a draw is ``inf``.

    References:
        Kingma and Welling, "Auto-Encoding Variational Bayes", 2013 (arXiv:1312.6114);
        Rezende, Mohamed and Wierstra, "Stochastic Backpropagation and Approximate
        Inference in Deep Generative Models", 2014 (arXiv:1401.4082).
    """
    _check_mean_and_log_var(mean, log_var)
    eps = jax.random.normal(key, jnp.shape(mean), dtype=jnp.result_type(mean))
    return mean + jnp.exp(0.5 * log_var) * eps


def _check_mean_and_log_var(mean, log_var) -> None:
    """The same shapes, and (for concrete values) a log_var whose standard deviation exp(log_var / 2) is finite."""
    if jnp.shape(mean) != jnp.shape(log_var):
        raise ValueError(f"mean and log_var must have the same shape, got {jnp.shape(mean)} and {jnp.shape(log_var)}")
    if is_traced(log_var):
        return
    dtype = jnp.result_type(log_var)
    dtype = dtype if jnp.issubdtype(dtype, jnp.floating) else jnp.dtype(jnp.float32)
    limit = 2.0 * float(np.log(np.finfo(dtype).max))
    largest = float(np.nanmax(np.asarray(log_var, dtype=np.float64), initial=-np.inf))
    if largest > limit:
        raise ValueError(f"log_var must be at most {limit:.1f} where exp(log_var / 2) overflows {dtype}; got "
                         f"{largest:g} (a log-variance that large is a diverged encoder: check the learning rate)")


# --------------------------------------------------------------------------------------------
# Monte Carlo gradient estimators for d/d(mean, std) E_{z ~ N(mean, std^2)}[f(z)]
# --------------------------------------------------------------------------------------------


def pathwise_gradient(f, mean, std, *, key: jax.Array, num_samples: int) -> tuple[jax.Array, jax.Array]:
    """Pathwise (reparameterization) estimate of the gradient of E_{z ~ N(mean, std^2)}[f(z)].

    Writes z = mean + std * eps with eps ~ N(0, I), which does not depend on (mean, std), so the
    gradient moves inside the expectation:
    ``grad E[f(z)] = E_eps[grad_{mean, std} f(mean + std * eps)]``. The estimate is the gradient
    of the Monte Carlo average ``1/S * sum_s f(mean + std * eps_s)``, which equals the average of
    the per-sample gradients. Needs f to be written in JAX, continuous, and differentiable almost
    everywhere with a derivative of finite expectation (a kink, as in ReLU, is fine). For an f that
    jumps, such as a step, the estimate is silently wrong: zero for a step.

    Introduced in 05-why-it-works.

    Args:
        f: a function from one sample ``z``, shaped like ``mean``, to a scalar. It is mapped over
            the samples with ``jax.vmap`` and differentiated with ``jax.grad``.
        mean: ``[...]`` means of the independent Gaussian coordinates (a scalar is allowed).
        std: ``[...]`` standard deviations (not variances), same shape as ``mean``, all > 0.
        key: a JAX random key for the noise eps.
        num_samples: S >= 1, the number of Monte Carlo samples. It sets an array shape, so mark
            it static under ``jax.jit`` (``static_argnames="num_samples"``).

    Returns:
        ``(grad_mean, grad_std)``: the estimated gradient with respect to ``mean`` and ``std``,
        shaped like ``mean`` and ``std``.

    Raises:
        TypeError: if ``f`` is not callable or ``num_samples`` is not an integer.
        ValueError: if ``mean`` and ``std`` differ in shape, ``num_samples < 1``, ``f`` does not
            return a scalar, or (outside ``jax.jit``) ``std`` has an entry <= 0 or NaN.

    References:
        Mohamed, Rosca, Figurnov and Mnih, "Monte Carlo Gradient Estimation in Machine Learning",
        JMLR 21(132), 2020, section 5 (arXiv:1906.10652);
        Kingma and Welling, "Auto-Encoding Variational Bayes", 2013 (arXiv:1312.6114).
    """
    mean, std, num_samples = _check_estimator_args(f, mean, std, num_samples, "pathwise_gradient")
    return _run_estimator(pathwise_from_noise, f, mean, std, key, num_samples)


def score_function_gradient(f, mean, std, *, key: jax.Array, num_samples: int,
                            baseline=0.0) -> tuple[jax.Array, jax.Array]:
    """Score-function (REINFORCE, log-derivative) estimate of the gradient of E_{z ~ N(mean, std^2)}[f(z)].

    Uses ``grad p = p * grad log p`` to write the gradient as an expectation under the
    same distribution: ``grad E[f(z)] = E_z[f(z) * grad_{mean, std} log N(z; mean, std^2)]`` with
    the score ``(z - mean) / std**2`` for the mean and ``((z - mean)**2 - std**2) / std**3`` for
    the standard deviation. Only evaluates f, so f may be non-differentiable or a black box
    (it must still be a JAX function, because it is mapped with ``jax.vmap``).

    Since the score has expectation zero, subtracting a constant ``baseline`` from f keeps the
    estimate unbiased and can reduce its variance (a control variate). The default, 0, is the
    plain estimator.

    Introduced in 05-why-it-works.

    Args:
        f: a function from one sample ``z``, shaped like ``mean``, to a scalar. It is mapped over
            the samples with ``jax.vmap``; it is never differentiated.
        mean: ``[...]`` means of the independent Gaussian coordinates (a scalar is allowed).
        std: ``[...]`` standard deviations (not variances), same shape as ``mean``, all > 0.
        key: a JAX random key for the samples.
        num_samples: S >= 1, the number of Monte Carlo samples. It sets an array shape, so mark
            it static under ``jax.jit`` (``static_argnames="num_samples"``).
        baseline: a scalar subtracted from every f(z) (default 0: the plain estimator). It must
            not depend on the samples drawn with ``key``, or the estimate is biased.

    Returns:
        ``(grad_mean, grad_std)``: the estimated gradient with respect to ``mean`` and ``std``,
        shaped like ``mean`` and ``std``.

    Raises:
        TypeError: if ``f`` is not callable or ``num_samples`` is not an integer.
        ValueError: if ``mean`` and ``std`` differ in shape, ``num_samples < 1``, ``f`` does not
            return a scalar, ``baseline`` is not a scalar, or (outside ``jax.jit``) ``std`` has
            an entry <= 0 or NaN.

    References:
        Mohamed, Rosca, Figurnov and Mnih, "Monte Carlo Gradient Estimation in Machine Learning",
        JMLR 21(132), 2020, section 4 (arXiv:1906.10652);
        Williams, "Simple Statistical Gradient-Following Algorithms for Connectionist
        Reinforcement Learning", Machine Learning 8, 1992.
    """
    mean, std, num_samples = _check_estimator_args(f, mean, std, num_samples, "score_function_gradient")
    if jnp.ndim(baseline) != 0:
        raise ValueError(f"score_function_gradient: baseline must be a scalar, got shape {jnp.shape(baseline)}")
    return _run_estimator(score_function_from_noise, f, mean, std, key, num_samples, baseline)


def pathwise_from_noise(f, mean, std, eps):
    """The pathwise estimate for given noise: grad_{mean, std} of (1/S) sum_s f(mean + std * eps_s).

    The core of :func:`pathwise_gradient` (shown in 05-why-it-works), without argument checks.

    Args:
        f: a JAX function from one sample z (shaped like ``mean``) to a scalar.
        mean, std: the Gaussian's parameters, same shape.
        eps: ``[S, *mean.shape]`` draws of N(0, I).

    Returns:
        ``(d_mean, d_std)``, each shaped like ``mean``.
    """

    def monte_carlo_average(mean, std):
        z = mean + std * eps  # [S, ...]: the reparameterized samples
        return jnp.mean(jax.vmap(f)(z))

    return jax.grad(monte_carlo_average, argnums=(0, 1))(mean, std)


def score_function_from_noise(f, mean, std, eps, baseline=0.0):
    """The score-function estimate for given noise: (1/S) sum_s (f(z_s) - b) grad_{mean, std} log N(z_s; mean, std^2).

    With ``z_s = mean + std * eps_s``. The core of :func:`score_function_gradient` (shown in
    05-why-it-works), without argument checks; ``baseline`` is the constant b.

    Returns:
        ``(d_mean, d_std)``, each shaped like ``mean``.
    """
    z = mean + std * eps  # [S, ...]: samples from N(mean, std^2)
    fz = jax.lax.stop_gradient(jax.vmap(f)(z)) - baseline  # [S]: only values of f are used
    fz = fz.reshape(-1, *([1] * jnp.ndim(mean)))  # [S, 1, ...] to broadcast over the coordinates
    score_mean = (z - mean) / std**2  # = eps / std
    score_std = ((z - mean) ** 2 - std**2) / std**3  # = (eps**2 - 1) / std
    return jnp.mean(fz * score_mean, axis=0), jnp.mean(fz * score_std, axis=0)


def _check_std(std, name):
    """Outside ``jax.jit``: raise a clear error if ``std`` has an entry that is NaN or <= 0."""
    if not is_traced(std):
        values = np.asarray(std)
        if np.isnan(values).any():
            raise ValueError(f"{name}: std contains NaN")
        if (values <= 0).any():
            raise ValueError(f"{name}: std must be > 0 everywhere (a standard deviation), got min {values.min():.3g}")


def _check_estimator_args(f, mean, std, num_samples, name):
    """Check the estimators' arguments; return float ``mean`` and ``std`` and the checked ``num_samples``."""
    if not callable(f):
        raise TypeError(f"{name}: f must be a function from z (shaped like mean) to a scalar, got {type(f).__name__}")
    num_samples = check_positive_int(num_samples, "num_samples")
    dtype = jnp.result_type(mean, std, jnp.float32)
    mean, std = jnp.asarray(mean, dtype), jnp.asarray(std, dtype)
    if mean.shape != std.shape:
        raise ValueError(f"{name}: mean and std must have the same shape, got {mean.shape} and {std.shape}")
    _check_std(std, name)
    out = jax.eval_shape(f, jax.ShapeDtypeStruct(mean.shape, dtype))
    if not hasattr(out, "shape") or out.shape != ():
        shape = getattr(out, "shape", type(out).__name__)
        raise ValueError(f"{name}: f must return a scalar for one sample z of shape {mean.shape}, got {shape}")
    return mean, std, num_samples


def _run_estimator(from_noise, f, mean, std, key, num_samples, *baseline):
    """Draw eps ``[S, *mean.shape]`` from ``key`` and apply ``from_noise``: one compiled program per ``f`` and S.

    Run eagerly, JAX would compile each of the estimate's operations on its own, for every new
    sample count; compiled whole it is one program (the same values). An ``f`` that cannot be
    hashed (a callable object with ``__eq__`` but no ``__hash__``) runs eagerly instead.
    """
    try:
        hash(f)
    except TypeError:
        return _estimate(from_noise, f, num_samples, mean, std, key, *baseline)
    return _estimate_compiled(from_noise, f, num_samples, mean, std, key, *baseline)


def _estimate(from_noise, f, num_samples, mean, std, key, *baseline):
    eps = jax.random.normal(key, (num_samples, *mean.shape), dtype=mean.dtype)
    return from_noise(f, mean, std, eps, *baseline)


_estimate_compiled = jax.jit(_estimate, static_argnums=(0, 1, 2))


# --------------------------------------------------------------------------------------------
# Measuring the estimators: many independent estimates, and their variance
# --------------------------------------------------------------------------------------------


def repeated_estimates(estimator, f, mean, std, *, key: jax.Array, num_samples: int, repeats: int,
                       data=None, baseline=None) -> tuple[jax.Array, jax.Array]:
    """``repeats`` independent estimates of the same gradient, each from ``num_samples`` samples.

    Calls ``estimator(f, mean, std, key=k, num_samples=num_samples)`` once for each of ``repeats``
    independent keys ``k`` (in one compiled, vectorised call). How the estimates scatter around
    the exact gradient is the estimator's noise.

    With ``data``, each row is a problem of its own: row ``i`` estimates the gradient of
    ``E_{z ~ N(mean[i], std[i]^2)}[f(z, data[i])]`` with its own samples, as a VAE's
    reconstruction loss is one expectation per image.

    Introduced in 05-why-it-works.

    Args:
        estimator: ``pathwise_gradient`` or ``score_function_gradient``.
        f: a function from one sample ``z`` to a scalar, as for the estimator; with ``data``, a
            function ``f(z, row)`` of one sample and one row of ``data``. The compiled code is reused
            by later calls with the same ``estimator``, ``f``, ``num_samples`` and ``repeats``.
        mean: ``[...]`` means (a scalar is allowed); with ``data``, ``[n, ...]``, one row per problem.
        std: standard deviations, same shape as ``mean``, all > 0.
        key: a JAX random key; the estimates use independent keys split from it.
        num_samples: S >= 1, the samples in each estimate.
        repeats: R >= 1, the number of independent estimates.
        data: optionally ``[n, ...]``, one row per problem (see above).
        baseline: optionally passed on to the estimator (only ``score_function_gradient`` takes
            one): a scalar, or with ``data`` one scalar per row, ``[n]``.

    Returns:
        ``(grad_mean, grad_std)``, each ``[R, *mean.shape]``: estimate ``r`` is row ``r``.

    Raises:
        TypeError: if ``num_samples`` or ``repeats`` is not an integer.
        ValueError: if ``num_samples`` or ``repeats`` is < 1, ``std`` has an entry <= 0 or NaN,
            ``mean`` and ``std`` differ in shape, or ``data`` or ``baseline`` do not have one row
            per row of ``mean`` (and as for the estimator).
    """
    num_samples, repeats, mean, std = _check_repeats_args(num_samples, repeats, mean, std, data, baseline,
                                                          "repeated_estimates")
    return _repeated_estimates(estimator, f, num_samples, repeats, mean, std, data, baseline, key)


def _check_repeats_args(num_samples, repeats, mean, std, data, baseline, name):
    """The checks of ``repeated_estimates``; returns ``(num_samples, repeats, mean, std)`` with mean and std as arrays."""
    num_samples = check_positive_int(num_samples, "num_samples")
    repeats = check_positive_int(repeats, "repeats")
    dtype = jnp.result_type(mean, std, jnp.float32)
    mean, std = jnp.asarray(mean, dtype), jnp.asarray(std, dtype)
    _check_std(std, name)
    if data is not None:
        if mean.shape != std.shape:
            raise ValueError(f"{name}: mean and std must have the same shape, got {mean.shape} and {std.shape}")
        rows = mean.shape[0] if mean.ndim else None
        if rows is None or jnp.ndim(data) == 0 or jnp.shape(data)[0] != rows:
            raise ValueError(f"{name}: with data, mean, std and data need the same number of rows, "
                             f"got mean {mean.shape} and data {jnp.shape(data)}")
        if baseline is not None and jnp.shape(baseline) != (rows,):
            raise ValueError(f"{name}: with data, baseline needs one value per row, shape ({rows},), "
                             f"got {jnp.shape(baseline)}")
    return num_samples, repeats, mean, std


def _repeated_body(estimator, f, num_samples, repeats, mean, std, data, baseline, key):
    """The core of ``repeated_estimates`` (arguments already checked), traced inside a compiled program."""

    def one_problem(f, mean, std, baseline, key):
        extra = {} if baseline is None else {"baseline": baseline}
        return estimator(f, mean, std, key=key, num_samples=num_samples, **extra)

    def one_estimate(key):
        if data is None:
            return one_problem(f, mean, std, baseline, key)
        keys = jax.random.split(key, mean.shape[0])  # one independent key per row
        return jax.vmap(lambda m, s, row, b, k: one_problem(lambda z: f(z, row), m, s, b, k))(
            mean, std, data, baseline, keys)

    return jax.vmap(one_estimate)(jax.random.split(key, repeats))


_repeated_estimates = jax.jit(_repeated_body, static_argnums=(0, 1, 2, 3))


@functools.partial(jax.jit, static_argnums=(0, 1, 2, 3))
def _repeated_estimates_many(estimators, f, num_samples, repeats, mean, std, data, baselines, key):
    """``_repeated_body`` for several estimators (a tuple) in one program, from the same key."""
    return tuple(_repeated_body(estimator, f, num_samples, repeats, mean, std, data, baseline, key)
                 for estimator, baseline in zip(estimators, baselines))


def estimator_variance(estimator, f, mean, std, *, key: jax.Array, num_samples: Sequence[int], repeats: int,
                       data=None, baseline=None) -> tuple[np.ndarray, np.ndarray]:
    """How noisy an estimator is: the variance of its estimates, for each number of samples S.

    Both estimators in this module average S independent one-sample terms, so an S-sample estimate
    is the average of S independent one-sample estimates. This function draws
    ``N = max(num_samples) * repeats`` one-sample estimates once, with ``repeated_estimates``, and
    averages them in disjoint groups of S. That gives ``N // S`` independent S-sample estimates for
    each S: ``repeats`` at the largest S and proportionally more at smaller S, all from the same
    N samples. The variance is taken over them (in float64, with ``ddof=1``), coordinate by
    coordinate.

    Variances estimated this way are themselves random: with R estimates of a roughly Gaussian
    spread, their relative standard error is about ``sqrt(2 / (R - 1))``, and it is larger when the
    one-sample terms have heavy tails, as the score-function terms do.

    Introduced in 05-why-it-works.

    Args:
        estimator, f, mean, std, data, baseline: as for ``repeated_estimates``.
        key: a JAX random key.
        num_samples: the sample counts S to measure, each >= 1, e.g. ``[1, 10, 100]``.
        repeats: R >= 2, the number of independent estimates at the largest S.

    Returns:
        ``(var_mean, var_std)``: NumPy float64 arrays ``[len(num_samples), *mean.shape]``, the
        variance of the estimates of the gradient with respect to ``mean`` and ``std`` at each S.

    Raises:
        TypeError: if ``num_samples`` is not a sequence of integers or ``repeats`` is not an integer.
        ValueError: if ``num_samples`` is empty or has an entry < 1, ``repeats < 2``, or as for
            ``repeated_estimates``.
    """
    counts, total = _check_counts(num_samples, repeats, "estimator_variance")
    singles = repeated_estimates(estimator, f, mean, std, key=key, num_samples=1, repeats=total,
                                 data=data, baseline=baseline)
    return _variances(singles, counts)


def compare_estimators(estimators, f, mean, std, *, key: jax.Array, num_samples: Sequence[int], repeats: int,
                       data=None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``estimator_variance`` for several estimators at once, on the same noise, in one compiled program.

    Each estimator gets the numbers ``estimator_variance`` gives it with this ``key`` (the same
    draws: a paired comparison), from one compiled program instead of one per estimator.

    Args:
        estimators: a mapping from a name to an estimator, or to a pair ``(estimator, baseline)``
            with ``baseline`` as for ``repeated_estimates`` (``None`` for none).
        f, mean, std, key, num_samples, repeats, data: as for ``estimator_variance``.

    Returns:
        ``{name: (var_mean, var_std)}`` in the order of ``estimators``, as ``estimator_variance`` returns.

    Raises:
        ValueError: if ``estimators`` is empty; TypeError: if an entry is neither an estimator nor
            ``(estimator, baseline)``; and as for ``estimator_variance``.
    """
    name = "compare_estimators"
    if not isinstance(estimators, dict) or not estimators:
        raise ValueError(f"{name}: estimators must be a non-empty dict from a name to an estimator, or to a pair "
                         f"(estimator, baseline); got {estimators!r}")
    pairs = {label: entry if isinstance(entry, tuple) and len(entry) == 2 else (entry, None)
             for label, entry in estimators.items()}
    for label, (estimator, _) in pairs.items():
        if not callable(estimator):
            raise TypeError(f"{name}: {label!r} should map to an estimator or (estimator, baseline), "
                            f"got {estimators[label]!r}")
    counts, total = _check_counts(num_samples, repeats, name)
    for _, baseline in pairs.values():
        *_, checked_mean, checked_std = _check_repeats_args(1, total, mean, std, data, baseline, name)
    singles = _repeated_estimates_many(tuple(e for e, _ in pairs.values()), f, 1, total, checked_mean, checked_std,
                                       data, tuple(b for _, b in pairs.values()), key)
    return {label: _variances(s, counts) for label, s in zip(pairs, singles)}


def _check_counts(num_samples, repeats, name) -> tuple[list[int], int]:
    """The checked sample counts and the one-sample estimates they need, ``max(counts) * repeats``."""
    if isinstance(num_samples, (int, np.integer)) or not isinstance(num_samples, Sequence):
        raise TypeError(f"{name}: num_samples must be a sequence of sample counts, e.g. [1, 10, 100], "
                        f"got {num_samples!r}")
    if len(num_samples) == 0:
        raise ValueError(f"{name}: num_samples must name at least one sample count")
    counts = [check_positive_int(n, "num_samples") for n in num_samples]
    repeats = check_positive_int(repeats, "repeats")
    if repeats < 2:
        raise ValueError(f"{name}: a variance needs repeats >= 2, got {repeats}")
    return counts, max(counts) * repeats


def _variances(singles, counts) -> tuple[np.ndarray, np.ndarray]:
    """``(var_mean, var_std)`` of the S-sample estimates made from one-sample ones, for each S in ``counts``."""
    grad_mean, grad_std = (np.asarray(g, dtype=np.float64) for g in singles)
    return tuple(np.stack([_group_means(g, n).var(axis=0, ddof=1) for n in counts]) for g in (grad_mean, grad_std))


def _group_means(singles: np.ndarray, n: int) -> np.ndarray:
    """Means of disjoint groups of ``n`` consecutive rows of ``singles`` ``[N, ...]``: ``[N // n, ...]``."""
    groups = singles.shape[0] // n
    return singles[: groups * n].reshape(groups, n, *singles.shape[1:]).mean(axis=1)


# Discrete and relaxed samples (10-beyond-the-gaussian) live in their own module, reached from here too.
from vae_tutorial.categorical import (EstimatorProblem, estimator_study, exact_gradient,  # noqa: E402
                                      gumbel_softmax, straight_through)

__all__ += ["gumbel_softmax", "straight_through", "EstimatorProblem", "exact_gradient", "estimator_study"]
