"""Hygiene of the committed notebooks. Their outputs are checked by strict nbval (see pyproject)."""

import json
import pathlib
import re
import sys

import pytest
from nbval.plugin import get_sanitize_patterns

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import navigation  # noqa: E402

NOTEBOOKS = navigation.notebooks()
IGNORE = ("NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP")
LOCAL_PATH = re.compile(r"(/work/|/root/|/home/|/Users/|\.venv|site-packages|[A-Z]:\\\\)")


def _nb(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def _ignored(cell):
    source = "".join(cell["source"])
    return any(f"# {m}" in source for m in IGNORE) or {"nbval-ignore-output", "nbval-skip"} & set(_tags(cell))


def test_series_exists():
    names = [p.name for p in NOTEBOOKS]
    assert names[0] == "00-index.ipynb"
    assert len(names) >= 2


def test_navigation_and_index_are_fresh():
    assert navigation.main(check=True) == 0, "run `make navigation`"


def test_sanitize_file_entries_are_all_read():
    text = (ROOT / "tests" / "nbval_sanitize.cfg").read_text()
    sections = re.findall(r"^\[.+\]$", text, flags=re.MULTILINE)
    patterns = get_sanitize_patterns(text)
    assert len(patterns) == len(sections) >= 1
    for regex, _ in patterns:
        re.compile(regex)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_as_a_fresh_top_to_bottom_run(path):
    nb = _nb(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert "widgets" not in nb["metadata"], "strip metadata.widgets"
    counts = [c["execution_count"] for c in _code_cells(nb) if "".join(c["source"]).strip()]
    assert counts == list(range(1, len(counts) + 1)), "re-run top to bottom in a fresh kernel (make notebooks)"
    for cell in _code_cells(nb):
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"error output in {path.name}: {out.get('ename')}"
            text = json.dumps(out.get("text", "")) + json.dumps(out.get("data", {}).get("text/plain", ""))
            assert not LOCAL_PATH.search(text), f"local path in an output of {path.name}: {text[:200]}"
            if out["output_type"] == "execute_result":
                assert "<Figure size" not in text, f"end plotting cells with plt.show() in {path.name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_skeleton(path):
    nb = _nb(path)
    cells = nb["cells"]
    assert navigation.NAV_TAG in _tags(cells[0]) and navigation.NAV_TAG in _tags(cells[-1])
    assert "colab-badge" in "".join(cells[0]["source"])
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert re.search(r"^# ", text, flags=re.MULTILINE)
    if path.name != "00-index.ipynb":
        for heading in ("Prerequisites", "Summary", "Next"):
            assert heading in text, f"{path.name} lacks a '{heading}' part"
        code = _code_cells(nb)
        assert "google.colab" in "".join(code[0]["source"]) and "nbval-skip" in _tags(code[0]), \
            "the first code cell installs the package on Colab and is tagged nbval-skip"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_most_text_outputs_are_compared(path):
    printing = [c for c in _code_cells(path and _nb(path))
                if any(o["output_type"] == "stream" or "text/plain" in o.get("data", {})
                       for o in c.get("outputs", []))]
    if printing:
        compared = [c for c in printing if not _ignored(c)]
        assert len(compared) >= 0.8 * len(printing), f"{path.name}: only {len(compared)}/{len(printing)} compared"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_cells_are_short(path):
    for cell in _code_cells(_nb(path)):
        lines = [l for l in "".join(cell["source"]).splitlines() if l.strip()]
        assert len(lines) <= 20, f"{path.name}: a code cell of {len(lines)} lines; move code into the package"
