"""ExplorerSwitch: one slider over several latent explorers, the code carried over."""


import numpy as np
import pytest

from vae_tutorial import widgets
from widget_helpers import assert_shows


@pytest.fixture(scope="module")
def beta_like(vae2, ae2, test_split):
    """Two explorers over different 2-D models with one shared set of ranges."""
    return {0.3: widgets.LatentExplorer(ae2, *test_split, ranges=(-4.0, 4.0), name="a"),
            1.0: widgets.LatentExplorer(vae2, *test_split, ranges=(-4.0, 4.0), name="b")}


def test_explorer_switch_shows_one_explorer_and_keeps_z(beta_like, vae2):
    switch = widgets.ExplorerSwitch(beta_like, description="beta", value=1.0)
    assert switch.description == "beta" and switch.spec["labels"] == ["0.3", "1.0"]
    assert switch.value == 1.0 and switch.index == 1 and switch.current is beta_like[1.0]
    assert [e["decoder"]["layers"][0]["n_in"] for e in switch.spec["explorers"]] == [2, 2]
    beta_like[1.0].set_z([1.5, -2.0])
    np.testing.assert_allclose(switch.values, [1.5, -2.0])  # the shown explorer's state is the switch's
    switch.value = 0.3
    assert switch.index == 0 and switch.current is beta_like[0.3]
    np.testing.assert_allclose(beta_like[0.3].z, [1.5, -2.0], atol=1e-6)
    assert_shows(beta_like[0.3], beta_like[0.3].model, [1.5, -2.0])
    beta_like[0.3].sliders[0].value = -3.0
    switch.value = 1.0
    np.testing.assert_allclose(beta_like[1.0].z, [-3.0, -2.0], atol=1e-6)
    # A switch in the browser sends index, values and rest together; the explorer shown follows.
    switch.set_state({"index": 0, "values": [0.5, 0.25], "rest": [0.0, 0.0]})
    assert switch.current is beta_like[0.3]
    np.testing.assert_allclose(beta_like[0.3].z, [0.5, 0.25])
    assert widgets.ExplorerSwitch(beta_like).value == 0.3  # default: the first label
    with pytest.raises(ValueError, match="value must be one of the labels"):
        switch.value = 2.0


def test_explorer_switch_clamps_to_narrower_ranges(vae2):
    wide, narrow = widgets.LatentExplorer(vae2, ranges=(-3.0, 3.0)), widgets.LatentExplorer(vae2, ranges=(-1.0, 1.0))
    switch = widgets.ExplorerSwitch({"wide": wide, "narrow": narrow})
    wide.set_z([2.5, -0.5])
    switch.value = "narrow"
    np.testing.assert_allclose(narrow.z, [1.0, -0.5])


def test_explorer_switch_display(beta_like):
    switch = widgets.ExplorerSwitch(beta_like, description="beta")
    assert repr(switch) == "ExplorerSwitch(beta: 0.3, 1.0)"
    bundle = switch._repr_mimebundle_()
    assert bundle["text/plain"] == repr(switch) + "\n" + widgets.TEXT_NOTE
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == switch.model_id
    assert "image/png" in bundle
    fig = switch.static_figure(steps=3)
    assert [sub._suptitle.get_text() for sub in fig.subfigs] == ["beta = 0.3", "beta = 1.0"]
    assert widgets.NO_FRONTEND_NOTE in [" ".join(t.get_text().split()) for t in fig.texts]
    # Both columns share the map limits given by the shared ranges.
    maps = [ax for ax in fig.axes if ax.get_title().endswith("encodings")]
    assert len(maps) == 2 and all(ax.get_xlim() == (-4.0, 4.0) for ax in maps)


@pytest.mark.parametrize(
    ("explorers", "kwargs", "error", "message"),
    [
        ("no", {}, TypeError, r"explorers must be a dict \{label: LatentExplorer\}, got str"),
        ({}, {}, ValueError, "explorers must hold at least one LatentExplorer, got an empty dict"),
        ({"x": 3}, {}, TypeError, r"explorers\['x'\] must be a LatentExplorer, got int"),
        ({"a": "2d", "b": "20d"}, {}, ValueError,
         r"explorers must share latent size and slider count, got \(latent, sliders\) \[\(2, 2\), \(20, 6\)\]"),
        ({"a": "2d"}, {"value": "c"}, ValueError, r"value must be one of the labels \['a'\], got 'c'"),
        ({"a": "2d"}, {"description": 1}, TypeError, "description must be a string, got int"),
    ],
)
def test_explorer_switch_errors(vae2, vae20, explorers, kwargs, error, message):
    made = {"2d": widgets.LatentExplorer(vae2), "20d": widgets.LatentExplorer(vae20)}
    if isinstance(explorers, dict):
        explorers = {k: made.get(v, v) if isinstance(v, str) else v for k, v in explorers.items()}
    with pytest.raises(error, match=message):
        widgets.ExplorerSwitch(explorers, **kwargs)
