"""vae_tutorial._cache: where the course keeps JAX's compiled programs, and what importing the package turns on."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from vae_tutorial import _cache

ROOT = pathlib.Path(__file__).resolve().parents[1]
JAX_DEFAULT_MIN_COMPILE_TIME = 1.0  # jax_persistent_cache_min_compile_time_secs, as JAX documents it


@pytest.mark.parametrize("value", ["off", "OFF", " 0 ", "false", "no", ""])
def test_the_off_values_turn_the_cache_off(monkeypatch, value):
    monkeypatch.setenv(_cache.ENV, value)
    assert _cache.cache_dir() is None


def test_the_folder_follows_the_variable_then_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv(_cache.ENV, str(tmp_path / "mine"))
    assert _cache.cache_dir() == tmp_path / "mine"
    monkeypatch.setenv(_cache.ENV, "~/somewhere")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert _cache.cache_dir() == tmp_path / "home" / "somewhere"
    monkeypatch.delenv(_cache.ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _cache.cache_dir() == tmp_path / "xdg" / "vae_tutorial" / "jax"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert _cache.cache_dir() == tmp_path / "home" / ".cache" / "vae_tutorial" / "jax"


def _import_and_report(**env):
    """Import the package in a fresh interpreter and report JAX's cache settings and enable()'s result."""
    code = ("import json, jax, vae_tutorial\nfrom vae_tutorial import _cache\n"
            "print(json.dumps({'dir': jax.config.jax_compilation_cache_dir, "
            "'min_time': jax.config.jax_persistent_cache_min_compile_time_secs, "
            "'min_size': jax.config.jax_persistent_cache_min_entry_size_bytes, "
            "'enabled': None if _cache.enable() is None else str(_cache.enable())}))")
    clean = {k: v for k, v in os.environ.items() if k not in (_cache.ENV, "JAX_COMPILATION_CACHE_DIR")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**clean, "JAX_PLATFORMS": "cpu", **env})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_importing_the_package_points_jax_at_the_folder_and_caches_every_program(tmp_path):
    seen = _import_and_report(VAE_TUTORIAL_JAX_CACHE=str(tmp_path / "c"))
    assert seen == {"dir": str(tmp_path / "c"), "min_time": 0.0, "min_size": 0, "enabled": str(tmp_path / "c")}
    assert (tmp_path / "c").is_dir()


@pytest.mark.slow
def test_off_leaves_jax_settings_alone(tmp_path):
    seen = _import_and_report(VAE_TUTORIAL_JAX_CACHE="off")
    assert seen["enabled"] is None and not seen["dir"]
    assert seen["min_time"] == JAX_DEFAULT_MIN_COMPILE_TIME  # untouched


@pytest.mark.slow
def test_a_folder_chosen_for_jax_itself_is_respected(tmp_path):
    seen = _import_and_report(VAE_TUTORIAL_JAX_CACHE=str(tmp_path / "course"),
                              JAX_COMPILATION_CACHE_DIR=str(tmp_path / "jax-own"))
    assert seen["dir"] == seen["enabled"] == str(tmp_path / "jax-own")
    assert seen["min_time"] == JAX_DEFAULT_MIN_COMPILE_TIME  # JAX's settings are the user's: left alone
    assert not (tmp_path / "course").exists()


@pytest.mark.slow
def test_a_folder_that_cannot_be_made_means_no_cache_rather_than_an_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    seen = _import_and_report(VAE_TUTORIAL_JAX_CACHE=str(blocker / "cache"))
    assert seen["enabled"] is None and not seen["dir"]
    assert blocker.read_text() == "x"


@pytest.mark.slow
def test_a_folder_that_exists_but_cannot_be_written_means_no_cache_and_no_warnings(tmp_path):
    # /proc exists and refuses new files, for root too (a folder made read-only with chmod does not stop root).
    seen = _import_and_report(VAE_TUTORIAL_JAX_CACHE="/proc")
    assert seen["enabled"] is None and not seen["dir"]
    code = ("import numpy as np, vae_tutorial\nfrom vae_tutorial import latent, pretrained\n"
            "latent.encodings(pretrained.load('vae-2d'), np.zeros((3, 784), np.float32))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "JAX_PLATFORMS": "cpu", _cache.ENV: "/proc"})
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and "warning" not in done.stderr, done.stderr[-1500:]
