"""Checks of 06-the-elbo: the Gaussian KL in closed form, the negative ELBO's two terms per image."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from vae_tutorial.exercises.feedback import PIXELS, Wrong, as_array, call, close, diagnose, exercise, fmt, shape_error
from vae_tutorial import losses, sampling
from vae_tutorial.exercises.stand_ins import TinyVAE

__all__ = ["check_gaussian_kl", "check_elbo_terms"]


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


@exercise
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
    out = as_array(call(fn, jnp.asarray(mean), jnp.asarray(log_var), what=what), what)
    diagnose(out, _kl_mistakes(mean, log_var, right), rtol=1e-4, atol=1e-5)
    shape_error(out, (5,), what, hints=[((5, 1), f"{what}: right values, but shape [5, 1]: sum with axis=-1 "
                                                  "and no keepdims, so the result is [n].")])
    if not close(out, right, rtol=1e-4, atol=1e-5):
        raise Wrong(f"Expected {fmt(right)} nats (the first row is N(0, I) itself, KL 0), got {fmt(out)}. "
                    "KL = 1/2 * sum over latent dims of (exp(log_var) + mean**2 - 1 - log_var).")
    one = as_array(call(fn, jnp.array([[2.0]]), jnp.array([[np.log(0.25)]]), what=what), what)
    expected = 0.5 * (0.25 + 4.0 - 1.0 - np.log(0.25))
    if not close(one.reshape(-1), [expected], rtol=1e-4):
        raise Wrong(f"For one image with one latent dimension, mean 2 and variance 0.25, the KL is "
                    f"{expected:.4f} nats; you returned {fmt(one)}.")
    return "KL per image in nats, summed over latent dimensions, 0 for q = N(0, I), never negative."


def _parse_pair(out, n, what):
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise Wrong(f"{what} should return two arrays, (reconstruction, kl), each of shape [n]; "
                    f"got {type(out).__name__}.")
    rec, kl = (as_array(part, what) for part in out)
    for name, part in [("reconstruction", rec), ("kl", kl)]:
        if part.shape != (n,):
            raise Wrong(f"The {name} term has shape {part.shape}; expected one value per image, [{n}] (no "
                        "average over the batch here: training averages later).")
    return rec, kl


@exercise
def check_elbo_terms(fn):
    """Check ``fn(model, images, key) -> (reconstruction [n], kl [n])``: the negative ELBO's two terms per image.

    The reconstruction is -log p(x|z) summed over pixels for one reparameterized draw z ~ q(z|x), the
    KL the closed form. Uses a small stand-in with the methods of ``models.VAE``. A draw made differently from
    ``sampling.reparameterize`` is accepted when its average over 64 keys matches within 5 standard errors.
    """

    model = TinyVAE()
    images = jnp.asarray(np.random.default_rng(7).uniform(size=(6, 28, 28)), jnp.float32)
    mean, log_var = model.encode(images)
    key = jax.random.key(3)
    kl_right = _gaussian_kl(mean, log_var)

    def reference(k):
        return np.asarray(losses.bernoulli_reconstruction(
            model.decode_logits(sampling.reparameterize(k, mean, log_var)), images), np.float64)

    what = "elbo_terms(model, images, key)"
    rec, kl = _parse_pair(call(fn, model, images, key, what=what), 6, what)
    if close(rec, kl_right, rtol=1e-4) and not close(kl, kl_right, rtol=1e-4):
        raise Wrong("The two terms are swapped: return (reconstruction, kl), in that order.")
    if not close(kl, kl_right, rtol=1e-4, atol=1e-5):
        diagnose(kl, _kl_mistakes(mean, log_var, kl_right))
        raise Wrong(f"The KL term should be {fmt(kl_right)} (closed form, from the encoder's mean and log_var); "
                    f"got {fmt(kl)}.")
    if close(rec, reference(key), rtol=1e-4, atol=1e-3):
        return "Reconstruction from a reparameterized draw, summed over pixels, and the closed-form KL, per image."
    at_mean = np.asarray(losses.bernoulli_reconstruction(model.decode_logits(mean), images), np.float64)
    if close(rec, at_mean, rtol=1e-4, atol=1e-3):
        raise Wrong("Your reconstruction decodes the mean, not a draw: during training z must be drawn, "
                    "z = mean + exp(log_var / 2) * eps, or the encoder's variance gets no training signal "
                    "(the decoder never sees the noise).")
    if close(rec * PIXELS, reference(key), rtol=1e-4, atol=1e-2) or \
            abs(rec.mean() * PIXELS / reference(key).mean() - 1) < 0.2:
        raise Wrong("Your reconstruction is averaged over the 784 pixels instead of summed: it is then hundreds of "
                    "times smaller than the KL (summed over latent dims), the KL dominates the loss, and every "
                    "code decodes to the same blurry average digit. Sum over the pixels.")
    again = _parse_pair(call(fn, model, images, jax.random.key(4), what=what), 6, what)[0]
    if np.array_equal(rec, again):
        raise Wrong("Two different keys gave the same reconstruction term: the draw ignores the key. Use the "
                    "`key` argument to draw eps.")
    keys = jax.random.split(jax.random.key(5), 64)
    yours = np.stack([_parse_pair(call(fn, model, images, k, what=what), 6, what)[0] for k in keys])
    ours = np.stack([reference(k) for k in keys])
    se = np.sqrt(yours.var(0, ddof=1) / 64 + ours.var(0, ddof=1) / 64)
    if np.all(np.abs(yours.mean(0) - ours.mean(0)) <= 5 * se + 1e-3):
        return ("The KL is the closed form; your reconstruction draws z differently from "
                "sampling.reparameterize, but its average over 64 keys matches the expected reconstruction.")
    raise Wrong(f"The reconstruction term should be -log p(x|z) summed over the 784 pixels, for z drawn from "
                f"q(z|x); averaged over 64 keys it is {fmt(ours.mean(0)[:3])} for the first three images, yours "
                f"{fmt(yours.mean(0)[:3])}.")
