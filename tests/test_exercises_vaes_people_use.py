"""The checks of 11-vaes-people-use pass a right answer and name each known mistake."""

import numpy as np
import pytest

from vae_tutorial import exercises, objectives


def right_free_bits(kl, lam):
    return np.maximum(np.mean(kl, axis=0), lam).sum()


def test_free_bits_right_answers_pass():
    assert exercises.check_free_bits_kl(right_free_bits).passed
    assert exercises.check_free_bits_kl(lambda kl, lam: objectives.free_bits_kl(kl, lambda_=lam)).passed


@pytest.mark.parametrize("wrong, says", [
    (lambda kl, lam: np.maximum(kl, lam).sum(1).mean(), "clamped each image"),
    (lambda kl, lam: max(lam, kl.mean(0).sum()), "clamping the total"),
    (lambda kl, lam: np.minimum(kl.mean(0), lam).sum(), "min where max"),
    (lambda kl, lam: kl.mean(0).sum(), "plain KL"),
    (lambda kl, lam: np.maximum(kl.mean(0), lam).mean(), "averaged over the latent"),
    (lambda kl, lam: (kl.mean(0) + lam).sum(), "added lambda_"),
    (lambda kl, lam: np.maximum(kl.sum(0), lam).sum(), "summed over the batch"),
    (lambda kl, lam: np.maximum(kl.mean(0), lam), "one number"),
    (lambda kl, lam: None, "return"),
    (lambda kl, lam: right_free_bits(kl, lam) + 0.01, "Expected"),
])
def test_free_bits_mistakes_are_named(wrong, says):
    feedback = exercises.check_free_bits_kl(wrong)
    assert not feedback.passed and says in feedback.message, feedback.message


def right_size(size, kernel, stride, padding):
    return (size - 1) * stride - 2 * padding + kernel


def test_transposed_size_right_answer_passes():
    assert exercises.check_transposed_conv_size(right_size).passed


def test_transposed_size_agrees_with_the_course_layer():
    """The formula the check wants is the size the course's transposed convolution produces."""
    import jax.numpy as jnp
    from flax import nnx

    from vae_tutorial import variants

    layer = variants.StridedConvTranspose(1, 1, rngs=nnx.Rngs(params=0))
    assert layer(jnp.zeros((1, 7, 7, 1))).shape[1] == right_size(7, variants.KERNEL, variants.STRIDE, variants.PADDING)


@pytest.mark.parametrize("wrong, says", [
    (lambda n, k, s, p: (n + 2 * p - k) // s + 1, "ordinary (forward) convolution"),
    (lambda n, k, s, p: n * s, "multiplied the size by the stride only"),
    (lambda n, k, s, p: n * s - 2 * p + k, "Off by the stride"),
    (lambda n, k, s, p: (n - 1) * s - p + k, "cropped the padding once"),
    (lambda n, k, s, p: (n - 1) * s + 2 * p + k, "added the padding"),
    (lambda n, k, s, p: (n - 1) * s - 2 * p + k + (n == 3), "For size"),
    (lambda n, k, s, p: 1 / 0, "ZeroDivisionError"),
])
def test_transposed_size_mistakes_are_named(wrong, says):
    feedback = exercises.check_transposed_conv_size(wrong)
    assert not feedback.passed and says in feedback.message, feedback.message


def right_beta(betas, rates, target):
    return float(np.exp(np.interp(target, rates[::-1], np.log(betas)[::-1])))


def test_beta_for_rate_right_answer_passes():
    feedback = exercises.check_beta_for_rate(right_beta)
    assert feedback.passed and "between 1 and 3" in feedback.message
    assert 1.0 < right_beta(np.array([0.1, 0.3, 1.0, 3.0, 10.0]), np.array([9.0, 7.2, 5.4, 3.1, 1.2]), 4.5) < 3.0


@pytest.mark.parametrize("wrong, says", [
    (lambda b, r, t: t, "returned a rate"),
    (lambda b, r, t: np.interp(t, r[::-1], b[::-1]), "interpolated beta linearly"),
    (lambda b, r, t: np.exp(np.interp(t, r, np.log(b))), "increasing x"),
    (lambda b, r, t: np.interp(t, r, b), "increasing x"),
    (lambda b, r, t: b[np.argmin(np.abs(r - t))], "nearest measured beta"),
    (lambda b, r, t: 2.5, "lies between beta = 1"),
])
def test_beta_for_rate_mistakes_are_named(wrong, says):
    feedback = exercises.check_beta_for_rate(wrong)
    assert not feedback.passed and says in feedback.message, feedback.message
