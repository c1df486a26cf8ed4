import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from vae_tutorial import plots, train  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_image_grid_orients_axes_whatever_the_range_order():
    images = np.zeros((3, 2, 28, 28), np.float32)
    images[0, 0] = 1.0  # the point (xs[0], ys[0])
    ax = plots.image_grid(images, np.array([1.0, 0.0]), np.array([5.0, 4.0, 3.0]), title="t")
    canvas = ax.get_images()[0].get_array()
    # xs descending -> (x=1) drawn right; ys descending -> (y=5) drawn at the top.
    assert canvas.shape == (84, 56)
    assert canvas[:28, 28:].min() == 1.0 and canvas.sum() == 28 * 28
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.0", "1.0"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["5.0", "4.0", "3.0"]
    assert ax.get_title() == "t" and ax.get_xlabel() == "$z_1$"


def test_embedding_labels_clusters_and_rejects_wrong_shape():
    codes = np.array([[0, 0], [0.2, 0], [5, 5], [5.2, 5]], np.float32)
    ax = plots.embedding(codes, np.array([1, 1, 7, 7]), title="emb")
    texts = {t.get_text(): t.get_position() for t in ax.texts}
    assert texts["1"] == pytest.approx((0.1, 0.0)) and texts["7"] == pytest.approx((5.1, 5.0))
    assert ax.get_title() == "emb" and ax.get_ylabel() == "$z_2$"
    with pytest.raises(ValueError, match=r"2-D codes \[n, 2\], got shape \(4, 3\)"):
        plots.embedding(np.zeros((4, 3)), np.zeros(4), title="x")


def test_loss_curves_vae_has_three_lines():
    history = train.History(loss=[3.0, 2.0], reconstruction=[2.5, 1.5], kl=[0.5, 0.5])
    ax = plots.loss_curves(history, title="curves")
    assert [line.get_label() for line in ax.get_lines()] == ["reconstruction", "KL", "total"]
    assert ax.get_ylabel() == "loss (nats per image)"


def test_digits_and_strip_titles():
    axes = plots.digits(np.zeros((3, 28, 28)), [0, 1, 2], title="some digits", ncols=2)
    assert axes.shape == (2, 2) and axes[0, 0].get_title() == "0"
    assert axes[0, 0].figure._suptitle.get_text() == "some digits"
    strip = plots.image_strip(np.zeros((4, 28, 28)), title="strip", captions=list("abcd"))
    assert strip[0, 3].get_xlabel() == "d"
