"""Showing the package's own code inside a notebook, so the idea is visible without a copy.

Introduced in 01-autoencoder.
"""

from __future__ import annotations

import inspect
import textwrap

from IPython.display import Markdown


__all__ = ["show_source"]


def show_source(obj, *, start: str | None = None, stop: str | None = None) -> Markdown:
    """The source of a function, class or method as a Markdown code block.

    Args:
        obj: what to show (e.g. ``models.Autoencoder``).
        start: optionally, the first line to show is the first one containing this text.
        stop: optionally, stop before the first later line containing this text.

    Returns:
        An ``IPython.display.Markdown`` object; its text form is the code itself.
    """
    lines = inspect.getsource(obj).splitlines()
    if start is not None:
        found = [k for k, line in enumerate(lines) if start in line]
        if not found:
            raise ValueError(f"{start!r} does not occur in the source of {obj.__qualname__}")
        lines = lines[found[0]:]
    if stop is not None:
        found = [k for k, line in enumerate(lines) if k > 0 and stop in line]
        lines = lines[: found[0]] if found else lines
    return Markdown("```python\n" + textwrap.dedent("\n".join(lines)).strip("\n") + "\n```")
