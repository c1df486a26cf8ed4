"""One way to run a model over many images: fixed-size chunks, the last one padded.

Every chunk has the same shape, so a compiled program (``jax.jit``, :mod:`vae_tutorial._compiled`)
is compiled once and serves every chunk and every number of images at or above the chunk size;
memory stays bounded by one chunk's work. The padding rows are zeros, and their results are
dropped (:attr:`Chunk.valid` says how many rows of a chunk are real).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from vae_tutorial._checks import check_positive_int

__all__ = ["Chunk", "chunks", "map_chunks"]


class Chunk(NamedTuple):
    """One chunk: its position, the first row it holds, how many of its rows are real, and the blocks."""

    index: int
    start: int
    valid: int
    blocks: tuple


def _pad(block, size: int):
    missing = size - block.shape[0]
    if missing == 0:
        return block
    xp = np if isinstance(block, np.ndarray) else jnp
    return xp.concatenate([block, xp.zeros((missing, *block.shape[1:]), block.dtype)])


def chunks(*arrays, chunk_size: int) -> Iterator[Chunk]:
    """Cut ``arrays`` (NumPy or JAX, same leading length n) into blocks of ``min(chunk_size, n)`` rows.

    The last block of each array is padded with zero rows to the same size. Works on traced
    arrays too (inside ``jax.jit``): the sizes depend on shapes only.

    Raises:
        TypeError, ValueError: ``chunk_size`` is not an integer >= 1; the arrays differ in length.
    """
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    n = arrays[0].shape[0]
    if any(a.shape[0] != n for a in arrays):
        raise ValueError(f"arrays to chunk must have the same length, got {[a.shape[0] for a in arrays]}")
    size = min(chunk_size, n)
    for index, start in enumerate(range(0, n, size)):
        yield Chunk(index, start, min(size, n - start), tuple(_pad(a[start:start + size], size) for a in arrays))


def map_chunks(fn, *arrays, chunk_size: int) -> np.ndarray:
    """``fn(*blocks)`` on every chunk of ``arrays``; its output rows concatenated as NumPy, padding dropped."""
    return np.concatenate([np.asarray(fn(*c.blocks))[:c.valid] for c in chunks(*arrays, chunk_size=chunk_size)])
