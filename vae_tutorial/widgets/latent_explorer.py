"""The latent explorer: sliders over a latent space, the image they decode to, and a pad to drag on.

Introduced in 09-latent-playground.
"""

from __future__ import annotations

import numpy as np
import traitlets
from matplotlib.figure import Figure

from vae_tutorial import geometry, latent
from vae_tutorial._checks import IMAGE_SIDE, check_images, check_positive_int, check_seed
from vae_tutorial.models import check_model
from vae_tutorial.widgets.base import Explorer, Slider, check_labels, check_name, check_scale
from vae_tutorial.widgets.snapshot import Snapshot
from vae_tutorial.widgets.still import EmbeddingMap, footer, margins

__all__ = ["LatentExplorer", "MAX_SLIDERS"]

MAX_SLIDERS = 6


class LatentExplorer(Explorer):
    """Sliders over a latent space, the image they decode to, and a pad to click or drag on.

    A model with at most ``max_sliders`` latent dimensions gets one slider per coordinate
    (``z1``, ``z2``, ...). A larger one (the 20-D models) gets sliders for its leading
    directions: the principal directions of the encodings of ``images`` (``PC1``, ...; the
    sliders then measure the offset from the mean encoding along each), or without images the
    first coordinates (:func:`vae_tutorial.geometry.slider_frame`). The other components of the
    code stay where they are while you move a slider; ``set_z`` and the sample button set all of them.

    Slider ranges are ``ranges`` if given; else they come from the encodings of ``images``
    (:func:`vae_tutorial.geometry.slider_ranges`), or are [-3, 3] for a VAE without images (the
    prior is N(0, I)). All sliders share one step and each range ends on a multiple of it.
    Values outside a range are clamped, by the sliders, the pad and ``set_z``.

    The pad, beside the sliders, is the plane of the first two sliders: for a 2-D model the map
    of the encodings of ``images`` (coloured by ``labels``; for a VAE with the circle that holds
    95% of the prior), for a larger one the encodings projected onto the two leading principal
    directions. Press on it or drag to decode the point under the pointer; the marker follows.

    The sample button draws z ~ N(0, I) for a VAE (its prior) or, for an autoencoder (which has
    no prior), from the Gaussian fitted to the encodings of ``images``
    (:func:`vae_tutorial.latent.fit_gaussian`), clamped to the slider ranges along the slider
    directions. The button draws in the browser (a generator seeded with ``seed``);
    :meth:`sample_prior` draws the same way with NumPy's ``default_rng(seed)``.

    Args:
        model: an Autoencoder, a VAE or another model with the interface of :class:`~vae_tutorial.models.LatentModel`.
        images: optional ``[n, 28, 28]`` or ``[n, 784]`` in [0, 1], e.g. the test digits; needed
            for an autoencoder (to set the ranges and fit the Gaussian).
        labels: optional ``[n]`` integer classes 0 to 9 of ``images`` (colour the map).
        ranges: optional slider ranges in slider units: one ``(min, max)`` for every slider, or
            ``[num_sliders, 2]`` (e.g. from :func:`vae_tutorial.geometry.slider_ranges`).
        max_sliders: most sliders to show.
        seed: integer >= 0, seed of the sample button's random draws.
        scale: upscaling of the 28x28 image, 1 to 16: 6 shows 168x168 pixels.
        name: optional name shown in the map's title and the text form (e.g. ``"vae-2d"``).

    Attributes:
        values: synced trait, ``[num_sliders]`` slider values.
        rest: synced trait, ``[latent]`` the part of ``z - origin`` outside the slider directions.
        z: the current code ``origin + values @ directions + rest``, ``float32 [latent]``.
        sliders: handles with ``description``, ``min``, ``max``, ``step`` and a settable ``value``.
        step, directions, origin, ranges, encodings, variance_share, labels: the slider frame
            (:class:`vae_tutorial.geometry.SliderFrame`) and the data it came from.
        has_pad: whether the pad is shown (at least two sliders).

    Raises:
        TypeError: ``model`` is not a course model; images, labels, ranges or ``seed`` of the wrong type.
        ValueError: images of the wrong shape or outside [0, 1]; labels without images, of a
            length other than ``n`` or outside 0 to 9; an autoencoder without images; ranges of
            the wrong shape, not finite or with min >= max; ``max_sliders`` < 1; ``scale``
            outside 1 to 16; ``seed`` < 0.

    Example:
        >>> explorer = LatentExplorer(pretrained.load("vae-2d"), test_images, test_labels)
        >>> explorer.sliders[0].value = 1.5   # the browser redraws
        >>> explorer.z.shape
        (2,)

    Introduced in 09-latent-playground.
    """

    values = traitlets.List(traitlets.Float()).tag(sync=True)
    rest = traitlets.List(traitlets.Float()).tag(sync=True)

    def __init__(self, model, images=None, labels=None, *, ranges=None, max_sliders: int = MAX_SLIDERS,
                 seed: int = 0, scale: int = 6, name: str | None = None):
        model = check_model(model)
        name = check_name(name)
        max_sliders = check_positive_int(max_sliders, "max_sliders")
        scale = check_scale(scale)
        seed = check_seed(seed)
        if labels is not None and images is None:
            raise ValueError("labels were given without images: pass the images they label too")
        self.is_vae = bool(model.is_variational)
        if images is None and not self.is_vae:
            raise ValueError(
                "an Autoencoder has no prior to set the slider ranges from: pass images, "
                "e.g. LatentExplorer(model, test_images, test_labels)")
        self.model, self.latent_dim, self.name = model, model.latent_dim, name
        self.encodings = self.labels = None
        if images is not None:
            self.encodings = latent.encodings(model, check_images(images)).astype(np.float64)
            if labels is not None:
                self.labels = check_labels(labels, len(self.encodings))
        frame = geometry.slider_frame(self.latent_dim, self.encodings, max_sliders=max_sliders, ranges=ranges)
        self.origin, self.directions, self.ranges, self.step = frame.origin, frame.directions, frame.ranges, frame.step
        self.variance_share, self._names = frame.variance_share, frame.names
        self._snapshot = Snapshot(model)
        self._rng = np.random.default_rng(seed)
        if self.is_vae:
            self._fit = (np.zeros(self.latent_dim), np.eye(self.latent_dim))
        elif len(self.encodings) >= 2:
            fit = latent.fit_gaussian(self.encodings)
            self._fit = (fit.mean, fit.cholesky)
        else:  # one code: no spread to fit, the button returns it
            self._fit = (self.encodings[0], np.zeros((self.latent_dim, self.latent_dim)))
        drawn = "z ~ N(0, I)" if self.is_vae else "z ~ N(mean, covariance) of the encodings"
        self.sample_label = "Sample from the prior" if self.is_vae else "Sample from a Gaussian fit"
        self.sample_tooltip = f"{drawn}, clamped to the slider ranges"
        self._map = None
        if len(self._names) >= 2:
            points = None if self.encodings is None else geometry.to_sliders(
                self.encodings, self.origin, self.directions)[:, :2]
            plane = "" if self.latent_dim == 2 else f" on {self._names[0]}, {self._names[1]}"
            self._map = EmbeddingMap(points, self.labels, self.ranges[:2],
                                      title=f"{name or type(model).__name__} encodings{plane}",
                                      axis_names=self._names[:2], prior_circle=self.is_vae and self.latent_dim == 2)
        spec = {
            "kind": "latent", "css_class": "vae-latent-explorer", "latent_dim": self.latent_dim,
            "names": self._names, "ranges": self.ranges.tolist(), "step": self.step,
            "origin": self.origin.tolist(), "directions": self.directions.tolist(), "scale": scale,
            "decoder": self._snapshot.spec(),
            "sample": {"label": self.sample_label, "tooltip": self.sample_tooltip, "seed": seed,
                       "mean": self._fit[0].tolist(), "cholesky": self._fit[1].tolist()},
            "pad": None if self._map is None else self._map.spec(),
        }
        start = self.encodings.mean(axis=0) if self.encodings is not None else np.zeros(self.latent_dim)
        values, rest = self._clamped_state(start)
        super().__init__(spec=spec, values=values, rest=rest)
        self.add_class("vae-latent-explorer")
        self.sliders = [Slider(n, lo, hi, self.step, lambda k=k: self.values[k],
                                lambda v, k=k: self._set_value(k, v)) for k, (n, (lo, hi)) in
                        enumerate(zip(self._names, self.ranges))]

    # -- state ---------------------------------------------------------------------------------

    @property
    def z(self) -> np.ndarray:
        """The current code, ``float32 [latent]``."""
        return geometry.from_sliders(self.values, self.origin, self.directions, np.asarray(self.rest)).astype(np.float32)

    @property
    def has_pad(self) -> bool:
        return self._map is not None

    def _clamped_state(self, z) -> tuple[list, list]:
        z = np.asarray(z, dtype=np.float64)
        if z.shape not in ((self.latent_dim,), (1, self.latent_dim)):
            raise ValueError(f"z must have shape [{self.latent_dim}], got {z.shape}")
        if not np.isfinite(z).all():
            raise ValueError("z must be finite")
        offset = z.reshape(-1) - self.origin
        s = offset @ self.directions.T
        rest = offset - s @ self.directions
        s = np.clip(s, self.ranges[:, 0], self.ranges[:, 1])
        return [float(v) for v in s], [float(v) for v in rest]

    def set_z(self, z) -> None:
        """Move to code ``z`` (``[latent]``), clamped to the slider ranges along their directions.

        Raises:
            ValueError: ``z`` has the wrong shape or is not finite.
        """
        values, rest = self._clamped_state(z)
        with self.hold_sync():
            self.values, self.rest = values, rest

    def _set_value(self, k: int, value: float) -> None:
        values = list(self.values)
        values[k] = value
        self.values = values

    def sample_prior(self) -> np.ndarray:
        """Draw a code, show it and return the code shown, ``float32 [latent]``.

        A VAE draws z ~ N(0, I) (its prior); an autoencoder draws from the Gaussian fitted to the
        encodings of ``images``. The draw then goes through :meth:`set_z`, which clamps it to the
        slider ranges along the slider directions (the sliders cannot show a value outside them),
        so a draw beyond a range is returned on its edge; the components outside the slider
        directions are kept as drawn. Use a numpy Generator directly for unclamped draws.
        """
        eps = self._rng.standard_normal(self.latent_dim)
        self.set_z(self._fit[0] + self._fit[1] @ eps)
        return self.z

    def pixels(self, z=None) -> np.ndarray:
        """The grey levels the browser paints at code ``z`` (default: the current code), ``uint8 [28, 28]``.

        Computed in NumPy from the weights exactly as they were sent (the browser's arithmetic).
        """
        return self._snapshot.pixels(self.z if z is None else z)[0]

    @property
    def weights_bytes(self) -> int:
        """How many bytes of decoder weights the browser received (once)."""
        return sum(len(layer["w"]) + len(layer["b"]) for layer in self.spec["decoder"]["layers"])

    # -- display -------------------------------------------------------------------------------

    def __repr__(self) -> str:
        named = f"{self.name!r}, " if self.name else ""
        return (f"LatentExplorer({named}{type(self.model).__name__}, latent_dim={self.latent_dim}, "
                f"sliders: {', '.join(self._names)})")

    @property
    def _two_d(self) -> bool:
        return len(self._names) == 2 and self.latent_dim == 2

    def _static_size(self, steps: int, *, stacked: bool = False) -> tuple[float, float]:
        if self._two_d:
            panels = 2 if self.encodings is not None else 1
            return (4.4, 4.6 * panels) if stacked else (4.4 * panels, 4.6)
        return 1.6 + 0.75 * steps, 1.3 + 0.95 * len(self._names)

    def static_figure(self, *, steps: int = 9) -> Figure:
        """A still picture of what the sliders show, with a sentence saying it is static.

        A 2-D model: the grid of images decoded over both slider ranges (and the map of the
        encodings, if any); a larger one: for each slider, ``steps`` images across its range with
        the other components at the current code, the slider values on each row's x axis.

        Returns:
            A matplotlib ``Figure`` (not registered with pyplot).
        """
        fig = Figure(figsize=self._static_size(steps))
        self._draw_static(fig, steps=steps, top=0.35, bottom=0.35)  # room for the title and the footer
        fig.suptitle(f"{self.name or type(self.model).__name__}, {self.latent_dim}-D latent space")
        footer(fig)
        return fig

    def _draw_static(self, fig, *, steps: int, stacked: bool = False, top: float = 0.0, bottom: float = 0.0) -> None:
        """Draw the still picture's panels into ``fig`` (a ``Figure`` or ``SubFigure``), ``top`` and ``bottom`` inches kept free."""
        side = IMAGE_SIDE
        grid = [np.linspace(a, b, steps) for a, b in self.ranges]
        if self._two_d:
            panels = 2 if self.encodings is not None else 1
            shape = (panels, 1) if stacked else (1, panels)
            room = margins(fig, left=0.55, right=0.8 if self.labels is not None else 0.2, bottom=bottom + 0.5,
                           top=top + 0.3, wspace=0.75, hspace=0.85, nrows=shape[0], ncols=shape[1])
            axes = fig.subplots(*shape, squeeze=False, gridspec_kw=room).ravel()
            s1, s2 = np.meshgrid(grid[0], grid[1][::-1])
            codes = geometry.from_sliders(np.stack([s1.ravel(), s2.ravel()], axis=1), self.origin, self.directions)
            tiles = self._snapshot.pixels(codes).reshape(steps, steps, side, side)
            axes[0].imshow(tiles.transpose(0, 2, 1, 3).reshape(steps * side, steps * side), cmap="gray",
                           vmin=0, vmax=255, extent=(*self.ranges[0], *self.ranges[1]), aspect="auto")
            axes[0].set(xlabel=self._names[0], ylabel=self._names[1], title="Decoded images across the slider ranges")
            if self.encodings is not None:
                self._map.draw(axes[1], marker=self.z)
            return
        room = margins(fig, left=0.25 + 0.08 * max(map(len, self._names)), right=0.2, bottom=bottom + 0.45,
                       top=top + 0.3, hspace=0.3, nrows=len(self._names))
        axes = fig.subplots(len(self._names), 1, squeeze=False, gridspec_kw=room)[:, 0]
        current = np.asarray(self.values)
        for k, (ax, values) in enumerate(zip(axes, grid)):
            s = np.tile(current, (steps, 1))
            s[:, k] = values
            tiles = self._snapshot.pixels(geometry.from_sliders(s, self.origin, self.directions, np.asarray(self.rest)))
            ax.imshow(np.concatenate(list(tiles), axis=1), cmap="gray", vmin=0, vmax=255)
            ax.set_xticks((np.arange(steps) + 0.5) * side, [f"{v:.1f}" for v in values], fontsize=7)
            ax.set_yticks([])
            ax.set_ylabel(self._names[k], rotation=0, ha="right", va="center")
        axes[0].set_title("One slider at a time (the others at the current code)")
        axes[-1].set_xlabel("slider value")

