"""Run a module's method as one compiled program: the cure for slow first calls outside ``jax.jit``.

Called eagerly (outside ``jax.jit``), every JAX operation compiles a small program of its own the
first time it meets a shape, tens of milliseconds each on a laptop CPU: a forward pass through
an MLP costs a dozen of them. ``apply(module, "method", *args)`` traces the whole method once per
graph and input shapes instead, and JAX's persistent cache (``vae_tutorial._cache``) keeps the
result between kernels. Inside a jitted or differentiated function the call is simply inlined.
Speed only: the values are the ones the method computes eagerly.
"""

from __future__ import annotations

import functools

import jax
from flax import nnx

__all__ = ["apply"]


@functools.partial(jax.jit, static_argnames=("graphdef", "method", "static"))
def _apply(state, args, *, graphdef, method, static):
    return getattr(nnx.merge(graphdef, state), method)(*args, **dict(static))


def apply(module: nnx.Module, method: str, *args, **static):
    """``getattr(module, method)(*args, **static)`` as one compiled program.

    ``args`` are arrays (or pytrees of arrays), traced; ``static`` are hashable keyword
    arguments (such as a number of samples), fixed in the program. One program is cached per
    graph, method, static values and argument shapes. The method must not change the module's state.
    """
    graphdef, state = nnx.split(module)
    return _apply(state, args, graphdef=graphdef, method=method, static=tuple(sorted(static.items())))
