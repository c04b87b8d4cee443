// Small deterministic models in plain TypeScript that implement TrainableModel, for testing the
// trainer, checkpoints and CLI independently of the WebAssembly models.
import { ShapeError, ValueError } from "../../src/core/errors.ts";
import type { Batch } from "../../src/data/batch.ts";
import type { NamedArray, TrainableModel } from "../../src/train/model.ts";
import { Rng } from "../../src/core/random.ts";

export interface TinyConfig {
  arch: number[]; // [inputs, outputs]
  lr: number;
  seed: number;
  maxBatch: number;
  /** Std of a uniform perturbation added to each update from the model's own RNG (so RNG state matters). */
  noise: number;
}

/**
 * Linear model y = W x + b. Classification: softmax cross-entropy on labels; regression: squared
 * error on targets. Updates averaged over the batch, plus lr·noise·U(−1,1) drawn from its own RNG.
 */
export class TinyLinear implements TrainableModel {
  readonly kind = "tiny-linear";
  readonly inputSize: number;
  readonly outputSize: number;
  readonly maxBatch: number;
  readonly cfg: TinyConfig;
  W: Float32Array;
  b: Float32Array;
  rng: Rng;
  lrScale = 1;
  /** Scales set by setLearningRateScale, in order. */
  scales: number[] = [];
  /** x[0] of every trained example, in order (the data sets used in tests put the example index there). */
  seen: number[] = [];
  disposed = false;

  constructor(config: Record<string, unknown>) {
    const arch = config.arch as number[];
    if (!Array.isArray(arch) || arch.length !== 2) throw new ValueError(`tiny-linear config: arch must be [inputs, outputs], got ${JSON.stringify(arch)}`);
    for (const k of Object.keys(config))
      if (!["arch", "lr", "seed", "maxBatch", "noise"].includes(k)) throw new ValueError(`tiny-linear config: unknown field '${k}'`);
    this.cfg = {
      arch: [...arch],
      lr: (config.lr as number) ?? 0.1,
      seed: (config.seed as number) ?? 1,
      maxBatch: (config.maxBatch as number) ?? 16,
      noise: (config.noise as number) ?? 0.01,
    };
    if (!(this.cfg.lr > 0)) throw new ValueError(`tiny-linear config: lr must be > 0`);
    [this.inputSize, this.outputSize] = arch;
    this.maxBatch = this.cfg.maxBatch;
    this.rng = new Rng(this.cfg.seed);
    this.W = new Float32Array(this.outputSize * this.inputSize);
    for (let i = 0; i < this.W.length; i++) this.W[i] = this.rng.range(-0.1, 0.1);
    this.b = new Float32Array(this.outputSize);
  }

  trainBatch(batch: Batch): void {
    const { n, x } = batch;
    const D = this.inputSize;
    const K = this.outputSize;
    const gW = new Float64Array(K * D);
    const gb = new Float64Array(K);
    const y = this.predict(x, n);
    for (let i = 0; i < n; i++) {
      this.seen.push(x[i * D]);
      const row = y.subarray(i * K, (i + 1) * K);
      const err = new Float64Array(K);
      if (batch.labels) {
        const m = Math.max(...row);
        let z = 0;
        for (let k = 0; k < K; k++) z += Math.exp(row[k] - m);
        for (let k = 0; k < K; k++) err[k] = Math.exp(row[k] - m) / z - (k === batch.labels[i] ? 1 : 0);
      } else {
        for (let k = 0; k < K; k++) err[k] = row[k] - batch.targets![i * K + k];
      }
      for (let k = 0; k < K; k++) {
        gb[k] += err[k];
        for (let j = 0; j < D; j++) gW[k * D + j] += err[k] * x[i * D + j];
      }
    }
    const lr = this.cfg.lr * this.lrScale;
    for (let i = 0; i < gW.length; i++) this.W[i] -= lr * (gW[i] / n + this.cfg.noise * this.rng.range(-1, 1));
    for (let k = 0; k < K; k++) this.b[k] -= lr * (gb[k] / n);
  }

  predict(x: Float32Array, n: number, out?: Float32Array): Float32Array {
    if (n > this.maxBatch) throw new ShapeError(`predict: n ${n} > maxBatch ${this.maxBatch}`);
    const D = this.inputSize;
    const K = this.outputSize;
    const y = out ?? new Float32Array(n * K);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < K; k++) {
        let s = this.b[k];
        for (let j = 0; j < D; j++) s += this.W[k * D + j] * x[i * D + j];
        y[i * K + k] = s;
      }
    }
    return y;
  }

  setLearningRateScale(f: number): void {
    this.lrScale = f;
    this.scales.push(f);
  }

  exportState(): Record<string, NamedArray> {
    return {
      "out.W": { shape: [this.outputSize, this.inputSize], data: this.W.slice() },
      "out.b": { shape: [this.outputSize], data: this.b.slice() },
      "rng.state": { shape: [4], data: Uint32Array.from(this.rng.state()) },
    };
  }

  importState(state: Record<string, NamedArray>): void {
    for (const k of ["out.W", "out.b", "rng.state"]) if (!state[k]) throw new ShapeError(`tiny-linear: state lacks '${k}'`);
    this.W.set(state["out.W"].data);
    this.b.set(state["out.b"].data);
    this.rng = Rng.fromState(Array.from(state["rng.state"].data));
  }

  config(): Record<string, unknown> {
    return { ...this.cfg, arch: [...this.cfg.arch] };
  }

  dispose(): void {
    this.disposed = true;
  }
}

/**
 * A model whose predictions follow a script: after e completed epochs (counted by trainBatch calls
 * reaching `batchesPerEpoch`) it misclassifies exactly the examples whose index (x[0]·scale) is
 * below script[e]·n of the split they come from (x[2] = split size). Labels are x[1].
 */
export class ScriptedModel implements TrainableModel {
  readonly kind = "scripted";
  readonly inputSize = 3;
  readonly outputSize: number;
  readonly maxBatch = 8;
  batches = 0;
  scales: number[] = [];
  constructor(
    readonly script: number[],
    readonly batchesPerEpoch: number,
    classes = 3,
  ) {
    this.outputSize = classes;
  }
  get epoch(): number {
    return Math.floor(this.batches / this.batchesPerEpoch);
  }
  trainBatch(): void {
    this.batches++;
  }
  predict(x: Float32Array, n: number, out?: Float32Array): Float32Array {
    const K = this.outputSize;
    const y = out ?? new Float32Array(n * K);
    const e = Math.min(this.epoch - 1, this.script.length - 1);
    for (let i = 0; i < n; i++) {
      const idx = Math.round(x[i * 3]);
      const label = Math.round(x[i * 3 + 1]);
      const size = Math.round(x[i * 3 + 2]);
      const wrong = e >= 0 && idx < Math.round(this.script[e] * size);
      const cls = wrong ? (label + 1) % K : label;
      for (let k = 0; k < K; k++) y[i * K + k] = k === cls ? 1 : 0;
    }
    return y;
  }
  setLearningRateScale(f: number): void {
    this.scales.push(f);
  }
  exportState(): Record<string, NamedArray> {
    return { batches: { shape: [1], data: Int32Array.of(this.batches) } };
  }
  importState(s: Record<string, NamedArray>): void {
    this.batches = s.batches.data[0];
  }
  config(): Record<string, unknown> {
    return { script: this.script };
  }
  dispose(): void {}
}
