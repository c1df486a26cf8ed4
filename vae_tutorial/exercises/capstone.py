"""The capstone check of 06-the-elbo: a whole VAE training step, run against the package's own step.

The reader writes ``train_step(model, optimizer, images, key) -> (loss, key)``: split the key, encode,
draw ``z`` with the reparameterization trick, decode, compute the negative ELBO (reconstruction summed
over pixels plus the closed-form KL, averaged over the batch), take its gradient with respect to the
model's parameters and let the optimizer apply it; return the loss and the key for the next step.

:func:`check_train_step` runs that function on a small VAE with an SGD optimizer of step size 1, so
the change of the weights *is* the gradient. It records the code ``z`` that the step decodes (through
``jax.debug.callback``, which also works under ``jax.grad`` and ``nnx.jit``) and recovers the noise
``eps = (z - mean) / std``. The package's own step, the objective of ``train.latent_objective`` built
from ``losses.bernoulli_reconstruction`` and ``losses.gaussian_kl``, is then run with that same noise,
so the loss and every gradient can be compared exactly, whichever way the reader derived the noise
from the key. A mismatch is compared with the same step made wrong in the usual ways, and the message
names the mistake: a KL with the wrong sign, the reconstruction averaged over pixels, a key that is
never split (the same noise at every step), a code drawn outside the differentiated function (no
gradient reaches the encoder through the draw), and a few more.

The notebook calls it as ``exercises.check_train_step``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from vae_tutorial import losses, models
from vae_tutorial.exercises.feedback import Feedback, Wrong, call, exercise  # noqa: F401  (Feedback: the return type)

__all__ = ["check_train_step", "reference_loss"]

PIXELS = 784
_BATCH, _LATENT, _HIDDEN = 32, 2, 16
_WHAT = "train_step(model, optimizer, images, key)"


def reference_loss(model, images, eps, *, variant: str = "right"):
    """The package's objective for one batch, with the noise ``eps`` given instead of drawn from a key.

    ``variant="right"`` is ``train.latent_objective`` with ``beta = 1``: the mean over the batch of
    ``losses.bernoulli_reconstruction`` of the decoded draw ``z = mean + exp(log_var / 2) * eps`` plus
    ``losses.gaussian_kl``. The other variants are the step made wrong on purpose, so that a reader's
    step can be matched against each.

    Args:
        model: a VAE (``encode -> (mean, log_var)``, ``decode_logits``).
        images: ``[n, 28, 28]`` in [0, 1].
        eps: ``[n, latent]`` standard normal noise.
        variant: ``"right"``, ``"kl_sign"``, ``"pixel_mean"``, ``"batch_sum"``, ``"no_kl"``,
            ``"negated"``, ``"outside"`` (z a constant: no gradient through the draw) or ``"variance"``
            (the noise scaled by the variance).

    Returns:
        A scalar: the loss in nats per image (per batch for ``"batch_sum"``).
    """
    mean, log_var = model.encode(images)
    scale = jnp.exp(log_var) if variant == "variance" else jnp.exp(0.5 * log_var)
    z = mean + scale * eps
    if variant == "outside":
        z = jax.lax.stop_gradient(z)
    reconstruction = losses.bernoulli_reconstruction(model.decode_logits(z), images)
    kl = losses.gaussian_kl(mean, log_var)
    per_image = {"kl_sign": reconstruction - kl, "pixel_mean": reconstruction / PIXELS + kl,
                 "no_kl": reconstruction, "negated": -(reconstruction + kl)}.get(variant, reconstruction + kl)
    return per_image.sum() if variant == "batch_sum" else per_image.mean()


def _recording_vae(store: list):
    """A small VAE whose ``decode_logits`` sends every code it decodes to ``store`` (also under jax.grad and jit)."""

    class _RecordingVAE(models.VAE):
        def decode_logits(self, z):
            jax.debug.callback(lambda value: store.append(np.asarray(value, np.float64)), z)
            return super().decode_logits(z)

    # The architecture of models.VAE, built abstractly and filled with fixed NumPy weights (LeCun normal):
    # no random-number program to compile, so the check starts quickly.
    abstract = nnx.eval_shape(lambda: _RecordingVAE(_LATENT, hidden_sizes=(_HIDDEN,), rngs=nnx.Rngs(params=0)))
    graphdef, state = nnx.split(abstract)
    rng = np.random.default_rng(0)
    state = jax.tree.map(lambda leaf: jnp.asarray(rng.normal(0.0, 1.0 / np.sqrt(leaf.shape[0]), size=leaf.shape)
                                                  if len(leaf.shape) == 2 else np.zeros(leaf.shape), jnp.float32), state)
    model = nnx.merge(graphdef, state)
    # Codes away from the prior (means near 1, variances near exp(-1.5)), so that the KL term
    # weighs enough in the loss for its mistakes to show.
    bias = model.encoder.layers[-1].bias
    bias[...] = bias[...] + jnp.array([1.0] * _LATENT + [-1.5] * _LATENT)
    return model


def _images():
    return jnp.asarray(np.random.default_rng(11).uniform(size=(_BATCH, 28, 28)), jnp.float32)


def _weights(model) -> dict[str, np.ndarray]:
    """The parameters of the encoder and of the decoder, each flattened into one float64 vector."""
    state = nnx.to_pure_dict(nnx.state(model, nnx.Param))
    return {part: np.concatenate([np.ravel(np.asarray(leaf, np.float64)) for leaf in jax.tree.leaves(state[part])])
            for part in ("encoder", "decoder")}


def _gradients(model, images, eps, variant):
    value, grads = nnx.value_and_grad(lambda m: reference_loss(m, images, eps, variant=variant))(model)
    state = nnx.to_pure_dict(grads)
    flat = {part: np.concatenate([np.ravel(np.asarray(leaf, np.float64)) for leaf in jax.tree.leaves(state[part])])
            for part in ("encoder", "decoder")}
    return float(value), flat


def _relative(a, b) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-12))


def _run(fn, key, store, base):
    """One call of the reader's step on a fresh copy of ``base``: (loss, next key, codes, pristine copy, weights before and after)."""
    model, pristine = nnx.clone(base), nnx.clone(base)
    optimizer = nnx.Optimizer(model, optax.sgd(1.0), wrt=nnx.Param)
    before = _weights(model)
    start = len(store)
    out = call(fn, model, optimizer, _images(), key, what=_WHAT)
    jax.effects_barrier()
    codes = store[start:]
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise Wrong(f"{_WHAT} should return two things, (loss, key): the loss of this step and the key for the "
                     f"next step; got {type(out).__name__}.")
    loss, next_key = out
    try:
        loss = float(np.asarray(loss))
    except (TypeError, ValueError):
        raise Wrong(f"The loss you returned is {type(loss).__name__}, not one number: return the batch's mean "
                     "negative ELBO, a scalar.") from None
    if not np.isfinite(loss):
        raise Wrong(f"The loss is {loss}: a log of 0 or of a negative number somewhere in it.")
    if not (isinstance(next_key, jax.Array) and jnp.issubdtype(next_key.dtype, jax.dtypes.prng_key)
            and next_key.shape == ()):
        raise Wrong("The second thing you return should be one JAX key (made by jax.random.split), the key "
                     f"for the next step; got {type(next_key).__name__} "
                     f"{getattr(next_key, 'shape', '')}.")
    return loss, next_key, codes, pristine, before, _weights(model)


def _noise(codes, pristine, images):
    """The noise eps behind the decoded code, or a message naming why there is none."""
    mean, log_var = (np.asarray(a, np.float64) for a in pristine.encode(images))
    draws = [z for z in codes if z.shape == mean.shape]
    if not draws:
        raise Wrong("Your step never decoded a code for the batch: decode the drawn z with model.decode_logits(z) "
                     f"(shape [{_BATCH}, {_LATENT}] in, logits [{_BATCH}, 28, 28] out).")
    moved = [z for z in draws if not np.allclose(z, mean, atol=1e-5)]
    if not moved:
        raise Wrong("Your step decodes the encoder's mean, not a draw: training needs z = mean + exp(log_var / 2) "
                     "* eps, or the encoder's variance gets no training signal from the reconstruction.")
    z = moved[0]
    eps = (z - mean) / np.exp(0.5 * log_var)
    if abs(eps.mean()) < 0.6 and 0.6 < eps.std() < 1.5:
        return eps, "right"
    if 0.6 < ((z - mean) / np.exp(log_var)).std() < 1.5:
        return (z - mean) / np.exp(log_var), "variance"
    if 0.6 < ((z - mean) / np.abs(log_var)).std() < 1.5:
        raise Wrong("You scaled the noise by log_var itself: it is the log of the variance; the standard "
                     "deviation is exp(log_var / 2).")
    raise Wrong(f"The noise behind your z has mean {eps.mean():.2f} and standard deviation {eps.std():.2f}; "
                 "it should be standard normal: eps = jax.random.normal(key, mean.shape), "
                 "z = mean + exp(log_var / 2) * eps.")


_LOSS_MISTAKES = [
    ("kl_sign", "The KL term has the wrong sign: your loss is reconstruction - KL. The loss to minimise is -ELBO = "
                "reconstruction + KL; with a minus, training pushes every q(z|x) away from the prior, and the "
                "codes no longer match N(0, I), where generation draws from."),
    ("pixel_mean", "Your reconstruction is averaged over the 784 pixels instead of summed: it becomes 784 times "
                   "smaller while the KL keeps its size, which is a beta-VAE with beta = 784. The KL then dominates "
                   "and every code decodes to nearly the same blurry digit. Sum over the pixels."),
    ("batch_sum", "Your loss is summed over the images of the batch: average it (jnp.mean), so it is in nats per "
                  "image, as the package's step and every number in the course are."),
    ("no_kl", "Your loss has no KL term: that is an autoencoder with noise. Add KL(q(z|x) || N(0, I)), the closed "
              "form from exercise 6.2."),
    ("negated", "Your loss is the ELBO itself, with the sign of the whole loss flipped: the optimizer minimises, so "
                "the loss must be -ELBO = reconstruction + KL."),
]


@exercise
def check_train_step(fn):
    """Check ``fn(model, optimizer, images, key) -> (loss, key)``: one VAE training step, against the package's.

    Runs the step on a small VAE (2-D codes, 16 hidden units) with ``optax.sgd(1.0)``, recovers the noise it
    drew, and compares the returned loss and the change of the weights (the gradient) with the package's step
    on the same noise; then runs a second step with the key it returned and checks that the noise is new.
    """
    store: list = []
    base, images, key = _recording_vae(store), _images(), jax.random.key(12)
    loss, next_key, codes, pristine, before, after = _run(fn, key, store, base)
    eps, scale = _noise(codes, pristine, images)
    if all(np.array_equal(before[part], after[part]) for part in before):
        raise Wrong("The model's weights did not change: after computing the gradient, apply it with "
                     "optimizer.update(model, grads).")
    grads = {part: before[part] - after[part] for part in before}  # SGD with step size 1
    right_loss, right = _gradients(pristine, images, eps, "right")
    if scale == "variance":
        if np.isclose(loss, _gradients(pristine, images, eps, "variance")[0], rtol=1e-4):
            raise Wrong("You scaled the noise by the variance exp(log_var) where the standard deviation "
                         "exp(log_var / 2) belongs: z = mean + exp(log_var / 2) * eps.")
    if not np.isclose(loss, right_loss, rtol=1e-4, atol=1e-3):
        for variant, message in _LOSS_MISTAKES:
            if np.isclose(loss, _gradients(pristine, images, eps, variant)[0], rtol=1e-4, atol=1e-4):
                raise Wrong(message)
        raise Wrong(f"Your loss is {loss:.4f}; the package's step, with the noise your step drew, gives "
                     f"{right_loss:.4f} nats per image: the batch mean of the reconstruction (summed over pixels) "
                     "plus the KL.")
    if _relative(grads["decoder"], right["decoder"]) > 1e-3 or _relative(grads["encoder"], right["encoder"]) > 1e-3:
        outside = _gradients(pristine, images, eps, "outside")[1]
        if np.allclose(grads["encoder"], 0, atol=1e-7) or _relative(grads["encoder"], outside["encoder"]) < 1e-3:
            raise Wrong("Your loss is right, but the reconstruction sends no gradient to the encoder: z was drawn "
                         "outside the function you differentiate, so to jax it is a constant. Encode and draw z "
                         "inside loss_fn(model), the function you pass to nnx.value_and_grad: the gradient must "
                         "flow through z = mean + exp(log_var / 2) * eps into the encoder.")
        if np.allclose(grads["decoder"], 0, atol=1e-7):
            raise Wrong("No gradient reached the decoder: decode inside the function you differentiate.")
        raise Wrong("Your loss is right, but the change of the weights is not its gradient: take the loss and the "
                     "gradients from one call of nnx.value_and_grad(loss_fn)(model), where loss_fn(model) does "
                     "everything from encoding to the loss, then apply them with optimizer.update(model, grads).")
    if jnp.array_equal(jax.random.key_data(next_key), jax.random.key_data(key)):
        raise Wrong("You return the key you were given, so the next step draws the same noise eps again: the key "
                     "is never split. Split it, key, noise_key = jax.random.split(key); draw with noise_key and "
                     "return key.")
    _, _, codes_again, pristine_again, _, _ = _run(fn, next_key, store, base)
    eps_again, _ = _noise(codes_again, pristine_again, images)
    if np.allclose(eps_again, eps, atol=1e-6):
        raise Wrong("Two steps in a row, each given the key the step before returned, drew the same noise eps: "
                     "your noise does not come from the key you were given (a fixed key such as "
                     "jax.random.key(0)?). Split the key you are given and draw with one half.")
    return ("Your step matches the package's own: the loss (-ELBO, reconstruction summed over pixels plus the KL, "
            "averaged over the batch), its gradient through the draw into the encoder, the optimizer's update, "
            "and new noise at every step.")
