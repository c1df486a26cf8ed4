import pytest

from vae_tutorial import losses, models
from vae_tutorial.display import show_source


def test_show_source_keeps_indentation_of_a_function_body():
    text = show_source(losses.gaussian_kl).data
    assert text.startswith("```python\ndef gaussian_kl(")
    assert "\n    return 0.5 * jnp.sum(" in text and text.endswith("\n```")


def test_show_source_start_and_stop():
    text = show_source(models.Autoencoder, start="def __init__", stop="def __call__").data
    assert text.splitlines()[1].startswith("def __init__(")
    assert "def encode(" in text and "def __call__" not in text
    assert "\n    latent_dim, hidden = _check_config" in text


def test_show_source_missing_start():
    with pytest.raises(ValueError, match="'nothing here' does not occur in the source of gaussian_kl"):
        show_source(losses.gaussian_kl, start="nothing here")
