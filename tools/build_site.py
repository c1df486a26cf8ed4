"""Build the course as static HTML pages that work with no kernel and no network (``make site``).

Each notebook is executed afresh (nbclient, which records the state of every widget, binary
buffers included) and converted with nbconvert's HTML exporter. The explorers' outputs are then
replaced by a small mount point, and the page carries, inline, the explorers' own front end
(``vae_tutorial/explorer.js``, the same module the notebooks load through anywidget, turned into
a classic script because Chrome refuses module scripts and ``fetch`` on ``file://``), the saved
state of the explorers shown (decoder weights as base64, each distinct buffer once per page)
and a twenty-line model that stands in for the kernel. The explorers then decode in the page.

Why this and not nbconvert's own widget embedding or a book tool: nbconvert's HTML pages load
the ipywidgets HTML manager and every custom widget module from a CDN (no offline page without
vendoring them), Jupyter Book 2 shows widgets only through a directive of its own, and the
explorers need nothing but their module and their state, so a page of our own is short and
has no moving parts. Pages keep nbconvert's look (the ``lab`` template). Equations are typeset by
a local copy of MathJax 3 (``--mathjax FILE``: its single-file ``tex-svg-full.js``, which ``make
site`` takes from the npm registry's ``mathjax`` package), copied to ``site/mathjax/`` and loaded
as a classic script; nbconvert's link to MathJax on a CDN is removed. Without ``--mathjax`` the
equations show as LaTeX source. Nothing on a page fetches from the network.

The kernels run with ``VAE_TUTORIAL_WIDGET_WEIGHTS=float16`` (see :mod:`vae_tutorial.widgets`),
which halves the weights; each page states its size and must stay under ``--max-mb`` (10).

Usage::

    python tools/build_site.py [--out site] [--max-mb 10] [notebooks/NN-name.ipynb ...]

Without notebooks it builds every ``notebooks/NN-*.ipynb`` and ``index.html``.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import html
import json
import os
import pathlib
import re
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
ESM = ROOT / "vae_tutorial" / "explorer.js"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
STATE_KEYS = ("spec", "values", "rest", "t", "mu", "sigma", "sigma_scale", "eps", "index", "temperature", "classes",
              "z", "digit")

# Stands in for the kernel's widget model: get, set, on/off ("change:key"), save_changes (a no-op).
LOADER_JS = r"""
(function () {
  const data = JSON.parse(document.getElementById("vae-widget-data").textContent);
  const decoded = {};
  const bytes = (hash) => {
    if (!decoded[hash]) {
      const text = atob(data.buffers[hash]);
      const array = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) array[i] = text.charCodeAt(i);
      decoded[hash] = new DataView(array.buffer);
    }
    return decoded[hash];
  };
  const modelFor = (id) => {
    const entry = data.models[id];
    const state = JSON.parse(JSON.stringify(entry.state));
    for (const { path, hash } of entry.buffers) {
      let node = state;
      for (const key of path.slice(0, -1)) node = node[key];
      node[path[path.length - 1]] = bytes(hash);
    }
    const listeners = {};
    return {
      get: (key) => state[key],
      set: (key, value) => {
        state[key] = value;
        (listeners["change:" + key] || []).slice().forEach((f) => f());
      },
      on: (event, f) => (listeners[event] = listeners[event] || []).push(f),
      off: (event, f) => (listeners[event] = (listeners[event] || []).filter((g) => g !== f)),
      save_changes: () => {},
      send: () => {},
    };
  };
  for (const node of document.querySelectorAll(".vae-widget-mount")) {
    try {
      window.vaeExplorer.render({ model: modelFor(node.dataset.modelId), el: node });
      for (const still of node.querySelectorAll(".vae-still")) still.remove();
      node.dataset.rendered = "true";
    } catch (error) {
      node.dataset.error = String(error);
      console.error(error);
    }
  }
})();
"""

SITE_CSS = """
.vae-site-bar { font: 13px sans-serif; background: #f3f3f3; border-bottom: 1px solid #ddd; padding: 6px 12px; }
.vae-site-bar a { margin-right: 12px; }
.vae-still-note { font: 12px sans-serif; color: #555; }
"""


def runtime_js() -> str:
    """``explorer.js`` as a classic script that sets ``window.vaeExplorer`` (no ``import``/``export``)."""
    source = ESM.read_text(encoding="utf-8")
    source = re.sub(r"^export default ", "window.vaeExplorer = ", source, flags=re.M)
    source = re.sub(r"^export (function|const|class) ", r"\1 ", source, flags=re.M)
    if re.search(r"^\s*(import|export)\b", source, flags=re.M):
        raise ValueError("explorer.js must not import anything and may only export at top level")
    return source


def _script_text(text: str) -> str:
    return text.replace("</", "<\\/")  # a "</script>" inside a string would end the script element


def execute(path: pathlib.Path, *, timeout: int = 600, quiet: bool = True):
    """Run a notebook top to bottom in a fresh kernel (its folder as working directory); keep widget state.

    ``quiet`` drops what the kernel process itself writes to the terminal (ipykernel's warning about
    unencrypted local TCP, once per notebook); a failing cell still raises, with its error.
    """
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    saved = dict(os.environ)
    os.environ["VAE_TUTORIAL_WIDGET_WEIGHTS"] = "float16"  # the kernel inherits it
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    try:
        client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                                         resources={"metadata": {"path": str(path.parent)}})
        client.execute(**({"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL} if quiet else {}))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return nb


def explorer_data(nb) -> tuple[dict, set]:
    """The saved state of the explorers the notebook displays, and their model ids.

    Returns ``({"models": {id: {"state", "buffers": [{"path", "hash"}]}}, "buffers": {hash: base64}}, ids)``.
    """
    saved = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    shown = {out["data"][WIDGET_VIEW]["model_id"] for cell in nb.cells for out in cell.get("outputs", [])
             if WIDGET_VIEW in out.get("data", {})}
    models, buffers = {}, {}
    for model_id in sorted(shown):
        widget = saved.get(model_id)
        if not widget or "spec" not in widget.get("state", {}):
            continue  # not one of the explorers (e.g. an ipywidgets interact): it needs a kernel
        state = {key: widget["state"][key] for key in STATE_KEYS if key in widget["state"]}
        refs = []
        for buffer in widget.get("buffers", []):
            digest = hashlib.sha256(buffer["data"].encode("ascii")).hexdigest()[:16]
            buffers[digest] = buffer["data"]
            refs.append({"path": buffer["path"], "hash": digest})
        models[model_id] = {"state": state, "buffers": refs}
    return {"models": models, "buffers": buffers}, set(models)


def _mount(model_id: str, png: str | None) -> str:
    still = ""
    if png:
        still = (f'<img class="vae-still" alt="still picture of the explorer" src="data:image/png;base64,{png}">'
                 '<p class="vae-still vae-still-note">The interactive explorer needs JavaScript; '
                 'this is its still picture.</p>')
    return f'<div class="vae-widget-mount" data-model-id="{html.escape(model_id)}">{still}</div>'


def replace_widget_outputs(nb, explorers: set) -> None:
    """Explorer outputs become mount points; other widget outputs keep their still or text form, with a note."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_VIEW not in data:
                continue
            model_id = data[WIDGET_VIEW]["model_id"]
            if model_id in explorers:
                out["data"] = {"text/html": _mount(model_id, data.get("image/png"))}
            else:
                kept = {k: v for k, v in data.items() if k != WIDGET_VIEW}
                note = "<p class='vae-still-note'>(This widget needs a running kernel: open the notebook.)</p>"
                out["data"] = {"text/html": note, **({"image/png": kept["image/png"]} if "image/png" in kept else {})}


MATHJAX_BLOCK = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", flags=re.S)
# MathJax 3 reads its configuration from window.MathJax before it loads ($...$ inline, as in Jupyter).
MATHJAX_CONFIG = ("<script>window.MathJax = {tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']], "
                  "displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']], processEscapes: true}, "
                  "svg: {fontCache: 'global'}};</script>")


# The lab template's loader for Mermaid diagrams imports them from a CDN; the course has none.
MERMAID_LOADER = re.compile(r'<script type="module">(?:(?!</script>).)*?mermaid(?:(?!</script>).)*?</script>', flags=re.S)


def _local_mathjax(body: str, mathjax: str | None) -> str:
    """Replace nbconvert's CDN MathJax block by a local script (or by nothing); drop the CDN Mermaid loader."""
    local = f'{MATHJAX_CONFIG}\n<script src="{html.escape(mathjax)}"></script>' if mathjax else ""
    return MERMAID_LOADER.sub("", MATHJAX_BLOCK.sub(lambda m: local, body, count=1))


def page_html(nb, *, title: str, nav: str, mathjax: str | None = None) -> str:
    """One notebook (already executed) as a self-contained page with a size statement.

    ``mathjax``: the page-relative path of a local MathJax 3 script, or None (no typesetting).
    """
    from nbconvert import HTMLExporter

    nb = copy.deepcopy(nb)
    data, explorers = explorer_data(nb)
    replace_widget_outputs(nb, explorers)
    nb.metadata.pop("widgets", None)  # no nbconvert widget manager, no CDN scripts for it
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    body = _local_mathjax(body, mathjax)
    # Badge images live on other hosts: keep their links, show their words (offline pages load nothing).
    body = re.sub(r'<img alt="([^"]*)" src="https?://[^"]*"\s*/?>', r"\1", body)
    body = re.sub(r'href="((?:\d\d-[\w-]+))\.ipynb', r'href="\1.html', body)
    body = re.sub(r'<script src="[^"]*require[^"]*"></script>', "", body)  # only nbconvert's widget manager needs it
    body = re.sub(r"<title>.*?</title>", f"<title>{html.escape(title)}</title>", body, count=1, flags=re.S)
    scripts = (f'<script type="application/json" id="vae-widget-data">{_script_text(json.dumps(data))}</script>\n'
               f"<script>{_script_text(runtime_js())}</script>\n<script>{_script_text(LOADER_JS)}</script>\n")
    weights = sum(len(b) for b in data["buffers"].values())
    of_it = f"; the explorers' decoder weights are {weights / 1e6:.1f} MB of it" if weights else ""
    bar = ('<div class="vae-site-bar">' + nav + ' <span class="vae-site-size">This page: {size}, '
           f"everything inline{of_it}. It needs no kernel and no network.</span></div>")
    body = body.replace("</head>", f"<style>{SITE_CSS}</style>\n</head>", 1)
    body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + bar, body, count=1)
    body = body.replace("</body>", scripts + "</body>", 1)
    return _with_size(body)


def _with_size(page: str) -> str:
    """Fill in the page's own size (a few bytes change; iterate until the stated size is the size)."""
    size = ""
    for _ in range(3):
        text = page.replace("{size}", size)
        new = f"{len(text.encode('utf-8')) / 1e6:.1f} MB"
        if new == size:
            break
        size = new
    return page.replace("{size}", size)


def title_of(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^# (.+)$", cell.source, flags=re.M)
            if match:
                return match.group(1).strip()
    return fallback


def index_html(pages: list[tuple[str, str, int]]) -> str:
    rows = "\n".join(f'<li><a href="{html.escape(name)}">{html.escape(title)}</a> ({size / 1e6:.1f} MB)</li>'
                     for name, title, size in pages)
    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>VAE tutorial</title>"
            f"<style>body {{ font: 15px sans-serif; max-width: 50em; margin: 2em auto; }}</style></head><body>"
            "<h1>Autoencoders, VAEs and the reparameterization trick</h1>"
            "<p>The course as static pages, built from a fresh run of every notebook. Every explorer on these "
            "pages decodes in your browser: no kernel, no network. To change the code, open the notebooks "
            "in Jupyter.</p>"
            f"<ol>{rows}</ol><p>This page: {{size}}.</p></body></html>")
    return _with_size(page)


def build(paths: list[pathlib.Path], out: pathlib.Path, *, max_mb: float = 10.0, index: bool = True,
          mathjax: pathlib.Path | None = None) -> list:
    """Execute and convert ``paths`` into ``out``; returns ``[(file name, title, bytes)]``. Raises if a page is too big.

    ``mathjax``: a MathJax 3 single-file script (``tex-svg-full.js``), copied to ``out/mathjax/``.
    """
    out.mkdir(parents=True, exist_ok=True)
    local_mathjax = None
    if mathjax is not None:
        if not mathjax.is_file():
            raise FileNotFoundError(f"--mathjax: no file {mathjax} (expected MathJax 3's es5/tex-svg-full.js)")
        (out / "mathjax").mkdir(exist_ok=True)
        (out / "mathjax" / mathjax.name).write_bytes(mathjax.read_bytes())
        local_mathjax = f"mathjax/{mathjax.name}"
    pages, failures = [], []
    names = [p.with_suffix(".html").name for p in paths]
    if paths:
        print(f"build_site: running {len(paths)} notebook{'s' if len(paths) != 1 else ''} afresh into {out} "
              "(about as long as running them in class)", flush=True)
    for k, path in enumerate(paths):
        start = time.perf_counter()
        print(f"  [{k + 1:2d}/{len(paths)}] {path.name}: ", end="", flush=True)
        try:
            nb = execute(path)
        except Exception as error:  # report, build the others, fail at the end
            failures.append(f"{path.name}: {type(error).__name__}: {str(error)[:300]}")
            print("FAILED", flush=True)
            continue
        title = title_of(nb, path.stem)
        links = ['<a href="index.html">Contents</a>']
        if k > 0:
            links.append(f'<a href="{names[k - 1]}">&lt; previous</a>')
        if k + 1 < len(paths):
            links.append(f'<a href="{names[k + 1]}">next &gt;</a>')
        page = page_html(nb, title=title, nav=" ".join(links), mathjax=local_mathjax)
        target = out / names[k]
        target.write_text(page, encoding="utf-8")
        size = target.stat().st_size
        pages.append((names[k], title, size))
        print(f"{names[k]}, {size / 1e6:.1f} MB ({time.perf_counter() - start:.0f} s)", flush=True)
        if size > max_mb * 1e6:
            failures.append(f"{names[k]} is {size / 1e6:.1f} MB, over the {max_mb:g} MB limit")
    if index:
        (out / "index.html").write_text(index_html(pages), encoding="utf-8")
        if pages:
            print(f"build_site: open {out / 'index.html'} in any browser (no kernel, no network needed)", flush=True)
    if failures:
        raise RuntimeError("site build failed:\n" + "\n".join(failures))
    return pages


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "site")
    parser.add_argument("--max-mb", type=float, default=10.0)
    parser.add_argument("--mathjax", type=pathlib.Path, default=None,
                        help="MathJax 3 es5/tex-svg-full.js to typeset equations offline")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    try:
        build([p.resolve() for p in paths], args.out, max_mb=args.max_mb, mathjax=args.mathjax)
    except RuntimeError as error:
        sys.exit(str(error))


if __name__ == "__main__":
    main()
