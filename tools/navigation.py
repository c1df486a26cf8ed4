"""Write the navigation lines of every notebook and the contents of the index.

Each notebook in ``notebooks/`` (``NN-title.ipynb``) gets a markdown cell tagged
``navigation`` at the top (badges and previous | contents | next) and one at the bottom;
``00-index.ipynb`` gets its cell tagged ``contents`` filled with the list of notebooks.
Titles come from each notebook's first ``# `` heading. ``--check`` changes nothing and exits 1
when anything is stale (a test runs it).

Usage: ``python tools/navigation.py [--check]``
"""

from __future__ import annotations

import pathlib
import re
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
INDEX = "00-index.ipynb"
# Where the course lives on GitHub: the Colab and Binder badges point here.
REPO = "vae-tutorial/vae-tutorial"
BRANCH = "main"
NAV_TAG, CONTENTS_TAG = "navigation", "contents"


def notebooks() -> list[pathlib.Path]:
    """The series in reading order."""
    return sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))


def title(path: pathlib.Path) -> str:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^# (.+)$", cell.source, flags=re.MULTILINE)
            if m:
                return m.group(1).strip()
    raise ValueError(f"{path.name} has no '# Title' heading in a markdown cell")


def badges(name: str) -> str:
    colab = f"https://colab.research.google.com/github/{REPO}/blob/{BRANCH}/notebooks/{name}"
    binder = f"https://mybinder.org/v2/gh/{REPO}/{BRANCH}?urlpath=lab/tree/notebooks/{name}"
    return (f"[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab}) "
            f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder})")


def nav_line(paths: list[pathlib.Path], i: int, titles: dict[str, str]) -> str:
    parts = []
    if i > 0:
        prev = paths[i - 1].name
        parts.append(f"< [{titles[prev]}]({prev})")
    if paths[i].name != INDEX:
        parts.append(f"[Contents]({INDEX})")
    if i + 1 < len(paths):
        nxt = paths[i + 1].name
        parts.append(f"[{titles[nxt]}]({nxt}) >")
    return " | ".join(parts)


def contents(paths: list[pathlib.Path], titles: dict[str, str]) -> str:
    lines = ["## Contents", ""]
    lines += [f"- **{p.name[:2]}** [{titles[p.name]}]({p.name})" for p in paths if p.name != INDEX]
    return "\n".join(lines)


def _nav_cell(source: str):
    return nbformat.v4.new_markdown_cell(source, metadata={"tags": [NAV_TAG]})


def updated(path: pathlib.Path, paths, titles) -> nbformat.NotebookNode:
    """The notebook at ``path`` with fresh navigation (and contents, for the index)."""
    nb = nbformat.read(path, as_version=4)
    i = paths.index(path)
    line = nav_line(paths, i, titles)
    cells = [c for c in nb.cells if NAV_TAG not in c.get("metadata", {}).get("tags", [])]
    top = _nav_cell(badges(path.name) + "\n\n" + line)
    bottom = _nav_cell(line)
    for cell in cells:
        if CONTENTS_TAG in cell.get("metadata", {}).get("tags", []):
            cell.source = contents(paths, titles)
    nb.cells = [top, *cells, bottom]
    return nb


def main(check: bool = False) -> int:
    paths = notebooks()
    titles = {p.name: title(p) for p in paths}
    stale = []
    for path in paths:
        nb = updated(path, paths, titles)
        old = nbformat.read(path, as_version=4)
        if [(c.cell_type, c.source) for c in nb.cells] != [(c.cell_type, c.source) for c in old.cells]:
            stale.append(path.name)
            if not check:
                nbformat.write(nb, path)
    if check and stale:
        print("stale navigation in: " + ", ".join(stale) + " (run: make navigation)")
        return 1
    if not check:
        print("updated: " + (", ".join(stale) or "nothing"))
    return 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv[1:]))
