"""Every check accepts a correct solution (written here, independently of the package) and rejects
each common mistake with a message that names it. A check never raises."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from vae_tutorial import exercises
from vae_tutorial.exercises import Feedback


def rejected(feedback, *words):
    assert isinstance(feedback, Feedback)
    assert not feedback.passed, feedback.message
    for word in words:
        assert word.lower() in feedback.message.lower(), f"{word!r} not in: {feedback.message}"
    return feedback


def accepted(feedback):
    assert isinstance(feedback, Feedback)
    assert feedback.passed, feedback.message
    return feedback


# ------------------------------------------------------------------------------------------------ Feedback


def test_feedback_shows_green_or_red_and_plain_text():
    good, bad = Feedback(True, "all fine", check="check_x"), Feedback(False, "a <b> & c", check="check_x")
    assert good and not bad
    assert repr(good) == "Passed (check_x): all fine"
    assert repr(bad) == "Not yet (check_x): a <b> & c"
    assert "#1a7f37" in good._repr_html_() and "Passed" in good._repr_html_()
    assert "#cf222e" in bad._repr_html_() and "Not yet" in bad._repr_html_()
    assert "a &lt;b&gt; &amp; c" in bad._repr_html_(), "the message is escaped"


def test_not_a_function_and_exceptions_are_reported_kindly():
    rejected(exercises.check_gaussian_kl(42), "function itself")

    def stub(mean, log_var):
        raise NotImplementedError("write me")

    rejected(exercises.check_gaussian_kl(stub), "not attempted yet", "NotImplementedError")

    def broken(mean, log_var):
        return mean.undefined_attribute

    broken_feedback = rejected(exercises.check_gaussian_kl(broken), "raised AttributeError", "undefined_attribute")
    assert "return mean.undefined_attribute" in broken_feedback.message, "the failing line is quoted"
    rejected(exercises.check_gaussian_kl(lambda m, v: None), "return")
    rejected(exercises.check_gaussian_kl(lambda m, v: "text"), "not an array")


# ------------------------------------------------------------------------------------------------ 01


def test_reconstruct():
    accepted(exercises.check_reconstruct(lambda model, x: model.decode(model.encode(x))))
    accepted(exercises.check_reconstruct(lambda model, x: jax.nn.sigmoid(model(x))))
    rejected(exercises.check_reconstruct(lambda model, x: model(x)), "logits")
    rejected(exercises.check_reconstruct(lambda model, x: model.encode(x)), "codes")
    rejected(exercises.check_reconstruct(lambda model, x: x), "input images unchanged")
    rejected(exercises.check_reconstruct(lambda model, x: model.decode(model.encode(x)).reshape(len(x), -1)),
             "flat")


def bce(logits, images):
    return optax.sigmoid_binary_cross_entropy(logits, images).sum(axis=(1, 2))


def test_reconstruction_loss():
    accepted(exercises.check_reconstruction_loss(bce))
    accepted(exercises.check_reconstruction_loss(
        lambda l, x: -(x * jax.nn.log_sigmoid(l) + (1 - x) * jax.nn.log_sigmoid(-l)).reshape(len(l), -1).sum(-1)))
    averaged = rejected(exercises.check_reconstruction_loss(lambda l, x: bce(l, x) / 784),
                        "averaged over the 784 pixels", "KL")
    assert "dominates" in averaged.message and "blurry" in averaged.message
    rejected(exercises.check_reconstruction_loss(lambda l, x: bce(l, x).sum()), "summed over the batch")
    rejected(exercises.check_reconstruction_loss(lambda l, x: bce(l, x).mean()), "averaged over the batch")
    rejected(exercises.check_reconstruction_loss(lambda l, x: optax.sigmoid_binary_cross_entropy(l, x).mean()),
             "pixels and over the batch")
    rejected(exercises.check_reconstruction_loss(
        lambda l, x: optax.sigmoid_binary_cross_entropy(l, x).sum(axis=-1)), "last axis only")
    rejected(exercises.check_reconstruction_loss(lambda l, x: -bce(l, x)), "sign")
    rejected(exercises.check_reconstruction_loss(
        lambda l, x: optax.sigmoid_binary_cross_entropy(l, x).sum(axis=0)), "batch axis (axis=0)")
    rejected(exercises.check_reconstruction_loss(lambda l, x: bce(jax.nn.sigmoid(l), x)), "sigmoid twice")
    rejected(exercises.check_reconstruction_loss(lambda l, x: bce(x, l)), "swapped")
    rejected(exercises.check_reconstruction_loss(lambda l, x: ((jax.nn.sigmoid(l) - x) ** 2).sum(axis=(1, 2))),
             "squared error")
    rejected(exercises.check_reconstruction_loss(lambda l, x: jnp.zeros(len(l))[:, None]), "shape")

    def naive(l, x):  # log of sigmoid: fine for moderate logits, -inf for confident ones
        p = jax.nn.sigmoid(l)
        return -(x * jnp.log(p) + (1 - x) * jnp.log(1 - p)).sum(axis=(1, 2))

    rejected(exercises.check_reconstruction_loss(naive), "numerically stable", "log_sigmoid")
    rejected(exercises.check_reconstruction_loss(lambda l, x: -(x * jnp.log(l)).sum(axis=(1, 2))), "NaN")


# ------------------------------------------------------------------------------------------------ 02


def line(start, end, steps):
    t = np.linspace(0.0, 1.0, steps)[:, None]
    return (1 - t) * np.asarray(start) + t * np.asarray(end)


def test_latent_line():
    accepted(exercises.check_latent_line(line))
    accepted(exercises.check_latent_line(lambda a, b, n: jnp.linspace(a, b, n)))
    rejected(exercises.check_latent_line(lambda a, b, n: np.linspace(a, b, n, endpoint=False)), "short of `end`")
    rejected(exercises.check_latent_line(lambda a, b, n: line(b, a, n)), "backwards")
    rejected(exercises.check_latent_line(lambda a, b, n: line(a, b, n).T), "transposed")
    rejected(exercises.check_latent_line(lambda a, b, n: line(a, b, n + 1)), "points")
    rejected(exercises.check_latent_line(lambda a, b, n: a + np.linspace(0, 1, n)[:, None] * b), "subtracting start")


def nearest(points, codes):
    return np.sqrt(((points[:, None] - codes[None]) ** 2).sum(-1)).min(1)


def test_nearest_distance():
    accepted(exercises.check_nearest_distance(nearest))
    rejected(exercises.check_nearest_distance(lambda p, c: nearest(p, c) ** 2), "squared")
    rejected(exercises.check_nearest_distance(lambda p, c: ((p[:, None] - c[None]) ** 2).sum(-1).argmin(1)), "index")
    rejected(exercises.check_nearest_distance(lambda p, c: nearest(c, p)), "other way round")


# ------------------------------------------------------------------------------------------------ 03


def test_std_from_log_var():
    accepted(exercises.check_std_from_log_var(lambda lv: jnp.exp(0.5 * lv)))
    accepted(exercises.check_std_from_log_var(lambda lv: jnp.sqrt(jnp.exp(lv))))
    rejected(exercises.check_std_from_log_var(lambda lv: jnp.exp(lv)), "variance", "exp(log_var / 2)")
    rejected(exercises.check_std_from_log_var(lambda lv: jnp.exp(lv) / 2), "inside the exponent")
    rejected(exercises.check_std_from_log_var(lambda lv: jnp.exp(-lv / 2)), "minus sign")
    rejected(exercises.check_std_from_log_var(lambda lv: jnp.sqrt(lv)), "NaN")


def mc_mean(f, mu, sigma, key, n):
    return jnp.mean(f(mu + sigma * jax.random.normal(key, (n,))))


def test_monte_carlo_mean():
    accepted(exercises.check_monte_carlo_mean(mc_mean))
    rejected(exercises.check_monte_carlo_mean(lambda f, mu, s, key, n: f(jnp.float32(mu))), "f(E[z])")
    rejected(exercises.check_monte_carlo_mean(lambda f, mu, s, key, n: mc_mean(f, mu, s**2, key, n)), "variance")
    rejected(exercises.check_monte_carlo_mean(lambda f, mu, s, key, n: mc_mean(f, mu, s, jax.random.key(0), n)),
             "ignore `key`")
    rejected(exercises.check_monte_carlo_mean(lambda f, mu, s, key, n: n * mc_mean(f, mu, s, key, n)), "summed")


# ------------------------------------------------------------------------------------------------ 04


def reparameterize(key, mean, log_var):
    return mean + jnp.exp(0.5 * log_var) * jax.random.normal(key, mean.shape)


def test_reparameterize_accepts_correct_solutions():
    accepted(exercises.check_reparameterize(reparameterize))
    accepted(exercises.check_reparameterize(
        lambda key, m, lv: m + jnp.sqrt(jnp.exp(lv)) * jax.random.normal(key, m.shape, dtype=m.dtype)))


def exp_log_var_as_std(key, mean, log_var):
    std = jnp.exp(log_var)  # the slip: exp(log_var) is the variance
    return mean + std * jax.random.normal(key, mean.shape)


@pytest.mark.parametrize("mistake, words", [
    (exp_log_var_as_std, ("variance", "standard deviation", "exp(log_var)")),
    (lambda key, m, lv: m + jnp.sqrt(jnp.exp(lv)) ** 2 * jax.random.normal(key, m.shape),
     ("variance", "standard deviation")),  # "multiplied by the variance"
    (lambda key, m, lv: m + lv * jax.random.normal(key, m.shape), ("log_var itself",)),
    (lambda key, m, lv: m + jnp.exp(-lv / 2) * jax.random.normal(key, m.shape), ("1 / sigma",)),
    (lambda key, m, lv: m + jax.random.normal(key, m.shape), ("spread 1",)),
    (lambda key, m, lv: m, ("mean unchanged", "no noise")),
    (lambda key, m, lv: reparameterize(jax.random.key(42), m, lv), ("ignores the key",)),
    (lambda key, m, lv: m + jnp.exp(lv / 2) * jax.random.normal(key, m.shape[-1:]), ("same draw", "every image")),
    (lambda key, m, lv: m + jnp.exp(lv / 2) * jax.random.normal(key, (m.shape[0], 1)), ("share their noise",)),
    (lambda key, m, lv: jnp.exp(lv / 2) * jax.random.normal(key, m.shape), ("centred on 0", "add the mean")),
    (lambda key, m, lv: jax.lax.stop_gradient(reparameterize(key, m, lv)), ("cut off", "zero")),
    (lambda key, m, lv: m + jax.lax.stop_gradient(jnp.exp(lv / 2)) * jax.random.normal(key, m.shape),
     ("not log_var",)),
    (lambda key, m, lv: m + np.exp(np.asarray(lv) / 2) * jax.random.normal(key, m.shape), ("tracer", "np.asarray")),
    (lambda key, m, lv: m + jnp.exp(lv / 2) * np.random.default_rng().normal(size=m.shape), ("same key",
                                                                                            "different draws")),
    (lambda key, m, lv: reparameterize(key, m, lv)[0], ("shape of mean",)),
])
def test_reparameterize_names_the_mistake(mistake, words):
    rejected(exercises.check_reparameterize(mistake), *words)


def central(f, x, h):
    x = np.asarray(x, dtype=float)
    return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(len(x))])


def test_finite_difference():
    accepted(exercises.check_finite_difference(central))
    forward = lambda f, x, h: np.array([(f(x + h * e) - f(x)) / h for e in np.eye(len(x))])  # noqa: E731
    rejected(exercises.check_finite_difference(forward), "forward differences")
    rejected(exercises.check_finite_difference(lambda f, x, h: 2 * central(f, x, h)), "2h")
    rejected(exercises.check_finite_difference(lambda f, x, h: np.full(len(x), (f(x + h) - f(x - h)) / (2 * h))),
             "every coordinate at once")
    rejected(exercises.check_finite_difference(lambda f, x, h: jax.grad(f)(jnp.asarray(x))), "exact gradient")

    def in_place(f, x, h):
        out = []
        for i in range(len(x)):
            x[i] += h
            up = f(x)
            x[i] -= 2 * h
            down = f(x)
            x[i] += h + 1e-3  # a slip that leaves x changed
            out.append((up - down) / (2 * h))
        return np.array(out)

    rejected(exercises.check_finite_difference(in_place), "in place")


# ------------------------------------------------------------------------------------------------ 05


def kl(mean, log_var):
    return 0.5 * jnp.sum(jnp.exp(log_var) + mean**2 - 1.0 - log_var, axis=-1)


@pytest.mark.parametrize("mistake, words", [
    (lambda m, lv: -kl(m, lv), ("wrong sign",)),
    (lambda m, lv: 0.5 * jnp.mean(jnp.exp(lv) + m**2 - 1.0 - lv, axis=-1), ("averaged over the latent dimensions",
                                                                             "instead of summing")),
    (lambda m, lv: 2 * kl(m, lv), ("missing the 1/2",)),
    (lambda m, lv: kl(m, lv).sum(), ("summed over the batch",)),
    (lambda m, lv: kl(m, lv).mean(), ("averaged over the batch",)),
    (lambda m, lv: 0.5 * (jnp.exp(lv) + m**2 - 1.0 - lv), ("one term per latent dimension",)),
    (lambda m, lv: 0.5 * jnp.sum(jnp.exp(lv / 2) + m**2 - 1.0 - lv, axis=-1), ("standard deviation",
                                                                                "variance")),
    (lambda m, lv: 0.5 * jnp.sum(jnp.exp(lv) + m**2 - lv, axis=-1), ("-1",)),
    (lambda m, lv: kl(m, lv)[:, None], ("shape [5, 1]",)),
    (lambda m, lv: 0.5 * jnp.sum(jnp.exp(lv) + m**2 - 1.0 - lv, axis=0), ("batch axis (axis=0)",)),
])
def test_gaussian_kl_names_the_mistake(mistake, words):
    rejected(exercises.check_gaussian_kl(mistake), *words)


def test_gaussian_kl_accepts_correct_solutions():
    accepted(exercises.check_gaussian_kl(kl))
    accepted(exercises.check_gaussian_kl(
        lambda m, lv: jnp.sum(-0.5 * (1 + lv - m**2 - jnp.exp(lv)), axis=1)))  # the Kingma-Welling form


def elbo_terms(model, images, key):
    mean, log_var = model.encode(images)
    z = mean + jnp.exp(0.5 * log_var) * jax.random.normal(key, mean.shape)
    logits = model.decode_logits(z)
    return optax.sigmoid_binary_cross_entropy(logits, images).sum(axis=(1, 2)), kl(mean, log_var)


def test_elbo_terms():
    accepted(exercises.check_elbo_terms(elbo_terms))

    def other_noise(model, images, key):  # a different but valid draw: accepted on average
        mean, log_var = model.encode(images)
        eps = -jax.random.normal(jax.random.fold_in(key, 7), mean.shape)
        rec = optax.sigmoid_binary_cross_entropy(model.decode_logits(mean + jnp.exp(log_var / 2) * eps),
                                                 images).sum(axis=(1, 2))
        return rec, kl(mean, log_var)

    accepted(exercises.check_elbo_terms(other_noise))
    accepted(exercises.check_elbo_terms(lambda model, images, key: model.loss_terms(images, key=key)))

    def at_mean(model, images, key):
        mean, log_var = model.encode(images)
        return optax.sigmoid_binary_cross_entropy(model.decode_logits(mean), images).sum(axis=(1, 2)), kl(mean, log_var)

    rejected(exercises.check_elbo_terms(at_mean), "decodes the mean")
    rejected(exercises.check_elbo_terms(lambda m, x, k: (elbo_terms(m, x, k)[0] / 784, elbo_terms(m, x, k)[1])),
             "averaged over the 784 pixels", "dominates")
    rejected(exercises.check_elbo_terms(lambda m, x, k: elbo_terms(m, x, k)[::-1]), "swapped")
    rejected(exercises.check_elbo_terms(lambda m, x, k: (elbo_terms(m, x, k)[0], -elbo_terms(m, x, k)[1])),
             "wrong sign")
    rejected(exercises.check_elbo_terms(lambda m, x, k: tuple(t.mean() for t in elbo_terms(m, x, k))),
             "one value per image")
    rejected(exercises.check_elbo_terms(lambda m, x, k: elbo_terms(m, x, jax.random.key(0))), "ignores the key")


# ------------------------------------------------------------------------------------------------ 06


def test_standard_error_and_paired_difference():
    accepted(exercises.check_standard_error(lambda v: np.std(v, ddof=1) / np.sqrt(len(v))))
    rejected(exercises.check_standard_error(lambda v: np.std(v, ddof=1)), "sqrt(n)")
    rejected(exercises.check_standard_error(lambda v: np.std(v) / np.sqrt(len(v))), "ddof=1")
    rejected(exercises.check_standard_error(lambda v: np.var(v, ddof=1) / np.sqrt(len(v))), "variance")

    def paired(a, b):
        d = a - b
        return d.mean(), d.std(ddof=1) / np.sqrt(len(d))

    accepted(exercises.check_paired_difference(paired))
    rejected(exercises.check_paired_difference(lambda a, b: paired(b, a)), "sign")
    unpaired = lambda a, b: (np.mean(a - b), np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)))  # noqa: E731
    rejected(exercises.check_paired_difference(unpaired), "independent", "pair them")


# ------------------------------------------------------------------------------------------------ 07


def pathwise(f, mean, std, key, n):
    eps = jax.random.normal(key, (n,))
    return jax.grad(lambda m, s: jnp.mean(f(m + s * eps)), argnums=(0, 1))(mean, std)


def score(f, mean, std, key, n):
    z = mean + std * jax.random.normal(key, (n,))
    fz = f(z)
    return jnp.mean(fz * (z - mean) / std**2), jnp.mean(fz * ((z - mean) ** 2 - std**2) / std**3)


def test_pathwise_gradient():
    accepted(exercises.check_pathwise_gradient(pathwise))
    rejected(exercises.check_pathwise_gradient(score), "score-function")
    rejected(exercises.check_pathwise_gradient(
        lambda f, m, s, k, n: pathwise(lambda z: f(jax.lax.stop_gradient(z)), m, s, k, n)), "zero")
    rejected(exercises.check_pathwise_gradient(lambda f, m, s, k, n: pathwise(f, m, s, jax.random.key(0), n)),
             "ignore `key`")
    rejected(exercises.check_pathwise_gradient(
        lambda f, m, s, k, n: jax.grad(lambda m, s: jnp.mean(f(m + s**2 * jax.random.normal(k, (n,)))),
                                       argnums=(0, 1))(m, s)), "variance slip")


def test_score_function():
    accepted(exercises.check_score_function(score))
    rejected(exercises.check_score_function(pathwise), "pathwise")

    def by_sigma(f, mean, std, key, n):
        z = mean + std * jax.random.normal(key, (n,))
        return jnp.mean(f(z) * (z - mean) / std), score(f, mean, std, key, n)[1]

    rejected(exercises.check_score_function(by_sigma), "(z - mean) / std**2")

    def no_minus(f, mean, std, key, n):
        z = mean + std * jax.random.normal(key, (n,))
        return score(f, mean, std, key, n)[0], jnp.mean(f(z) * (z - mean) ** 2 / std**3)

    rejected(exercises.check_score_function(no_minus), "- std**2")
    rejected(exercises.check_score_function(lambda f, m, s, k, n: tuple(n * g for g in score(f, m, s, k, n))),
             "summed")
    rejected(exercises.check_score_function(lambda f, m, s, k, n: (f(m + s * jax.random.normal(k, (n,))),) * 2),
             "average")


# ------------------------------------------------------------------------------------------------ 08


def test_active_units():
    accepted(exercises.check_active_units(lambda means: int(np.sum(np.var(means, axis=0) > 0.01))))
    rejected(exercises.check_active_units(lambda means: np.var(means, axis=0) > 0.01), "mask")
    rejected(exercises.check_active_units(lambda means: int(np.sum(np.var(means, axis=1) > 0.01))), "axis=0")
    rejected(exercises.check_active_units(lambda means: int(np.sum(np.std(means, axis=0) > 0.01))),
             "standard deviation")
    rejected(exercises.check_active_units(lambda means: int(np.sum(np.var(means, axis=0) <= 0.01))), "inactive")


# ------------------------------------------------------------------------------------------------ all


def test_every_public_check_is_tested_here():
    source = open(__file__, encoding="utf-8").read()
    for name in exercises.__all__:
        if name.startswith("check_"):
            assert f"exercises.{name}(" in source, f"{name} has no test"


def test_checks_never_raise_on_odd_outputs():
    odd = [lambda *a: None, lambda *a: (1, 2, 3), lambda *a: "x", lambda *a: {"a": 1}, lambda *a: np.nan,
           lambda *a: 1 / 0]
    for name in exercises.__all__:
        if name.startswith("check_"):
            for fn in odd:
                feedback = getattr(exercises, name)(fn)
                assert isinstance(feedback, Feedback) and not feedback.passed, (name, feedback)
