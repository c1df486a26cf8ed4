"""Each exercise check of 10-beyond-the-gaussian passes a right answer and names each usual mistake."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from vae_tutorial import exercises


def _uniform(key, shape):
    return jax.random.uniform(key, shape, minval=1e-12, maxval=1.0)


def gumbel_right(key, logits, temperature):
    g = -jnp.log(-jnp.log(_uniform(key, logits.shape)))
    return jax.nn.softmax((logits + g) / temperature, axis=-1)


def gumbel_exponential_noise(key, logits, temperature):
    g = -jnp.log(_uniform(key, logits.shape))
    return jax.nn.softmax((logits + g) / temperature, axis=-1)


def gumbel_multiplied(key, logits, temperature):
    g = -jnp.log(-jnp.log(_uniform(key, logits.shape)))
    return jax.nn.softmax((logits + g) * temperature, axis=-1)


def gumbel_wrong_axis(key, logits, temperature):
    g = -jnp.log(-jnp.log(_uniform(key, logits.shape)))
    return jax.nn.softmax((logits + g) / temperature, axis=0)


def gumbel_no_noise(key, logits, temperature):
    return jax.nn.softmax(logits / temperature, axis=-1) + 0 * jax.random.uniform(key, ())


def gumbel_fixed_key(key, logits, temperature):
    return gumbel_right(jax.random.key(0), logits, temperature)


def gumbel_hard(key, logits, temperature):
    y = gumbel_right(key, logits, temperature)
    return jax.nn.one_hot(jnp.argmax(y, -1), y.shape[-1])


def gumbel_numpy(key, logits, temperature):
    u = np.random.default_rng().uniform(size=logits.shape)
    return jax.nn.softmax((logits - np.log(-np.log(u))) / temperature, axis=-1)


@pytest.mark.parametrize("fn, words", [
    (gumbel_exponential_noise, "-log(u), an exponential"),
    (gumbel_multiplied, "multiplies the logits"),
    (gumbel_wrong_axis, "wrong axis"),
    (gumbel_no_noise, "no noise"),
    (gumbel_fixed_key, "no noise from `key`"),
    (gumbel_hard, "gradient with respect to the logits is zero"),
    (gumbel_numpy, "same key gave different samples"),
])
def test_gumbel_softmax_check_names_the_mistake(fn, words):
    feedback = exercises.check_gumbel_softmax(fn)
    assert not feedback.passed
    assert words in feedback.message, feedback.message


def test_gumbel_softmax_check_passes_a_right_answer_and_the_package_function():
    assert exercises.check_gumbel_softmax(gumbel_right).passed, exercises.check_gumbel_softmax(gumbel_right).message
    from vae_tutorial.discrete import gumbel_softmax

    assert exercises.check_gumbel_softmax(lambda k, l, t: gumbel_softmax(k, l, temperature=t)).passed


def exponential_right(key, rate, num_samples):
    return -jnp.log1p(-jax.random.uniform(key, (num_samples,))) / rate


@pytest.mark.parametrize("fn, words", [
    (lambda key, rate, n: jnp.log1p(-jax.random.uniform(key, (n,))) / rate, "minus sign"),
    (lambda key, rate, n: -jnp.log1p(-jax.random.uniform(key, (n,))) * rate, "multiplied by the rate"),
    (lambda key, rate, n: jax.random.uniform(key, (n,)) + 0 * rate, "you returned u"),
    (lambda key, rate, n: jax.lax.stop_gradient(-jnp.log1p(-jax.random.uniform(key, (n,))) / rate), "zero"),
    (lambda key, rate, n: jnp.full((n,), 1.0) / rate + 1e-3 * jax.random.uniform(key, (n,)), "shape is not"),
    (lambda key, rate, n: -jnp.log1p(-jax.random.uniform(key, (n, 2))) / rate, "expected (20000,)"),
    (lambda key, rate, n: -jnp.log1p(-jax.random.uniform(jax.random.key(3), (n,))) / rate, "Two different keys"),
])
def test_exponential_check_names_the_mistake(fn, words):
    feedback = exercises.check_exponential_sampler(fn)
    assert not feedback.passed
    assert words in feedback.message, feedback.message


def test_exponential_check_passes_right_answers():
    assert exercises.check_exponential_sampler(exponential_right).passed
    also = lambda key, rate, n: -jnp.log(jax.random.uniform(key, (n,), minval=1e-12)) / rate  # -log(u): also right
    assert exercises.check_exponential_sampler(also).passed


def straight_right(relaxed):
    one_hot = jax.nn.one_hot(jnp.argmax(relaxed, axis=-1), relaxed.shape[-1])
    return one_hot + relaxed - jax.lax.stop_gradient(relaxed)


@pytest.mark.parametrize("fn, words", [
    (lambda r: jax.nn.one_hot(jnp.argmax(r, -1), r.shape[-1]), "No gradient"),
    (lambda r: r, "unchanged"),
    (lambda r: jax.nn.one_hot(jnp.argmax(r, -1), r.shape[-1]) - r + jax.lax.stop_gradient(r), "wrong sign"),
    (lambda r: jax.nn.one_hot(jnp.argmax(r, 0), r.shape[0]).T + r - jax.lax.stop_gradient(r), "each column"),
])
def test_straight_through_check_names_the_mistake(fn, words):
    feedback = exercises.check_straight_through(fn)
    assert not feedback.passed
    assert words in feedback.message, feedback.message


def test_straight_through_check_passes_right_answers():
    assert exercises.check_straight_through(straight_right).passed
    from vae_tutorial.discrete import straight_through

    assert exercises.check_straight_through(straight_through).passed
    other_form = lambda r: r + jax.lax.stop_gradient(jax.nn.one_hot(jnp.argmax(r, -1), r.shape[-1]) - r)
    assert exercises.check_straight_through(other_form).passed


def test_checks_never_raise_and_report_not_implemented():
    def stub(*args):
        raise NotImplementedError
    for check in (exercises.check_gumbel_softmax, exercises.check_exponential_sampler, exercises.check_straight_through):
        feedback = check(stub)
        assert not feedback.passed and "Not attempted" in feedback.message
        assert not check(42).passed
