"""The discrete explorer: a Gumbel-softmax temperature on the 3-class simplex, and the discrete VAE's code by clicks.

Introduced in 10-beyond-the-gaussian.
"""

from __future__ import annotations

import numbers

import numpy as np
import traitlets
from matplotlib.figure import Figure

from vae_tutorial._checks import check_positive_int, check_seed
from vae_tutorial.models import check_model
from vae_tutorial.widgets.base import Explorer, check_name, check_one_image, check_scale, input_pixels
from vae_tutorial.widgets.snapshot import Snapshot
from vae_tutorial.widgets.still import footer, margins

__all__ = ["DiscreteExplorer", "MAX_SAMPLES", "TEMPERATURE_RANGE", "LOG_RANGE", "LOG_STEP", "relaxed"]

MAX_SAMPLES = 50
#: The temperatures allowed; the browser's slider moves log10(temperature) over :data:`LOG_RANGE`
#: (inside it, with 0 on its grid) in steps of :data:`LOG_STEP`.
TEMPERATURE_RANGE = (0.05, 5.0)
LOG_RANGE = (-1.3, 0.69)
LOG_STEP = 0.01
#: Corners of the triangle that draws the simplex of 3 classes (as in ``discrete_plots.simplex_panels``).
CORNERS = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]])


def relaxed(logits, noise, temperature: float) -> np.ndarray:
    """``softmax((logits + noise) / temperature)`` over the last axis, in float64 (what the browser computes)."""
    x = (np.asarray(logits, np.float64) + np.asarray(noise, np.float64)) / float(temperature)
    x = np.exp(x - x.max(axis=-1, keepdims=True))
    return x / x.sum(axis=-1, keepdims=True)


def _check_temperature(temperature) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real):
        raise TypeError(f"temperature must be a number, got {temperature!r}")
    lo, hi = TEMPERATURE_RANGE
    if not lo <= float(temperature) <= hi:
        raise ValueError(f"temperature must lie in [{lo:g}, {hi:g}] (the slider's range), got {temperature}")
    return float(temperature)


class DiscreteExplorer(Explorer):
    """Categorical codes made visible: a temperature slider for Gumbel-softmax, and a code to set by clicks.

    Left, one categorical variable of 3 classes with fixed ``logits``: ``count`` Gumbel noise
    vectors g are drawn once (NumPy's ``default_rng(seed)``) and held fixed, and the relaxed
    samples ``softmax((logits + g) / temperature)`` are drawn as points of the simplex (a
    triangle whose corners are the one-hot vectors). Moving the temperature slider moves every
    point, from the centre (uniform) at a high temperature towards a corner (one-hot) at a low
    one. Below it, the discrete VAE decodes the image's code relaxed the same way: each of its
    variables ``softmax((encoder logits + g) / temperature)`` with its own fixed noise.

    Right, the code itself: a grid of ``num_variables`` rows by ``num_classes`` columns, shaded by
    the encoder's class probabilities q for the image, the chosen class of each variable filled.
    It starts at the image's most probable code (each variable's likeliest class); clicking a cell
    sets that variable to that class and the decoded digit changes. Everything decodes in the browser.

    Args:
        model: a :class:`~vae_tutorial.discrete.DiscreteVAE` (e.g. ``discrete.load_pretrained()``).
        image: one image ``[28, 28]`` or ``[784]`` in [0, 1], whose code the explorer starts at.
        logits: the 3 logits of the simplex's variable (default ``(1, 0, -1)``).
        count: number of fixed noise draws on the simplex, 1 to 50.
        seed: integer >= 0, seed of the noise.
        temperature: the slider's start, 0.05 to 5.
        scale: upscaling of the 28x28 images, 1 to 16.
        name: optional name shown in the text form.

    Attributes:
        temperature: synced trait, the Gumbel-softmax temperature.
        classes: synced trait, ``[num_variables]`` the chosen class of each variable.
        code: ``float32 [latent_dim]``, the one-hot code of ``classes``.
        samples: ``[count, 3]`` the relaxed samples on the simplex at ``temperature``.
        relaxed_code: ``float32 [latent_dim]``, the image's code relaxed at ``temperature``.

    Raises:
        TypeError: ``model`` is not a DiscreteVAE; ``image`` or ``logits`` not an array; ``seed``,
            ``count`` or ``temperature`` of the wrong type.
        ValueError: ``image`` not one [28, 28] or [784] image in [0, 1]; ``logits`` not 3 finite
            numbers; ``count`` outside 1 to 50; ``temperature`` outside 0.05 to 5; ``scale``
            outside 1 to 16; ``seed`` < 0; a class set outside 0 to num_classes - 1.

    Example:
        >>> explorer = DiscreteExplorer(discrete.load_pretrained(), test_images[1])
        >>> explorer.set_class(3, 7)   # variable 3 takes class 7; the digit is decoded again
        >>> explorer.code.shape
        (200,)

    Introduced in 10-beyond-the-gaussian.
    """

    temperature = traitlets.Float(1.0).tag(sync=True)
    classes = traitlets.List(traitlets.Int()).tag(sync=True)

    def __init__(self, model, image, *, logits=(1.0, 0.0, -1.0), count: int = 8, seed: int = 0,
                 temperature: float = 1.0, scale: int = 6, name: str | None = None):
        from vae_tutorial.discrete import DiscreteVAE  # not at import time: widgets load without the discrete module

        model = check_model(model)
        if not isinstance(model, DiscreteVAE):
            raise TypeError(f"model must be a discrete.DiscreteVAE (categorical codes, e.g. "
                            f"discrete.load_pretrained()), got {type(model).__name__}")
        name = check_name(name)
        image = check_one_image(image, "image")
        if isinstance(logits, (str, bytes)) or not hasattr(logits, "__len__"):
            raise TypeError(f"logits must be 3 numbers (one categorical variable of 3 classes), got {logits!r}")
        simplex_logits = np.asarray(logits, np.float64)
        if simplex_logits.shape != (3,) or not np.all(np.isfinite(simplex_logits)):
            raise ValueError(f"logits must be 3 finite numbers (the simplex is drawn for 3 classes), got {logits!r}")
        count = check_positive_int(count, "count")
        if count > MAX_SAMPLES:
            raise ValueError(f"count must be at most {MAX_SAMPLES}, got {count}")
        seed = check_seed(seed)
        temperature = _check_temperature(temperature)
        scale = check_scale(scale)
        self.model, self.name, self.count = model, name, count
        self.num_variables, self.num_classes = model.num_variables, model.num_classes
        self._image, self._snapshot = image, Snapshot(model)
        self.logits = simplex_logits
        self.code_logits = np.asarray(model.encode(image[None]), np.float64)[0]  # [V, C]
        rng = np.random.default_rng(seed)
        self.noise = rng.gumbel(size=(count, 3))
        self.code_noise = rng.gumbel(size=self.code_logits.shape)
        start = [int(c) for c in self.code_logits.argmax(-1)]
        q = relaxed(self.code_logits, 0.0, 1.0)
        spec = {
            "kind": "discrete", "css_class": "vae-discrete-explorer", "scale": scale,
            "decoder": self._snapshot.spec(), "num_variables": self.num_variables, "num_classes": self.num_classes,
            "input": input_pixels(image).tobytes(),
            "simplex": {"size": 240, "logits": simplex_logits.tolist(), "noise": self.noise.tolist(),
                        "probabilities": relaxed(simplex_logits, 0.0, 1.0).tolist()},
            "code_logits": self.code_logits.tolist(), "code_noise": self.code_noise.tolist(),
            "q": q.tolist(), "start_classes": start,
            "log_range": list(LOG_RANGE), "log_step": LOG_STEP,
            "start_temperature": temperature,  # the state again, for pages that carry the spec only
        }
        super().__init__(spec=spec, temperature=temperature, classes=start)
        self.add_class("vae-discrete-explorer")

    @traitlets.validate("temperature")
    def _valid_temperature(self, proposal):
        return _check_temperature(proposal["value"])

    @traitlets.validate("classes")
    def _valid_classes(self, proposal):
        classes = list(proposal["value"])
        if len(classes) != self.num_variables:
            raise ValueError(f"classes must hold one class per variable ({self.num_variables}), got {len(classes)}")
        bad = [c for c in classes if not 0 <= c < self.num_classes]
        if bad:
            raise ValueError(f"each class must lie in 0 to {self.num_classes - 1}, got {bad[0]}")
        return classes

    def set_class(self, variable: int, cls: int) -> None:
        """Set variable ``variable`` (0-based) to class ``cls``, as a click on the grid does."""
        variable = int(check_seed(variable, "variable"))
        if variable >= self.num_variables:
            raise ValueError(f"variable must lie in 0 to {self.num_variables - 1}, got {variable}")
        classes = list(self.classes)
        classes[variable] = int(check_seed(cls, "cls"))
        self.classes = classes

    def reset(self) -> None:
        """Back to the image's most probable code."""
        self.classes = list(self.spec["start_classes"])

    @property
    def code(self) -> np.ndarray:
        """The one-hot code of ``classes``, ``float32 [num_variables * num_classes]``."""
        return np.eye(self.num_classes, dtype=np.float32)[self.classes].reshape(-1)

    @property
    def samples(self) -> np.ndarray:
        """The relaxed samples of the simplex's variable at ``temperature``, ``[count, 3]``."""
        return relaxed(self.logits, self.noise, self.temperature)

    @property
    def relaxed_code(self) -> np.ndarray:
        """The image's code relaxed at ``temperature`` (each variable with its fixed noise), ``float32 [latent_dim]``."""
        return relaxed(self.code_logits, self.code_noise, self.temperature).reshape(-1).astype(np.float32)

    def pixels(self) -> np.ndarray:
        """What the browser paints: the decoded relaxed code and the decoded one-hot code, ``uint8 [2, 28, 28]``."""
        return self._snapshot.pixels(np.stack([self.relaxed_code, self.code]))

    def __repr__(self) -> str:
        named = f"{self.name!r}, " if self.name else ""
        return (f"DiscreteExplorer({named}{self.num_variables} variables x {self.num_classes} classes, "
                f"temperature={self.temperature:.2f})")

    def static_figure(self) -> Figure:
        """The simplex at the current temperature, the decoded relaxed code, the code grid and its decoded digit.

        Returns:
            A matplotlib ``Figure`` (not registered with pyplot), with a sentence saying it is static.
        """
        fig = Figure(figsize=(10.5, 4.6))
        room = margins(fig, left=0.15, right=0.15, bottom=0.85, top=0.55, wspace=0.55, ncols=4)
        ax_s, ax_r, ax_g, ax_d = fig.subplots(1, 4, width_ratios=[1.4, 0.8, 1.1, 0.8], gridspec_kw=room)
        xy = self.samples @ CORNERS
        ax_s.fill(*CORNERS.T, color="0.94", zorder=0)
        ax_s.plot(*np.vstack([CORNERS, CORNERS[:1]]).T, color="0.4", lw=1)
        ax_s.scatter(*xy.T, s=30, color="C0", label="relaxed samples", zorder=3)
        p = relaxed(self.logits, 0.0, 1.0) @ CORNERS
        ax_s.plot(*p, "x", color="C3", ms=9, mew=2, label="softmax(logits)")
        ax_s.plot(*(np.ones(3) / 3 @ CORNERS), "+", color="k", ms=9, mew=1.5, label="uniform")
        for k, (x, y) in enumerate(CORNERS):
            ax_s.annotate(f"class {k}", (x, y), xytext=(0, -12 if y == 0 else 4), textcoords="offset points",
                          ha="center", fontsize=9)
        ax_s.set(title=f"{self.count} samples at temperature {self.temperature:.2f}", aspect="equal",
                 xlim=(-0.12, 1.12), ylim=(-0.15, 0.95))
        ax_s.legend(loc="upper left", fontsize=7, frameon=False)
        ax_s.axis("off")
        relaxed_pixels, code_pixels = self.pixels()
        for ax, pixels, title in ((ax_r, relaxed_pixels, "digit's code relaxed\nat this temperature"),
                                  (ax_d, code_pixels, "decoded one-hot code")):
            ax.imshow(pixels, cmap="gray", vmin=0, vmax=255)
            ax.set_title(title, fontsize=10)
            ax.set_xticks([])
            ax.set_yticks([])
        q = np.asarray(self.spec["q"])
        ax_g.imshow(q, cmap="Blues", vmin=0, vmax=2, aspect="auto")
        ax_g.scatter(self.classes, np.arange(self.num_variables), marker="s", s=40, color="C0",
                     edgecolors="black", linewidths=0.8)
        ax_g.set_xticks(range(self.num_classes))
        ax_g.set_yticks(range(0, self.num_variables, 2))
        ax_g.set(xlabel="class", ylabel="variable", title="the code: chosen class (filled)\nshaded by q(class | x)")
        footer(fig)
        return fig
