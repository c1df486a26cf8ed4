import jax
import numpy as np
import pytest
from flax import nnx

from vae_tutorial import losses, models, train


def _params(model):
    return jax.tree.leaves(nnx.state(model, nnx.Param))


@pytest.mark.parametrize("cls", [models.Autoencoder, models.VAE])
def test_fit_reduces_loss_and_updates_in_place(cls, mnist):
    model = cls(2, hidden_sizes=(64,), rngs=nnx.Rngs(params=0))
    before = [np.array(p) for p in _params(model)]
    history = train.fit(model, mnist.train_images[:512], epochs=3, batch_size=64, progress=False)
    assert history.epochs == 3 and len(history.reconstruction) == 3
    assert len(history.kl) == (3 if cls is models.VAE else 0)
    assert history.loss[-1] < history.loss[0]
    assert not history.interrupted
    assert any(not np.array_equal(a, b) for a, b in zip(before, _params(model)))


def test_smoke_8_examples_1_epoch(mnist):
    model = models.VAE(2, hidden_sizes=(8,), rngs=nnx.Rngs(params=0))
    history = train.fit(model, mnist.train_images[:8], epochs=1, batch_size=8, progress=False)
    assert history.epochs == 1 and np.isfinite(history.loss[0])
    assert "epoch 1: loss" in history.summary() and "KL" in history.summary()


def test_vae_history_terms_add_up(mnist):
    model = models.VAE(2, hidden_sizes=(32,), rngs=nnx.Rngs(params=0))
    h = train.fit(model, mnist.train_images[:256], epochs=2, batch_size=64, beta=1.0, progress=False)
    np.testing.assert_allclose(h.loss, np.add(h.reconstruction, h.kl), rtol=1e-5)
    h2 = train.fit(model, mnist.train_images[:256], epochs=1, batch_size=64, beta=0.0, progress=False)
    np.testing.assert_allclose(h2.loss, h2.reconstruction, rtol=1e-6)


def test_deterministic_bit_for_bit(mnist):
    runs = []
    for _ in range(2):
        model = models.VAE(2, hidden_sizes=(32,), rngs=nnx.Rngs(params=1))
        train.fit(model, mnist.train_images[:256], epochs=2, batch_size=64, seed=7, progress=False)
        runs.append([np.array(p) for p in _params(model)])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_no_recompile_across_calls_and_hyperparameters(mnist):
    images = mnist.train_images[:256]
    model = models.VAE(2, hidden_sizes=(24,), rngs=nnx.Rngs(params=0))
    train.fit(model, images, epochs=1, batch_size=64, progress=False)
    size = train._run_epoch._cache_size()
    other = models.VAE(2, hidden_sizes=(24,), rngs=nnx.Rngs(params=1))
    train.fit(other, images, epochs=3, batch_size=64, learning_rate=3e-4, beta=2.0, seed=4, progress=False)
    assert train._run_epoch._cache_size() == size


def test_interrupt_keeps_last_finished_epoch(mnist, monkeypatch):
    model = models.Autoencoder(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=0))
    real = train._run_epoch
    calls = {"n": 0}
    snapshot = {}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            snapshot["params"] = [np.array(p) for p in _params(model)]
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(train, "_run_epoch", flaky)
    history = train.fit(model, mnist.train_images[:128], epochs=5, batch_size=64, progress=False)
    assert history.interrupted and history.epochs == 2
    for a, b in zip(snapshot["params"], _params(model)):
        np.testing.assert_array_equal(a, b)
    assert "[interrupted]" in history.summary()


def test_nan_stops_with_epoch_and_keeps_good_weights(mnist):
    model = models.VAE(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=0))
    train.fit(model, mnist.train_images[:128], epochs=1, batch_size=64, progress=False)
    good = [np.array(p) for p in _params(model)]
    with pytest.raises(FloatingPointError, match=r"in epoch 1; the model keeps the weights of epoch 0"):
        train.fit(model, mnist.train_images[:128], epochs=2, batch_size=64, learning_rate=1e30, progress=False)
    for a, b in zip(good, _params(model)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"epochs": 0}, ValueError, "epochs must be >= 1"),
        ({"epochs": 1, "batch_size": 1000}, ValueError, r"batch_size \(1000\) must not exceed the number of images \(64\)"),
        ({"epochs": 1, "batch_size": 32, "learning_rate": -1.0}, ValueError, "learning_rate must be a positive number"),
        ({"epochs": 1, "batch_size": 32, "beta": -0.5}, ValueError, "beta must be a number >= 0"),
        ({"epochs": "3"}, TypeError, "epochs must be an integer"),
    ],
)
def test_fit_rejects_bad_arguments(kwargs, error, message, mnist):
    model = models.Autoencoder(2, hidden_sizes=(8,), rngs=nnx.Rngs(params=0))
    with pytest.raises(error, match=message):
        train.fit(model, mnist.train_images[:64], progress=False, **kwargs)


def test_fit_rejects_bad_model_and_images(mnist):
    with pytest.raises(TypeError, match="Autoencoder or VAE, got str"):
        train.fit("model", mnist.train_images, epochs=1)
    model = models.Autoencoder(2, hidden_sizes=(8,), rngs=nnx.Rngs(params=0))
    with pytest.raises(ValueError, match=r"values in \[0, 1\]"):
        train.fit(model, mnist.train_images[:64] * 255, epochs=1, progress=False)


def test_evaluate_matches_losses(mnist):
    model = models.VAE(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=0))
    images = mnist.test_images[:100]
    result = train.evaluate(model, images, seed=3, num_samples=2)
    expected = losses.negative_elbo(model, images, key=jax.random.key(3), num_samples=2)
    assert result["loss"] == pytest.approx(float(expected), rel=1e-5)
    assert result["loss"] == pytest.approx(result["reconstruction"] + result["kl"], rel=1e-6)
    ae = models.Autoencoder(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=0))
    assert train.evaluate(ae, images)["kl"] == 0.0
