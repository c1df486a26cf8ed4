"""Judges of generated digits that do not reward contrast alone.

A classifier's top probability (:func:`vae_tutorial.plausibility.confidence`) is high for crisp,
over-confident images, even for extrapolations far from the data. The judges here ask instead
whether generated images lie *where real digits lie*:

1. :func:`realism`: the improved-precision share of Kynkäänniemi et al. (2019). Each real image
   gets a ball whose radius is the distance to its ``k``-th nearest real neighbour; a generated
   image counts as realistic when it falls inside at least one ball. Computed in pixel space or
   in the feature space of a small CNN digit classifier (:class:`DigitCNN`, :func:`features`).
2. :func:`frechet_distance`: the Fréchet distance between Gaussians fitted to two sets of
   features, as FID does with Inception features (Heusel et al. 2017). Biased for small sets:
   compare only sets of equal size.
3. :func:`nearest_real_distance`: the pixel distance from each image to its nearest real digit.

Pixel distances favour blur a little (a smooth average lies close to many digits in Euclidean
distance), the CNN's features favour shape; report both. Introduced in 08-vae-against-autoencoder.

References:
    T. Kynkäänniemi, T. Karras, S. Laine, J. Lehtinen, T. Aila, "Improved Precision and Recall
    Metric for Assessing Generative Models", NeurIPS 2019.
    M. Heusel, H. Ramsauer, T. Unterthiner, B. Nessler, S. Hochreiter, "GANs Trained by a Two
    Time-Scale Update Rule Converge to a Local Nash Equilibrium", NeurIPS 2017 (FID).
"""

from __future__ import annotations

import functools
from importlib import resources

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from vae_tutorial import _compiled, checkpoints, plausibility, train
from vae_tutorial._checks import IMAGE_SIDE, check_images, check_positive_int
from vae_tutorial._chunks import map_chunks

__all__ = [
    "DigitCNN", "PatchConv", "train_cnn", "shipped_cnn", "features", "predict", "accuracy",
    "kth_neighbour_radii", "realistic", "realism", "frechet_distance", "nearest_real_distance", "sharpness",
    "CNN_FILE", "SPACES",
]

CNN_FILE = "digit-cnn.ckpt"
SPACES = ("pixels", "features")


def _patch_conv(x: jax.Array, kernel: jax.Array) -> jax.Array:
    """A 3x3 "same" convolution as one matrix product over image patches: ``[n, h, w, c]`` @ ``[9c, out]``."""
    n, h, w, _ = x.shape
    padded = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    patches = jnp.concatenate([padded[:, i:i + h, j:j + w] for i in range(3) for j in range(3)], axis=-1)
    return patches @ kernel


@jax.custom_vjp
def _conv3x3(x: jax.Array, kernel: jax.Array) -> jax.Array:
    """The same function as :func:`_patch_conv`, run forward by XLA's convolution (2.6x faster on a 2-core CPU)."""
    return jax.lax.conv_general_dilated(x, kernel.reshape(3, 3, x.shape[-1], -1), (1, 1), "SAME",
                                        dimension_numbers=("NHWC", "HWIO", "NHWC"))


def _conv3x3_forward(x, kernel):
    return _conv3x3(x, kernel), (x, kernel)


def _conv3x3_backward(saved, grad):
    return jax.vjp(_patch_conv, *saved)[1](grad)  # XLA's convolution gradient is the slow part on a CPU


_conv3x3.defvjp(_conv3x3_forward, _conv3x3_backward)


class PatchConv(nnx.Module):
    """A 3x3 convolution (stride 1, zero padding "same") whose gradient is one matrix product over image patches.

    The same function as ``nnx.Conv(c_in, c_out, (3, 3), padding="SAME")``. XLA's CPU convolution
    gradient is tens of times slower than the patch-matrix form on this course's machines, so the
    gradient goes through patches; the forward pass (all that judging images needs) uses XLA's
    convolution, which is faster there (measured side by side when introduced: 0.16 s -> 0.06 s for
    the CNN features of 500 digits; the features came out bit for bit the same).
    """

    def __init__(self, in_channels: int, out_channels: int, *, rngs: nnx.Rngs):
        fan_in = 9 * in_channels
        self.kernel = nnx.Param(jax.random.normal(rngs.params(), (fan_in, out_channels)) * jnp.sqrt(2.0 / fan_in))
        self.bias = nnx.Param(jnp.zeros((out_channels,)))

    def __call__(self, x: jax.Array) -> jax.Array:
        """``[n, h, w, c_in]`` to ``[n, h, w, c_out]``."""
        return _conv3x3(x, self.kernel[...]) + self.bias[...]


def _pool(x: jax.Array) -> jax.Array:
    """2x2 average pooling with stride 2: ``[n, h, w, c]`` to ``[n, h/2, w/2, c]``."""
    n, h, w, c = x.shape
    return x.reshape(n, h // 2, 2, w // 2, 2, c).mean(axis=(2, 4))


@checkpoints.register
class DigitCNN(nnx.Module):
    """A small convolutional digit classifier: two 3x3 conv layers with 2x2 average pooling, then dense.

    ``[n, 28, 28]`` -> conv(``channels[0]``) -> relu -> pool -> conv(``channels[1]``) -> relu -> pool
    -> dense(``hidden``) -> relu (the *features*, :meth:`features`) -> dense(10) (the logits).

    Args:
        channels: output channels of the two conv layers.
        hidden: width of the penultimate layer (the feature dimension).
        rngs: ``nnx.Rngs`` with a ``params`` stream.
    """

    def __init__(self, *, channels: tuple[int, int] = (16, 32), hidden: int = 64, rngs: nnx.Rngs):
        if len(channels) != 2:
            raise ValueError(f"channels must hold two conv widths, got {channels!r}")
        self.channels = tuple(check_positive_int(c, "channels") for c in channels)
        self.hidden = check_positive_int(hidden, "hidden")
        self.conv1 = PatchConv(1, self.channels[0], rngs=rngs)
        self.conv2 = PatchConv(self.channels[0], self.channels[1], rngs=rngs)
        side = IMAGE_SIDE // 4
        self.dense = nnx.Linear(side * side * self.channels[1], self.hidden, rngs=rngs)
        self.out = nnx.Linear(self.hidden, 10, rngs=rngs)

    def features(self, images: jax.Array) -> jax.Array:
        """The penultimate layer: ``[n, 28, 28]`` or ``[n, 784]`` to ``[n, hidden]``."""
        x = jnp.reshape(images, (images.shape[0], IMAGE_SIDE, IMAGE_SIDE, 1))
        x = _pool(nnx.relu(self.conv1(x)))
        x = _pool(nnx.relu(self.conv2(x)))
        return nnx.relu(self.dense(x.reshape(x.shape[0], -1)))

    def __call__(self, images: jax.Array) -> jax.Array:
        """Class logits ``[n, 10]``."""
        return self.out(self.features(images))

    def config(self) -> dict:
        """The constructor arguments, as stored in checkpoints."""
        return {"channels": list(self.channels), "hidden": self.hidden}


def train_cnn(images, labels, *, epochs: int = 12, batch_size: int = 64, seed: int = 0) -> DigitCNN:
    """Train a :class:`DigitCNN` with Adam on cross-entropy (:func:`vae_tutorial.train.fit_classifier`; used by ``tools/latent_study.py``).

    Same seed, versions and machine give the same weights bit for bit.
    """
    return train.fit_classifier(DigitCNN(rngs=nnx.Rngs(params=seed)), images, labels, epochs=epochs,
                                batch_size=batch_size, seed=seed)


@functools.cache
def shipped_cnn() -> DigitCNN:
    """The CNN that ships with the package (``assets/digit-cnn.ckpt``; its test accuracy is in the metadata)."""
    with resources.as_file(resources.files("vae_tutorial").joinpath("assets", CNN_FILE)) as file:
        return checkpoints.load(file, expect=DigitCNN)


def _chunked(method, images, model, chunk_size):
    """Run ``model.<method>`` compiled on fixed-size chunks (the last one padded), so one program serves every size."""
    flat = np.asarray(check_images(images), dtype=np.float32)
    return map_chunks(lambda block: _compiled.apply(model, method, jnp.asarray(block)), flat, chunk_size=chunk_size)


def features(images, *, model: DigitCNN | None = None, chunk_size: int = 500) -> np.ndarray:
    """CNN features (the penultimate layer) of ``images [n, 28, 28]``: ``[n, hidden]`` float32, in chunks.

    Args:
        images: ``[n, 28, 28]`` or ``[n, 784]`` in [0, 1].
        model: defaults to :func:`shipped_cnn`.
        chunk_size: images per compiled call (memory stays bounded for any ``n``).
    """
    return _chunked("features", images, model or shipped_cnn(), chunk_size)


def predict(images, *, model: DigitCNN | None = None, chunk_size: int = 500) -> np.ndarray:
    """The CNN's predicted class of each image, ``[n]`` integers."""
    return _chunked("__call__", images, model or shipped_cnn(), chunk_size).argmax(axis=1)


def accuracy(images, labels, *, model: DigitCNN | None = None) -> float:
    """Share of ``images`` whose predicted class equals ``labels``."""
    labels = np.asarray(labels)
    if labels.shape != (len(images),):
        raise ValueError(f"labels must hold one class per image ({len(images)}), got shape {labels.shape}")
    return float(np.mean(predict(images, model=model) == labels))


def _as_points(x, name: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(f"{name} must be a non-empty array [n, ...], got shape {x.shape}")
    return x.reshape(len(x), -1)


def _squared_distances(a, b, b_sq):
    """``[len(a), len(b)]`` squared Euclidean distances (float32), clipped at 0."""
    return np.maximum(np.einsum("ij,ij->i", a, a)[:, None] - 2.0 * (a @ b.T) + b_sq[None, :], 0.0)


def kth_neighbour_radii(real, *, k: int = 3, chunk_size: int = 512) -> np.ndarray:
    """Distance from each real point to its ``k``-th nearest *other* real point: ``[m]``.

    The radius of each real point's ball in :func:`realism`. Chunked: the largest temporary is a
    ``[chunk_size, m]`` float32 block.
    """
    r = _as_points(real, "real")
    k = check_positive_int(k, "k")
    if k >= len(r):
        raise ValueError(f"k ({k}) must be smaller than the number of real points ({len(r)})")
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    r_sq = np.einsum("ij,ij->i", r, r)
    radii = np.empty(len(r), np.float32)
    for start in range(0, len(r), chunk_size):
        sq = _squared_distances(r[start:start + chunk_size], r, r_sq)
        # Column k of the sorted row: column 0 is the point itself (distance 0).
        radii[start:start + len(sq)] = np.sqrt(np.partition(sq, k, axis=1)[:, k])
    return radii


def realistic(generated, real, *, k: int = 3, space: str = "pixels", radii=None, model: DigitCNN | None = None,
              chunk_size: int = 512) -> np.ndarray:
    """Which generated images fall inside some real image's k-NN ball: ``[n]`` booleans (see :func:`realism`)."""
    if space not in SPACES:
        raise ValueError(f"space must be one of {SPACES}, got {space!r}")
    if space == "features":
        generated, real = features(generated, model=model), features(real, model=model)
    g, r = _as_points(generated, "generated"), _as_points(real, "real")
    if g.shape[1] != r.shape[1]:
        raise ValueError(f"generated and real must have the same dimension, got {g.shape[1]} and {r.shape[1]}")
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    radii = kth_neighbour_radii(r, k=k, chunk_size=chunk_size) if radii is None else np.asarray(radii, np.float32)
    if radii.shape != (len(r),):
        raise ValueError(f"radii must hold one radius per real point ({len(r)}), got shape {radii.shape}")
    r_sq, radii_sq = np.einsum("ij,ij->i", r, r), radii.astype(np.float32) ** 2
    inside = np.empty(len(g), bool)
    for start in range(0, len(g), chunk_size):
        sq = _squared_distances(g[start:start + chunk_size], r, r_sq)
        inside[start:start + len(sq)] = (sq <= radii_sq[None, :]).any(axis=1)
    return inside


def realism(generated, real, *, k: int = 3, space: str = "pixels", radii=None, model: DigitCNN | None = None,
            chunk_size: int = 512) -> float:
    """Improved precision (Kynkäänniemi et al. 2019): the share of generated images in some real image's k-NN ball.

    Real image j has the ball of radius ``r_j`` = distance to its ``k``-th nearest real neighbour.
    A generated image g is realistic when ``|g - x_j| <= r_j`` for at least one j. The real set
    against itself scores 1 (each point lies in its own ball); images far from all real ones score 0.
    It does not ask whether the images are crisp, only whether they land where real digits lie.

    Args:
        generated: ``[n, 28, 28]`` images, or any ``[n, d]`` vectors when ``space="pixels"``.
        real: ``[m, 28, 28]`` real images (or ``[m, d]`` vectors), the same kind as ``generated``.
        k: the neighbour that sets each ball's radius (3 as in the paper).
        space: ``"pixels"`` (Euclidean distance of the arrays as given) or ``"features"`` (first map
            both image sets through :func:`features` of the CNN).
        radii: precomputed ``kth_neighbour_radii(real-in-that-space, k=k)``, to reuse across calls.
        model: the CNN for ``space="features"`` (defaults to :func:`shipped_cnn`).
        chunk_size: generated points per block; the largest temporary is ``[chunk_size, m]`` float32,
            so memory stays bounded however many images are judged.

    Returns:
        The share in [0, 1].

    Raises:
        ValueError: for an unknown ``space``, mismatched dimensions, ``k >= m`` or radii of the wrong length.
    """
    return float(realistic(generated, real, k=k, space=space, radii=radii, model=model,
                           chunk_size=chunk_size).mean())


def _symmetric_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix through ``eigh`` (negative round-off clipped)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(a_features, b_features) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (the FID formula).

    ``|mu_a - mu_b|^2 + tr(C_a) + tr(C_b) - 2 tr((C_a^1/2 C_b C_a^1/2)^1/2)``: the trace of the
    matrix square root ``(C_a C_b)^1/2`` is computed in the symmetric form, with two symmetric
    eigendecompositions (no SciPy). Covariances use ``n - 1``. The estimate is biased upwards for
    small sets, so compare only sets of equal size.

    Args:
        a_features: ``[n, d]``.
        b_features: ``[m, d]`` (the same ``d``; ``n, m >= 2``).

    Returns:
        The distance (>= 0, in squared feature units).
    """
    a, b = np.asarray(a_features, np.float64), np.asarray(b_features, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sets must be [n, d] and [m, d] with the same d, got {a.shape} and {b.shape}")
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"each feature set needs at least 2 rows, got {len(a)} and {len(b)}")
    mean_a, mean_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    root_a = _symmetric_sqrt(cov_a)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0.0, None)).sum()
    value = float(((mean_a - mean_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2.0 * cross)
    return max(value, 0.0)


def nearest_real_distance(images, real, *, chunk_size: int = 1024) -> np.ndarray:
    """Pixel distance from each image to its nearest real digit, ``[n]`` (see :func:`plausibility.nearest_distance`)."""
    return plausibility.nearest_distance(images, real, chunk_size=chunk_size)


def sharpness(images) -> float:
    """Mean squared difference between neighbouring pixels (horizontal and vertical), over ``images [n, 28, 28]``.

    A blurred image has smaller steps between neighbours: divide a model's value by that of the real
    digits to read "1 = as sharp as real digits".
    """
    x = np.asarray(check_images(images), np.float64).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
    return float((np.diff(x, axis=1) ** 2).mean() + (np.diff(x, axis=2) ** 2).mean()) / 2
