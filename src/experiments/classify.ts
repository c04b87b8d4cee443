// Classification in full dynamics: the microcircuit of SCBS18 learning the Bern lab's toy tasks
// (Bars, Yin-Yang) with every Euler step simulated, 100 ms per pattern, online (one pattern at a
// time, no reset between patterns), optionally with a learning lag after each pattern switch.
// docs/model.md describes the model; docs/experiments/fulldynamics.md the protocol and results.
import type { Core } from "../core/core.js";
import { ValueError, assertFinite, assertInt } from "../core/errors.js";
import type { Dataset, Split } from "../data/dataset.js";
import { YINYANG_CLASSES } from "../data/generators.js";
import type { NamedArray } from "../train/model.js";
import { SplitMix32 } from "../core/random.js";
import { Microcircuit, type MicrocircuitOptions } from "../models/microcircuit/index.js";

/** The physics and rates of one full-dynamics classification run. */
export interface FullDynamicsRecipe {
  gA: number;
  gSom: number;
  /** η_up per layer (1..N) and η_IP per hidden layer; W^PI and B stay fixed. */
  etaUp: number[];
  etaIP: number[];
  /** Initial W^up ~ U(−a, a); B ~ U(−1, 1); W^PI = −B and W^IP from W^up (exact self-predicting start). */
  initUp: number;
  /** Target potentials of the wrong and right classes. */
  targetLow: number;
  targetHigh: number;
  /** Plasticity off for this long after each pattern switch. */
  learningLagMs: number;
  /** Rate of the constant input that feeds the thresholds (1: a plain threshold; the lab's code: 0.5). */
  thresholdInput: number;
  /** Low-pass time constant of the target potentials during training (0: they switch at once). */
  tauTargetMs: number;
  /**
   * How the class is read out at test: "steady", the free σ = 0 steady state (iterated to
   * convergence); "running", the mean output potential over 80–100 ms of a 100 ms presentation
   * in the free-running full dynamics, patterns following each other without reset (the lab's code).
   */
  readout: "steady" | "running";
}

/**
 * The Yin-Yang recipe, from the Bern lab's public PyraLNet code (its learning-lag search for 4-120-3,
 * runs/yinyang_pyralnet_llag_perf: the kept configuration, 96.8 % mean test accuracy over its 10
 * seeds after 45 epochs): g_A 0.28, g_som 0.337, η_up 6.07 / 7.24e−4, η_IP 2·η_up,out, W^PI and B
 * fixed, W^up U(±0.1), B U(±1), self-predicting start, thresholds fed by a constant input of rate 0.5,
 * logistic φ, target potentials 0.1 / 1, 20 ms learning lag. docs/experiments/fulldynamics.md
 * compares it with the search's first configuration (g_A 0.2, g_som 0.3, η_up 4.2 / 6.72e−4).
 */
export const YINYANG_RECIPE: Readonly<FullDynamicsRecipe> = Object.freeze({
  gA: 0.2798,
  gSom: 0.3374,
  etaUp: [6.068, 7.239e-4],
  etaIP: [1.448e-3],
  initUp: 0.1,
  targetLow: 0.1,
  targetHigh: 1,
  learningLagMs: 20,
  thresholdInput: 0.5,
  tauTargetMs: 0,
  readout: "steady",
});

export interface FullDynamicsOptions {
  /** Layer sizes; input and output must match the data set. */
  sizes: number[];
  seed?: number;
  epochs: number;
  recipe?: Partial<FullDynamicsRecipe>;
  /** Training patterns between evaluations (default: one epoch). */
  evalEvery?: number;
  /** Stop as soon as the test accuracy reaches this value (e.g. 1 for Bars). */
  stopAtTestAccuracy?: number;
  /** Continue a run from a snapshot (weights, filters and the curve so far) given by `onEpoch`. */
  resume?: FullDynamicsSnapshot;
  /** Called after every completed epoch with a snapshot that `resume` accepts. */
  onEpoch?: (s: FullDynamicsSnapshot) => void;
  onProgress?: (fraction: number) => void;
}

export interface CurvePoint {
  pattern: number;
  epoch: number;
  validationAccuracy: number;
  testAccuracy: number;
  /** Mean squared error of the output potentials against the target potentials (absent in older runs). */
  validationMse?: number;
  testMse?: number;
  wallS: number;
}

export interface FullDynamicsSnapshot {
  epochsDone: number;
  patterns: number;
  wallS: number;
  curve: CurvePoint[];
  state: Record<string, NamedArray>;
}

export interface FullDynamicsResult {
  json: Record<string, unknown>;
  /** Final network (caller disposes). */
  net: Microcircuit;
  /** Free-running class of each input (rows of x), from the converged σ = 0 steady state. */
  classify: (x: Float32Array, n: number) => Uint8Array;
  dispose: () => void;
}

/** Builds the microcircuit of a recipe (exact self-predicting start, B and W^PI fixed, σ = 0). */
export function fullDynamicsOptions(sizes: number[], seed: number, r: FullDynamicsRecipe, maxBatch = 1): MicrocircuitOptions {
  const N = sizes.length - 1;
  if (r.etaUp.length !== N) throw new ValueError(`recipe.etaUp needs ${N} entries (one per layer), got ${r.etaUp.length}`);
  if (r.etaIP.length !== N - 1) throw new ValueError(`recipe.etaIP needs ${N - 1} entries (one per hidden layer), got ${r.etaIP.length}`);
  return {
    sizes,
    seed,
    maxBatch,
    activation: "logistic",
    gA: r.gA,
    gSom: r.gSom,
    sigma: 0,
    eta: { up: r.etaUp, ip: r.etaIP, pi: 0, down: 0 },
    plastic: { up: true, ip: true, pi: false, down: false },
    thresholds: { up: true, ip: true, input: r.thresholdInput },
    init: {
      up: { dist: "uniform", scale: r.initUp },
      down: { dist: "uniform", scale: 1 },
      ip: { dist: "uniform", scale: r.initUp },
      pi: { dist: "uniform", scale: 1 },
    },
    start: "selfPredicting",
    learningLagMs: r.learningLagMs,
    tauTargetMs: r.tauTargetMs,
  };
}

/**
 * Trains the microcircuit on a classification data set in full dynamics and tracks validation and
 * test accuracy of the free-running network (σ = 0 steady state without target, iterated to
 * convergence through the fast mode's up/down sweeps — the fixed point the full dynamics reach).
 */
export function trainFullDynamics(core: Core, data: Dataset, o: FullDynamicsOptions): FullDynamicsResult {
  if (data.task !== "classification") throw new ValueError(`${data.name}: full-dynamics classification needs a classification data set`);
  const sizes = o.sizes;
  if (sizes[0] !== data.inputSize || sizes[sizes.length - 1] !== data.outputSize) {
    throw new ValueError(`sizes ${sizes.join("-")}: ${data.name} needs ${data.inputSize} inputs and ${data.outputSize} classes`);
  }
  if (data.train.x instanceof Uint8Array) throw new ValueError(`${data.name}: full-dynamics classification takes float inputs (a generated data set)`);
  const seed = o.seed ?? 1;
  assertInt(o.epochs, "epochs", 0);
  const r: FullDynamicsRecipe = { ...YINYANG_RECIPE, ...(o.recipe ?? {}) };
  for (const k of ["gA", "gSom", "initUp", "targetLow", "targetHigh", "learningLagMs", "thresholdInput", "tauTargetMs"] as const)
    assertFinite(r[k], `recipe.${k}`);
  if (r.readout !== "steady" && r.readout !== "running") throw new ValueError(`recipe.readout must be "steady" or "running", got ${String(r.readout)}`);
  const N = sizes.length - 1;
  const nIn = sizes[0];
  const nOut = sizes[N];
  const evalEvery = o.evalEvery ?? data.train.n;
  assertInt(evalEvery, "evalEvery", 1);

  const net = new Microcircuit(core, fullDynamicsOptions(sizes, seed, r));
  const probeBatch = 100;
  const probe = new Microcircuit(core, fullDynamicsOptions(sizes, seed, r, probeBatch));
  const dispose = () => {
    probe.dispose();
    net.dispose();
  };
  try {
    // Output potentials (n × nOut) of the free-running network, read out as the recipe says.
    const outputs = (x: Float32Array, n: number): Float32Array => {
      probe.importState(net.exportState({ neurons: false }));
      probe.reset();
      const u = new Float32Array(n * nOut);
      for (let i = 0; i < n; i += probeBatch) {
        const b = Math.min(probeBatch, n - i);
        const xb = x.subarray(i * nIn, (i + b) * nIn);
        if (r.readout === "steady") {
          probe.steadyState(xb, null, { batch: b, sweeps: 60, learn: false });
          u.set(probe.state("uP", N, b), i * nOut);
        } else {
          // 100 ms: 80 ms to settle, then the mean over the last 20 ms (every Euler step).
          probe.present(xb, { batch: b, steps: 800, learn: false });
          const acc = u.subarray(i * nOut, (i + b) * nOut);
          for (let s = 0; s < 200; s++) {
            probe.present(xb, { batch: b, steps: 1, learn: false, newPattern: false });
            const v = probe.state("uP", N, b);
            for (let j = 0; j < acc.length; j++) acc[j] += v[j] / 200;
          }
        }
      }
      return u;
    };
    const argmax = (u: Float32Array, n: number): Uint8Array => {
      const out = new Uint8Array(n);
      for (let rI = 0; rI < n; rI++) {
        let best = 0;
        for (let c = 1; c < nOut; c++) if (u[rI * nOut + c] > u[rI * nOut + best]) best = c;
        out[rI] = best;
      }
      return out;
    };
    const classify = (x: Float32Array, n: number): Uint8Array => argmax(outputs(x, n), n);
    // Accuracy and the mean squared error of the output potentials against the training targets.
    const evaluate = (s: Split): { accuracy: number; mse: number } => {
      const u = outputs(s.x as Float32Array, s.n);
      const pred = argmax(u, s.n);
      let ok = 0;
      let se = 0;
      for (let i = 0; i < s.n; i++) {
        if (pred[i] === s.labels![i]) ok++;
        for (let c = 0; c < nOut; c++) se += (u[i * nOut + c] - (c === s.labels![i] ? r.targetHigh : r.targetLow)) ** 2;
      }
      return { accuracy: ok / s.n, mse: se / (s.n * nOut) };
    };

    const curve: CurvePoint[] = o.resume ? o.resume.curve.slice() : [];
    let patterns = o.resume?.patterns ?? 0;
    let wallBefore = o.resume?.wallS ?? 0;
    let epoch = o.resume?.epochsDone ?? 0;
    if (o.resume) net.importState(o.resume.state);
    const t0 = performance.now();
    const wall = () => wallBefore + (performance.now() - t0) / 1000;
    const record = () => {
      const v = evaluate(data.validation);
      const t = evaluate(data.test);
      curve.push({
        pattern: patterns,
        epoch: patterns / data.train.n,
        validationAccuracy: v.accuracy,
        testAccuracy: t.accuracy,
        validationMse: v.mse,
        testMse: t.mse,
        wallS: wall(),
      });
    };
    if (curve.length === 0) record();

    const x = data.train.x as Float32Array;
    const target = new Float32Array(nOut);
    const reached = () => o.stopAtTestAccuracy !== undefined && curve.length > 0 && curve[curve.length - 1].testAccuracy >= o.stopAtTestAccuracy;
    const total = o.epochs * data.train.n;
    while (epoch < o.epochs && !reached()) {
      // The epoch's order depends only on (seed, epoch), so a resumed run sees the same sequence.
      const order = permutation(new SplitMix32(seed * 7919 + epoch + 1), data.train.n);
      for (const i of order) {
        target.fill(r.targetLow);
        target[data.train.labels![i]] = r.targetHigh;
        net.present(x.subarray(i * nIn, (i + 1) * nIn), { target, learn: true });
        patterns++;
        if (patterns % evalEvery === 0) {
          record();
          if (reached()) break;
        }
        if (patterns % 100 === 0) o.onProgress?.(patterns / total);
      }
      if (reached()) break;
      epoch++;
      if (curve[curve.length - 1].pattern !== patterns) record();
      o.onEpoch?.({ epochsDone: epoch, patterns, wallS: wall(), curve: curve.slice(), state: net.exportState() });
    }
    const last = curve[curve.length - 1];
    const first100 = curve.find((c) => c.testAccuracy >= 1);
    const best = curve.reduce((a, c) => (c.validationAccuracy > a.validationAccuracy ? c : a), curve[0]);
    wallBefore = wall();
    return {
      json: {
        dataset: data.name,
        datasetAbout: data.about,
        network: sizes.join("-"),
        seed,
        epochs: o.epochs,
        patterns,
        simulatedS: (patterns * 100) / 1000,
        testAccuracy: last.testAccuracy,
        validationAccuracy: last.validationAccuracy,
        bestValidationEpoch: best.epoch,
        testAccuracyAtBestValidation: best.testAccuracy,
        firstPerfectTest: first100 ? { pattern: first100.pattern, epoch: first100.epoch, wallS: first100.wallS } : null,
        wallS: wallBefore,
        recipe: r,
        protocol:
          "full dynamics (dt 0.1 ms, 100 ms per pattern, τ_in 3 ms, τ_w 30 ms), online, no reset between patterns; exact self-predicting start, W^up and W^IP plastic (with thresholds), B and W^PI fixed; σ 0; " +
          `target potentials on the output during training${r.tauTargetMs > 0 ? ` (low-pass, τ ${r.tauTargetMs} ms)` : ""}; test: ` +
          (r.readout === "steady"
            ? "free-running σ = 0 steady state (no target)"
            : "mean output potential over 80–100 ms of each pattern in the free-running full dynamics (no target, no reset)") +
          ", class = argmax output potential",
        curve,
      },
      net,
      classify,
      dispose,
    };
  } catch (e) {
    dispose();
    throw e;
  }
}

function permutation(rng: SplitMix32, n: number): Uint32Array {
  const p = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** Vega-Lite: validation and test accuracy against training patterns. */
export function accuracyPlot(title: string, curve: CurvePoint[]): Record<string, unknown> {
  const values = curve.flatMap((c) => [
    { pattern: c.pattern, split: "validation", accuracy: c.validationAccuracy },
    { pattern: c.pattern, split: "test", accuracy: c.testAccuracy },
  ]);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: 480,
    height: 260,
    title,
    data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "pattern", type: "quantitative", title: "training patterns (100 ms each)" },
      y: { field: "accuracy", type: "quantitative", title: "accuracy", scale: { zero: false } },
      color: { field: "split", type: "nominal", title: null },
    },
  };
}

/**
 * Vega-Lite: the Yin-Yang decision regions of a classifier on a grid over the unit square (points
 * inside the big circle), with the test points on top coloured by their true class.
 */
export function decisionRegionPlot(title: string, classify: (x: Float32Array, n: number) => Uint8Array, test: Split, grid = 80): Record<string, unknown> {
  const pts: { x: number; y: number }[] = [];
  for (let i = 0; i < grid; i++) {
    for (let j = 0; j < grid; j++) {
      const px = (i + 0.5) / grid;
      const py = (j + 0.5) / grid;
      if (Math.hypot(px - 0.5, py - 0.5) <= 0.5) pts.push({ x: px, y: py });
    }
  }
  const xs = new Float32Array(pts.length * 4);
  pts.forEach((p, k) => xs.set([p.x, p.y, 1 - p.x, 1 - p.y], k * 4));
  const cls = classify(xs, pts.length);
  const names = [...YINYANG_CLASSES];
  const region = pts.map((p, k) => ({ x: p.x, y: p.y, cls: names[cls[k]] }));
  const tx = test.x as Float32Array;
  const points = Array.from({ length: test.n }, (_, k) => ({ x: tx[k * 4], y: tx[k * 4 + 1], cls: names[test.labels![k]] }));
  const scale = { domain: names, range: ["#4c78a8", "#f58518", "#54a24b"] };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: 360,
    height: 360,
    title,
    layer: [
      {
        data: { values: region },
        mark: { type: "square", size: 36, opacity: 0.35 },
        encoding: {
          x: { field: "x", type: "quantitative", scale: { domain: [0, 1] } },
          y: { field: "y", type: "quantitative", scale: { domain: [0, 1] } },
          color: { field: "cls", type: "nominal", scale, title: "predicted region / true class" },
        },
      },
      {
        data: { values: points },
        mark: { type: "circle", size: 10, opacity: 0.9 },
        encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" }, color: { field: "cls", type: "nominal", scale } },
      },
    ],
  };
}

/** Options of the `bars` and `yinyang` experiments (CLI: `dendritic experiment bars|yinyang`). */
export interface ClassifyExperimentOptions {
  seed?: number;
  dataSeed?: number;
  sizes?: number[];
  epochs?: number;
  learningLagMs?: number;
  /** Training patterns between evaluations (default: one epoch; Bars: 300). */
  evalEvery?: number;
  /** Overrides of the recipe (YINYANG_RECIPE); learningLagMs above, when given, wins. */
  recipe?: Partial<FullDynamicsRecipe>;
  resume?: FullDynamicsSnapshot;
  onEpoch?: (s: FullDynamicsSnapshot) => void;
  onProgress?: (fraction: number) => void;
}

export interface ClassifyExperimentResult {
  json: Record<string, unknown>;
  plot: Record<string, unknown>;
  /** Further plots by file suffix (Yin-Yang: "regions", the decision regions). */
  plots: Record<string, Record<string, unknown>>;
}

/**
 * Bars 3×3 (9-30-3, the Bern lab's standard toy) in full dynamics with the Yin-Yang recipe; stops
 * at the first evaluation (every 300 patterns) with 100 % test accuracy.
 */
export function barsExperiment(core: Core, data: Dataset, o: ClassifyExperimentOptions = {}): ClassifyExperimentResult {
  const sizes = o.sizes ?? [data.inputSize, 30, data.outputSize];
  const r = trainFullDynamics(core, data, {
    sizes,
    seed: o.seed,
    epochs: o.epochs ?? 5,
    evalEvery: o.evalEvery ?? 300,
    stopAtTestAccuracy: 1,
    recipe: { ...o.recipe, ...(o.learningLagMs === undefined ? {} : { learningLagMs: o.learningLagMs }) },
    resume: o.resume,
    onEpoch: o.onEpoch,
    onProgress: o.onProgress,
  });
  try {
    return { json: { experiment: "bars", ...r.json }, plot: accuracyPlot(`Bars ${sizes.join("-")}, full dynamics`, r.json.curve as CurvePoint[]), plots: {} };
  } finally {
    r.dispose();
  }
}

/** Yin-Yang (4-30-3 or 4-120-3) in full dynamics with the learning lag; accuracy curve and decision regions. */
export function yinyangExperiment(core: Core, data: Dataset, o: ClassifyExperimentOptions = {}): ClassifyExperimentResult {
  const sizes = o.sizes ?? [data.inputSize, 30, data.outputSize];
  const r = trainFullDynamics(core, data, {
    sizes,
    seed: o.seed,
    epochs: o.epochs ?? 10,
    evalEvery: o.evalEvery,
    recipe: { ...o.recipe, ...(o.learningLagMs === undefined ? {} : { learningLagMs: o.learningLagMs }) },
    resume: o.resume,
    onEpoch: o.onEpoch,
    onProgress: o.onProgress,
  });
  try {
    const title = `Yin-Yang ${sizes.join("-")}, full dynamics: test accuracy ${(100 * (r.json.testAccuracy as number)).toFixed(1)} %`;
    return {
      json: { experiment: "yinyang", ...r.json },
      plot: accuracyPlot(`Yin-Yang ${sizes.join("-")}, full dynamics`, r.json.curve as CurvePoint[]),
      plots: { regions: decisionRegionPlot(title, r.classify, data.test) },
    };
  } finally {
    r.dispose();
  }
}
