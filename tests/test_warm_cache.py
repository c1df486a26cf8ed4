"""The warm-up at install (tools/warm_cache.py, `make warm`): fills JAX's cache from the notebooks,
touches no notebook, reports failures by name and goes on, and runs nothing when the cache is off."""

import os
import pathlib
import subprocess
import sys

import nbformat
import pytest

pytestmark = pytest.mark.slow  # runs the warm-up script in fresh interpreters

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tools" / "warm_cache.py"


def _notebook(path: pathlib.Path, *sources: str) -> pathlib.Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _warm(cache, *paths, timeout=300, **extra_env):
    env = {**os.environ, "VAE_TUTORIAL_JAX_CACHE": str(cache), "JAX_PLATFORMS": "cpu", **extra_env}
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, paths)], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=ROOT)


def test_fills_the_cache_and_leaves_the_notebook_as_it_was(tmp_path):
    good = _notebook(tmp_path / "good.ipynb",
                     "import jax, jax.numpy as jnp, vae_tutorial\nprint(jax.jit(lambda x: 3 * x + 1)(jnp.arange(4)))")
    before = good.read_bytes()
    cache = tmp_path / "cache"
    done = _warm(cache, good)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"into {cache}" in done.stdout
    assert "good.ipynb: " in done.stdout and " s\n" in done.stdout
    assert good.read_bytes() == before  # run on a copy: no outputs saved
    assert "Kernel is running over TCP" not in done.stderr  # the kernels' own chatter stays out of an install
    assert any(cache.iterdir()), "the kernel compiled a program, so the cache holds at least one entry"


def test_a_cache_folder_chosen_for_jax_itself_is_the_one_used_and_its_settings_are_said(tmp_path):
    good = _notebook(tmp_path / "good.ipynb", "import jax, jax.numpy as jnp, vae_tutorial\nprint(jax.jit(jnp.cos)(1.0))")
    jax_own = tmp_path / "jax-own"
    done = _warm(tmp_path / "course", good, JAX_COMPILATION_CACHE_DIR=str(jax_own))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"into {jax_own}" in done.stdout
    assert "JAX_COMPILATION_CACHE_DIR is set, so JAX's own cache settings apply" in done.stdout
    assert jax_own.is_dir() and not (tmp_path / "course").exists()


def test_a_failing_notebook_is_named_and_the_others_still_run(tmp_path):
    bad = _notebook(tmp_path / "bad.ipynb", "raise ValueError('no digits here')")
    good = _notebook(tmp_path / "good.ipynb", "print(6 * 7)")
    done = _warm(tmp_path / "cache", bad, good)
    assert done.returncode == 1
    assert "bad.ipynb: FAILED (CellExecutionError" in done.stdout
    assert "ValueError: no digits here)" in done.stdout  # the error itself, without terminal colours
    assert "good.ipynb: " in done.stdout.split("bad.ipynb")[1]  # run after the failure
    assert "1 failed: bad.ipynb" in done.stdout


def test_nothing_runs_when_the_cache_is_off(tmp_path):
    bad = _notebook(tmp_path / "bad.ipynb", "raise ValueError('must not run')")
    done = _warm("off", bad)
    assert done.returncode == 0
    assert "VAE_TUTORIAL_JAX_CACHE is off" in done.stdout and "nothing run" in done.stdout
    assert "must not run" not in done.stdout


def test_a_cache_folder_that_cannot_be_written_is_refused_before_anything_runs(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    bad = _notebook(tmp_path / "bad.ipynb", "raise ValueError('must not run')")
    done = _warm(blocker / "cache", bad)  # a folder inside a file cannot be made
    assert done.returncode == 1
    assert f"cannot write to the cache folder {blocker / 'cache'}" in done.stdout
    assert "VAE_TUTORIAL_JAX_CACHE to a folder you can write to" in done.stdout
    assert "must not run" not in done.stdout and blocker.read_text() == "not a folder"


def test_a_missing_notebook_is_refused_with_what_was_expected(tmp_path):
    done = _warm(tmp_path / "cache", tmp_path / "nope.ipynb")
    assert done.returncode == 2
    assert "no such notebook" in done.stdout and "nope.ipynb" in done.stdout
    assert "notebooks/NN-name.ipynb" in done.stdout
    assert not any((tmp_path / "cache").iterdir())  # made, probed, left empty


def test_install_warms_the_cache_and_binder_does_too():
    makefile = (ROOT / "Makefile").read_text()  # make install is course.py setup, which runs the warm-up
    assert "$(COURSE) setup" in makefile.split("\ninstall:\n")[1].split("\n\n")[0]
    setup = (ROOT / "course.py").read_text().split("def setup(")[1].split("\ndef ")[0]
    assert '"tools" / "warm_cache.py"' in setup
    post_build = ROOT / "postBuild"
    assert os.access(post_build, os.X_OK)
    assert "tools/warm_cache.py" in post_build.read_text()
