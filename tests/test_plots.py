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


def test_digits_and_strip_draw_one_picture_with_labels_where_the_images_are():
    images = np.zeros((3, 28, 28))
    images[2, 5, 7] = 1.0  # one ink pixel in the third image
    ax = plots.digits(images, [0, 1, 2], title="some digits", ncols=2, row_titles=["top", "bottom"])
    canvas = ax.images[0].get_array()
    assert canvas.shape == (2 * 30 + 2, 2 * 30 + 2)  # two rows and columns of 28 + a 2-pixel gap, and a border
    assert canvas[2 + 30 + 5, 2 + 7] == 1.0
    np.testing.assert_allclose(canvas.sum(), 1.0 + 0.15 * (canvas.size - 4 * 28 * 28))  # grey gaps, white paper
    assert ax.get_title() == "some digits"
    assert [t.get_text() for t in ax.texts] == ["0", "1", "2"]
    assert ax.texts[2].get_position() == (2 + 13.5, 30 + 1)  # above the third image (row 2, column 1)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["top", "bottom"]
    strip = plots.image_strip(np.zeros((4, 28, 28)), title="strip", captions=list("abcd"), xlabel="t")
    assert [t.get_text() for t in strip.get_xticklabels()] == list("abcd")
    np.testing.assert_allclose(strip.get_xticks(), 2 + 13.5 + 30 * np.arange(4))
    assert strip.get_title() == "strip\nt" and strip.images[0].get_array().shape == (32, 4 * 30 + 2)


def test_heatmap_puts_each_value_at_its_grid_point():
    values = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])  # [len(ys), len(xs)]
    ax = plots.heatmap(values, np.array([0.0, 1.0, 2.0]), np.array([10.0, 20.0]), title="h", colorbar="gap")
    mesh = ax.collections[0]
    np.testing.assert_array_equal(np.asarray(mesh.get_array()).reshape(2, 3), values)
    assert ax.get_title() == "h" and ax.get_xlabel() == "$z_1$"
    assert ax.figure.axes[-1].get_ylabel() == "gap"  # the colour bar says what the colour is


def test_profile_draws_the_mean_and_a_standard_error_band():
    t = np.array([0.0, 0.5, 1.0])
    curves = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 5.0]])
    ax = plots.profile(t, {"paths": curves}, title="p", xlabel="t", ylabel="c")
    (mean_line,) = ax.get_lines()
    np.testing.assert_allclose(mean_line.get_ydata(), [2.0, 2.0, 4.0])
    band = ax.collections[0].get_paths()[0].vertices
    se = np.array([1.0, 0.0, 1.0])  # std (ddof=1) / sqrt(2) of each column
    assert band[:, 1].max() == pytest.approx((np.array([2.0, 2.0, 4.0]) + se).max())
    assert band[:, 1].min() == pytest.approx((np.array([2.0, 2.0, 4.0]) - se).min())
    assert mean_line.get_label() == "paths: mean of 2"
    with pytest.raises(ValueError, match=r"must have shape \[p, 3\], got \(3,\)"):
        plots.profile(t, {"bad": np.zeros(3)}, title="p", xlabel="t", ylabel="c")


def test_mark_path_draws_the_path_its_ends_and_the_box_they_span():
    _, ax = plt.subplots()
    path = np.array([[0.0, 0.0], [1.0, 0.5], [2.0, 3.0]])
    plots.mark_path(ax, path, label="2 to 9")
    line, ends = ax.get_lines()
    np.testing.assert_array_equal(line.get_xydata(), path)
    np.testing.assert_array_equal(ends.get_xydata(), path[[0, -1]])
    (box,) = ax.patches
    assert (box.get_x(), box.get_y(), box.get_width(), box.get_height()) == (0.0, 0.0, 2.0, 3.0)
    _, ax2 = plt.subplots()
    plots.mark_path(ax2, path, box=False)
    assert len(ax2.patches) == 0 and ax2.get_lines()[0].get_label() == "straight path"


def test_image_rows_is_one_picture_with_the_images_in_place():
    rows = np.zeros((2, 3, 28, 28))
    rows[1, 2] = 1.0  # the last image of the second row is black
    ax = plots.image_rows(rows, title="rows", row_titles=["a", "b"], gap=2)
    (picture,) = ax.get_images()
    canvas = picture.get_array()
    assert canvas.shape == (2 * 30 - 2, 3 * 30 - 2)
    assert canvas[30:58, 60:88].min() == 1.0 and canvas.sum() == 28 * 28
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"] and ax.get_title() == "rows"
    with pytest.raises(ValueError, match=r"shape \[rows, columns, 28, 28\], got \(3, 28, 28\)"):
        plots.image_rows(np.zeros((3, 28, 28)), title="x")
