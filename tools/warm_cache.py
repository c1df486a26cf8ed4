"""Compile the course's programs once, ahead of class, into JAX's persistent compilation cache.

A notebook's first run spends about half of its time compiling (cold against warm times in
BENCHMARKS.md). This script pays that once, at install (``make install`` and Binder's
``postBuild`` call it): it runs every notebook top to bottom in a fresh kernel on a copy in
memory (nothing is saved; the committed notebooks are not touched), and the kernels fill the cache
that importing ``vae_tutorial`` turns on (``vae_tutorial._cache``). A student's first run is
then as fast as a re-run.

Nothing is run when the cache is off (``VAE_TUTORIAL_JAX_CACHE=off``) or its folder cannot be
written (the kernels would run without it; exit status 1). A notebook that fails is
named, with its error, and the others still run; the exit status is then 1. The course works
either way: what was not compiled here is compiled on first use.

Usage: ``python tools/warm_cache.py [notebooks/NN-name.ipynb ...]`` (default: every notebook).
"""

from __future__ import annotations

import os
import pathlib
import re
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import navigation  # noqa: E402
from run_notebooks import execute  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from vae_tutorial import _cache  # noqa: E402  (the folder the kernels will use)


def main(args: list[str]) -> int:
    folder = _cache.cache_dir()
    if folder is None:
        print(f"warm_cache: {_cache.ENV} is off, so there is no cache to fill; nothing run")
        return 0
    # The folder the kernels will use: JAX's own JAX_COMPILATION_CACHE_DIR when the user set one.
    folder = _cache.enable() or folder
    if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        print("warm_cache: JAX_COMPILATION_CACHE_DIR is set, so JAX's own cache settings apply: only programs that "
              "take longer than jax_persistent_cache_min_compile_time_secs (1 s by default) to compile are kept")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".warm_cache_probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:  # the kernels would run without a cache: warming it would be time lost
        print(f"warm_cache: cannot write to the cache folder {folder} ({error.strerror or error}); nothing run. "
              f"Set {_cache.ENV} to a folder you can write to.")
        return 1
    paths = [pathlib.Path(a) for a in args] or navigation.notebooks()
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"warm_cache: no such notebook: {', '.join(missing)} (expected notebooks/NN-name.ipynb paths)")
        return 2
    print(f"warm_cache: compiling the course's programs into {folder} "
          f"({len(paths)} notebook{'s' if len(paths) != 1 else ''}; a few minutes for the whole course on a 2-core laptop)", flush=True)
    failed, start = [], time.perf_counter()
    for k, path in enumerate(paths):
        print(f"  [{k + 1:2d}/{len(paths)}] {path.name}: ", end="", flush=True)  # what runs now, before its time
        try:
            seconds = execute(path.resolve(), quiet=True)[1]  # no kernel chatter in an install's output
        except Exception as error:  # a failing notebook must not stop the others (or the install)
            failed.append(path.name)
            text = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).strip()  # the traceback's colours
            first_line = (text.splitlines() or [type(error).__name__])[-1]
            print(f"FAILED ({type(error).__name__}: {first_line[:300]})", flush=True)
        else:
            print(f"{seconds:.1f} s", flush=True)
    print(f"warm_cache: done in {time.perf_counter() - start:.0f} s"
          + (f"; {len(failed)} failed: {', '.join(failed)} (they will compile on first use)" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
