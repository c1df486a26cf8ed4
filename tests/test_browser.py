"""Real browsers drive the explorers: JupyterLab 4, Notebook 7, and the static site from file://.

Headless Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright; helpers in
``tools/browser.py``) checks that a slider key press and a drag on the pad repaint the canvas,
that the pixels painted agree with ``model.decode`` within one grey level at the code shown,
that the explorer keeps working while a cell keeps the kernel busy (and the kernel learns the
new state afterwards), that Notebook 7 renders it too, and that a page built by
``tools/build_site.py`` works from ``file://`` with every network request refused.
Skips without Chromium, except with ``CI=true``.
"""

from __future__ import annotations

import os
import pathlib
import sys

import numpy as np
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tools"))
import browser  # noqa: E402

KERNEL_TIMEOUT_MS = 180_000  # until the notebook's widgets are displayed (imports, model loading)
EXPLORER = ".vae-latent-explorer"
DIGIT = f"{EXPLORER} canvas.vae-latent-image"
SLIDER = f"{EXPLORER} input.vae-slider-input >> nth=0"
PAD = f"{EXPLORER} canvas.vae-pad-overlay"

CELLS = [
    "import time\n"
    "from vae_tutorial import data, pretrained, widgets\n"
    "mnist = data.load_mnist()",
    "explorer = widgets.LatentExplorer(pretrained.load('vae-2d'), mnist.test_images, mnist.test_labels)\n"
    "explorer",
    "print('cells done')",
]
# Keeps the kernel busy until the test creates the file "release" (at most two minutes).
BUSY_CELL = ("import os\nstart = time.time()\n"
             "while not os.path.exists('release') and time.time() - start < 120:\n    time.sleep(0.05)\n"
             "print('released')")

READ_CANVAS = """sel => {
  const canvas = document.querySelector(sel);
  const data = canvas.getContext("2d").getImageData(0, 0, 28, 28).data;
  const grey = [];
  for (let i = 0; i < 784; i++) grey.push(data[4 * i]);
  return {z: canvas.dataset.z.split(",").map(Number), grey, draws: Number(canvas.dataset.draws)};
}"""

# Run code in the notebook's kernel from the page and return what it printed.
RUN_IN_KERNEL = """code => new Promise(resolve => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({code});
  let text = "";
  future.onIOPub = msg => { if (msg.header.msg_type === "stream") text += msg.content.text; };
  future.done.then(() => resolve(text));
})"""


def _need_browser():
    reason = browser.chromium_missing_reason()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but the browser test cannot run: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def vae2():
    from vae_tutorial import pretrained

    return pretrained.load("vae-2d")


def canvas(page, selector: str = DIGIT) -> dict:
    return page.evaluate(READ_CANVAS, selector)


def after_next_frame(page) -> None:
    """Wait two animation frames: an explorer draws at most once a frame, so key presses that came
    faster are drawn at the next one (explorer.js frameGate); after two frames that draw has run."""
    page.evaluate("() => new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)))")


def assert_pixels_agree(shown: dict, model) -> None:
    """The canvas shows ``model.decode`` at the code it says it shows, within one grey level."""
    from vae_tutorial import latent

    expected = np.round((1.0 - latent.decode(model, np.asarray(shown["z"], np.float32))) * 255.0).reshape(-1)
    assert np.abs(np.asarray(shown["grey"]) - expected).max() <= 1


def press_right(page, selector: str = SLIDER) -> dict:
    before = canvas(page)
    page.focus(selector)
    page.keyboard.press("ArrowRight")
    after = canvas(page)  # drawn in the key's own handler: no waiting
    assert after["z"] != before["z"] and after["grey"] != before["grey"]
    return after


def drag_on_pad(page, model) -> dict:
    box = page.locator(PAD).bounding_box()
    x, y = box["x"] + 0.45 * box["width"], box["y"] + 0.45 * box["height"]
    before = canvas(page)
    page.mouse.move(x, y)
    page.mouse.down()
    pressed = canvas(page)
    assert pressed["z"] != before["z"]
    page.mouse.move(x + 40, y + 30, steps=8)
    page.mouse.up()
    page.wait_for_timeout(50)
    dragged = canvas(page)
    assert dragged["draws"] >= pressed["draws"] + 4  # followed the pointer, not just the end point
    assert dragged["z"][0] > pressed["z"][0] and dragged["z"][1] < pressed["z"][1]  # right and down: z2 falls
    assert_pixels_agree(dragged, model)
    return dragged


@pytest.mark.browser
def test_explorer_in_jupyterlab_follows_slider_and_pad_while_the_kernel_is_busy(tmp_path, vae2):
    _need_browser()
    browser.write_notebook(tmp_path / "explorer.ipynb", [*CELLS, BUSY_CELL])
    with browser.jupyter_server(tmp_path, app="lab") as (base, token), browser.chromium_page() as page:
        browser.open_and_run_all(page, base, token, "explorer.ipynb")
        page.wait_for_selector(".jp-OutputArea-output:has-text('cells done')", timeout=KERNEL_TIMEOUT_MS)
        page.wait_for_selector(DIGIT, timeout=KERNEL_TIMEOUT_MS)
        assert page.locator(f"{EXPLORER} input.vae-slider-input").count() == 2
        assert browser.widget_errors(page) == []
        assert_pixels_agree(canvas(page), vae2)
        # The busy cell runs now: the kernel answers nothing until the test releases it.
        busy = "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status"
        page.wait_for_function(f"{busy} === 'busy'", timeout=30_000)
        for _ in range(3):
            shown = press_right(page)
        assert_pixels_agree(shown, vae2)
        shown = drag_on_pad(page, vae2)
        assert page.evaluate(busy) == "busy"
        (tmp_path / "release").touch()
        page.wait_for_selector(".jp-OutputArea-output:has-text('released')", timeout=60_000)
        # Once the kernel is free it learns the state the browser moved to (the widget manager
        # sends the updates it held back while the kernel was busy).
        for _ in range(40):
            in_kernel = [float(v) for v in page.evaluate(RUN_IN_KERNEL, "print(*explorer.z)").split()]
            if np.allclose(in_kernel, shown["z"], atol=1e-5):
                break
            page.wait_for_timeout(250)
        np.testing.assert_allclose(in_kernel, shown["z"], atol=1e-5)
        assert browser.widget_errors(page) == []


@pytest.mark.browser
def test_explorer_renders_in_notebook_7(tmp_path, vae2):
    _need_browser()
    browser.write_notebook(tmp_path / "explorer.ipynb", CELLS)
    with browser.jupyter_server(tmp_path, app="notebook") as (base, token), browser.chromium_page() as page:
        browser.open_and_run_all(page, base, token, "explorer.ipynb", app="notebook")
        page.wait_for_selector(".jp-OutputArea-output:has-text('cells done')", timeout=KERNEL_TIMEOUT_MS)
        page.wait_for_selector(DIGIT, timeout=KERNEL_TIMEOUT_MS)
        assert_pixels_agree(press_right(page), vae2)
        assert browser.widget_errors(page) == []


SITE_CELLS = [
    "from vae_tutorial import data, pretrained, widgets\n"
    "mnist = data.load_mnist()\n"
    "vae = pretrained.load('vae-2d')",
    "widgets.LatentExplorer(vae, mnist.test_images, mnist.test_labels)",
    "widgets.ReparameterizationExplorer(vae, mnist.test_images[0], count=9)",
]


@pytest.mark.browser
def test_built_site_works_from_file_with_the_network_refused(tmp_path, vae2):
    _need_browser()
    import build_site

    notebook = browser.write_notebook(tmp_path / "01-demo.ipynb", SITE_CELLS)
    pages = build_site.build([notebook], tmp_path / "site")
    assert [name for name, _, _ in pages] == ["01-demo.html"] and (tmp_path / "site" / "index.html").exists()
    html = (tmp_path / "site" / "01-demo.html").read_text()
    assert "This page: " in html and "cdn.jsdelivr" not in html
    with browser.chromium_page() as page:
        refused, errors = [], []

        def route(r):
            if r.request.url.startswith(("file:", "data:", "blob:")):
                return r.continue_()
            refused.append(r.request.url)
            return r.abort()

        page.route("**/*", route)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((tmp_path / "site" / "01-demo.html").as_uri())
        page.wait_for_selector(DIGIT, timeout=30_000)
        mounts = page.eval_on_selector_all(".vae-widget-mount", "ns => ns.map(n => n.dataset.rendered || n.dataset.error)")
        assert mounts == ["true", "true"]
        assert_pixels_agree(canvas(page), vae2)
        assert_pixels_agree(press_right(page), vae2)
        drag_on_pad(page, vae2)
        draws = canvas(page, ".vae-reparameterization-explorer canvas.vae-draw-image")
        page.focus(".vae-reparameterization-explorer input.vae-slider-input >> nth=-1")  # the sigma scale
        page.keyboard.press("ArrowRight")
        assert canvas(page, ".vae-reparameterization-explorer canvas.vae-draw-image")["z"] != draws["z"]
        assert errors == []
        assert all("mathjax" in url.lower() for url in refused), refused  # only the equations' typesetter


TRICK = ".vae-explorer.vae-reparameterization-explorer"
TRICK_CELLS = [
    "from vae_tutorial import data, pretrained, widgets\n"
    "mnist = data.load_mnist()",
    # As notebook 04 makes it: the shipped 2-D VAE, its hero (test digit 3, a '0' whose decoded mean
    # reads as a '0'), five draws, the scale on sigma where the explorer starts it.
    "trick = widgets.ReparameterizationExplorer(pretrained.load('vae-2d'), mnist.test_images[3], count=5, seed=0)\n"
    "trick",
    "print('cells done')",
]


def _draws(page) -> list:
    count = page.locator(f"{TRICK} canvas.vae-draw-image").count()
    return [canvas(page, f"{TRICK} canvas.vae-draw-image:nth-child({k + 1})") for k in range(count)]


def _pairwise_grey_change(draws) -> float:
    grey = np.asarray([d["grey"] for d in draws], np.float64)
    i, j = np.triu_indices(len(grey), 1)
    return float(np.abs(grey[i] - grey[j]).mean())


@pytest.mark.browser
def test_the_trick_explorer_shows_the_idea_at_its_defaults_and_one_key_press_shows(tmp_path, vae2):
    """At its defaults the five draws differ at first sight (the 2-D VAE's own sigma, about 0.1, would
    decode them all to one picture), and each arrow key press on the sigma scale moves them visibly."""
    _need_browser()
    browser.write_notebook(tmp_path / "trick.ipynb", TRICK_CELLS)
    with browser.jupyter_server(tmp_path, app="lab") as (base, token), browser.chromium_page() as page:
        browser.open_and_run_all(page, base, token, "trick.ipynb")
        page.wait_for_selector(".jp-OutputArea-output:has-text('cells done')", timeout=KERNEL_TIMEOUT_MS)
        page.wait_for_selector(f"{TRICK} canvas.vae-draw-image", timeout=KERNEL_TIMEOUT_MS)
        draws = _draws(page)
        assert len(draws) == 5
        for shown in draws:
            assert_pixels_agree(shown, vae2)
        assert _pairwise_grey_change(draws) >= 0.049 * 255  # the explorer's own threshold, in grey levels
        readout = f"{TRICK} .vae-slider:has-text('sigma ×') .vae-readout"
        assert float(page.locator(readout).inner_text()) > 1.0
        if os.environ.get("VAE_SCREENSHOTS"):
            page.locator(TRICK).screenshot(path=os.path.join(os.environ["VAE_SCREENSHOTS"], "trick-defaults.png"))
        before = float(page.locator(readout).inner_text())
        page.focus(f"{TRICK} .vae-slider:has-text('sigma ×') input")
        page.keyboard.press("ArrowLeft")
        once = _draws(page)
        assert float(page.locator(readout).inner_text()) == pytest.approx(before - 1.0)
        moved = np.mean([np.abs(np.subtract(a["grey"], b["grey"])).max() for a, b in zip(draws, once)])
        assert moved >= 10, f"one key press moved the draws by {moved:.1f} grey levels at most, on average"
        for shown in once:
            assert_pixels_agree(shown, vae2)
        for _ in range(10):  # ten presses: down to sigma x 0, where every draw is mu itself
            page.keyboard.press("ArrowLeft")
        after_next_frame(page)
        assert float(page.locator(readout).inner_text()) == 0.0
        assert _pairwise_grey_change(_draws(page)) == 0.0
        assert browser.widget_errors(page) == []


DISCRETE = ".vae-explorer.vae-discrete-explorer"
DISCRETE_CELLS = [
    "from vae_tutorial import data, discrete, widgets\n"
    "mnist = data.load_mnist()",
    "explorer = widgets.DiscreteExplorer(discrete.load_pretrained(), mnist.test_images[0], seed=0)\n"
    "explorer",
    "print('cells done')",
]


def _simplex_points(page) -> np.ndarray:
    text = page.eval_on_selector(f"{DISCRETE} canvas.vae-simplex", "c => c.dataset.points")
    return np.asarray([[float(v) for v in row.split()] for row in text.split(";")])


def _drive_discrete_explorer(page, model) -> None:
    """Lower the temperature by keys (the samples move towards the corners, the relaxed digit changes),
    then click a cell of the code grid (the decoded digit changes); pixels agree with model.decode."""
    relaxed, code = f"{DISCRETE} canvas.vae-relaxed-image", f"{DISCRETE} canvas.vae-code-image"
    for selector in (relaxed, code):
        assert_pixels_agree(canvas(page, selector), model)
    points, before = _simplex_points(page), canvas(page, relaxed)
    page.focus(f"{DISCRETE} .vae-slider:has-text('temperature') input")
    for _ in range(10):  # ten presses of 0.1 in log10: the temperature falls tenfold, 1 to 0.1
        page.keyboard.press("ArrowLeft")
    after_next_frame(page)
    readout = float(page.locator(f"{DISCRETE} .vae-slider:has-text('temperature') .vae-readout").inner_text())
    assert readout == pytest.approx(0.1, abs=1e-3)
    colder, after = _simplex_points(page), canvas(page, relaxed)
    # The browser's relaxed samples and code are Python's (same noise, same temperature).
    from vae_tutorial import data, widgets

    temperature = float(page.eval_on_selector(f"{DISCRETE} canvas.vae-simplex", "c => c.dataset.temperature"))
    assert temperature == pytest.approx(0.1, rel=1e-9)
    reference = widgets.DiscreteExplorer(model, data.load_mnist().test_images[0], seed=0, temperature=temperature)
    np.testing.assert_allclose(colder, reference.samples, atol=2e-6)
    np.testing.assert_allclose(after["z"], reference.relaxed_code, atol=2e-6)
    assert colder.max(axis=1).mean() > points.max(axis=1).mean() + 0.1  # closer to the corners
    assert np.abs(np.subtract(after["grey"], before["grey"])).max() > 20
    assert_pixels_agree(after, model)
    shown = canvas(page, code)
    chosen = page.eval_on_selector_all(f"{DISCRETE} button.vae-code-cell.vae-chosen",
                                       "ns => ns.map(n => [Number(n.dataset.variable), Number(n.dataset.class)])")
    assert len(chosen) == 20
    # Pick the class of variable 0 that changes the digit most (the model's own decoding), and click it.
    classes = [c for _, c in sorted(chosen)]
    others = [c for c in range(10) if c != classes[0]]
    decoded = np.asarray(model.decode(model.codes_from_classes(np.asarray([[c] + classes[1:] for c in others]))))
    change = np.abs(np.round((1.0 - decoded.reshape(len(others), -1)) * 255.0) - np.asarray(shown["grey"])).sum(1)
    target = others[int(change.argmax())]
    page.click(f"{DISCRETE} button.vae-code-cell[data-variable='0'][data-class='{target}']")
    clicked = canvas(page, code)
    assert clicked["draws"] > shown["draws"] and clicked["grey"] != shown["grey"]
    assert np.argmax(np.asarray(clicked["z"]).reshape(20, 10), axis=1).tolist() == [target] + classes[1:]
    assert_pixels_agree(clicked, model)


@pytest.mark.browser
def test_discrete_explorer_in_jupyterlab_moves_the_temperature_and_sets_a_code_by_a_click(tmp_path):
    _need_browser()
    from vae_tutorial import discrete

    model = discrete.load_pretrained()
    browser.write_notebook(tmp_path / "discrete.ipynb", DISCRETE_CELLS)
    with browser.jupyter_server(tmp_path, app="lab") as (base, token), browser.chromium_page() as page:
        browser.open_and_run_all(page, base, token, "discrete.ipynb")
        page.wait_for_selector(".jp-OutputArea-output:has-text('cells done')", timeout=KERNEL_TIMEOUT_MS)
        page.wait_for_selector(f"{DISCRETE} canvas.vae-code-image", timeout=KERNEL_TIMEOUT_MS)
        if os.environ.get("VAE_SCREENSHOTS"):
            page.locator(DISCRETE).screenshot(path=os.path.join(os.environ["VAE_SCREENSHOTS"], "discrete-start.png"))
        _drive_discrete_explorer(page, model)
        if os.environ.get("VAE_SCREENSHOTS"):
            page.locator(DISCRETE).screenshot(path=os.path.join(os.environ["VAE_SCREENSHOTS"], "discrete-moved.png"))
        assert browser.widget_errors(page) == []
        for _ in range(40):  # the kernel learns the state the browser moved to
            in_kernel = page.evaluate(RUN_IN_KERNEL, "print(round(explorer.temperature, 3), *explorer.classes)").split()
            if in_kernel and float(in_kernel[0]) == 0.1:
                break
            page.wait_for_timeout(250)
        assert float(in_kernel[0]) == 0.1


@pytest.mark.browser
def test_discrete_explorer_works_on_the_built_site(tmp_path):
    _need_browser()
    import build_site
    from vae_tutorial import discrete

    model = discrete.load_pretrained()
    notebook = browser.write_notebook(tmp_path / "10-demo.ipynb", DISCRETE_CELLS[:2])
    build_site.build([notebook], tmp_path / "site")
    with browser.chromium_page() as page:
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((tmp_path / "site" / "10-demo.html").as_uri())
        page.wait_for_selector(f"{DISCRETE} canvas.vae-code-image", timeout=30_000)
        _drive_discrete_explorer(page, model)
        assert errors == []


CONDITIONAL = ".vae-explorer.vae-conditional-explorer"
CONDITIONAL_CELLS = [
    "from vae_tutorial import people, widgets\n"
    "explorer = widgets.ConditionalExplorer(people.load_pretrained('cvae-2d'), z=(0.0, 0.0), digit=3)\n"
    "explorer",
    "print('cells done')",
]


def _conditional_row(page) -> list[dict]:
    return [canvas(page, f"{CONDITIONAL} canvas.vae-conditional-all[data-digit='{d}']") for d in range(10)]


def _assert_conditional_pixels(shown: dict, model) -> None:
    """The canvas shows ``model.decode(z, label)`` at the input [z, onehot(label)] it says it shows."""
    import jax.numpy as jnp

    x = np.asarray(shown["z"], np.float32)
    assert x.shape == (12,) and x[2:].sum() == 1
    image = np.asarray(model.decode(jnp.asarray(x[None, :2]), jnp.asarray([int(x[2:].argmax())])))
    assert np.abs(np.asarray(shown["grey"]) - np.round((1.0 - image) * 255.0).reshape(-1)).max() <= 1


@pytest.mark.browser
def test_conditional_explorer_in_jupyterlab_draws_ten_digits_and_follows_the_style(tmp_path):
    _need_browser()
    from vae_tutorial import people

    model = people.load_pretrained("cvae-2d")
    browser.write_notebook(tmp_path / "conditional.ipynb", CONDITIONAL_CELLS)
    with browser.jupyter_server(tmp_path, app="lab") as (base, token), browser.chromium_page() as page:
        browser.open_and_run_all(page, base, token, "conditional.ipynb")
        page.wait_for_selector(".jp-OutputArea-output:has-text('cells done')", timeout=KERNEL_TIMEOUT_MS)
        page.wait_for_selector(f"{CONDITIONAL} canvas.vae-conditional-image", timeout=KERNEL_TIMEOUT_MS)
        if os.environ.get("VAE_SCREENSHOTS"):
            page.locator(CONDITIONAL).screenshot(path=os.path.join(os.environ["VAE_SCREENSHOTS"], "conditional.png"))
        # All ten digits drawn, each as its own label in the same style, each as model.decode draws it.
        row = _conditional_row(page)
        for label, shown in enumerate(row):
            assert shown["z"][:2] == [0.0, 0.0] and int(np.argmax(shown["z"][2:])) == label
            _assert_conditional_pixels(shown, model)
        greys = np.asarray([shown["grey"] for shown in row], np.int16)
        assert min(np.abs(greys[a] - greys[b]).mean() for a in range(10) for b in range(a)) > 5
        chosen = canvas(page, f"{CONDITIONAL} canvas.vae-conditional-image")
        assert chosen["grey"] == row[3]["grey"]
        # Moving the style (key presses on z1) changes the chosen digit and every digit of the row.
        page.focus(f"{CONDITIONAL} input.vae-slider-input >> nth=0")
        for _ in range(6):  # six presses of 0.25: z1 goes 0 to 1.5
            page.keyboard.press("ArrowRight")
        after_next_frame(page)
        moved = canvas(page, f"{CONDITIONAL} canvas.vae-conditional-image")
        assert moved["z"][0] == pytest.approx(1.5) and moved["grey"] != chosen["grey"]
        _assert_conditional_pixels(moved, model)
        moved_row = _conditional_row(page)
        for before, after in zip(row, moved_row):
            assert after["grey"] != before["grey"]
            _assert_conditional_pixels(after, model)
        # Picking a digit shows it in the large canvas, in the same style.
        page.click(f"{CONDITIONAL} button.vae-digit-button[data-digit='8']")
        picked = canvas(page, f"{CONDITIONAL} canvas.vae-conditional-image")
        assert int(np.argmax(picked["z"][2:])) == 8 and picked["z"][0] == pytest.approx(1.5)
        assert picked["grey"] == moved_row[8]["grey"]
        if os.environ.get("VAE_SCREENSHOTS"):
            page.locator(CONDITIONAL).screenshot(path=os.path.join(os.environ["VAE_SCREENSHOTS"], "conditional-moved.png"))
        assert browser.widget_errors(page) == []
        for _ in range(40):  # the kernel learns the state the browser moved to
            in_kernel = page.evaluate(RUN_IN_KERNEL, "print(explorer.digit, *explorer.z)").split()
            if in_kernel and in_kernel[0] == "8" and float(in_kernel[1]) == 1.5:
                break
            page.wait_for_timeout(250)
        assert in_kernel[0] == "8" and float(in_kernel[1]) == 1.5


@pytest.mark.browser
def test_conditional_explorer_works_on_the_built_site(tmp_path):
    _need_browser()
    import build_site
    from vae_tutorial import people

    model = people.load_pretrained("cvae-2d")
    notebook = browser.write_notebook(tmp_path / "11-demo.ipynb", CONDITIONAL_CELLS[:1])
    build_site.build([notebook], tmp_path / "site")
    with browser.chromium_page() as page:
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((tmp_path / "site" / "11-demo.html").as_uri())
        page.wait_for_selector(f"{CONDITIONAL} canvas.vae-conditional-image", timeout=30_000)
        row = _conditional_row(page)
        for label, shown in enumerate(row):
            assert int(np.argmax(shown["z"][2:])) == label
            _assert_conditional_pixels(shown, model)
        page.focus(f"{CONDITIONAL} input.vae-slider-input >> nth=1")
        page.keyboard.press("ArrowLeft")
        moved = _conditional_row(page)
        assert all(a["grey"] != b["grey"] for a, b in zip(row, moved))
        assert moved[3]["z"][1] == pytest.approx(-0.25)
        assert errors == []
