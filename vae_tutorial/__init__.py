"""Helpers for the interactive course on autoencoders, VAEs and the reparameterization trick.

Import the modules by concept: ``from vae_tutorial import data, models, losses, train``.
Importing the package turns on JAX's persistent compilation cache (see ``vae_tutorial._cache``;
``VAE_TUTORIAL_JAX_CACHE=off`` leaves it off).
"""

from vae_tutorial import _cache

__version__ = "0.2.0"

_cache.enable()
