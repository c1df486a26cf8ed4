// The latent explorers' front end: decode in the browser, paint a canvas, never wait for a kernel.
//
// One ES module for every explorer in vae_tutorial/widgets/ (anywidget loads it as the widget's
// `_esm`; the static pages of `make site` inline the same text). The widget's `spec` trait holds
// everything that never changes: the decoder's weights (binary buffers, sent once), slider names
// and ranges, the map picture. The small traits (`values`, `rest`, `t`, `mu`, `sigma`, ...) hold
// the state; a move changes them here, draws at once, and tells the kernel only when the
// pointer or key rests (nothing goes to the kernel while you drag, and nothing waits for it).
//
// Decoding: the same MLP as the Python decoder, `x -> act(x W1 + b1) -> ... -> sigmoid(h Wn + bn)`,
// with kernels stored as [n_in, n_out] row-major, accumulated in float64. Grey level:
// round((1 - p) * 255), dark ink on white paper, like every figure of the course.
//
// The named exports (makeDecoder, toFloat32, halfToFloat, gaussian, relaxedSample) are for the unit tests
// (tests/js/explorer.test.mjs, run by node --test); anywidget uses the default export.

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const SYNC_DELAY_MS = 150; // kernel sync after the control has rested this long

// ------------------------------------------------------------------------------------------
// Decoding
// ------------------------------------------------------------------------------------------

export function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function asBytes(buffer) {
  // A DataView (Jupyter's binary buffers), an ArrayBuffer or a typed array, as a Uint8Array.
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

export function toFloat32(buffer, dtype) {
  const bytes = asBytes(buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === "float32") {
    const out = new Float32Array(bytes.byteLength / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }
  if (dtype === "float16") {
    const out = new Float32Array(bytes.byteLength / 2);
    for (let i = 0; i < out.length; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
    return out;
  }
  throw new Error(`unknown weight dtype ${dtype}`);
}

const ACTIVATIONS = {
  relu: (x) => (x > 0 ? x : 0),
  tanh: Math.tanh,
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
};

/** A decoder built once from its spec; `decode(z)` returns pixel intensities (Float64Array [784]). */
export function makeDecoder(spec) {
  const act = ACTIVATIONS[spec.activation];
  if (!act) throw new Error(`unknown activation ${spec.activation}`);
  const layers = spec.layers.map((l) => ({
    nIn: l.n_in,
    nOut: l.n_out,
    w: toFloat32(l.w, l.dtype),
    b: toFloat32(l.b, "float32"),
    out: new Float64Array(l.n_out),
  }));
  return {
    latentDim: spec.latent_dim,
    decode(z) {
      let x = z;
      layers.forEach((layer, index) => {
        const { nIn, nOut, w, b, out } = layer;
        for (let j = 0; j < nOut; j++) out[j] = b[j];
        for (let i = 0; i < nIn; i++) {
          const xi = x[i];
          if (xi === 0) continue; // ReLU leaves about half the hidden units at 0
          const row = i * nOut;
          for (let j = 0; j < nOut; j++) out[j] += xi * w[row + j];
        }
        if (index < layers.length - 1) for (let j = 0; j < nOut; j++) out[j] = act(out[j]);
        x = out;
      });
      const p = new Float64Array(PIXELS);
      for (let j = 0; j < PIXELS; j++) p[j] = 1 / (1 + Math.exp(-x[j]));
      return p;
    },
  };
}

// ------------------------------------------------------------------------------------------
// Drawing
// ------------------------------------------------------------------------------------------

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "style") node.style.cssText = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

/** A 28x28 canvas shown at 28 * scale CSS pixels (the browser scales it, pixelated). */
function digitCanvas(scale, className = "") {
  const canvas = el("canvas", { width: SIDE, height: SIDE, class: `vae-digit ${className}`.trim() });
  canvas.style.width = canvas.style.height = `${SIDE * scale}px`;
  return canvas;
}

function paintGrey(canvas, grey) {
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(SIDE, SIDE);
  for (let i = 0; i < PIXELS; i++) {
    const g = grey[i];
    image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = g;
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/** Paint intensities p in [0, 1] as grey levels round((1 - p) * 255). */
function paintDigit(canvas, p, z) {
  const grey = new Uint8ClampedArray(PIXELS);
  for (let i = 0; i < PIXELS; i++) grey[i] = Math.round((1 - p[i]) * 255);
  paintGrey(canvas, grey);
  if (z) canvas.dataset.z = Array.from(z).join(",");
  canvas.dataset.draws = String(Number(canvas.dataset.draws || 0) + 1);
}

function pngImage(bytes) {
  const url = URL.createObjectURL(new Blob([asBytes(bytes)], { type: "image/png" }));
  return el("img", { src: url, draggable: "false" });
}

/**
 * Draw at most once per animation frame, without waiting for one: the first request in a
 * frame draws at once; later ones in the same frame are folded into one draw at the next frame.
 */
function frameGate(draw) {
  let drawn = false;
  let pending = false;
  let scheduled = false;
  const tick = () => {
    scheduled = false;
    drawn = false;
    if (pending) {
      pending = false;
      run();
    }
  };
  const run = () => {
    draw();
    drawn = true;
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(tick);
    }
  };
  return () => (drawn ? (pending = true) : run());
}

function format(value) {
  return (Math.abs(value) < 5e-3 ? 0 : value).toFixed(2);
}

const STEP_KEYS = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: 10, PageDown: -10 };

/**
 * Keys on a focused explorer slider are handled first, at the window, before the notebook's own
 * shortcuts (Notebook 7 claims the arrow keys on the document in the capture phase, so a
 * listener on the slider would never see them).
 */
function installKeys() {
  if (window.__vaeExplorerKeys) return;
  window.__vaeExplorerKeys = true;
  window.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target && typeof target.vaeKey === "function" && !event.altKey && !event.ctrlKey && !event.metaKey
        && target.vaeKey(event.key)) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
}

/**
 * A labelled range input with a readout; `onInput(value)` on every move. The arrow keys move it by
 * `keyStep` (default: `step`), a multiple of `step` large enough for one press to show.
 */
function slider(label, lo, hi, step, value, onInput, keyStep = step) {
  [lo, hi, step] = [Number(lo), Number(hi), Number(step)];
  keyStep = Math.max(step, Math.round(Number(keyStep) / step) * step);
  const input = el("input", { type: "range", min: lo, max: hi, step, class: "vae-slider-input" });
  input.value = value;
  const readout = el("span", { class: "vae-readout", text: format(value) });
  const row = el("label", { class: "vae-slider" }, [el("span", { class: "vae-slider-label", text: label }), input, readout]);
  input.addEventListener("input", () => {
    readout.textContent = format(Number(input.value));
    onInput(Number(input.value));
  });
  // The keys step the slider here, not by the browser's default (see installKeys).
  input.vaeKey = (key) => {
    let v;
    if (key in STEP_KEYS) v = Number(input.value) + STEP_KEYS[key] * keyStep;
    else if (key === "Home") v = lo;
    else if (key === "End") v = hi;
    else return false;
    input.value = clamp(lo + Math.round((v - lo) / step) * step, lo, hi);
    readout.textContent = format(Number(input.value));
    onInput(Number(input.value));
    return true;
  };
  return {
    row,
    input,
    set(v) {
      input.value = v;
      readout.textContent = format(v);
    },
  };
}

// ------------------------------------------------------------------------------------------
// State: a view of the widget's traits that syncs to the kernel only when a control rests
// ------------------------------------------------------------------------------------------

function stateOf(model) {
  let timer = null;
  let dirty = false;
  const listeners = [];
  return {
    get: (key) => model.get(key),
    set(changes) {
      for (const [key, value] of Object.entries(changes)) model.set(key, value);
      dirty = true;
      clearTimeout(timer);
      timer = setTimeout(() => {
        dirty = false;
        model.save_changes();
      }, SYNC_DELAY_MS);
    },
    // Changes from the kernel (a notebook cell set the state); ignored while a local change
    // waits to be sent, which will overwrite the kernel's state anyway.
    onRemote(keys, callback) {
      const handler = () => {
        if (!dirty) callback();
      };
      for (const key of keys) model.on(`change:${key}`, handler);
      listeners.push([keys, handler]);
      return () => {
        for (const key of keys) model.off(`change:${key}`, handler);
      };
    },
    dispose() {
      for (const [keys, handler] of listeners) for (const key of keys) model.off(`change:${key}`, handler);
    },
  };
}

function clamp(x, lo, hi) {
  return Math.min(hi, Math.max(lo, x));
}

/** Seeded N(0, 1) draws (mulberry32 + Box-Muller), so a static page draws the same sequence each visit. */
export function gaussian(seed) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

// ------------------------------------------------------------------------------------------
// LatentExplorer: sliders, the decoded digit, and a pad (the embedding map) to click or drag
// ------------------------------------------------------------------------------------------

function latentView(spec, state, root) {
  const dim = spec.latent_dim;
  const num = spec.names.length;
  const decoder = makeDecoder(spec.decoder);
  const origin = spec.origin;
  const dirs = spec.directions; // [num][dim]
  let values = state.get("values").slice();
  let rest = state.get("rest").slice();

  const code = () => {
    const z = new Float64Array(dim);
    for (let i = 0; i < dim; i++) {
      let v = origin[i] + rest[i];
      for (let k = 0; k < num; k++) v += values[k] * dirs[k][i];
      z[i] = v;
    }
    return z;
  };

  const canvas = digitCanvas(spec.scale, "vae-latent-image");
  let pad = null;
  const draw = () => {
    const start = performance.now();
    const z = code();
    paintDigit(canvas, decoder.decode(z), z);
    if (pad) pad.mark(values[0], values[1]);
    canvas.dataset.ms = (performance.now() - start).toFixed(3); // decode and paint, for the benchmark
  };
  const request = frameGate(draw);

  const sliders = spec.names.map((name, k) =>
    slider(name, spec.ranges[k][0], spec.ranges[k][1], spec.step, values[k], (v) => {
      values[k] = v;
      state.set({ values: values.slice() });
      request();
    }),
  );

  const button = el("button", { class: "vae-button", title: spec.sample.tooltip, text: spec.sample.label });
  const normal = gaussian(spec.sample.seed);
  button.addEventListener("click", () => {
    const eps = Array.from({ length: dim }, normal);
    const z = new Float64Array(dim);
    for (let i = 0; i < dim; i++) {
      let v = spec.sample.mean[i];
      for (let j = 0; j < dim; j++) v += spec.sample.cholesky[i][j] * eps[j];
      z[i] = v - origin[i];
    }
    for (let k = 0; k < num; k++) {
      let s = 0;
      for (let i = 0; i < dim; i++) s += dirs[k][i] * z[i];
      values[k] = clamp(s, spec.ranges[k][0], spec.ranges[k][1]);
      z.forEach((_, i) => (z[i] -= s * dirs[k][i]));
    }
    rest = Array.from(z);
    sliders.forEach((s, k) => s.set(values[k]));
    state.set({ values: values.slice(), rest: rest.slice() });
    request();
  });

  const controls = el("div", { class: "vae-controls" }, [...sliders.map((s) => s.row), button]);
  const parts = [controls, el("div", { class: "vae-panel" }, [canvas])];
  if (spec.pad) {
    pad = padView(spec.pad, spec.ranges, (x, y) => {
      values[0] = x;
      values[1] = y;
      sliders[0].set(x);
      sliders[1].set(y);
      state.set({ values: values.slice() });
      request();
    });
    parts.push(pad.node);
  }
  root.append(el("div", { class: "vae-row" }, parts));
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const unsubscribe = state.onRemote(["values", "rest"], () => {
    if (same(values, state.get("values")) && same(rest, state.get("rest"))) return; // the kernel's echo
    values = state.get("values").slice();
    rest = state.get("rest").slice();
    sliders.forEach((s, k) => s.set(values[k]));
    request();
  });
  draw();
  return { code, dispose: unsubscribe };
}

/** The map as a pad: pointer down or drag inside the axes decodes the point under the pointer. */
function padView(pad, ranges, onMove) {
  const picture = pngImage(pad.png);
  const overlay = el("canvas", { width: pad.width, height: pad.height, class: "vae-pad-overlay" });
  const node = el("div", { class: "vae-pad", style: `width:${pad.width}px;height:${pad.height}px` }, [picture, overlay]);
  const [sx, ox, sy, oy] = pad.transform; // pixel = value * s + o (y down)
  const [bx0, by0, bx1, by1] = pad.box; // the axes, in pixels
  const ctx = overlay.getContext("2d");
  let dragging = false;
  const fromEvent = (event) => {
    const rect = overlay.getBoundingClientRect();
    const px = ((event.clientX - rect.left) * pad.width) / rect.width;
    const py = ((event.clientY - rect.top) * pad.height) / rect.height;
    return [px, py];
  };
  const move = (event) => {
    const [px, py] = fromEvent(event);
    onMove(clamp((px - ox) / sx, ranges[0][0], ranges[0][1]), clamp((py - oy) / sy, ranges[1][0], ranges[1][1]));
  };
  overlay.addEventListener("pointerdown", (event) => {
    const [px, py] = fromEvent(event);
    if (px < bx0 || px > bx1 || py < by0 || py > by1) return; // outside the axes: not a point of the plane
    dragging = true;
    try {
      overlay.setPointerCapture(event.pointerId); // keep the drag when the pointer leaves the pad
    } catch (error) {
      // a synthetic or already released pointer: the drag still works inside the pad
    }
    event.preventDefault();
    move(event);
  });
  overlay.addEventListener("pointermove", (event) => dragging && move(event));
  const stop = () => (dragging = false);
  overlay.addEventListener("pointerup", stop);
  overlay.addEventListener("pointercancel", stop);
  return {
    node,
    overlay,
    mark(x, y) {
      ctx.clearRect(0, 0, pad.width, pad.height);
      ctx.beginPath();
      ctx.arc(x * sx + ox, y * sy + oy, 6, 0, 2 * Math.PI);
      ctx.fillStyle = "white";
      ctx.fill();
      ctx.lineWidth = 2;
      ctx.strokeStyle = "black";
      ctx.stroke();
    },
  };
}

// ------------------------------------------------------------------------------------------
// InterpolationExplorer: one slider t walks the straight latent path in several models
// ------------------------------------------------------------------------------------------

function interpolationView(spec, state, root) {
  const decoders = spec.decoders.map(makeDecoder);
  const canvases = spec.names.map(() => digitCanvas(spec.scale, "vae-path-image"));
  let t = state.get("t");
  const draw = () => {
    spec.endpoints.forEach(([z0, z1], m) => {
      const z = z0.map((a, i) => (1 - t) * a + t * z1[i]);
      paintDigit(canvases[m], decoders[m].decode(z), z);
    });
  };
  const request = frameGate(draw);
  const s = slider("t", 0, 1, 0.01, t, (v) => {
    t = v;
    state.set({ t });
    request();
  });
  const column = (label, canvas) => el("div", { class: "vae-column" }, [el("div", { class: "vae-caption", text: label }), canvas]);
  const inputs = spec.inputs.map((bytes) => {
    const canvas = digitCanvas(spec.scale, "vae-input-image");
    paintGrey(canvas, asBytes(bytes));
    return canvas;
  });
  const columns = [column("input at t = 0", inputs[0]), ...spec.names.map((n, m) => column(n, canvases[m])),
    column("input at t = 1", inputs[1])];
  root.append(el("div", { class: "vae-controls" }, [s.row]), el("div", { class: "vae-row" }, columns));
  state.onRemote(["t"], () => {
    t = state.get("t");
    s.set(t);
    request();
  });
  draw();
}

// ------------------------------------------------------------------------------------------
// ReparameterizationExplorer: z = mu + sigma * eps with eps held fixed
// ------------------------------------------------------------------------------------------

/** Round numbers about a fifth of `span` apart (1, 2 or 5 times a power of ten). */
function tickStep(span) {
  const raw = span / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
}

/** The plane's scale: ticks with their values along the bottom and the left edge, and the axis names. */
function drawScale(ctx, size, frame, twoD, xlabel, ylabel) {
  const px = (x) => ((x - frame[0][0]) / (frame[0][1] - frame[0][0])) * size;
  const py = (y) => size - ((y - frame[1][0]) / (frame[1][1] - frame[1][0])) * size;
  const label = (v, step) => (Math.abs(v) < step / 2 ? "0" : v.toFixed(step < 1 ? 1 : 0));
  ctx.fillStyle = "#444";
  ctx.strokeStyle = "#888";
  ctx.font = "11px sans-serif";
  const sx = tickStep(frame[0][1] - frame[0][0]);
  for (let v = Math.ceil(frame[0][0] / sx) * sx; v <= frame[0][1]; v += sx) {
    const x = px(v);
    if (x < 12 || x > size - 12) continue;
    ctx.beginPath();
    ctx.moveTo(x, size);
    ctx.lineTo(x, size - 5);
    ctx.stroke();
    ctx.textAlign = "center";
    ctx.fillText(label(v, sx), x, size - 7);
  }
  if (twoD) {
    const sy = tickStep(frame[1][1] - frame[1][0]);
    for (let v = Math.ceil(frame[1][0] / sy) * sy; v <= frame[1][1]; v += sy) {
      const y = py(v);
      if (y < 20 || y > size - 20) continue;
      ctx.beginPath();
      ctx.moveTo(0, y);
      ctx.lineTo(5, y);
      ctx.stroke();
      ctx.textAlign = "left";
      ctx.fillText(label(v, sy), 7, y + 4);
    }
  }
  ctx.font = "bold 12px sans-serif";
  ctx.fillStyle = "#222";
  ctx.textAlign = "right";
  ctx.fillText(xlabel, size - 4, size - 20);
  ctx.textAlign = "left";
  if (twoD) ctx.fillText(ylabel, 24, 14);
  ctx.textAlign = "start";
}

function reparameterizationView(spec, state, root) {
  const dim = spec.latent_dim;
  const decoder = makeDecoder(spec.decoder);
  let mu = state.get("mu").slice();
  let sigma = state.get("sigma").slice();
  let scale = state.get("sigma_scale");
  let eps = state.get("eps").map((e) => e.slice());
  const count = eps.length;
  const canvases = eps.map(() => digitCanvas(spec.scale, "vae-draw-image"));
  const meanCanvas = digitCanvas(spec.scale, "vae-mean-image");
  const plane = el("canvas", { width: spec.plane.size, height: spec.plane.size, class: "vae-plane" });
  const text = el("div", { class: "vae-formula" });
  const draws = () => eps.map((e) => e.map((x, i) => mu[i] + scale * sigma[i] * x));

  const drawPlane = (zs) => {
    const { size, frame } = spec.plane; // frame: [[x0, x1], [y0, y1]]
    const ctx = plane.getContext("2d");
    const px = (x) => ((x - frame[0][0]) / (frame[0][1] - frame[0][0])) * size;
    const py = (y) => size - ((y - frame[1][0]) / (frame[1][1] - frame[1][0])) * size;
    ctx.clearRect(0, 0, size, size);
    ctx.fillStyle = "white";
    ctx.fillRect(0, 0, size, size);
    ctx.strokeStyle = "#bbb";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(px(0), 0);
    ctx.lineTo(px(0), size);
    ctx.moveTo(0, py(0));
    ctx.lineTo(size, py(0));
    ctx.stroke();
    const rx = Math.abs(px(mu[0] + scale * sigma[0]) - px(mu[0]));
    const ry = dim > 1 ? Math.abs(py(mu[1] + scale * sigma[1]) - py(mu[1])) : 0;
    const cy = dim > 1 ? py(mu[1]) : size / 2;
    ctx.strokeStyle = "#1f77b4";
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.ellipse(px(mu[0]), cy, Math.max(rx, 0.5), Math.max(ry, 0.5), 0, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.setLineDash([]);
    zs.forEach((z, k) => {
      const x = px(z[0]);
      const y = dim > 1 ? py(z[1]) : size / 2;
      ctx.strokeStyle = "#d62728";
      ctx.beginPath();
      ctx.moveTo(px(mu[0]), cy);
      ctx.lineTo(x, y);
      ctx.stroke();
      ctx.fillStyle = "#d62728";
      ctx.beginPath();
      ctx.arc(x, y, 4, 0, 2 * Math.PI);
      ctx.fill();
      if (count > 1) {
        ctx.fillStyle = "black";
        ctx.font = "10px sans-serif";
        ctx.fillText(String(k + 1), x + 5, y - 4);
      }
    });
    ctx.fillStyle = "black";
    ctx.beginPath();
    ctx.arc(px(mu[0]), cy, 5, 0, 2 * Math.PI);
    ctx.fill();
    drawScale(ctx, size, frame, dim > 1, spec.plane.xlabel, spec.plane.ylabel);
  };

  const draw = () => {
    const zs = draws();
    zs.forEach((z, k) => paintDigit(canvases[k], decoder.decode(z), z));
    paintDigit(meanCanvas, decoder.decode(mu), mu);
    drawPlane(zs);
    const shown = (v) => `(${v.slice(0, 2).map((x) => x.toFixed(2)).join(", ")}${dim > 2 ? ", ..." : ""})`;
    text.textContent = `z = mu + ${scale.toFixed(2)} × sigma × eps: draw 1 at ${shown(zs[0])}, mu = ${shown(mu)}`;
  };
  const request = frameGate(draw);

  const sliders = [];
  spec.mu_sliders.forEach(({ index, range, step }) => {
    sliders.push([`mu${index + 1}`, slider(`mu${index + 1}`, range[0], range[1], step, mu[index], (v) => {
      mu[index] = v;
      state.set({ mu: mu.slice() });
      request();
    }, (range[1] - range[0]) / 40), () => mu[index]]);
  });
  spec.sigma_sliders.forEach(({ index, range, step }) => {
    sliders.push([`sigma${index + 1}`, slider(`sigma${index + 1}`, range[0], range[1], step, sigma[index], (v) => {
      sigma[index] = v;
      state.set({ sigma: sigma.slice() });
      request();
    }, (range[1] - range[0]) / 20), () => sigma[index]]);
  });
  const scaleSlider = slider("sigma ×", spec.scale_range[0], spec.scale_range[1], 0.01, scale, (v) => {
    scale = v;
    state.set({ sigma_scale: scale });
    request();
  }, 1.0);  // one key press: a tenth of the range, visible even from the largest start scale
  const normal = gaussian(spec.seed + 1);
  const button = el("button", { class: "vae-button", text: count > 1 ? "New eps (all draws)" : "New eps" });
  button.addEventListener("click", () => {
    eps = eps.map(() => Array.from({ length: dim }, normal));
    state.set({ eps: eps.map((e) => e.slice()) });
    request();
  });
  const columns = Math.ceil(Math.sqrt(count));
  const grid = el("div", { class: "vae-grid", style: `grid-template-columns: repeat(${columns}, auto)` }, canvases);
  const inputs = [];
  if (spec.input) {
    const input = digitCanvas(spec.scale, "vae-input-image");
    paintGrey(input, asBytes(spec.input));
    inputs.push(el("div", { class: "vae-column" }, [el("div", { class: "vae-caption", text: "input x" }), input]));
  }
  inputs.push(el("div", { class: "vae-column" }, [el("div", { class: "vae-caption", text: "decoded mu" }), meanCanvas]));
  const controls = el("div", { class: "vae-controls" }, [...sliders.map(([, s]) => s.row), scaleSlider.row, button]);
  root.append(
    el("div", { class: "vae-row" }, [
      controls,
      el("div", { class: "vae-column" }, [el("div", { class: "vae-caption", text: spec.plane.title }), plane]),
      ...inputs,
      el("div", { class: "vae-column" }, [el("div", { class: "vae-caption", text: count > 1 ? `${count} draws of z, decoded` : "decoded z" }), grid]),
    ]),
    text,
  );
  state.onRemote(["mu", "sigma", "sigma_scale", "eps"], () => {
    mu = state.get("mu").slice();
    sigma = state.get("sigma").slice();
    scale = state.get("sigma_scale");
    eps = state.get("eps").map((e) => e.slice());
    sliders.forEach(([, s, value]) => s.set(value()));
    scaleSlider.set(scale);
    request();
  });
  draw();
}

// ------------------------------------------------------------------------------------------
// ExplorerSwitch: one LatentExplorer at a time, the code carried over on a switch
// ------------------------------------------------------------------------------------------

function switchView(spec, state, root) {
  const holder = el("div", { class: "vae-switch-body" });
  let index = state.get("index");
  let current = null;
  // The explorer shown reads and writes the switch's own values and rest.
  const mount = () => {
    if (current) current.dispose();
    holder.replaceChildren();
    current = latentView(spec.explorers[index], state, holder);
  };
  const s = slider(spec.description, 0, spec.labels.length - 1, 1, index, (v) => {
    const z = current.code();
    index = v;
    const next = spec.explorers[index];
    const offset = Array.from(z, (x, i) => x - next.origin[i]);
    const values = next.directions.map((d, k) => {
      const proj = d.reduce((acc, di, i) => acc + di * offset[i], 0);
      d.forEach((di, i) => (offset[i] -= proj * di));
      return clamp(proj, next.ranges[k][0], next.ranges[k][1]);
    });
    state.set({ index, values, rest: offset });
    mount();
    label();
  });
  const readout = s.row.querySelector(".vae-readout");
  const label = () => (readout.textContent = String(spec.labels[index]));
  label();
  root.append(el("div", { class: "vae-controls" }, [s.row]), holder);
  state.onRemote(["index"], () => {
    index = state.get("index");
    s.set(index);
    label();
    mount();
  });
  mount();
}

// ------------------------------------------------------------------------------------------
// DiscreteExplorer: a Gumbel-softmax temperature on the 3-class simplex, and a code set by clicks
// ------------------------------------------------------------------------------------------

/** softmax((logits + noise) / temperature), in float64, as vae_tutorial.widgets.discrete_explorer.relaxed. */
export function relaxedSample(logits, noise, temperature) {
  const x = logits.map((l, k) => (l + noise[k]) / temperature);
  const top = Math.max(...x);
  const e = x.map((v) => Math.exp(v - top));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

const SIMPLEX_CORNERS = [[0, 0], [1, 0], [0.5, Math.sqrt(3) / 2]];

function drawSimplex(canvas, simplex, samples) {
  const size = simplex.size;
  const ctx = canvas.getContext("2d");
  const pad = 26;
  const w = size - 2 * pad;
  const top = pad + 6;
  const h = w * (Math.sqrt(3) / 2);
  const at = (y) => {
    let px = 0;
    let py = 0;
    y.forEach((v, k) => {
      px += v * SIMPLEX_CORNERS[k][0];
      py += v * SIMPLEX_CORNERS[k][1];
    });
    return [pad + px * w, top + h - (py / (Math.sqrt(3) / 2)) * h];
  };
  ctx.clearRect(0, 0, size, canvas.height);
  ctx.fillStyle = "white";
  ctx.fillRect(0, 0, size, canvas.height);
  const corners = [[1, 0, 0], [0, 1, 0], [0, 0, 1]].map(at);
  ctx.beginPath();
  corners.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  ctx.closePath();
  ctx.fillStyle = "#f0f0f0";
  ctx.fill();
  ctx.strokeStyle = "#666";
  ctx.lineWidth = 1;
  ctx.stroke();
  ctx.fillStyle = "#222";
  ctx.font = "12px sans-serif";
  ctx.textAlign = "center";
  ctx.fillText("class 0", corners[0][0] + 4, corners[0][1] + 16);
  ctx.fillText("class 1", corners[1][0] - 4, corners[1][1] + 16);
  ctx.fillText("class 2", corners[2][0], corners[2][1] - 8);
  // uniform: a black plus; softmax(logits): a red cross (as in the notebook's figure)
  const [ux, uy] = at([1 / 3, 1 / 3, 1 / 3]);
  ctx.strokeStyle = "black";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.moveTo(ux - 6, uy);
  ctx.lineTo(ux + 6, uy);
  ctx.moveTo(ux, uy - 6);
  ctx.lineTo(ux, uy + 6);
  ctx.stroke();
  const [qx, qy] = at(simplex.probabilities);
  ctx.strokeStyle = "#d62728";
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(qx - 5, qy - 5);
  ctx.lineTo(qx + 5, qy + 5);
  ctx.moveTo(qx + 5, qy - 5);
  ctx.lineTo(qx - 5, qy + 5);
  ctx.stroke();
  ctx.fillStyle = "rgba(31, 119, 180, 0.75)";
  ctx.strokeStyle = "white";
  ctx.lineWidth = 1;
  samples.forEach((y) => {
    const [x, yy] = at(y);
    ctx.beginPath();
    ctx.arc(x, yy, 5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  });
  const [x1, y1] = at(samples[0]);
  ctx.fillStyle = "#222";
  ctx.font = "bold 11px sans-serif";
  ctx.fillText("1", x1 + 9, y1 + 4);
  // legend under the triangle
  const ly = top + h + 34;
  ctx.font = "11px sans-serif";
  ctx.textAlign = "left";
  ctx.fillStyle = "rgba(31, 119, 180, 0.75)";
  ctx.beginPath();
  ctx.arc(pad, ly - 4, 4, 0, 2 * Math.PI);
  ctx.fill();
  ctx.fillStyle = "#222";
  ctx.fillText("samples", pad + 8, ly);
  ctx.fillStyle = "#d62728";
  ctx.fillText("× softmax(logits)", pad + 62, ly);
  ctx.fillStyle = "#222";
  ctx.fillText("+ uniform", pad + 162, ly);
  canvas.dataset.points = samples.map((y) => y.map((v) => v.toFixed(6)).join(" ")).join(";");
  canvas.dataset.draws = String(Number(canvas.dataset.draws || 0) + 1);
}

function discreteView(spec, state, root) {
  const decoder = makeDecoder(spec.decoder);
  const V = spec.num_variables;
  const C = spec.num_classes;
  const fromState = (key, fallback) => {
    const v = state.get(key);
    return v === undefined || v === null ? fallback : v;
  };
  let temperature = fromState("temperature", spec.start_temperature);
  let classes = fromState("classes", spec.start_classes).slice();
  const [logLo, logHi] = spec.log_range;

  const simplexCanvas = el("canvas", { width: spec.simplex.size, height: spec.simplex.size, class: "vae-simplex" });
  const relaxedCanvas = digitCanvas(spec.scale, "vae-relaxed-image");
  const codeCanvas = digitCanvas(spec.scale, "vae-code-image");
  const inputCanvas = digitCanvas(spec.scale, "vae-input-image");
  paintGrey(inputCanvas, asBytes(spec.input));
  const sampleText = el("div", { class: "vae-formula vae-sample-text" });

  const drawTemperature = () => {
    const samples = spec.simplex.noise.map((g) => relaxedSample(spec.simplex.logits, g, temperature));
    drawSimplex(simplexCanvas, spec.simplex, samples);
    sampleText.textContent = `sample 1 = (${samples[0].map((v) => v.toFixed(2)).join(", ")})`;
    simplexCanvas.dataset.temperature = String(temperature);
    const z = new Float64Array(V * C);
    spec.code_logits.forEach((logits, v) => {
      relaxedSample(logits, spec.code_noise[v], temperature).forEach((p, c) => (z[v * C + c] = p));
    });
    paintDigit(relaxedCanvas, decoder.decode(z), z);
  };

  // The code grid: one button per (variable, class), shaded by q(class | x), the chosen one filled.
  const cells = [];
  const grid = el("div", { class: "vae-code-grid", style: `grid-template-columns: auto repeat(${C}, 16px)` });
  grid.append(el("div", { class: "vae-grid-corner", text: "" }));
  for (let c = 0; c < C; c++) grid.append(el("div", { class: "vae-grid-head", text: String(c) }));
  for (let v = 0; v < V; v++) {
    grid.append(el("div", { class: "vae-grid-head vae-grid-row", text: String(v) }));
    cells.push([]);
    for (let c = 0; c < C; c++) {
      const cell = el("button", {
        class: "vae-code-cell", "data-variable": String(v), "data-class": String(c),
        title: `variable ${v}: class ${c} (q = ${spec.q[v][c].toFixed(2)})`,
      });
      cell.style.background = `rgba(31, 119, 180, ${(0.45 * spec.q[v][c]).toFixed(3)})`;
      cell.addEventListener("click", () => {
        classes[v] = c;
        state.set({ classes: classes.slice() });
        requestCode();
      });
      cells[v].push(cell);
      grid.append(cell);
    }
  }
  const drawCode = () => {
    const z = new Float64Array(V * C);
    classes.forEach((c, v) => (z[v * C + c] = 1));
    paintDigit(codeCanvas, decoder.decode(z), z);
    cells.forEach((row, v) => row.forEach((cell, c) => cell.classList.toggle("vae-chosen", c === classes[v])));
    const changed = classes.filter((c, v) => c !== spec.start_classes[v]).length;
    codeText.textContent = changed ? `${changed} of ${V} variables changed` : "the digit's most probable code";
  };
  const codeText = el("div", { class: "vae-formula vae-code-text" });
  const requestTemperature = frameGate(drawTemperature);
  const requestCode = frameGate(drawCode);

  const show = (t) => (t < 0.995 ? t.toFixed(2) : t.toFixed(1));
  const s = slider("temperature", logLo, logHi, spec.log_step, Math.log10(temperature), (x) => {
    temperature = 10 ** x;
    readout.textContent = show(temperature);
    state.set({ temperature });
    requestTemperature();
  }, 0.1);
  const readout = s.row.querySelector(".vae-readout");
  readout.textContent = show(temperature);
  const reset = el("button", { class: "vae-button", text: "Back to the digit's code" });
  reset.addEventListener("click", () => {
    classes = spec.start_classes.slice();
    state.set({ classes: classes.slice() });
    requestCode();
  });
  const column = (label, ...nodes) => el("div", { class: "vae-column" }, [el("div", { class: "vae-caption", text: label }), ...nodes]);
  root.append(
    el("div", { class: "vae-row" }, [
      el("div", { class: "vae-column vae-discrete-left" }, [
        el("div", { class: "vae-caption", text: "Gumbel-softmax: one variable of 3 classes" }),
        el("div", { class: "vae-controls" }, [s.row]),
        simplexCanvas,
        sampleText,
        el("div", { class: "vae-row" }, [column("input x", inputCanvas), column("a relaxed draw of its code", relaxedCanvas)]),
      ]),
      el("div", { class: "vae-column" }, [
        el("div", { class: "vae-caption", text: `The code: ${V} variables (rows) × ${C} classes; click a cell` }),
        grid,
        reset,
      ]),
      el("div", { class: "vae-column" }, [column("decoded code", codeCanvas), codeText]),
    ]),
  );
  state.onRemote(["temperature"], () => {
    temperature = state.get("temperature");
    s.set(Math.log10(temperature));
    readout.textContent = show(temperature);
    requestTemperature();
  });
  state.onRemote(["classes"], () => {
    classes = state.get("classes").slice();
    requestCode();
  });
  drawTemperature();
  drawCode();
}

// ------------------------------------------------------------------------------------------
// ConditionalExplorer: one style code z, ten labels; the decoder reads [z, onehot(label)]
// ------------------------------------------------------------------------------------------

/** The conditional decoder's input [z, onehot(label)] (Float64Array [z.length + numLabels]). */
export function conditionalInput(z, label, numLabels) {
  const x = new Float64Array(z.length + numLabels);
  for (let i = 0; i < z.length; i++) x[i] = z[i];
  x[z.length + label] = 1;
  return x;
}

function conditionalView(spec, state, root) {
  const decoder = makeDecoder(spec.decoder);
  const dim = spec.latent_dim;
  const L = spec.num_labels;
  const fromState = (key, fallback) => {
    const v = state.get(key);
    return v === undefined || v === null ? fallback : v;
  };
  let z = fromState("z", spec.start_z).slice();
  let digit = fromState("digit", spec.start_digit);
  if (z.length !== dim) throw new Error(`the style code has ${z.length} numbers, the model's has ${dim}`);
  const [lo, hi] = spec.range;

  const chosenCanvas = digitCanvas(spec.scale, "vae-conditional-image");
  const small = Math.max(1, Math.round(spec.scale / 2));
  const allCanvases = [];
  const buttons = [];
  const caption = el("div", { class: "vae-caption vae-conditional-caption" });
  const choose = (label) => {
    digit = label;
    state.set({ digit });
    requestDraw();
  };
  for (let label = 0; label < L; label++) {
    const c = digitCanvas(small, "vae-conditional-all");
    c.dataset.digit = String(label);
    c.style.cursor = "pointer";
    c.addEventListener("click", () => choose(label));
    allCanvases.push(c);
    const b = el("button", { class: "vae-digit-button", "data-digit": String(label), text: String(label) });
    b.addEventListener("click", () => choose(label));
    buttons.push(b);
  }
  const draw = () => {
    for (let label = 0; label < L; label++) {
      const x = conditionalInput(z, label, L);
      const p = decoder.decode(x);
      paintDigit(allCanvases[label], p, x);
      if (label === digit) paintDigit(chosenCanvas, p, x);
      allCanvases[label].classList.toggle("vae-chosen", label === digit);
      buttons[label].classList.toggle("vae-chosen", label === digit);
    }
    caption.textContent = `digit ${digit} in style z = (${z.map(format).join(", ")})`;
  };
  const requestDraw = frameGate(draw);
  const sliders = z.map((value, i) => slider(`z${i + 1}`, lo, hi, spec.step, value, (v) => {
    z[i] = v;
    state.set({ z: z.slice() });
    requestDraw();
  }, 0.25));
  const column = (label, ...nodes) => el("div", { class: "vae-column" }, [el("div", { class: "vae-caption", text: label }), ...nodes]);
  root.append(
    el("div", { class: "vae-row" }, [
      el("div", { class: "vae-column" }, [
        el("div", { class: "vae-caption", text: "style z (the same for every digit)" }),
        el("div", { class: "vae-controls" }, sliders.map((s) => s.row)),
        el("div", { class: "vae-caption", text: "digit (the label)" }),
        el("div", { class: "vae-digit-buttons" }, buttons),
      ]),
      el("div", { class: "vae-column" }, [caption, chosenCanvas]),
    ]),
    el("div", { class: "vae-column vae-conditional-row" }, [
      el("div", { class: "vae-caption", text: "the same style drawn as each digit (click one to choose it)" }),
      el("div", { class: "vae-row vae-conditional-all-row" }, allCanvases.map((c, label) => column(String(label), c))),
    ]),
  );
  state.onRemote(["z", "digit"], () => {
    z = state.get("z").slice();
    digit = state.get("digit");
    sliders.forEach((s, i) => s.set(z[i]));
    requestDraw();
  });
  draw();
}

// ------------------------------------------------------------------------------------------

const VIEWS = {
  latent: latentView,
  interpolation: interpolationView,
  reparameterization: reparameterizationView,
  switch: switchView,
  discrete: discreteView,
  conditional: conditionalView,
};

const CSS = `
.vae-explorer { font: 14px sans-serif; color: #222; }
.vae-explorer input[type="range"] { accent-color: #1f77b4; }
.vae-explorer .vae-row { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.vae-explorer .vae-controls { display: flex; flex-direction: column; gap: 4px; margin-bottom: 6px; }
.vae-explorer .vae-slider { display: flex; align-items: center; gap: 6px; }
.vae-explorer .vae-slider-label { min-width: 64px; text-align: right; font-weight: 600; }
.vae-explorer .vae-slider-input { width: 180px; }
.vae-explorer .vae-readout { min-width: 40px; font-variant-numeric: tabular-nums; }
.vae-explorer canvas.vae-digit { image-rendering: pixelated; border: 1px solid #ddd; display: block; }
.vae-explorer .vae-column { display: flex; flex-direction: column; align-items: center; }
.vae-explorer .vae-caption { margin-bottom: 3px; font-weight: 600; }
.vae-explorer .vae-pad { position: relative; }
.vae-explorer .vae-pad img, .vae-explorer .vae-pad canvas { position: absolute; left: 0; top: 0; }
.vae-explorer .vae-pad canvas { cursor: crosshair; touch-action: none; }
.vae-explorer .vae-grid { display: grid; gap: 3px; }
.vae-explorer .vae-plane { border: 1px solid #ddd; }
.vae-explorer .vae-button { align-self: flex-start; margin-top: 4px; font: inherit; padding: 3px 10px;
  border: 1px solid #1f77b4; border-radius: 4px; background: #eef4fa; color: #1f77b4; cursor: pointer; }
.vae-explorer .vae-formula { margin-top: 4px; font-variant-numeric: tabular-nums; }
.vae-explorer .vae-code-grid { display: grid; gap: 1px; font-size: 10px; align-items: center; }
.vae-explorer .vae-grid-head { text-align: center; color: #555; }
.vae-explorer .vae-grid-row { text-align: right; padding-right: 4px; }
.vae-explorer .vae-code-cell { width: 16px; height: 16px; padding: 0; margin: 0; border: 1px solid #ccc;
  border-radius: 2px; cursor: pointer; }
.vae-explorer .vae-code-cell.vae-chosen { background: #1f77b4 !important; border-color: #0b3d66; }
.vae-explorer .vae-simplex { border: 1px solid #ddd; }
.vae-explorer .vae-digit-buttons { display: flex; gap: 3px; }
.vae-explorer .vae-digit-button { font: inherit; width: 26px; padding: 2px 0; border: 1px solid #1f77b4;
  border-radius: 4px; background: #eef4fa; color: #1f77b4; cursor: pointer; }
.vae-explorer .vae-digit-button.vae-chosen { background: #1f77b4; color: white; }
.vae-explorer .vae-conditional-row { align-items: flex-start; margin-top: 8px; }
.vae-explorer .vae-conditional-all-row { gap: 4px; }
.vae-explorer canvas.vae-conditional-all.vae-chosen { border-color: #1f77b4; outline: 2px solid #1f77b4; }
`;

function addStyle() {
  if (document.getElementById("vae-explorer-style")) return;
  document.head.append(el("style", { id: "vae-explorer-style", text: CSS }));
}

/** anywidget's entry point (also called by the static pages with a small model of their own). */
function render({ model, el: host }) {
  addStyle();
  installKeys();
  const spec = model.get("spec");
  const root = document.createElement("div");
  root.className = `vae-explorer ${spec.css_class}`;
  root.setAttribute("data-lm-suppress-shortcuts", "true"); // keys inside go to the explorer, not to Jupyter's shortcuts
  host.append(root);
  const state = stateOf(model);
  try {
    VIEWS[spec.kind](spec, state, root);
  } catch (error) {
    root.textContent = `The explorer could not start in this browser: ${error}`;
    throw error;
  }
  return () => state.dispose();
}

export default { render };
