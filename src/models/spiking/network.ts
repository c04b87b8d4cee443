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
import type { Arena, Tensor } from "../../core/arena.js";
import { DisposedError, NonFiniteError, ShapeError, ValueError, assertFinite } from "../../core/errors.js";
import type { Batch } from "../../data/batch.js";
import type { NamedArray, TrainableModel } from "../../train/model.js";
import { F, FB, H, HEADER, P, POP_SLOTS, ST, STATS_SLOTS, STREAM } from "./layout.js";
import { initSigma, layerRateFactor, spikingConfig, type SpikingConfig, type SpikingOptions } from "./params.js";

type Fn = (...args: number[]) => number;

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
}

export class Spiking implements TrainableModel {
  readonly kind = "spiking";
  readonly inputSize: number;
  readonly outputSize: number;
  readonly maxBatch: number;
  /** Other readouts predictWith() accepts (the trainer reports their error beside predict()'s). */
  readonly readouts = ["rate"] as const;
  readonly #cfg: SpikingConfig;
  readonly #core: Core;
  #arena: Arena | null;
  readonly #pops: Pop[];
  readonly #desc: Tensor;
  readonly #x: Tensor;
  readonly #rho: Tensor;
  readonly #stats: Tensor;
  readonly #window: Fn;
  readonly #rates: Fn;
  readonly #refresh: Fn;
  #lrScale = 1;
  #windows = 0;
  /** Samples in the window the buffers hold (for monitors). */
  #lastN = 0;
  #lastLearn = false;

  constructor(core: Core, config: SpikingOptions) {
    const c = spikingConfig(config as Record<string, unknown>);
    this.#cfg = c;
    this.#core = core;
    this.#window = core.fn<Fn>("spikingWindow");
    this.#rates = core.fn<Fn>("spikingRates");
    this.#refresh = core.fn<Fn>("spikingRefreshFeedback");
    const gaussian = core.fn<Fn>("gaussian");
    const uniform = core.fn<Fn>("uniform");
    const scaleInto = core.fn<Fn>("scaleInto");
    const signMul = core.fn<Fn>("signMul");
    const arch = c.arch;
    const L = arch.length - 1;
    const B = c.maxBatch;
    const T = c.steps;
    const Tl = c.steps - c.settle;
    this.inputSize = arch[0];
    this.outputSize = arch[L];
    this.maxBatch = B;
    const arena = core.arena();
    this.#arena = arena;
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
        d[slot(p, P.n)] = n;
        d[slot(p, P.V)] = pop.V.ptr;
        d[slot(p, P.S)] = pop.S.ptr;
        d[slot(p, P.IDX)] = pop.IDX.ptr;
        d[slot(p, P.CNT)] = pop.CNT.ptr;
        d[slot(p, P.Nlearn)] = pop.Nlearn.ptr;
        d[slot(p, P.Nall)] = pop.Nall.ptr;
        d[slot(p, P.rate)] = pop.rate.ptr;
        if (p >= 1) {
          const nin = arch[p - 1];
          const sigma = initSigma(c, nin);
          pop.WT = arena.matrix(nin, n);
          gaussian(pop.WT.ptr, nin, n, c.seed, STREAM.perLayer * p, 0, 0);
          scaleInto(pop.WT.ptr, pop.WT.ptr, nin, n, sigma);
          pop.b = arena.vector(n);
          pop.C = arena.matrix(Tl * B, n);
          pop.dWT = arena.matrix(nin, n);
          pop.db = arena.vector(n);
          d[slot(p, P.WT)] = pop.WT.ptr;
          d[slot(p, P.b)] = pop.b.ptr;
          d[slot(p, P.A)] = arena.matrix(B, n).ptr;
          d[slot(p, P.U)] = arena.matrix(B, n).ptr;
          d[slot(p, P.I)] = arena.matrix(B, n).ptr;
          d[slot(p, P.C)] = pop.C.ptr;
          d[slot(p, P.EIDX)] = arena.matrix(B, n).ptr;
          d[slot(p, P.ECNT)] = arena.vector(B).ptr;
          d[slot(p, P.dWT)] = pop.dWT.ptr;
          d[slot(p, P.db)] = pop.db.ptr;
          d[slot(p, P.Z)] = arena.matrix(B, n).ptr;
          d[slot(p, P.ZS)] = arena.matrix(B, n).ptr;
          f[slot(p, P.eta)] = layerRateFactor(c, p);
          f[slot(p, P.gain)] = c.gain;
          if (p >= 2) {
            // Contacts from the pairs of population p to those of p − 1, in forward orientation (n_p × n_{p−1}).
            const s = c.feedbackScale * sigma;
            pop.F = arena.matrix(n, nin);
            d[slot(p, P.F)] = pop.F.ptr;
            f[slot(p, P.scale)] = c.rule === "scfa-usf" ? s * Math.sqrt(2 / Math.PI) : s;
            if (c.rule === "scfa-frsf" || c.rule === "scfa-brsf" || c.rule === "fa") {
              pop.R = arena.matrix(n, nin);
              d[slot(p, P.R)] = pop.R.ptr;
              if (c.rule !== "scfa-brsf") {
                gaussian(pop.R.ptr, n, nin, c.seed, STREAM.perLayer * p + 1, 0, 0);
                signMul(pop.R.ptr, pop.R.ptr, pop.R.ptr, n, nin); // |z|
                scaleInto(pop.R.ptr, pop.R.ptr, n, nin, s);
              }
              if (c.rule === "fa") {
                uniform(pop.F.ptr, n, nin, c.seed, STREAM.perLayer * p + 2, 0, 0, -1, 1);
                signMul(pop.F.ptr, pop.R.ptr, pop.F.ptr, n, nin);
              }
            }
          }
        }
        this.#pops.push(pop);
      }
      d[H.layers] = L;
      d[H.T] = T;
      d[H.T0] = c.settle;
      d[H.flags] =
        (c.propagation === "events" ? F.events : 0) |
        (c.input === "bernoulli" ? F.bernoulli : 0) |
        (c.dither ? F.dither : 0) |
        (c.gate === "none" ? F.noGate : 0) |
        (c.update === "manhattan" ? F.manhattan : 0);
      d[H.feedback] = FB[c.rule];
      d[H.x] = this.#x.ptr;
      d[H.rho] = this.#rho.ptr;
      d[H.seed] = c.seed | 0;
      f[H.lambda] = c.cell === "lif" ? Math.exp(-1 / c.tauMs) : 1;
      f[H.theta] = c.threshold;
      f[H.thetaE] = c.errorThreshold;
      f[H.trace] = 1 / c.traceSteps;
      d[H.stats] = this.#stats.ptr;
      d[H.counts] = counts.ptr;
      d[H.vT] = vT.ptr;
      d[H.sT] = sT.ptr;
      d[H.iT] = iT.ptr;
      d[H.u] = u ? u.ptr : 0;
      d[H.ditherStream] = STREAM.dither;
      d[H.bernoulliStream] = STREAM.bernoulli;
      d[H.brsfStream] = STREAM.brsf;
      d[H.maxBatch] = B;
      d[H.cellPos] = cellPos.ptr;
      d[H.cellList] = cellList.ptr;
      new Int32Array(this.#desc.live().memory.buffer, this.#desc.ptr, d.length).set(d);
      if (c.rule !== "fa" && c.rule !== "scfa-brsf") this.#refresh(this.#desc.ptr);
    } catch (e) {
      arena.dispose();
      this.#arena = null;
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

  #live(): Arena {
    if (this.#arena === null) throw new DisposedError("spiking model used after dispose()");
    return this.#arena;
  }

  #checkBatch(op: string, x: Float32Array, n: number, limit: number): void {
    if (!Number.isInteger(n) || n < 1 || n > limit) throw new ValueError(`${op}: n must be an integer in [1, ${limit}], got ${n}`);
    if (!(x instanceof Float32Array)) throw new ShapeError(`${op}: x must be a Float32Array`);
    if (x.length < n * this.inputSize) throw new ShapeError(`${op}: x holds ${x.length} values, need n × inputSize = ${n * this.inputSize}`);
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
      if (labels.length < n) throw new ShapeError(`spiking.trainBatch: batch.labels holds ${labels.length} labels, need ${n}`);
      for (let r = 0; r < n; r++) {
        const y = labels[r];
        if (!Number.isInteger(y) || y < 0 || y >= k) throw new ValueError(`spiking.trainBatch: batch.labels[${r}] must be a class in [0, ${k - 1}], got ${y}`);
        view.fill(this.#cfg.rhoOff, r * stride, r * stride + k);
        view[r * stride + y] = this.#cfg.rhoOn;
      }
    } else if (targets !== undefined) {
      if (targets.length < n * k) throw new ShapeError(`spiking.trainBatch: batch.targets holds ${targets.length} values, need n × outputSize = ${n * k}`);
      for (let r = 0; r < n; r++) {
        for (let j = 0; j < k; j++) {
          const v = targets[r * k + j];
          if (!(v >= 0 && v <= 1)) throw new ValueError(`spiking.trainBatch: batch.targets[${r * k + j}] = ${v} is not a teacher rate in [0, 1] spikes per step`);
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
    this.#live();
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
    this.#live();
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
      dW.push(transpose(this.#pops[p].dWT!.read(), this.#pops[p - 1].n, this.#pops[p].n));
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
    this.#live();
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
    this.#live();
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
    this.#live();
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
    this.#live();
    const L = this.#pops.length - 1;
    const v = new Float64Array(this.#core.memory.buffer, this.#stats.ptr, (L + 1) * STATS_SLOTS);
    const col = (s: number) => Array.from({ length: L + 1 }, (_, p) => v[p * STATS_SLOTS + s]);
    return {
      samples: this.#lastN,
      steps: this.#cfg.steps,
      spikes: col(ST.spikes),
      errorPlus: col(ST.ePlus),
      errorMinus: col(ST.eMinus),
      forwardEvents: col(ST.fwdEvents),
      feedbackEvents: col(ST.fbEvents),
      plasticityEvents: col(ST.plastEvents),
      denseOps: col(ST.dense),
    };
  }

  /**
   * Spike raster of population p (0 = inputs) for sample `sample` of the last window: T × k values
   * 0/1 (step-major) for the first `cells` cells (default all) or for the listed cells in order.
   */
  raster(p: number, sample = 0, cells?: number | readonly number[]): { steps: number; cells: number; spikes: Uint8Array } {
    this.#live();
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
    this.#live();
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
    this.#live();
    const pop = this.#checkPop(p, 0);
    return rows(part === "learning" ? pop.Nlearn : pop.Nall, this.#lastN);
  }

  /** Firing rates (spikes per step) of every population in the last window, averaged over samples and cells. */
  populationRates(): number[] {
    const s = this.windowStats();
    return this.#pops.map((p, i) => (s.samples ? s.spikes[i] / (s.samples * this.#cfg.steps * p.n) : 0));
  }

  #checkPop(p: number, sample: number): Pop {
    if (!Number.isInteger(p) || p < 0 || p >= this.#pops.length) throw new ValueError(`spiking: population must be an integer in [0, ${this.#pops.length - 1}], got ${p}`);
    if (this.#lastN === 0) throw new ValueError("spiking: no window has run yet");
    if (!Number.isInteger(sample) || sample < 0 || sample >= this.#lastN) throw new ValueError(`spiking: sample must be in [0, ${this.#lastN - 1}] (the last window's samples), got ${sample}`);
    return this.#pops[p];
  }

  /** The error pathway's contacts B_l = (feedback into population l from l + 1), as [n_l, n_{l+1}], for weight layers l = 1 … L−1. */
  feedback(l: number): Float32Array {
    this.#live();
    const p = l + 1;
    if (!Number.isInteger(l) || l < 1 || p >= this.#pops.length) throw new ValueError(`spiking.feedback: layer must be in [1, ${this.#pops.length - 2}], got ${l}`);
    return transpose(this.#pops[p].F!.read(), this.#pops[p].n, this.#pops[p - 1].n);
  }

  // ----------------------------------------------------------------------------------------------
  // State.

  #stateTensors(): { name: string; t: Tensor; transpose: boolean; shape: number[] }[] {
    const out: { name: string; t: Tensor; transpose: boolean; shape: number[] }[] = [];
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
    this.#live();
    const state: Record<string, NamedArray> = {};
    for (const { name, t, transpose: tr, shape } of this.#stateTensors()) {
      const v = t.read();
      state[name] = { shape: [...shape], data: tr ? transpose(v, t.rows, t.cols) : v };
    }
    state["rng.seed"] = { shape: [1], data: Uint32Array.of(this.#cfg.seed) };
    state["rng.window"] = { shape: [1], data: Uint32Array.of(this.#windows >>> 0) };
    return state;
  }

  importState(state: Record<string, NamedArray>): void {
    this.#live();
    const want = this.#stateTensors();
    const names = new Set([...want.map((w) => w.name), "rng.seed", "rng.window"]);
    for (const k of Object.keys(state)) {
      if (!names.has(k)) throw new ShapeError(`spiking.importState: '${k}' is not part of this model (rule ${this.#cfg.rule}, arch ${this.#cfg.arch.join("-")})`);
    }
    for (const { name, t, shape } of want) {
      const a = state[name];
      if (a === undefined) throw new ShapeError(`spiking.importState: missing '${name}'`);
      if (!(a.data instanceof Float32Array) || a.shape.length !== shape.length || a.shape.some((s, i) => s !== shape[i]) || a.data.length !== t.length) {
        throw new ShapeError(`spiking.importState: '${name}' must be a float32 array of shape [${shape.join(", ")}], got ${a.data?.constructor?.name} [${a.shape?.join(", ")}]`);
      }
      if (!a.data.every(Number.isFinite)) throw new NonFiniteError(`spiking.importState: '${name}' holds non-finite values`);
    }
    for (const name of ["rng.seed", "rng.window"]) {
      const c = state[name];
      if (c === undefined) throw new ShapeError(`spiking.importState: missing '${name}'`);
      if (!(c.data instanceof Uint32Array) || c.data.length !== 1) throw new ShapeError(`spiking.importState: '${name}' must be a uint32 array of shape [1]`);
    }
    if (state["rng.seed"].data[0] !== this.#cfg.seed) {
      throw new ValueError(`spiking.importState: rng.seed ${state["rng.seed"].data[0]} differs from the configured seed ${this.#cfg.seed}`);
    }
    for (const { name, t, transpose: tr } of want) {
      const v = state[name].data as Float32Array;
      t.write(tr ? transpose(v, t.cols, t.rows) : v);
    }
    this.#windows = state["rng.window"].data[0];
    if (this.#cfg.rule !== "fa") this.#refresh(this.#desc.ptr);
  }

  dispose(): void {
    if (this.#arena === null) return;
    this.#arena.dispose();
    this.#arena = null;
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Transpose of a rows × cols row-major array. */
function transpose(v: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = v[i * cols + j];
  return out;
}

/** The first n rows of a tensor, unpadded. */
function rows(t: Tensor, n: number): Float32Array {
  const v = t.peek();
  const out = new Float32Array(n * t.cols);
  for (let r = 0; r < n; r++) out.set(v.subarray(r * t.stride, r * t.stride + t.cols), r * t.cols);
  return out;
}
