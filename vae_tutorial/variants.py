"""The VAEs people use: a convolutional VAE and a conditional VAE, as :class:`~vae_tutorial.models.LatentModel` s.

* :class:`ConvVAE`: strided convolutions in, transposed convolutions out (the shape of the
  encoders and decoders in most image VAEs since DCGAN, and of latent diffusion's autoencoder).
  The prior, the Gaussian encoder and the Bernoulli decoder are those of
  :class:`~vae_tutorial.models.VAE`; only the networks change, so ``train.fit``, ``train.evaluate``,
  ``losses.elbo_terms``, ``diagnostics.active_units``, the checkpoints and the study's judges work on it
  unchanged.
* :class:`ConditionalVAE` (Sohn, Lee and Yan, NeurIPS 2015): the encoder q(z | x, y) and the decoder
  p(x | z, y) both see the label y, so z only has to hold what the label does not say: the style.

How the label travels. Every method of :class:`ConditionalVAE` that needs the label takes it as a
``labels`` argument, ``[n]`` integers in 0..9: ``encode(images, labels)``, ``code(images, labels)``,
``decode_logits(z, labels)``, ``decode(z, labels)`` and ``loss_terms(images, *, key, labels)``.
``train.fit(model, images, labels=labels)`` carries them to ``train.latent_objective`` as
``batch["labels"]``, which hands them on to a model with ``is_conditional``; ``train.evaluate(model, images,
labels=labels)`` does the same for the test figures.

Convolutions are written as matrix products over image patches (:class:`StridedConv`,
:class:`StridedConvTranspose`): the same functions as ``nnx.Conv`` / ``nnx.ConvTranspose`` with a
4x4 kernel, stride 2 and padding 1 (checked in ``tests/test_variants.py``), but XLA's CPU
convolutions, their gradients especially, are about ten times slower on this course's machines
(measured here under load: about 50 s against about 5 s for one epoch of 4,500 digits, channels 16 and 32). Introduced in 11-vaes-people-use.

References:
    K. Sohn, H. Lee, X. Yan, "Learning Structured Output Representation using Deep Conditional
    Generative Models", NeurIPS 2015.
    A. Radford, L. Metz, S. Chintala, "Unsupervised Representation Learning with Deep
    Convolutional Generative Adversarial Networks", ICLR 2016 (4x4 kernels, stride 2).
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from vae_tutorial import checkpoints, losses, sampling
from vae_tutorial._checks import IMAGE_PIXELS, IMAGE_SIDE, check_images, check_latent, check_positive_int
from vae_tutorial.models import MLP, LatentModel, _check_config

__all__ = ["StridedConv", "StridedConvTranspose", "ConvVAE", "ConditionalVAE", "NUM_CLASSES",
           "check_labels", "KERNEL", "STRIDE", "PADDING"]

#: Every convolution here has a 4x4 kernel, stride 2 and one pixel of zero padding: 28 -> 14 -> 7 and back.
KERNEL, STRIDE, PADDING = 4, 2, 1
NUM_CLASSES = 10


def _kernel(rngs: nnx.Rngs, in_channels: int, out_channels: int, fan_in: int) -> nnx.Param:
    """He-normal weights ``[4, 4, in, out]`` (the layout of ``nnx.Conv``)."""
    shape = (KERNEL, KERNEL, in_channels, out_channels)
    return nnx.Param(jax.random.normal(rngs.params(), shape) * jnp.sqrt(2.0 / fan_in))


class StridedConv(nnx.Module):
    """A 4x4 convolution with stride 2 and padding 1: ``[n, h, w, c_in]`` to ``[n, h/2, w/2, c_out]``.

    Output pixel (i, j) is ``sum_{a, b, c} x_pad[2i + a, 2j + b, c] * kernel[a, b, c, :] + bias``,
    where ``x_pad`` is ``x`` with one row/column of zeros on every side: the function of
    ``nnx.Conv(c_in, c_out, (4, 4), strides=2, padding=((1, 1), (1, 1)))``, written as one matrix
    product over the 16 shifted, strided views of the image.
    """

    def __init__(self, in_channels: int, out_channels: int, *, rngs: nnx.Rngs):
        self.kernel = _kernel(rngs, in_channels, out_channels, KERNEL * KERNEL * in_channels)
        self.bias = nnx.Param(jnp.zeros((out_channels,)))

    def __call__(self, x: jax.Array) -> jax.Array:
        n, h, w, c = x.shape
        out_h, out_w = h // STRIDE, w // STRIDE
        padded = jnp.pad(x, ((0, 0), (PADDING, PADDING), (PADDING, PADDING), (0, 0)))
        views = [padded[:, a:a + STRIDE * out_h:STRIDE, b:b + STRIDE * out_w:STRIDE]
                 for a in range(KERNEL) for b in range(KERNEL)]
        patches = jnp.concatenate(views, axis=-1)  # [n, h/2, w/2, 16 * c], ordered (a, b, c)
        return patches @ self.kernel[...].reshape(-1, self.kernel.shape[-1]) + self.bias[...]


class StridedConvTranspose(nnx.Module):
    """The transposed 4x4 convolution with stride 2 and padding 1: ``[n, h, w, c_in]`` to ``[n, 2h, 2w, c_out]``.

    Each input pixel (i, j) adds ``x[i, j] @ kernel[a, b]`` to output pixel ``(2i + a - 1, 2j + b - 1)``
    (a "scatter" of the kernel; contributions outside the image are dropped), plus a bias: the
    gradient of :class:`StridedConv` with respect to its input, and PyTorch's
    ``ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1)``. Output size ``(h - 1) * 2 - 2 * 1 + 4 = 2h``.
    Written as one matrix product followed by an overlap-add of the four 2x2 phases.
    """

    def __init__(self, in_channels: int, out_channels: int, *, rngs: nnx.Rngs):
        # Each output pixel receives 2 x 2 kernel taps of every input channel.
        self.kernel = _kernel(rngs, in_channels, out_channels, 4 * in_channels)
        self.bias = nnx.Param(jnp.zeros((out_channels,)))

    def __call__(self, x: jax.Array) -> jax.Array:
        n, h, w, c = x.shape
        kernel = self.kernel[...]
        out_c = kernel.shape[-1]
        # y[n, i, j, a, b, :] = x[n, i, j] @ kernel[a, b]: what pixel (i, j) adds at offset (a, b).
        y = (x @ jnp.transpose(kernel, (2, 0, 1, 3)).reshape(c, -1)).reshape(n, h, w, 2, 2, 2, 2, out_c)
        # Offset a = 2q + r lands at full-size row 2(i + q) + r: phase r, shifted by q.
        full = 0.0
        for qa in range(2):
            for qb in range(2):
                part = y[:, :, :, qa, :, qb, :, :]  # [n, h, w, r_a, r_b, c]
                full = full + jnp.pad(part, ((0, 0), (qa, 1 - qa), (qb, 1 - qb), (0, 0), (0, 0), (0, 0)))
        full = jnp.transpose(full, (0, 1, 3, 2, 4, 5)).reshape(n, 2 * h + 2, 2 * w + 2, out_c)
        return full[:, PADDING:PADDING + 2 * h, PADDING:PADDING + 2 * w] + self.bias[...]


def _check_channels(channels) -> tuple[int, int]:
    channels = tuple(channels)
    if len(channels) != 2:
        raise ValueError(f"channels must hold two widths (the 14x14 and the 7x7 layer), got {channels!r}")
    return tuple(check_positive_int(c, "each channel count") for c in channels)


@checkpoints.register
class ConvVAE(LatentModel):
    """A convolutional VAE: two strided convolutions in, two transposed convolutions out.

    Encoder: ``[n, 28, 28, 1]`` -> conv 4x4/2 (``channels[0]``) -> relu -> ``[n, 14, 14, .]`` ->
    conv 4x4/2 (``channels[1]``) -> relu -> ``[n, 7, 7, .]`` -> dense -> ``(mean, log_var)``.
    Decoder: dense (``7 * 7 * channels[1]``) -> relu -> transposed conv 4x4/2 -> relu -> ``[n, 14, 14, .]``
    -> transposed conv 4x4/2 -> ``[n, 28, 28]`` Bernoulli logits. q(z|x) = N(mean, diag(exp(log_var)))
    and the prior N(0, I), as in :class:`~vae_tutorial.models.VAE`.

    Args:
        latent_dim: size of the latent space.
        channels: widths of the two convolutional layers (the decoder mirrors them).
        rngs: ``nnx.Rngs`` with a ``params`` stream.

    Example:
        >>> model = ConvVAE(8, rngs=nnx.Rngs(params=0))
        >>> [a.shape for a in model.encode(jnp.zeros((5, 28, 28)))]
        [(5, 8), (5, 8)]
    """

    is_variational = True

    def __init__(self, latent_dim: int = 16, *, channels: Sequence[int] = (32, 64), rngs: nnx.Rngs):
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.channels = _check_channels(channels)
        c1, c2 = self.channels
        side = IMAGE_SIDE // 4
        self.conv1 = StridedConv(1, c1, rngs=rngs)
        self.conv2 = StridedConv(c1, c2, rngs=rngs)
        self.to_latent = nnx.Linear(side * side * c2, 2 * self.latent_dim, rngs=rngs)
        self.from_latent = nnx.Linear(self.latent_dim, side * side * c2, rngs=rngs)
        self.deconv1 = StridedConvTranspose(c2, c1, rngs=rngs)
        self.deconv2 = StridedConvTranspose(c1, 1, rngs=rngs)

    def encode(self, images: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Parameters of q(z|x): images ``[n, 28, 28]``/``[n, 784]`` to ``(mean, log_var)``, each ``[n, latent_dim]``."""
        x = check_images(images).reshape(-1, IMAGE_SIDE, IMAGE_SIDE, 1)
        h = nnx.relu(self.conv2(nnx.relu(self.conv1(x))))
        out = self.to_latent(h.reshape(h.shape[0], -1))
        return out[:, : self.latent_dim], out[:, self.latent_dim:]

    def code(self, images: jax.Array) -> jax.Array:
        """The mean of q(z|x): ``[n, 28, 28]``/``[n, 784]`` to ``[n, latent_dim]``."""
        return self.encode(images)[0]

    def decode_logits(self, z: jax.Array) -> jax.Array:
        """Bernoulli logits of each pixel, ``[n, latent_dim] -> [n, 28, 28]``."""
        z = check_latent(z, self.latent_dim)
        side = IMAGE_SIDE // 4
        h = nnx.relu(self.from_latent(z)).reshape(z.shape[0], side, side, self.channels[1])
        return self.deconv2(nnx.relu(self.deconv1(h)))[..., 0]

    def loss_terms(self, images: jax.Array, *, key: jax.Array, num_samples: int = 1):
        """The negative ELBO's two terms ``(reconstruction [n], kl [n])`` in nats (see :func:`losses.elbo_terms`)."""
        return losses.elbo_terms(self, images, key=key, num_samples=num_samples)

    @property
    def decoder_activation(self) -> str:
        return "relu"

    def decoder_layers(self):
        """Not available: the browser explorers decode with dense layers, and this decoder is convolutional."""
        raise TypeError("a ConvVAE's decoder is convolutional: the in-browser explorers need dense decoder layers "
                        "(models.VAE); decode in Python with latent.decode(model, z)")

    def __call__(self, images: jax.Array, *, key: jax.Array):
        """Encode, sample z with the reparameterization trick, decode: ``(logits, mean, log_var)``."""
        mean, log_var = self.encode(images)
        return self.decode_logits(sampling.reparameterize(key, mean, log_var)), mean, log_var

    def config(self) -> dict:
        """The constructor arguments, as stored in checkpoints."""
        return {"latent_dim": self.latent_dim, "channels": list(self.channels)}


def check_labels(labels, n: int, *, num_classes: int = NUM_CLASSES):
    """Labels ``[n]`` of an integer type in ``0..num_classes-1`` (values checked outside ``jax.jit``)."""
    if not hasattr(labels, "shape") or not hasattr(labels, "dtype"):
        raise TypeError(f"labels must be an integer array of shape [{n}], got {type(labels).__name__}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must be integers 0..{num_classes - 1}, got dtype {labels.dtype}")
    if tuple(labels.shape) != (n,):
        raise ValueError(f"labels must hold one label per image or code, shape ({n},), got {tuple(labels.shape)}")
    if not isinstance(labels, jax.core.Tracer):
        values = np.asarray(labels)
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(f"labels must lie in 0..{num_classes - 1}, got values in [{values.min()}, {values.max()}]")
    return labels


@checkpoints.register
class ConditionalVAE(LatentModel):
    """A conditional VAE (Sohn et al. 2015): q(z | x, y) and p(x | z, y) both see the label y.

    The label enters as a one-hot vector concatenated to the encoder's input (784 + 10 numbers) and
    to the decoder's input (``latent_dim + 10``). The prior stays N(0, I) for every label, so one
    code z decoded with ten labels gives ten digits in the same style. Every method that needs the
    label takes ``labels``, ``[n]`` integers (see the module docstring).

    Args:
        latent_dim: size of the style code z.
        hidden_sizes: hidden widths of the encoder; the decoder mirrors them.
        activation: hidden nonlinearity (``"relu"``, ``"tanh"`` or ``"elu"``).
        rngs: ``nnx.Rngs`` with a ``params`` stream.
    """

    is_variational = True
    is_conditional = True
    num_classes = NUM_CLASSES

    def __init__(self, latent_dim: int = 2, *, hidden_sizes: Sequence[int] = (512,),
                 activation: str = "relu", rngs: nnx.Rngs):
        latent_dim, hidden = _check_config(latent_dim, hidden_sizes, activation)
        self.latent_dim, self.hidden_sizes, self.activation = latent_dim, hidden, activation
        self.encoder = MLP((IMAGE_PIXELS + NUM_CLASSES, *hidden, 2 * latent_dim), activation=activation, rngs=rngs)
        self.decoder = MLP((latent_dim + NUM_CLASSES, *hidden[::-1], IMAGE_PIXELS), activation=activation, rngs=rngs)

    def decoder_layers(self):
        """The decoder's dense layers, ``[(kernel [n_in, n_out], bias [n_out]), ...]`` as float32 arrays.

        Unlike an unconditional model's, the first layer's input is ``[z, onehot(label)]``
        (``latent_dim + 10`` numbers: the code, then the label's one-hot vector); applying the
        layers in order to that input, with ``decoder_activation`` between them, gives
        ``decode_logits(z, labels)`` (flattened). ``widgets.ConditionalExplorer`` sends these.
        """
        return super().decoder_layers()

    def _one_hot(self, labels, n: int) -> jax.Array:
        return jax.nn.one_hot(check_labels(labels, n), NUM_CLASSES, dtype=jnp.float32)

    def encode(self, images: jax.Array, labels: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Parameters of q(z|x, y): images ``[n, 28, 28]``/``[n, 784]`` and labels ``[n]`` to ``(mean, log_var)``."""
        flat = check_images(images)
        out = self.encoder(jnp.concatenate([flat, self._one_hot(labels, flat.shape[0])], axis=-1))
        return out[:, : self.latent_dim], out[:, self.latent_dim:]

    def code(self, images: jax.Array, labels: jax.Array) -> jax.Array:
        """The mean of q(z|x, y), ``[n, latent_dim]``: the style of each image given its label."""
        return self.encode(images, labels)[0]

    def decode_logits(self, z: jax.Array, labels: jax.Array) -> jax.Array:
        """Bernoulli logits ``[n, 28, 28]`` of codes ``[n, latent_dim]`` drawn as the digits ``labels [n]``."""
        z = check_latent(z, self.latent_dim)
        inputs = jnp.concatenate([z, self._one_hot(labels, z.shape[0])], axis=-1)
        return self.decoder(inputs).reshape(z.shape[0], IMAGE_SIDE, IMAGE_SIDE)

    def decode(self, z: jax.Array, labels: jax.Array) -> jax.Array:
        """Pixel intensities ``[n, 28, 28]`` of codes ``z`` drawn as the digits ``labels``."""
        return nnx.sigmoid(self.decode_logits(z, labels))

    def loss_terms(self, images: jax.Array, *, key: jax.Array, labels: jax.Array, num_samples: int = 1):
        """``(reconstruction [n], kl [n])`` in nats: the negative conditional ELBO of log p(x | y).

        ``E_q(z|x,y)[-log p(x|z,y)] + KL(q(z|x,y) || N(0, I))``, with ``num_samples`` draws of z.
        """
        num_samples = check_positive_int(num_samples, "num_samples")
        flat = check_images(images)
        mean, log_var = self.encode(flat, labels)
        keys = jax.random.split(key, num_samples)
        z = jax.vmap(lambda k: sampling.reparameterize(k, mean, log_var))(keys).reshape(-1, self.latent_dim)
        repeated = jnp.tile(jnp.asarray(labels), num_samples)
        logits = self.decode_logits(z, repeated).reshape(num_samples, flat.shape[0], -1)
        reconstruction = jax.vmap(lambda lo: losses.bernoulli_reconstruction(lo, flat))(logits).mean(axis=0)
        return reconstruction, losses.gaussian_kl(mean, log_var)

    def __call__(self, images: jax.Array, labels: jax.Array, *, key: jax.Array):
        """Encode, sample z, decode with the same labels: ``(logits, mean, log_var)``."""
        mean, log_var = self.encode(images, labels)
        return self.decode_logits(sampling.reparameterize(key, mean, log_var), labels), mean, log_var
