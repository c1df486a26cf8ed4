"""Write the navigation lines of every notebook and the contents of the index.

Each notebook in ``notebooks/`` (``NN-title.ipynb``) gets a markdown cell tagged
``navigation`` at the top (links to open it on Colab or Binder, as plain text links: no badge
images from other hosts, which a page offline cannot show; then previous | contents | next) and
one at the bottom; ``00-index.ipynb`` gets its cell tagged ``contents`` filled with the list of
notebooks. The first code cell of a notebook that installs the package on Colab gets its
install line from the same address (:data:`REPO`), so that changing where the course lives is
one edit here and one run of this script.
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
# Where the course lives on GitHub ("owner/name"), the one place it is written: the Colab and
# Binder links and the Colab install line of every notebook are made from it. This address has
# not been confirmed; if the course lives elsewhere, change it and run `make navigation`
# (or `python tools/navigation.py`).
REPO = "vae-tutorial/vae-tutorial"
BRANCH = "main"
#: The text of the links at the top of each notebook: what a test looks for.
OPEN_IN_COLAB, OPEN_ON_BINDER = "Open in Colab", "Open on Binder"
INSTALL_MARK = "google.colab"  # the first code cell that holds it installs the package on Colab
INSTALL_LINE = re.compile(r'^(\s*%pip install\b.*?)"vae-tutorial @ git\+https://github\.com/[^"]*"', flags=re.M)
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
    """Text links that open notebook ``name`` on Colab and on Binder (no images: they work offline)."""
    colab = f"https://colab.research.google.com/github/{REPO}/blob/{BRANCH}/notebooks/{name}"
    binder = f"https://mybinder.org/v2/gh/{REPO}/{BRANCH}?urlpath=lab/tree/notebooks/{name}"
    return f"[{OPEN_IN_COLAB}]({colab}) · [{OPEN_ON_BINDER}]({binder})"


def install_requirement() -> str:
    """What the Colab install cell asks pip for: the package from :data:`REPO`'s :data:`BRANCH`."""
    return f"vae-tutorial @ git+https://github.com/{REPO}@{BRANCH}"


def _with_install_line(source: str) -> str:
    return INSTALL_LINE.sub(lambda m: f'{m.group(1)}"{install_requirement()}"', source)


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
    first_code = next((c for c in cells if c.cell_type == "code"), None)
    if first_code is not None and INSTALL_MARK in first_code.source:
        first_code.source = _with_install_line(first_code.source)
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
