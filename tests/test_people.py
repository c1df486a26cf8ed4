"""What 11-vaes-people-use loads: the committed study, its summaries, the shipped conv and conditional VAEs."""

import numpy as np
import pytest

from vae_tutorial import people, train, variants

ROWS = [
    {"section": "s", "condition": "a", "seed": 0, "measure": "m", "value": 1.0},
    {"section": "s", "condition": "a", "seed": 1, "measure": "m", "value": 3.0},
    {"section": "s", "condition": "b", "seed": 0, "measure": "m", "value": 0.5},
    {"section": "s", "condition": "b", "seed": 1, "measure": "m", "value": 2.0},
    {"section": "t", "condition": "a", "seed": 0, "measure": "m", "value": 99.0},
]


def test_estimates_and_paired_by_hand():
    e = people.estimates(ROWS, "s", "m")
    assert list(e) == ["a", "b"]
    assert e["a"].mean == 2.0 and e["a"].se == pytest.approx(np.std([1, 3], ddof=1) / np.sqrt(2)) and e["a"].n == 2
    d = people.paired(ROWS, "s", "m", "a", "b")
    assert d.mean == pytest.approx(0.75) and d.se == pytest.approx(np.std([0.5, 1.0], ddof=1) / np.sqrt(2))
    assert "a: 2.00 (SE 1.00, 2 seeds)" in people.describe(ROWS, "s", "m")
    with pytest.raises(KeyError):
        people.estimates(ROWS, "s", "nothing")
    with pytest.raises(KeyError):
        people.paired(ROWS, "t", "m", "a", "b")


def test_committed_study_is_complete():
    study = people.load_study()
    rows = study["rows"]
    seeds = study["recipe"]["seeds"]
    assert len(seeds) >= 3
    wanted = {"conv": ({"mlp", "conv"}, "test_neg_elbo"), "conv_long": ({"mlp", "conv"}, "sample_frechet"),
              "collapse": ({"plain", "warm-up", "free bits"}, "active_units"),
              "likelihood": ({"bernoulli", "sse+kl", "mse+kl"}, "test_kl"),
              "sweep": ({f"beta={b:g}" for b in study["recipe"]["betas"]}, "test_kl")}
    for section, (conditions, measure) in wanted.items():
        found = people.estimates(rows, section, measure)
        assert set(found) == conditions, section
        assert all(e.n == len(seeds) for e in found.values()), section


def test_shipped_models_load_and_match_their_recorded_test_loss(mnist):
    conv = people.load_pretrained("conv-vae-16d")
    assert isinstance(conv, variants.ConvVAE) and conv.latent_dim == 16
    recorded = people.pretrained_info("conv-vae-16d")["metadata"]["test"]["loss"]
    assert train.evaluate(conv, mnist.test_images)["loss"] == pytest.approx(recorded, abs=0.05)
    cvae = people.load_pretrained("cvae-2d")
    recorded = people.pretrained_info("cvae-2d")["metadata"]["test"]["loss"]
    assert train.evaluate(cvae, mnist.test_images, labels=mnist.test_labels)["loss"] == pytest.approx(recorded, abs=0.05)
    with pytest.raises(ValueError, match="known: conv-vae-16d, cvae-2d"):
        people.load_pretrained("vae-2d")


def test_same_style_all_labels(mnist):
    cvae = people.load_pretrained("cvae-2d")
    grid = people.same_style_all_labels(cvae, mnist.test_images[:2], mnist.test_labels[:2])
    assert grid.shape == (2, 10, 28, 28)
    z = people.encode_conditional(cvae, mnist.test_images[:1], mnist.test_labels[:1])
    np.testing.assert_allclose(grid[0, 3], people.decode_conditional(cvae, z, np.array([3]))[0], atol=1e-6)
