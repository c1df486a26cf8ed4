"""Helpers shared by the widget tests: what the model decodes, what the browser was sent."""

import numpy as np


def expected_pixels(model, z) -> np.ndarray:
    """The model's own (eager) decoding of ``z``, as grey levels 0..255 (255 = white paper, 0 = ink)."""
    image = np.asarray(model.decode(np.asarray(z, np.float32).reshape(-1, model.latent_dim)))
    return np.round((1.0 - image) * 255.0)


def assert_shows(explorer, model, z, snapshot=None):
    """The weights the explorer sends decode ``z`` like ``model.decode``, within one grey level."""
    snapshot = snapshot or explorer._snapshot
    shown = snapshot.pixels(np.asarray(z)).astype(np.int16)
    assert np.abs(shown - expected_pixels(model, z).reshape(shown.shape)).max() <= 1


def sent_layers(spec: dict) -> list:
    """The decoder weights as the browser reads them from the spec's buffers."""
    out = []
    for layer in spec["layers"]:
        dtype = "<f2" if layer["dtype"] == "float16" else "<f4"
        w = np.frombuffer(layer["w"], dtype).astype(np.float32).reshape(layer["n_in"], layer["n_out"])
        out.append((w, np.frombuffer(layer["b"], "<f4")))
    return out
