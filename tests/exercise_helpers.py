"""What the exercise tests assert about a Feedback: rejected with named words, or accepted."""

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
