"""A real browser drives a LatentExplorer in JupyterLab: the widget renders and follows its slider.

Starts JupyterLab on 127.0.0.1 (free port, temporary token, temporary Jupyter config, runtime,
data and workspace directories), writes a small notebook that shows a LatentExplorer on the
pretrained 2-D VAE, runs it in headless Chromium (Debian's ``/usr/bin/chromium`` driven by
Playwright), presses ArrowRight on a focused slider handle and checks that the decoded image
changes and that no widget shows an error. Skips without Chromium, except with ``CI=true``.

The helpers (``jupyter_lab``, ``chromium_page``, ``write_notebook``, ``open_and_run_all``) are
shared with ``benchmarks/widget_latency.py``.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
SERVER_START_TIMEOUT = 120.0  # seconds; a cold start on a busy 2-core machine takes ~10 s
KERNEL_TIMEOUT_MS = 180_000  # until the notebook's widgets are displayed (imports, model loading)
ERROR_TEXTS = ("Error displaying widget", "Traceback (most recent call last)")

EXPLORER = ".vae-latent-explorer"
DIGIT_IMG = f"{EXPLORER} img.vae-latent-image"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyter_lab(root_dir: pathlib.Path, *, timeout: float = SERVER_START_TIMEOUT):
    """Run JupyterLab on 127.0.0.1 serving ``root_dir``; yield ``(base_url, token)``; stop it after.

    Everything Jupyter writes (config, runtime files, data, lab workspaces and settings, IPython
    profile) goes to a temporary directory, so the user's own set-up is neither read nor changed.
    The server runs in its own process group, which is ended (server and kernels) on exit.
    """
    token = secrets.token_hex(16)
    port = _free_port()
    home = pathlib.Path(tempfile.mkdtemp(prefix="vae-tutorial-jupyter-"))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTER_DATA_DIR=str(home / "data"), IPYTHONDIR=str(home / "ipython"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
               JAX_PLATFORMS=os.environ.get("JAX_PLATFORMS", "cpu"), PYTHONUNBUFFERED="1")
    command = [
        sys.executable, "-m", "jupyterlab", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False",
        "--ServerApp.allow_root=True",  # CI containers run as root
        f"--ServerApp.root_dir={root_dir}", f"--LabApp.workspaces_dir={home / 'workspaces'}",
        f"--LabApp.user_settings_dir={home / 'settings'}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.expose_app_in_browser=True",
    ]
    # No "get notified about Jupyter news?" toast over the page.
    news = home / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text('{"fetchNews": "false"}')
    log_path = home / "server.log"
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root_dir,
                                  start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {server.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                request = urllib.request.Request(f"{base}/api/status", headers={"Authorization": f"token {token}"})
                with urllib.request.urlopen(request, timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"JupyterLab did not answer in {timeout:.0f} s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.25)
        yield base, token
    finally:
        _stop(server)
        shutil.rmtree(home, ignore_errors=True)


def _stop(server: subprocess.Popen) -> None:
    """End the server and its kernels (its process group): SIGTERM, then SIGKILL after 10 s."""
    if server.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    # Kernels live in the server's process group; make sure none outlives it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=10)


def chromium_missing_reason() -> str | None:
    """Why the browser cannot run here (None when it can); with CI=true a missing browser fails."""
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


@contextlib.contextmanager
def chromium_page(*, width: int = 1400, height: int = 1000):
    """A page in headless Chromium (``/usr/bin/chromium`` through Playwright); closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()


def write_notebook(path: pathlib.Path, sources: list[str]) -> pathlib.Path:
    """Write a notebook of code cells (kernel ``python3``) to ``path``."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def open_and_run_all(page, base: str, token: str, name: str) -> None:
    """Open notebook ``name`` in JupyterLab, wait for its kernel, run all cells.

    The server runs with ``expose_app_in_browser``, so the page can wait on the notebook's own
    kernel connection (the toolbar's status reads "idle" before any kernel exists) and run the
    ``notebook:run-all-cells`` command directly.
    """
    page.goto(f"{base}/lab/tree/{name}?token={token}")
    page.wait_for_function(
        """name => {
            const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
            const kernel = panel && panel.sessionContext && panel.sessionContext.session
                && panel.sessionContext.session.kernel;
            return panel && panel.context.path === name && kernel
                && kernel.connectionStatus === "connected" && kernel.status === "idle";
        }""", arg=name, timeout=120_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        "sel => /\\[(\\*|\\d+)\\]/.test(document.querySelector(sel).textContent)",
        arg=".jp-Notebook .jp-CodeCell .jp-InputPrompt", timeout=30_000)


def widget_errors(page) -> list[str]:
    """Error texts visible in the notebook's outputs (failed widget views, tracebacks)."""
    text = page.inner_text(".jp-Notebook")
    return [error for error in ERROR_TEXTS if error in text]


def press_and_wait_for_new_src(page, handle_selector: str, img_selector: str, *, timeout_ms: int = 30_000) -> str:
    """Focus a slider handle, press ArrowRight, wait until the image's src changes; return the new src."""
    old = page.get_attribute(img_selector, "src")
    page.focus(handle_selector)
    page.keyboard.press("ArrowRight")
    page.wait_for_function("([sel, old]) => document.querySelector(sel).src !== old",
                           arg=[img_selector, old], timeout=timeout_ms)
    return page.get_attribute(img_selector, "src")


TEST_CELLS = [
    "from vae_tutorial import data, pretrained, widgets\n"
    "mnist = data.load_mnist()",
    "explorer = widgets.LatentExplorer(pretrained.load('vae-2d'), mnist.test_images, mnist.test_labels)\n"
    "explorer",
    "print('cells done')",
]


@pytest.mark.browser
def test_latent_explorer_follows_its_slider_in_jupyterlab(tmp_path):
    reason = chromium_missing_reason()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but the browser test cannot run: {reason}")
        pytest.skip(reason)
    write_notebook(tmp_path / "explorer.ipynb", TEST_CELLS)
    with jupyter_lab(tmp_path) as (base, token), chromium_page() as page:
        open_and_run_all(page, base, token, "explorer.ipynb")
        page.wait_for_function(f"() => (document.querySelector({DIGIT_IMG!r}) || {{}}).src", timeout=KERNEL_TIMEOUT_MS)
        page.wait_for_selector(".jp-OutputArea-output:has-text('cells done')", timeout=KERNEL_TIMEOUT_MS)
        assert page.locator(f"{EXPLORER} .widget-slider").count() == 2
        assert widget_errors(page) == []
        readout = f"{EXPLORER} .widget-slider >> nth=0 >> .widget-readout"
        first_value = page.inner_text(readout)
        handle = f"{EXPLORER} .noUi-handle >> nth=0"
        map_img = f"{EXPLORER} img:not(.vae-latent-image)"
        old_map = page.get_attribute(map_img, "src")
        sources = [page.get_attribute(DIGIT_IMG, "src")]
        for _ in range(3):
            sources.append(press_and_wait_for_new_src(page, handle, DIGIT_IMG))
        assert len(set(sources)) == 4
        assert page.inner_text(readout) != first_value
        page.wait_for_function("([sel, old]) => document.querySelector(sel).src !== old", arg=[map_img, old_map])
        # The new PNG decodes in the browser at the widget's size (28 x 6 = 168 pixels).
        page.wait_for_function(f"() => document.querySelector({DIGIT_IMG!r}).naturalWidth === 168")
        assert widget_errors(page) == []
