// Seeded synthetic data sets (docs/model.md §5): bars, Yin-Yang, and a random teacher network.
// Each split is drawn from its own stream (seed, seed+1, seed+2 for train, validation, test), so the
// test set does not change when the training set size does.
import { ValueError, assertFinite, assertInt } from "../core/errors.js";
import { Rng } from "../core/random.js";
import type { Dataset, Split } from "./dataset.js";

const streamSeed = (seed: number, k: number) => (seed + k) >>> 0;

// ------------------------------------------------------------------------------------------------
// Bars

export interface BarsOptions {
  /** Grid side N (inputs N×N). Default 3, the Bern lab's standard toy (net 9-30-3). */
  size?: number;
  /** Examples per split. Defaults 3000 / 300 / 300. */
  train?: number;
  validation?: number;
  test?: number;
  /** Each pixel gets independent U(0, noise) added. Default 0.1 ("small uniform noise"). */
  noise?: number;
  seed?: number;
}

/**
 * N×N images of one bar: class 0 horizontal (one of N rows lit), class 1 vertical (one of N
 * columns), class 2 diagonal (the main or the anti-diagonal). Lit pixels 1, others 0, then uniform
 * noise. Classes cycle 0, 1, 2 before a seeded shuffle, so every split is balanced to within one.
 */
export function bars(options: BarsOptions = {}): Dataset {
  const N = options.size ?? 3;
  assertInt(N, "bars size", 2, 64);
  const noise = options.noise ?? 0.1;
  assertFinite(noise, "bars noise");
  if (noise < 0) throw new ValueError(`bars noise must be ≥ 0, got ${noise}`);
  const seed = options.seed ?? 1;
  assertInt(seed, "seed", 0, 2 ** 32 - 1);
  const D = N * N;
  const make = (n: number, k: number): Split => {
    assertInt(n, "bars split size", 1);
    const rng = new Rng(streamSeed(seed, k));
    const cls = new Uint8Array(n);
    for (let i = 0; i < n; i++) cls[i] = i % 3;
    rng.shuffle(cls);
    const x = new Float32Array(n * D);
    for (let i = 0; i < n; i++) {
      const o = i * D;
      if (cls[i] === 0) {
        const r = rng.int(N);
        for (let c = 0; c < N; c++) x[o + r * N + c] = 1;
      } else if (cls[i] === 1) {
        const c = rng.int(N);
        for (let r = 0; r < N; r++) x[o + r * N + c] = 1;
      } else {
        const anti = rng.int(2) === 1;
        for (let r = 0; r < N; r++) x[o + r * N + (anti ? N - 1 - r : r)] = 1;
      }
      for (let j = 0; j < D; j++) x[o + j] += noise * rng.uniform();
    }
    return { n, x, labels: cls };
  };
  return {
    name: "bars",
    task: "classification",
    inputSize: D,
    outputSize: 3,
    imageShape: [N, N],
    train: make(options.train ?? 3000, 0),
    validation: make(options.validation ?? 300, 1),
    test: make(options.test ?? 300, 2),
    about: `bars ${N}×${N}: horizontal / vertical / diagonal bar + U(0, ${noise}) noise, seed ${seed}`,
  };
}

// ------------------------------------------------------------------------------------------------
// Yin-Yang (Kriener, Göltz, Petrovici 2021; docs/model.md §5)

export const YINYANG_CLASSES = ["yin", "yang", "dot"] as const;

/**
 * The Yin-Yang class of a point (x, y) of the disc of radius 0.5 centred at (0.5, 0.5), docs/model.md §5:
 * dot (2) if within 0.1 of a dot centre (0.25, 0.5) or (0.75, 0.5); else yin (0) if d_R ≤ 0.1, or
 * 0.1 < d_L ≤ 0.25, or (y > 0.5 and d_R > 0.25); else yang (1).
 */
export function yinYangClass(x: number, y: number): number {
  const rSmall = 0.1;
  const rBig = 0.5;
  const dL = Math.hypot(x - 0.25, y - 0.5);
  const dR = Math.hypot(x - 0.75, y - 0.5);
  if (dL < rSmall || dR < rSmall) return 2;
  const yin = dR <= rSmall || (dL > rSmall && dL <= 0.5 * rBig) || (y > rBig && dR > 0.5 * rBig);
  return yin ? 0 : 1;
}

export interface YinYangOptions {
  /** Examples per split. Defaults 5000 / 1000 / 1000 (docs/model.md §5: 5 000 train, 1 000 test). */
  train?: number;
  validation?: number;
  test?: number;
  seed?: number;
}

/**
 * Inputs (x, y, 1−x, 1−y). Class-balanced by rejection sampling: example i wants class i mod 3;
 * points are drawn uniformly in the unit square until one inside the big circle has that class;
 * then the split is shuffled.
 */
export function yinyang(options: YinYangOptions = {}): Dataset {
  const seed = options.seed ?? 1;
  assertInt(seed, "seed", 0, 2 ** 32 - 1);
  const make = (n: number, k: number): Split => {
    assertInt(n, "yinyang split size", 1);
    const rng = new Rng(streamSeed(seed, k));
    const goal = new Uint8Array(n);
    for (let i = 0; i < n; i++) goal[i] = i % 3;
    rng.shuffle(goal);
    const x = new Float32Array(n * 4);
    for (let i = 0; i < n; i++) {
      let px: number, py: number;
      for (;;) {
        px = rng.uniform();
        py = rng.uniform();
        if (Math.hypot(px - 0.5, py - 0.5) > 0.5) continue;
        if (yinYangClass(px, py) === goal[i]) break;
      }
      x.set([px, py, 1 - px, 1 - py], i * 4);
    }
    return { n, x, labels: goal };
  };
  return {
    name: "yinyang",
    task: "classification",
    inputSize: 4,
    outputSize: 3,
    train: make(options.train ?? 5000, 0),
    validation: make(options.validation ?? 1000, 1),
    test: make(options.test ?? 1000, 2),
    about: `Yin-Yang (Kriener et al. 2021), inputs (x, y, 1−x, 1−y), class-balanced, seed ${seed}`,
  };
}

// ------------------------------------------------------------------------------------------------
// Teacher network (SCBS18 Fig. 2 regression task)

export interface TeacherOptions {
  /** Teacher layer sizes, default [30, 20, 10] (SCBS18 Fig. 2). */
  sizes?: number[];
  /** Teacher weights are U(−s, s). Default 1 (SCBS18; docs/model.md §1.9 association scale; the paper gives none for the teacher). */
  weightScale?: number;
  /** Examples per split. Defaults 5000 / 1000 / 1000. */
  train?: number;
  validation?: number;
  test?: number;
  /** Seeds the teacher weights (stream 3) and the inputs (streams 0–2). */
  seed?: number;
}

/** The soft rectifier of SCBS18's regression teacher (docs/model.md §1.9): γ·log(1+exp(β(u−θ))), γ=0.1, β=1, θ=3. */
export function softRectifier(u: number): number {
  const z = u - 3;
  // log1p(exp(z)) without overflow for large z
  return 0.1 * (z > 30 ? z : Math.log1p(Math.exp(z)));
}

/**
 * A fixed random feedforward net: inputs U(0, 1); each hidden layer r = φ(W r_prev) with φ the
 * soft rectifier; the targets are the output layer's potentials u_N = W_N r_{N−1} (the values the
 * student's output somata are nudged toward). No biases. Weights and inputs seeded.
 */
export function teacher(options: TeacherOptions = {}): Dataset & { weights: Float64Array[] } {
  const sizes = options.sizes ?? [30, 20, 10];
  if (sizes.length < 2) throw new ValueError(`teacher sizes need at least an input and an output layer, got ${sizes.join("-")}`);
  sizes.forEach((s, i) => assertInt(s, `teacher sizes[${i}]`, 1, 100000));
  const scale = options.weightScale ?? 1;
  assertFinite(scale, "teacher weightScale");
  const seed = options.seed ?? 1;
  assertInt(seed, "seed", 0, 2 ** 32 - 1);
  const wr = new Rng(streamSeed(seed, 3));
  const weights: Float64Array[] = [];
  for (let l = 1; l < sizes.length; l++) {
    const w = new Float64Array(sizes[l] * sizes[l - 1]);
    for (let i = 0; i < w.length; i++) w[i] = wr.range(-scale, scale);
    weights.push(w);
  }
  const D = sizes[0];
  const K = sizes[sizes.length - 1];
  const make = (n: number, k: number): Split => {
    assertInt(n, "teacher split size", 1);
    const rng = new Rng(streamSeed(seed, k));
    const x = new Float32Array(n * D);
    const targets = new Float32Array(n * K);
    for (let i = 0; i < n; i++) {
      let r = new Float64Array(D);
      for (let j = 0; j < D; j++) r[j] = x[i * D + j] = rng.uniform();
      for (let l = 1; l < sizes.length; l++) {
        const W = weights[l - 1];
        const out = new Float64Array(sizes[l]);
        for (let a = 0; a < sizes[l]; a++) {
          let s = 0;
          for (let b = 0; b < sizes[l - 1]; b++) s += W[a * sizes[l - 1] + b] * r[b];
          out[a] = l === sizes.length - 1 ? s : softRectifier(s);
        }
        r = out;
      }
      for (let a = 0; a < K; a++) targets[i * K + a] = r[a];
    }
    return { n, x, targets };
  };
  return {
    name: "teacher",
    task: "regression",
    inputSize: D,
    outputSize: K,
    train: make(options.train ?? 5000, 0),
    validation: make(options.validation ?? 1000, 1),
    test: make(options.test ?? 1000, 2),
    about: `teacher ${sizes.join("-")}, soft rectifier (SCBS18; docs/model.md §1.9), weights U(±${scale}), inputs U(0,1), seed ${seed}`,
    weights,
  };
}
