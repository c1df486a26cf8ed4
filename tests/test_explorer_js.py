"""The browser's arithmetic (vae_tutorial/explorer.js) against Python, with node --test (no browser).

Python computes what the JavaScript must return from the same snapshot the widgets send: the
decoder's intensities (:class:`vae_tutorial.widgets.snapshot.Snapshot`, float32 and float16 weights,
the three activations), every float16 bit pattern (NumPy), and the seeded generator of the sample
buttons (mulberry32 and Box-Muller, written again here). ``tests/js/explorer.test.mjs`` compares.
Node comes from Debian's ``nodejs`` package; ``.ci/run`` installs it, and in CI a missing node fails.
"""

import base64
import json
import math
import os
import pathlib
import re
import shutil
import subprocess

import numpy as np
import pytest
from flax import nnx

from vae_tutorial import models, pretrained
from vae_tutorial.widgets.snapshot import WEIGHTS_ENV, Snapshot

JS_TEST = pathlib.Path(__file__).parent / "js" / "explorer.test.mjs"
M32 = 0xFFFFFFFF


def _b64(array) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f8").tobytes()).decode("ascii")


def _spec_json(spec: dict) -> dict:
    layers = [dict(layer, w=base64.b64encode(layer["w"]).decode(), b=base64.b64encode(layer["b"]).decode())
              for layer in spec["layers"]]
    return dict(spec, layers=layers)


def mulberry32_normals(seed: int, count: int) -> list[float]:
    """The sample button's generator, written from its definition: mulberry32 uniforms, Box-Muller normals."""
    state = seed & M32

    def uniform() -> float:
        nonlocal state
        state = (state + 0x6D2B79F5) & M32
        t = state
        t = ((t ^ (t >> 15)) * (t | 1)) & M32
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & M32)) & M32
        return ((t ^ (t >> 14)) & M32) / 4294967296

    out = []
    for _ in range(count):
        u1 = uniform()
        u2 = uniform()
        out.append(math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2))
    return out


def test_mulberry32_reference_known_values():
    """The reference itself, against mulberry32's published first output for seed 0 (as a uniform)."""
    state = 0x6D2B79F5
    t = ((state ^ (state >> 15)) * (state | 1)) & M32
    t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & M32)) & M32
    assert (t ^ (t >> 14)) & M32 == 1144304738  # mulberry32(0)() * 2**32
    assert len(mulberry32_normals(3, 5)) == 5


def _decoder_case(model, monkeypatch, dtype: str, rng) -> dict:
    monkeypatch.setenv(WEIGHTS_ENV, dtype)
    snapshot = Snapshot(model)
    codes = rng.normal(0.0, 2.0, size=(6, model.latent_dim))
    codes[0] = 0.0
    return {"spec": _spec_json(snapshot.spec()), "codes": codes.tolist(),
            "intensities": _b64(snapshot.decode(codes).reshape(-1))}


def _fixture(monkeypatch) -> dict:
    rng = np.random.default_rng(0)
    vae = pretrained.load("vae-2d")
    decoders = {"vae-2d, float32": _decoder_case(vae, monkeypatch, "float32", rng),
                "vae-2d, float16": _decoder_case(vae, monkeypatch, "float16", rng)}
    for activation in ("tanh", "elu"):
        small = models.VAE(3, hidden_sizes=(16, 8), activation=activation, rngs=nnx.Rngs(params=1))
        decoders[f"3-D, {activation}"] = _decoder_case(small, monkeypatch, "float32", rng)
    assert [layer["dtype"] for layer in decoders["vae-2d, float16"]["spec"]["layers"]] == ["float32", "float16"]
    halves = np.arange(65536, dtype=np.uint16).view("<f2").astype(np.float64)
    values = rng.normal(size=7).astype(np.float32)
    buffers = [{"dtype": "float32", "data": base64.b64encode(values.astype("<f4").tobytes()).decode(),
                "values": _b64(values.astype(np.float64))},
               {"dtype": "float16", "data": base64.b64encode(values.astype("<f2").tobytes()).decode(),
                "values": _b64(values.astype(np.float16).astype(np.float64))}]
    gaussian = [{"seed": seed, "draws": mulberry32_normals(seed, 20)} for seed in (0, 1, 7, 2**31 + 5)]
    return {"decoders": decoders, "half_values": _b64(halves), "buffers": buffers, "gaussian": gaussian}


def test_explorer_js_against_python(tmp_path, monkeypatch):
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is missing: .ci/run installs Debian's nodejs")
        pytest.skip("node is not installed (Debian: apt-get install nodejs)")
    fixture = tmp_path / "explorer_fixture.json"
    fixture.write_text(json.dumps(_fixture(monkeypatch)), encoding="utf-8")
    out = subprocess.run([node, "--test", str(JS_TEST)], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, EXPLORER_FIXTURE=str(fixture)))
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    passed = int(re.search(r"^# pass (\d+)", out.stdout, flags=re.M).group(1))
    assert passed == 8, out.stdout[-2000:]  # 3 + one per decoder case (4) + the activation check
