"""A VAE whose code is a set of categorical variables, trained with Gumbel-softmax gradients.

* :class:`DiscreteVAE`: a :class:`~vae_tutorial.models.LatentModel` whose code is ``num_variables``
  one-hot vectors of ``num_classes`` classes; trains with :func:`vae_tutorial.train.fit`,
  evaluates with :func:`vae_tutorial.train.evaluate`, saves with :mod:`vae_tutorial.checkpoints`.
* :func:`train_annealed`, :func:`train_recipe`: training with a falling temperature.
* :func:`load_pretrained`: the shipped model (``assets/pretrained/discrete-vae-20x10.ckpt``).

The samplers and the estimator study live in :mod:`vae_tutorial.categorical` and are re-exported
here. Introduced in 10-beyond-the-gaussian.

References:
    Jang, Gu and Poole, "Categorical Reparameterization with Gumbel-Softmax", ICLR 2017
    (arXiv:1611.01144).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

import jax
import jax.numpy as jnp
from flax import nnx

from vae_tutorial import checkpoints, losses
from vae_tutorial._checks import IMAGE_PIXELS, check_images, check_positive_int
from vae_tutorial.categorical import (  # noqa: F401  (re-exported: the notebook reaches them as discrete.*)
    ESTIMATORS, EstimatorProblem, _check_temperature, categorical_kl_uniform, estimator_study, exact_gradient,
    gumbel_noise, gumbel_softmax, straight_through)
from vae_tutorial.models import ACTIVATIONS, MLP, LatentModel

__all__ = [
    "DiscreteVAE", "PRETRAINED", "PRETRAINED_RECIPE", "load_pretrained", "pretrained_path", "anneal",
    "train_annealed", "train_recipe",
    "gumbel_noise", "gumbel_softmax", "straight_through", "categorical_kl_uniform", "EstimatorProblem",
    "exact_gradient", "estimator_study", "ESTIMATORS",
]

# --------------------------------------------------------------------------------------------
# A VAE with categorical codes
# --------------------------------------------------------------------------------------------


@checkpoints.register
class DiscreteVAE(LatentModel):
    """A VAE whose code is ``num_variables`` categorical variables of ``num_classes`` classes each.

    The encoder outputs logits ``[n, num_variables, num_classes]``; q(z|x) is the product of the
    categorical distributions ``softmax(logits)``; the prior is uniform over the classes. A code is
    the concatenation of the one-hot vectors, ``latent_dim = num_variables * num_classes`` numbers,
    and the decoder is the same MLP as the Gaussian VAE's.

    ``loss_terms`` returns the negative ELBO's two terms of this discrete model: the reconstruction
    is measured at exact one-hot draws (so ``train.evaluate`` reports a true bound), and its
    *gradient* is that of the decoder at the Gumbel-softmax sample at ``self.temperature`` (same
    noise). The KL to the uniform prior is exact.

    Args:
        num_variables: number of categorical variables.
        num_classes: classes per variable (>= 2).
        hidden_sizes: hidden widths of the encoder; the decoder mirrors them.
        activation: hidden nonlinearity.
        temperature: the Gumbel-softmax temperature of the training gradient (> 0); change it
            between calls of ``train.fit`` to anneal (:func:`train_annealed`).
        rngs: ``nnx.Rngs`` with a ``params`` stream.
    """

    is_variational = True

    def __init__(self, num_variables: int = 20, num_classes: int = 10, *, hidden_sizes: Sequence[int] = (512,),
                 activation: str = "relu", temperature: float = 1.0, rngs: nnx.Rngs):
        num_variables = check_positive_int(num_variables, "num_variables")
        num_classes = check_positive_int(num_classes, "num_classes")
        if num_classes < 2:
            raise ValueError(f"num_classes must be >= 2 (a choice between classes), got {num_classes}")
        hidden = tuple(check_positive_int(h, "each hidden size") for h in hidden_sizes)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        _check_temperature(temperature, "DiscreteVAE")
        self.num_variables, self.num_classes = num_variables, num_classes
        self.latent_dim = num_variables * num_classes
        self.hidden_sizes, self.activation, self.temperature = hidden, activation, float(temperature)
        self.encoder = MLP((IMAGE_PIXELS, *hidden, self.latent_dim), activation=activation, rngs=rngs)
        self.decoder = MLP((self.latent_dim, *hidden[::-1], IMAGE_PIXELS), activation=activation, rngs=rngs)

    def encode(self, images: jax.Array) -> jax.Array:
        """Logits of q(z|x): images ``[n, 28, 28]``/``[n, 784]`` to ``[n, num_variables, num_classes]``."""
        out = self.encoder(check_images(images))
        return out.reshape(out.shape[0], self.num_variables, self.num_classes)

    def code(self, images: jax.Array) -> jax.Array:
        """The mean of q(z|x), the class probabilities, flattened: ``[n, latent_dim]``."""
        return jax.nn.softmax(self.encode(images), axis=-1).reshape(-1, self.latent_dim)

    def mode(self, images: jax.Array) -> jax.Array:
        """The most probable code: the one-hot vector of each variable's likeliest class, ``[n, latent_dim]``."""
        logits = self.encode(images)
        return jax.nn.one_hot(jnp.argmax(logits, -1), self.num_classes).reshape(-1, self.latent_dim)

    def codes_from_classes(self, classes) -> jax.Array:
        """One-hot codes ``[n, latent_dim]`` from class indices ``[n, num_variables]`` (or one row)."""
        classes = jnp.atleast_2d(jnp.asarray(classes))
        if classes.shape[-1] != self.num_variables:
            raise ValueError(f"classes must have {self.num_variables} entries per code, got shape {classes.shape}")
        return jax.nn.one_hot(classes, self.num_classes).reshape(classes.shape[0], self.latent_dim)

    def sample_prior(self, key: jax.Array, n: int) -> jax.Array:
        """``n`` codes drawn from the uniform prior, ``[n, latent_dim]``."""
        n = check_positive_int(n, "n")
        classes = jax.random.randint(key, (n, self.num_variables), 0, self.num_classes)
        return self.codes_from_classes(classes)

    def loss_terms(self, images: jax.Array, *, key: jax.Array, num_samples: int = 1):
        """``(reconstruction [n], kl [n])`` in nats: the discrete negative ELBO's terms (see the class)."""
        num_samples = check_positive_int(num_samples, "num_samples")
        flat = check_images(images)
        logits = self.encode(flat)  # [n, V, C]
        keys = jax.random.split(key, num_samples)
        relaxed = jax.vmap(lambda k: gumbel_softmax(k, logits, temperature=self.temperature))(keys)
        hard = jax.lax.stop_gradient(straight_through(relaxed))  # exact one-hot draws, same noise
        targets = jnp.broadcast_to(flat, (num_samples, *flat.shape)).reshape(-1, flat.shape[-1])

        def reconstruction(z):
            logits_x = self.decode_logits(z.reshape(-1, self.latent_dim))
            return losses.bernoulli_reconstruction(logits_x, targets).reshape(num_samples, -1).mean(axis=0)

        at_hard, at_relaxed = reconstruction(hard), reconstruction(relaxed)
        value = at_hard + (at_relaxed - jax.lax.stop_gradient(at_relaxed))  # value: one-hot; gradient: relaxed
        return value, categorical_kl_uniform(logits)

    def __call__(self, images: jax.Array, *, key: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Encode, draw a relaxed code at ``self.temperature``, decode: ``(logits [n, 28, 28], encoder logits)``."""
        logits = self.encode(images)
        z = gumbel_softmax(key, logits, temperature=self.temperature)
        return self.decode_logits(z.reshape(-1, self.latent_dim)), logits

    def config(self) -> dict:
        """The constructor arguments, as stored in checkpoints."""
        return {"num_variables": self.num_variables, "num_classes": self.num_classes,
                "hidden_sizes": list(self.hidden_sizes), "activation": self.activation,
                "temperature": self.temperature}


def anneal(epoch: int, *, start: float, end: float, epochs: int) -> float:
    """The temperature of ``epoch`` (1-based) on a geometric path from ``start`` to ``end`` over ``epochs`` epochs."""
    fraction = (epoch - 1) / max(epochs - 1, 1)
    return float(start * (end / start) ** fraction)


def train_annealed(model: DiscreteVAE, images, *, epochs: int, stages: int, start: float, end: float,
                   seed: int = 0, progress: bool = False):
    """Train ``model`` with :func:`vae_tutorial.train.fit` in ``stages`` stages of falling temperature.

    Stage ``k`` (1-based) runs ``epochs // stages`` epochs at temperature ``anneal(k, start, end,
    stages)``, data-order seed ``1000 * seed + k``. Each stage is one call of ``train.fit``, so Adam's moment estimates
    restart at each stage. Returns the list of each stage's :class:`~vae_tutorial.train.History`.
    """
    from vae_tutorial import train

    stages = check_positive_int(stages, "stages")
    per_stage = check_positive_int(epochs // stages, "epochs // stages")
    histories = []
    for k in range(1, stages + 1):
        model.temperature = anneal(k, start=start, end=end, epochs=stages)
        histories.append(train.fit(model, images, epochs=per_stage, seed=1000 * seed + k, progress=progress))
    return histories


PRETRAINED = "discrete-vae-20x10"
#: How the shipped discrete VAE was trained (tools/train_pretrained.py, ``build_discrete``).
PRETRAINED_RECIPE = {"class": "DiscreteVAE", "num_variables": 20, "num_classes": 10, "epochs": 30,
                     "stages": 3, "start_temperature": 1.0, "end_temperature": 0.5}


def train_recipe(images, *, seed: int = 0, recipe: dict | None = None) -> tuple[DiscreteVAE, list]:
    """A new :class:`DiscreteVAE` trained by ``recipe`` (default :data:`PRETRAINED_RECIPE`) with weights seed ``seed``.

    Returns ``(model, histories)``: the model ends at the recipe's last temperature.
    """
    recipe = PRETRAINED_RECIPE if recipe is None else recipe
    model = DiscreteVAE(recipe["num_variables"], recipe["num_classes"], temperature=recipe["start_temperature"],
                        rngs=nnx.Rngs(params=seed))
    histories = train_annealed(model, images, epochs=recipe["epochs"], stages=recipe["stages"],
                               start=recipe["start_temperature"], end=recipe["end_temperature"], seed=seed)
    return model, histories


def pretrained_path():
    """The packaged checkpoint file of the shipped discrete VAE (an ``importlib.resources`` traversable)."""
    return resources.files("vae_tutorial").joinpath("assets", "pretrained", f"{PRETRAINED}.ckpt")


def load_pretrained() -> DiscreteVAE:
    """The shipped discrete VAE (``assets/pretrained/discrete-vae-20x10.ckpt``), trained by :data:`PRETRAINED_RECIPE`."""
    with resources.as_file(pretrained_path()) as file:
        return checkpoints.load(file, expect=DiscreteVAE)
