"""Checks of 01-autoencoder: reconstruct an image, the Bernoulli reconstruction loss."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from vae_tutorial.exercises.feedback import PIXELS, Wrong, as_array, call, close, diagnose, exercise, shape_error
from vae_tutorial.exercises.stand_ins import TinyAutoencoder

__all__ = ["check_reconstruct", "check_reconstruction_loss"]


@exercise
def check_reconstruct(fn):
    """Check ``fn(model, images) -> [n, 28, 28]``: encode, then decode to intensities in [0, 1].

    Uses a small stand-in with the methods of ``models.Autoencoder`` (``encode``, ``code``, ``decode``,
    ``decode_logits``, calling the model gives logits).
    """
    model = TinyAutoencoder()
    images = jnp.asarray(np.random.default_rng(0).uniform(size=(6, 28, 28)), jnp.float32)
    codes = model.encode(images)
    right = np.asarray(model.decode(codes), np.float64)
    out = as_array(call(fn, model, images), "reconstruct(model, images)")
    logits = np.asarray(model.decode_logits(codes), np.float64)
    diagnose(out, [
        ("You returned the input images unchanged: run them through model.encode, then model.decode.",
         np.asarray(images)),
        ("You returned the codes (the encoder's output, [n, 2]): decode them back to images with model.decode.",
         np.asarray(codes)),
        ("You returned logits (any real number) instead of pixel intensities in [0, 1]: model.decode "
         "applies the sigmoid for you (model.decode_logits and model(images) do not).", logits),
        ("Right values, but flat ([n, 784]): model.decode returns [n, 28, 28], keep that shape.",
         right.reshape(6, PIXELS)),
    ])
    shape_error(out, right.shape, "reconstruct(model, images)")
    if not close(out, right, rtol=1e-4, atol=1e-5):
        raise Wrong("The images have the right shape but not the right values: expected "
                    "model.decode(model.encode(images)), the decoding of each image's own code.")
    return "reconstruct gives model.decode(model.encode(images)): [n, 28, 28] intensities in [0, 1]."


def _bce(logits, images):
    """Binary cross-entropy with logits per pixel, in float64 (stable form)."""
    l, x = np.asarray(logits, np.float64), np.asarray(images, np.float64)
    return np.maximum(l, 0) - l * x + np.log1p(np.exp(-np.abs(l)))


@exercise
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
    out = as_array(call(fn, jnp.asarray(logits), jnp.asarray(images)), "your loss")
    p, x = 1 / (1 + np.exp(-logits.astype(np.float64))), images.astype(np.float64)
    pixel_mean = ("You averaged over the 784 pixels instead of summing them. The loss per image is then "
                  "784 times smaller (a fraction of a nat instead of about a hundred nats), while the VAE's KL "
                  "term is a sum over latent dimensions: next to it the reconstruction hardly counts, the KL "
                  "dominates, every q(z|x) is pushed onto the prior, and every code decodes to the same "
                  "blurry average digit. Sum over the pixels: .sum(axis=(1, 2)).")
    diagnose(out, [
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
    shape_error(out, (n,), "your loss")
    if not close(out, right, rtol=2e-4, atol=1e-3):
        raise Wrong(f"Right shape, wrong values: for the first image expected {right[0]:.3f} nats, got "
                    f"{out[0]:.3f}. The loss is -sum[x log sigmoid(l) + (1 - x) log(1 - sigmoid(l))].")
    # Confident logits (|l| up to 60), as a trained decoder produces on pure black and white pixels.
    big = np.concatenate([np.full((1, 28, 28), 60.0), np.full((1, 28, 28), -60.0)]).astype(np.float32)
    targets = np.stack([np.ones((28, 28)), np.zeros((28, 28))]).astype(np.float32)
    targets[:, 0, 0] = 1 - targets[:, 0, 0]  # one pixel each that the model gets confidently wrong
    try:
        out_big = as_array(call(fn, jnp.asarray(big), jnp.asarray(targets)), "your loss")
    except Wrong as wrong:
        raise Wrong(f"Right on ordinary logits, but not numerically stable for confident ones (|logit| = 60): "
                    f"{wrong} In float32 sigmoid(60) is exactly 1 and log(1 - 1) = -inf. Compute from the "
                    "logits directly: optax.sigmoid_binary_cross_entropy or jax.nn.log_sigmoid.") from None
    if not close(out_big, _bce(big, targets).sum(axis=(1, 2)), rtol=1e-3, atol=1e-2):
        raise Wrong("Right on ordinary logits, but wrong for confident ones (|logit| = 60): a pixel predicted "
                    "with logit 60 and wrong costs 60 nats. Do not clip probabilities; compute from the logits "
                    "(optax.sigmoid_binary_cross_entropy or jax.nn.log_sigmoid).")
    return ("Summed over the 784 pixels, one loss per image in nats, and stable for confident logits "
            "(|logit| = 60).")
