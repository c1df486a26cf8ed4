"""Checks of 10-beyond-the-gaussian: the Gumbel-softmax, an inverse-CDF sampler, straight-through.

Same contract as every module of :mod:`vae_tutorial.exercises`: each ``check_*`` runs the reader's
function on cases whose answers are computed here independently and returns a
:class:`~vae_tutorial.exercises.feedback.Feedback` whose message names the likely mistake; a check
never raises.

* :func:`check_gumbel_softmax`: ``fn(key, logits, temperature)``, a relaxed one-hot sample.
* :func:`check_exponential_sampler`: ``fn(key, rate, num_samples)``, exponential draws by the inverse CDF.
* :func:`check_straight_through`: ``fn(relaxed)``, one-hot forward, the relaxed gradient backward.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from vae_tutorial.exercises.feedback import Wrong, as_array, call, exercise, fmt

__all__ = ["check_gumbel_softmax", "check_exponential_sampler", "check_straight_through"]

_LOGITS = np.array([1.0, 0.0, -1.0, 0.5])
_DRAWS = 20_000


def _argmax_frequencies(noise: np.ndarray) -> np.ndarray:
    return np.bincount((_LOGITS + noise).argmax(1), minlength=len(_LOGITS)) / len(noise)


def _noise_mistakes() -> list[tuple[str, np.ndarray]]:
    """Class frequencies of argmax(logits + noise) for the usual slips in the noise, by simulation (400,000 draws)."""
    u = np.random.default_rng(0).uniform(size=(400_000, len(_LOGITS)))
    return [
        ("Your noise looks like -log(u), an exponential variable, not Gumbel noise: the samples favour the likeliest "
         "class too much. Gumbel noise takes the log twice: g = -log(-log(u)).", _argmax_frequencies(-np.log(u))),
        ("Your noise looks like log(u) (negative exponential): Gumbel noise is g = -log(-log(u)), two logs and two "
         "minus signs.", _argmax_frequencies(np.log(u))),
        ("Your noise looks like log(-log(u)): a minus sign is missing in front, g = -log(-log(u)).",
         _argmax_frequencies(np.log(-np.log(u)))),
        ("Your noise looks like the uniform u itself: turn it into Gumbel noise, g = -log(-log(u)).",
         _argmax_frequencies(u)),
    ]


def _relaxed(fn, key, logits, temperature, what):
    return as_array(call(fn, key, jnp.asarray(logits, jnp.float32), temperature, what=what), what)


@exercise
def check_gumbel_softmax(fn):
    """Check ``fn(key, logits, temperature) -> y``: ``softmax((logits + g) / temperature)`` over the last axis, g Gumbel.

    On 20,000 rows of the same 4 logits: shape, key use, rows on the simplex (and the wrong axis),
    a nonzero gradient, the temperature's direction (near one-hot at 0.05, near uniform at 20), and
    the class frequencies of argmax(y) against softmax(logits) (4.5 standard errors), with the
    frequencies that the usual slips in the noise would give.
    """
    what = "gumbel_softmax(key, logits, temperature)"
    logits = np.tile(_LOGITS, (_DRAWS, 1))
    key = jax.random.key(0)
    y = _relaxed(fn, key, logits, 0.5, what)
    if y.shape != logits.shape:
        raise Wrong(f"{what} returned shape {y.shape} for logits of shape {logits.shape}: the sample has the shape "
                     "of the logits, one probability per class.")
    if not np.array_equal(y, _relaxed(fn, key, logits, 0.5, what)):
        raise Wrong("The same key gave different samples: draw the noise from `key` (jax.random.uniform(key, "
                     "logits.shape)), not from np.random.")
    if np.array_equal(y, _relaxed(fn, jax.random.key(1), logits, 0.5, what)):
        raise Wrong("Two different keys gave the same sample: your function draws no noise from `key` (or none "
                     "at all). Add Gumbel noise g = -log(-log(u)) with u = jax.random.uniform(key, logits.shape).")
    if (y < -1e-6).any():
        raise Wrong("Some entries are negative: a relaxed sample is a softmax, a probability vector.")
    rows, columns = y.sum(axis=-1), y.sum(axis=0)
    if not np.allclose(rows, 1.0, atol=1e-4):
        if np.allclose(columns, 1.0, atol=1e-4):
            raise Wrong("Your samples sum to 1 over the batch axis, not over the classes: the softmax runs over the "
                         "wrong axis. Use jax.nn.softmax(..., axis=-1), the class axis.")
        raise Wrong(f"Each sample should sum to 1 over the classes (a point of the simplex); yours sum to between "
                     f"{rows.min():.3g} and {rows.max():.3g}. Finish with a softmax over the last axis.")
    grad = as_array(call(jax.grad(lambda l: jnp.sum(jnp.asarray(fn(key, l, 0.5))[:5] * jnp.arange(4.0))),
                        jnp.asarray(logits, jnp.float32), what=f"jax.grad of {what}"), "the gradient")
    if np.abs(grad).max() < 1e-7:
        raise Wrong("The gradient with respect to the logits is zero: an argmax, a one_hot or a stop_gradient cuts "
                     "it. The relaxed sample is a softmax of (logits + g) / temperature, smooth in the logits.")
    cold = _relaxed(fn, key, logits, 0.05, what).max(axis=-1).mean()
    hot = _relaxed(fn, key, logits, 20.0, what).max(axis=-1).mean()
    if cold < hot:
        raise Wrong(f"At temperature 0.05 your samples are flatter (largest entry {cold:.2f} on average) than at 20 "
                     f"({hot:.2f}): the temperature multiplies the logits where it should divide them. "
                     "softmax((logits + g) / temperature): a low temperature sharpens the sample towards one-hot.")
    if cold < 0.95:
        raise Wrong(f"At temperature 0.05 the samples should be nearly one-hot; their largest entry is {cold:.2f} on "
                     "average. Divide (logits + g) by the temperature.")
    if hot > 0.5:
        raise Wrong(f"At temperature 20 the samples should be nearly uniform (largest entry near 0.25); yours "
                     f"average {hot:.2f}. Divide (logits + g) by the temperature.")
    frequencies = np.bincount(y.argmax(axis=-1), minlength=4) / _DRAWS
    p = np.exp(_LOGITS) / np.exp(_LOGITS).sum()
    se = np.sqrt(p * (1 - p) / _DRAWS)
    if np.all(np.abs(frequencies - p) < 4.5 * se):
        return (f"Rows on the simplex, gradients flow, the temperature divides, and argmax(y) picks each class as "
                f"often as softmax(logits) says: {fmt(frequencies)} against {fmt(p)} over 20,000 draws.")
    for message, wrong in _noise_mistakes():
        if np.all(np.abs(frequencies - wrong) < 4.5 * se + 0.003):
            raise Wrong(f"{message} (argmax frequencies {fmt(frequencies)}; softmax(logits) = {fmt(p)}.)")
    if frequencies.max() > 0.99:
        raise Wrong("argmax(y) is always the same class: the noise is missing or too small. Add g = -log(-log(u)).")
    raise Wrong(f"argmax(y) should pick class k with probability softmax(logits)_k = {fmt(p)}; over 20,000 draws "
                 f"yours picks {fmt(frequencies)}. Check the noise: g = -log(-log(u)) with u uniform on (0, 1).")


@exercise
def check_exponential_sampler(fn):
    """Check ``fn(key, rate, num_samples) -> z``: exponential draws ``-log(1 - u) / rate``, differentiable in the rate.

    20,000 draws at rates 2 and 0.5: shape, key use, positivity, the mean 1 / rate (4.5 standard
    errors), the distribution (the share below the median log(2) / rate), and the pathwise
    derivative of the mean, -1 / rate**2.
    """
    what = "exponential(key, rate, num_samples)"
    n, key = _DRAWS, jax.random.key(0)
    z = as_array(call(fn, key, 2.0, n, what=what), what)
    if z.shape != (n,):
        raise Wrong(f"{what} returned shape {z.shape}; expected ({n},): one draw per sample.")
    if not np.array_equal(z, as_array(call(fn, key, 2.0, n, what=what), what)):
        raise Wrong("The same key gave different draws: draw u with jax.random.uniform(key, (num_samples,)).")
    if np.array_equal(z, as_array(call(fn, jax.random.key(1), 2.0, n, what=what), what)):
        raise Wrong("Two different keys gave the same draws: use the `key` argument for u.")
    if (z <= 0).all():
        raise Wrong("All your draws are negative: log(u) is negative for u in (0, 1), so the inverse CDF has a minus "
                     "sign, z = -log(1 - u) / rate.")
    if (z < 0).any():
        raise Wrong("Some draws are negative; an exponential variable is positive: z = -log(1 - u) / rate.")
    if ((z > 0) & (z < 1)).all() and abs(z.mean() - 0.5) < 0.02 and z.std() > 0.25:
        raise Wrong("Your draws look uniform on (0, 1): you returned u. Push it through the inverse CDF, "
                     "z = -log(1 - u) / rate.")
    means = {}
    for rate in (2.0, 0.5):
        draws = as_array(call(fn, key, rate, n, what=what), what)
        means[rate] = draws.mean()
        if abs(means[rate] - 1 / rate) > 4.5 / rate / math.sqrt(n):
            if abs(means[rate] - rate) < 4.5 * rate / math.sqrt(n):
                raise Wrong(f"At rate {rate} your draws average {means[rate]:.3f}, the rate itself: you multiplied by "
                             f"the rate. The mean of an exponential is 1 / rate: z = -log(1 - u) / rate.")
            raise Wrong(f"At rate {rate} the draws should average 1 / rate = {1 / rate:.3f} (within "
                         f"{4.5 / rate / math.sqrt(n):.3f}); yours average {means[rate]:.3f}.")
        below = np.mean(draws < math.log(2) / rate)
        if abs(below - 0.5) > 4.5 * 0.5 / math.sqrt(n):
            raise Wrong(f"Half of all exponential draws lie below the median log(2) / rate; {below:.1%} of yours do. "
                         "The mean is right but the shape is not: use z = -log(1 - u) / rate with u uniform.")
    derivative = call(jax.grad(lambda r: jnp.mean(jnp.asarray(fn(key, r, n)))), jnp.float32(2.0),
                       what=f"jax.grad of the mean of {what}")
    derivative = float(as_array(derivative, "the derivative").ravel()[0])
    if abs(derivative) < 1e-8:
        raise Wrong("The derivative of the mean with respect to the rate is zero: your draws are cut off from the "
                     "rate (NumPy, or a stop_gradient). Compute z = -log(1 - u) / rate in jnp.")
    if abs(derivative + 0.25) > 4.5 * 0.25 / math.sqrt(n):
        raise Wrong(f"d/d(rate) of the mean should be about -1 / rate**2 = -0.25 at rate 2; yours is {derivative:.4f}.")
    return (f"Means {means[2.0]:.3f} and {means[0.5]:.3f} at rates 2 and 0.5 (1 / rate: 0.5 and 2), half the draws "
            f"below the median, and the pathwise derivative of the mean {derivative:.4f} (exact -1 / rate**2 = -0.25).")


@exercise
def check_straight_through(fn):
    """Check ``fn(relaxed) -> y``: exactly ``one_hot(argmax(relaxed))`` forward, the gradient of ``relaxed`` backward.

    On a batch of relaxed samples ``[6, 5]``: the values (one-hot at each row's argmax, over the last
    axis) and the Jacobian, which must be the identity (the gradient passes straight through).
    """
    what = "straight_through(relaxed)"
    rng = np.random.default_rng(0)
    raw = rng.gamma(0.5, size=(6, 5))
    relaxed = jnp.asarray(raw / raw.sum(-1, keepdims=True), jnp.float32)
    y = as_array(call(fn, relaxed, what=what), what)
    one_hot = np.eye(5)[np.asarray(relaxed).argmax(-1)]
    if y.shape != relaxed.shape:
        raise Wrong(f"{what} returned shape {y.shape}; expected {tuple(relaxed.shape)}, the shape of the relaxed sample.")
    if np.allclose(y, np.asarray(relaxed), atol=1e-6):
        raise Wrong("Your function returns the relaxed sample unchanged: the forward value must be the one-hot "
                     "vector of its largest entry, jax.nn.one_hot(jnp.argmax(relaxed, -1), num_classes).")
    if not np.allclose(y, one_hot, atol=1e-6):
        wrong_axis = np.eye(6)[np.asarray(relaxed).argmax(0)].T
        if y.shape == wrong_axis.shape and np.allclose(y, wrong_axis, atol=1e-6):
            raise Wrong("Your one-hot vectors mark the largest entry of each column: take the argmax over the last "
                         "axis (the classes), jnp.argmax(relaxed, axis=-1).")
        raise Wrong(f"The forward value should be one-hot at each row's largest entry; row 0 is {fmt(y[0])}, "
                     f"expected {fmt(one_hot[0])}.")
    jacobian = as_array(call(jax.jacobian(lambda r: jnp.asarray(fn(r))[0]), relaxed, what=f"jax.jacobian of {what}"),
                      "the Jacobian")[:, 0, :]
    if np.abs(jacobian).max() < 1e-8:
        raise Wrong("No gradient reaches the relaxed sample: the one-hot vector alone has derivative zero. Add the "
                     "relaxed sample minus itself under stop_gradient: one_hot + relaxed - stop_gradient(relaxed).")
    if np.allclose(jacobian, -np.eye(5), atol=1e-5):
        raise Wrong("The gradient passes with the wrong sign: you subtracted the relaxed sample and added its "
                     "stop_gradient. Write one_hot + (relaxed - stop_gradient(relaxed)).")
    if not np.allclose(jacobian, np.eye(5), atol=1e-5):
        raise Wrong(f"The gradient of the output with respect to the relaxed sample should be the identity (it passes "
                     f"straight through); row 0 of yours is {fmt(jacobian[0])}.")
    return "Exactly one-hot on the way forward, the relaxed sample's gradient (the identity) on the way back."
