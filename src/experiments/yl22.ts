// The spiking microcircuit's equivalence to sign-concordant feedback alignment (Yang & Li 2022;
// design and checks in docs/model.md, "Spiking microcircuit"): per-layer angles between one
// window's batch-summed ΔW and the rate-network updates it should equal, at initialisation and
// after training, against the window length, and the sign concordance of the feedback contacts.
import type { Core } from "../core/core.js";
import { ValueError, assertInt } from "../core/errors.js";
import { BatchFiller, type Dataset } from "../data/dataset.js";
import { Spiking } from "../models/spiking/network.js";
import { angleDeg, equivalenceAngles, signConcordance, type EquivalenceAngles } from "../models/spiking/diagnostics.js";
import type { NamedArray } from "../train/model.js";
import { Rng } from "../core/random.js";

export interface ScfaEquivalenceOptions {
  /** Layer sizes (default 784-500-500-10). */
  arch?: number[];
  seed?: number;
  /** Test images the angles are measured on (default 100). */
  images?: number;
  /** Window of the measurement (default 100) and its settling part (default 10). */
  steps?: number;
  settle?: number;
  /** Window lengths of the angle-versus-T curve (default 30, 60, 100). */
  stepsCurve?: number[];
  /** Dithered repeats averaged for the trained analytic angle (default 10). */
  repeats?: number;
  /** Trained state to measure instead of training here (e.g. a checkpoint after one epoch). */
  trainedState?: Record<string, NamedArray>;
  /** Training examples of the one epoch trained here (default the whole training split). */
  trainLimit?: number;
  /** Extra model configuration (rule, gain, …) for the measured and the trained model. */
  model?: Record<string, unknown>;
  onProgress?: (fraction: number, what: string) => void;
}

interface PerLayer {
  init: number;
  trained: number;
}

export interface ScfaEquivalenceResult {
  json: Record<string, unknown>;
  plot: Record<string, unknown>;
}

const THRESHOLDS = {
  matchedInit: 5,
  matchedTrained: 12,
  analyticInit: 10,
  analyticTrainedOne: 25,
  analyticTrainedAveraged: 12.5,
  faMin: 75,
};

export async function scfaEquivalence(core: Core, data: Dataset, o: ScfaEquivalenceOptions = {}): Promise<ScfaEquivalenceResult> {
  const arch = o.arch ?? [data.inputSize, 500, 500, data.outputSize];
  if (arch[0] !== data.inputSize || arch[arch.length - 1] !== data.outputSize) {
    throw new ValueError(`scfa-equivalence: arch ${arch.join("-")} does not fit ${data.name} (${data.inputSize} inputs, ${data.outputSize} classes)`);
  }
  if (arch.length < 3) throw new ValueError("scfa-equivalence: arch needs at least one hidden layer");
  const seed = o.seed ?? 1;
  const images = o.images ?? 100;
  assertInt(images, "images", 1, data.test.n);
  const steps = o.steps ?? 100;
  const settle = o.settle ?? 10;
  const curve = o.stepsCurve ?? [30, 60, 100];
  const repeats = o.repeats ?? 10;
  assertInt(repeats, "repeats", 1);
  const progress = o.onProgress ?? (() => {});
  const base = { ...(o.model ?? {}), arch, seed };

  // The measurement batch: the first `images` test images, intensities in [0, 1].
  const filler = new BatchFiller(data, images);
  const batch = filler.fill(data.test, null, 0, images);
  const measure = { n: images, x: batch.x.slice(0, images * data.inputSize), labels: Int32Array.from(batch.labels!.subarray(0, images)) };

  const measuring = (T: number) => new Spiking(core, { ...base, steps: T, settle, maxBatch: images });
  const model = measuring(steps);
  const concordance = (m: Spiking): number => {
    const st = m.exportState();
    let sum = 0;
    let count = 0;
    for (let l = 1; l < arch.length - 1; l++) {
      const n = arch[l + 1] * arch[l];
      sum += signConcordance(st[`layers.${l}.W`].data, m.feedback(l), arch[l + 1], arch[l]) * n;
      count += n;
    }
    return sum / count;
  };
  const averaged = (m: Spiking): number[] => {
    let sum: Float64Array[] = [];
    let ref: Float64Array[] = [];
    for (let w = 0; w < repeats; w++) {
      const a = equivalenceAngles(m, measure, w);
      ref = a.analyticDW;
      sum = w === 0 ? a.dW.map((g) => Float64Array.from(g)) : sum.map((v, l) => v.map((x, i) => x + a.dW[l][i]));
    }
    return sum.map((v, l) => angleDeg(v, ref[l]));
  };
  const vsT = (state: Record<string, NamedArray>): number[][] =>
    curve.map((T) => {
      const m = measuring(T);
      try {
        m.importState(state);
        return equivalenceAngles(m, measure).analytic;
      } finally {
        m.dispose();
      }
    });

  try {
    progress(0, "angles at initialisation");
    const initState = model.exportState();
    const a0 = equivalenceAngles(model, measure);
    const conc0 = concordance(model);
    const vsT0 = vsT(initState);

    // One epoch of training with the training protocol (T = 60, batch 100), unless given.
    let trainedState = o.trainedState;
    let concDuring = 1;
    let trainedWindows = 0;
    if (!trainedState) {
      const B = 100;
      const trainer = new Spiking(core, { ...base, maxBatch: B });
      try {
        const n = Math.min(o.trainLimit ?? data.train.n, data.train.n);
        const order = new Uint32Array(n).map((_, i) => i);
        new Rng(seed).shuffle(order);
        const tf = new BatchFiller(data, B);
        const windows = Math.ceil(n / B);
        for (let w = 0; w < windows; w++) {
          const m = Math.min(B, n - w * B);
          trainer.trainBatch(tf.fill(data.train, order, w * B, m));
          if (w % 50 === 49 || w === windows - 1) {
            concDuring = Math.min(concDuring, concordance(trainer));
            progress((w + 1) / windows, "training one epoch");
            await new Promise((r) => setImmediate(r));
          }
        }
        trainedWindows = windows;
        trainedState = trainer.exportState();
      } finally {
        trainer.dispose();
      }
    }
    progress(1, "angles after training");
    model.importState(trainedState);
    const a1 = equivalenceAngles(model, measure);
    const conc1 = concordance(model);
    const avg1 = averaged(model);
    const vsT1 = vsT(trainedState);

    const L = arch.length - 1;
    const layers = Array.from({ length: L }, (_, l) => l);
    const pair = (x: EquivalenceAngles, y: EquivalenceAngles, k: "matched" | "analytic" | "fa" | "bp"): PerLayer[] =>
      layers.map((l) => ({ init: x[k][l], trained: y[k][l] }));
    const hidden = layers.slice(0, L - 1);
    const checks = {
      A: layers.every((l) => a0.matched[l] <= THRESHOLDS.matchedInit && a1.matched[l] <= THRESHOLDS.matchedTrained),
      B: layers.every(
        (l) => a0.analytic[l] <= THRESHOLDS.analyticInit && (a1.analytic[l] <= THRESHOLDS.analyticTrainedOne || avg1[l] <= THRESHOLDS.analyticTrainedAveraged),
      ),
      C: hidden.every((l) => a0.fa[l] >= THRESHOLDS.faMin && a1.fa[l] >= THRESHOLDS.faMin && a0.bp[l] > a0.analytic[l] && a1.bp[l] > a1.analytic[l]),
      // D as stated for the first hidden layer (deeper layers are reported; their angles are smaller).
      D: vsT1.every((row, i) => i === 0 || row[0] < vsT1[i - 1][0]),
      E: conc0 === 1 && conc1 === 1 && concDuring === 1,
    };
    const json = {
      experiment: "scfa-equivalence",
      arch,
      seed,
      images,
      steps,
      settle,
      rule: model.config().rule,
      trainedWindows,
      trainedFrom: o.trainedState ? "given state" : `one epoch here (${trainedWindows} windows of 100, T = 60)`,
      angleMatched: pair(a0, a1, "matched"),
      angleAnalytic: pair(a0, a1, "analytic"),
      angleAnalyticAveraged: { trained: avg1, repeats },
      angleFA: pair(a0, a1, "fa"),
      angleBP: pair(a0, a1, "bp"),
      angleVsT: curve.map((T, i) => ({ T, init: vsT0[i], trained: vsT1[i] })),
      signConcordance: { init: conc0, trained: conc1, duringTraining: trainedWindows ? concDuring : null },
      thresholds: THRESHOLDS,
      checks,
      passed: Object.values(checks).every(Boolean),
    };
    const rows: Record<string, unknown>[] = [];
    for (const [ref, v] of [
      ["matched SCFA", json.angleMatched],
      ["analytic SCFA", json.angleAnalytic],
      ["FA (random signs)", json.angleFA],
      ["backprop", json.angleBP],
    ] as const) {
      for (const l of layers) {
        rows.push({ reference: ref, layer: l + 1, phase: "init", angle: v[l].init });
        rows.push({ reference: ref, layer: l + 1, phase: "trained", angle: v[l].trained });
      }
    }
    const tRows = json.angleVsT.flatMap((r) =>
      layers.flatMap((l) => [
        { T: r.T, layer: `layer ${l + 1}`, phase: "init", angle: r.init[l] },
        { T: r.T, layer: `layer ${l + 1}`, phase: "trained", angle: r.trained[l] },
      ]),
    );
    const plot = {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      title: `Spiking microcircuit ${arch.join("-")}: angle of the window's ΔW to rate updates (${images} test images)`,
      vconcat: [
        {
          data: { values: rows },
          mark: "bar",
          encoding: {
            column: { field: "reference", type: "nominal", title: null, sort: ["matched SCFA", "analytic SCFA", "FA (random signs)", "backprop"] },
            x: { field: "phase", type: "nominal", title: null, sort: ["init", "trained"] },
            xOffset: { field: "layer", type: "ordinal" },
            y: { field: "angle", type: "quantitative", title: "angle (degrees)", scale: { domain: [0, 130] } },
            color: { field: "layer", type: "ordinal", title: "layer" },
          },
          width: 120,
          height: 220,
        },
        {
          data: { values: tRows },
          mark: { type: "line", point: true },
          encoding: {
            x: { field: "T", type: "quantitative", title: "window T (steps)" },
            y: { field: "angle", type: "quantitative", title: "angle to analytic SCFA (degrees)" },
            color: { field: "layer", type: "nominal" },
            strokeDash: { field: "phase", type: "nominal" },
          },
          width: 420,
          height: 200,
        },
      ],
    };
    return { json, plot };
  } finally {
    model.dispose();
  }
}
