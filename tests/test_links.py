"""Every link between notebooks, and every link to a section, resolves.

A link is ``[text](NN-name.ipynb)`` or ``[text](NN-name.ipynb#Section-heading)`` or ``[text](#Section)``
in a markdown cell. A section anchor is what JupyterLab gives a heading (its text, markup removed,
spaces as hyphens; punctuation kept) or what GitHub gives it (punctuation dropped, lower case), or an
explicit ``<a id="...">``. The README's links to notebooks are checked too.
"""

import json
import pathlib
import re
import urllib.parse

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _markdown(path: pathlib.Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]


def anchors(path: pathlib.Path) -> set[str]:
    """Every id a link may use for a section of the notebook at ``path`` (lower case)."""
    out = set()
    for source in _markdown(path):
        source = re.sub(r"```.*?```", "", source, flags=re.DOTALL)
        for heading in re.findall(r"^#+\s+(.*)$", source, flags=re.MULTILINE):
            text = re.sub(r"[*_`]|\$", "", heading.strip())
            out.add(text.replace(" ", "-").lower())
            out.add(re.sub(r"[^\w\- ]", "", text).strip().replace(" ", "-").lower())
        out.update(a.lower() for a in re.findall(r'<a (?:id|name)="([^"]+)"', source))
    return out


def links(texts: list[str]) -> list[tuple[str, str]]:
    """(notebook file or "", fragment) for each relative link to a notebook or a section."""
    out = []
    for text in texts:
        for target in LINK.findall(text):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:, ...
                continue
            path, _, fragment = urllib.parse.unquote(target).partition("#")
            if path and not path.endswith(".ipynb"):
                continue
            out.append((path, fragment))
    return out


def test_the_anchor_rule_matches_jupyterlab_and_github(tmp_path):
    nb = {"cells": [{"cell_type": "markdown", "source": ["## The pathwise gradient, step by step\n", "text"]},
                    {"cell_type": "markdown", "source": ['<a id="Capstone"></a>\n', "### `fit` and $\\beta$"]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "01-x.ipynb"
    path.write_text(json.dumps(nb))
    found = anchors(path)
    assert "the-pathwise-gradient,-step-by-step" in found  # JupyterLab keeps the comma
    assert "the-pathwise-gradient-step-by-step" in found  # GitHub drops it
    assert "capstone" in found and "fit-and-beta" in found
    assert "the-pathwise-gradient" not in found


def test_links_are_found_and_external_ones_skipped():
    text = "[a](05-why-it-works.ipynb#Step-1) [b](https://x.org/a.ipynb) [c](#Local) [d](../README.md)"
    assert links([text]) == [("05-why-it-works.ipynb", "Step-1"), ("", "Local")]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_link_from_a_notebook_resolves(path):
    broken = []
    for target, fragment in links(_markdown(path)):
        dest = path.parent / target if target else path
        if not dest.exists():
            broken.append(f"{target} (no such notebook)")
        elif fragment and fragment.lower() not in anchors(dest):
            broken.append(f"{target}#{fragment} (no such section in {dest.name})")
    assert not broken, f"{path.name}: broken links: " + "; ".join(broken)


def test_readme_links_to_notebooks_resolve():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\((notebooks/[^)#\s]+\.ipynb)(?:#([^)\s]+))?\)", text)
    assert targets, "the README links to no notebook"
    for target, fragment in targets:
        assert (ROOT / target).exists(), f"README links to {target}, which does not exist"
        if fragment:
            assert fragment.lower() in anchors(ROOT / target), f"README: {target}#{fragment} matches no section"
