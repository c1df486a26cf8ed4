"""The static pages' own parts that need no browser: MathJax comes from the site, never from a CDN."""

import pathlib
import re
import sys

import nbformat
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tools"))
import build_site  # noqa: E402

SCRIPT_SRC = re.compile(r'<script[^>]*\bsrc="([^"]*)"')


def _notebook():
    nb = nbformat.v4.new_notebook()
    badge = "[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.example/x)"
    nb.cells = [nbformat.v4.new_markdown_cell(badge + "\n\n# A page\n\nInline $z = \\mu + \\sigma \\varepsilon$ and\n$$x^2$$")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.mark.parametrize("mathjax", [None, "mathjax/tex-svg-full.js"])
def test_pages_load_no_script_from_the_network(mathjax):
    page = build_site.page_html(_notebook(), title="A page", nav="", mathjax=mathjax)
    sources = SCRIPT_SRC.findall(page)
    assert not [s for s in sources if "//" in s], f"a script from the network: {sources}"
    assert "cdnjs" not in page and "x-mathjax-config" not in page
    if mathjax:
        assert sources == [mathjax] and "window.MathJax = {tex: {inlineMath: [['$', '$']" in page
    else:
        assert sources == [] and "window.MathJax" not in page
    assert "$z = \\mu + \\sigma \\varepsilon$" in page  # the LaTeX source stays for MathJax (or the reader)
    assert re.search(r"This page: \d+\.\d MB", page)
    assert not re.search(r'<img[^>]*src="https?://', page) and ">Open in Colab</a>" in page


def test_build_copies_mathjax_into_the_site_and_rejects_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="expected MathJax 3's es5/tex-svg-full.js"):
        build_site.build([], tmp_path / "site", mathjax=tmp_path / "missing.js", index=False)
    script = tmp_path / "tex-svg-full.js"
    script.write_text("/* stand-in */")
    assert build_site.build([], tmp_path / "site", mathjax=script) == []
    assert (tmp_path / "site" / "mathjax" / "tex-svg-full.js").read_text() == "/* stand-in */"
    assert (tmp_path / "site" / "index.html").is_file()
