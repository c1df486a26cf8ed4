"""The exercises package: every public check is tested, no check raises, every lesson module is exported."""

import importlib
import pathlib
import pkgutil

import numpy as np

from vae_tutorial import exercises
from vae_tutorial.exercises import Feedback

TESTS = pathlib.Path(__file__).parent


def test_every_public_check_is_tested():
    source = "".join(p.read_text(encoding="utf-8") for p in TESTS.glob("test_exercises_*.py"))
    for name in exercises.__all__:
        if name.startswith("check_"):
            assert f"exercises.{name}(" in source, f"{name} has no test"


def test_every_lesson_module_is_exported_and_tested():
    for info in pkgutil.iter_modules(exercises.__path__):
        module = importlib.import_module(f"vae_tutorial.exercises.{info.name}")
        checks = [n for n in module.__all__ if n.startswith("check_")]
        for name in checks:
            assert name in exercises.__all__ and getattr(exercises, name) is getattr(module, name), name
        assert (TESTS / f"test_exercises_{info.name}.py").exists(), f"{info.name} has no test file"


def test_checks_never_raise_on_odd_outputs():
    odd = [lambda *a: None, lambda *a: (1, 2, 3), lambda *a: "x", lambda *a: {"a": 1}, lambda *a: np.nan,
           lambda *a: 1 / 0]
    for name in exercises.__all__:
        if name.startswith("check_"):
            for fn in odd:
                feedback = getattr(exercises, name)(fn)
                assert isinstance(feedback, Feedback) and not feedback.passed, (name, feedback)
