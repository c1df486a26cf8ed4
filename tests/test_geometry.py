"""Slider geometry of the explorers: ranges, steps, principal directions, slider coordinates (plain NumPy)."""

import numpy as np
import pytest

from vae_tutorial import geometry


def test_slider_ranges_are_widened_percentiles():
    codes = np.stack([np.linspace(0.0, 10.0, 1001), np.full(1001, 2.0)], axis=1)
    ranges = geometry.slider_ranges(codes)
    # Column 1: percentiles 0.05 and 9.95, widened by a tenth of 9.9; column 2: no spread, +-1.
    np.testing.assert_allclose(ranges, [[0.05 - 0.99, 9.95 + 0.99], [1.0, 3.0]])
    np.testing.assert_allclose(geometry.slider_ranges([[1.0, 2.0]]), [[0.0, 2.0], [1.0, 3.0]])


@pytest.mark.parametrize(
    ("codes", "message"),
    [(np.zeros(3), r"codes must have shape \[n, d\] with n, d >= 1, got shape \(3,\)"),
     (np.zeros((0, 2)), r"got shape \(0, 2\)"),
     (np.array([[0.0, np.nan]]), "codes must be finite")],
)
def test_slider_ranges_errors(codes, message):
    with pytest.raises(ValueError, match=message):
        geometry.slider_ranges(codes)


@pytest.mark.parametrize(("span", "step"), [(6.0, 0.05), (2.0, 0.02), (10.0, 0.1), (0.37, 0.005), (300.0, 2.0)])
def test_nice_step_is_about_a_hundredth_rounded_to_1_2_5(span, step):
    assert geometry.nice_step(span) == pytest.approx(step)


def test_nice_step_rejects_an_empty_span():
    with pytest.raises(ValueError, match="span must be a positive finite number"):
        geometry.nice_step(0.0)


def test_snap_ranges_widens_to_multiples_of_one_step():
    ranges, step = geometry.snap_ranges([[-1.03, 2.0], [-3.0, 3.0]])
    assert step == 0.05
    np.testing.assert_allclose(ranges, [[-1.05, 2.0], [-3.0, 3.0]])
    ranges, step = geometry.snap_ranges([[-0.123, 0.871]])
    assert step == 0.01
    np.testing.assert_allclose(ranges, [[-0.13, 0.88]])
    # Already on the grid: unchanged (no widening by rounding noise).
    np.testing.assert_allclose(geometry.snap_ranges([[-2.5, 2.5]])[0], [[-2.5, 2.5]])


def test_principal_directions_against_svd_with_a_fixed_sign():
    rng = np.random.default_rng(0)
    codes = rng.standard_normal((500, 5)) @ np.diag([3.0, 2.0, 1.0, 0.5, 0.1]) @ np.linalg.qr(rng.standard_normal((5, 5)))[0]
    mean, directions, share = geometry.principal_directions(codes, 3)
    np.testing.assert_allclose(mean, codes.mean(axis=0))
    np.testing.assert_allclose(directions @ directions.T, np.eye(3), atol=1e-10)
    vt = np.linalg.svd(codes - mean, full_matrices=False)[2][:3]
    np.testing.assert_allclose(np.abs(directions @ vt.T), np.eye(3), atol=1e-8)  # the same axes, up to sign
    assert (directions.sum(axis=1) > 0).all()
    eigenvalues = np.linalg.eigvalsh(np.cov(codes, rowvar=False))[::-1]
    np.testing.assert_allclose(share, eigenvalues[:3] / eigenvalues.sum(), rtol=1e-8)
    # Flipping the data's sign flips nothing: the sign is fixed by the convention.
    _, flipped, _ = geometry.principal_directions(-codes, 3)
    np.testing.assert_allclose(flipped, directions, atol=1e-8)
    with pytest.raises(ValueError, match="count must be at most d = 5, got 6"):
        geometry.principal_directions(codes, 6)


def test_slider_frame_coordinates_or_principal_directions():
    rng = np.random.default_rng(1)
    codes = rng.standard_normal((200, 20)) * np.linspace(2.0, 0.5, 20)
    frame = geometry.slider_frame(20, codes, max_sliders=6)
    assert frame.names == [f"PC{k}" for k in range(1, 7)] and frame.directions.shape == (6, 20)
    values = geometry.to_sliders(codes, frame.origin, frame.directions)
    assert (frame.ranges[:, 0] <= np.percentile(values, 1, axis=0)).all()
    assert (frame.ranges[:, 1] >= np.percentile(values, 99, axis=0)).all()
    small = geometry.slider_frame(2, None, max_sliders=6)
    assert small.names == ["z1", "z2"] and small.ranges.tolist() == [[-3.0, 3.0], [-3.0, 3.0]]
    assert small.variance_share is None
    first = geometry.slider_frame(20, None, max_sliders=3)
    np.testing.assert_array_equal(first.directions, np.eye(20)[:3])
    given = geometry.slider_frame(2, codes[:, :2], max_sliders=6, ranges=(-1.03, 1.0))
    np.testing.assert_allclose(given.ranges, [[-1.04, 1.0], [-1.04, 1.0]])


def test_to_and_from_sliders_round_trip_with_the_rest():
    rng = np.random.default_rng(2)
    codes = rng.standard_normal((50, 6))
    origin, directions, _ = geometry.principal_directions(codes, 2)
    z = codes[:5]
    values = geometry.to_sliders(z, origin, directions)
    rest = (z - origin) - values @ directions
    np.testing.assert_allclose(rest @ directions.T, 0.0, atol=1e-12)  # the rest is orthogonal to the sliders
    np.testing.assert_allclose(geometry.from_sliders(values, origin, directions, rest), z, atol=1e-12)


@pytest.mark.parametrize(
    ("ranges", "error", "message"),
    [([(-1.0, 1.0)] * 3, ValueError, r"or \[num_sliders, 2\] = \[2, 2\], got shape \(3, 2\)"),
     ((-1.0, np.inf), ValueError, "ranges must be finite"),
     ([(-1.0, 1.0), (2.0, 2.0)], ValueError, r"min < max for every slider, got \(2, 2\) for z2"),
     ("wide", TypeError, r"ranges must be numbers \(min, max\), got str")],
)
def test_check_ranges_errors(ranges, error, message):
    with pytest.raises(error, match=message):
        geometry.check_ranges(ranges, ["z1", "z2"])
