"""Self-checks for the exercises: run the reader's function on cases with known answers and say what is wrong.

Each ``check_*`` function takes the reader's function, calls it on inputs whose right answer is
computed here independently (values, shapes, statistics over many draws with tolerances from
standard errors, gradients through ``jax.grad``), and returns a :class:`Feedback`: ``.passed``
(bool) and ``.message`` (str), shown in Jupyter as a green or red note. When the answer is wrong
the message names the likely mistake (the variance where the standard deviation belongs, a KL with
the wrong sign, a loss averaged over pixels, ...). A check never raises on a wrong answer, and an
exception raised by the reader's code is reported, not re-raised.

Introduced in 01-autoencoder; every lesson notebook ends with exercises that use these checks.

Example:
    >>> def reparameterize(key, mean, log_var):
    ...     return mean + jnp.exp(0.5 * log_var) * jax.random.normal(key, jnp.shape(mean))
    >>> check_reparameterize(reparameterize).passed
    True
"""

from __future__ import annotations

import functools
import html
import math
import traceback

import jax
import jax.numpy as jnp
import numpy as np

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
]

PIXELS = 784


class Feedback:
    """The result of a check: ``passed`` (bool) and ``message`` (str).

    Shown in Jupyter as a green note ("Passed") or a red one ("Not yet"); the words and the
    symbol say it too, so the colour is never the only signal. ``bool(feedback)`` is ``passed``.
    """

    def __init__(self, passed: bool, message: str, *, check: str = ""):
        self.passed = bool(passed)
        self.message = str(message)
        self.check = check

    def __bool__(self) -> bool:
        return self.passed

    @property
    def _verdict(self) -> str:
        return "Passed" if self.passed else "Not yet"

    def __repr__(self) -> str:
        where = f" ({self.check})" if self.check else ""
        return f"{self._verdict}{where}: {self.message}"

    def _repr_html_(self) -> str:
        if self.passed:
            border, background, ink, mark = "#1a7f37", "#dafbe1", "#0a3622", "&#10004;"
        else:
            border, background, ink, mark = "#cf222e", "#ffebe9", "#5c0a10", "&#10008;"
        where = f" <code>{html.escape(self.check)}</code>" if self.check else ""
        body = html.escape(self.message).replace("\n", "<br>")
        return (f'<div style="border-left: 6px solid {border}; background: {background}; color: {ink}; '
                f'padding: 0.5em 0.9em; margin: 0.3em 0; border-radius: 3px; font-family: sans-serif;">'
                f"<b>{mark} {self._verdict}</b>{where}<br>{body}</div>")


class _Wrong(Exception):
    """Raised inside a check to stop it with a failing message."""


def _check(func):
    """Turn a check body into a function that always returns a Feedback (never raises)."""

    @functools.wraps(func)
    def wrapper(fn, *args, **kwargs):
        name = func.__name__
        if not callable(fn):
            return Feedback(False, f"Pass your function itself, not {type(fn).__name__} (no parentheses: "
                                   f"{name}(my_function), not {name}(my_function())).", check=name)
        try:
            message = func(fn, *args, **kwargs)
        except _Wrong as wrong:
            return Feedback(False, str(wrong), check=name)
        except Exception as error:  # a bug in the check's reading of an odd output: still no raise
            return Feedback(False, "The check could not make sense of your function's output "
                                   f"({type(error).__name__}: {error}). Compare its type and shape with "
                                   "what the exercise asks for.", check=name)
        return Feedback(True, message, check=name)

    return wrapper


_TRACER_ERRORS = ("TracerArrayConversionError", "ConcretizationTypeError", "TracerBoolConversionError",
                  "TracerIntegerConversionError")


def _call(fn, *args, what: str = "your function"):
    """Call the reader's function; turn any exception into a kind, specific failing message."""
    try:
        return fn(*args)
    except NotImplementedError:
        raise _Wrong("Not attempted yet: your function still raises NotImplementedError, the placeholder "
                     "of the exercise. Replace that line with your code, run the cell, then run this check "
                     "again.") from None
    except Exception as error:
        kind = type(error).__name__
        first = (str(error).strip().splitlines() or [""])[0][:300]
        frames = traceback.extract_tb(error.__traceback__)[1:]  # [0] is this function's own call
        line = next((f" (in line {f.lineno}: {f.line.strip()})" for f in reversed(frames)
                     if f.line and "site-packages" not in f.filename and f.filename != __file__), "")
        advice = "Read the last lines of the error, fix the function and run the check again."
        if kind in _TRACER_ERRORS:
            advice = ("Under jax.grad the inputs are tracers, not numbers: do not convert them with "
                      "np.asarray, float() or NumPy functions, and do not branch on their values. "
                      "Use jnp and jax.random instead of np and np.random.")
        raise _Wrong(f"{what} raised {kind}: {first}{line}. {advice}") from None


def _array(value, what: str) -> np.ndarray:
    """The reader's output as a float64 NumPy array, or a failing message that says what came back."""
    if value is None:
        raise _Wrong(f"{what} returned None: did you forget the `return` statement?")
    if isinstance(value, tuple):
        raise _Wrong(f"{what} returned a tuple of {len(value)} items; expected one array.")
    try:
        out = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise _Wrong(f"{what} returned {type(value).__name__}, which is not an array of numbers.") from None
    if np.isnan(out).any():
        raise _Wrong(f"{what} returned NaN: a log of a negative number or of 0, or a square root of a "
                     "negative number, somewhere in the computation.")
    if np.isinf(out).any():
        raise _Wrong(f"{what} returned an infinite value: a log of 0 or an exp that overflowed.")
    return out


def _close(out, value, *, rtol=1e-4, atol=1e-5) -> bool:
    value = np.asarray(value, dtype=np.float64)
    return out.shape == value.shape and bool(np.allclose(out, value, rtol=rtol, atol=atol))


def _diagnose(out, mistakes, *, rtol=1e-4, atol=1e-5):
    """Raise with the message of the first known mistake whose output equals ``out``."""
    for message, value in mistakes:
        if _close(out, value, rtol=rtol, atol=atol):
            raise _Wrong(message)


def _fmt(values) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in np.ravel(values)) + ")"


def _shape_error(out, expected, what, hints=()) -> None:
    if out.shape == tuple(expected):
        return
    for shape, message in hints:
        if out.shape == tuple(shape):
            raise _Wrong(message)
    raise _Wrong(f"{what} returned shape {out.shape}; expected {tuple(expected)}.")


# ------------------------------------------------------------------------------------------------
# 01: the autoencoder
# ------------------------------------------------------------------------------------------------


class _TinyAutoencoder:
    """A stand-in for ``models.Autoencoder`` with the same methods: linear layers with fixed random weights.

    Building a real Flax model costs seconds on first use; this costs nothing and behaves the same way
    for a check (``encode``/``code`` to ``[n, 2]``, ``decode_logits``/``decode`` to ``[n, 28, 28]``).
    """

    latent_dim, is_variational = 2, False

    def __init__(self, seed: int = 0, outputs: int = 2):
        rng = np.random.default_rng(seed)
        self._w_in = jnp.asarray(rng.normal(0, 0.05, size=(PIXELS, outputs)), jnp.float32)
        self._w_out = jnp.asarray(rng.normal(0, 1.0, size=(2, PIXELS)), jnp.float32)
        self._b_out = jnp.asarray(rng.normal(0, 0.5, size=PIXELS), jnp.float32)

    def _flat(self, images):
        return jnp.reshape(jnp.asarray(images, jnp.float32), (len(images), PIXELS))

    def encode(self, images):
        return self._flat(images) @ self._w_in

    def code(self, images):
        return self.encode(images)

    def decode_logits(self, z):
        z = jnp.atleast_2d(jnp.asarray(z, jnp.float32))
        return (z @ self._w_out + self._b_out).reshape(-1, 28, 28)

    def decode(self, z):
        return jax.nn.sigmoid(self.decode_logits(z))

    def __call__(self, images):
        return self.decode_logits(self.encode(images))


class _TinyVAE(_TinyAutoencoder):
    """A stand-in for ``models.VAE``: ``encode`` gives ``(mean, log_var)``; ``code`` the mean."""

    is_variational = True

    def __init__(self, seed: int = 0):
        super().__init__(seed, outputs=4)

    def encode(self, images):
        out = self._flat(images) @ self._w_in
        return out[:, :2], out[:, 2:] - 1.0

    def code(self, images):
        return self.encode(images)[0]

    def loss_terms(self, images, *, key, num_samples: int = 1):
        from vae_tutorial import losses

        return losses.elbo_terms(self, images, key=key, num_samples=num_samples)


def _tiny_autoencoder():
    return _TinyAutoencoder()


@_check
def check_reconstruct(fn):
    """Check ``fn(model, images) -> [n, 28, 28]``: encode, then decode to intensities in [0, 1].

    Uses a small stand-in with the methods of ``models.Autoencoder`` (``encode``, ``code``, ``decode``,
    ``decode_logits``, calling the model gives logits).
    """
    model = _tiny_autoencoder()
    images = jnp.asarray(np.random.default_rng(0).uniform(size=(6, 28, 28)), jnp.float32)
    codes = model.encode(images)
    right = np.asarray(model.decode(codes), np.float64)
    out = _array(_call(fn, model, images), "reconstruct(model, images)")
    logits = np.asarray(model.decode_logits(codes), np.float64)
    _diagnose(out, [
        ("You returned the input images unchanged: run them through model.encode, then model.decode.",
         np.asarray(images)),
        ("You returned the codes (the encoder's output, [n, 2]): decode them back to images with model.decode.",
         np.asarray(codes)),
        ("You returned logits (any real number) instead of pixel intensities in [0, 1]: model.decode "
         "applies the sigmoid for you (model.decode_logits and model(images) do not).", logits),
        ("Right values, but flat ([n, 784]): model.decode returns [n, 28, 28], keep that shape.",
         right.reshape(6, PIXELS)),
    ])
    _shape_error(out, right.shape, "reconstruct(model, images)")
    if not _close(out, right, rtol=1e-4, atol=1e-5):
        raise _Wrong("The images have the right shape but not the right values: expected "
                     "model.decode(model.encode(images)), the decoding of each image's own code.")
    return "reconstruct gives model.decode(model.encode(images)): [n, 28, 28] intensities in [0, 1]."


def _bce(logits, images):
    """Binary cross-entropy with logits per pixel, in float64 (stable form)."""
    l, x = np.asarray(logits, np.float64), np.asarray(images, np.float64)
    return np.maximum(l, 0) - l * x + np.log1p(np.exp(-np.abs(l)))


@_check
def check_reconstruction_loss(fn):
    """Check ``fn(logits, images) -> [n]``: the Bernoulli loss (binary cross-entropy) summed over pixels.

    ``logits`` and ``images`` are ``[n, 28, 28]``; the answer is in nats per image.
    """
    rng = np.random.default_rng(1)
    n = 5
    logits = rng.normal(0.0, 2.0, size=(n, 28, 28)).astype(np.float32)
    images = rng.uniform(size=(n, 28, 28)).astype(np.float32)
    images[:, :4] = np.round(images[:, :4])  # some pure black and white pixels, like MNIST's edges
    per_pixel = _bce(logits, images)
    right = per_pixel.sum(axis=(1, 2))
    out = _array(_call(fn, jnp.asarray(logits), jnp.asarray(images)), "your loss")
    p, x = 1 / (1 + np.exp(-logits.astype(np.float64))), images.astype(np.float64)
    pixel_mean = ("You averaged over the 784 pixels instead of summing them. The loss per image is then "
                  "784 times smaller (a fraction of a nat instead of about a hundred nats), while the VAE's KL "
                  "term is a sum over latent dimensions: next to it the reconstruction hardly counts, the KL "
                  "dominates, every q(z|x) is pushed onto the prior, and every code decodes to the same "
                  "blurry average digit. Sum over the pixels: .sum(axis=(1, 2)).")
    _diagnose(out, [
        (pixel_mean, right / PIXELS),
        ("You averaged over the pixels and over the batch (a framework's default reduction='mean'): "
         "return one loss per image, summed over its 784 pixels, shape [n].", right.mean() / PIXELS),
        ("You summed over the batch too: return one loss per image, shape [n] (sum over the pixel axes "
         "only, axis=(1, 2)).", right.sum()),
        ("You averaged over the batch: return one loss per image, shape [n]; training averages later.",
         right.mean()),
        ("You summed over the last axis only: an image is [28, 28], so sum over both pixel axes, "
         "axis=(1, 2) (or reshape to [n, 784] first).", per_pixel.sum(axis=-1)),
        ("You returned the loss of every pixel: sum over the pixels, axis=(1, 2), to get one number per image.",
         per_pixel),
        ("You summed over the batch axis (axis=0): sum over the two pixel axes instead, axis=(1, 2).",
         per_pixel.sum(axis=0)),
        ("Wrong sign: you returned the log-likelihood log p(x|z); the loss is its negative (a cross-entropy "
         "is >= 0).", -right),
        ("You applied the sigmoid and then a loss that expects logits (sigmoid twice): pass the logits "
         "themselves to optax.sigmoid_binary_cross_entropy.", _bce(p, images).sum(axis=(1, 2))),
        ("The arguments are swapped: optax.sigmoid_binary_cross_entropy(logits, labels) takes the logits "
         "first and the images (the targets) second.", _bce(images, logits).sum(axis=(1, 2))),
        ("That is the squared error between sigmoid(logits) and the images, not the Bernoulli "
         "(binary cross-entropy) loss -[x log x_hat + (1 - x) log(1 - x_hat)].",
         ((p - x) ** 2).sum(axis=(1, 2))),
        ("You kept only the x log x_hat half: the Bernoulli loss also has (1 - x) log(1 - x_hat), which "
         "punishes ink where the image is white.", (-x * np.log(p)).sum(axis=(1, 2))),
    ], rtol=2e-4, atol=1e-3)
    _shape_error(out, (n,), "your loss")
    if not _close(out, right, rtol=2e-4, atol=1e-3):
        raise _Wrong(f"Right shape, wrong values: for the first image expected {right[0]:.3f} nats, got "
                     f"{out[0]:.3f}. The loss is -sum[x log sigmoid(l) + (1 - x) log(1 - sigmoid(l))].")
    # Confident logits (|l| up to 60), as a trained decoder produces on pure black and white pixels.
    big = np.concatenate([np.full((1, 28, 28), 60.0), np.full((1, 28, 28), -60.0)]).astype(np.float32)
    targets = np.stack([np.ones((28, 28)), np.zeros((28, 28))]).astype(np.float32)
    targets[:, 0, 0] = 1 - targets[:, 0, 0]  # one pixel each that the model gets confidently wrong
    try:
        out_big = _array(_call(fn, jnp.asarray(big), jnp.asarray(targets)), "your loss")
    except _Wrong as wrong:
        raise _Wrong(f"Right on ordinary logits, but not numerically stable for confident ones (|logit| = 60): "
                     f"{wrong} In float32 sigmoid(60) is exactly 1 and log(1 - 1) = -inf. Compute from the "
                     "logits directly: optax.sigmoid_binary_cross_entropy or jax.nn.log_sigmoid.") from None
    if not _close(out_big, _bce(big, targets).sum(axis=(1, 2)), rtol=1e-3, atol=1e-2):
        raise _Wrong("Right on ordinary logits, but wrong for confident ones (|logit| = 60): a pixel predicted "
                     "with logit 60 and wrong costs 60 nats. Do not clip probabilities; compute from the logits "
                     "(optax.sigmoid_binary_cross_entropy or jax.nn.log_sigmoid).")
    return ("Summed over the 784 pixels, one loss per image in nats, and stable for confident logits "
            "(|logit| = 60).")


# ------------------------------------------------------------------------------------------------
# 02: paths and gaps
# ------------------------------------------------------------------------------------------------


@_check
def check_latent_line(fn):
    """Check ``fn(start, end, steps) -> [steps, d]``: evenly spaced points from start to end, both included."""
    cases = [(np.array([1.0, -2.0], np.float32), np.array([3.0, 2.0], np.float32), 5),
             (np.random.default_rng(2).normal(size=20).astype(np.float32),
              np.random.default_rng(3).normal(size=20).astype(np.float32), 11),
             (np.array([0.5, 0.5], np.float32), np.array([-1.0, 2.0], np.float32), 2)]
    for start, end, steps in cases:
        what = f"line(start, end, {steps})"
        out = _array(_call(fn, start, end, steps), what)
        s, e = start.astype(np.float64), end.astype(np.float64)
        t = np.linspace(0.0, 1.0, steps)[:, None]
        right = (1 - t) * s + t * e
        k = np.arange(steps)[:, None]
        _diagnose(out, [
            ("The path stops one step short of `end` (np.linspace(..., endpoint=False) or t = k / steps): "
             "t must run from 0 to 1 with both ends included, t = k / (steps - 1).", s + (k / steps) * (e - s)),
            ("The path skips `start`: t must begin at 0, t = k / (steps - 1).", s + ((k + 1) / steps) * (e - s)),
            ("The path runs backwards, from `end` to `start`: z(t) = (1 - t) * start + t * end.", right[::-1]),
            ("You added t * end to start without subtracting start: z(t) = start + t * (end - start).",
             s + t * e),
            ("Right points, but transposed: return one row per point, shape [steps, d].", right.T),
        ], atol=1e-5)
        _shape_error(out, right.shape, what, hints=[
            ((steps + 1, len(s)), f"{what} returned {steps + 1} points; `steps` counts the points, both "
                                  "ends included (np.linspace(0, 1, steps))."),
            ((steps - 1, len(s)), f"{what} returned {steps - 1} points; `steps` counts the points, both "
                                  "ends included (np.linspace(0, 1, steps))."),
        ])
        if not _close(out, right, atol=1e-5):
            raise _Wrong(f"{what}: right shape, but the points are not the straight line "
                         "z(t) = (1 - t) * start + t * end for t = 0, 1/(steps-1), ..., 1.")
    return "Straight, evenly spaced, both ends included, one row per point (checked in 2-D and 20-D)."


@_check
def check_nearest_distance(fn):
    """Check ``fn(points, codes) -> [n]``: the Euclidean distance from each point to its nearest code."""
    rng = np.random.default_rng(4)
    points, codes = rng.normal(size=(7, 3)), rng.normal(size=(40, 3))
    points[0] = codes[5]  # a point that is itself a code: distance 0
    sq = ((points[:, None, :] - codes[None]) ** 2).sum(-1)
    right = np.sqrt(sq.min(axis=1))
    out = _array(_call(fn, points.astype(np.float32), codes.astype(np.float32)), "nearest_distance(points, codes)")
    _diagnose(out, [
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
    _shape_error(out, right.shape, "nearest_distance(points, codes)")
    if not _close(out, right, rtol=1e-4, atol=1e-4):
        raise _Wrong(f"Right shape, wrong values: expected {_fmt(right[:3])} for the first three points, got "
                     f"{_fmt(out[:3])}. Compute sqrt(sum((point - code)**2)) for every code and keep the smallest.")
    return "One Euclidean distance per point, to its nearest code (0 for a point that is a code)."


# ------------------------------------------------------------------------------------------------
# 03 and 04: drawing codes, the reparameterization trick, finite differences
# ------------------------------------------------------------------------------------------------


@_check
def check_std_from_log_var(fn):
    """Check ``fn(log_var) -> std``: the standard deviation exp(log_var / 2), element by element."""
    var = np.array([0.25, 4.0, 0.01, 1.0, 9.0])
    log_var = np.log(var)
    out = _array(_call(fn, jnp.asarray(log_var, jnp.float32)), "std_from_log_var(log_var)")
    right = np.sqrt(var)
    _diagnose(out, [
        ("You returned the variance exp(log_var): the standard deviation is its square root, "
         "exp(log_var / 2). This is the classic variance/standard-deviation slip.", var),
        ("exp(log_var) / 2 halves the variance; the 1/2 belongs inside the exponent: exp(log_var / 2).", var / 2),
        ("exp(-log_var / 2) is 1 / sigma: drop the minus sign.", 1 / right),
        ("exp(log_var / 4) is the square root of sigma: use exp(log_var / 2).", np.sqrt(right)),
    ], rtol=1e-4, atol=1e-6)
    _shape_error(out, right.shape, "std_from_log_var(log_var)")
    if not _close(out, right, rtol=1e-4, atol=1e-6):
        raise _Wrong(f"For variances {_fmt(var)} the standard deviations are {_fmt(right)}; you returned "
                     f"{_fmt(out)}. log_var is the log of the variance: sigma = exp(log_var / 2).")
    return "sigma = exp(log_var / 2): the square root of the variance, positive for any log_var."


@_check
def check_monte_carlo_mean(fn):
    """Check ``fn(f, mu, sigma, key, num_samples) -> scalar``: a Monte Carlo estimate of E[f(z)], z ~ N(mu, sigma^2).

    Tested with f(z) = z**2 at mu = 1, sigma = 0.5 (exact 1.25) and 20,000 samples, against a tolerance
    of 4.5 standard errors.
    """
    mu, sigma, n = 1.0, 0.5, 20_000
    se = math.sqrt((4 * mu**2 * sigma**2 + 2 * sigma**4) / n)  # Var(z^2) = 4 mu^2 sigma^2 + 2 sigma^4
    square = lambda z: z**2  # noqa: E731
    what = "your estimate"
    a = _array(_call(fn, square, mu, sigma, jax.random.key(0), n, what=what), what)
    b = _array(_call(fn, square, mu, sigma, jax.random.key(1), n, what=what), what)
    if a.size != 1:
        raise _Wrong(f"{what} returned shape {a.shape}: average f over the samples to a single number.")
    a, b = float(a.ravel()[0]), float(b.ravel()[0])
    exact = mu**2 + sigma**2
    if a == b and abs(a - mu**2) > 1e-6:
        raise _Wrong("Two different keys gave exactly the same estimate: your samples ignore `key` (a key made "
                     "inside the function, or np.random with a fixed seed). Draw with "
                     "jax.random.normal(key, (num_samples,)).")
    for value, message in [
        (mu**2, "You returned f(mu) = f(E[z]), the loss at the mean: for a curved f, E[f(z)] is not f(E[z]) "
                "(here 1.25 against 1.0). Average f over draws z = mu + sigma * eps."),
        (mu**2 + sigma**4, "Your samples have variance sigma**4: you scaled the noise by sigma**2 (the variance) "
                           "where sigma (the standard deviation) belongs."),
        (n * exact, "You summed f over the samples: divide by their number (use the mean)."),
    ]:
        if abs(a - value) <= 4.5 * se * max(1.0, abs(value) / exact):
            raise _Wrong(message)
    if abs(a - exact) > 4.5 * se:
        raise _Wrong(f"Estimate {a:.4f}; the exact E[z**2] = mu**2 + sigma**2 = {exact:.4f}, and 20,000 samples "
                     f"should land within {4.5 * se:.3f} of it. Draw z = mu + sigma * eps, eps ~ N(0, 1), "
                     "and average f(z).")
    return f"Within {4.5 * se:.3f} (4.5 standard errors) of the exact E[z**2] = 1.25, and a new key gives new samples."


@_check
def check_reparameterize(fn):
    """Check ``fn(key, mean, log_var) -> z``: z = mean + exp(log_var / 2) * eps with eps ~ N(0, I) from ``key``.

    Checks the shape, that the draws depend on the key (and only on it), their mean and spread over
    20,000 draws per coordinate (tolerance: 5 standard errors), that the coordinates and rows get
    independent noise, and the gradients through ``jax.grad``: dz/dmean = 1, dz/dlog_var = (z - mean) / 2.
    """
    n = 20_000
    centre, var = np.array([1.0, -2.0, 0.5]), np.array([0.25, 4.0, 0.01])
    std = np.sqrt(var)
    mean = jnp.asarray(np.tile(centre, (n, 1)), jnp.float32)
    log_var = jnp.asarray(np.tile(np.log(var), (n, 1)), jnp.float32)
    what = "reparameterize(key, mean, log_var)"
    key, other = jax.random.key(0), jax.random.key(1)
    z = _array(_call(fn, key, mean, log_var, what=what), what)
    _shape_error(z, (n, 3), what, hints=[
        ((3,), f"{what} returned one code [3] for a batch of shape [{n}, 3]: z has the shape of mean; draw "
               "eps with jax.random.normal(key, mean.shape)."),
        ((n,), f"{what} returned shape [{n}]: z has the shape of mean, [{n}, 3] (did you sum?)."),
    ])
    if _close(z, np.asarray(mean), atol=1e-6):
        raise _Wrong("Your function returns the mean unchanged: no noise. z must be a draw, mean + std * eps. "
                     "(The mean is a fine 'best guess' code after training, but training needs the draw.)")
    again = _array(_call(fn, key, mean, log_var, what=what), what)
    if not np.array_equal(z, again):
        raise _Wrong("The same key gave different draws: your noise does not come from `key` (np.random, or a "
                     "random state kept between calls). In JAX all randomness comes from the key: "
                     "jax.random.normal(key, mean.shape).")
    if np.array_equal(z, _array(_call(fn, other, mean, log_var, what=what), what)):
        raise _Wrong("Your noise ignores the key: two different keys gave exactly the same z. Did you make a key "
                     "inside the function (jax.random.key(0))? Draw eps with the `key` argument.")
    if np.all(z == z[0]):
        raise _Wrong("Every row got the same draw: one eps shared by the whole batch. Draw eps with the shape "
                     "of mean, jax.random.normal(key, mean.shape), so every image gets its own noise.")
    spread, centre_hat = z.std(axis=0), z.mean(axis=0)
    tol = 5 / math.sqrt(2 * n)  # relative standard error of a standard deviation, times 5
    for scale, message in [
        (var, "Your draws spread like the variance sigma**2 = exp(log_var), not like the standard deviation "
              "sigma = exp(log_var / 2): you multiplied the noise by the variance where the standard deviation "
              "belongs (or took exp(log_var) as the standard deviation). z = mean + exp(log_var / 2) * eps."),
        (np.abs(np.log(var)), "You scaled the noise by log_var itself: it is the log of the variance; the standard "
                              "deviation is exp(log_var / 2)."),
        (1 / std, "Your draws spread like 1 / sigma: a sign slip in the exponent, exp(-log_var / 2). Use "
                  "exp(log_var / 2)."),
        (np.sqrt(std), "Your draws spread like sqrt(sigma) = exp(log_var / 4): the exponent is log_var / 2."),
        (np.ones(3), "Your draws have spread 1 whatever log_var says: eps is not scaled by the standard deviation "
                     "exp(log_var / 2)."),
    ]:
        if np.all(np.abs(spread / scale - 1) < tol):
            raise _Wrong(f"{message} (Measured spread {_fmt(spread)}; expected {_fmt(std)}.)")
    if not np.all(np.abs(spread / std - 1) < tol):
        raise _Wrong(f"The spread of 20,000 draws per coordinate is {_fmt(spread)}; the standard deviations are "
                     f"{_fmt(std)} (exp(log_var / 2)). Scale standard normal noise by exp(log_var / 2).")
    if np.all(np.abs(centre_hat) < 5 * std / math.sqrt(n)):
        raise _Wrong("Your draws are centred on 0, not on the mean: add the mean, z = mean + std * eps.")
    if not np.all(np.abs(centre_hat - centre) < 5 * std / math.sqrt(n)):
        raise _Wrong(f"The draws average {_fmt(centre_hat)}; expected the mean {_fmt(centre)}: z = mean + std * eps.")
    eps = (z - centre) / std
    corr = np.corrcoef(eps.T)[np.triu_indices(3, 1)]
    if np.any(np.abs(corr) > 0.1):
        raise _Wrong("The latent coordinates share their noise (their draws are correlated): draw one eps per "
                     "coordinate, jax.random.normal(key, mean.shape), not one per row.")
    return _reparameterize_gradients(fn, what) + " Shape, key, mean and spread over 20,000 draws are right too."


def _reparameterize_gradients(fn, what) -> str:
    rng = np.random.default_rng(5)
    mean = jnp.asarray(rng.normal(size=(4, 3)), jnp.float32)
    log_var = jnp.asarray(rng.uniform(-1.5, 1.0, size=(4, 3)), jnp.float32)
    weights = jnp.asarray(rng.normal(size=(4, 3)), jnp.float32)
    key = jax.random.key(2)
    total = lambda m, lv: jnp.sum(fn(key, m, lv) * weights)  # noqa: E731
    g_mean, g_log_var = _call(jax.grad(total, argnums=(0, 1)), mean, log_var, what=f"jax.grad through {what}")
    g_mean, g_log_var = np.asarray(g_mean, np.float64), np.asarray(g_log_var, np.float64)
    z = np.asarray(fn(key, mean, log_var), np.float64)
    if np.all(g_mean == 0) and np.all(g_log_var == 0):
        raise _Wrong("jax.grad through your sampler is zero for both mean and log_var: the draw is cut off from its "
                     "parameters (jax.lax.stop_gradient, a value made outside JAX, or a sampler that hides them). "
                     "The trick is that z = mean + exp(log_var / 2) * eps stays a JAX expression of mean and log_var.")
    if np.all(g_log_var == 0):
        raise _Wrong("The gradient reaches the mean but not log_var: the standard deviation is cut off "
                     "(stop_gradient, or computed with NumPy). Write std = jnp.exp(log_var / 2) inside the function.")
    if not np.allclose(g_mean, np.asarray(weights), rtol=1e-4, atol=1e-5):
        raise _Wrong("dz/dmean should be 1 for every coordinate (z = mean + std * eps); jax.grad says otherwise.")
    if not np.allclose(g_log_var, np.asarray(weights) * 0.5 * (z - np.asarray(mean)), rtol=1e-3, atol=1e-5):
        raise _Wrong("dz/dlog_var should be (z - mean) / 2 (= std * eps / 2); jax.grad says otherwise.")
    return "jax.grad flows through the draw: dz/dmean = 1 and dz/dlog_var = (z - mean) / 2."


@_check
def check_finite_difference(fn):
    """Check ``fn(f, x, h) -> [d]``: central differences (f(x + h e_i) - f(x - h e_i)) / (2h), one coordinate at a time.

    Tested with f(x) = sum(x**3) + x[0] * x[1] at x = (0.5, -1, 2) and h = 0.1, where central, forward
    and backward differences and the exact gradient all differ.
    """
    f = lambda x: (x**3).sum() + x[0] * x[1]  # noqa: E731
    x = np.array([0.5, -1.0, 2.0])
    h = 0.1
    keep = x.copy()
    what = "finite_differences(f, x, h)"
    out = _array(_call(fn, f, x, h, what=what), what)
    if not np.array_equal(x, keep):
        raise _Wrong("Your function changed x in place (x[i] += h on the caller's array): work on a copy, "
                     "x.copy(), or build the step as a new array.")
    eye = np.eye(3) * h
    central = np.array([(f(x + e) - f(x - e)) / (2 * h) for e in eye])
    forward = np.array([(f(x + e) - f(x)) / h for e in eye])
    backward = np.array([(f(x) - f(x - e)) / h for e in eye])
    exact = 3 * x**2 + np.array([x[1], x[0], 0.0])
    ones = np.ones(3) * h
    _diagnose(out, [
        ("These are forward differences (f(x + h) - f(x)) / h: their error shrinks like h. Central differences "
         "(f(x + h) - f(x - h)) / (2h) have an error like h**2.", forward),
        ("These are backward differences (f(x) - f(x - h)) / h: use central ones, (f(x + h) - f(x - h)) / (2h).",
         backward),
        ("Twice the right answer: central differences divide by 2h, the distance between x + h and x - h.",
         2 * central),
        ("You moved every coordinate at once (x + h for the whole vector): step one coordinate at a time, "
         "x + h * e_i with e_i the i-th unit vector.", np.full(3, (f(x + ones) - f(x - ones)) / (2 * h))),
        ("That is the exact gradient (jax.grad?), not a finite-difference estimate: compute "
         "(f(x + h e_i) - f(x - h e_i)) / (2h) for each coordinate i.", exact),
    ], rtol=1e-4, atol=1e-4)
    _shape_error(out, (3,), what)
    if not _close(out, central, rtol=1e-4, atol=1e-4):
        raise _Wrong(f"Expected central differences {_fmt(central)}, got {_fmt(out)}.")
    return "Central differences, one coordinate at a time, x left unchanged (error of order h**2)."


# ------------------------------------------------------------------------------------------------
# 05: the ELBO
# ------------------------------------------------------------------------------------------------


def _kl_mistakes(mean, log_var, right):
    m, lv = np.asarray(mean, np.float64), np.asarray(log_var, np.float64)
    d = m.shape[-1]
    terms = 0.5 * (np.exp(lv) + m**2 - 1 - lv)
    return [
        ("You summed over the batch too: the KL is per image, shape [n]; sum over the latent axis only "
         "(axis=-1).", right.sum()),
        ("You averaged over the batch: return one KL per image, shape [n] (sum over axis=-1 only).", right.mean()),
        ("You returned one term per latent dimension: sum them over the latent axis (axis=-1) to get one KL "
         "per image.", terms),
        ("You summed over the batch axis (axis=0) instead of the latent dimensions: sum over axis=-1, one KL "
         "per image.", terms.sum(axis=0)),
        ("Wrong sign: a KL divergence is never negative. KL = 1/2 * sum(exp(log_var) + mean**2 - 1 - log_var).",
         -right),
        ("You averaged over the latent dimensions instead of summing them: the KL of independent coordinates "
         "is the sum of their KLs (use .sum(axis=-1), not .mean).", right / d),
        ("Missing the 1/2: KL = 1/2 * sum(exp(log_var) + mean**2 - 1 - log_var).", 2 * right),
        ("You averaged over the latent dimensions and dropped the 1/2.", 2 * right / d),
        ("You used the standard deviation exp(log_var / 2) where the variance exp(log_var) belongs.",
         0.5 * (np.exp(lv / 2) + m**2 - 1 - lv).sum(-1)),
        ("You read log_var as the log of the standard deviation: it is the log of the variance, "
         "so the variance is exp(log_var).", 0.5 * (np.exp(2 * lv) + m**2 - 1 - 2 * lv).sum(-1)),
        ("You left out the -1: without it the KL of N(0, I) to itself is not 0.", right + d / 2),
        ("You left out the -log_var term.", 0.5 * (np.exp(lv) + m**2 - 1).sum(-1)),
        ("The log_var term has the wrong sign: it is - log_var.", 0.5 * (np.exp(lv) + m**2 - 1 + lv).sum(-1)),
        ("This is the KL the other way round, KL(N(0, I) || q): the VAE's term is KL(q(z|x) || N(0, I)).",
         0.5 * ((1 + m**2) / np.exp(lv) - 1 + lv).sum(-1)),
    ]


def _gaussian_kl(mean, log_var):
    m, lv = np.asarray(mean, np.float64), np.asarray(log_var, np.float64)
    return 0.5 * (np.exp(lv) + m**2 - 1 - lv).sum(-1)


@_check
def check_gaussian_kl(fn):
    """Check ``fn(mean, log_var) -> [n]``: KL(N(mean, diag(exp(log_var))) || N(0, I)) per image, summed over dims.

    Tested on a batch of 5 images with 4 latent dimensions (one row is the prior itself, KL 0),
    and on a single image with one dimension.
    """
    rng = np.random.default_rng(6)
    mean = rng.normal(size=(5, 4)).astype(np.float32)
    log_var = rng.uniform(-2.0, 1.0, size=(5, 4)).astype(np.float32)
    mean[0], log_var[0] = 0.0, 0.0  # the prior itself: KL 0
    right = _gaussian_kl(mean, log_var)
    what = "gaussian_kl(mean, log_var)"
    out = _array(_call(fn, jnp.asarray(mean), jnp.asarray(log_var), what=what), what)
    _diagnose(out, _kl_mistakes(mean, log_var, right), rtol=1e-4, atol=1e-5)
    _shape_error(out, (5,), what, hints=[((5, 1), f"{what}: right values, but shape [5, 1]: sum with axis=-1 "
                                                  "and no keepdims, so the result is [n].")])
    if not _close(out, right, rtol=1e-4, atol=1e-5):
        raise _Wrong(f"Expected {_fmt(right)} nats (the first row is N(0, I) itself, KL 0), got {_fmt(out)}. "
                     "KL = 1/2 * sum over latent dims of (exp(log_var) + mean**2 - 1 - log_var).")
    one = _array(_call(fn, jnp.array([[2.0]]), jnp.array([[np.log(0.25)]]), what=what), what)
    expected = 0.5 * (0.25 + 4.0 - 1.0 - np.log(0.25))
    if not _close(one.reshape(-1), [expected], rtol=1e-4):
        raise _Wrong(f"For one image with one latent dimension, mean 2 and variance 0.25, the KL is "
                     f"{expected:.4f} nats; you returned {_fmt(one)}.")
    return "KL per image in nats, summed over latent dimensions, 0 for q = N(0, I), never negative."


def _tiny_vae():
    return _TinyVAE()


def _parse_pair(out, n, what):
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise _Wrong(f"{what} should return two arrays, (reconstruction, kl), each of shape [n]; "
                     f"got {type(out).__name__}.")
    rec, kl = (_array(part, what) for part in out)
    for name, part in [("reconstruction", rec), ("kl", kl)]:
        if part.shape != (n,):
            raise _Wrong(f"The {name} term has shape {part.shape}; expected one value per image, [{n}] (no "
                         "average over the batch here: training averages later).")
    return rec, kl


@_check
def check_elbo_terms(fn):
    """Check ``fn(model, images, key) -> (reconstruction [n], kl [n])``: the negative ELBO's two terms per image.

    The reconstruction is -log p(x|z) summed over pixels for one reparameterized draw z ~ q(z|x), the
    KL the closed form. Uses a small stand-in with the methods of ``models.VAE``. A draw made differently from
    ``sampling.reparameterize`` is accepted when its average over 64 keys matches within 5 standard errors.
    """
    from vae_tutorial import losses, sampling

    model = _tiny_vae()
    images = jnp.asarray(np.random.default_rng(7).uniform(size=(6, 28, 28)), jnp.float32)
    mean, log_var = model.encode(images)
    key = jax.random.key(3)
    kl_right = _gaussian_kl(mean, log_var)

    def reference(k):
        return np.asarray(losses.bernoulli_reconstruction(
            model.decode_logits(sampling.reparameterize(k, mean, log_var)), images), np.float64)

    what = "elbo_terms(model, images, key)"
    rec, kl = _parse_pair(_call(fn, model, images, key, what=what), 6, what)
    if _close(rec, kl_right, rtol=1e-4) and not _close(kl, kl_right, rtol=1e-4):
        raise _Wrong("The two terms are swapped: return (reconstruction, kl), in that order.")
    if not _close(kl, kl_right, rtol=1e-4, atol=1e-5):
        _diagnose(kl, _kl_mistakes(mean, log_var, kl_right))
        raise _Wrong(f"The KL term should be {_fmt(kl_right)} (closed form, from the encoder's mean and log_var); "
                     f"got {_fmt(kl)}.")
    if _close(rec, reference(key), rtol=1e-4, atol=1e-3):
        return "Reconstruction from a reparameterized draw, summed over pixels, and the closed-form KL, per image."
    at_mean = np.asarray(losses.bernoulli_reconstruction(model.decode_logits(mean), images), np.float64)
    if _close(rec, at_mean, rtol=1e-4, atol=1e-3):
        raise _Wrong("Your reconstruction decodes the mean, not a draw: during training z must be drawn, "
                     "z = mean + exp(log_var / 2) * eps, or the encoder's variance gets no training signal "
                     "(the decoder never sees the noise).")
    if _close(rec * PIXELS, reference(key), rtol=1e-4, atol=1e-2) or \
            abs(rec.mean() * PIXELS / reference(key).mean() - 1) < 0.2:
        raise _Wrong("Your reconstruction is averaged over the 784 pixels instead of summed: it is then hundreds of "
                     "times smaller than the KL (summed over latent dims), the KL dominates the loss, and every "
                     "code decodes to the same blurry average digit. Sum over the pixels.")
    again = _parse_pair(_call(fn, model, images, jax.random.key(4), what=what), 6, what)[0]
    if np.array_equal(rec, again):
        raise _Wrong("Two different keys gave the same reconstruction term: the draw ignores the key. Use the "
                     "`key` argument to draw eps.")
    keys = jax.random.split(jax.random.key(5), 64)
    yours = np.stack([_parse_pair(_call(fn, model, images, k, what=what), 6, what)[0] for k in keys])
    ours = np.stack([reference(k) for k in keys])
    se = np.sqrt(yours.var(0, ddof=1) / 64 + ours.var(0, ddof=1) / 64)
    if np.all(np.abs(yours.mean(0) - ours.mean(0)) <= 5 * se + 1e-3):
        return ("The KL is the closed form; your reconstruction draws z differently from "
                "sampling.reparameterize, but its average over 64 keys matches the expected reconstruction.")
    raise _Wrong(f"The reconstruction term should be -log p(x|z) summed over the 784 pixels, for z drawn from "
                 f"q(z|x); averaged over 64 keys it is {_fmt(ours.mean(0)[:3])} for the first three images, yours "
                 f"{_fmt(yours.mean(0)[:3])}.")


# ------------------------------------------------------------------------------------------------
# 06: measuring with error bars
# ------------------------------------------------------------------------------------------------


@_check
def check_standard_error(fn):
    """Check ``fn(values) -> float``: the standard error of the mean, std(values, ddof=1) / sqrt(n)."""
    values = np.random.default_rng(8).normal(3.0, 2.0, size=10)
    n = len(values)
    right = values.std(ddof=1) / math.sqrt(n)
    out = _array(_call(fn, values.copy(), what="standard_error(values)"), "standard_error(values)")
    if out.size != 1:
        raise _Wrong(f"standard_error(values) returned shape {out.shape}; expected one number.")
    out = out.reshape(())
    _diagnose(out, [
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
    if not _close(out, right, rtol=1e-6, atol=1e-9):
        raise _Wrong(f"Expected {right:.4f}, std(values, ddof=1) / sqrt(n); got {float(out):.4f}.")
    return "std(values, ddof=1) / sqrt(n): how far the mean of n values typically lands from the true mean."


@_check
def check_paired_difference(fn):
    """Check ``fn(a, b) -> (mean, standard_error)`` of the per-item differences a - b (paired, same items)."""
    rng = np.random.default_rng(9)
    shared = rng.normal(0.0, 5.0, size=40)  # how hard each item is: common to both measurements
    a = shared + rng.normal(0.3, 0.5, size=40)
    b = shared + rng.normal(0.0, 0.5, size=40)
    d = a - b
    right = np.array([d.mean(), d.std(ddof=1) / math.sqrt(len(d))])
    what = "paired_difference(a, b)"
    out = _call(fn, a.copy(), b.copy(), what=what)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise _Wrong(f"{what} should return two numbers, (mean difference, its standard error).")
    out = np.array([float(np.asarray(v)) for v in out])
    se_unpaired = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    _diagnose(out, [
        ("The difference has the wrong sign: compute a - b.", [-right[0], right[1]]),
        ("Your standard error treats a and b as independent samples. The same items went through both, so "
         "pair them: the standard error of the per-item differences a - b, which removes how hard each item "
         f"is (here {right[1]:.3f} against {se_unpaired:.3f}).", [right[0], se_unpaired]),
        ("The standard error is the standard deviation of the differences divided by sqrt(n).",
         [right[0], d.std(ddof=1)]),
        ("Almost: use the sample standard deviation, ddof=1.", [right[0], d.std() / math.sqrt(len(d))]),
    ], rtol=1e-6, atol=1e-9)
    if not _close(out, right, rtol=1e-6, atol=1e-9):
        raise _Wrong(f"Expected ({right[0]:.4f}, {right[1]:.4f}): the mean of a - b and std(a - b, ddof=1) / sqrt(n).")
    return "Mean of the per-item differences and its paired standard error."


# ------------------------------------------------------------------------------------------------
# 07: gradient estimators
# ------------------------------------------------------------------------------------------------

_TOY_MU, _TOY_SIGMA, _TOY_SAMPLES = 1.0, 0.5, 20_000
_step = lambda z: (z > 0).astype(jnp.float32)  # noqa: E731
_square = lambda z: z**2  # noqa: E731


def _estimate(fn, f, key, what):
    out = _call(fn, f, _TOY_MU, _TOY_SIGMA, key, _TOY_SAMPLES, what=what)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise _Wrong(f"{what} should return two numbers, (d/dmean, d/dstd); got {type(out).__name__}.")
    parts = [_array(v, what) for v in out]
    if any(p.size != 1 for p in parts):
        raise _Wrong(f"{what} returned arrays of shapes {[p.shape for p in parts]}: average the per-sample terms "
                     "to one number each.")
    return np.array([float(p.ravel()[0]) for p in parts])


def _estimator_check(fn, name, one_term_var, mistakes, other):
    what = f"{name}(f, mean, std, key, num_samples)"
    mu, sigma, n = _TOY_MU, _TOY_SIGMA, _TOY_SAMPLES
    exact = np.array([2 * mu, 2 * sigma])
    se = np.sqrt(np.asarray(one_term_var) / n)
    g = _estimate(fn, _square, jax.random.key(0), what)
    if np.any(g != 0) and np.array_equal(g, _estimate(fn, _square, jax.random.key(1), what)):
        raise _Wrong("Two different keys gave exactly the same estimate: your samples ignore `key`. Draw the noise "
                     "with jax.random.normal(key, (num_samples,)).")
    for value, message in mistakes + [(n * exact, "You summed over the samples: average them (divide by "
                                                  "num_samples)."),
                                      (-exact, "Wrong sign: both components should be positive here.")]:
        value = np.asarray(value, np.float64)
        if np.all(np.abs(g - value) <= 4.5 * se * np.maximum(1.0, np.abs(value) / exact)):
            raise _Wrong(f"{message} (For f(z) = z**2, mu = 1, sigma = 0.5 you got {_fmt(g)}; exact {_fmt(exact)}.)")
    if np.any(np.abs(g - exact) > 4.5 * se):
        raise _Wrong(f"For f(z) = z**2, mu = 1, sigma = 0.5 with 20,000 samples the estimate should land within "
                     f"{_fmt(4.5 * se)} of the exact gradient {_fmt(exact)} (2 mu, 2 sigma); you got {_fmt(g)}.")
    step = _estimate(fn, _step, jax.random.key(2), what)[0]
    exact_step = math.exp(-0.5 * (mu / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
    verdict = other(step, exact_step)
    if verdict:
        raise _Wrong(verdict)
    return (f"Unbiased on f(z) = z**2 (within 4.5 standard errors of (2, 1)), uses the key, and behaves as the "
            f"{name.replace('_', ' ')} estimator should on a step function (d/dmu estimate {step:.3f}).")


@_check
def check_pathwise_gradient(fn):
    """Check ``fn(f, mean, std, key, num_samples) -> (d_mean, d_std)``: the pathwise (reparameterization) estimate.

    The gradient of E_{z ~ N(mean, std^2)}[f(z)] as the average over samples of the gradient of
    f(mean + std * eps). Tested on f(z) = z**2 (exact (2 mu, 2 sigma)), with tolerances of 4.5
    standard errors from the closed-form variance of one term, and on a step function, where the
    pathwise estimate is exactly 0.
    """
    mu, sigma = _TOY_MU, _TOY_SIGMA

    def other(step, exact_step):
        if abs(step) > 1e-6:
            return ("On a step function f(z) = 1[z > 0] the pathwise estimate is exactly 0 (its derivative is 0 "
                    f"wherever it exists), but yours is {step:.3f}: did you write the score-function estimator? "
                    "The pathwise estimator differentiates f(mean + std * eps) with jax.grad.")
        return None

    return _estimator_check(fn, "pathwise_gradient", [4 * sigma**2, 4 * mu**2 + 8 * sigma**2], [
        ((0.0, 0.0), "Your gradient is zero: the samples are cut off from mean and std (stop_gradient or NumPy). "
                     "Differentiate the average of f(mean + std * eps) with jax.grad."),
        ((2 * mu, 4 * sigma**3), "d/dstd is wrong in the way the variance slip predicts: you drew z = mean + "
                                 "std**2 * eps; the noise is scaled by the standard deviation."),
    ], other)


@_check
def check_score_function(fn):
    """Check ``fn(f, mean, std, key, num_samples) -> (d_mean, d_std)``: the score-function (REINFORCE) estimate.

    The average over samples z ~ N(mean, std^2) of f(z) * ((z - mean) / std**2, ((z - mean)**2 - std**2) / std**3).
    Tested on f(z) = z**2 (exact (2 mu, 2 sigma); tolerance 4.5 standard errors from the closed-form
    variances) and on a step function, whose derivative is zero but whose expected value slopes.
    """
    mu, sigma = _TOY_MU, _TOY_SIGMA

    def other(step, exact_step):
        if abs(step) < 1e-6:
            return ("On a step function f(z) = 1[z > 0] your estimate is 0, while the true d/dmu of P(z > 0) is "
                    f"{exact_step:.3f}: that is what the pathwise estimator gives. The score function never "
                    "differentiates f: average f(z) * (z - mean) / std**2.")
        if abs(step - exact_step) > 0.08:
            return (f"On a step function f(z) = 1[z > 0] the exact d/dmu is {exact_step:.3f}; your estimate "
                    f"{step:.3f} is off by more than 4.5 standard errors.")
        return None

    return _estimator_check(fn, "score_function", [
        mu**4 / sigma**2 + 14 * mu**2 + 15 * sigma**2, 2 * mu**4 / sigma**2 + 60 * mu**2 + 74 * sigma**2], [
        ((2 * mu * sigma, 2 * sigma), "d/dmean is off by a factor sigma: the score for the mean is "
                                      "(z - mean) / std**2, not (z - mean) / std."),
        ((2 * mu, (mu**2 + 3 * sigma**2) / sigma), "d/dstd is biased: the score for the standard deviation is "
                                                   "((z - mean)**2 - std**2) / std**3; the - std**2 is missing."),
        ((2 * mu, 2 * sigma**2), "d/dstd is off by a factor sigma: divide by std**3, not std**2."),
    ], other)


# ------------------------------------------------------------------------------------------------
# 08: how VAEs fail
# ------------------------------------------------------------------------------------------------


@_check
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
    out = _array(_call(fn, means.astype(np.float32), what=what), what)
    if out.shape == (7,) and set(np.unique(out)) <= {0.0, 1.0}:
        raise _Wrong("You returned which dimensions are active (a mask): return how many, mask.sum().")
    if out.size != 1:
        raise _Wrong(f"{what} returned shape {out.shape}; expected one number, the count of active dimensions.")
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
            raise _Wrong(message)
    if count != right:
        raise _Wrong(f"{right} of the 7 dimensions have a variance across images above 0.01 "
                     f"(variances {_fmt(variance)}); you returned {count:g}.")
    return "Counts the dimensions whose mean varies across images with variance > 0.01."
