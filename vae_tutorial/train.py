"""Training both models with Adam: whole epochs compiled as one ``jax.lax.scan``.

Introduced in 01-autoencoder. The model is split into a static graph definition and its
parameters (``nnx.split``), and one jitted function runs every step of an epoch over
fixed-size batches, so nothing recompiles between epochs or between calls with the same
shapes, learning rate or beta.
"""

from __future__ import annotations

import dataclasses
import functools
import numbers

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from tqdm.auto import tqdm

from vae_tutorial import models, objectives
from vae_tutorial._checks import check_images, check_positive_int, check_seed
from vae_tutorial._chunks import chunks

__all__ = ["fit", "evaluate", "terms_per_image", "History", "latent_objective"]

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
        metrics: every metric the loss returned, by name (e.g. a classifier's cross-entropy).
        interrupted: True when training was stopped early (Ctrl-C or Jupyter's stop button);
            the model then holds the weights of the last finished epoch.
    """

    loss: list[float] = dataclasses.field(default_factory=list)
    reconstruction: list[float] = dataclasses.field(default_factory=list)
    kl: list[float] = dataclasses.field(default_factory=list)
    interrupted: bool = False
    metrics: dict[str, list[float]] = dataclasses.field(default_factory=dict)

    def record(self, loss: float, metrics: dict[str, float], *, variational: bool) -> None:
        """Append one finished epoch: its objective and its named metrics."""
        self.loss.append(loss)
        for name, value in metrics.items():
            self.metrics.setdefault(name, []).append(value)
        if "reconstruction" in metrics:
            self.reconstruction.append(metrics["reconstruction"])
        if variational and "kl" in metrics:
            self.kl.append(metrics["kl"])

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


def latent_objective(model, batch: dict, key: jax.Array, beta: jax.Array):
    """The default loss of :func:`fit`: ``reconstruction + beta * kl`` from ``model.loss_terms``.

    This is the single place where training assembles the objective of both models: with
    ``beta = 1`` a VAE minimises its negative ELBO, an autoencoder (whose KL is zero) its
    reconstruction loss.

    Args:
        model: a :class:`~vae_tutorial.models.LatentModel`.
        batch: ``{"images": [b, 784]}``.
        key: random key for the VAE's noise.
        beta: weight of the KL term (a traced scalar, so changing it never recompiles).

    Returns:
        ``(objective, {"reconstruction": ..., "kl": ...})``, batch means in nats per image.
    """
    # A conditional model (variants.ConditionalVAE) also reads the labels, which fit(labels=...) puts in the batch.
    extra = {"labels": batch["labels"]} if getattr(model, "is_conditional", False) else {}
    reconstruction, kl = model.loss_terms(batch["images"], key=key, **extra)
    reconstruction, kl = reconstruction.mean(), kl.mean()
    return reconstruction + beta * kl, {"reconstruction": reconstruction, "kl": kl}


def classification_objective(model, batch: dict, key: jax.Array, beta: jax.Array):
    """Mean softmax cross-entropy of ``model(batch["images"])`` against ``batch["labels"]``: the loss of a classifier.

    ``key`` and ``beta`` are unused (the signature is the one :func:`fit` calls).

    Returns:
        ``(cross_entropy, {"cross_entropy": cross_entropy})``, a batch mean in nats.
    """
    cross_entropy = optax.softmax_cross_entropy_with_integer_labels(model(batch["images"]), batch["labels"]).mean()
    return cross_entropy, {"cross_entropy": cross_entropy}


def fit_classifier(model: nnx.Module, images, labels, *, epochs: int, batch_size: int, seed: int = 0) -> nnx.Module:
    """Train a digit classifier (images to 10 logits) with Adam on cross-entropy: the one path every classifier takes.

    :func:`fit` with :func:`classification_objective`, quietly. Same seed, versions and machine give
    the same weights bit for bit.

    Args:
        model: an ``nnx.Module`` mapping ``[b, 784]`` images to ``[b, 10]`` logits; trained in place.
        images: ``[n, 28, 28]`` or ``[n, 784]`` in [0, 1].
        labels: ``[n]`` integer classes.
        epochs, batch_size, seed: as for :func:`fit`.

    Returns:
        ``model``, trained.
    """
    fit(model, images, labels=labels, loss=classification_objective, epochs=epochs, batch_size=batch_size,
        seed=seed, progress=False)
    return model


def _objective(params, graphdef, batch, key, beta, loss):
    return loss(nnx.merge(graphdef, params), batch, key, beta)


@functools.partial(jax.jit, static_argnames=("graphdef", "batch_size", "loss", "warmup_steps"))
def _run_epoch(params, opt_state, data, key, beta, first_step, *, graphdef, batch_size, loss, warmup_steps):
    """One epoch: shuffle, cut into ``n // batch_size`` full batches, scan Adam steps over them.

    Args:
        params: model parameters (an ``nnx.State``).
        opt_state: Adam state.
        data: ``{"images": [n, 784], ...}``: training arrays that share their first axis.
        key: random key for the shuffle and the VAE's noise.
        beta: weight of the KL term (passed to ``loss``), times the warm-up weight of each step.
        first_step: the number of Adam steps before this epoch (a traced integer).
        loss: ``loss(model, batch, key, beta) -> (objective, metrics)``.
        warmup_steps: KL warm-up length (``objectives.kl_weight``); 0 keeps ``beta`` throughout.

    Returns:
        ``(params, opt_state, (objective, metrics))`` with epoch-mean values.
    """
    n = data["images"].shape[0]
    steps = n // batch_size
    shuffle_key, noise_key = jax.random.split(key)
    order = jax.random.permutation(shuffle_key, n)[: steps * batch_size]
    batches = order.reshape(steps, batch_size)

    def step(carry, inputs):
        params, opt_state = carry
        index, step_key, number = inputs
        batch = jax.tree.map(lambda a: a[index], data)
        weight = beta * objectives.kl_weight(first_step + number, warmup_steps=warmup_steps)
        grad_fn = jax.value_and_grad(_objective, has_aux=True)
        (value, metrics), grads = grad_fn(params, graphdef, batch, step_key, weight, loss)
        updates, opt_state = _ADAM.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), (value, metrics)

    (params, opt_state), metrics = jax.lax.scan(
        step, (params, opt_state), (batches, jax.random.split(noise_key, steps), jnp.arange(steps))
    )
    return params, opt_state, jax.tree.map(jnp.mean, metrics)


def _check_number(value, name: str, *, low: float, strict: bool) -> float:
    """A real number (Python, NumPy or a 0-d array) that is finite and above ``low``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.ndarray, jax.Array)) or np.ndim(value) != 0:
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < low or (strict and value == low):
        wanted = "a positive number" if strict and low == 0 else f"a number {'>' if strict else '>='} {low:g}"
        raise ValueError(f"{name} must be {wanted}, got {value!r}")
    return value


def _check_labels(labels, n: int) -> np.ndarray:
    """``n`` integer labels as int32, or a ValueError that says what was expected."""
    labels = np.asarray(labels)
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be {n} integers (one per image), got {labels.dtype} of shape {labels.shape}")
    return labels.astype(np.int32)


def fit(model, images, *, epochs: int, labels=None, loss=None, batch_size: int = 128,
        learning_rate: float = 1e-3, beta: float = 1.0, seed: int = 0, progress: bool = True,
        free_bits: float = 0.0, kl_warmup_steps: int = 0) -> History:
    """Train a model in place with Adam, one compiled ``jax.lax.scan`` per epoch.

    By default the model is a :class:`~vae_tutorial.models.LatentModel` (an autoencoder or a
    VAE) and the objective is :func:`latent_objective`: the reconstruction loss plus ``beta``
    times the KL term (``beta=1`` is the VAE's negative ELBO; the autoencoder's KL is 0). Any other
    module (e.g. the digit classifier) trains through the same loop given ``loss`` and, where
    the loss needs them, ``labels``. Each epoch shuffles the data and drops the last partial
    batch, so every batch has the same shape.

    Args:
        model: the ``nnx.Module`` to train; its parameters are updated after every finished epoch.
        images: ``[n, 28, 28]`` or ``[n, 784]`` training images in [0, 1].
        epochs: number of passes over the data (>= 1).
        labels: optional ``[n]`` integer labels, passed to ``loss`` as ``batch["labels"]``.
        loss: ``loss(model, batch, key, beta) -> (objective, metrics)`` where ``batch`` is
            ``{"images": [b, 784]}`` (plus ``"labels": [b]``) and ``metrics`` a dict of scalars;
            defaults to :func:`latent_objective`. Pass a module-level function (it is a static
            argument of the compiled epoch: the same function never recompiles).
        batch_size: images per Adam step (at most ``n``).
        learning_rate: Adam's step size (> 0; a Python or NumPy number).
        beta: weight of the KL term (>= 0).
        seed: seed of the shuffles and the VAE's noise. Same seed, versions and machine give
            the same weights bit for bit.
        progress: show a progress bar (a widget in Jupyter, text in a terminal).
        free_bits: with the default objective, charge each latent dimension's batch-mean KL at least
            this many nats (Kingma et al. 2016; :func:`vae_tutorial.objectives.free_bits_kl`). 0: off.
        kl_warmup_steps: grow the KL weight linearly from ``beta / kl_warmup_steps`` to ``beta`` over
            this many Adam steps (Bowman et al. 2016; :func:`vae_tutorial.objectives.kl_weight`). 0: off.

    Returns:
        A :class:`History` of per-epoch losses. After an interrupt (Ctrl-C, Jupyter's stop
        button) the history so far, with ``interrupted=True``.

    Raises:
        TypeError: for a model that is not an ``nnx.Module`` (or, without ``loss``, not a
            latent model), or images of the wrong type.
        ValueError: for bad shapes, values or hyperparameters.
        FloatingPointError: when the loss becomes NaN or infinite; the model keeps the weights
            of the last good epoch.
    """
    if loss is None:
        if not isinstance(model, models.LatentModel):
            raise TypeError(f"model must be a vae_tutorial Autoencoder or VAE, got {type(model).__name__} "
                            "(another nnx.Module trains with loss=...)")
        loss = latent_objective if not free_bits else objectives.free_bits_objective(free_bits)
    elif free_bits:
        raise ValueError("free_bits applies to the default objective; pass it without loss=...")
    elif not isinstance(model, nnx.Module):
        raise TypeError(f"model must be a flax nnx.Module, got {type(model).__name__}")
    if not callable(loss):
        raise TypeError(f"loss must be a function loss(model, batch, key, beta), got {loss!r}")
    data = {"images": check_images(np.asarray(images) if not isinstance(images, jax.Array) else images)}
    n = data["images"].shape[0]
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"labels must be {n} integers (one per image), got {labels.dtype} of shape {labels.shape}")
        data["labels"] = jnp.asarray(labels, dtype=jnp.int32)
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    seed = check_seed(seed)
    if batch_size > n:
        raise ValueError(f"batch_size ({batch_size}) must not exceed the number of images ({n})")
    learning_rate = _check_number(learning_rate, "learning_rate", low=0.0, strict=True)
    beta = _check_number(beta, "beta", low=0.0, strict=False)
    objectives.kl_weight(0, warmup_steps=kl_warmup_steps)  # checks kl_warmup_steps

    graphdef, params = nnx.split(model)
    opt_state = _ADAM.init(params)
    opt_state.hyperparams["learning_rate"] = jnp.asarray(learning_rate, dtype=jnp.float32)
    data["images"] = jnp.asarray(data["images"], dtype=jnp.float32)
    beta = jnp.asarray(beta, dtype=jnp.float32)
    base_key = jax.random.key(seed)
    history = History()
    bar = tqdm(total=epochs, disable=not progress, desc=f"training {type(model).__name__}", unit="epoch")
    try:
        for epoch in range(1, epochs + 1):
            new_params, new_opt_state, (value, metrics) = _run_epoch(
                params, opt_state, data, jax.random.fold_in(base_key, epoch), beta,
                jnp.int32((epoch - 1) * (n // batch_size)),
                graphdef=graphdef, batch_size=batch_size, loss=loss, warmup_steps=kl_warmup_steps,
            )
            value = float(value)
            if not np.isfinite(value):
                raise FloatingPointError(
                    f"training diverged: the loss became {value} in epoch {epoch}; the model keeps the "
                    f"weights of epoch {epoch - 1}. Try a smaller learning_rate (now {learning_rate:g})."
                )
            params, opt_state = new_params, new_opt_state
            nnx.update(model, params)
            history.record(value, {k: float(v) for k, v in metrics.items()},
                           variational=isinstance(model, models.LatentModel) and model.is_variational)
            bar.update(1)
            bar.set_postfix(loss=f"{value:.2f}")
    except KeyboardInterrupt:
        history.interrupted = True
        print(f"Interrupted: the model keeps the weights of epoch {history.epochs}.")
    finally:
        bar.close()
    return history


@functools.partial(jax.jit, static_argnames=("graphdef", "num_samples"))
def _evaluate_chunk(params, graphdef, images, weights, key, labels=None, *, num_samples):
    """Weighted sums of the two loss terms over one fixed-size chunk ``[chunk, 784]`` (``labels`` for a conditional model)."""
    extra = {} if labels is None else {"labels": labels}
    reconstruction, kl = nnx.merge(graphdef, params).loss_terms(images, key=key, num_samples=num_samples, **extra)
    return (weights * reconstruction).sum(), (weights * kl).sum()


@functools.partial(jax.jit, static_argnames=("graphdef", "num_samples"))
def _terms_chunk(params, graphdef, images, key, labels=None, *, num_samples):
    """Both loss terms of each image of one fixed-size chunk ``[chunk, 784]``: ``([chunk], [chunk])``."""
    extra = {} if labels is None else {"labels": labels}
    return nnx.merge(graphdef, params).loss_terms(images, key=key, num_samples=num_samples, **extra)


def terms_per_image(model, images, *, labels=None, seed: int = 0, num_samples: int = 10,
                    chunk_size: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """The two loss terms of each image, as one compiled program per chunk: what :func:`evaluate` averages.

    Use it to compare models digit by digit (paired differences and their standard error). The
    noise of each chunk is drawn as in :func:`evaluate` with the same ``seed``, so the means agree
    with its values up to the order of summation.

    Args:
        model, images, labels, seed, num_samples, chunk_size: as for :func:`evaluate`.

    Returns:
        ``(reconstruction, kl)``: float64 arrays ``[n]`` in nats (KL is 0 for an autoencoder).
    """
    if not isinstance(model, models.LatentModel):
        raise TypeError(f"model must be a vae_tutorial Autoencoder or VAE, got {type(model).__name__}")
    data = np.asarray(check_images(images), dtype=np.float32)
    num_samples = check_positive_int(num_samples, "num_samples")
    key = jax.random.key(check_seed(seed))
    conditional = getattr(model, "is_conditional", False)
    if conditional != (labels is not None):
        raise ValueError("a conditional model needs labels=[n] integers" if conditional else
                         f"labels are only for a conditional model, not a {type(model).__name__}")
    graphdef, params = nnx.split(model)
    arrays = (data,) if labels is None else (data, _check_labels(labels, data.shape[0]))
    parts = []
    for chunk in chunks(*arrays, chunk_size=chunk_size):
        chunk_key = key if chunk.index == 0 else jax.random.fold_in(key, chunk.index)
        chunk_labels = jnp.asarray(chunk.blocks[1]) if conditional else None
        rec, kl = _terms_chunk(params, graphdef, jnp.asarray(chunk.blocks[0]), chunk_key, chunk_labels,
                               num_samples=num_samples)
        parts.append(np.stack([np.asarray(rec, np.float64), np.asarray(kl, np.float64)])[:, :chunk.valid])
    rec, kl = np.concatenate(parts, axis=1)
    return rec, kl


def evaluate(model, images, *, labels=None, seed: int = 0, num_samples: int = 10,
             chunk_size: int = 500) -> dict[str, float]:
    """Losses of a trained model on ``images``, in nats per image.

    For a VAE: the negative ELBO (reconstruction estimated with ``num_samples`` draws of z per
    image) and its two terms. For an autoencoder: the reconstruction loss (KL is 0). The images
    go through in chunks of ``chunk_size`` (the last one padded with zero weight), so memory stays
    bounded (about ``chunk_size * num_samples * 784`` floats) however many images there are, and
    every chunk reuses one compiled program.

    Args:
        model: a :class:`~vae_tutorial.models.LatentModel` (an Autoencoder or a VAE).
        images: ``[n, 28, 28]`` or ``[n, 784]`` in [0, 1].
        labels: ``[n]`` integer labels, needed by (and only by) a conditional model
            (``model.is_conditional``, e.g. ``variants.ConditionalVAE``).
        seed: seed of the VAE's noise.
        num_samples: samples of z per image (VAE only).
        chunk_size: images per compiled call.

    Returns:
        ``{"loss": ..., "reconstruction": ..., "kl": ...}`` as Python floats.
    """
    if not isinstance(model, models.LatentModel):
        raise TypeError(f"model must be a vae_tutorial Autoencoder or VAE, got {type(model).__name__}")
    data = np.asarray(check_images(images), dtype=np.float32)
    num_samples = check_positive_int(num_samples, "num_samples")
    seed = check_seed(seed)
    graphdef, params = nnx.split(model)
    key = jax.random.key(seed)
    totals = np.zeros(2)
    conditional = getattr(model, "is_conditional", False)
    if conditional != (labels is not None):
        raise ValueError("a conditional model needs labels=[n] integers" if conditional else
                         f"labels are only for a conditional model, not a {type(model).__name__}")
    arrays = (data,) if labels is None else (data, _check_labels(labels, data.shape[0]))
    for chunk in chunks(*arrays, chunk_size=chunk_size):
        block = chunk.blocks[0]
        weights = (np.arange(len(block)) < chunk.valid).astype(np.float32)
        chunk_key = key if chunk.index == 0 else jax.random.fold_in(key, chunk.index)
        chunk_labels = jnp.asarray(chunk.blocks[1]) if conditional else None
        sums = _evaluate_chunk(params, graphdef, jnp.asarray(block), jnp.asarray(weights), chunk_key, chunk_labels,
                               num_samples=num_samples)
        totals += np.asarray(sums, dtype=np.float64)
    rec, kl = totals / data.shape[0]
    return {"loss": float(rec + kl), "reconstruction": float(rec), "kl": float(kl)}
