"""Pretrained models that ship with the package, so every notebook and widget works offline.

Each was trained on the bundled 4,500-digit training split by ``tools/train_pretrained.py``
(deterministic: fixed seeds) and stores its recipe and test loss in its checkpoint header.
Introduced in 02-interpolation-failure.
"""

from __future__ import annotations

from importlib import resources

from vae_tutorial import checkpoints, models

__all__ = ["load", "info", "path", "RECIPES", "NAMES"]

# name -> training recipe. tools/train_pretrained.py reads this table.
RECIPES: dict[str, dict] = {
    "autoencoder-2d": {"class": "Autoencoder", "latent_dim": 2, "beta": None, "epochs": 100},
    "autoencoder-20d": {"class": "Autoencoder", "latent_dim": 20, "beta": None, "epochs": 100},
    "vae-2d": {"class": "VAE", "latent_dim": 2, "beta": 1.0, "epochs": 100},
    "vae-20d": {"class": "VAE", "latent_dim": 20, "beta": 1.0, "epochs": 100},
    "vae-2d-beta0.3": {"class": "VAE", "latent_dim": 2, "beta": 0.3, "epochs": 100},
    "vae-2d-beta3": {"class": "VAE", "latent_dim": 2, "beta": 3.0, "epochs": 100},
}
NAMES = tuple(RECIPES)


def path(name: str):
    """The packaged checkpoint file of ``name`` (an ``importlib.resources`` traversable)."""
    _check_name(name)
    return resources.files("vae_tutorial").joinpath("assets", "pretrained", f"{name}.ckpt")


def _check_name(name) -> None:
    if not isinstance(name, str):
        raise TypeError(f"name must be one model's name, a string, one of {', '.join(NAMES)}; got {type(name).__name__} "
                        f"{name!r}")
    if name not in RECIPES:
        raise ValueError(f"unknown pretrained model {name!r}; known: {', '.join(NAMES)}")


def info(name: str) -> dict:
    """The checkpoint header of ``name``: class, config and metadata (recipe, test loss)."""
    with resources.as_file(path(name)) as file:
        return checkpoints.read_header(file)


def load(name: str):
    """Load a pretrained model by name.

    Args:
        name: one of ``NAMES``: ``"autoencoder-2d"``, ``"autoencoder-20d"``, ``"vae-2d"``, ``"vae-20d"``,
            ``"vae-2d-beta0.3"``, ``"vae-2d-beta3"``.

    Returns:
        A :class:`~vae_tutorial.models.Autoencoder` or :class:`~vae_tutorial.models.VAE`.

    Raises:
        TypeError: for a name that is not a string (e.g. a list of names: load them one at a time).
        ValueError: for an unknown name (the message lists the known ones).
    """
    with resources.as_file(path(name)) as file:
        return checkpoints.load(file, expect=models.LatentModel)
