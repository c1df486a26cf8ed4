"""Saving and loading model weights without pickle.

A checkpoint file is ``MAGIC``, a 4-byte little-endian header length, a UTF-8 JSON header
(format version, model class, constructor arguments, free-form metadata), then the model's
parameters as msgpack (``flax.serialization``). Loading never executes code from the file.
Introduced in 01-autoencoder.
"""

from __future__ import annotations

import json
import os
import pathlib
import struct
import tempfile

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx, serialization

__all__ = ["save", "load", "read_header", "register", "CLASSES", "MAGIC", "FORMAT_VERSION"]

MAGIC = b"VAETUTORIAL-CKPT\n"
FORMAT_VERSION = 1

#: Classes a checkpoint may hold, by name. Each has ``config()`` returning keyword arguments
#: such that ``cls(**config, rngs=nnx.Rngs(params=0))`` rebuilds its architecture.
CLASSES: dict[str, type] = {}


def register(cls: type) -> type:
    """Class decorator: let :func:`save` and :func:`load` handle ``cls`` (an ``nnx.Module`` with ``config()``)."""
    if not callable(getattr(cls, "config", None)):
        raise TypeError(f"{cls.__name__} needs a config() method returning its constructor arguments")
    CLASSES[cls.__name__] = cls
    return cls


def _flat_shapes(tree) -> dict[str, tuple[int, ...]]:
    leaves = jax.tree_util.tree_flatten_with_path(tree)[0]
    return {jax.tree_util.keystr(path): tuple(np.shape(leaf)) for path, leaf in leaves}


def save(model, path, *, metadata: dict | None = None) -> pathlib.Path:
    """Write ``model``'s parameters and configuration to ``path`` atomically.

    The file is written to a temporary name in the same folder and renamed into place, so
    an interrupted save never leaves a half-written checkpoint under ``path``.

    Args:
        model: an instance of a registered class (see :func:`register`): an
            :class:`~vae_tutorial.models.Autoencoder`, a :class:`~vae_tutorial.models.VAE`, a
            digit classifier.
        path: destination file.
        metadata: JSON-serialisable extra information (e.g. the test loss reached).

    Returns:
        The path written.

    Raises:
        TypeError: for another kind of model or metadata that JSON cannot hold.
    """
    class_name = type(model).__name__
    if CLASSES.get(class_name) is not type(model):
        raise TypeError(f"model must be one of {sorted(CLASSES)} (a class registered with checkpoints.register), "
                        f"got {class_name}")
    header = {"format": FORMAT_VERSION, "class": class_name, "config": model.config(),
              "metadata": metadata or {}}
    try:
        header_bytes = json.dumps(header, sort_keys=True).encode("utf-8")
    except TypeError as err:
        raise TypeError(f"metadata must be JSON-serialisable: {err}") from None
    params = nnx.to_pure_dict(nnx.state(model, nnx.Param))
    payload = serialization.msgpack_serialize(jax.tree.map(np.asarray, params))
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes private files; a checkpoint is ordinary data
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC + struct.pack("<I", len(header_bytes)) + header_bytes + payload)
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_header(path) -> dict:
    """Read a checkpoint's JSON header (class, config, metadata) without loading the weights."""
    return _read(path)[0]


def _read(path) -> tuple[dict, bytes]:
    path = pathlib.Path(path)
    raw = path.read_bytes()
    if not raw.startswith(MAGIC):
        raise ValueError(f"{path} is not a vae_tutorial checkpoint (missing the {MAGIC[:-1].decode()} marker)")
    start = len(MAGIC) + 4
    if len(raw) < start:
        raise ValueError(f"{path} is truncated: no header length")
    (length,) = struct.unpack("<I", raw[len(MAGIC):start])
    try:
        header = json.loads(raw[start:start + length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path} has a corrupt header: {err}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path} has checkpoint format {header.get('format') if isinstance(header, dict) else None!r}; "
                         f"this version reads format {FORMAT_VERSION}")
    return header, raw[start + length:]


#: Abstract models (shapes, no weights) already built, by class and configuration: tracing a
#: constructor costs about 0.1 s, and a notebook loads several models of one architecture.
_SKELETONS: dict[tuple[type, str], tuple[nnx.GraphDef, nnx.State]] = {}


def _skeleton(cls: type, config: dict, error: str):
    """A new ``cls(**config)`` whose arrays are only shapes (``jax.ShapeDtypeStruct``), built once per architecture.

    Only the shapes are built (no random initial weights): the stored weights replace them anyway.
    Each call returns a new, independent module (``nnx.merge`` of the cached graph and state).
    """
    key = (cls, json.dumps(config, sort_keys=True))
    if key not in _SKELETONS:
        try:
            _SKELETONS[key] = nnx.split(nnx.eval_shape(lambda: cls(**config, rngs=nnx.Rngs(params=0))))
        except (TypeError, ValueError) as err:
            raise ValueError(f"{error}: {err}") from None
    graphdef, state = _SKELETONS[key]
    return nnx.merge(graphdef, state, copy=True)


def load(path, *, expect: type | None = None):
    """Rebuild the model stored at ``path``.

    Args:
        path: a file written by :func:`save`.
        expect: optionally the class (or a tuple of classes) the caller needs, e.g. ``models.VAE``.
            The stored class must be registered (:func:`register`, where the class is defined: importing
            its module registers it) or be one of ``expect``; this module imports no model module.

    Returns:
        A new model with the stored configuration and weights.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: for a file that is not a checkpoint, is corrupt or truncated, or whose
            weights do not fit the stored architecture; or a class other than ``expect``.
    """
    header, payload = _read(path)
    class_name = header.get("class")
    wanted = () if expect is None else expect if isinstance(expect, tuple) else (expect,)
    cls = CLASSES.get(class_name) or next((w for w in wanted if w.__name__ == class_name), None)
    if cls is None:
        raise ValueError(f"{path} holds an unknown model class {class_name!r}; known: {sorted(CLASSES)} (a class "
                         "is known once the module that defines it is imported, or when passed as expect)")
    if wanted:
        if not issubclass(cls, wanted):
            names = " or ".join(w.__name__ for w in wanted)
            raise ValueError(f"{path} holds a {class_name}, but a {names} was expected")
    config = header["config"]
    if not isinstance(config, dict):
        raise ValueError(f"{path} has a corrupt header: config must be a mapping, got {type(config).__name__}")
    model = _skeleton(cls, config, f"{path}: its config {config} does not build a {class_name}")
    try:
        stored = serialization.msgpack_restore(payload)
    except Exception as err:  # msgpack raises several types for damaged data
        raise ValueError(f"{path} has corrupt or truncated weights: {err}") from None
    state = nnx.state(model, nnx.Param)
    expected, found = _flat_shapes(nnx.to_pure_dict(state)), _flat_shapes(stored)
    if expected != found:
        missing = sorted(set(expected) - set(found)) or sorted(k for k in expected if expected[k] != found.get(k))
        raise ValueError(
            f"{path}: the stored weights do not match a {class_name} with config {header['config']} "
            f"(first difference at {missing[:1]})"
        )
    nnx.replace_by_pure_dict(state, jax.tree.map(jnp.asarray, stored))
    nnx.update(model, state)
    return model
