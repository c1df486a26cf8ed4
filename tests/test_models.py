import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from vae_tutorial import models


@pytest.mark.parametrize("shape", [(5, 28, 28), (5, 784)])
def test_autoencoder_shapes(shape):
    model = models.Autoencoder(3, rngs=nnx.Rngs(params=0))
    images = jnp.full(shape, 0.5)
    assert model.encode(images).shape == (5, 3)
    decoded = model.decode(model.encode(images))
    assert decoded.shape == (5, 28, 28)
    assert float(decoded.min()) >= 0.0 and float(decoded.max()) <= 1.0
    assert model(images).shape == (5, 28, 28)


def test_vae_shapes_and_call(small_images):
    model = models.VAE(4, hidden_sizes=(32, 16), rngs=nnx.Rngs(params=0))
    mean, log_var = model.encode(small_images)
    assert mean.shape == log_var.shape == (8, 4)
    logits, mean2, _ = model(small_images, key=jax.random.key(0))
    assert logits.shape == (8, 28, 28)
    np.testing.assert_allclose(mean, mean2)
    # The call samples: two keys give two different reconstructions.
    other, _, _ = model(small_images, key=jax.random.key(1))
    assert not np.allclose(logits, other)


def test_default_architecture_is_784_512_latent():
    model = models.VAE(2, rngs=nnx.Rngs(params=0))
    shapes = [layer.kernel.shape for layer in model.encoder.layers]
    assert shapes == [(784, 512), (512, 4)]
    assert [layer.kernel.shape for layer in model.decoder.layers] == [(2, 512), (512, 784)]


def test_decode_accepts_single_code():
    model = models.Autoencoder(2, rngs=nnx.Rngs(params=0))
    assert model.decode(jnp.zeros(2)).shape == (1, 28, 28)


def test_same_seed_same_weights():
    a = models.VAE(2, rngs=nnx.Rngs(params=3))
    b = models.VAE(2, rngs=nnx.Rngs(params=3))
    np.testing.assert_array_equal(a.decoder.layers[0].kernel[...], b.decoder.layers[0].kernel[...])


def test_works_under_jit():
    model = models.VAE(2, rngs=nnx.Rngs(params=0))

    @nnx.jit
    def enc(m, x):
        return m.encode(x)[0]

    assert enc(model, jnp.zeros((3, 784))).shape == (3, 2)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"latent_dim": 0}, ValueError, "latent_dim must be >= 1"),
        ({"latent_dim": 2.5}, TypeError, "latent_dim must be an integer"),
        ({"latent_dim": 2, "hidden_sizes": (0,)}, ValueError, "hidden size must be >= 1"),
        ({"latent_dim": 2, "activation": "swish"}, ValueError, "activation must be one of"),
    ],
)
@pytest.mark.parametrize("cls", [models.Autoencoder, models.VAE])
def test_bad_config(cls, kwargs, error, message):
    with pytest.raises(error, match=message):
        cls(**kwargs, rngs=nnx.Rngs(params=0))


@pytest.mark.parametrize(
    "images, error, message",
    [
        (np.zeros((4, 27, 28), np.float32), ValueError, r"shape \[n, 28, 28\] or \[n, 784\], got \(4, 27, 28\)"),
        (np.zeros((4, 28, 28), np.uint8), TypeError, "divide uint8 pixels by 255"),
        (np.full((2, 784), 2.0, np.float32), ValueError, r"values in \[0, 1\], got values in \[2, 2\]"),
        (np.full((2, 784), np.nan, np.float32), ValueError, "contain NaN"),
        ([[0.0] * 784], TypeError, "must be an array"),
        (np.zeros((0, 784), np.float32), ValueError, "at least one image"),
    ],
)
def test_encode_rejects_bad_images(images, error, message):
    model = models.VAE(2, rngs=nnx.Rngs(params=0))
    with pytest.raises(error, match=message):
        model.encode(images)


def test_decode_rejects_wrong_latent_size():
    model = models.VAE(2, rngs=nnx.Rngs(params=0))
    with pytest.raises(ValueError, match=r"shape \[n, 2\] for this model, got \(3, 5\)"):
        model.decode(jnp.zeros((3, 5)))
    with pytest.raises(TypeError, match="floating point"):
        model.decode(jnp.zeros((3, 2), dtype=jnp.int32))


@pytest.mark.parametrize("cls", [models.Autoencoder, models.VAE])
def test_one_interface_for_both_models(cls, small_images):
    model = cls(3, hidden_sizes=(16,), rngs=nnx.Rngs(params=0))
    assert isinstance(model, models.LatentModel) and model.latent_dim == 3
    code = model.code(small_images)
    assert code.shape == (8, 3)
    rec, kl = model.loss_terms(small_images, key=jax.random.key(0))
    assert rec.shape == kl.shape == (8,)
    if cls is models.VAE:
        assert model.is_variational
        np.testing.assert_array_equal(code, model.encode(small_images)[0])  # the mean of q(z|x)
        assert float(kl.min()) > 0
    else:
        assert not model.is_variational
        np.testing.assert_array_equal(code, model.encode(small_images))
        np.testing.assert_array_equal(kl, np.zeros(8))
    assert model.decode(code).shape == (8, 28, 28)


def _numpy_mlp(module, x):
    """Forward pass of a models.MLP in float64 NumPy, from its weights (independent of JAX)."""
    layers = list(module.layers)
    for k, layer in enumerate(layers):
        x = x @ np.asarray(layer.kernel[...], np.float64) + np.asarray(layer.bias[...], np.float64)
        if k < len(layers) - 1:
            x = np.maximum(x, 0.0)
    return x


def test_methods_match_a_numpy_forward_pass(tiny_models, small_images):
    """encode / decode_logits / decode are the plain forward pass (weights drawn by the jitted initializer)."""
    flat = np.asarray(small_images, np.float64).reshape(len(small_images), -1)
    ae, vae = tiny_models["autoencoder"], tiny_models["vae"]
    np.testing.assert_allclose(ae.encode(small_images), _numpy_mlp(ae.encoder, flat), rtol=1e-4, atol=1e-5)
    out = _numpy_mlp(vae.encoder, flat)
    mean, log_var = vae.encode(small_images)
    np.testing.assert_allclose(mean, out[:, :2], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(log_var, out[:, 2:], rtol=1e-4, atol=1e-5)
    z = np.array([[0.5, -1.0], [2.0, 0.25]], np.float32)
    logits = _numpy_mlp(ae.decoder, z.astype(np.float64)).reshape(2, 28, 28)
    np.testing.assert_allclose(ae.decode_logits(z), logits, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ae.decode(z), 1 / (1 + np.exp(-logits)), rtol=1e-4, atol=1e-6)


def test_methods_differentiate_in_inputs_and_weights(tiny_models):
    """Gradients of the public methods, in the code and in the weights, equal those of the raw layers."""
    ae = tiny_models["autoencoder"]
    z = jnp.array([[0.3, -0.7]])
    by_method = jax.grad(lambda z: ae.decode(z).sum())(z)
    by_layers = jax.grad(lambda z: nnx.sigmoid(ae.decoder(z)).sum())(z)
    np.testing.assert_allclose(by_method, by_layers, rtol=1e-5, atol=1e-6)
    grads = nnx.grad(lambda m: m.decode_logits(z).sum())(ae)
    expected = nnx.grad(lambda m: m.decoder(z).sum())(ae)
    np.testing.assert_allclose(grads["decoder"]["layers"][0]["kernel"][...],
                               expected["decoder"]["layers"][0]["kernel"][...], rtol=1e-5, atol=1e-6)
    assert float(np.abs(grads["decoder"]["layers"][0]["kernel"][...]).sum()) > 0


# ------------------------------------------------------------------------------------------ the model gate


def test_decoder_layers_reproduce_decode_logits_in_numpy(tiny_models):
    for model in tiny_models.values():
        layers = model.decoder_layers()
        assert [w.shape for w, _ in layers] == [(2, 16), (16, 784)] and all(w.dtype == np.float32 for w, _ in layers)
        z = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)
        x = z.astype(np.float64)
        for k, (w, b) in enumerate(layers):
            x = x @ w.astype(np.float64) + b
            if k < len(layers) - 1:
                x = np.maximum(x, 0.0)  # relu, the models' default
        assert model.decoder_activation == "relu"
        np.testing.assert_allclose(x.reshape(5, 28, 28), model.decode_logits(z), rtol=1e-4, atol=1e-4)


def test_check_model_and_require_vae_are_the_one_gate(tiny_models):
    ae, vae = tiny_models["autoencoder"], tiny_models["vae"]
    assert models.check_model(ae) is ae and models.require_vae(vae, "f") is vae
    assert not ae.is_variational and vae.is_variational

    class LooksLikeAModel:  # the interface without the class is not a model
        latent_dim, is_variational = 2, True

        def encode(self, images):
            return images, images

    for thing in (LooksLikeAModel(), "vae-2d", None):
        with pytest.raises(TypeError, match=r"model must be a vae_tutorial model .* got "):
            models.check_model(thing)
        with pytest.raises(TypeError, match=r"f needs a VAE .* got "):
            models.require_vae(thing, "f")
    with pytest.raises(TypeError, match="f needs a VAE .* got Autoencoder"):
        models.require_vae(ae, "f")

# ------------------------------------------------------------------------------------------ bad inputs


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_decode_rejects_a_code_that_is_not_finite(tiny_models, bad):
    from vae_tutorial import latent

    z = np.array([[0.5, bad]], np.float32)
    for model in tiny_models.values():
        with pytest.raises(ValueError, match=r"z must be finite \(no NaN or infinity\)"):
            model.decode(z)
        with pytest.raises(ValueError, match=r"z must be finite"):
            latent.decode(model, z)
