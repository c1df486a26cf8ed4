"""Helpers for the interactive course on autoencoders, VAEs and the reparameterization trick.

Import the modules by concept: ``from vae_tutorial import data, models, losses, train``.
"""

__version__ = "0.1.0"
