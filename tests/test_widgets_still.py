"""Still pictures: the static figures and the map of the encodings."""

import io

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from vae_tutorial import latent, widgets


def test_static_figures(vae2, vae20, test_split):
    fig = widgets.LatentExplorer(vae2, *test_split).static_figure()
    assert isinstance(fig, Figure) and len(fig.axes) == 3  # decoded grid, map, colour bar
    assert fig.axes[0].get_xlabel() == "z1" and fig.axes[0].get_title()
    assert widgets.NO_FRONTEND_NOTE in [" ".join(t.get_text().split()) for t in fig.texts]
    fig = widgets.LatentExplorer(vae20).static_figure(steps=5)
    assert len(fig.axes) == 6  # one row per slider
    assert all(ax.images[0].get_array().shape == (28, 5 * 28) for ax in fig.axes)
    assert [ax.get_ylabel() for ax in fig.axes] == [f"z{k}" for k in range(1, 7)]
    # Each row's x axis shows the slider values of its images ([-3, 3] without images).
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["-3.0", "-1.5", "0.0", "1.5", "3.0"]
    assert fig.axes[-1].get_xlabel() == "slider value"


def test_vae_maps_draw_the_prior_circle_digit_labels_and_equal_aspect(vae2, ae2, test_split):
    r = latent.prior_radius(0.95)
    images, labels = test_split
    vae_map = widgets.LatentExplorer(vae2, images, labels).static_figure().axes[1]
    circle = [line for line in vae_map.lines if line.get_label() == "95% of the prior N(0, I)"]
    assert len(circle) == 1
    np.testing.assert_allclose(np.hypot(*circle[0].get_data()), r)
    assert vae_map.get_aspect() == 1.0
    # Each digit is written at the median of its codes.
    codes = np.asarray(vae2.encode(images)[0])
    written = {t.get_text(): t.get_position() for t in vae_map.texts}
    assert sorted(written) == [str(k) for k in range(10)]
    np.testing.assert_allclose(written["4"], np.median(codes[labels == 4], axis=0), atol=1e-6)
    ae_map = widgets.LatentExplorer(ae2, images, labels).static_figure().axes[1]
    assert not [line for line in ae_map.lines if "prior" in line.get_label()]
    # The pad's picture: large enough to aim at, the axes box inside it.
    pad = widgets.LatentExplorer(vae2, images, labels).spec["pad"]
    assert pad["width"] >= 320 and pad["height"] >= 300
    x0, y0, x1, y1 = pad["box"]
    assert 0 <= x0 < x1 <= pad["width"] and 0 <= y0 < y1 <= pad["height"]
    with Image.open(io.BytesIO(pad["png"])) as picture:
        assert picture.size == (pad["width"], pad["height"])
