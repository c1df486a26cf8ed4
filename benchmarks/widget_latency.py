"""Latency of a latent-explorer update: decoding in the browser against a kernel round trip.

Three widgets show the pretrained 2-D VAE's decoding of the code set by two sliders with the
same ranges and steps, in one JupyterLab page (one kernel):

* ``LatentExplorer`` (``vae_tutorial.widgets``): the weights are in the browser; a key press
  decodes in JavaScript and paints a canvas in the key's own event handler.
* the kernel-side explorer the course had before (a copy is below, ``KERNEL_EXPLORER``): every
  slider change goes to the kernel, a jitted decoder makes the digit, Pillow a PNG, and an
  ``ipywidgets.Image`` brings it back (the map with its marker is left out here);
* ``ipywidgets.interact`` + matplotlib, the recipe found in most tutorials.

What is measured (headless Chromium driving JupyterLab, as ``tests/test_browser.py`` does):

* key press to new pixels: from the ``keydown`` event on a focused slider to the moment the new
  pixels exist (the canvas was repainted: a MutationObserver sees its ``data-draws`` change;
  for the image widgets the new ``<img>`` has decoded), and to the next animation frame after
  that (``requestAnimationFrame``: the physical floor of "on screen", 16.7 ms at 60 Hz). Each
  widget's slider is focused once and then pressed ``--presses`` times (plus a warm-up), with
  ``--settle-ms`` between presses: focusing another output makes JupyterLab activate its cell,
  work that delays the next key event (about 10 ms here) and that a hand on the keys does not
  repeat. The clock starts at the key event's own time stamp. p50 and p95 per widget and the
  ratios; for the in-browser explorer also its own decode-and-paint time.
* dragging on the pad: Playwright moves the mouse over the map with the button down
  (``--moves`` pointer moves); reported: decodes per second while dragging, pointer moves per
  decode, and animation frames during the drag whose gap exceeded 1.5 frames (dropped frames).
* the same key presses and drag on a static page built by ``tools/build_site.py``, opened from
  ``file://`` with no kernel.

The kernel, the server and Chromium share the cores: run it on a quiet machine.

Usage::

    python benchmarks/widget_latency.py [--presses 40] [--moves 300] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import sys
import tempfile

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import browser  # noqa: E402  (Jupyter + Chromium helpers, shared with the browser tests)
import build_site  # noqa: E402
from sysinfo import cpu_model, usable_cores, version  # noqa: E402

MODEL = "vae-2d"
VERSIONED = ("jax", "jaxlib", "flax", "numpy", "ipywidgets", "anywidget", "jupyterlab", "jupyterlab_widgets",
             "ipykernel", "matplotlib", "pillow", "playwright")

# The kernel-side explorer of the previous version (digit only), kept here for comparison.
KERNEL_EXPLORER = '''\
import functools, io
import ipywidgets, jax, jax.numpy as jnp, numpy as np
from flax import nnx
from PIL import Image as PILImage


@functools.partial(jax.jit, static_argnames=("graphdef",))
def _pixels(graphdef, state, z):
    image = nnx.merge(graphdef, state).decode(z)
    pixels = jnp.round((1.0 - image) * 255.0).astype(jnp.uint8)
    return jnp.repeat(jnp.repeat(pixels, 6, axis=1), 6, axis=2)


class KernelExplorer(ipywidgets.HBox):
    def __init__(self, model, like):
        self.graphdef, self.state = nnx.split(model)
        self.sliders = [ipywidgets.FloatSlider(value=s.value, min=s.min, max=s.max, step=s.step,
                                               description=s.description) for s in like.sliders]
        self.image = ipywidgets.Image(format="png", width=168, height=168)
        for s in self.sliders:
            s.observe(lambda _: self.render(), names="value")
        super().__init__([ipywidgets.VBox(self.sliders), self.image])
        self.add_class("bench-kernel")
        self.render()

    def render(self):
        z = jnp.asarray([[s.value for s in self.sliders]], dtype=jnp.float32)
        buffer = io.BytesIO()
        PILImage.fromarray(np.asarray(_pixels(self.graphdef, self.state, z))[0]).save(buffer, "PNG", compress_level=1)
        self.image.value = buffer.getvalue()
'''

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
'''

NOTEBOOK_CELLS = [
    "%matplotlib inline\n"
    "from vae_tutorial import data, pretrained, widgets\n"
    "mnist = data.load_mnist()\n"
    f"model = pretrained.load({MODEL!r})",
    "explorer = widgets.LatentExplorer(model, mnist.test_images, mnist.test_labels)\nexplorer",
    KERNEL_EXPLORER + "kernel_explorer = KernelExplorer(model, explorer)\nkernel_explorer",
    INTERACT_SOURCE
    + "conventional = ipywidgets.interactive(show, **{s.description: ipywidgets.FloatSlider(value=s.value, min=s.min,"
    " max=s.max, step=s.step, description=s.description) for s in explorer.sliders})\n"
    "conventional.add_class('bench-interact')\nconventional",
    "print('cells done')",
]
SITE_CELLS = [
    "from vae_tutorial import data, pretrained, widgets\nmnist = data.load_mnist()",
    f"widgets.LatentExplorer(pretrained.load({MODEL!r}), mnist.test_images, mnist.test_labels)",
]

# name -> (root, what to focus, what changes, kind)
LAB_WIDGETS = {
    "browser": (".vae-latent-explorer", "input.vae-slider-input", "canvas.vae-latent-image", "canvas"),
    "kernel": (".bench-kernel", ".noUi-handle", "img", "img"),
    "interact": (".bench-interact", ".noUi-handle", "img", "img"),
}
LABELS = {"browser": "LatentExplorer (decodes in the browser)", "kernel": "kernel-side explorer (before)",
          "interact": "interact + matplotlib"}

# Page-side clock: keydown inside a widget (the event's own time stamp) -> its new pixels -> the next frame.
# Time stamps rather than a start/stop pair: the explorer handles the key at the window, before
# any other listener could start a clock.
INSTALL_PROBES = """widgets => {
  window.__latency = {};
  for (const [name, root, , target, kind] of widgets) {
    const node = document.querySelector(root);
    const state = {node, key: -1, pixels: -1, frame: -1};
    const painted = () => {
      state.pixels = performance.now();
      requestAnimationFrame(() => (state.frame = performance.now()));
    };
    if (kind === "canvas") {
      new MutationObserver(painted).observe(node.querySelector(target), {attributes: true, attributeFilter: ["data-draws"]});
    } else {
      let last = node.querySelector(target), lastSrc = last && last.src;
      new MutationObserver(() => {
        const img = node.querySelector(target);
        if (!img || !img.src || (img === last && img.src === lastSrc)) return;
        last = img; lastSrc = img.src;
        img.decode().catch(() => null).then(painted);
      }).observe(node, {subtree: true, childList: true, attributes: true, attributeFilter: ["src"]});
    }
    window.__latency[name] = state;
  }
  window.addEventListener("keydown", event => {
    for (const state of Object.values(window.__latency))
      if (state.node.contains(event.target)) state.key = event.timeStamp;
  }, true);
}"""

FRAME_CLOCK = """() => {
  window.__frames = [];
  const tick = t => { window.__frames.push(t); if (window.__frames.length < 100000) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
}"""


def machine() -> dict:
    return {"cpu": cpu_model(), "cores": usable_cores(), "platform": platform.platform(),
            "python": platform.python_version(), **{name: version(name) for name in VERSIONED}}


def percentiles(samples_ms) -> dict:
    a = np.asarray(samples_ms, dtype=np.float64)
    return {"n": int(len(a)), "p50_ms": float(np.percentile(a, 50)), "p95_ms": float(np.percentile(a, 95)),
            "max_ms": float(a.max())}


def press_keys(page, widgets: dict, presses: int, settle_ms: int = 120) -> dict:
    page.evaluate(INSTALL_PROBES, [[n, *spec] for n, spec in widgets.items()])
    samples = {name: {"pixels": [], "frames": []} for name in widgets}
    # One widget at a time, focused once, as a hand on the keyboard would: focusing another cell's
    # output makes JupyterLab activate that cell, work that would delay the next key event.
    for name, (root, focus, _, _) in widgets.items():
        page.focus(f"{root} {focus} >> nth=0")
        for i in range(presses + 1):  # the first press on each widget is a warm-up
            before = page.evaluate("n => window.__latency[n].key", name)
            page.keyboard.press("ArrowRight" if (i // 10) % 2 == 0 else "ArrowLeft")
            try:
                page.wait_for_function("([n, k]) => { const s = window.__latency[n];"
                                       " return s.key !== k && s.pixels >= s.key && s.frame >= s.pixels; }",
                                       arg=[name, before], timeout=30_000)
            except Exception as error:
                state = page.evaluate("n => { const s = window.__latency[n]; return [s.key, s.pixels, s.frame]; }", name)
                raise RuntimeError(f"no new pixels from {name} after a key press (key, pixels, frame: {state})") from error
            s = page.evaluate("n => { const s = window.__latency[n]; const c = s.node.querySelector("
                              "'canvas.vae-latent-image'); return [s.key, s.pixels, s.frame, c ? Number(c.dataset.ms) : -1]; }",
                              name)
            if i > 0:
                samples[name]["pixels"].append(s[1] - s[0])
                samples[name]["frames"].append(s[2] - s[0])
                samples[name].setdefault("decode", []).append(s[3])
            page.wait_for_timeout(settle_ms)
    out = {name: {"to_pixels": percentiles(v["pixels"]), "to_next_frame": percentiles(v["frames"])}
           for name, v in samples.items()}
    for name, v in samples.items():
        if min(v["decode"]) >= 0:  # the explorer's own decode-and-paint time inside the key's handler
            out[name]["decode_and_paint"] = percentiles(v["decode"])
    return out


def drag(page, root: str, moves: int) -> dict:
    """Drag across the pad with the button down; decodes per second and frames dropped meanwhile."""
    overlay = page.locator(f"{root} canvas.vae-pad-overlay")
    overlay.scroll_into_view_if_needed()
    box = overlay.bounding_box()
    x0, y0 = box["x"] + 0.25 * box["width"], box["y"] + 0.3 * box["height"]
    x1, y1 = box["x"] + 0.7 * box["width"], box["y"] + 0.7 * box["height"]
    draws = f"() => Number(document.querySelector('{root} canvas.vae-latent-image').dataset.draws)"
    page.mouse.move(x0, y0)
    page.evaluate(FRAME_CLOCK)
    page.wait_for_timeout(200)
    start_draws = page.evaluate(draws)
    start = page.evaluate("() => performance.now()")
    page.mouse.down()
    for k in range(1, moves + 1):  # back and forth along the diagonal
        f = (k % 100) / 100 if (k // 100) % 2 == 0 else 1 - (k % 100) / 100
        page.mouse.move(x0 + f * (x1 - x0), y0 + f * (y1 - y0))
    page.mouse.up()
    end = page.evaluate("() => performance.now()")
    page.wait_for_timeout(100)
    decoded = page.evaluate(draws) - start_draws
    frames = np.asarray(page.evaluate("([a, b]) => window.__frames.filter(t => t >= a && t <= b)", [start, end]))
    gaps = np.diff(frames)
    interval = float(np.median(gaps)) if len(gaps) else float("nan")
    seconds = (end - start) / 1e3
    return {"pointer_moves": moves, "seconds": seconds, "decodes": int(decoded),
            "decodes_per_second": decoded / seconds, "moves_per_second": moves / seconds,
            "frames": int(len(frames)), "frame_interval_ms": interval,
            "frames_dropped": int(np.sum(np.round(gaps / interval) - 1)) if len(gaps) else 0}


SYNTHETIC_DRAG = """([root, ms, hz]) => new Promise(resolve => {
  const overlay = document.querySelector(root + " canvas.vae-pad-overlay");
  const canvas = document.querySelector(root + " canvas.vae-latent-image");
  const r = overlay.getBoundingClientRect();
  const [x0, y0, x1, y1] = [r.left + 0.3 * r.width, r.top + 0.35 * r.height, r.left + 0.7 * r.width, r.top + 0.7 * r.height];
  const send = (type, f) => overlay.dispatchEvent(new PointerEvent(type, {clientX: x0 + f * (x1 - x0),
    clientY: y0 + f * (y1 - y0), pointerId: 1, pointerType: "mouse", isPrimary: true, buttons: 1, bubbles: true}));
  const frames = [];
  let running = true;
  const tick = t => { frames.push(t); if (running) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  const d0 = Number(canvas.dataset.draws);
  send("pointerdown", 0);
  let k = 0;
  const t0 = performance.now();
  const timer = setInterval(() => {
    k++;
    send("pointermove", (k % 100) / 100);
    if (performance.now() - t0 < ms) return;
    clearInterval(timer);
    send("pointerup", 1);
    running = false;
    const t1 = performance.now();
    setTimeout(() => resolve({moves: k, seconds: (t1 - t0) / 1000, decodes: Number(canvas.dataset.draws) - d0,
                              frames: frames.filter(t => t >= t0 && t <= t1)}), 50);
  }, 1000 / hz);
})"""


def synthetic_drag(page, root: str, *, seconds: float = 2.0, hz: int = 250) -> dict:
    """Pointer moves dispatched in the page at ``hz`` (faster than frames): decodes are capped at one per frame."""
    page.locator(f"{root} canvas.vae-pad-overlay").scroll_into_view_if_needed()
    r = page.evaluate(SYNTHETIC_DRAG, [root, seconds * 1e3, hz])
    gaps = np.diff(np.asarray(r["frames"]))
    interval = float(np.median(gaps))
    return {"pointer_moves": r["moves"], "seconds": r["seconds"], "decodes": r["decodes"],
            "decodes_per_second": r["decodes"] / r["seconds"], "moves_per_second": r["moves"] / r["seconds"],
            "frames": len(r["frames"]), "frame_interval_ms": interval,
            "frames_dropped": int(np.sum(np.round(gaps / interval) - 1))}


def lab_run(presses: int, moves: int, settle_ms: int = 120) -> dict:
    with tempfile.TemporaryDirectory(prefix="vae-tutorial-bench-") as tmp:
        browser.write_notebook(pathlib.Path(tmp) / "latency.ipynb", NOTEBOOK_CELLS)
        with browser.jupyter_server(pathlib.Path(tmp)) as (base, token), browser.chromium_page() as page:
            chromium = page.context.browser.version
            browser.open_and_run_all(page, base, token, "latency.ipynb")
            page.wait_for_selector(".jp-OutputArea-output:has-text('cells done')", timeout=300_000)
            for root, _, target, _ in LAB_WIDGETS.values():
                page.wait_for_selector(f"{root} {target}", timeout=60_000)
            result = press_keys(page, LAB_WIDGETS, presses, settle_ms)
            result["drag"] = drag(page, ".vae-latent-explorer", moves)
            result["fast_drag"] = synthetic_drag(page, ".vae-latent-explorer")
            errors = browser.widget_errors(page)
    if errors:
        raise RuntimeError(f"a widget showed an error in the browser: {errors}")
    result["chromium"] = chromium
    return result


def static_run(presses: int, moves: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="vae-tutorial-bench-site-") as tmp:
        notebook = browser.write_notebook(pathlib.Path(tmp) / "01-latency.ipynb", SITE_CELLS)
        build_site.build([notebook], pathlib.Path(tmp) / "site", index=False)
        with browser.chromium_page() as page:
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:", "blob:"))
                       else r.abort())
            page.goto((pathlib.Path(tmp) / "site" / "01-latency.html").as_uri())
            page.wait_for_selector(".vae-latent-explorer canvas.vae-latent-image", timeout=30_000)
            result = press_keys(page, {"browser": LAB_WIDGETS["browser"]}, presses)
            result["drag"] = drag(page, ".vae-latent-explorer", moves)
            result["fast_drag"] = synthetic_drag(page, ".vae-latent-explorer")
    return result


def report(title: str, result: dict) -> None:
    print(f"\n{title}")
    for name, label in LABELS.items():
        if name not in result:
            continue
        px, fr = result[name]["to_pixels"], result[name]["to_next_frame"]
        print(f"  {label:42s} to pixels p50 {px['p50_ms']:6.1f} ms p95 {px['p95_ms']:6.1f} ms | "
              f"to next frame p50 {fr['p50_ms']:6.1f} ms p95 {fr['p95_ms']:6.1f} ms")
    if "decode_and_paint" in result.get("browser", {}):
        d = result["browser"]["decode_and_paint"]
        print(f"  (of which the explorer's decode and paint: p50 {d['p50_ms']:.2f} ms, p95 {d['p95_ms']:.2f} ms)")
    if "kernel" in result:
        for other in ("kernel", "interact"):
            ratio = result[other]["to_pixels"]["p50_ms"] / result["browser"]["to_pixels"]["p50_ms"]
            result[f"p50_ratio_{other}_over_browser"] = ratio
            print(f"  p50 ratio {LABELS[other]} / in-browser explorer (to pixels): {ratio:.0f}x")
    for key, what in (("drag", "drag on the pad (Playwright mouse)"), ("fast_drag", "drag, moves sent in the page")):
        d = result[key]
        print(f"  {what}: {d['pointer_moves']} pointer moves in {d['seconds']:.2f} s "
              f"({d['moves_per_second']:.0f} per second), {d['decodes']} decodes ({d['decodes_per_second']:.0f} per "
              f"second), {d['frames']} frames of {d['frame_interval_ms']:.1f} ms, {d['frames_dropped']} dropped")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--presses", type=int, default=40, help="timed key presses per widget")
    parser.add_argument("--moves", type=int, default=300, help="pointer moves in the drag")
    parser.add_argument("--settle-ms", type=int, default=120, help="pause after each update before the next press")
    parser.add_argument("--lab-only", action="store_true", help="skip the static page")
    parser.add_argument("--json", type=pathlib.Path, help="also write the results here")
    args = parser.parse_args(argv)
    results = {"machine": machine(), "model": MODEL}
    print("machine: " + ", ".join(f"{k} {v}" for k, v in results["machine"].items()), flush=True)
    reason = browser.chromium_missing_reason()
    if reason:
        print(f"skipped: {reason}")
        return results
    results["settle_ms"] = args.settle_ms
    results["jupyterlab"] = lab_run(args.presses, args.moves, args.settle_ms)
    report(f"JupyterLab {version('jupyterlab')}, headless Chromium {results['jupyterlab']['chromium']}: "
           f"{args.presses} key presses per widget", results["jupyterlab"])
    if not args.lab_only:
        results["static_page"] = static_run(args.presses, args.moves)
        report("static page from file:// (tools/build_site.py), no kernel", results["static_page"])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
