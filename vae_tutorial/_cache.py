"""JAX's persistent compilation cache for the course, so a notebook re-run in class skips its compiles.

Turned on when ``vae_tutorial`` is imported. Compiled programs are stored in
``$XDG_CACHE_HOME/vae_tutorial/jax`` (default ``~/.cache/vae_tutorial/jax``). Set the
environment variable ``VAE_TUTORIAL_JAX_CACHE`` to another folder to move it, or to ``off``
(also ``0``, ``false``, ``no`` or the empty string) to leave JAX's settings alone. A cache
folder chosen by the user for JAX itself (``JAX_COMPILATION_CACHE_DIR``) is respected.
"""

from __future__ import annotations

import os
import pathlib
import tempfile

import jax

__all__ = ["ENV", "cache_dir", "enable"]

ENV = "VAE_TUTORIAL_JAX_CACHE"
_OFF = {"", "0", "off", "false", "no"}


def cache_dir() -> pathlib.Path | None:
    """The folder the course caches compiled programs in, or None when the cache is off."""
    value = os.environ.get(ENV)
    if value is not None:
        return None if value.strip().lower() in _OFF else pathlib.Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache"
    return pathlib.Path(base) / "vae_tutorial" / "jax"


def enable() -> pathlib.Path | None:
    """Point JAX's persistent compilation cache at :func:`cache_dir`; return the folder used (or None)."""
    if os.environ.get("JAX_COMPILATION_CACHE_DIR") or jax.config.jax_compilation_cache_dir:
        return pathlib.Path(jax.config.jax_compilation_cache_dir or os.environ["JAX_COMPILATION_CACHE_DIR"])
    folder = cache_dir()
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):  # a folder that exists but refuses files: JAX would warn at every compile
            pass
    except OSError:  # a read-only home: run without the cache rather than fail
        return None
    jax.config.update("jax_compilation_cache_dir", str(folder))
    # Cache every program, however quick to compile: the course's programs are small, and a
    # notebook makes dozens of them.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return folder
