"""Time each notebook top to bottom in a fresh kernel, cold and warm (kernel start included, its shutdown not).

*Cold*: JAX's persistent compilation cache points at a new, empty folder, so every program is
compiled (what a student sees the first time). *Warm*: the same notebook again with the cache
that the cold run filled (a re-run in class). Runs a copy (the committed notebook is not touched),
``--repeat`` times each, alternating cold and warm, and prints medians, the series totals and the
warm/cold ratio. *In order* (last column): the notebooks once more, one after another in a fresh
kernel each, sharing one cache that starts empty, as a student meets them the first time through
the course. Usage: ``python benchmarks/notebook_times.py [--repeat 2] [notebooks/NN-name.ipynb ...]``
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import sys
import tempfile

from sysinfo import summary

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from run_notebooks import execute  # noqa: E402  (one way to run a notebook, shared with tools/)

CACHE_ENV = "VAE_TUTORIAL_JAX_CACHE"  # read by vae_tutorial._cache in the kernel


def time_notebook(path: pathlib.Path, cache: pathlib.Path) -> float:
    """Seconds to run the notebook in a fresh kernel (kernel start included, shutdown not) with JAX's cache in ``cache``."""
    os.environ[CACHE_ENV] = str(cache)  # the kernel inherits the environment
    return execute(path)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=pathlib.Path)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    paths = args.paths or sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    print(f"machine: {summary(('jax', 'jaxlib', 'flax', 'ipykernel', 'nbclient'))}")
    print(f"{'notebook':<36} {'cold s':>7} {'warm s':>7} {'warm/cold':>9}  cold runs | warm runs")
    totals = {"cold": 0.0, "warm": 0.0}
    for path in paths:
        runs = {"cold": [], "warm": []}
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="jax-cache-") as cache:
                runs["cold"].append(time_notebook(path.resolve(), pathlib.Path(cache)))
                runs["warm"].append(time_notebook(path.resolve(), pathlib.Path(cache)))
        cold, warm = statistics.median(runs["cold"]), statistics.median(runs["warm"])
        totals["cold"] += cold
        totals["warm"] += warm
        print(f"{path.name:<36} {cold:>7.1f} {warm:>7.1f} {warm / cold:>9.2f}  "
              f"{', '.join(f'{r:.1f}' for r in runs['cold'])} | {', '.join(f'{r:.1f}' for r in runs['warm'])}",
              flush=True)
    print(f"{'series (sum of medians)':<36} {totals['cold']:>7.1f} {totals['warm']:>7.1f} "
          f"{totals['warm'] / totals['cold']:>9.2f}")
    print("in order, one cache that starts empty:")
    with tempfile.TemporaryDirectory(prefix="jax-cache-") as cache:
        in_order = [time_notebook(path.resolve(), pathlib.Path(cache)) for path in paths]
    for path, seconds in zip(paths, in_order):
        print(f"{path.name:<36} {seconds:>7.1f}", flush=True)
    print(f"{'series, in order':<36} {sum(in_order):>7.1f}")


if __name__ == "__main__":
    main()
