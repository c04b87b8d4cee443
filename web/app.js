// The demo page: controls, live plots (uPlot), the test-digit grid and the drawing pad.
// All training happens in worker.js, so this thread only draws and never blocks.
import uPlot from "../node_modules/uplot/dist/uPlot.esm.js";
import { toMnistInput } from "./pad.js";
import { downloadBlob } from "../dist/index.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

// ---- worker ------------------------------------------------------------------------------------
const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
const send = (msg, transfer = []) => worker.postMessage(msg, transfer);

// State the tests read (window.demo): progress and the last evaluation.
const demo = (window.demo = {
  send,
  ready: false,
  batches: 0,
  examples: 0,
  testError: null,
  trainError: null,
  impl: null,
  threads: null,
  errors: [],
  history: [],
});

function showError(message) {
  demo.errors.push(message);
  const f = $("error");
  f.hidden = false;
  f.textContent = message;
  $("status").textContent = "error";
}
worker.addEventListener("error", (e) => showError(`worker failed: ${e.message ?? "could not start (see the console)"}`));
worker.addEventListener("messageerror", () => showError("worker sent a message that could not be read"));

// ---- plots -------------------------------------------------------------------------------------
const plots = {};
/** Axis ticks as 950, 1.2k, 12k: short enough never to be clipped by the axis width. */
const compact = (u, vals) => vals.map((v) => (v == null ? "" : Math.abs(v) >= 1000 ? `${+(v / 1000).toFixed(1)}k` : String(+v.toFixed(3))));
function makePlot(id, series, yOpts = {}, data = [[], ...series.map(() => [])]) {
  const el = $(id);
  const opts = {
    width: el.clientWidth || 600,
    height: 170,
    legend: { live: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: false }, y: yOpts.scale ?? {} },
    axes: [
      { label: "examples seen", labelSize: 18, size: 34, values: compact },
      { size: 48, values: compact, ...(yOpts.axis ?? {}) },
    ],
    series: [{ label: "examples" }, ...series],
  };
  plots[id]?.observer.disconnect();
  plots[id]?.u.destroy();
  el.replaceChildren();
  const u = new uPlot(opts, yOpts.view ? yOpts.view(data) : data, el);
  const observer = new ResizeObserver(() => u.setSize({ width: el.clientWidth, height: 170 }));
  observer.observe(el);
  plots[id] = { u, data, view: yOpts.view, observer };
  return plots[id];
}
const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea"];

/** The error chart, linear (0 to a multiple of 10 %) or logarithmic (zero errors left out). */
function makeErrorPlot(data) {
  const log = $("log-error").checked;
  makePlot(
    "plot-error",
    [
      { label: "train (1 000 training digits)", stroke: COLORS[0], width: 2 },
      { label: "test (1 000 test digits)", stroke: COLORS[1], width: 2 },
    ],
    log
      ? {
          scale: { distr: 3, range: (u, min, max) => [Math.min(1, 10 ** Math.floor(Math.log10(min || 1))), 100] },
          view: (d) => [d[0], ...d.slice(1).map((ys) => ys.map((y) => (y > 0 ? y : null)))],
        }
      : { scale: { range: (u, min, max) => [0, Math.max(10, Math.ceil(max / 10) * 10)] } },
    data,
  );
}
$("log-error").addEventListener("change", () => makeErrorPlot(plots["plot-error"].data));

function resetPlots(apicalLayers) {
  makeErrorPlot(undefined);
  const layers = Math.max(apicalLayers, 1);
  makePlot(
    "plot-apical",
    Array.from({ length: layers }, (_, i) => ({
      label: apicalLayers ? `hidden layer ${i + 1}` : "(this rule has no apical dendrites)",
      stroke: COLORS[i % 4],
      width: 2,
    })),
    { scale: { distr: 3 } },
  );
  makePlot("plot-speed", [{ label: "examples/s", stroke: COLORS[2], width: 2, fill: "rgba(22,163,74,0.08)" }], {
    scale: { range: (u, min, max) => [0, max * 1.15 || 1] },
  });
}

function pushPoint(id, x, ys) {
  const p = plots[id];
  p.data[0].push(x);
  ys.forEach((y, i) => p.data[i + 1].push(y));
  p.u.setData(p.view ? p.view(p.data) : p.data);
}

// ---- test digit grid ---------------------------------------------------------------------------
let gridCells = [];
function buildGrid(images, labels) {
  const grid = $("grid");
  grid.replaceChildren();
  gridCells = [];
  for (let i = 0; i < labels.length; i++) {
    const cell = document.createElement("div");
    cell.className = "cell";
    const c = document.createElement("canvas");
    c.width = c.height = 28;
    const img = c.getContext("2d").createImageData(28, 28);
    for (let p = 0; p < 784; p++) {
      const v = images[i * 784 + p];
      img.data.set([v, v, v, 255], p * 4);
    }
    c.getContext("2d").putImageData(img, 0, 0);
    const span = document.createElement("span");
    span.textContent = "?";
    cell.append(c, span);
    cell.title = `true label ${labels[i]}`;
    grid.append(cell);
    gridCells.push({ cell, span, label: labels[i] });
  }
}
function showPredictions(pred) {
  pred.forEach((p, i) => {
    const g = gridCells[i];
    if (!g) return;
    g.span.textContent = String(p);
    g.cell.classList.toggle("wrong", p !== g.label);
    g.cell.title = `true ${g.label}, predicted ${p}`;
  });
}

// ---- drawing pad -------------------------------------------------------------------------------
const pad = $("pad");
const ctx = pad.getContext("2d", { willReadFrequently: true });
function clearPad() {
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, pad.width, pad.height);
  showRates(null);
}
let drawing = false;
let last = null;
const at = (e) => {
  const r = pad.getBoundingClientRect();
  return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
};
pad.addEventListener("pointerdown", (e) => {
  drawing = true;
  last = at(e);
  pad.setPointerCapture(e.pointerId);
  stroke(last, last);
});
pad.addEventListener("pointermove", (e) => {
  if (!drawing) return;
  const p = at(e);
  stroke(last, p);
  last = p;
});
const end = () => {
  if (!drawing) return;
  drawing = false;
  askPrediction();
};
pad.addEventListener("pointerup", end);
pad.addEventListener("pointercancel", end);
function stroke(a, b) {
  ctx.strokeStyle = "#fff";
  ctx.lineCap = ctx.lineJoin = "round";
  ctx.lineWidth = 15;
  ctx.beginPath();
  ctx.moveTo(a[0], a[1]);
  ctx.lineTo(b[0], b[1]);
  ctx.stroke();
  askPrediction();
}
let predictPending = false;
function askPrediction() {
  if (predictPending || !demo.ready) return;
  const x = toMnistInput(ctx.getImageData(0, 0, pad.width, pad.height));
  if (!x) return showRates(null);
  predictPending = true;
  send({ type: "predict", x }, [x.buffer]);
}
$("clear").addEventListener("click", clearPad);

const rateEls = [];
for (let d = 0; d < 10; d++) {
  const k = document.createElement("span");
  k.textContent = String(d);
  const bar = document.createElement("div");
  bar.className = "bar";
  const v = document.createElement("span");
  v.className = "v";
  $("rates").append(k, bar, v);
  rateEls.push({ bar, v });
}
function showRates(rates, guess) {
  const top = rates ? (guess ?? rates.indexOf(Math.max(...rates))) : -1;
  rateEls.forEach(({ bar, v }, d) => {
    const r = rates ? rates[d] : 0;
    bar.style.width = `${Math.max(0, Math.min(1, r)) * 100}%`;
    bar.classList.toggle("top", d === top);
    v.textContent = rates ? r.toFixed(2) : "";
  });
  $("guess").textContent = rates ? String(top) : "–";
}
clearPad();

/** Spike rasters, one band per population (time → right, cells ↓), the settling steps shaded. */
function drawRaster(raster, settle) {
  const c = $("raster");
  const g = c.getContext("2d");
  const rows = raster.reduce((a, r) => a + r.cells, 0) + raster.length - 1;
  const labelW = 52;
  const h = c.height / rows;
  const w = (c.width - labelW) / raster[0].steps;
  g.clearRect(0, 0, c.width, c.height);
  g.fillStyle = "#eef1f5";
  g.fillRect(labelW, 0, settle * w, c.height);
  g.font = "10px system-ui, sans-serif";
  let y = 0;
  raster.forEach((r, i) => {
    g.fillStyle = "#5d6773";
    g.fillText(r.label, 0, y + (r.cells * h) / 2 + 3);
    g.fillStyle = ["#2563eb", "#15803d", "#9333ea", "#dc2626"][i % 4];
    for (let t = 0; t < r.steps; t++) {
      for (let j = 0; j < r.cells; j++) if (r.spikes[t * r.cells + j]) g.fillRect(labelW + t * w, y + j * h, Math.max(1, w - 0.5), Math.max(1, h - 0.5));
    }
    y += (r.cells + 1) * h;
  });
}

// ---- controls ----------------------------------------------------------------------------------
function settings() {
  return { rule: $("rule").value, lr: Number($("lr").value), seed: Number($("seed").value) };
}
$("start").addEventListener("click", () => send({ type: "start" }));
$("pause").addEventListener("click", () => send({ type: "pause" }));
$("reset").addEventListener("click", () => send({ type: "reset", ...settings() }));
$("download").addEventListener("click", () => send({ type: "save" }));
$("rule").addEventListener("change", () => {
  const d = demo.defaults?.[$("rule").value];
  if (d) $("lr").value = String(d.lr);
});
function setRunning(running) {
  $("start").disabled = running;
  $("pause").disabled = !running;
  $("reset").disabled = false;
  $("download").disabled = false;
  $("status").textContent = running ? "training" : "paused";
}

// ---- messages from the worker ------------------------------------------------------------------
worker.addEventListener("message", (e) => {
  const m = e.data;
  switch (m.type) {
    case "ready": {
      demo.impl = m.impl;
      demo.threads = m.threads;
      demo.defaults = m.defaults;
      const b = $("build");
      b.textContent = `${m.impl} build, ${m.threads} thread${m.threads === 1 ? "" : "s"}${m.features.simd ? "" : " (no SIMD in this browser)"}`;
      b.className = `badge ${m.impl === "wasm-scalar" ? "scalar" : "simd"}`;
      b.title = `WebAssembly SIMD: ${m.features.simd ? "yes" : "no"}, relaxed SIMD: ${m.features.relaxedSimd ? "yes" : "no"}`;
      $("data").textContent = m.data;
      buildGrid(m.gridImages, m.gridLabels);
      if (m.defaults?.[$("rule").value]) $("lr").value = String(m.defaults[$("rule").value].lr);
      send({ type: "reset", ...settings() });
      break;
    }
    case "model": {
      demo.ready = true;
      $("error").hidden = true;
      demo.batches = demo.examples = 0;
      demo.testError = demo.trainError = null;
      demo.history = [];
      demo.model = m;
      $("arch").textContent = `${m.sizes.join("-")} ${m.rule}, batch ${m.batch}`;
      $("apical-title").innerHTML = m.apicalLayers
        ? "Apical mismatch mean |v<sup>A</sup>| per hidden layer (nudged steady state)"
        : "Apical mismatch: none (this rule has no apical dendrites)";
      $("plot-apical").hidden = !m.apicalLayers;
      resetPlots(m.apicalLayers);
      showPredictions([]);
      for (const g of gridCells) {
        g.span.textContent = "?";
        g.cell.classList.remove("wrong");
      }
      $("examples").textContent = "0";
      $("epoch").textContent = "0";
      $("testErr").textContent = "–";
      $("speed").textContent = "–";
      setRunning(false);
      if (params.has("autostart") && !demo.autostarted) {
        demo.autostarted = true;
        send({ type: "start" });
      }
      askPrediction();
      break;
    }
    case "running":
      setRunning(m.running);
      break;
    case "progress": {
      demo.batches = m.batches;
      demo.examples = m.examples;
      $("examples").textContent = m.examples.toLocaleString("en");
      $("epoch").textContent = m.epoch.toFixed(2);
      if (m.examplesPerS) {
        $("speed").textContent = Math.round(m.examplesPerS).toLocaleString("en");
        pushPoint("plot-speed", m.examples, [m.examplesPerS]);
      }
      if (m.apical && m.apical.length) pushPoint("plot-apical", m.examples, m.apical);
      break;
    }
    case "eval": {
      demo.testError = m.testError;
      demo.trainError = m.trainError;
      demo.history.push({ examples: m.examples, testError: m.testError, trainError: m.trainError });
      $("testErr").textContent = `${(100 * m.testError).toFixed(2)} %`;
      pushPoint("plot-error", m.examples, [100 * m.trainError, 100 * m.testError]);
      showPredictions(m.gridPredictions);
      askPrediction();
      break;
    }
    case "prediction":
      predictPending = false;
      showRates(Array.from(m.rates), m.guess);
      $("raster-box").hidden = !m.raster;
      $("counts").hidden = !m.counts;
      if (m.counts) $("counts").textContent = `output spike counts: ${Array.from(m.counts).join(" ")}`;
      if (m.raster) drawRaster(m.raster, m.settle);
      demo.raster = m.raster ? m.raster.map((r) => ({ label: r.label, cells: r.cells, steps: r.steps, spikes: r.spikes.reduce((a, b) => a + b, 0) })) : null;
      demo.counts = m.counts ? Array.from(m.counts) : null;
      break;
    case "checkpoint":
      // The worker's checkpointBlob(model): offered as a file, and kept for the tests.
      downloadBlob(m.blob, m.name);
      demo.checkpoint = { name: m.name, bytes: m.blob.size, digest: m.digest };
      break;
    case "error":
      showError(m.message);
      break;
    default:
      // Replies to the test hooks (digest, bench) are read by the tests through window.demo.
      demo[m.type] = m;
  }
});

send({ type: "init", impl: params.get("impl") ?? "auto", threads: params.has("threads") ? Number(params.get("threads")) : "auto" });
