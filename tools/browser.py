"""Drive a real browser against the course: a local Jupyter server and headless Chromium.

Shared by ``tests/test_browser.py`` and ``benchmarks/widget_latency.py``:

* :func:`jupyter_server`: JupyterLab 4 or Notebook 7 on 127.0.0.1 (free port, temporary token,
  temporary Jupyter config, runtime, data and workspace directories), stopped afterwards;
* :func:`chromium_page`: a page in Debian's ``/usr/bin/chromium`` driven by Playwright;
* :func:`write_notebook`, :func:`open_and_run_all`, :func:`widget_errors`: a notebook of code
  cells, opened and run in the page;
* :func:`chromium_missing_reason`: why the browser cannot run here (``None`` when it can).
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

__all__ = ["CHROMIUM", "jupyter_server", "jupyter_lab", "chromium_page", "chromium_missing_reason",
           "write_notebook", "open_and_run_all", "widget_errors", "ERROR_TEXTS"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
SERVER_START_TIMEOUT = 120.0  # seconds; a cold start on a busy 2-core machine takes ~10 s
ERROR_TEXTS = ("Error displaying widget", "Traceback (most recent call last)", "could not start in this browser")
APPS = {"lab": ("jupyterlab", "LabApp", "/lab/tree/"), "notebook": ("notebook", "JupyterNotebookApp", "/notebooks/")}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyter_server(root_dir: pathlib.Path, *, app: str = "lab", timeout: float = SERVER_START_TIMEOUT):
    """Run JupyterLab (``app="lab"``) or Notebook 7 (``"notebook"``) serving ``root_dir``.

    Yields ``(base_url, token)``. Everything Jupyter writes (config, runtime files, data,
    workspaces and settings, IPython profile) goes to a temporary directory, so the user's own
    set-up is neither read nor changed. The server runs in its own process group, which is
    ended (server and kernels) on exit.
    """
    module, app_class, _ = APPS[app]
    token = secrets.token_hex(16)
    port = _free_port()
    home = pathlib.Path(tempfile.mkdtemp(prefix="vae-tutorial-jupyter-"))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTER_DATA_DIR=str(home / "data"), IPYTHONDIR=str(home / "ipython"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
               JAX_PLATFORMS=os.environ.get("JAX_PLATFORMS", "cpu"), PYTHONUNBUFFERED="1")
    command = [
        sys.executable, "-m", module, "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False",
        "--ServerApp.allow_root=True",  # CI containers run as root
        f"--ServerApp.root_dir={root_dir}", f"--{app_class}.workspaces_dir={home / 'workspaces'}",
        f"--{app_class}.user_settings_dir={home / 'settings'}", f"--{app_class}.expose_app_in_browser=True",
    ]
    if app == "lab":
        command.append("--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate")
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
                raise RuntimeError(f"Jupyter exited with code {server.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                request = urllib.request.Request(f"{base}/api/status", headers={"Authorization": f"token {token}"})
                with urllib.request.urlopen(request, timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"Jupyter did not answer in {timeout:.0f} s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.25)
        yield base, token
    finally:
        _stop(server)
        shutil.rmtree(home, ignore_errors=True)


def jupyter_lab(root_dir: pathlib.Path, *, timeout: float = SERVER_START_TIMEOUT):
    """:func:`jupyter_server` with JupyterLab."""
    return jupyter_server(root_dir, app="lab", timeout=timeout)


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
    """Why the browser cannot run here (None when it can)."""
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


def open_and_run_all(page, base: str, token: str, name: str, *, app: str = "lab") -> None:
    """Open notebook ``name`` in JupyterLab or Notebook 7, wait for its kernel, run all cells.

    The server runs with ``expose_app_in_browser``, so the page can wait on the notebook's own
    kernel connection (the toolbar's status reads "idle" before any kernel exists) and run the
    ``notebook:run-all-cells`` command directly.
    """
    page.goto(f"{base}{APPS[app][2]}{name}?token={token}")
    page.wait_for_function(
        """name => {
            const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
            const kernel = panel && panel.sessionContext && panel.sessionContext.session
                && panel.sessionContext.session.kernel;
            return panel && panel.context && panel.context.path === name && kernel
                && kernel.connectionStatus === "connected" && kernel.status === "idle";
        }""", arg=name, timeout=120_000)
    # Not awaited: the command's promise settles only when the last cell has finished.
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    page.wait_for_function(
        "sel => /\\[(\\*|\\d+)\\]/.test(document.querySelector(sel).textContent)",
        arg=".jp-Notebook .jp-CodeCell .jp-InputPrompt", timeout=30_000)


def widget_errors(page, selector: str = ".jp-Notebook") -> list[str]:
    """Error texts visible in the notebook's outputs (failed widget views, tracebacks)."""
    text = page.inner_text(selector)
    return [error for error in ERROR_TEXTS if error in text]
