"""The feedback framework of the exercises: run the reader's function, never raise, say what is wrong.

A lesson's check is a function ``check_<what>(fn)`` decorated with :func:`exercise`: its body calls
the reader's function through :func:`call` (which turns the reader's exceptions into kind
messages), reads the output with :func:`as_array`, names known mistakes with :func:`diagnose`
and :func:`shape_error`, raises :class:`Wrong` with a message to fail, and returns the message of
a pass. :func:`exercise` turns that into a function that always returns a :class:`Feedback`.

Introduced in 01-autoencoder.
"""

from __future__ import annotations

import functools
import html
import pathlib
import traceback

import numpy as np

__all__ = ["Feedback", "Wrong", "exercise", "call", "as_array", "close", "diagnose", "fmt", "shape_error", "PIXELS"]

PIXELS = 784
_PACKAGE = str(pathlib.Path(__file__).parent)  # frames in the checks themselves are not the reader's line


class Feedback:
    """The result of a check: ``passed`` (bool) and ``message`` (str).

    Shown in Jupyter as a green note ("Passed") or a red one ("Not yet"); the words and the
    symbol say it too, so the colour is never the only signal. ``bool(feedback)`` is ``passed``.
    """

    def __init__(self, passed: bool, message: str, *, check: str = ""):
        self.passed = bool(passed)
        self.message = str(message)
        self.check = check

    def __bool__(self) -> bool:
        return self.passed

    @property
    def _verdict(self) -> str:
        return "Passed" if self.passed else "Not yet"

    def __repr__(self) -> str:
        where = f" ({self.check})" if self.check else ""
        return f"{self._verdict}{where}: {self.message}"

    def _repr_html_(self) -> str:
        if self.passed:
            border, background, ink, mark = "#1a7f37", "#dafbe1", "#0a3622", "&#10004;"
        else:
            border, background, ink, mark = "#cf222e", "#ffebe9", "#5c0a10", "&#10008;"
        where = f" <code>{html.escape(self.check)}</code>" if self.check else ""
        body = html.escape(self.message).replace("\n", "<br>")
        return (f'<div style="border-left: 6px solid {border}; background: {background}; color: {ink}; '
                f'padding: 0.5em 0.9em; margin: 0.3em 0; border-radius: 3px; font-family: sans-serif;">'
                f"<b>{mark} {self._verdict}</b>{where}<br>{body}</div>")


class Wrong(Exception):
    """Raised inside a check to stop it with a failing message."""


def exercise(func):
    """Turn a check body into a function that always returns a Feedback (never raises)."""

    @functools.wraps(func)
    def wrapper(fn, *args, **kwargs):
        name = func.__name__
        if not callable(fn):
            return Feedback(False, f"Pass your function itself, not {type(fn).__name__} (no parentheses: "
                                   f"{name}(my_function), not {name}(my_function())).", check=name)
        try:
            message = func(fn, *args, **kwargs)
        except Wrong as wrong:
            return Feedback(False, str(wrong), check=name)
        except Exception as error:  # a bug in the check's reading of an odd output: still no raise
            return Feedback(False, "The check could not make sense of your function's output "
                                   f"({type(error).__name__}: {error}). Compare its type and shape with "
                                   "what the exercise asks for.", check=name)
        return Feedback(True, message, check=name)

    return wrapper


_TRACER_ERRORS = ("TracerArrayConversionError", "ConcretizationTypeError", "TracerBoolConversionError",
                  "TracerIntegerConversionError")


def call(fn, *args, what: str = "your function"):
    """Call the reader's function; turn any exception into a kind, specific failing message."""
    try:
        return fn(*args)
    except NotImplementedError:
        raise Wrong("Not attempted yet: your function still raises NotImplementedError, the placeholder "
                    "of the exercise. Replace that line with your code, run the cell, then run this check "
                    "again.") from None
    except Exception as error:
        kind = type(error).__name__
        first = (str(error).strip().splitlines() or [""])[0][:300]
        frames = traceback.extract_tb(error.__traceback__)[1:]  # [0] is this function's own call
        line = next((f" (in line {f.lineno}: {f.line.strip()})" for f in reversed(frames)
                     if f.line and "site-packages" not in f.filename and not f.filename.startswith(_PACKAGE)), "")
        advice = "Read the last lines of the error, fix the function and run the check again."
        if kind in _TRACER_ERRORS:
            advice = ("Under jax.grad the inputs are tracers, not numbers: do not convert them with "
                      "np.asarray, float() or NumPy functions, and do not branch on their values. "
                      "Use jnp and jax.random instead of np and np.random.")
        raise Wrong(f"{what} raised {kind}: {first}{line}. {advice}") from None


def as_array(value, what: str) -> np.ndarray:
    """The reader's output as a float64 NumPy array, or a failing message that says what came back."""
    if value is None:
        raise Wrong(f"{what} returned None: did you forget the `return` statement?")
    if isinstance(value, tuple):
        raise Wrong(f"{what} returned a tuple of {len(value)} items; expected one array.")
    try:
        out = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Wrong(f"{what} returned {type(value).__name__}, which is not an array of numbers.") from None
    if np.isnan(out).any():
        raise Wrong(f"{what} returned NaN: a log of a negative number or of 0, or a square root of a "
                    "negative number, somewhere in the computation.")
    if np.isinf(out).any():
        raise Wrong(f"{what} returned an infinite value: a log of 0 or an exp that overflowed.")
    return out


def close(out, value, *, rtol=1e-4, atol=1e-5) -> bool:
    value = np.asarray(value, dtype=np.float64)
    return out.shape == value.shape and bool(np.allclose(out, value, rtol=rtol, atol=atol))


def diagnose(out, mistakes, *, rtol=1e-4, atol=1e-5):
    """Raise with the message of the first known mistake whose output equals ``out``."""
    for message, value in mistakes:
        if close(out, value, rtol=rtol, atol=atol):
            raise Wrong(message)


def fmt(values) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in np.ravel(values)) + ")"


def shape_error(out, expected, what, hints=()) -> None:
    if out.shape == tuple(expected):
        return
    for shape, message in hints:
        if out.shape == tuple(shape):
            raise Wrong(message)
    raise Wrong(f"{what} returned shape {out.shape}; expected {tuple(expected)}.")
