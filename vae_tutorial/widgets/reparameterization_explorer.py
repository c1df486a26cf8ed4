"""The reparameterization explorer: z = mu + sigma * eps with the noise eps held fixed.

Introduced in 04-reparameterization-trick (and used in 03-vae-sampling-problem).
"""

from __future__ import annotations

import numpy as np
import traitlets
from matplotlib.figure import Figure

from vae_tutorial import geometry
from vae_tutorial._checks import check_positive_int, check_seed
from vae_tutorial.models import check_model
from vae_tutorial.widgets.base import Explorer, check_name, check_one_image, check_scale, input_pixels
from vae_tutorial.widgets.snapshot import Snapshot
from vae_tutorial.widgets.still import draw_decoded_rows, footer, rows_axes

__all__ = ["ReparameterizationExplorer", "MAX_DRAWS"]

MAX_DRAWS = 25


class ReparameterizationExplorer(Explorer):
    """The reparameterization trick in one gesture: z = mu + sigma * eps with the noise eps held fixed.

    ``count`` noise vectors eps ~ N(0, I) are drawn once (NumPy's ``default_rng(seed)``) and held
    fixed; moving mu or sigma moves every draw ``z_k = mu + sigma_scale * sigma * eps_k``
    smoothly, and each is decoded in the browser. A button draws new eps (in the browser;
    :meth:`new_eps` does it from Python). For a 2-D model mu and sigma get a slider per
    coordinate; for a larger one only the sigma scale moves (mu and sigma stay as encoded and can
    be set from Python). A panel shows z's first two coordinates: mu (black), the ellipse of one
    scaled standard deviation, and the draws (red) joined to mu.

    Args:
        model: a course model. With ``image``, a VAE (``model.is_variational``): mu and sigma are
            its q(z|x) for that image. Without, mu = 0 and sigma = 1 (the prior N(0, I)).
        image: optional one image ``[28, 28]`` or ``[784]`` in [0, 1], shown beside the draws.
        count: number of fixed noise vectors (draws), 1 to 25, e.g. 9 for a 3x3 grid.
        seed: integer >= 0, seed of the first eps.
        sigma_scale: the sigma scale slider's start, 0 to 10 (1: the encoder's own sigma). By
            default (None) the smallest of :data:`START_SCALES` at which the draws differ
            visibly (their decoded images by :data:`VISIBLE_CHANGE` of the grey range on average,
            pairwise; a single draw against decoded mu): a trained encoder's sigma is often so
            small (about 0.1 for the 2-D VAE) that draws at scale 1 look identical.
        scale: upscaling of the 28x28 images, 1 to 16.
        name: optional name shown in the text form.

    Attributes:
        mu, sigma: synced traits, ``[latent]``.
        sigma_scale: synced trait, the factor on sigma (0 to 10).
        eps: synced trait, ``[count][latent]`` the fixed noise.
        z: ``float32 [count, latent]``, ``mu + sigma_scale * sigma * eps``.

    Raises:
        TypeError: ``model`` is not a course model; ``image`` not an array; ``seed``, ``count``
            or ``sigma_scale`` of the wrong type.
        ValueError: ``image`` with an autoencoder (it has no sigma); ``image`` not one [28, 28] or
            [784] image in [0, 1]; ``count`` outside 1 to 25; ``sigma_scale`` outside 0 to 10;
            ``scale`` outside 1 to 16; ``seed`` < 0.

    Example:
        >>> trick = ReparameterizationExplorer(vae, test_images[0], count=9)
        >>> trick.sigma_scale = 2.0   # the nine draws spread out, each along its own eps
        >>> trick.z.shape
        (9, 2)

    Introduced in 04-reparameterization-trick (and used in 03-vae-sampling-problem).
    """

    mu = traitlets.List(traitlets.Float()).tag(sync=True)
    sigma = traitlets.List(traitlets.Float()).tag(sync=True)
    sigma_scale = traitlets.Float(1.0).tag(sync=True)
    eps = traitlets.List(traitlets.List(traitlets.Float())).tag(sync=True)

    SCALE_RANGE = (0.0, 10.0)
    #: Where the sigma scale may start by default, smallest first (see ``sigma_scale``).
    START_SCALES = (1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 10.0)
    #: Mean absolute difference of decoded intensities (0 to 1) that counts as visible at first sight.
    VISIBLE_CHANGE = 0.05

    def __init__(self, model, image=None, *, count: int = 1, seed: int = 0, sigma_scale: float | None = None,
                 scale: int = 4, name: str | None = None):
        model = check_model(model)
        name = check_name(name)
        count = check_positive_int(count, "count")
        if count > MAX_DRAWS:
            raise ValueError(f"count must be at most {MAX_DRAWS}, got {count}")
        seed = check_seed(seed)
        scale = check_scale(scale)
        if sigma_scale is not None:
            if isinstance(sigma_scale, bool) or not isinstance(sigma_scale, (int, float, np.floating, np.integer)):
                raise TypeError(f"sigma_scale must be a number, got {sigma_scale!r}")
            if not self.SCALE_RANGE[0] <= sigma_scale <= self.SCALE_RANGE[1]:
                raise ValueError(f"sigma_scale must lie in [0, 10], got {sigma_scale}")
        d = model.latent_dim
        self.model, self.latent_dim, self.name, self.count = model, d, name, count
        self._image = None
        if image is not None:
            self._image = check_one_image(image, "image")
            if not model.is_variational:
                raise ValueError("an autoencoder encodes an image to one point, with no sigma: "
                                 "pass a VAE, or no image (mu = 0, sigma = 1)")
            mean, log_var = model.encode(self._image[None])
            mu0, sigma0 = np.asarray(mean, np.float64)[0], np.exp(0.5 * np.asarray(log_var, np.float64)[0])
        else:
            mu0, sigma0 = np.zeros(d), np.ones(d)
        self._rng = np.random.default_rng(seed)
        self._snapshot = Snapshot(model)
        # Sliders (2-D models): mu within +-max(2, 4 sigma) of where it starts, sigma from 0 to 3x its start.
        half = np.maximum(2.0, 4.0 * sigma0)
        mu_ranges, mu_step = geometry.snap_ranges(np.stack([mu0 - half, mu0 + half], axis=1))
        sigma_ranges, sigma_step = geometry.snap_ranges(np.stack([np.zeros(d), np.maximum(1.0, 3.0 * sigma0)], axis=1))
        self.mu_ranges, self.sigma_ranges = mu_ranges, sigma_ranges
        sliders = d <= 2
        width = float(half[:2].max())
        frame = [[float(mu0[0] - width), float(mu0[0] + width)],
                 [float(mu0[min(1, d - 1)] - width), float(mu0[min(1, d - 1)] + width)]]
        first_two = "" if d <= 2 else f" (the first two of {d} coordinates)"
        spec = {
            "kind": "reparameterization", "css_class": "vae-reparameterization-explorer", "latent_dim": d,
            "scale": scale, "seed": seed, "decoder": self._snapshot.spec(), "scale_range": list(self.SCALE_RANGE),
            "input": None if self._image is None else input_pixels(self._image).tobytes(),
            "mu_sliders": [{"index": k, "range": mu_ranges[k].tolist(), "step": mu_step} for k in range(d)] if sliders else [],
            "sigma_sliders": [{"index": k, "range": sigma_ranges[k].tolist(), "step": sigma_step} for k in range(d)]
            if sliders else [],
            "plane": {"size": 200, "frame": frame, "xlabel": "z1", "ylabel": "z2" if d > 1 else "",
                      "title": f"mu and the draws z{first_two}"},  # the formula, with its numbers: the text line
        }
        eps = self._draw_eps()
        if sigma_scale is None:
            sigma_scale = self.visible_scale(self._snapshot, mu0, sigma0, np.asarray(eps))
        super().__init__(spec=spec, mu=[float(v) for v in mu0], sigma=[float(v) for v in sigma0],
                         sigma_scale=float(sigma_scale), eps=eps)
        self.add_class("vae-reparameterization-explorer")

    @classmethod
    def visible_scale(cls, snapshot, mu, sigma, eps) -> float:
        """The smallest of :data:`START_SCALES` at which the draws ``mu + scale * sigma * eps`` decode to
        images that differ by :data:`VISIBLE_CHANGE` on average (see :meth:`_change`), or the largest
        if none does. ``snapshot`` decodes as the browser does."""
        for scale in cls.START_SCALES:
            if cls._change(snapshot, mu, sigma, eps, scale) >= cls.VISIBLE_CHANGE:
                return scale
        return cls.START_SCALES[-1]

    @staticmethod
    def _change(snapshot, mu, sigma, eps, scale) -> float:
        """Mean absolute difference (0 to 1) of the decoded draws at ``scale``: over all pairs, or one
        draw against decoded mu."""
        mu, sigma, eps = np.asarray(mu, np.float64), np.asarray(sigma, np.float64), np.asarray(eps, np.float64)
        images = snapshot.decode(mu + scale * sigma * eps)
        if len(images) > 1:
            pairs = np.triu_indices(len(images), 1)
            return float(np.abs(images[pairs[0]] - images[pairs[1]]).mean())
        return float(np.abs(images[0] - snapshot.decode(mu[None])[0]).mean())

    def draw_difference(self, scale: float | None = None) -> float:
        """How far the decoded draws differ at ``scale`` (default: the current one), the measure of the start rule.

        Returns:
            The mean absolute difference of decoded intensities (0 to 1) between two draws, over all
            pairs (one draw: against the decoding of mu); the explorer starts where it reaches
            :data:`VISIBLE_CHANGE`.
        """
        scale = self.sigma_scale if scale is None else float(scale)
        return self._change(self._snapshot, self.mu, self.sigma, self.eps, scale)

    def _draw_eps(self) -> list:
        return [[float(v) for v in row] for row in self._rng.standard_normal((self.count, self.latent_dim))]

    def new_eps(self) -> np.ndarray:
        """Draw new noise (the next draws of the seeded NumPy generator), show it and return it, ``[count, latent]``."""
        self.eps = self._draw_eps()
        return np.asarray(self.eps)

    @property
    def z(self) -> np.ndarray:
        """The draws ``mu + sigma_scale * sigma * eps``, ``float32 [count, latent]``."""
        mu, sigma, eps = np.asarray(self.mu), np.asarray(self.sigma), np.asarray(self.eps)
        return (mu + self.sigma_scale * sigma * eps).astype(np.float32)

    def __repr__(self) -> str:
        named = f"{self.name!r}, " if self.name else ""
        return (f"ReparameterizationExplorer({named}{type(self.model).__name__}, latent_dim={self.latent_dim}, "
                f"draws={self.count})")

    def static_figure(self, *, scales=None) -> Figure:
        """The draws (columns, at most 9) at several sigma scales (rows), the same eps in every row.

        Args:
            scales: the scales on sigma, one row each; by default 0, half the current scale, the
                current scale and twice it, at most the slider's largest (what dragging it would show).

        Returns:
            A matplotlib ``Figure`` (not registered with pyplot), with a sentence saying it is static.
        """
        if scales is None:
            top = min(2.0 * self.sigma_scale, self.SCALE_RANGE[1])
            scales = tuple(dict.fromkeys((0.0, 0.5 * self.sigma_scale, self.sigma_scale, top)))  # no row twice
        mu, sigma, eps = np.asarray(self.mu), np.asarray(self.sigma), np.asarray(self.eps)[:9]
        rows = np.stack([self._snapshot.pixels(mu + s * sigma * eps) for s in scales])
        fig = Figure(figsize=(max(5.0, 2.2 + 0.8 * len(eps)), 1.6 + 0.8 * len(scales)))
        ax = rows_axes(fig, [f"sigma × {s:g}" for s in scales])
        draw_decoded_rows(ax, rows, row_labels=[f"sigma × {s:g}" for s in scales],
                           col_labels=[str(k + 1) for k in range(len(eps))], xlabel="draw (its eps held fixed)")
        ax.set_title("z = mu + s · sigma · eps decoded, eps held fixed")
        footer(fig)
        return fig


