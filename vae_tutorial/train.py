"""Training both models with Adam: whole epochs compiled as one ``jax.lax.scan``.

Introduced in 01-autoencoder. The model is split into a static graph definition and its
parameters (``nnx.split``), and one jitted function runs every step of an epoch over
fixed-size batches, so nothing recompiles between epochs or between calls with the same
shapes, learning rate or beta.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from tqdm.auto import tqdm

from vae_tutorial import losses, models
from vae_tutorial._checks import check_images, check_positive_int

# One optimizer object for every call: its hyperparameters live in the optimizer state, so a
# new learning rate is a new value, not a new compiled program.
_ADAM = optax.inject_hyperparams(optax.adam)(learning_rate=1e-3)


@dataclasses.dataclass
class History:
    """Per-epoch training curves, in nats per image.

    Attributes:
        loss: the objective minimised in each epoch (for a VAE: reconstruction + beta * KL).
        reconstruction: mean reconstruction loss per epoch.
        kl: mean KL term per epoch (empty for an autoencoder).
        interrupted: True when training was stopped early (Ctrl-C or Jupyter's stop button);
            the model then holds the weights of the last finished epoch.
    """

    loss: list[float] = dataclasses.field(default_factory=list)
    reconstruction: list[float] = dataclasses.field(default_factory=list)
    kl: list[float] = dataclasses.field(default_factory=list)
    interrupted: bool = False

    @property
    def epochs(self) -> int:
        """Number of finished epochs."""
        return len(self.loss)

    def summary(self) -> str:
        """One line on the last epoch, at a stable precision."""
        if not self.loss:
            return "no finished epoch"
        text = f"epoch {self.epochs}: loss {self.loss[-1]:.2f} nats/image"
        if self.kl:
            text += f" (reconstruction {self.reconstruction[-1]:.2f} + KL {self.kl[-1]:.2f})"
        return text + (" [interrupted]" if self.interrupted else "")


def _objective(params, graphdef, batch, key, beta):
    """Loss to minimise and its parts for one batch ``[batch, 784]``."""
    model = nnx.merge(graphdef, params)
    if isinstance(model, models.VAE):
        reconstruction, kl = losses.elbo_terms(model, batch, key=key)
        reconstruction, kl = reconstruction.mean(), kl.mean()
        return reconstruction + beta * kl, (reconstruction, kl)
    reconstruction = losses.autoencoder_loss(model, batch)
    return reconstruction, (reconstruction, jnp.zeros(()))


@functools.partial(jax.jit, static_argnames=("graphdef", "batch_size"))
def _run_epoch(params, opt_state, images, key, beta, *, graphdef, batch_size):
    """One epoch: shuffle, cut into ``n // batch_size`` full batches, scan Adam steps over them.

    Args:
        params: model parameters (an ``nnx.State``).
        opt_state: Adam state.
        images: ``[n, 784]`` training images in [0, 1].
        key: random key for the shuffle and the VAE's noise.
        beta: weight of the KL term (ignored for an autoencoder).

    Returns:
        ``(params, opt_state, (loss, reconstruction, kl))`` with epoch-mean metrics.
    """
    steps = images.shape[0] // batch_size
    shuffle_key, noise_key = jax.random.split(key)
    order = jax.random.permutation(shuffle_key, images.shape[0])[: steps * batch_size]
    batches = order.reshape(steps, batch_size)

    def step(carry, inputs):
        params, opt_state = carry
        index, step_key = inputs
        grad_fn = jax.value_and_grad(_objective, has_aux=True)
        (loss, (rec, kl)), grads = grad_fn(params, graphdef, images[index], step_key, beta)
        updates, opt_state = _ADAM.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), (loss, rec, kl)

    (params, opt_state), metrics = jax.lax.scan(
        step, (params, opt_state), (batches, jax.random.split(noise_key, steps))
    )
    return params, opt_state, jax.tree.map(jnp.mean, metrics)


def fit(model, images, *, epochs: int, batch_size: int = 128, learning_rate: float = 1e-3,
        beta: float = 1.0, seed: int = 0, progress: bool = True) -> History:
    """Train an :class:`~vae_tutorial.models.Autoencoder` or a :class:`~vae_tutorial.models.VAE` in place.

    The autoencoder minimises the Bernoulli reconstruction loss; the VAE minimises the
    reconstruction loss plus ``beta`` times the KL term (``beta=1`` is the negative ELBO). Each
    epoch shuffles the data and drops the last partial batch, so every batch has the same shape.

    Args:
        model: the model to train; its parameters are updated after every finished epoch.
        images: ``[n, 28, 28]`` or ``[n, 784]`` training images in [0, 1].
        epochs: number of passes over the data (>= 1).
        batch_size: images per Adam step (at most ``n``).
        learning_rate: Adam's step size (> 0).
        beta: weight of the KL term for a VAE (>= 0).
        seed: seed of the shuffles and the VAE's noise. Same seed, versions and machine give
            the same weights bit for bit.
        progress: show a progress bar (a widget in Jupyter, text in a terminal).

    Returns:
        A :class:`History` of per-epoch losses. After an interrupt (Ctrl-C, Jupyter's stop
        button) the history so far, with ``interrupted=True``.

    Raises:
        TypeError: for a model of another class or images of the wrong type.
        ValueError: for bad shapes, values or hyperparameters.
        FloatingPointError: when the loss becomes NaN or infinite; the model keeps the weights
            of the last good epoch.
    """
    if not isinstance(model, (models.Autoencoder, models.VAE)):
        raise TypeError(f"model must be a vae_tutorial Autoencoder or VAE, got {type(model).__name__}")
    data = check_images(np.asarray(images) if not isinstance(images, jax.Array) else images)
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    if batch_size > data.shape[0]:
        raise ValueError(f"batch_size ({batch_size}) must not exceed the number of images ({data.shape[0]})")
    if not (isinstance(learning_rate, (int, float)) and np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    if not (isinstance(beta, (int, float)) and np.isfinite(beta) and beta >= 0):
        raise ValueError(f"beta must be a number >= 0, got {beta!r}")

    graphdef, params = nnx.split(model)
    opt_state = _ADAM.init(params)
    opt_state.hyperparams["learning_rate"] = jnp.asarray(learning_rate, dtype=jnp.float32)
    data = jnp.asarray(data, dtype=jnp.float32)
    beta = jnp.asarray(beta, dtype=jnp.float32)
    base_key = jax.random.key(seed)
    history = History()
    bar = tqdm(total=epochs, disable=not progress, desc=f"training {type(model).__name__}", unit="epoch")
    try:
        for epoch in range(1, epochs + 1):
            new_params, new_opt_state, metrics = _run_epoch(
                params, opt_state, data, jax.random.fold_in(base_key, epoch), beta,
                graphdef=graphdef, batch_size=batch_size,
            )
            loss, rec, kl = (float(m) for m in metrics)
            if not np.isfinite(loss):
                raise FloatingPointError(
                    f"training diverged: the loss became {loss} in epoch {epoch}; the model keeps the "
                    f"weights of epoch {epoch - 1}. Try a smaller learning_rate (now {float(learning_rate):g})."
                )
            params, opt_state = new_params, new_opt_state
            nnx.update(model, params)
            history.loss.append(loss)
            history.reconstruction.append(rec)
            if isinstance(model, models.VAE):
                history.kl.append(kl)
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.2f}")
    except KeyboardInterrupt:
        history.interrupted = True
        print(f"Interrupted: the model keeps the weights of epoch {history.epochs}.")
    finally:
        bar.close()
    return history


@functools.partial(jax.jit, static_argnames=("graphdef", "num_samples"))
def _evaluate(params, graphdef, images, key, *, num_samples):
    model = nnx.merge(graphdef, params)
    if isinstance(model, models.VAE):
        reconstruction, kl = losses.elbo_terms(model, images, key=key, num_samples=num_samples)
        return reconstruction.mean() + kl.mean(), reconstruction.mean(), kl.mean()
    reconstruction = losses.autoencoder_loss(model, images)
    return reconstruction, reconstruction, jnp.zeros(())


def evaluate(model, images, *, seed: int = 0, num_samples: int = 10) -> dict[str, float]:
    """Losses of a trained model on ``images``, in nats per image.

    For a VAE: the negative ELBO (reconstruction estimated with ``num_samples`` draws of z per
    image) and its two terms. For an autoencoder: the reconstruction loss (KL is 0).

    Args:
        model: an Autoencoder or a VAE.
        images: ``[n, 28, 28]`` or ``[n, 784]`` in [0, 1].
        seed: seed of the VAE's noise.
        num_samples: samples of z per image (VAE only).

    Returns:
        ``{"loss": ..., "reconstruction": ..., "kl": ...}`` as Python floats.
    """
    if not isinstance(model, (models.Autoencoder, models.VAE)):
        raise TypeError(f"model must be a vae_tutorial Autoencoder or VAE, got {type(model).__name__}")
    data = jnp.asarray(check_images(images), dtype=jnp.float32)
    num_samples = check_positive_int(num_samples, "num_samples")
    graphdef, params = nnx.split(model)
    loss, rec, kl = _evaluate(params, graphdef, data, jax.random.key(seed), num_samples=num_samples)
    return {"loss": float(loss), "reconstruction": float(rec), "kl": float(kl)}
