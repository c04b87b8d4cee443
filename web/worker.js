// The demo's training thread: loads the WebAssembly core and the embedded 10 000-digit MNIST
// (gzipped IDX, decompressed with DecompressionStream), and trains with the library's own Trainer,
// which yields to the event loop every ~50 ms so pause, reset and drawing predictions get through.
import {
  init,
  detectFeatures,
  createModel,
  Trainer,
  fetchIdxDataset,
  checkpointBlob,
  MNIST_SMALL_SPLIT,
  MICROCIRCUIT_MNIST,
  digestState,
  ValueError,
} from "../dist/index.js";

const SIZES = [784, 500, 500, 10];
const BATCH = 10;
/** Per-rule model configurations (the learning rate and seed come from the page). */
const RULES = {
  // SCBS18; docs/model.md §1.8/§1.10: the MNIST protocol of the fast steady-state mode.
  microcircuit: { kind: "microcircuit", lr: MICROCIRCUIT_MNIST.eta, config: (lr, seed) => ({ sizes: SIZES, maxBatch: BATCH, eta: lr, seed }) },
  bp: { kind: "mlp", lr: 0.1, config: (lr, seed) => ({ arch: SIZES, rule: "bp", lr, seed, maxBatch: BATCH }) },
  fa: { kind: "mlp", lr: 0.1, config: (lr, seed) => ({ arch: SIZES, rule: "fa", lr, seed, maxBatch: BATCH }) },
  // The spiking microcircuit with sign-concordant feedback (docs/spiking.md): windows of 60 steps.
  spiking: { kind: "spiking", lr: 0.5, config: (lr, seed) => ({ arch: SIZES, rule: "scfa-frsf", lr, seed, maxBatch: BATCH }) },
};
/** Cells per population shown in the spike raster of the drawn digit. */
const RASTER_CELLS = 16;
const GRID = 32;
/**
 * Test and training error are measured after at least EVAL_MIN_EXAMPLES more training examples and
 * once training has run EVAL_SPACING times as long as the last evaluation took, which keeps
 * evaluation below ~1/(1 + EVAL_SPACING) of the time on any machine.
 */
const EVAL_MIN_EXAMPLES = 1000;
const EVAL_SPACING = 4;

let core = null;
let dataset = null;
let trainSubset = null;
let model = null;
let trainer = null;
let currentRule = null;
let running = null; // the promise of trainer.run() while training
let trained = { batches: 0, examples: 0 };
let nextEval = EVAL_MIN_EXAMPLES;
let evalMs = 0;
let lastEvalEnd = 0;
let stopAt = Infinity;
let progressMark = null;
// Examples/s over the last report interval, not counting time spent evaluating.
let rate = { t: 0, examples: 0, evalMs: 0 };

const post = (m, transfer = []) => postMessage(m, transfer);
const fail = (e) => post({ type: "error", message: `${e?.name ?? "Error"}: ${e?.message ?? String(e)}` });

function argmaxRows(out, n, k) {
  const pred = new Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (out[r * k + c] > out[r * k + best]) best = c;
    pred[r] = best;
  }
  return pred;
}

function evaluate() {
  const t0 = performance.now();
  const test = trainer.evaluate("test");
  const train = trainer.evaluate(trainSubset);
  const x = new Float32Array(GRID * 784);
  for (let i = 0; i < x.length; i++) x[i] = dataset.test.x[i] / 255;
  // predict takes at most maxBatch rows at a time.
  const rows = [];
  for (let s = 0; s < GRID; s += model.maxBatch) {
    const n = Math.min(model.maxBatch, GRID - s);
    rows.push(...argmaxRows(model.predict(x.subarray(s * 784, (s + n) * 784), n), n, 10));
  }
  post({ type: "eval", examples: trained.examples, testError: test.error, trainError: train.error, gridPredictions: rows });
  lastEvalEnd = performance.now();
  evalMs = lastEvalEnd - t0;
  rate.evalMs += evalMs;
}

function onProgress(p) {
  trained.batches++;
  trained.examples += p.examples - (progressMark?.epoch === p.epoch ? progressMark.examples : 0);
  progressMark = { epoch: p.epoch, examples: p.examples };
  if (trained.batches >= stopAt) trainer.stop();
  const t = performance.now();
  if (t - rate.t >= 250 || trained.batches >= stopAt) {
    const busy = t - rate.t - rate.evalMs;
    post({
      type: "progress",
      batches: trained.batches,
      examples: trained.examples,
      epoch: p.epoch - 1 + p.examples / p.epochExamples,
      examplesPerS: rate.t > 0 && busy > 0 ? ((trained.examples - rate.examples) * 1000) / busy : null,
      // Mean |v^A| per hidden layer in the nudged steady state of the last mini-batch (SCBS18 §1.7).
      apical: model.net?.apicalMismatch ? model.net.apicalMismatch(p.examples % BATCH || BATCH) : [],
    });
    rate = { t, examples: trained.examples, evalMs: 0 };
  }
  if (trained.examples >= nextEval && t - lastEvalEnd >= EVAL_SPACING * evalMs) {
    nextEval = trained.examples + EVAL_MIN_EXAMPLES;
    evaluate();
  }
}

async function reset({ rule: r, lr, seed }) {
  if (running) {
    trainer.stop();
    await running;
  }
  const spec = RULES[r];
  if (!spec) throw new ValueError(`unknown rule '${r}'; expected ${Object.keys(RULES).join(", ")}`);
  if (!(Number.isFinite(lr) && lr > 0)) throw new ValueError(`learning rate must be a positive number, got ${lr}`);
  if (!(Number.isInteger(seed) && seed >= 0)) throw new ValueError(`seed must be a non-negative integer, got ${seed}`);
  model?.dispose();
  model = null;
  model = createModel(core, spec.kind, spec.config(lr, seed));
  currentRule = r;
  trainer = new Trainer(model, dataset, {
    epochs: 1_000_000,
    batchSize: BATCH,
    seed,
    shuffle: true,
    monitorEvery: 0,
    testEveryEpoch: false,
    progressMs: 0,
    onProgress,
  });
  trained = { batches: 0, examples: 0 };
  progressMark = null;
  nextEval = EVAL_MIN_EXAMPLES;
  evalMs = lastEvalEnd = 0;
  rate = { t: 0, examples: 0, evalMs: 0 };
  post({ type: "model", rule: r, sizes: SIZES, batch: BATCH, lr, seed, apicalLayers: spec.kind === "microcircuit" ? SIZES.length - 2 : 0 });
}

function start({ batches } = {}) {
  if (running) return;
  rate = { t: 0, examples: trained.examples, evalMs: 0 };
  stopAt = batches === undefined ? Infinity : trained.batches + batches;
  post({ type: "running", running: true });
  running = trainer
    .run()
    .catch(fail)
    .finally(() => {
      running = null;
      post({ type: "running", running: false });
      if (stopAt !== Infinity) post({ type: "stopped", batches: trained.batches, examples: trained.examples });
      stopAt = Infinity;
    });
}

async function handle(m) {
  switch (m.type) {
    case "init": {
      core = await init({ impl: m.impl ?? "auto", threads: m.threads ?? "auto" });
      // scripts/build-web-data.mjs writes gzipped files only: ask for those names (no 404s).
      dataset = await fetchIdxDataset("mnist-small", new URL("./data/", import.meta.url), { validation: MNIST_SMALL_SPLIT.validation, gzip: true });
      const n = 1000;
      trainSubset = { n, x: dataset.train.x.subarray(0, n * 784), labels: dataset.train.labels.subarray(0, n) };
      const gridImages = dataset.test.x.slice(0, GRID * 784);
      post(
        {
          type: "ready",
          impl: core.impl,
          threads: core.threads,
          features: detectFeatures(),
          data: `mnist-small: ${dataset.train.n} train / ${dataset.validation.n} val / ${dataset.test.n} test`,
          defaults: Object.fromEntries(Object.entries(RULES).map(([k, v]) => [k, { lr: v.lr }])),
          gridImages,
          gridLabels: Array.from(dataset.test.labels.subarray(0, GRID)),
        },
        [gridImages.buffer],
      );
      break;
    }
    case "reset":
      await reset(m);
      break;
    case "start":
      start(m);
      break;
    case "pause":
      if (running) {
        trainer.stop();
        await running;
        evaluate();
      }
      break;
    case "predict": {
      if (!model) break;
      const out = model.predict(m.x, 1).slice(0, 10);
      if (model.kind !== "spiking") {
        post({ type: "prediction", rates: out }, [out.buffer]);
        break;
      }
      // Spike-count readout: counts in the learning part of the window (the integer part of the
      // output), shown as rates per step; the guess is the argmax with ties broken by potential.
      const { steps, settle } = model.config();
      const counts = Float32Array.from(out, (v) => Math.floor(v));
      const rates = counts.map((c) => c / (steps - settle));
      const guess = argmaxRows(out, 1, 10)[0];
      // Raster of a few cells per population: the most active cells of the inputs and of each
      // hidden layer in this window (ties by index), and every output cell.
      const mostActive = (v) =>
        Array.from(v.keys())
          .sort((a, b) => v[b] - v[a] || a - b)
          .slice(0, RASTER_CELLS)
          .sort((a, b) => a - b);
      const raster = SIZES.map((n, p) => {
        const r = model.raster(p, 0, p === SIZES.length - 1 ? n : mostActive(model.spikeCounts(p, "window")));
        return { label: p === 0 ? "input" : p === SIZES.length - 1 ? "output" : `hidden ${p}`, steps: r.steps, cells: r.cells, spikes: r.spikes };
      });
      post({ type: "prediction", rates, counts, guess, raster, settle });
      break;
    }
    case "save": {
      // Between two mini-batches (the trainer yields to this queue), so the state is consistent.
      if (!model) break;
      const state = model.exportState(); // a copy, taken in the same task as the blob
      const blob = checkpointBlob(model, { metadata: { dataset: "mnist-small", examples_seen: String(trained.examples) } });
      const digest = await digestState(state);
      post({ type: "checkpoint", blob, digest, name: `dendritic-${currentRule}-${trained.examples}.safetensors` });
      break;
    }
    case "digest":
      // Test hook: SHA-256 of every weight, filter state and RNG state (exportState).
      post({ type: "digest", digest: await digestState(model.exportState()), batches: trained.batches, impl: core.impl });
      break;
    default:
      throw new ValueError(`unknown message ${JSON.stringify(m.type)}`);
  }
}

// Messages are handled one at a time, in order (a reset waits for a running epoch to stop).
let queue = Promise.resolve();
self.addEventListener("message", (e) => {
  queue = queue.then(() => handle(e.data)).catch(fail);
});
