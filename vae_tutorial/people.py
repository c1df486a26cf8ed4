"""What 11-vaes-people-use loads: its pretrained models and the committed study of ``tools/people_study.py``.

* :data:`RECIPES` / :func:`load_pretrained`: the convolutional VAE and the conditional VAE shipped in
  ``assets/pretrained/`` (the one checkpoint format, :mod:`vae_tutorial.checkpoints`), built by
  ``python tools/train_pretrained.py conv-vae-16d cvae-2d``.
* :func:`load_study`, :func:`estimates`, :func:`paired`: the rows of ``assets/people_study.json``
  and their means and standard errors over training seeds (computed here, never stored).
"""

from __future__ import annotations

import json
from importlib import resources

import jax.numpy as jnp
import numpy as np

from vae_tutorial import _compiled, checkpoints, variants  # noqa: F401  (variants registers its classes)
from vae_tutorial.study import Estimate, estimate

__all__ = ["RECIPES", "load_pretrained", "pretrained_info", "load_study", "estimates", "paired", "per_seed",
           "STUDY_FILE", "describe", "same_style_all_labels", "rate_distortion_plot",
           "decode_conditional", "encode_conditional", "table"]

STUDY_FILE = "people_study.json"

#: name -> training recipe; ``tools/train_pretrained.py`` reads this table.
RECIPES: dict[str, dict] = {
    "conv-vae-16d": {"class": "ConvVAE", "latent_dim": 16, "channels": [16, 32], "beta": 1.0, "epochs": 30},
    "cvae-2d": {"class": "ConditionalVAE", "latent_dim": 2, "beta": 1.0, "epochs": 30},
}


def _path(name: str):
    if name not in RECIPES:
        raise ValueError(f"unknown pretrained model {name!r}; known: {', '.join(RECIPES)}")
    return resources.files("vae_tutorial").joinpath("assets", "pretrained", f"{name}.ckpt")


def load_pretrained(name: str):
    """Load ``"conv-vae-16d"`` (a :class:`~vae_tutorial.variants.ConvVAE`) or ``"cvae-2d"`` (a ConditionalVAE)."""
    with resources.as_file(_path(name)) as file:
        return checkpoints.load(file)


def pretrained_info(name: str) -> dict:
    """The checkpoint header of ``name``: class, config and metadata (recipe, test loss, training time)."""
    with resources.as_file(_path(name)) as file:
        return checkpoints.read_header(file)


def load_study(path=None) -> dict:
    """The committed study: ``{"recipe", "rows", "code_version", "run_seconds", "versions"}``."""
    if path is None:
        return json.loads(resources.files("vae_tutorial").joinpath("assets", STUDY_FILE).read_text())
    with open(path) as file:
        return json.load(file)


def per_seed(rows, section: str, condition: str, measure: str) -> dict[int, float]:
    """``{seed: value}`` of one measure of one condition."""
    return {r["seed"]: r["value"] for r in rows
            if r["section"] == section and r["condition"] == condition and r["measure"] == measure}


def estimates(rows, section: str, measure: str) -> dict[str, Estimate]:
    """Mean and standard error over seeds of ``measure`` for every condition of ``section`` (in table order)."""
    conditions = list(dict.fromkeys(r["condition"] for r in rows if r["section"] == section and r["measure"] == measure))
    if not conditions:
        raise KeyError(f"no measure {measure!r} in section {section!r}")
    return {c: estimate(list(per_seed(rows, section, c, measure).values())) for c in conditions}


def paired(rows, section: str, measure: str, a: str, b: str) -> Estimate:
    """``a`` minus ``b``, paired by training seed: the mean and standard error of the per-seed differences."""
    va, vb = per_seed(rows, section, a, measure), per_seed(rows, section, b, measure)
    seeds = sorted(set(va) & set(vb))
    if not seeds:
        raise KeyError(f"{a!r} and {b!r} share no seed for {measure!r} in {section!r}")
    return estimate(np.array([va[s] - vb[s] for s in seeds]))


def describe(rows, section: str, measure: str, *, digits: int = 2, scale: float = 1.0) -> str:
    """One line per condition: ``condition: mean (SE se, n seeds)`` of ``measure`` in ``section``."""
    lines = []
    for condition, e in estimates(rows, section, measure).items():
        lines.append(f"  {condition:>10}: {scale * e.mean:.{digits}f} (SE {scale * e.se:.{digits}f}, {e.n} seeds)")
    return f"{measure}:\n" + "\n".join(lines)


def encode_conditional(model, images, labels) -> np.ndarray:
    """The style codes (means of q(z | x, y)) of ``images`` with their ``labels``: ``[n, latent_dim]`` (NumPy, compiled)."""
    return np.asarray(_compiled.apply(model, "code", jnp.asarray(images, jnp.float32).reshape(len(images), -1),
                                      jnp.asarray(labels, jnp.int32)))


def same_style_all_labels(model, images, labels) -> np.ndarray:
    """Each image's style code z = mean of q(z | x, y), decoded as every digit 0..9: ``[len(images), 10, 28, 28]``."""
    images = np.asarray(images, np.float32)
    labels = np.asarray(labels, np.int32)
    z = encode_conditional(model, images, labels)
    codes = np.repeat(z, variants.NUM_CLASSES, axis=0)
    digits = np.tile(np.arange(variants.NUM_CLASSES, dtype=np.int32), len(images))
    out = decode_conditional(model, codes, digits)
    return out.reshape(len(images), variants.NUM_CLASSES, *out.shape[1:])


def rate_distortion_plot(rows, shipped: dict | None = None, *, ax=None):
    """The beta sweep in the rate-distortion plane: mean (rate, distortion) per beta with SE bars, lines of equal ELBO.

    ``shipped`` maps a label to ``(rate, distortion)`` of a shipped model, drawn as stars. Dashed lines of
    equal -ELBO pass through the sweep's best point and the best shipped model.
    """
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(9.5, 4.4))[1]
    rate, dist = estimates(rows, "sweep", "test_kl"), estimates(rows, "sweep", "test_reconstruction")
    names = list(rate)
    r = np.array([rate[c].mean for c in names])
    d = np.array([dist[c].mean for c in names])
    ax.errorbar(r, d, xerr=[rate[c].se for c in names], yerr=[dist[c].se for c in names], marker="o",
                capsize=3, color="C0", label=f"beta sweep ({rate[names[0]].n} seeds, mean and SE)")
    for c, x, y in zip(names, r, d):
        ax.annotate(c.replace("beta=", "β = "), (x, y), textcoords="offset points", xytext=(6, 4), fontsize=8)
    levels = [float((r + d).min())]
    for k, (name, (x, y)) in enumerate((shipped or {}).items()):
        ax.plot(x, y, marker="*", markersize=12, linestyle="none", color=f"C{k + 1}", label=name)
    if shipped:
        levels.append(min(x + y for x, y in shipped.values()))
    lo, hi = ax.get_xlim()
    xs = np.linspace(0, hi, 50)
    for k, level in enumerate(levels):
        ax.plot(xs, level - xs, linestyle="--", color="grey", linewidth=0.8,
                label="equal -ELBO through the best point of each set (D + R = const)" if k == 0 else None)
    ys = [*d, *(y for _, y in (shipped or {}).values())]
    ax.set_xlim(0, hi)
    ax.set_ylim(min(ys) - 6, max(ys) + 5)
    ax.set_xlabel("rate R = KL term (nats per test digit)")
    ax.set_ylabel("distortion D = reconstruction (nats)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    ax.figure.tight_layout()
    return ax


def decode_conditional(model, z, labels) -> np.ndarray:
    """Codes ``[n, latent_dim]`` drawn as the digits ``labels [n]`` by a ConditionalVAE: ``[n, 28, 28]`` (NumPy, compiled)."""
    return np.asarray(_compiled.apply(model, "decode", jnp.asarray(z, jnp.float32), jnp.asarray(labels, jnp.int32)))


def table(rows, section: str, measures, *, digits: int = 2) -> str:
    """A text table: one line per condition, one column per measure, each ``mean (SE)`` over seeds."""
    columns = {m: estimates(rows, section, m) for m in measures}
    conditions = list(next(iter(columns.values())))
    width = max(17, *(len(m) + 2 for m in measures))
    lines = [" " * 12 + "".join(f"{m:>{width}}" for m in measures)]
    for c in conditions:
        cells = "".join(f"{f'{columns[m][c].mean:.{digits}f} ({columns[m][c].se:.{digits}f})':>{width}}" for m in measures)
        lines.append(f"{c:>12}" + cells)
    n = next(iter(columns.values()))[conditions[0]].n
    return "\n".join(lines) + f"\n(mean over {n} training seeds, standard error in brackets)"
