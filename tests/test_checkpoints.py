import json
import struct

import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from vae_tutorial import checkpoints, models, pretrained


@pytest.mark.parametrize("cls", [models.Autoencoder, models.VAE])
def test_round_trip(tmp_path, cls):
    model = cls(3, hidden_sizes=(32, 16), activation="tanh", rngs=nnx.Rngs(params=4))
    path = checkpoints.save(model, tmp_path / "sub" / "m.ckpt", metadata={"note": "hi"})
    loaded = checkpoints.load(path)
    assert type(loaded) is cls
    assert loaded.config() == {"latent_dim": 3, "hidden_sizes": [32, 16], "activation": "tanh"}
    z = jnp.linspace(-1, 1, 12).reshape(4, 3)
    np.testing.assert_array_equal(model.decode(z), loaded.decode(z))
    assert checkpoints.read_header(path)["metadata"] == {"note": "hi"}
    assert list(tmp_path.joinpath("sub").iterdir()) == [path]  # no temporary file left behind


def test_file_is_not_pickle(tmp_path):
    path = checkpoints.save(models.Autoencoder(2, hidden_sizes=(8,), rngs=nnx.Rngs(params=0)), tmp_path / "m.ckpt")
    raw = path.read_bytes()
    assert raw.startswith(checkpoints.MAGIC)
    (length,) = struct.unpack("<I", raw[len(checkpoints.MAGIC):len(checkpoints.MAGIC) + 4])
    header = json.loads(raw[len(checkpoints.MAGIC) + 4:len(checkpoints.MAGIC) + 4 + length])
    assert header["class"] == "Autoencoder" and header["format"] == 1


def test_failed_save_keeps_existing_file(tmp_path, monkeypatch):
    path = tmp_path / "m.ckpt"
    checkpoints.save(models.Autoencoder(2, hidden_sizes=(8,), rngs=nnx.Rngs(params=0)), path)
    original = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(checkpoints.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        checkpoints.save(models.Autoencoder(2, hidden_sizes=(8,), rngs=nnx.Rngs(params=1)), path)
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["m.ckpt"]


def test_expect_other_class(tmp_path):
    path = checkpoints.save(models.Autoencoder(2, hidden_sizes=(8,), rngs=nnx.Rngs(params=0)), tmp_path / "m.ckpt")
    with pytest.raises(ValueError, match="holds a Autoencoder, but a VAE was expected"):
        checkpoints.load(path, expect=models.VAE)


def test_not_a_checkpoint(tmp_path):
    path = tmp_path / "x.ckpt"
    path.write_bytes(b"\x80\x04pickle")
    with pytest.raises(ValueError, match="is not a vae_tutorial checkpoint"):
        checkpoints.load(path)


def test_truncated_weights(tmp_path):
    path = checkpoints.save(models.VAE(2, hidden_sizes=(8,), rngs=nnx.Rngs(params=0)), tmp_path / "m.ckpt")
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match="corrupt or truncated weights"):
        checkpoints.load(path)


def test_weights_of_another_architecture(tmp_path):
    path = checkpoints.save(models.VAE(2, hidden_sizes=(8,), rngs=nnx.Rngs(params=0)), tmp_path / "m.ckpt")
    raw = path.read_bytes()
    n = len(checkpoints.MAGIC)
    (length,) = struct.unpack("<I", raw[n:n + 4])
    header = json.loads(raw[n + 4:n + 4 + length])
    header["config"]["hidden_sizes"] = [16]
    new = json.dumps(header).encode()
    path.write_bytes(raw[:n] + struct.pack("<I", len(new)) + new + raw[n + 4 + length:])
    with pytest.raises(ValueError, match="do not match a VAE with config"):
        checkpoints.load(path)


def test_bad_inputs(tmp_path):
    with pytest.raises(TypeError, match="model must be one of"):
        checkpoints.save(object(), tmp_path / "m.ckpt")
    with pytest.raises(TypeError, match="metadata must be JSON-serialisable"):
        checkpoints.save(models.VAE(2, hidden_sizes=(8,), rngs=nnx.Rngs(params=0)), tmp_path / "m.ckpt",
                         metadata={"x": object()})
    with pytest.raises(FileNotFoundError):
        checkpoints.load(tmp_path / "missing.ckpt")


def test_the_classifier_uses_the_same_format(tmp_path, mnist):
    from vae_tutorial import plausibility

    shipped = plausibility.shipped_classifier()
    path = checkpoints.save(shipped, tmp_path / "clf.ckpt", metadata={"note": "copy"})
    header = checkpoints.read_header(path)
    assert header["class"] == "DigitClassifier" and header["config"] == {"hidden": 256}
    copy = checkpoints.load(path, expect=plausibility.DigitClassifier)
    np.testing.assert_array_equal(np.asarray(copy(mnist.test_images[:5].reshape(5, 784))),
                                  np.asarray(shipped(mnist.test_images[:5].reshape(5, 784))))
    packaged = checkpoints.read_header(pretrained.path("vae-2d").parent.parent / plausibility.CLASSIFIER_FILE)
    assert packaged["metadata"]["test_accuracy"] == pytest.approx(0.948)
    with pytest.raises(ValueError, match="holds a DigitClassifier, but a Autoencoder or VAE was expected"):
        checkpoints.load(path, expect=(models.Autoencoder, models.VAE))


def test_classifier_weights_of_another_width_are_rejected(tmp_path):
    from vae_tutorial import plausibility

    path = checkpoints.save(plausibility.DigitClassifier(hidden=8, rngs=nnx.Rngs(params=0)), tmp_path / "c.ckpt")
    raw = path.read_bytes().replace(b'"hidden": 8', b'"hidden": 9')
    path.write_bytes(raw)
    with pytest.raises(ValueError, match="do not match a DigitClassifier"):
        checkpoints.load(path)


def test_register_needs_a_config_method():
    class NoConfig(nnx.Module):
        pass

    with pytest.raises(TypeError, match="NoConfig needs a config\\(\\) method"):
        checkpoints.register(NoConfig)


@pytest.mark.slow
def test_the_caller_says_what_it_loads_and_checkpoints_imports_no_model_module(tmp_path):
    import subprocess
    import sys

    class Unregistered(nnx.Module):
        def __init__(self, *, width: int = 3, rngs: nnx.Rngs):
            self.width, self.linear = width, nnx.Linear(2, width, rngs=rngs)

        def config(self):
            return {"width": self.width}

    checkpoints.register(Unregistered)
    path = checkpoints.save(Unregistered(rngs=nnx.Rngs(params=1)), tmp_path / "u.ckpt")
    del checkpoints.CLASSES["Unregistered"]
    with pytest.raises(ValueError, match=r"unknown model class 'Unregistered'.*imported, or when passed as expect"):
        checkpoints.load(path)
    loaded = checkpoints.load(path, expect=Unregistered)  # the caller says what it loads
    assert isinstance(loaded, Unregistered) and loaded.width == 3
    script = "import sys, vae_tutorial.checkpoints; print(sorted(m for m in sys.modules if m.startswith('vae_tutorial.')))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert eval(out) == ["vae_tutorial._cache", "vae_tutorial.checkpoints"]


def test_models_loaded_from_one_architecture_are_independent(tmp_path):
    """Loading reuses one abstract model per architecture; each loaded model still owns its weights."""
    first = models.VAE(2, hidden_sizes=(8,), rngs=nnx.Rngs(params=1))
    second = models.VAE(2, hidden_sizes=(8,), rngs=nnx.Rngs(params=2))
    checkpoints.save(first, tmp_path / "a.ckpt")
    checkpoints.save(second, tmp_path / "b.ckpt")
    a, b = checkpoints.load(tmp_path / "a.ckpt"), checkpoints.load(tmp_path / "b.ckpt")
    kernel = lambda m: np.asarray(m.decoder.layers[0].kernel[...])  # noqa: E731
    np.testing.assert_array_equal(kernel(a), kernel(first))
    np.testing.assert_array_equal(kernel(b), kernel(second))
    assert not np.array_equal(kernel(a), kernel(b))
    # Changing one loaded model in place changes neither the other nor the next load.
    a.decoder.layers[0].kernel[...] = jnp.zeros_like(a.decoder.layers[0].kernel[...])
    np.testing.assert_array_equal(kernel(b), kernel(second))
    np.testing.assert_array_equal(kernel(checkpoints.load(tmp_path / "a.ckpt")), kernel(first))
    assert kernel(a).sum() == 0
