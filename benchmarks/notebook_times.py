"""Time each notebook top to bottom in a fresh kernel, kernel start included.

Runs a copy (the committed notebook is not touched), ``--repeat`` times each, and prints the
median. Usage: ``python benchmarks/notebook_times.py [--repeat 2] [notebooks/NN-name.ipynb ...]``
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import time

import nbformat
from nbclient import NotebookClient
from sysinfo import summary

ROOT = pathlib.Path(__file__).resolve().parents[1]


def time_notebook(path: pathlib.Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # starts the kernel, runs every cell, shuts the kernel down
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=pathlib.Path)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    paths = args.paths or sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    print(f"machine: {summary(('jax', 'jaxlib', 'flax', 'ipykernel', 'nbclient'))}")
    print(f"{'notebook':<36} {'median s':>9}  runs")
    for path in paths:
        runs = [time_notebook(path.resolve()) for _ in range(args.repeat)]
        print(f"{path.name:<36} {statistics.median(runs):>9.1f}  {', '.join(f'{r:.1f}' for r in runs)}", flush=True)


if __name__ == "__main__":
    main()
