"""What every explorer shares: the display bundle with its still-picture fallback, the one front-end module."""

import base64
import io

from PIL import Image

from vae_tutorial import widgets
from vae_tutorial.widgets.base import ESM


def test_repr_is_stable_and_display_carries_a_static_fallback(vae2, test_split):
    explorer = widgets.LatentExplorer(vae2, *test_split)
    assert repr(explorer) == "LatentExplorer(VAE, latent_dim=2, sliders: z1, z2)"
    bundle = explorer._repr_mimebundle_()
    assert bundle["text/plain"] == repr(explorer) + "\n" + widgets.TEXT_NOTE
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.model_id
    with Image.open(io.BytesIO(base64.b64decode(bundle["image/png"]))) as still:
        assert still.width > 300 and still.height > 200
    named = widgets.LatentExplorer(vae2, name="vae-2d")
    assert repr(named) == "LatentExplorer('vae-2d', VAE, latent_dim=2, sliders: z1, z2)"
    # A terminal asks for text only: no figure is drawn, and only what was asked for comes back.
    assert explorer._repr_mimebundle_(include={"text/plain"}) == {"text/plain": bundle["text/plain"]}
    assert set(explorer._repr_mimebundle_(exclude={"image/png"})) == {
        "text/plain", "application/vnd.jupyter.widget-view+json"}
    assert set(explorer._repr_mimebundle_(include={"image/png", "text/plain"}, exclude={"text/plain"})) == {"image/png"}


def test_every_explorer_ships_the_same_front_end_module():
    source = ESM.read_text()
    assert "export default { render }" in source
    for kind in ("latent", "interpolation", "reparameterization", "switch"):
        assert f"{kind}:" in source
    assert "import " not in source  # one self-contained module: the static pages inline it
