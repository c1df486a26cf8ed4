"""The feedback framework: a green or red note, kind reports of the reader's exceptions. Each check accepts a correct solution (written here, independently of the package) and rejects
each common mistake with a message that names it."""


from exercise_helpers import rejected
from vae_tutorial import exercises
from vae_tutorial.exercises import Feedback


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
