import jax
import numpy as np
import pytest
from flax import nnx

from vae_tutorial import losses, models, train


def _params(model):
    return jax.tree.leaves(nnx.state(model, nnx.Param))


@pytest.mark.parametrize("cls", [models.Autoencoder, models.VAE])
def test_fit_reduces_loss_and_updates_in_place(cls, mnist):
    model = cls(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=0))
    before = [np.array(p) for p in _params(model)]
    history = train.fit(model, mnist.train_images[:512], epochs=3, batch_size=64, progress=False)
    assert history.epochs == 3 and len(history.reconstruction) == 3
    assert len(history.kl) == (3 if cls is models.VAE else 0)
    assert history.loss[-1] < history.loss[0]
    assert not history.interrupted
    assert any(not np.array_equal(a, b) for a, b in zip(before, _params(model)))


def test_smoke_8_examples_1_epoch(mnist):
    model = models.VAE(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=0))
    history = train.fit(model, mnist.train_images[:8], epochs=1, batch_size=8, progress=False)
    assert history.epochs == 1 and np.isfinite(history.loss[0])
    assert "epoch 1: loss" in history.summary() and "KL" in history.summary()


def test_vae_history_terms_add_up(mnist):
    model = models.VAE(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=0))
    h = train.fit(model, mnist.train_images[:256], epochs=2, batch_size=64, beta=1.0, progress=False)
    np.testing.assert_allclose(h.loss, np.add(h.reconstruction, h.kl), rtol=1e-5)
    h2 = train.fit(model, mnist.train_images[:256], epochs=1, batch_size=64, beta=0.0, progress=False)
    np.testing.assert_allclose(h2.loss, h2.reconstruction, rtol=1e-6)


def test_deterministic_bit_for_bit(mnist):
    runs = []
    for _ in range(2):
        model = models.VAE(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=1))
        train.fit(model, mnist.train_images[:256], epochs=2, batch_size=64, seed=7, progress=False)
        runs.append([np.array(p) for p in _params(model)])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_no_recompile_across_calls_and_hyperparameters(mnist):
    images = mnist.train_images[:256]
    model = models.VAE(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=0))
    train.fit(model, images, epochs=1, batch_size=64, progress=False)
    size = train._run_epoch._cache_size()
    other = models.VAE(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=1))
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
    model = models.Autoencoder(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=0))
    with pytest.raises(error, match=message):
        train.fit(model, mnist.train_images[:64], progress=False, **kwargs)


def test_fit_rejects_bad_model_and_images(mnist):
    with pytest.raises(TypeError, match="Autoencoder or VAE, got str"):
        train.fit("model", mnist.train_images, epochs=1)
    model = models.Autoencoder(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=0))
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


def test_fit_accepts_numpy_and_0d_numbers_for_hyperparameters(mnist):
    model = models.Autoencoder(2, hidden_sizes=(16,), rngs=nnx.Rngs(params=0))
    h = train.fit(model, mnist.train_images[:128], epochs=1, batch_size=64, progress=False,
                  learning_rate=np.float32(1e-3), beta=np.float64(1.0))
    assert h.epochs == 1
    with pytest.raises(TypeError, match="learning_rate must be a number"):
        train.fit(model, mnist.train_images[:128], epochs=1, batch_size=64, learning_rate="1e-3", progress=False)
    with pytest.raises(TypeError, match="learning_rate must be a number"):
        train.fit(model, mnist.train_images[:128], epochs=1, batch_size=64, learning_rate=np.array([1e-3]), progress=False)


def _mean_square_loss(model, batch, key, beta):
    """A regression loss for a module that is not a latent model: predict a target per image."""
    error = ((model(batch["images"])[:, 0] - batch["labels"]) ** 2).mean()
    return error, {"mse": error}


def test_fit_trains_any_module_given_a_loss(mnist):
    from vae_tutorial import plausibility

    images, labels = mnist.train_images[:256], mnist.train_labels[:256]
    model = plausibility.DigitClassifier(hidden=16, rngs=nnx.Rngs(params=0))
    h = train.fit(model, images, labels=labels, loss=train.classification_objective, epochs=4,
                  batch_size=64, progress=False)
    assert h.epochs == 4 and h.kl == [] and h.reconstruction == []
    assert h.metrics["cross_entropy"] == h.loss and h.loss[-1] < h.loss[0] < 2.5  # chance level is log 10 = 2.30
    h2 = train.fit(plausibility.DigitClassifier(hidden=16, rngs=nnx.Rngs(params=0)), images,
                   labels=labels, loss=_mean_square_loss, epochs=2, batch_size=64, progress=False)
    assert list(h2.metrics) == ["mse"] and h2.loss[1] < h2.loss[0]
    with pytest.raises(ValueError, match="labels must be 256 integers"):
        train.fit(model, images, labels=labels[:10], loss=train.classification_objective, epochs=1, progress=False)
    with pytest.raises(TypeError, match="another nnx.Module trains with loss="):
        train.fit(model, images, epochs=1, progress=False)


def test_evaluate_in_chunks_equals_one_pass_for_the_autoencoder(tiny_models, mnist):
    model = tiny_models["autoencoder"]
    images = mnist.test_images[:230]
    whole = train.evaluate(model, images, chunk_size=500)
    chunked = train.evaluate(model, images, chunk_size=100)  # 100, 100, 30 padded to 100
    expected = float(np.mean(losses.autoencoder_terms(model, images)[0]))
    assert whole["loss"] == pytest.approx(expected, rel=1e-5) and chunked["loss"] == pytest.approx(expected, rel=1e-5)
    assert chunked["kl"] == 0.0


def test_evaluate_chunked_vae_is_an_unbiased_estimate(tiny_models, mnist):
    model = tiny_models["vae"]
    images = mnist.test_images[:200]
    exact_kl = float(np.mean(losses.elbo_terms(model, images, key=jax.random.key(0))[1]))
    results = [train.evaluate(model, images, seed=s, num_samples=4, chunk_size=64) for s in range(3)]
    for r in results:
        assert r["kl"] == pytest.approx(exact_kl, rel=1e-5)  # the KL is exact, whatever the chunks
        assert r["loss"] == pytest.approx(r["reconstruction"] + r["kl"], rel=1e-9)
    spread = np.std([r["reconstruction"] for r in results])
    assert 0 < spread < 1.0


@pytest.mark.slow
def test_evaluate_memory_stays_bounded_on_full_mnist_sizes():
    # 60,000 images x 10 samples: building every sample at once took about 4 GB.
    from memory import peak_growth_mb

    growth = peak_growth_mb(
        "import numpy as np\nfrom flax import nnx\nfrom vae_tutorial import models, train\n"
        "images = np.random.default_rng(0).random((60_000, 784), dtype=np.float32)\n"
        "model = models.VAE(2, hidden_sizes=(8,), rngs=nnx.Rngs(params=0))\n"
        "train.evaluate(model, images[:500], num_samples=10)  # compile outside the measurement",
        "result = train.evaluate(model, images, num_samples=10)\nassert np.isfinite(result['loss'])",
    )
    assert growth < 400, f"evaluate raised the peak memory by {growth:.0f} MB"


@pytest.mark.parametrize(("seed", "error", "message"), [
    (1.5, TypeError, "seed must be an integer, got 1.5"),
    ("0", TypeError, "seed must be an integer, got '0'"),
    (True, TypeError, "seed must be an integer, got True"),
    (-1, ValueError, "seed must be >= 0, got -1"),
])
def test_fit_and_evaluate_check_the_seed_themselves(tiny_models, seed, error, message):
    model = nnx.clone(tiny_models["vae"])
    images = np.zeros((8, 784), np.float32)
    with pytest.raises(error, match=message):
        train.fit(model, images, epochs=1, batch_size=4, seed=seed, progress=False)
    with pytest.raises(error, match=message):
        train.evaluate(model, images, seed=seed)


def test_terms_per_image_are_what_evaluate_averages(vae2, ae2, mnist):
    images = mnist.test_images[:300]
    rec, kl = train.terms_per_image(vae2, images, seed=3, num_samples=4, chunk_size=128)
    assert rec.shape == kl.shape == (300,) and rec.dtype == np.float64
    summary = train.evaluate(vae2, images, seed=3, num_samples=4, chunk_size=128)
    np.testing.assert_allclose([rec.mean(), kl.mean()], [summary["reconstruction"], summary["kl"]], rtol=1e-5)
    # The first chunk draws its noise from the key itself: the eager losses.elbo_terms with that key agrees.
    eager_rec, _ = losses.elbo_terms(vae2, images[:128], key=jax.random.key(3), num_samples=4)
    np.testing.assert_allclose(rec[:128], np.asarray(eager_rec), rtol=1e-5)
    # KL in closed form, from the encoder's outputs (computed here in NumPy).
    mean, log_var = (np.asarray(a, np.float64) for a in vae2.encode(images))
    np.testing.assert_allclose(kl, 0.5 * (np.exp(log_var) + mean**2 - 1 - log_var).sum(axis=1), rtol=1e-4)
    ae_rec, ae_kl = train.terms_per_image(ae2, images[:5])
    assert not ae_kl.any() and ae_rec.shape == (5,)
    with pytest.raises(TypeError, match="Autoencoder or VAE"):
        train.terms_per_image(object(), images)
    with pytest.raises(ValueError, match="labels are only for a conditional model"):
        train.terms_per_image(vae2, images[:5], labels=np.zeros(5, int))
