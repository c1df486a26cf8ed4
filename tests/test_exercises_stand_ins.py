"""The stand-in models of the exercise checks: fixed random linear layers with the course models' interface."""

import jax
import numpy as np

from vae_tutorial.exercises.stand_ins import TinyAutoencoder, TinyVAE


def test_tiny_autoencoder_is_a_linear_encoder_and_a_sigmoid_decoder():
    model = TinyAutoencoder()
    images = np.random.default_rng(0).uniform(size=(3, 28, 28)).astype(np.float32)
    rng = np.random.default_rng(0)  # the stand-in's own draws, in its order
    w_in, w_out, b_out = rng.normal(0, 0.05, (784, 2)), rng.normal(0, 1.0, (2, 784)), rng.normal(0, 0.5, 784)
    codes = images.reshape(3, 784).astype(np.float64) @ w_in
    np.testing.assert_allclose(model.encode(images), codes, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(model.code(images), codes, rtol=1e-4, atol=1e-5)
    logits = (codes @ w_out + b_out).reshape(3, 28, 28)
    np.testing.assert_allclose(model.decode_logits(codes.astype(np.float32)), logits, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(model.decode(codes.astype(np.float32)), 1 / (1 + np.exp(-logits)), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(model(images), logits, rtol=1e-4, atol=1e-4)
    assert model.latent_dim == 2 and not model.is_variational


def test_tiny_vae_splits_its_encoder_output_into_mean_and_log_var():
    model = TinyVAE()
    images = np.random.default_rng(1).uniform(size=(4, 784)).astype(np.float32)
    w_in = np.random.default_rng(0).normal(0, 0.05, (784, 4))
    out = images.astype(np.float64) @ w_in
    mean, log_var = model.encode(images)
    np.testing.assert_allclose(mean, out[:, :2], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(log_var, out[:, 2:] - 1.0, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(model.code(images), out[:, :2], rtol=1e-4, atol=1e-5)
    assert model.is_variational
    rec, kl = model.loss_terms(images, key=jax.random.key(0))
    assert rec.shape == kl.shape == (4,)
    np.testing.assert_allclose(kl, 0.5 * np.sum(np.exp(out[:, 2:] - 1) + out[:, :2] ** 2 - 1 - (out[:, 2:] - 1), axis=1),
                               rtol=1e-4)


def test_the_stand_ins_are_latent_models_that_the_widgets_accept():
    from vae_tutorial import models, widgets

    for model in (TinyAutoencoder(), TinyVAE()):
        assert isinstance(model, models.LatentModel)
        (w, b), = model.decoder_layers()
        z = np.array([[0.5, -1.0]], np.float32)
        np.testing.assert_allclose((z @ w + b).reshape(1, 28, 28), model.decode_logits(z), rtol=1e-5, atol=1e-5)
    explorer = widgets.ReparameterizationExplorer(TinyVAE(), count=3)
    expected = np.round((1.0 - np.asarray(TinyVAE().decode(explorer.z[:1]))) * 255.0)[0]
    shown = widgets.LatentExplorer(TinyVAE()).pixels(explorer.z[0])
    assert np.abs(shown.astype(int) - expected).max() <= 1
