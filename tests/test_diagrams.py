import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from vae_tutorial import diagrams  # noqa: E402

COMMON = {"x", "encoder", "\u03c6", "\u03bc", "\u03c3", "decoder", "\u03b8", "loss", "\u2212log p(x | z)"}
BLACK_BOX = "sampling as a black box:\nno gradient reaches \u03bc, \u03c3"
SHAPES_AND_ARROWS = {
    "deterministic node (a function)",
    "stochastic node (drawn at random)",
    "trained parameters",
    "input image",
    "forward computation",
    "gradient (backward pass)",
}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(ax):
    return {t.get_text() for t in ax.texts}


def _legend(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_sampling_graph():
    ax = diagrams.computation_graph("sampling")
    assert ax.get_title() == "Sampling inside the model: the gradient stops at z"
    texts = _texts(ax)
    assert COMMON | {"z", "z ~ N(\u03bc, \u03c3\u00b2)"} <= texts
    assert not any("\u03b5" in t for t in texts), "no separate noise input when sampling inside the model"
    assert BLACK_BOX in texts
    assert not any("ELBO" in t for t in texts), "the ELBO is defined only in notebook 04"
    assert set(_legend(ax)) == SHAPES_AND_ARROWS | {"gradient blocked"}
    # One cross on each of the two blocked edges z -> mu and z -> sigma.
    crosses = [line for line in ax.lines if line.get_marker() == "X"]
    assert len(crosses) == 2


def test_reparameterized_graph():
    ax = diagrams.computation_graph("reparameterized")
    assert ax.get_title() == "Reparameterized: the noise \u03b5 is an input, the gradient reaches \u03c6"
    texts = _texts(ax)
    assert COMMON | {"\u03b5", "\u03b5 ~ N(0, I)", "z = \u03bc + \u03c3 \u2299 \u03b5"} <= texts
    assert BLACK_BOX not in texts
    assert set(_legend(ax)) == SHAPES_AND_ARROWS
    assert not [line for line in ax.lines if line.get_marker() == "X"]


def test_gradient_arrows_are_dashed_and_counted():
    # Backward arrows: 3 when sampling (loss->decoder, decoder->theta, decoder->z) plus 2 stubs
    # that end at the crosses; 8 reparameterized (all the way back to phi).
    def dashed(ax):
        return [p for p in ax.patches if p.get_edgecolor()[:3] == matplotlib.colors.to_rgb(diagrams.GRADIENT)
                and p.get_linestyle() != "-"]

    assert len(dashed(diagrams.computation_graph("sampling"))) == 5
    assert len(dashed(diagrams.computation_graph("reparameterized"))) == 8


def test_draws_into_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    assert diagrams.computation_graph("sampling", ax=left) is left
    assert diagrams.computation_graph("reparameterized", ax=right) is right
    assert len(fig.axes) == 2


def test_unknown_kind():
    with pytest.raises(ValueError, match="kind must be one of 'sampling', 'reparameterized'; got 'score'"):
        diagrams.computation_graph("score")
