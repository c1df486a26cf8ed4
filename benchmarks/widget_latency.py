"""Latency of a latent-slider update: ``LatentExplorer`` against ``ipywidgets.interact`` + matplotlib.

Both show the pretrained 2-D VAE's decoding of the code set by two sliders with the same ranges
and steps (the explorer's). The conventional version is the one found in most tutorials::

    def show(z1, z2):
        image = np.asarray(model.decode(jnp.array([[z1, z2]], dtype=jnp.float32)))[0]
        plt.figure(figsize=(2.5, 2.5)); plt.imshow(image, cmap="gray", vmin=0, vmax=1)
        plt.axis("off"); plt.title(f"z = ({z1:.2f}, {z2:.2f})"); plt.show()
    interact(show, z1=FloatSlider(...), z2=FloatSlider(...))

What is measured:

* kernel (in this Python process, no front end attached, so sending the comm message costs
  nothing): the time from ``slider.value = v`` to the new PNG bytes, p50 and p99 over
  ``--changes`` changes sweeping the first slider's range after a warm-up. For the explorer
  that is its observer: jitted decode, PNG encoding of the digit and of the map with the marker
  pasted. For ``interact`` it is the function body as ``plt.show()`` runs it under Jupyter's
  inline backend: eager decode, new figure, ``imshow``, Agg draw and PNG encoding
  (``IPython.core.pylabtools.print_figure``, as ``matplotlib_inline`` calls it), figure closed.
* browser: JupyterLab and headless Chromium (the set-up of ``tests/test_browser.py``) run a
  notebook that shows the widgets in one kernel. For each of ``--presses`` key presses on each
  widget (alternately, ArrowRight and ArrowLeft on its first slider's handle), the page records
  the time from the ``keydown`` event to the frame after the new image has been decoded (a
  MutationObserver sees the new ``src``/``<img>``, then ``img.decode()`` and
  ``requestAnimationFrame``). This includes the kernel round trip and the browser's work.
  The first press on each widget is a warm-up and is not counted. Reported: p50 (and p90) per
  widget, the ratio interact / explorer, and how many images arrived with no press pending
  (they are tracked, so that none is taken for the answer to the next press). A third widget
  gives the floor of this path: a slider whose observer only swaps between two ready-made digit
  PNGs, so its latency is the Jupyter round trip and the browser's work alone.

Run it on a quiet machine: the kernel, the server and Chromium share the cores, so other load
lengthens the browser figures of both widgets.

Usage::

    python benchmarks/widget_latency.py [--changes 500] [--presses 50] [--no-browser] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import sys
import tempfile
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import test_browser  # noqa: E402  (JupyterLab + Chromium helpers, shared with the browser test)
from sysinfo import cpu_model, usable_cores, version  # noqa: E402

MODEL = "vae-2d"
VERSIONED = ("jax", "jaxlib", "flax", "numpy", "ipywidgets", "jupyterlab", "jupyterlab_widgets", "ipykernel",
             "matplotlib", "matplotlib-inline", "pillow", "playwright")

# The conventional widget, run in-process for (a) and in the notebook for (b): one source.
INTERACT_SOURCE = '''\
import ipywidgets
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np


def show(z1, z2):
    image = np.asarray(model.decode(jnp.array([[z1, z2]], dtype=jnp.float32)))[0]
    plt.figure(figsize=(2.5, 2.5))
    plt.imshow(image, cmap="gray", vmin=0, vmax=1)
    plt.axis("off")
    plt.title(f"z = ({z1:.2f}, {z2:.2f})")
    plt.show()


def slider_like(s):
    return ipywidgets.FloatSlider(value=s.value, min=s.min, max=s.max, step=s.step, description=s.description)
'''

NOTEBOOK_CELLS = [
    "%matplotlib inline\n"
    "from vae_tutorial import data, pretrained, widgets\n"
    "mnist = data.load_mnist()\n"
    f"model = pretrained.load({MODEL!r})",
    "explorer = widgets.LatentExplorer(model, mnist.test_images, mnist.test_labels)\n"
    "explorer",
    INTERACT_SOURCE
    + "conventional = ipywidgets.interactive(show, **{s.description: slider_like(s) for s in explorer.sliders})\n"
    "conventional.add_class('bench-interact')\n"
    "conventional",
    # The floor: a slider whose observer only swaps in one of two ready-made PNGs (no decoding).
    "pngs = [explorer.image.value]\n"
    "explorer.sliders[1].value += explorer.sliders[1].step  # a second, different digit PNG\n"
    "pngs.append(explorer.image.value)\n"
    "floor_slider = ipywidgets.FloatSlider(value=0.0, min=-1.0, max=1.0, step=0.1, description='floor')\n"
    "floor_image = ipywidgets.Image(value=pngs[0], format='png')\n"
    "floor_image.add_class('bench-floor-image')\n"
    "floor_slider.observe(lambda c: setattr(floor_image, 'value', pngs[round(c['new'] * 10) % 2]), 'value')\n"
    "floor = ipywidgets.HBox([floor_slider, floor_image])\n"
    "floor.add_class('bench-floor')\n"
    "floor",
    "print('cells done')",
]

# Page-side clock: keydown on a widget -> its new image decoded and painted.
INSTALL_PROBES = """roots => {
  window.__latency = {};
  for (const [name, sel, imgSel] of roots) {
    const root = document.querySelector(sel);
    const state = {root, imgSel, t0: null, samples: [], lastImg: null, lastSrc: null};
    const current = () => root.querySelector(imgSel);
    state.lastImg = current(); state.lastSrc = state.lastImg && state.lastImg.src;
    new MutationObserver(() => {
      const img = current();
      if (!img || !img.src || (img === state.lastImg && img.src === state.lastSrc)) return;
      // Track every new image, also one that arrives with no press pending (e.g. a late
      // duplicate), so that it is never mistaken for the answer to the next press.
      state.lastImg = img; state.lastSrc = img.src;
      if (state.t0 === null) { state.unasked = (state.unasked || 0) + 1; return; }
      const t0 = state.t0; state.t0 = null;
      img.decode().catch(() => null)
        .then(() => requestAnimationFrame(() => state.samples.push(performance.now() - t0)));
    }).observe(root, {subtree: true, childList: true, attributes: true, attributeFilter: ["src"]});
    window.__latency[name] = state;
  }
  document.addEventListener("keydown", event => {
    for (const state of Object.values(window.__latency))
      if (state.root.contains(event.target)) state.t0 = performance.now();
  }, true);
}"""

WIDGETS = {  # name -> (root selector, image selector inside it)
    "explorer": (".vae-latent-explorer", "img.vae-latent-image"),
    "interact": (".bench-interact", "img"),
    "floor": (".bench-floor", "img.bench-floor-image"),
}
LABELS = {"explorer": "LatentExplorer (digit + map)", "interact": "interact + matplotlib",
          "floor": "floor: swap in a ready PNG"}


# ------------------------------------------------------------------------------------------
# Machine and versions
# ------------------------------------------------------------------------------------------

def machine() -> dict:
    return {"cpu": cpu_model(), "cores": usable_cores(), "platform": platform.platform(),
            "python": platform.python_version(), **{name: version(name) for name in VERSIONED}}


def percentiles(samples_ms: list[float]) -> dict:
    a = np.asarray(samples_ms)
    return {"n": len(a), "p50_ms": float(np.percentile(a, 50)), "p90_ms": float(np.percentile(a, 90)),
            "p99_ms": float(np.percentile(a, 99))}


# ------------------------------------------------------------------------------------------
# (a) In the kernel
# ------------------------------------------------------------------------------------------


def _sweep(slider, n: int) -> list[float]:
    """``n`` distinct values going back and forth over the slider's range."""
    values = np.linspace(slider.min, slider.max, 97)
    values = np.concatenate([values, values[-2:0:-1]])
    return [float(values[i % len(values)]) for i in range(n)]


def time_changes(set_value, values, new_png) -> list[float]:
    """Milliseconds from ``set_value(v)`` to the return of new PNG bytes, for each value."""
    times = []
    for v in values:
        old = new_png()
        start = time.perf_counter()
        set_value(v)
        png = new_png()
        times.append((time.perf_counter() - start) * 1e3)
        assert png is not old, "the update did not produce new PNG bytes"
    return times


def kernel_latency(changes: int, warmup: int = 20) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from IPython.core.pylabtools import print_figure

    from vae_tutorial import data, pretrained, widgets

    mnist = data.load_mnist()
    model = pretrained.load(MODEL)
    explorer = widgets.LatentExplorer(model, mnist.test_images, mnist.test_labels)
    slider = explorer.sliders[0]
    values = _sweep(slider, warmup + changes)

    def set_slider(v):
        slider.value = v

    ours = time_changes(set_slider, values, lambda: explorer.image.value)[warmup:]

    namespace = {"model": model}
    exec(INTERACT_SOURCE, namespace)
    last = {"png": b""}

    def inline_show():
        # What plt.show() does under Jupyter's inline backend: draw and encode each figure, close it.
        for number in plt.get_fignums():
            last["png"] = print_figure(plt.figure(number), "png", bbox_inches="tight")
            plt.close(number)

    plt.show = inline_show

    def show_inline(v):
        namespace["show"](v, explorer.sliders[1].value)

    theirs = time_changes(show_inline, values, lambda: last["png"])[warmup:]
    return {"explorer": percentiles(ours), "interact": percentiles(theirs)}


# ------------------------------------------------------------------------------------------
# (b) In the browser
# ------------------------------------------------------------------------------------------


def browser_latency(presses: int, settle_ms: int = 150) -> dict:
    with tempfile.TemporaryDirectory(prefix="vae-tutorial-bench-") as tmp:
        test_browser.write_notebook(pathlib.Path(tmp) / "latency.ipynb", NOTEBOOK_CELLS)
        with test_browser.jupyter_lab(pathlib.Path(tmp)) as (base, token), test_browser.chromium_page() as page:
            browser_version = page.context.browser.version
            test_browser.open_and_run_all(page, base, token, "latency.ipynb")
            page.wait_for_selector(".jp-OutputArea-output:has-text('cells done')", timeout=180_000)
            for root, img in WIDGETS.values():
                page.wait_for_function("sel => (document.querySelector(sel) || {}).src", arg=f"{root} {img}",
                                       timeout=60_000)
            page.evaluate(INSTALL_PROBES, [[name, root, img] for name, (root, img) in WIDGETS.items()])
            for i in range(presses + 1):  # the first press on each widget is a warm-up
                for name, (root, _) in WIDGETS.items():
                    count = page.evaluate("name => window.__latency[name].samples.length", name)
                    page.focus(f"{root} .noUi-handle >> nth=0")
                    page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
                    page.wait_for_function("([name, n]) => window.__latency[name].samples.length > n",
                                           arg=[name, count], timeout=30_000)
                    page.wait_for_timeout(settle_ms)
            errors = test_browser.widget_errors(page)
            probes = page.evaluate("() => Object.fromEntries(Object.entries(window.__latency)"
                                   ".map(([k, s]) => [k, {samples: s.samples, unasked: s.unasked || 0}]))")
    if errors:
        raise RuntimeError(f"a widget showed an error in the browser: {errors}")
    result = {}
    for name, probe in probes.items():
        result[name] = percentiles(probe["samples"][1:])
        result[name]["images_without_a_press"] = probe["unasked"]
    result["chromium"] = browser_version
    return result


# ------------------------------------------------------------------------------------------


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=500, help="slider changes timed in the kernel")
    parser.add_argument("--presses", type=int, default=50, help="key presses timed in the browser, per widget")
    parser.add_argument("--no-browser", action="store_true", help="skip the JupyterLab + Chromium part")
    parser.add_argument("--json", type=pathlib.Path, help="also write the results here")
    args = parser.parse_args(argv)

    results = {"machine": machine(), "model": MODEL}
    print("machine: " + ", ".join(f"{k} {v}" for k, v in results["machine"].items()), flush=True)

    kernel = results["kernel"] = kernel_latency(args.changes)
    print(f"\n(a) kernel: slider change -> new PNG bytes, {args.changes} changes")
    for name, label in (("explorer", "LatentExplorer (digit + map)"), ("interact", "interact + matplotlib")):
        r = kernel[name]
        print(f"  {label:32s} p50 {r['p50_ms']:7.2f} ms   p99 {r['p99_ms']:7.2f} ms")
    print(f"  p50 ratio interact / explorer: {kernel['interact']['p50_ms'] / kernel['explorer']['p50_ms']:.1f}x")

    if args.no_browser:
        print("\n(b) browser: skipped (--no-browser)")
    elif (reason := test_browser.chromium_missing_reason()) is not None:
        print(f"\n(b) browser: skipped ({reason})")
    else:
        browser = results["browser"] = browser_latency(args.presses)
        print(f"\n(b) browser: key press -> new image painted, {args.presses} presses per widget, "
              f"JupyterLab {version('jupyterlab')}, headless Chromium {browser['chromium']}")
        for name, label in LABELS.items():
            r = browser[name]
            print(f"  {label:32s} p50 {r['p50_ms']:7.1f} ms   p90 {r['p90_ms']:7.1f} ms"
                  f"   (images shown with no press pending: {r['images_without_a_press']})")
        ratio = browser["interact"]["p50_ms"] / browser["explorer"]["p50_ms"]
        browser["p50_ratio"] = ratio
        print(f"  p50 ratio interact / explorer: {ratio:.1f}x")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
