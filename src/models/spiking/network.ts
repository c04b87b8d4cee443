// The spiking microcircuit with sign-concordant feedback (Yang & Li 2022; design in docs/model.md,
// "Spiking microcircuit"). The equations are in assembly/models/spiking/network.ts; this file owns
// the buffers, fills inputs and teacher rates, and crosses into WebAssembly once per window (a whole
// mini-batch of parallel windows).
//
// State names (exportState / importState, checkpoints); weight layer l = 0 … L−1 maps n_l inputs
// to n_{l+1} cells (arch = [n_0, …, n_L]):
//   layers.l.W   [n_{l+1}, n_l]  forward weights
//   layers.l.b   [n_{l+1}]       biases
//   layers.l.R   [n_l, n_{l+1}]  contact magnitudes of the error pathway into layer l (scfa-frsf, fa; l ≥ 1)
//   layers.l.B   [n_l, n_{l+1}]  fixed random feedback (fa; l ≥ 1)
//   rng.seed     Uint32 [1]      key of every draw (dither, Bernoulli input, brSF magnitudes)
//   rng.window   Uint32 [1]      training windows run so far (the counter of those draws)
// Potentials, traces, error integrators and accumulators are reset at every window's start, so
// nothing else carries from one mini-batch to the next. scfa-usf and scfa-brsf feedback is derived
// from W (and the window counter); bp feedback is W itself.
import type { Core } from "../../core/core.js";
import type { CoreExports } from "../../core/wasm.js";
import { checkFits, tensorBytes, type Tensor } from "../../core/arena.js";
import { NonFiniteError, ShapeError, ValueError, assertFinite } from "../../core/errors.js";
import { checkExamples, type Batch } from "../../data/batch.js";
import type { NamedArray, TrainableModel } from "../../train/model.js";
import {
  FB_BP,
  FB_BRSF,
  FB_FA,
  FB_FRSF,
  FB_USF,
  F_ACC_ERRORS,
  F_ACC_SPIKES,
  F_BERNOULLI,
  F_DITHER,
  F_EVENTS,
  F_MANHATTAN,
  F_NO_GATE,
  HEADER,
  H_ADD,
  H_BASE,
  H_BERNOULLI_STREAM,
  H_BRSF_STREAM,
  H_CELL_LIST,
  H_CELL_POS,
  H_COUNTS,
  H_DITHER_STREAM,
  H_FEEDBACK,
  H_FLAGS,
  H_IT,
  H_LAMBDA,
  H_LAYERS,
  H_MAXB,
  H_RHO,
  H_SEED,
  H_SPLIT,
  H_SPLITCNT,
  H_ST,
  H_STATS,
  H_SUB,
  H_T,
  H_T0,
  H_THETA,
  H_THETA_E,
  H_TRACE,
  H_U,
  H_VT,
  H_X,
  POP_SLOTS,
  P_A,
  P_B,
  P_C,
  P_CNT,
  P_DB,
  P_DW,
  P_DWT,
  P_ECNT,
  P_EIDX,
  P_ETA,
  P_F,
  P_GAIN,
  P_I,
  P_IDX,
  P_N,
  P_NALL,
  P_NLEARN,
  P_R,
  P_RATE,
  P_S,
  P_SCALE,
  P_U,
  P_V,
  P_WT,
  P_XT,
  P_Z,
  P_ZS,
  STATS_SLOTS,
  STREAM_BERNOULLI,
  STREAM_BRSF,
  STREAM_DITHER,
  STREAM_PER_LAYER,
  ST_DENSE,
  ST_EMINUS,
  ST_EPLUS,
  ST_FB_EVENTS,
  ST_FWD_EVENTS,
  ST_PLAST_EVENTS,
  ST_SPIKES,
  ST_WORK,
} from "./layout.js";

const FEEDBACK_CODE = { "scfa-frsf": FB_FRSF, "scfa-usf": FB_USF, "scfa-brsf": FB_BRSF, fa: FB_FA, bp: FB_BP } as const;
import { ArenaModel } from "../arena-model.js";
import { checkStateTensors, readStateTensors, transposed, writeStateTensors, type StateEntry } from "../state.js";
import { initSigma, layerRateFactor, spikingConfig, type SpikingConfig, type SpikingOptions } from "./params.js";

interface Pop {
  n: number;
  V: Tensor;
  S: Tensor;
  IDX: Tensor;
  CNT: Tensor;
  Nlearn: Tensor;
  Nall: Tensor;
  rate: Tensor;
  // p ≥ 1
  WT?: Tensor;
  b?: Tensor;
  C?: Tensor;
  F?: Tensor;
  R?: Tensor;
  dWT?: Tensor;
  db?: Tensor;
}

/** Counts of one window, summed over its samples; per population p = 0 … L. */
export interface WindowStats {
  samples: number;
  steps: number;
  /** Spikes of each population (inputs first). */
  spikes: number[];
  /** E⁺ and E⁻ spikes of each population's error pairs (0 for the inputs). */
  errorPlus: number[];
  errorMinus: number[];
  /** Synaptic events: forward (presynaptic spikes × fan-out), error pathway (error events × fan-out). */
  forwardEvents: number[];
  feedbackEvents: number[];
  /** Row updates of the plasticity accumulation (presynaptic spikes × fan-out). */
  plasticityEvents: number[];
  /** Multiply-adds a dense implementation of the same window does. */
  denseOps: number[];
  /**
   * Row-element additions the event-driven path did for the same three parts (0 in dense mode):
   * below the synaptic events where it takes shortcuts (the mostly-firing inputs' drive summed
   * once per window, plasticity accumulated per error event when those are fewer).
   */
  work: number[];
}

/**
 * WebAssembly memory (bytes) the Spiking constructor allocates for a configuration: the same
 * tensors, counted from the architecture, the batch capacity, the time steps and the rule.
 */
export function spikingMemoryBytes(config: SpikingOptions): number {
  return spikingBytes(spikingConfig(config as Record<string, unknown>));
}

function spikingBytes(c: ReturnType<typeof spikingConfig>): number {
  const arch = c.arch;
  const L = arch.length - 1;
  const B = c.maxBatch;
  const T = c.steps;
  const Tl = c.steps - c.settle;
  const widest = Math.max(...arch.slice(0, L));
  let n = tensorBytes(1, HEADER + (L + 1) * POP_SLOTS) + tensorBytes(1, 2 * (L + 1) * STATS_SLOTS) + tensorBytes(1, 4);
  n += 3 * tensorBytes(B, arch[L]) + tensorBytes(1, arch[L]) + (c.input === "bernoulli" ? tensorBytes(B, arch[0]) : 0);
  n += tensorBytes(1, widest + 1) + tensorBytes(B, widest) + 2 * tensorBytes(B, arch[0]) + tensorBytes(1, 2 * B) + tensorBytes(B, arch[1]);
  n += tensorBytes(B, arch[0]);
  for (let p = 0; p <= L; p++) {
    const k = arch[p];
    n += 4 * tensorBytes(B, k) + 2 * tensorBytes(T * B, k) + tensorBytes(T, B);
    if (p >= 1) {
      const nin = arch[p - 1];
      n +=
        2 * tensorBytes(nin, k) +
        2 * tensorBytes(1, k) +
        2 * tensorBytes(Tl * B, k) +
        tensorBytes(Tl, B) +
        5 * tensorBytes(B, k) +
        tensorBytes(k, nin) +
        tensorBytes(B, nin);
      if (p >= 2) n += tensorBytes(k, nin) * (c.rule === "scfa-frsf" || c.rule === "scfa-brsf" || c.rule === "fa" ? 2 : 1);
    }
  }
  return n;
}

export class Spiking extends ArenaModel implements TrainableModel {
  readonly kind = "spiking";
  readonly inputSize: number;
  readonly outputSize: number;
  readonly maxBatch: number;
  /** Other readouts predictWith() accepts (the trainer reports their error beside predict()'s). */
  readonly readouts = ["rate"] as const;
  readonly #cfg: SpikingConfig;
  readonly #core: Core;
  readonly #pops: Pop[];
  readonly #desc: Tensor;
  readonly #x: Tensor;
  readonly #rho: Tensor;
  readonly #stats: Tensor;
  readonly #window: CoreExports["spikingWindow"];
  readonly #rates: CoreExports["spikingRates"];
  readonly #refresh: CoreExports["spikingRefreshFeedback"];
  #lrScale = 1;
  #windows = 0;
  /** Samples in the window the buffers hold (for monitors). */
  #lastN = 0;
  #lastLearn = false;

  constructor(core: Core, config: SpikingOptions) {
    const c = spikingConfig(config as Record<string, unknown>);
    checkFits(core.exports, spikingBytes(c), `spiking ${c.arch.join("-")} (${c.steps} steps, maxBatch ${c.maxBatch})`);
    const arena = core.arena();
    super(arena, "spiking model");
    this.#cfg = c;
    this.#core = core;
    const ex = core.exports;
    this.#window = ex.spikingWindow;
    this.#rates = ex.spikingRates;
    this.#refresh = ex.spikingRefreshFeedback;
    const { gaussian, uniform, scaleInto, signMul } = ex;
    const arch = c.arch;
    const L = arch.length - 1;
    const B = c.maxBatch;
    const T = c.steps;
    const Tl = c.steps - c.settle;
    this.inputSize = arch[0];
    this.outputSize = arch[L];
    this.maxBatch = B;
    try {
      this.#desc = arena.vector(HEADER + (L + 1) * POP_SLOTS);
      this.#stats = arena.vector(2 * (L + 1) * STATS_SLOTS);
      const counts = arena.vector(4);
      this.#x = arena.matrix(B, arch[0]);
      this.#rho = arena.matrix(B, arch[L]);
      const vT = arena.matrix(B, arch[L]);
      const sT = arena.matrix(B, arch[L]);
      const iT = arena.vector(arch[L]);
      const u = c.input === "bernoulli" ? arena.matrix(B, arch[0]) : null;
      const widest = Math.max(...arch.slice(0, L));
      const cellPos = arena.vector(widest + 1);
      const cellList = arena.matrix(B, widest);
      const addList = arena.matrix(B, arch[0]);
      const subList = arena.matrix(B, arch[0]);
      const splitCnt = arena.vector(2 * B);
      const base = arena.matrix(B, arch[1]);
      this.#pops = [];
      // Slots are collected here and written once at the end: allocations may grow the memory,
      // which detaches earlier views.
      const d = new Int32Array(this.#desc.cols);
      const f = new Float32Array(d.buffer);
      const slot = (p: number, s: number) => HEADER + p * POP_SLOTS + s;
      for (let p = 0; p <= L; p++) {
        const n = arch[p];
        const pop: Pop = {
          n,
          V: arena.matrix(B, n),
          S: arena.matrix(T * B, n),
          IDX: arena.matrix(T * B, n),
          CNT: arena.matrix(T, B),
          Nlearn: arena.matrix(B, n),
          Nall: arena.matrix(B, n),
          rate: arena.matrix(B, n),
        };
        d[slot(p, P_N)] = n;
        d[slot(p, P_V)] = pop.V.ptr;
        d[slot(p, P_S)] = pop.S.ptr;
        d[slot(p, P_IDX)] = pop.IDX.ptr;
        d[slot(p, P_CNT)] = pop.CNT.ptr;
        d[slot(p, P_NLEARN)] = pop.Nlearn.ptr;
        d[slot(p, P_NALL)] = pop.Nall.ptr;
        d[slot(p, P_RATE)] = pop.rate.ptr;
        if (p >= 1) {
          const nin = arch[p - 1];
          const sigma = initSigma(c, nin);
          pop.WT = arena.matrix(nin, n);
          gaussian(pop.WT.ptr, nin, n, c.seed, STREAM_PER_LAYER * p, 0, 0);
          scaleInto(pop.WT.ptr, pop.WT.ptr, nin, n, sigma);
          pop.b = arena.vector(n);
          pop.C = arena.matrix(Tl * B, n);
          pop.dWT = arena.matrix(nin, n);
          pop.db = arena.vector(n);
          d[slot(p, P_WT)] = pop.WT.ptr;
          d[slot(p, P_B)] = pop.b.ptr;
          d[slot(p, P_A)] = arena.matrix(B, n).ptr;
          d[slot(p, P_U)] = arena.matrix(B, n).ptr;
          d[slot(p, P_I)] = arena.matrix(B, n).ptr;
          d[slot(p, P_C)] = pop.C.ptr;
          d[slot(p, P_EIDX)] = arena.matrix(Tl * B, n).ptr;
          d[slot(p, P_ECNT)] = arena.matrix(Tl, B).ptr;
          d[slot(p, P_DW)] = arena.matrix(n, nin).ptr;
          d[slot(p, P_XT)] = arena.matrix(B, nin).ptr;
          d[slot(p, P_DWT)] = pop.dWT.ptr;
          d[slot(p, P_DB)] = pop.db.ptr;
          d[slot(p, P_Z)] = arena.matrix(B, n).ptr;
          d[slot(p, P_ZS)] = arena.matrix(B, n).ptr;
          f[slot(p, P_ETA)] = layerRateFactor(c, p);
          f[slot(p, P_GAIN)] = c.gain;
          if (p >= 2) {
            // Contacts from the pairs of population p to those of p − 1, in forward orientation (n_p × n_{p−1}).
            const s = c.feedbackScale * sigma;
            pop.F = arena.matrix(n, nin);
            d[slot(p, P_F)] = pop.F.ptr;
            f[slot(p, P_SCALE)] = c.rule === "scfa-usf" ? s * Math.sqrt(2 / Math.PI) : s;
            if (c.rule === "scfa-frsf" || c.rule === "scfa-brsf" || c.rule === "fa") {
              pop.R = arena.matrix(n, nin);
              d[slot(p, P_R)] = pop.R.ptr;
              if (c.rule !== "scfa-brsf") {
                gaussian(pop.R.ptr, n, nin, c.seed, STREAM_PER_LAYER * p + 1, 0, 0);
                signMul(pop.R.ptr, pop.R.ptr, pop.R.ptr, n, nin); // |z|
                scaleInto(pop.R.ptr, pop.R.ptr, n, nin, s);
              }
              if (c.rule === "fa") {
                uniform(pop.F.ptr, n, nin, c.seed, STREAM_PER_LAYER * p + 2, 0, 0, -1, 1);
                signMul(pop.F.ptr, pop.R.ptr, pop.F.ptr, n, nin);
              }
            }
          }
        }
        this.#pops.push(pop);
      }
      d[H_LAYERS] = L;
      d[H_T] = T;
      d[H_T0] = c.settle;
      d[H_FLAGS] =
        (c.propagation === "events" ? F_EVENTS : 0) |
        (c.input === "bernoulli" ? F_BERNOULLI : 0) |
        (c.dither ? F_DITHER : 0) |
        (c.gate === "none" ? F_NO_GATE : 0) |
        (c.update === "manhattan" ? F_MANHATTAN : 0) |
        (c.accumulation === "spikes" ? F_ACC_SPIKES : c.accumulation === "errors" ? F_ACC_ERRORS : 0);
      d[H_FEEDBACK] = FEEDBACK_CODE[c.rule];
      d[H_X] = this.#x.ptr;
      d[H_RHO] = this.#rho.ptr;
      d[H_SEED] = c.seed | 0;
      f[H_LAMBDA] = c.cell === "lif" ? Math.exp(-1 / c.tauMs) : 1;
      f[H_THETA] = c.threshold;
      f[H_THETA_E] = c.errorThreshold;
      f[H_TRACE] = 1 / c.traceSteps;
      d[H_STATS] = this.#stats.ptr;
      d[H_COUNTS] = counts.ptr;
      d[H_VT] = vT.ptr;
      d[H_ST] = sT.ptr;
      d[H_IT] = iT.ptr;
      d[H_U] = u ? u.ptr : 0;
      d[H_DITHER_STREAM] = STREAM_DITHER;
      d[H_BERNOULLI_STREAM] = STREAM_BERNOULLI;
      d[H_BRSF_STREAM] = STREAM_BRSF;
      d[H_MAXB] = B;
      d[H_CELL_POS] = cellPos.ptr;
      d[H_CELL_LIST] = cellList.ptr;
      f[H_SPLIT] = 0.5;
      d[H_ADD] = addList.ptr;
      d[H_SUB] = subList.ptr;
      d[H_SPLITCNT] = splitCnt.ptr;
      d[H_BASE] = base.ptr;
      new Int32Array(this.#desc.live().memory.buffer, this.#desc.ptr, d.length).set(d);
      if (c.rule !== "fa" && c.rule !== "scfa-brsf") this.#refresh(this.#desc.ptr);
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** The validated configuration (a copy). */
  config(): Record<string, unknown> {
    return { ...this.#cfg, arch: [...this.#cfg.arch] } as unknown as Record<string, unknown>;
  }

  /** Training windows (mini-batches) run since construction, or restored from a checkpoint. */
  get windows(): number {
    return this.#windows;
  }

  #checkBatch(op: string, x: Float32Array, n: number, limit: number): void {
    if (!Number.isInteger(n) || n < 1 || n > limit) throw new ValueError(`${op}: n must be an integer in [1, ${limit}], got ${n}`);
    if (!(x instanceof Float32Array)) throw new ShapeError(`${op}: x must be a Float32Array`);
    checkExamples(op, "x", x, n, this.inputSize);
  }

  #loadInputs(op: string, x: Float32Array, start: number, n: number): void {
    const cols = this.inputSize;
    const view = this.#x.peek();
    const stride = this.#x.stride;
    for (let r = 0; r < n; r++) {
      const row = x.subarray((start + r) * cols, (start + r + 1) * cols);
      for (let i = 0; i < cols; i++) {
        if (!Number.isFinite(row[i])) throw new NonFiniteError(`${op}: input ${start + r} has a non-finite value at position ${i}`);
      }
      view.set(row, r * stride);
    }
  }

  /** Teacher rates: ρ⁺ for the labelled class and ρ⁻ for the others, or batch.targets (rates in [0, 1]) without labels. */
  #loadTeacher(batch: Batch): void {
    const n = batch.n;
    const k = this.outputSize;
    const view = this.#rho.peek();
    const stride = this.#rho.stride;
    const { labels, targets } = batch;
    if (labels !== undefined) {
      checkExamples("spiking.trainBatch", "batch.labels", labels, n, 1);
      for (let r = 0; r < n; r++) {
        const y = labels[r];
        if (!Number.isInteger(y) || y < 0 || y >= k) throw new ValueError(`spiking.trainBatch: batch.labels[${r}] must be a class in [0, ${k - 1}], got ${y}`);
        view.fill(this.#cfg.rhoOff, r * stride, r * stride + k);
        view[r * stride + y] = this.#cfg.rhoOn;
      }
    } else if (targets !== undefined) {
      checkExamples("spiking.trainBatch", "batch.targets", targets, n, k);
      for (let r = 0; r < n; r++) {
        for (let j = 0; j < k; j++) {
          const v = targets[r * k + j];
          if (!(v >= 0 && v <= 1))
            throw new ValueError(`spiking.trainBatch: batch.targets[${r * k + j}] = ${v} is not a teacher rate in [0, 1] spikes per step`);
          view[r * stride + j] = v;
        }
      }
    } else {
      throw new ValueError("spiking.trainBatch: batch needs labels (classification) or targets (teacher rates)");
    }
  }

  #lr(): number {
    return (this.#cfg.update === "manhattan" ? this.#cfg.manhattanLr : this.#cfg.lr) * this.#lrScale;
  }

  trainBatch(batch: Batch): void {
    this.live();
    this.#checkBatch("spiking.trainBatch", batch.x, batch.n, this.maxBatch);
    this.#loadInputs("spiking.trainBatch", batch.x, 0, batch.n);
    this.#loadTeacher(batch);
    const rc = this.#window(this.#desc.ptr, batch.n, 1, 1, this.#lr(), this.#windows >>> 0, 0);
    this.#lastN = batch.n;
    this.#lastLearn = true;
    if (rc !== 0) this.#nonFinite(rc);
    this.#windows++;
  }

  /**
   * One learning window without changing the weights: the batch-summed, window-summed ΔW and Δb
   * of every layer (for diagnostics). Uses training window number `window` for its draws (default:
   * the next one) and leaves the window counter unchanged.
   */
  accumulate(batch: Batch, window = this.#windows): { dW: Float32Array[]; db: Float32Array[] } {
    this.live();
    this.#checkBatch("spiking.accumulate", batch.x, batch.n, this.maxBatch);
    this.#loadInputs("spiking.accumulate", batch.x, 0, batch.n);
    this.#loadTeacher(batch);
    const rc = this.#window(this.#desc.ptr, batch.n, 1, 0, this.#lr(), window >>> 0, 0);
    this.#lastN = batch.n;
    this.#lastLearn = true;
    if (rc !== 0) this.#nonFinite(rc);
    const dW: Float32Array[] = [];
    const db: Float32Array[] = [];
    for (let p = 1; p < this.#pops.length; p++) {
      dW.push(transposed(this.#pops[p].dWT!.read(), this.#pops[p - 1].n, this.#pops[p].n));
      db.push(this.#pops[p].db!.read());
    }
    return { dW, db };
  }

  #nonFinite(rc: number): never {
    const p = (rc >> 4) - 1;
    throw new NonFiniteError(`spiking: weights of layers.${p - 1} became non-finite after window ${this.#windows}; lower lr`);
  }

  /**
   * Test mode: windows without teacher or plasticity. Row r of the result holds the output spike
   * counts in [T₀, T) plus a tie-break in [0, 0.5) from the final membrane potential, so the argmax
   * is the spike-count readout with ties broken by potential. Draws come from evaluation streams:
   * training is not affected by predictions.
   */
  predict(x: Float32Array, n: number, out?: Float32Array): Float32Array {
    this.live();
    this.#checkBatch("spiking.predict", x, n, Number.MAX_SAFE_INTEGER);
    const k = this.outputSize;
    const res = out ?? new Float32Array(n * k);
    if (res.length < n * k) throw new ShapeError(`spiking.predict: out holds ${res.length} values, need n × outputSize = ${n * k}`);
    const top = this.#pops[this.#pops.length - 1];
    const theta = this.#cfg.threshold;
    for (let s = 0, w = 0; s < n; s += this.maxBatch, w++) {
      const m = Math.min(this.maxBatch, n - s);
      this.#loadInputs("spiking.predict", x, s, m);
      this.#window(this.#desc.ptr, m, 0, 0, 0, w, 1);
      const N = top.Nlearn.peek();
      const V = top.V.peek();
      const stride = top.Nlearn.stride;
      for (let r = 0; r < m; r++) {
        for (let j = 0; j < k; j++) {
          const v = V[r * stride + j] / theta;
          res[(s + r) * k + j] = N[r * stride + j] + 0.49 * Math.min(1, Math.max(0, v));
        }
      }
    }
    this.#lastN = Math.min(n - Math.floor((n - 1) / this.maxBatch) * this.maxBatch, this.maxBatch);
    this.#lastLearn = false;
    return res;
  }

  /** Readouts other than predict(): "rate", the clip-rate net r_l = clip(W_l r_{l−1} + b_l, 0, 1) with the same W, b. */
  predictWith(readout: string, x: Float32Array, n: number, out?: Float32Array): Float32Array {
    if (readout !== "rate") throw new ValueError(`spiking.predictWith: unknown readout '${readout}'; available: rate`);
    return this.predictRates(x, n, out);
  }

  /** The clip-rate net's output rates for n inputs (n × outputSize). */
  predictRates(x: Float32Array, n: number, out?: Float32Array): Float32Array {
    this.live();
    this.#checkBatch("spiking.predictRates", x, n, Number.MAX_SAFE_INTEGER);
    const k = this.outputSize;
    const res = out ?? new Float32Array(n * k);
    if (res.length < n * k) throw new ShapeError(`spiking.predictRates: out holds ${res.length} values, need n × outputSize = ${n * k}`);
    const top = this.#pops[this.#pops.length - 1].rate;
    for (let s = 0; s < n; s += this.maxBatch) {
      const m = Math.min(this.maxBatch, n - s);
      this.#loadInputs("spiking.predictRates", x, s, m);
      this.#rates(this.#desc.ptr, m);
      const v = top.peek();
      for (let r = 0; r < m; r++) res.set(v.subarray(r * top.stride, r * top.stride + k), (s + r) * k);
    }
    return res;
  }

  /** Clip-rate activations of every population (inputs first) for n ≤ maxBatch inputs: n × n_p each. */
  rateActivations(x: Float32Array, n: number): Float32Array[] {
    this.live();
    this.#checkBatch("spiking.rateActivations", x, n, this.maxBatch);
    this.#loadInputs("spiking.rateActivations", x, 0, n);
    this.#rates(this.#desc.ptr, n);
    return this.#pops.map((p) => rows(p.rate, n));
  }

  setLearningRateScale(factor: number): void {
    assertFinite(factor, "spiking.setLearningRateScale: factor");
    if (factor < 0) throw new ValueError(`spiking.setLearningRateScale: factor must be ≥ 0, got ${factor}`);
    this.#lrScale = factor;
  }

  // ----------------------------------------------------------------------------------------------
  // Monitors of the last window run (training, accumulate or predict).

  /** Samples in the last window. */
  get lastWindowSamples(): number {
    return this.#lastN;
  }

  /** Counts of the last window (spikes, error spikes, synaptic events, dense-equivalent work). */
  windowStats(): WindowStats {
    this.live();
    const L = this.#pops.length - 1;
    const v = new Float64Array(this.#core.memory.buffer, this.#stats.ptr, (L + 1) * STATS_SLOTS);
    const col = (s: number) => Array.from({ length: L + 1 }, (_, p) => v[p * STATS_SLOTS + s]);
    return {
      samples: this.#lastN,
      steps: this.#cfg.steps,
      spikes: col(ST_SPIKES),
      errorPlus: col(ST_EPLUS),
      errorMinus: col(ST_EMINUS),
      forwardEvents: col(ST_FWD_EVENTS),
      feedbackEvents: col(ST_FB_EVENTS),
      plasticityEvents: col(ST_PLAST_EVENTS),
      denseOps: col(ST_DENSE),
      work: col(ST_WORK),
    };
  }

  /**
   * Spike raster of population p (0 = inputs) for sample `sample` of the last window: T × k values
   * 0/1 (step-major) for the first `cells` cells (default all) or for the listed cells in order.
   */
  raster(p: number, sample = 0, cells?: number | readonly number[]): { steps: number; cells: number; spikes: Uint8Array } {
    this.live();
    const pop = this.#checkPop(p, sample);
    const list = this.#cellList(pop, cells, "raster");
    const k = list.length;
    const T = this.#cfg.steps;
    const S = pop.S.peek();
    const out = new Uint8Array(T * k);
    for (let t = 0; t < T; t++) {
      const o = (t * this.maxBatch + sample) * pop.S.stride;
      for (let j = 0; j < k; j++) out[t * k + j] = S[o + list[j]] > 0 ? 1 : 0;
    }
    return { steps: T, cells: k, spikes: out };
  }

  #cellList(pop: Pop, cells: number | readonly number[] | undefined, op: string): number[] {
    if (cells === undefined || typeof cells === "number") {
      const k = Math.min(cells ?? pop.n, pop.n);
      if (!Number.isInteger(k) || k < 0) throw new ValueError(`spiking.${op}: cells must be a count ≥ 0 or a list of cell indices, got ${cells}`);
      return Array.from({ length: k }, (_, j) => j);
    }
    for (const j of cells) if (!Number.isInteger(j) || j < 0 || j >= pop.n) throw new ValueError(`spiking.${op}: cell ${j} is not in [0, ${pop.n - 1}]`);
    return [...cells];
  }

  /**
   * Net error spikes (E⁺ − E⁻) of the pairs of population p ≥ 1 for one sample of the last learning
   * window: (T − T₀) × count values (step-major), positive for E⁺ and negative for E⁻ spikes.
   */
  errorRaster(p: number, sample = 0, count?: number): { steps: number; cells: number; spikes: Int8Array } {
    this.live();
    const pop = this.#checkPop(p, sample);
    if (p < 1) throw new ValueError("spiking.errorRaster: the input cells have no error pairs");
    if (!this.#lastLearn) throw new ValueError("spiking.errorRaster: the last window was a prediction (no error pathway)");
    const cells = Math.min(count ?? pop.n, pop.n);
    const Tl = this.#cfg.steps - this.#cfg.settle;
    const C = pop.C!.peek();
    const out = new Int8Array(Tl * cells);
    for (let t = 0; t < Tl; t++) {
      const o = (t * this.maxBatch + sample) * pop.C!.stride;
      for (let j = 0; j < cells; j++) out[t * cells + j] = C[o + j];
    }
    return { steps: Tl, cells, spikes: out };
  }

  /** Spike counts of population p in the last window, n × n_p: the learning part [T₀, T) or the whole window. */
  spikeCounts(p: number, part: "learning" | "window" = "learning"): Float32Array {
    this.live();
    const pop = this.#checkPop(p, 0);
    return rows(part === "learning" ? pop.Nlearn : pop.Nall, this.#lastN);
  }

  /** Firing rates (spikes per step) of every population in the last window, averaged over samples and cells. */
  populationRates(): number[] {
    const s = this.windowStats();
    return this.#pops.map((p, i) => (s.samples ? s.spikes[i] / (s.samples * this.#cfg.steps * p.n) : 0));
  }

  #checkPop(p: number, sample: number): Pop {
    if (!Number.isInteger(p) || p < 0 || p >= this.#pops.length)
      throw new ValueError(`spiking: population must be an integer in [0, ${this.#pops.length - 1}], got ${p}`);
    if (this.#lastN === 0) throw new ValueError("spiking: no window has run yet");
    if (!Number.isInteger(sample) || sample < 0 || sample >= this.#lastN)
      throw new ValueError(`spiking: sample must be in [0, ${this.#lastN - 1}] (the last window's samples), got ${sample}`);
    return this.#pops[p];
  }

  /** The error pathway's contacts B_l = (feedback into population l from l + 1), as [n_l, n_{l+1}], for weight layers l = 1 … L−1. */
  feedback(l: number): Float32Array {
    this.live();
    const p = l + 1;
    if (!Number.isInteger(l) || l < 1 || p >= this.#pops.length)
      throw new ValueError(`spiking.feedback: layer must be in [1, ${this.#pops.length - 2}], got ${l}`);
    return transposed(this.#pops[p].F!.read(), this.#pops[p].n, this.#pops[p - 1].n);
  }

  // ----------------------------------------------------------------------------------------------
  // State.

  #stateTensors(): StateEntry[] {
    const out: StateEntry[] = [];
    const rule = this.#cfg.rule;
    for (let p = 1; p < this.#pops.length; p++) {
      const l = p - 1;
      const pop = this.#pops[p];
      const nin = this.#pops[p - 1].n;
      out.push({ name: `layers.${l}.W`, t: pop.WT!, transpose: true, shape: [pop.n, nin] });
      out.push({ name: `layers.${l}.b`, t: pop.b!, transpose: false, shape: [pop.n] });
      if (p >= 2 && (rule === "scfa-frsf" || rule === "fa")) out.push({ name: `layers.${l}.R`, t: pop.R!, transpose: true, shape: [nin, pop.n] });
      if (p >= 2 && rule === "fa") out.push({ name: `layers.${l}.B`, t: pop.F!, transpose: true, shape: [nin, pop.n] });
    }
    return out;
  }

  exportState(): Record<string, NamedArray> {
    this.live();
    const state = readStateTensors(this.#stateTensors());
    state["rng.seed"] = { shape: [1], data: Uint32Array.of(this.#cfg.seed) };
    state["rng.window"] = { shape: [1], data: Uint32Array.of(this.#windows >>> 0) };
    return state;
  }

  importState(state: Record<string, NamedArray>): void {
    this.live();
    const want = this.#stateTensors();
    checkStateTensors("spiking.importState", `rule ${this.#cfg.rule}, arch ${this.#cfg.arch.join("-")}`, want, state, { "rng.seed": 1, "rng.window": 1 }, true);
    if (state["rng.seed"].data[0] !== this.#cfg.seed) {
      throw new ValueError(`spiking.importState: rng.seed ${state["rng.seed"].data[0]} differs from the configured seed ${this.#cfg.seed}`);
    }
    writeStateTensors(want, state);
    this.#windows = state["rng.window"].data[0];
    if (this.#cfg.rule !== "fa") this.#refresh(this.#desc.ptr);
  }
}

/** The first n rows of a tensor, unpadded. */
function rows(t: Tensor, n: number): Float32Array {
  const v = t.peek();
  const out = new Float32Array(n * t.cols);
  for (let r = 0; r < n; r++) out.set(v.subarray(r * t.stride, r * t.stride + t.cols), r * t.cols);
  return out;
}
