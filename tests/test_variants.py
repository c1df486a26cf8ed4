"""The convolutional and the conditional VAE: shapes, NumPy reference forward passes, gradients, checkpoints."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from vae_tutorial import checkpoints, losses, models, train, variants


def _np_conv(x, kernel, bias):
    """4x4 convolution, stride 2, padding 1, in float64 loops over output pixels (independent of the module)."""
    n, h, w, _ = x.shape
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    out = np.zeros((n, h // 2, w // 2, kernel.shape[-1]))
    for i in range(h // 2):
        for j in range(w // 2):
            patch = padded[:, 2 * i:2 * i + 4, 2 * j:2 * j + 4, :]
            out[:, i, j] = np.einsum("nabc,abco->no", patch, kernel)
    return out + bias


def _np_conv_transpose(x, kernel, bias):
    """The scatter definition: input pixel (i, j) adds x[i, j] @ kernel[a, b] at (2i + a - 1, 2j + b - 1)."""
    n, h, w, _ = x.shape
    full = np.zeros((n, 2 * h + 2, 2 * w + 2, kernel.shape[-1]))
    for i in range(h):
        for j in range(w):
            for a in range(4):
                for b in range(4):
                    full[:, 2 * i + a, 2 * j + b] += x[:, i, j] @ kernel[a, b]
    return full[:, 1:1 + 2 * h, 1:1 + 2 * w] + bias


@pytest.fixture
def feature_maps():
    return np.random.default_rng(1).normal(size=(2, 6, 6, 3)).astype(np.float32)


def _with_bias(layer, seed):
    layer.bias[...] = jnp.asarray(np.random.default_rng(seed).normal(size=layer.bias.shape), jnp.float32)
    return layer


def test_strided_conv_matches_numpy_and_nnx_conv(feature_maps):
    conv = _with_bias(variants.StridedConv(3, 5, rngs=nnx.Rngs(params=0)), 2)
    k, b = np.asarray(conv.kernel[...], np.float64), np.asarray(conv.bias[...], np.float64)
    out = conv(jnp.asarray(feature_maps))
    assert out.shape == (2, 3, 3, 5)
    np.testing.assert_allclose(out, _np_conv(feature_maps.astype(np.float64), k, b), rtol=1e-5, atol=1e-5)
    ref = nnx.Conv(3, 5, (4, 4), strides=2, padding=((1, 1), (1, 1)), rngs=nnx.Rngs(params=0))
    ref.kernel[...], ref.bias[...] = conv.kernel[...], conv.bias[...]
    np.testing.assert_allclose(out, ref(jnp.asarray(feature_maps)), rtol=1e-5, atol=1e-5)


def test_strided_conv_transpose_matches_numpy_and_nnx(feature_maps):
    deconv = _with_bias(variants.StridedConvTranspose(3, 5, rngs=nnx.Rngs(params=0)), 3)
    k, b = np.asarray(deconv.kernel[...], np.float64), np.asarray(deconv.bias[...], np.float64)
    out = deconv(jnp.asarray(feature_maps))
    assert out.shape == (2, 12, 12, 5)
    np.testing.assert_allclose(out, _np_conv_transpose(feature_maps.astype(np.float64), k, b), rtol=1e-5, atol=1e-5)
    # Flax's ConvTranspose with transpose_kernel=True and padding k - 1 - p = 2 is the same function.
    ref = nnx.ConvTranspose(3, 5, (4, 4), strides=2, padding=((2, 2), (2, 2)), transpose_kernel=True,
                            rngs=nnx.Rngs(params=0))
    ref.kernel[...] = jnp.transpose(deconv.kernel[...], (0, 1, 3, 2))
    ref.bias[...] = deconv.bias[...]
    np.testing.assert_allclose(out, ref(jnp.asarray(feature_maps)), rtol=1e-5, atol=1e-5)


def test_conv_transpose_is_the_gradient_of_the_conv(feature_maps):
    """<conv(x), y> = <x, conv_transpose(y)> for the same kernel and no bias: the two are adjoint."""
    conv = variants.StridedConv(3, 5, rngs=nnx.Rngs(params=0))
    deconv = variants.StridedConvTranspose(5, 3, rngs=nnx.Rngs(params=1))
    deconv.kernel[...] = jnp.transpose(conv.kernel[...], (0, 1, 3, 2))
    x = jnp.asarray(feature_maps)
    y = jnp.asarray(np.random.default_rng(4).normal(size=(2, 3, 3, 5)).astype(np.float32))
    np.testing.assert_allclose(jnp.sum(conv(x) * y), jnp.sum(x * deconv(y)), rtol=1e-4)


@pytest.fixture(scope="module")
def conv_vae():
    model = variants.ConvVAE(3, channels=(4, 6), rngs=nnx.Rngs(params=0))
    for layer in (model.conv1, model.conv2, model.deconv1, model.deconv2):
        _with_bias(layer, 5)
    return model


def _np_conv_vae(model, images):
    """The whole ConvVAE forward pass in float64 NumPy from its weights."""
    p = lambda a: np.asarray(a[...], np.float64)
    x = images.astype(np.float64).reshape(-1, 28, 28, 1)
    h = np.maximum(_np_conv(x, p(model.conv1.kernel), p(model.conv1.bias)), 0)
    h = np.maximum(_np_conv(h, p(model.conv2.kernel), p(model.conv2.bias)), 0)
    out = h.reshape(len(x), -1) @ p(model.to_latent.kernel) + p(model.to_latent.bias)
    d = model.latent_dim
    mean, log_var = out[:, :d], out[:, d:]
    g = np.maximum(mean @ p(model.from_latent.kernel) + p(model.from_latent.bias), 0).reshape(len(x), 7, 7, -1)
    g = np.maximum(_np_conv_transpose(g, p(model.deconv1.kernel), p(model.deconv1.bias)), 0)
    logits = _np_conv_transpose(g, p(model.deconv2.kernel), p(model.deconv2.bias))[..., 0]
    return mean, log_var, logits


def test_conv_vae_matches_a_numpy_forward_pass(conv_vae, small_images):
    mean, log_var, logits = _np_conv_vae(conv_vae, small_images)
    m, lv = conv_vae.encode(small_images)
    np.testing.assert_allclose(m, mean, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(lv, log_var, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(conv_vae.decode_logits(jnp.asarray(mean, jnp.float32)), logits, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(conv_vae.decode(jnp.asarray(mean, jnp.float32)), 1 / (1 + np.exp(-logits)),
                               rtol=1e-4, atol=1e-6)


def test_conv_vae_is_a_latent_model(conv_vae, small_images):
    assert isinstance(conv_vae, models.LatentModel) and conv_vae.is_variational
    assert conv_vae.code(small_images).shape == (8, 3)
    assert conv_vae.code(small_images.reshape(8, 784)).shape == (8, 3)
    rec, kl = conv_vae.loss_terms(small_images, key=jax.random.key(0))
    assert rec.shape == kl.shape == (8,) and float(kl.min()) > 0
    mean, log_var = conv_vae.encode(small_images)
    np.testing.assert_allclose(kl, losses.gaussian_kl(mean, log_var), rtol=1e-6)
    logits, _, _ = conv_vae(small_images, key=jax.random.key(0))
    assert logits.shape == (8, 28, 28)
    assert conv_vae.decode(jnp.zeros(3)).shape == (1, 28, 28)


def test_conv_vae_gradient_matches_finite_differences(conv_vae, small_images):
    """d(-ELBO)/d(one decoder weight), by autodiff and by a central difference in float64-free form."""
    key = jax.random.key(3)

    def loss_of(value):
        model = nnx.clone(conv_vae)
        kernel = model.deconv1.kernel[...]
        model.deconv1.kernel[...] = kernel.at[1, 2, 0, 0].set(value)
        return losses.negative_elbo(model, small_images, key=key)

    start = float(conv_vae.deconv1.kernel[...][1, 2, 0, 0])
    auto = float(jax.grad(loss_of)(jnp.float32(start)))
    h = 1e-2
    numeric = (float(loss_of(jnp.float32(start + h))) - float(loss_of(jnp.float32(start - h)))) / (2 * h)
    assert auto != 0.0
    np.testing.assert_allclose(auto, numeric, rtol=2e-2, atol=2e-3)


def test_conv_vae_trains_evaluates_and_round_trips(tmp_path, mnist):
    model = variants.ConvVAE(2, channels=(4, 8), rngs=nnx.Rngs(params=0))
    history = train.fit(model, mnist.train_images[:256], epochs=2, batch_size=64, progress=False)
    assert history.loss[-1] < history.loss[0]
    result = train.evaluate(model, mnist.test_images[:100])
    assert result["loss"] == pytest.approx(result["reconstruction"] + result["kl"])
    path = checkpoints.save(model, tmp_path / "conv.ckpt", metadata={"note": "test"})
    back = checkpoints.load(path, expect=variants.ConvVAE)
    assert back.config() == {"latent_dim": 2, "channels": [4, 8]}
    np.testing.assert_array_equal(back.code(mnist.test_images[:5]), model.code(mnist.test_images[:5]))


@pytest.mark.parametrize("kwargs, error, message", [
    ({"latent_dim": 0}, ValueError, "latent_dim must be >= 1"),
    ({"latent_dim": 2, "channels": (4,)}, ValueError, "two widths"),
    ({"latent_dim": 2, "channels": (4, 0)}, ValueError, "channel count must be >= 1"),
])
def test_conv_vae_bad_config(kwargs, error, message):
    with pytest.raises(error, match=message):
        variants.ConvVAE(**kwargs, rngs=nnx.Rngs(params=0))


# ---------------------------------------------------------------- the conditional VAE

@pytest.fixture(scope="module")
def cvae():
    return variants.ConditionalVAE(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=0))


def _np_mlp(module, x):
    layers = list(module.layers)
    for k, layer in enumerate(layers):
        x = x @ np.asarray(layer.kernel[...], np.float64) + np.asarray(layer.bias[...], np.float64)
        x = np.maximum(x, 0.0) if k < len(layers) - 1 else x
    return x


def test_conditional_vae_matches_a_numpy_forward_pass(cvae, small_images):
    labels = np.arange(8) % 10
    one_hot = np.eye(10)[labels]
    out = _np_mlp(cvae.encoder, np.concatenate([small_images.reshape(8, -1), one_hot], axis=1))
    mean, log_var = cvae.encode(small_images, labels)
    np.testing.assert_allclose(mean, out[:, :2], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(log_var, out[:, 2:], rtol=1e-4, atol=1e-5)
    z = np.array([[0.5, -1.0], [2.0, 0.25]], np.float32)
    expected = _np_mlp(cvae.decoder, np.concatenate([z, np.eye(10)[[3, 7]]], axis=1)).reshape(2, 28, 28)
    np.testing.assert_allclose(cvae.decode_logits(z, np.array([3, 7])), expected, rtol=1e-4, atol=1e-4)


def test_the_label_changes_the_digit_not_the_code_size(cvae):
    z = jnp.zeros((2, 2))
    a, b = cvae.decode(z, np.array([1, 1])), cvae.decode(z, np.array([1, 8]))
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.allclose(a[1], b[1])


def test_conditional_loss_terms_and_gradient(cvae, small_images):
    labels = np.arange(8) % 10
    rec, kl = cvae.loss_terms(small_images, key=jax.random.key(0), labels=labels)
    assert rec.shape == kl.shape == (8,)
    np.testing.assert_allclose(kl, losses.gaussian_kl(*cvae.encode(small_images, labels)), rtol=1e-6)
    # With one sample the reconstruction is the Bernoulli loss of the decoded reparameterized draw.
    mean, log_var = cvae.encode(small_images, labels)
    z = jax.random.split(jax.random.key(0), 1)
    eps_z = jax.vmap(lambda k: mean + jnp.exp(0.5 * log_var) * jax.random.normal(k, mean.shape))(z)[0]
    expected = losses.bernoulli_reconstruction(cvae.decode_logits(eps_z, labels), small_images)
    np.testing.assert_allclose(rec, expected, rtol=1e-5)
    grads = nnx.grad(lambda m: m.loss_terms(small_images, key=jax.random.key(0), labels=labels)[0].sum())(cvae)
    label_rows = np.asarray(grads["encoder"]["layers"][0]["kernel"][...])[784:]
    assert np.abs(label_rows[:8]).sum() > 0   # the labels 0..7 present reach the encoder's weights
    assert np.abs(label_rows[8:]).sum() == 0  # labels 8 and 9 are absent from the batch


def test_conditional_vae_trains_through_fit_and_round_trips(tmp_path, mnist):
    model = variants.ConditionalVAE(2, hidden_sizes=(32,), rngs=nnx.Rngs(params=0))
    images, labels = mnist.train_images[:256], mnist.train_labels[:256]
    history = train.fit(model, images, labels=labels, epochs=2, batch_size=64, progress=False)
    assert history.loss[-1] < history.loss[0] and len(history.kl) == 2
    result = train.evaluate(model, mnist.test_images[:120], labels=mnist.test_labels[:120], chunk_size=50)
    rec, kl = model.loss_terms(mnist.test_images[:120], key=jax.random.key(0), labels=mnist.test_labels[:120])
    assert result["kl"] == pytest.approx(float(kl.mean()), rel=1e-5)
    assert result["reconstruction"] == pytest.approx(float(rec.mean()), rel=0.05)
    with pytest.raises(ValueError, match="needs labels"):
        train.evaluate(model, mnist.test_images[:10])
    with pytest.raises(ValueError, match="only for a conditional model"):
        train.evaluate(variants.ConvVAE(2, channels=(2, 2), rngs=nnx.Rngs(params=0)), mnist.test_images[:10],
                       labels=mnist.test_labels[:10])
    back = checkpoints.load(checkpoints.save(model, tmp_path / "c.ckpt"), expect=variants.ConditionalVAE)
    np.testing.assert_array_equal(back.code(images[:4], labels[:4]), model.code(images[:4], labels[:4]))


@pytest.mark.parametrize("labels, error, message", [
    (np.zeros(3, np.float32), TypeError, "integers"),
    (np.zeros(2, np.int32), ValueError, r"shape \(3,\)"),
    (np.array([0, 1, 10]), ValueError, "0..9"),
    ([0, 1, 2], TypeError, "integer array"),
])
def test_bad_labels(cvae, labels, error, message):
    with pytest.raises(error, match=message):
        cvae.decode(jnp.zeros((3, 2)), labels)


def test_conv_vae_refuses_the_dense_decoder_contract_clearly(conv_vae):
    with pytest.raises(TypeError, match="convolutional"):
        conv_vae.decoder_layers()


def test_conditional_decoder_layers_take_z_then_the_one_hot_label(cvae):
    layers = cvae.decoder_layers()
    assert layers[0][0].shape == (2 + 10, 16) and layers[-1][0].shape == (16, 784)
    rng = np.random.default_rng(0)
    z, labels = rng.normal(size=(4, 2)).astype(np.float32), np.array([0, 3, 7, 9])
    x = np.concatenate([z, np.eye(10)[labels]], axis=1).astype(np.float64)
    for k, (w, b) in enumerate(layers):
        x = x @ w.astype(np.float64) + b
        if k < len(layers) - 1:
            x = np.maximum(x, 0.0)
    expected = np.asarray(cvae.decode_logits(jnp.asarray(z), jnp.asarray(labels))).reshape(4, -1)
    np.testing.assert_allclose(x, expected, rtol=1e-4, atol=1e-4)
