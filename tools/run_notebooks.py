"""Run notebooks top to bottom in a fresh kernel and save them with their outputs.

Leaves each notebook as the project commits it: execution counts 1..n, kernelspec
``python3``, no saved widget state. Refreshes the navigation first.

Usage: ``python tools/run_notebooks.py [notebooks/NN-name.ipynb ...]`` (default: all)
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import time

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import navigation  # noqa: E402

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def execute(path: pathlib.Path, *, quiet: bool = False) -> tuple[nbformat.NotebookNode, float]:
    """Run the notebook at ``path`` top to bottom in a fresh kernel, in its own folder, on a copy in memory.

    Returns the executed copy and the seconds from starting the kernel to the end of the last
    cell (what "restart and run all" costs a reader; the kernel's shutdown afterwards is not
    counted: it sometimes waits about 3.4 s for the process to exit). The file is not touched. The
    kernel inherits this process's environment. ``quiet`` drops what the kernel process itself
    writes to the terminal (such as ipykernel's warning about unencrypted local TCP); a failing
    cell still raises. Raises ``nbclient.exceptions.CellExecutionError`` if a cell fails.
    """
    nb = nbformat.read(path, as_version=4)
    marks = []  # when the kernel was ready, then when each code cell ended

    def mark(**_):
        marks.append(time.perf_counter())

    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
                   on_notebook_start=mark, on_cell_executed=mark).execute(
        **({"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL} if quiet else {}))
    return nb, (marks[-1] if marks else time.perf_counter()) - start


def run(path: pathlib.Path) -> float:
    """Execute the notebook (on the CPU, as committed) and save it with its outputs; return the seconds."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    nb, seconds = execute(path)
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata.get("language_info", {}).pop("version", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    return seconds


def main(args: list[str]) -> None:
    navigation.main()
    paths = [pathlib.Path(a) for a in args] or navigation.notebooks()
    for path in paths:
        print(f"{path.name}: {run(path.resolve()):.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
