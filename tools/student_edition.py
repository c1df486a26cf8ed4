"""Build the student edition of the series: the notebooks without their solutions and answers.

From each master notebook in ``notebooks/`` this writes ``student/NN-name.ipynb`` where

* a code cell tagged ``solution`` becomes a stub tagged ``exercise-stub``: the lines between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION`` are replaced by ``raise NotImplementedError(...)``
  with a pointer to the exercise's check, keeping the function's signature and docstring (so the
  cell defines the function and the check reports "not attempted yet"); a solution cell without
  markers is replaced whole by a cell that raises NotImplementedError;
* a markdown cell tagged ``solution`` (a prose answer, or the "Solution" heading) is removed;
* a cell tagged ``answer`` (the answer to a "predict before you run" question) is replaced by a
  short note that the answer is hidden;
* every output and execution count is cleared, and collapsed-source metadata is dropped.

A small script around ``nbformat`` rather than nbgrader or otter-grader: the series marks its
exercises with cell tags already, needs no grading database or autograder archive, and the rules
above are a few dozen lines that the tests can read (see README, "Exercises and the student edition").

Usage: ``python tools/student_edition.py [--out DIR] [notebooks/NN-name.ipynb ...]`` (default: all
notebooks into ``student/``).
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
OUT = ROOT / "student"
SOLUTION, ANSWER, EXERCISE, STUB, HIDDEN = "solution", "answer", "exercise", "exercise-stub", "answer-hidden"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
CHECK_CALL = re.compile(r"exercises\.check_\w+\([^)]*\)")
EXERCISE_TITLE = re.compile(r"^#+\s*(Exercise\s+[\w.]+)", flags=re.MULTILINE)
HIDDEN_NOTE = ("*The answer is hidden in the student edition. Write your prediction in the cell above "
               "before you read on; your teacher has the answer, and so does the master notebook.*")


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def solution_regions(source: str) -> list[tuple[int, int]]:
    """Line ranges ``(begin, end)`` (marker lines included) of the marked solution parts of a cell."""
    lines, regions, start = source.splitlines(), [], None
    for i, line in enumerate(lines):
        if line.strip() == BEGIN:
            start = i
        elif line.strip() == END and start is not None:
            regions.append((start, i))
            start = None
    return regions


def solution_lines(source: str) -> list[str]:
    """The lines of a solution cell that the student edition must not contain (code, not comments)."""
    lines = source.splitlines()
    regions = solution_regions(source)
    picked = [lines[i] for a, b in regions for i in range(a + 1, b)] if regions else lines
    return [line.strip() for line in picked if line.strip() and not line.strip().startswith("#")]


def _pointer(label: str, check: str | None) -> str:
    then = f"then run the check below, {check}" if check else "then run the cells below"
    return f"{label}: replace this line with your code, {then}."


def stub(source: str, label: str, check: str | None) -> str:
    """The student's version of a solution cell's source."""
    message = _pointer(label, check).replace('"', "'")
    lines, regions = source.splitlines(), solution_regions(source)
    if not regions:
        return f'# YOUR CODE HERE\nraise NotImplementedError("{message}")'
    out, last = [], 0
    for a, b in regions:
        indent = lines[a][: len(lines[a]) - len(lines[a].lstrip())]
        out += lines[last:a] + [f"{indent}# YOUR CODE HERE", f'{indent}raise NotImplementedError("{message}")']
        last = b + 1
    return "\n".join(out + lines[last:])


def _clean(cell):
    cell.metadata.pop("jupyter", None)
    cell.metadata.pop("collapsed", None)
    cell.metadata.pop("execution", None)
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell


def student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student edition of one master notebook (a new object; ``nb`` is not changed)."""
    nb = nbformat.from_dict(nb)
    cells, label = [], "This exercise"
    for i, cell in enumerate(nb.cells):
        cell_tags = tags(cell)
        if EXERCISE in cell_tags and cell.cell_type == "markdown":
            found = EXERCISE_TITLE.search(cell.source)
            label = found.group(1) if found else "This exercise"
        if SOLUTION in cell_tags and cell.cell_type == "markdown":
            continue
        if SOLUTION in cell_tags:
            later = (c for c in nb.cells[i + 1:] if c.cell_type == "code")
            check = next((m.group(0) for c in later for m in [CHECK_CALL.search(c.source)] if m), None)
            new = nbformat.v4.new_code_cell(stub(cell.source, label, check))
            new.metadata["tags"] = [STUB] + [t for t in cell_tags if t != SOLUTION]
            cells.append(new)
            continue
        if ANSWER in cell_tags:  # one note for a run of answer cells
            if not (cells and HIDDEN in tags(cells[-1])):
                cells.append(nbformat.v4.new_markdown_cell(HIDDEN_NOTE, metadata={"tags": [HIDDEN]}))
            continue
        cells.append(_clean(cell))
    nb.cells = cells
    nb.metadata.pop("widgets", None)
    return nb


def build(paths: list[pathlib.Path], out: pathlib.Path) -> list[pathlib.Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        nb = student_notebook(nbformat.read(path, as_version=4))
        target = out / path.name
        nbformat.write(nb, target)
        written.append(target)
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    written = build(paths, args.out)
    stubs = sum(STUB in tags(c) for p in written for c in nbformat.read(p, as_version=4).cells)
    print(f"student edition: {len(written)} notebooks, {stubs} exercise stubs, in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
