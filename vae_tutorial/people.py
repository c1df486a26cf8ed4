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

import numpy as np

from vae_tutorial import checkpoints, variants  # noqa: F401  (variants registers its classes)
from vae_tutorial.study import Estimate, estimate

__all__ = ["RECIPES", "load_pretrained", "pretrained_info", "load_study", "estimates", "paired", "per_seed",
           "STUDY_FILE"]

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
