// The dendritic cortical microcircuit of SCBS18 (SPEC §1): the user-facing network object over the
// WebAssembly model in assembly/models/microcircuit.ts, and its classifier for the trainer.
//
// One Arena owns every buffer; a descriptor tensor (an i32/f32 table in linear memory) tells the
// WebAssembly side where each weight, filter and state buffer of each layer lives. A whole
// presentation (all Euler steps) or a whole mini-batch (fast steady-state mode) is one call.
import type { Core } from "../core/core.js";
import type { Arena, Tensor } from "../core/arena.js";
import { DisposedError, NonFiniteError, ShapeError, ValueError, assertFinite, assertInt } from "../core/errors.js";
import type { Batch } from "../data/batch.js";
import { SplitMix32 } from "../core/random.js";
import type { NamedArray, TrainableModel } from "../train/model.js";
import { registerModel } from "./registry.js";

/**
 * SCBS18 parameters (SPEC §1.9). Conductances, time constants and noise: five independent
 * re-implementations of SCBS18 agree on these values. Learning rates: SCBS18's supplementary
 * tables (η_up input→hidden 0.0011875, hidden→output 0.0005, ratio 1/λ; η_IP 0.0002375 while
 * learning the self-predicting state, 0.0011875 on tasks; η_PI 0.0005 SPS/association, 0.0059375
 * regression).
 */
export const SCBS18 = Object.freeze({
  gLk: 0.1,
  gB: 1.0,
  gA: 0.8,
  gD: 1.0,
  gSom: 0.8,
  dtMs: 0.1,
  presentMs: 100,
  tauInMs: 3,
  tauWMs: 30,
  /** σ for SPS learning and the single association; 0.3 for regression; 0 at test. */
  sigma: 0.1,
  sigmaRegression: 0.3,
  etaUpHidden: 0.0011875,
  etaUpOutput: 0.0005,
  etaIPSps: 0.0002375,
  etaIPTask: 0.0011875,
  etaPISps: 0.0005,
  etaPIRegression: 0.0059375,
  /** Soft rectifier of the regression teacher: γ·log(1+exp(β(u−θ))). */
  softRect: Object.freeze({ gamma: 0.1, beta: 1, theta: 3 }),
});

export type Activation = "logistic" | "softRect" | "relu" | "tanh" | "linear";
const ACT_CODE: Record<Activation, number> = { logistic: 0, softRect: 1, relu: 2, tanh: 3, linear: 4 };

/** Weight class names: bottom-up W^up, top-down B (W^down), pyramidal→interneuron W^IP, interneuron→pyramidal W^PI. */
export type Pathway = "up" | "down" | "ip" | "pi";
export const PATHWAYS: readonly Pathway[] = ["up", "down", "ip", "pi"];

/** Initial weight distribution: U(−scale, scale), or Glorot-uniform U(±gain·√(6/(fan_in+fan_out))). */
export type InitSpec = { dist: "uniform"; scale: number } | { dist: "glorot"; gain: number };

export interface MicrocircuitOptions {
  /** Layer sizes n_0 (input) … n_N (output), e.g. [30, 20, 10]. At least one hidden layer is not required. */
  sizes: number[];
  /** Largest number of examples per call (fast mode batch, or independent circuits in full dynamics). Default 1. */
  maxBatch?: number;
  seed?: number;
  activation?: Activation;
  softRect?: { gamma: number; beta: number; theta: number };
  gLk?: number;
  gB?: number;
  gA?: number;
  gD?: number;
  gSom?: number;
  dtMs?: number;
  tauInMs?: number;
  tauWMs?: number;
  /** Somatic noise σ (increment dt·σ·ξ per step). */
  sigma?: number;
  /**
   * Learning rates per pathway; a number applies to every layer, an array gives one per layer
   * (up: N entries for layers 1..N; ip, pi, down: N−1 entries for hidden layers 1..N−1).
   */
  eta?: Partial<Record<Pathway, number | number[]>>;
  /** Which weight classes learn. Default: up, ip, pi plastic; down (B) fixed. */
  plastic?: Partial<Record<Pathway, boolean>>;
  /** Learnable thresholds (presynaptic rate 1) on the bottom-up and pyramidal→interneuron pathways. */
  thresholds?: { up?: boolean; ip?: boolean };
  /** Initial weights per class. Default U(−1, 1) for every class (SCBS18 association). */
  init?: Partial<Record<Pathway, InitSpec>>;
  /** "random" (feedback-alignment regime, default) or "symmetric": B_k = topDownGain·(W^up_{k+1})ᵀ. */
  topDown?: "random" | "symmetric";
  /** Extra factor on the top-down weights B (after init; for a symmetric start, on Wᵀ). Default 1. */
  topDownGain?: number;
  /** "random": every class from `init`; "selfPredicting": then W^PI = −B and W^IP from W^up (SPEC §1.6). */
  start?: "random" | "selfPredicting";
  /** Plasticity off for this long after each pattern switch (SPEC §1.5; SCBS18 has none). Default 0. */
  learningLagMs?: number;
  /**
   * Hold W^PI = −B (needs start "selfPredicting" and W^PI, B fixed): the fast mode then forms
   * v^A = B(φ(u^P) − φ(u^I)) with one matrix product instead of two (equal in exact arithmetic).
   */
  tiePI?: boolean;
}

/** Variables a monitor can record (numbers mirror the WebAssembly model's codes). */
export const VARIABLES = Object.freeze({
  uP: 0,
  vB: 1,
  vA: 2,
  uI: 3,
  vI: 4,
  rP: 5,
  rI: 6,
  apical: 7,
  normUp: 8,
  normIP: 9,
  normPI: 10,
  normDown: 11,
  Wup: 12,
  WIP: 13,
  WPI: 14,
  B: 15,
  r0: 16,
});
export type Variable = keyof typeof VARIABLES;
const VARIABLE_DESCRIPTION: Record<number, string> = {
  0: "somatic potential u^P",
  1: "basal potential v^B",
  2: "apical potential v^A",
  3: "interneuron soma u^I",
  4: "interneuron dendrite v^I",
  5: "rate φ(u^P)",
  6: "interneuron rate φ(u^I)",
  12: "bottom-up weights W^up",
  13: "pyramidal→interneuron weights W^IP",
  14: "interneuron→pyramidal weights W^PI",
  15: "top-down weights B",
  16: "input rate r_0",
};

// Descriptor slots, mirrored from assembly/models/microcircuit.ts.
const H = { NLAYERS: 0, MAXBATCH: 1, ACT: 2, SEED: 3, NOISE_LO: 4, NOISE_HI: 5, N0: 6, R0: 7, R0OLD: 8, ONES: 9, CHUNK: 10, CHUNK_POS: 11, SINCE_SWITCH: 12, LAG_STEPS: 13, STEPS_LO: 14, MON_COUNT: 15, MON_TABLE: 16, STATUS_STEP: 17, CHUNK_B: 18 } as const;
const F = { DT: 32, GLK: 33, GB: 34, GA: 35, GD: 36, GSOM: 37, SIGMA: 38, TAU_IN: 39, TAU_W: 40, C_HID: 41, LAM_A: 42, C_OUT: 43, LAM_OUT: 44, C_I: 45, LAM_I: 46, GAMMA: 47, BETA: 48, THETA: 49 } as const;
const LAYER0 = 64;
const LREC = 64;
const L = {
  N: 0, NPREV: 1, NNEXT: 2, FLAGS: 3,
  WUP: 4, DUP: 5, BUP: 6, DBUP: 7, B: 8, DB: 9, WPI: 10, DPI: 11, WIP: 12, DIP: 13, BIP: 14, DBIP: 15,
  UP: 16, RP: 17, VB: 18, VA: 19, VAB: 20, UI: 21, RI: 22, VI: 23, RPOLD: 24, RIOLD: 25, RF: 26,
  EUP: 27, EIP: 28, EPI: 29, EDN: 30, XIP: 31, XII: 32, TMP: 33, SUM: 34, SUMI: 35,
  ETA_UP: 40, ETA_IP: 41, ETA_PI: 42, ETA_DN: 43,
} as const;
const FLAG = { PLASTIC_UP: 1, PLASTIC_IP: 2, PLASTIC_PI: 4, PLASTIC_DN: 8, BIAS_UP: 16, BIAS_IP: 32, TIED_PI: 64 } as const;
const MREC = 8;
const MAX_MONITORS = 32;

/** Derived steady-state factors of SPEC §1.4. */
export interface SteadyFactors {
  cHid: number;
  lambdaA: number;
  cOut: number;
  lambdaOut: number;
  cI: number;
  lambdaI: number;
}
export function steadyFactors(p: { gLk: number; gB: number; gA: number; gD: number; gSom: number }): SteadyFactors {
  return {
    cHid: p.gB / (p.gLk + p.gB + p.gA),
    lambdaA: p.gA / (p.gLk + p.gB + p.gA),
    cOut: p.gB / (p.gLk + p.gB),
    lambdaOut: p.gSom / (p.gLk + p.gB + p.gSom),
    cI: p.gD / (p.gLk + p.gD),
    lambdaI: p.gSom / (p.gLk + p.gD + p.gSom),
  };
}

interface LayerBuffers {
  n: number;
  nPrev: number;
  nNext: number;
  Wup: Tensor;
  Dup: Tensor | null;
  bUp: Tensor | null;
  DbUp: Tensor | null;
  B: Tensor | null;
  DB: Tensor | null;
  WPI: Tensor | null;
  DPI: Tensor | null;
  WIP: Tensor | null;
  DIP: Tensor | null;
  bIP: Tensor | null;
  DbIP: Tensor | null;
  state: Record<string, Tensor>;
}

/** Options of one full-dynamics presentation. */
export interface PresentOptions {
  /** Target potentials u_tgt (b × n_N); omitted: free running (no output nudging). */
  target?: ArrayLike<number>;
  /** Euler steps (default presentMs/dtMs = 1000). */
  steps?: number;
  /** Plasticity on (default true). */
  learn?: boolean;
  /** Number of patterns (rows of x), default 1. */
  batch?: number;
  /** This call starts a new pattern (restarts the learning-lag clock). Default true. */
  newPattern?: boolean;
}

/** A recorder of one variable at a fixed interval into a preallocated ring of `capacity` records. */
export class Monitor {
  readonly variable: Variable;
  readonly layer: number;
  readonly index: number;
  readonly intervalSteps: number;
  readonly capacity: number;
  readonly width: number;
  #buf: Tensor;
  #net: Microcircuit;
  #slot: number;

  /** @internal */
  constructor(net: Microcircuit, slot: number, buf: Tensor, variable: Variable, layer: number, index: number, intervalSteps: number, capacity: number, width: number) {
    this.#net = net;
    this.#slot = slot;
    this.#buf = buf;
    this.variable = variable;
    this.layer = layer;
    this.index = index;
    this.intervalSteps = intervalSteps;
    this.capacity = capacity;
    this.width = width;
  }
  /** Records written since creation (older ones are overwritten once more than `capacity` exist). */
  get written(): number {
    return this.#net._monitorWritten(this.#slot);
  }
  /** The retained records, oldest first: an array of Float32Array(width). */
  read(): Float32Array[] {
    const written = this.written;
    const count = Math.min(written, this.capacity);
    const raw = this.#buf.read();
    const out: Float32Array[] = [];
    for (let i = written - count; i < written; i++) {
      const r = i % this.capacity;
      out.push(raw.slice(r * this.width, (r + 1) * this.width));
    }
    return out;
  }
  /** Scalar monitors (width 1) as one array, oldest first. */
  values(): Float32Array {
    if (this.width !== 1) throw new ShapeError(`monitor of ${this.variable} records ${this.width} values per record; use read()`);
    const rec = this.read();
    return Float32Array.from(rec, (r) => r[0]);
  }
}

type Exports = {
  mcFastForward(net: number, X: number, b: number): number;
  mcFastTrain(net: number, X: number, T: number, b: number, sweeps: number, learn: number, scale: number): number;
  mcSyncDendrites(net: number, b: number): void;
  mcPresent(net: number, X: number, T: number, b: number, steps: number, flags: number): number;
  mcClearFilters(net: number): void;
};

function perLayer(v: number | number[] | undefined, count: number, dflt: (k: number) => number, what: string): number[] {
  if (v === undefined) return Array.from({ length: count }, (_, i) => dflt(i));
  if (typeof v === "number") {
    assertFinite(v, what);
    return Array.from({ length: count }, () => v);
  }
  if (!Array.isArray(v) || v.length !== count) throw new ValueError(`${what} must be a number or an array of ${count} numbers, got ${JSON.stringify(v)}`);
  v.forEach((x, i) => assertFinite(x, `${what}[${i}]`));
  return v.slice();
}

/**
 * The SCBS18 dendritic cortical microcircuit: pyramidal cells with basal and apical dendrites,
 * one interneuron per upper-layer pyramidal cell, conductance-based nudging, noise, input
 * smoothing, τ_w-filtered dendritic-prediction plasticity; full dynamics and fast steady state.
 */
export class Microcircuit {
  readonly sizes: readonly number[];
  readonly maxBatch: number;
  readonly params: Readonly<Required<Omit<MicrocircuitOptions, "sizes" | "eta" | "plastic" | "thresholds" | "init" | "softRect" | "tiePI">>> & {
    softRect: { gamma: number; beta: number; theta: number };
  };
  readonly factors: SteadyFactors;
  readonly eta: Record<Pathway, number[]>;
  readonly plastic: Readonly<Record<Pathway, boolean>>;
  readonly thresholds: Readonly<{ up: boolean; ip: boolean }>;
  readonly tiePI: boolean;
  #core: Core;
  #arena: Arena | null;
  #ex: Exports;
  #desc: Tensor;
  #monTable: Tensor;
  #monitors: Monitor[] = [];
  #layers: LayerBuffers[] = [];
  #x: Tensor;
  #t: Tensor;
  #r0: Tensor;
  #r0old: Tensor;
  #syncedBatch = 0;

  constructor(core: Core, options: MicrocircuitOptions) {
    const o = options;
    if (!o || !Array.isArray(o.sizes) || o.sizes.length < 2) throw new ValueError(`sizes must list at least the input and output layer sizes, got ${JSON.stringify(o?.sizes)}`);
    o.sizes.forEach((n, i) => assertInt(n, `sizes[${i}]`, 1, 1 << 20));
    const N = o.sizes.length - 1;
    this.sizes = Object.freeze(o.sizes.slice());
    this.maxBatch = o.maxBatch ?? 1;
    assertInt(this.maxBatch, "maxBatch", 1, 4096);
    const activation = o.activation ?? "logistic";
    if (!(activation in ACT_CODE)) throw new ValueError(`activation must be one of ${Object.keys(ACT_CODE).join(", ")}, got ${String(activation)}`);
    const p = {
      seed: o.seed ?? 1,
      activation,
      gLk: o.gLk ?? SCBS18.gLk,
      gB: o.gB ?? SCBS18.gB,
      gA: o.gA ?? SCBS18.gA,
      gD: o.gD ?? SCBS18.gD,
      gSom: o.gSom ?? SCBS18.gSom,
      dtMs: o.dtMs ?? SCBS18.dtMs,
      tauInMs: o.tauInMs ?? SCBS18.tauInMs,
      tauWMs: o.tauWMs ?? SCBS18.tauWMs,
      sigma: o.sigma ?? SCBS18.sigma,
      maxBatch: this.maxBatch,
      topDown: o.topDown ?? "random",
      topDownGain: o.topDownGain ?? 1,
      start: o.start ?? "random",
      learningLagMs: o.learningLagMs ?? 0,
      softRect: { ...(o.softRect ?? SCBS18.softRect) },
    };
    assertInt(p.seed, "seed", 0, 2 ** 32 - 1);
    for (const k of ["gLk", "gB", "gA", "gD", "gSom", "sigma", "learningLagMs"] as const) {
      assertFinite(p[k], k);
      if (p[k] < 0) throw new ValueError(`${k} must be ≥ 0, got ${p[k]}`);
    }
    for (const k of ["dtMs", "tauInMs", "tauWMs"] as const) {
      assertFinite(p[k], k);
      if (p[k] <= 0) throw new ValueError(`${k} must be > 0, got ${p[k]}`);
    }
    if (p.dtMs > p.tauInMs || p.dtMs > p.tauWMs) throw new ValueError(`dtMs (${p.dtMs}) must not exceed tauInMs (${p.tauInMs}) or tauWMs (${p.tauWMs})`);
    assertFinite(p.topDownGain, "topDownGain");
    for (const k of ["gamma", "beta", "theta"] as const) assertFinite(p.softRect[k], `softRect.${k}`);
    if (p.topDown !== "random" && p.topDown !== "symmetric") throw new ValueError(`topDown must be "random" or "symmetric", got ${String(p.topDown)}`);
    if (p.start !== "random" && p.start !== "selfPredicting") throw new ValueError(`start must be "random" or "selfPredicting", got ${String(p.start)}`);
    this.params = Object.freeze(p);
    this.factors = Object.freeze(steadyFactors(p));
    const f = this.factors;

    this.eta = {
      up: perLayer(o.eta?.up, N, (i) => (i === N - 1 ? SCBS18.etaUpOutput : SCBS18.etaUpHidden), "eta.up"),
      ip: perLayer(o.eta?.ip, N - 1, () => SCBS18.etaIPTask, "eta.ip"),
      pi: perLayer(o.eta?.pi, N - 1, () => SCBS18.etaPISps, "eta.pi"),
      down: perLayer(o.eta?.down, N - 1, () => 0, "eta.down"),
    };
    for (const key of Object.keys(o.eta ?? {})) if (!PATHWAYS.includes(key as Pathway)) throw new ValueError(`eta.${key}: unknown pathway; expected one of ${PATHWAYS.join(", ")}`);
    for (const key of Object.keys(o.plastic ?? {})) if (!PATHWAYS.includes(key as Pathway)) throw new ValueError(`plastic.${key}: unknown pathway; expected one of ${PATHWAYS.join(", ")}`);
    this.plastic = Object.freeze({ up: o.plastic?.up ?? true, down: o.plastic?.down ?? false, ip: o.plastic?.ip ?? true, pi: o.plastic?.pi ?? true });
    this.thresholds = Object.freeze({ up: o.thresholds?.up ?? false, ip: o.thresholds?.ip ?? false });
    this.tiePI = o.tiePI ?? false;
    if (this.tiePI && (this.plastic.pi || this.plastic.down || p.start !== "selfPredicting")) {
      throw new ValueError("tiePI needs start \"selfPredicting\" and plastic.pi = plastic.down = false (W^PI is held at −B)");
    }
    const init: Record<Pathway, InitSpec> = {
      up: o.init?.up ?? { dist: "uniform", scale: 1 },
      down: o.init?.down ?? { dist: "uniform", scale: 1 },
      ip: o.init?.ip ?? { dist: "uniform", scale: 1 },
      pi: o.init?.pi ?? { dist: "uniform", scale: 1 },
    };
    for (const k of PATHWAYS) checkInit(init[k], `init.${k}`);

    this.#core = core;
    this.#ex = {
      mcFastForward: core.fn("mcFastForward"),
      mcFastTrain: core.fn("mcFastTrain"),
      mcSyncDendrites: core.fn("mcSyncDendrites"),
      mcPresent: core.fn("mcPresent"),
      mcClearFilters: core.fn("mcClearFilters"),
    };
    const arena = core.arena();
    this.#arena = arena;
    try {
      const B = this.maxBatch;
      const chunk = Math.max(1, Math.floor(64 / B));
      this.#desc = arena.vector(LAYER0 + N * LREC);
      this.#monTable = arena.vector(MAX_MONITORS * MREC);
      const n0 = this.sizes[0];
      this.#x = arena.matrix(B, n0);
      this.#t = arena.matrix(B, this.sizes[N]);
      this.#r0 = arena.matrix(B, n0);
      this.#r0old = arena.matrix(B, n0);
      const ones = arena.vector(B).fill(1);
      for (let k = 1; k <= N; k++) {
        const n = this.sizes[k];
        const nPrev = this.sizes[k - 1];
        const nNext = k < N ? this.sizes[k + 1] : 0;
        const hid = k < N;
        const mat = (r: number, c: number) => arena.matrix(r, c);
        const st: Record<string, Tensor> = {};
        for (const name of ["UP", "RP", "VB", "RPOLD", "RF", "EUP", "TMP"]) st[name] = mat(B, n);
        st.SUM = arena.vector(n);
        st.XIP = mat(chunk * B, n);
        if (hid) {
          for (const name of ["VA", "VAB", "EPI", "EDN"]) st[name] = mat(B, n);
          for (const name of ["UI", "RI", "VI", "RIOLD", "EIP"]) st[name] = mat(B, nNext);
          st.SUMI = arena.vector(nNext);
          st.XII = mat(chunk * B, nNext);
        }
        this.#layers.push({
          n, nPrev, nNext,
          Wup: mat(n, nPrev),
          Dup: this.plastic.up ? mat(n, nPrev) : null,
          bUp: this.thresholds.up ? arena.vector(n) : null,
          DbUp: this.thresholds.up && this.plastic.up ? arena.vector(n) : null,
          B: hid ? mat(n, nNext) : null,
          DB: hid && this.plastic.down ? mat(n, nNext) : null,
          WPI: hid ? mat(n, nNext) : null,
          DPI: hid && this.plastic.pi ? mat(n, nNext) : null,
          WIP: hid ? mat(nNext, n) : null,
          DIP: hid && this.plastic.ip ? mat(nNext, n) : null,
          bIP: hid && this.thresholds.ip ? arena.vector(nNext) : null,
          DbIP: hid && this.thresholds.ip && this.plastic.ip ? arena.vector(nNext) : null,
          state: st,
        });
      }
      // Descriptor.
      const di = new Int32Array(this.#core.memory.buffer, this.#desc.ptr, this.#desc.paddedLength);
      const df = new Float32Array(this.#core.memory.buffer, this.#desc.ptr, this.#desc.paddedLength);
      di[H.NLAYERS] = N;
      di[H.MAXBATCH] = B;
      di[H.ACT] = ACT_CODE[activation];
      di[H.SEED] = p.seed | 0;
      di[H.N0] = n0;
      di[H.R0] = this.#r0.ptr;
      di[H.R0OLD] = this.#r0old.ptr;
      di[H.ONES] = ones.ptr;
      di[H.CHUNK] = chunk;
      di[H.CHUNK_POS] = chunk;
      di[H.LAG_STEPS] = Math.round(p.learningLagMs / p.dtMs);
      di[H.MON_TABLE] = this.#monTable.ptr;
      df[F.DT] = p.dtMs;
      df[F.GLK] = p.gLk;
      df[F.GB] = p.gB;
      df[F.GA] = p.gA;
      df[F.GD] = p.gD;
      df[F.GSOM] = p.gSom;
      df[F.SIGMA] = p.sigma;
      df[F.TAU_IN] = p.tauInMs;
      df[F.TAU_W] = p.tauWMs;
      df[F.C_HID] = f.cHid;
      df[F.LAM_A] = f.lambdaA;
      df[F.C_OUT] = f.cOut;
      df[F.LAM_OUT] = f.lambdaOut;
      df[F.C_I] = f.cI;
      df[F.LAM_I] = f.lambdaI;
      df[F.GAMMA] = p.softRect.gamma;
      df[F.BETA] = p.softRect.beta;
      df[F.THETA] = p.softRect.theta;
      for (let k = 1; k <= N; k++) {
        const lb = this.#layers[k - 1];
        const base = LAYER0 + (k - 1) * LREC;
        const ptr = (t: Tensor | null | undefined) => (t ? t.ptr : 0);
        di[base + L.N] = lb.n;
        di[base + L.NPREV] = lb.nPrev;
        di[base + L.NNEXT] = lb.nNext;
        let flags = 0;
        if (this.plastic.up) flags |= FLAG.PLASTIC_UP;
        if (k < N && this.plastic.ip) flags |= FLAG.PLASTIC_IP;
        if (k < N && this.plastic.pi) flags |= FLAG.PLASTIC_PI;
        if (k < N && this.plastic.down) flags |= FLAG.PLASTIC_DN;
        if (this.thresholds.up) flags |= FLAG.BIAS_UP;
        if (k < N && this.thresholds.ip) flags |= FLAG.BIAS_IP;
        if (k < N && this.tiePI) flags |= FLAG.TIED_PI;
        di[base + L.FLAGS] = flags;
        di[base + L.WUP] = lb.Wup.ptr;
        di[base + L.DUP] = ptr(lb.Dup);
        di[base + L.BUP] = ptr(lb.bUp);
        di[base + L.DBUP] = ptr(lb.DbUp);
        di[base + L.B] = ptr(lb.B);
        di[base + L.DB] = ptr(lb.DB);
        di[base + L.WPI] = ptr(lb.WPI);
        di[base + L.DPI] = ptr(lb.DPI);
        di[base + L.WIP] = ptr(lb.WIP);
        di[base + L.DIP] = ptr(lb.DIP);
        di[base + L.BIP] = ptr(lb.bIP);
        di[base + L.DBIP] = ptr(lb.DbIP);
        for (const [name, t] of Object.entries(lb.state)) di[base + L[name as keyof typeof L]] = t.ptr;
      }
      this.#writeRates(1);
      this.#initWeights(init);
    } catch (e) {
      arena.dispose();
      this.#arena = null;
      throw e;
    }
  }

  /** Number of pyramidal layers N (the output is layer N; layer 0 is the input). */
  get depth(): number {
    return this.sizes.length - 1;
  }
  get disposed(): boolean {
    return this.#arena === null;
  }

  #live(): Arena {
    if (this.#arena === null) throw new DisposedError("Microcircuit used after dispose()");
    return this.#arena;
  }

  #di(): Int32Array {
    return new Int32Array(this.#core.memory.buffer, this.#desc.ptr, this.#desc.paddedLength);
  }

  /** Writes scale·η of every layer into the descriptor. */
  #writeRates(scale: number): void {
    const df = new Float32Array(this.#core.memory.buffer, this.#desc.ptr, this.#desc.paddedLength);
    const N = this.depth;
    for (let k = 1; k <= N; k++) {
      const base = LAYER0 + (k - 1) * LREC;
      df[base + L.ETA_UP] = scale * this.eta.up[k - 1];
      if (k < N) {
        df[base + L.ETA_IP] = scale * this.eta.ip[k - 1];
        df[base + L.ETA_PI] = scale * this.eta.pi[k - 1];
        df[base + L.ETA_DN] = scale * this.eta.down[k - 1];
      }
    }
  }

  /** Multiplies every learning rate by `factor` relative to the configured rates. */
  setLearningRateScale(factor: number): void {
    assertFinite(factor, "learning rate scale");
    if (factor < 0) throw new ValueError(`learning rate scale must be ≥ 0, got ${factor}`);
    this.#live();
    this.#writeRates(factor);
  }

  #initWeights(init: Record<Pathway, InitSpec>): void {
    const rng = new SplitMix32(this.params.seed);
    const N = this.depth;
    const draw = (t: Tensor, spec: InitSpec) => {
      const a = spec.dist === "uniform" ? spec.scale : spec.gain * Math.sqrt(6 / (t.rows + t.cols));
      const v = new Float32Array(t.length);
      for (let i = 0; i < v.length; i++) v[i] = rng.uniform(-a, a);
      t.write(v);
    };
    for (let k = 1; k <= N; k++) draw(this.#layers[k - 1].Wup, init.up);
    for (let k = 1; k < N; k++) {
      const lb = this.#layers[k - 1];
      if (this.params.topDown === "symmetric") {
        lb.B!.write(transpose(this.#layers[k].Wup.read(), this.#layers[k].n, lb.n).map((w) => w * this.params.topDownGain));
      } else {
        draw(lb.B!, init.down);
        if (this.params.topDownGain !== 1) lb.B!.write(lb.B!.read().map((w) => w * this.params.topDownGain));
      }
      draw(lb.WIP!, init.ip);
      draw(lb.WPI!, init.pi);
    }
    if (this.params.start === "selfPredicting") this.setSelfPredicting();
    this.reset();
  }

  /**
   * Exact self-predicting weights (SPEC §1.6): W^PI_k = −B_k and
   * W^IP_k = [(g_lk+g_D)/g_D]·[g_B/(g_lk+g_B+g_A^(k+1))]·W^up_{k+1}, g_A^(k+1) = 0 when k+1 is the
   * output (factor 1 under the output, 1.1/1.9 deeper). Thresholds of W^IP follow W^up's the same way.
   */
  setSelfPredicting(): void {
    this.#live();
    const N = this.depth;
    const p = this.params;
    for (let k = 1; k < N; k++) {
      const lb = this.#layers[k - 1];
      const up = this.#layers[k];
      const gA = k + 1 === N ? 0 : p.gA;
      const factor = ((p.gLk + p.gD) / p.gD) * (p.gB / (p.gLk + p.gB + gA));
      lb.WPI!.write(lb.B!.read().map((w) => -w));
      lb.WIP!.write(up.Wup.read().map((w) => factor * w));
      if (lb.bIP) lb.bIP.write(up.bUp ? up.bUp.read().map((w) => factor * w) : new Float32Array(lb.nNext));
    }
    this.#syncedBatch = 0;
  }

  /** Somata and input filter to rest (0), filters of plasticity to 0, dendrites recomputed. */
  reset(): void {
    this.#live();
    for (const lb of this.#layers) for (const t of Object.values(lb.state)) t.fill(0);
    this.#r0.fill(0);
    this.#r0old.fill(0);
    this.#ex.mcClearFilters(this.#desc.ptr);
    const di = this.#di();
    di[H.SINCE_SWITCH] = 0;
    this.#sync(this.maxBatch);
  }

  #sync(b: number): void {
    this.#ex.mcSyncDendrites(this.#desc.ptr, b);
    this.#syncedBatch = b;
  }

  /** Weights of one class at layer k, as a copy (rows postsynaptic). */
  weights(pathway: Pathway | "thresholdUp" | "thresholdIP", k: number): Float32Array {
    return this.#weightTensor(pathway, k).read();
  }
  /** Replaces the weights of one class at layer k (logical values, rows postsynaptic). */
  setWeights(pathway: Pathway | "thresholdUp" | "thresholdIP", k: number, values: ArrayLike<number>): void {
    const t = this.#weightTensor(pathway, k);
    if (this.tiePI && pathway === "pi") throw new ValueError("setWeights(pi): W^PI is tied to −B (tiePI); set B instead");
    if (values.length !== t.length) throw new ShapeError(`setWeights(${pathway}, ${k}): expected ${t.rows}×${t.cols} = ${t.length} values, got ${values.length}`);
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) throw new ValueError(`setWeights(${pathway}, ${k}): value ${i} is ${values[i]}`);
    t.write(values);
    if (this.tiePI && pathway === "down") this.#weightTensor("pi", k).write(Array.from(values, (w) => -w));
    this.#syncedBatch = 0;
  }
  #weightTensor(pathway: string, k: number): Tensor {
    this.#live();
    const N = this.depth;
    assertInt(k, "layer", 1, N);
    const lb = this.#layers[k - 1];
    const t =
      pathway === "up" ? lb.Wup
      : pathway === "down" ? lb.B
      : pathway === "ip" ? lb.WIP
      : pathway === "pi" ? lb.WPI
      : pathway === "thresholdUp" ? lb.bUp
      : pathway === "thresholdIP" ? lb.bIP
      : undefined;
    if (t === undefined) throw new ValueError(`pathway must be one of up, down, ip, pi, thresholdUp, thresholdIP; got ${pathway}`);
    if (t === null) throw new ValueError(`layer ${k} has no ${pathway} weights (${k === N ? "the output layer has no apical compartment or interneurons" : "thresholds are off"})`);
    return t;
  }

  /** A copy of a state variable of layer k (rows = batch). Variables: uP, vB, vA, uI, vI, rP, rI, r0 (layer 0). */
  state(variable: "uP" | "vB" | "vA" | "uI" | "vI" | "rP" | "rI" | "rF" | "r0", k = 0, batch = 1): Float32Array {
    this.#live();
    if (variable === "r0") return sliceRows(this.#r0.read(), batch, this.sizes[0]);
    assertInt(k, "layer", 1, this.depth);
    const key = { uP: "UP", vB: "VB", vA: "VA", uI: "UI", vI: "VI", rP: "RP", rI: "RI", rF: "RF" }[variable];
    const t = key === undefined ? undefined : this.#layers[k - 1].state[key];
    if (t === undefined) throw new ValueError(`layer ${k} has no variable ${variable}${k === this.depth ? " (output layer)" : ""}`);
    return sliceRows(t.read(), batch, t.cols);
  }

  /** Mean |v^A| over the cells of each hidden layer (first `batch` rows), the apical mismatch. */
  apicalMismatch(batch = 1): number[] {
    const out: number[] = [];
    for (let k = 1; k < this.depth; k++) {
      const v = this.state("vA", k, batch);
      let s = 0;
      for (const x of v) s += Math.abs(x);
      out.push(s / v.length);
    }
    return out;
  }

  #writeInput(x: ArrayLike<number>, b: number, what: string): void {
    assertInt(b, `${what}: batch`, 1, this.maxBatch);
    const n0 = this.sizes[0];
    if (x.length < b * n0) throw new ShapeError(`${what}: x must hold batch·n_0 = ${b}×${n0} = ${b * n0} values, got ${x.length}`);
    const v = this.#x.peek();
    const s = this.#x.stride;
    for (let r = 0; r < b; r++) for (let c = 0; c < n0; c++) v[r * s + c] = x[r * n0 + c];
  }
  #writeTarget(t: ArrayLike<number>, b: number, what: string): void {
    const nN = this.sizes[this.depth];
    if (t.length < b * nN) throw new ShapeError(`${what}: target must hold batch·n_N = ${b}×${nN} = ${b * nN} values, got ${t.length}`);
    const v = this.#t.peek();
    const s = this.#t.stride;
    for (let r = 0; r < b; r++) {
      for (let c = 0; c < nN; c++) {
        const y = t[r * nN + c];
        if (!Number.isFinite(y)) throw new ValueError(`${what}: target[${r * nN + c}] is ${y}`);
        v[r * s + c] = y;
      }
    }
  }

  #status(code: number, where: string): void {
    if (code === 0) return;
    const c = code - 1;
    const layer = Math.floor(c / 32);
    const v = c % 32;
    const step = this.#di()[H.STATUS_STEP];
    throw new NonFiniteError(
      `${where}: non-finite ${VARIABLE_DESCRIPTION[v] ?? `variable ${v}`} in layer ${layer}${where === "present" ? ` at step ${step} of the call` : ""}; ` +
        "the state diverged (an unbounded φ with large weights, too large a learning rate, or a non-self-predicting start)",
    );
  }

  /**
   * Full dynamics (SPEC §1.2–1.5): presents the pattern(s) x for `steps` Euler steps in one
   * WebAssembly call, with the output nudged toward `target` when given. State carries over
   * between calls (patterns follow each other without reset, as in SCBS18).
   */
  present(x: ArrayLike<number>, opts: PresentOptions = {}): void {
    this.#live();
    const b = opts.batch ?? 1;
    this.#writeInput(x, b, "present");
    const steps = opts.steps ?? Math.round(SCBS18.presentMs / this.params.dtMs);
    assertInt(steps, "present: steps", 0);
    if (opts.target !== undefined) this.#writeTarget(opts.target, b, "present");
    if (this.#syncedBatch < b) this.#sync(b);
    const flags = (opts.target !== undefined ? 1 : 0) | (opts.learn ?? true ? 2 : 0) | (opts.newPattern ?? true ? 4 : 0);
    this.#status(this.#ex.mcPresent(this.#desc.ptr, this.#x.ptr, opts.target !== undefined ? this.#t.ptr : 0, b, steps, flags), "present");
  }

  /**
   * Fast steady-state mode (SPEC §1.8) on b examples: `sweeps` up/down sweeps (1 = SCBS18's single
   * pass), then (learn) one plasticity step with batch-averaged induction terms and rates η per example.
   */
  steadyState(x: ArrayLike<number>, target: ArrayLike<number> | null, opts: { batch?: number; sweeps?: number; learn?: boolean } = {}): void {
    this.#live();
    const b = opts.batch ?? 1;
    this.#writeInput(x, b, "steadyState");
    if (target !== null) this.#writeTarget(target, b, "steadyState");
    const sweeps = opts.sweeps ?? 1;
    assertInt(sweeps, "steadyState: sweeps", 1, 100000);
    this.#status(this.#ex.mcFastTrain(this.#desc.ptr, this.#x.ptr, target !== null ? this.#t.ptr : 0, b, sweeps, opts.learn ?? true ? 1 : 0, 1), "steadyState");
    this.#syncedBatch = 0;
  }

  /** Test pass (forward sweep, no noise, no plasticity): n × n_N output rates. */
  predict(x: ArrayLike<number>, n: number, out?: Float32Array): Float32Array {
    this.#live();
    const n0 = this.sizes[0];
    const nN = this.sizes[this.depth];
    assertInt(n, "predict: n", 0);
    if (x.length < n * n0) throw new ShapeError(`predict: x must hold n·n_0 = ${n}×${n0} values, got ${x.length}`);
    out ??= new Float32Array(n * nN);
    if (out.length < n * nN) throw new ShapeError(`predict: out must hold n·n_N = ${n * nN} values, got ${out.length}`);
    const LN = this.#layers[this.depth - 1].state.RP;
    for (let i = 0; i < n; i += this.maxBatch) {
      const b = Math.min(this.maxBatch, n - i);
      const xs = this.#x.peek();
      const s = this.#x.stride;
      for (let r = 0; r < b; r++) {
        const off = (i + r) * n0;
        for (let c = 0; c < n0; c++) xs[r * s + c] = x[off + c];
      }
      this.#status(this.#ex.mcFastForward(this.#desc.ptr, this.#x.ptr, b), "predict");
      const v = LN.peek();
      const so = LN.stride;
      for (let r = 0; r < b; r++) for (let c = 0; c < nN; c++) out[(i + r) * nN + c] = v[r * so + c];
    }
    this.#syncedBatch = 0;
    return out;
  }

  /**
   * Records `variable` of `layer` every `intervalSteps` Euler steps of present(), into `capacity`
   * preallocated records (a ring: the newest `capacity` are kept). index ≥ 0: one cell; −1: the
   * whole vector; −2: its mean absolute value. Scalar variables: apical (mean |v^A|) and the
   * Frobenius norms normUp, normIP, normPI, normDown. Batch row 0 is recorded.
   */
  monitor(variable: Variable, opts: { layer?: number; index?: number; intervalSteps?: number; capacity?: number } = {}): Monitor {
    const arena = this.#live();
    if (!(variable in VARIABLES) || VARIABLES[variable] >= 12 && variable !== "r0") throw new ValueError(`monitor: unknown variable ${String(variable)}; expected one of uP, vB, vA, uI, vI, rP, rI, r0, apical, normUp, normIP, normPI, normDown`);
    const code = VARIABLES[variable];
    const layer = variable === "r0" ? 0 : (opts.layer ?? 1);
    const N = this.depth;
    if (variable !== "r0") assertInt(layer, "monitor: layer", 1, N);
    const hiddenOnly = ["vA", "uI", "vI", "rI", "apical", "normIP", "normPI", "normDown"].includes(variable);
    if (hiddenOnly && layer === N) throw new ValueError(`monitor: the output layer has no ${variable}`);
    const n = variable === "r0" ? this.sizes[0] : ["uI", "vI", "rI"].includes(variable) ? this.sizes[layer + 1] : this.sizes[layer];
    const scalar = code >= 7;
    const index = scalar ? -2 : (opts.index ?? -1);
    assertInt(index, "monitor: index", -2, n - 1);
    const intervalSteps = opts.intervalSteps ?? 10;
    assertInt(intervalSteps, "monitor: intervalSteps", 1);
    const capacity = opts.capacity ?? 1000;
    assertInt(capacity, "monitor: capacity", 1, 1 << 24);
    const width = index === -1 ? n : 1;
    const slot = this.#monitors.length;
    if (slot >= MAX_MONITORS) throw new ValueError(`monitor: at most ${MAX_MONITORS} monitors per network`);
    // Records are packed, `width` floats each.
    const flat = arena.vector(capacity * width);
    const ti = new Int32Array(this.#core.memory.buffer, this.#monTable.ptr + slot * MREC * 4, MREC);
    ti.set([code, layer, index, intervalSteps, flat.ptr, width, capacity, 0]);
    this.#di()[H.MON_COUNT] = slot + 1;
    const m = new Monitor(this, slot, flat, variable, layer, index, intervalSteps, capacity, width);
    this.#monitors.push(m);
    return m;
  }
  /** @internal */
  _monitorWritten(slot: number): number {
    this.#live();
    return new Int32Array(this.#core.memory.buffer, this.#monTable.ptr + slot * MREC * 4, MREC)[7];
  }

  /**
   * Angles (degrees) between the microcircuit's bottom-up update and the backprop and
   * feedback-alignment updates of the equivalent feedforward net (pre-activations v̂, SPEC §1.7),
   * on the same weights and one input/target pair. The microcircuit update is taken at the steady
   * state (`sweeps` up/down sweeps; default 200, converged). Per hidden layer and over all hidden
   * layers together.
   */
  alignment(x: ArrayLike<number>, target: ArrayLike<number>, sweeps = 200): { bp: number[]; fa: number[]; angleBP: number; angleFA: number } {
    this.#live();
    const N = this.depth;
    if (N < 2) throw new ValueError("alignment needs at least one hidden layer");
    this.steadyState(x, target, { sweeps, learn: false });
    const f = this.factors;
    const act = activationF64(this.params.activation, this.params.softRect);
    // Microcircuit induction terms G^up_k = [φ(u^P_k) − φ(v̂^B_k)] r_{k−1}ᵀ at the steady state.
    const mc: Float64Array[] = [];
    for (let k = 1; k < N; k++) {
      const rP = this.state("rP", k);
      const vB = this.state("vB", k);
      const pre = k === 1 ? Float64Array.from(x as ArrayLike<number>).subarray(0, this.sizes[0]) : this.state("rF", k - 1);
      const e = Float64Array.from(rP, (r, i) => r - act.f(f.cHid * vB[i]));
      mc.push(outer(e, pre));
    }
    // Feedforward net with the same weights: a_k = ĉ_k (W^up_k r_{k−1} + t_k).
    const r: Float64Array[] = [Float64Array.from({ length: this.sizes[0] }, (_, i) => x[i])];
    const a: Float64Array[] = [new Float64Array(0)];
    for (let k = 1; k <= N; k++) {
      const W = this.weights("up", k);
      const t = this.thresholds.up ? this.weights("thresholdUp", k) : null;
      const c = k < N ? f.cHid : f.cOut;
      const n = this.sizes[k];
      const m = this.sizes[k - 1];
      const ak = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = t ? t[i] : 0;
        for (let j = 0; j < m; j++) s += W[i * m + j] * r[k - 1][j];
        ak[i] = c * s;
      }
      a.push(ak);
      r.push(ak.map(act.f));
    }
    const nN = this.sizes[N];
    const deltaN = Float64Array.from({ length: nN }, (_, i) => act.df(a[N][i]) * (target[i] - a[N][i]));
    const backward = (useB: boolean) => {
      const deltas: Float64Array[] = new Array(N + 1);
      deltas[N] = deltaN;
      for (let k = N - 1; k >= 1; k--) {
        const n = this.sizes[k];
        const nn = this.sizes[k + 1];
        const M = useB ? this.weights("down", k) : this.weights("up", k + 1);
        const d = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let j = 0; j < nn; j++) s += (useB ? M[i * nn + j] : M[j * n + i]) * deltas[k + 1][j];
          d[i] = act.df(a[k][i]) * s;
        }
        deltas[k] = d;
      }
      return deltas;
    };
    const dBP = backward(false);
    const dFA = backward(true);
    const bp: number[] = [];
    const fa: number[] = [];
    const allMc: number[] = [];
    const allBP: number[] = [];
    const allFA: number[] = [];
    for (let k = 1; k < N; k++) {
      const gBP = outer(dBP[k], r[k - 1]);
      const gFA = outer(dFA[k], r[k - 1]);
      bp.push(angleDeg(mc[k - 1], gBP));
      fa.push(angleDeg(mc[k - 1], gFA));
      allMc.push(...mc[k - 1]);
      allBP.push(...gBP);
      allFA.push(...gFA);
    }
    return { bp, fa, angleBP: angleDeg(allMc, allBP), angleFA: angleDeg(allMc, allFA) };
  }

  /** Every weight and filter state by stable name, plus the noise counter (see README). */
  exportState(): Record<string, NamedArray> {
    this.#live();
    const out: Record<string, NamedArray> = {};
    const N = this.depth;
    const put = (name: string, t: Tensor | null) => {
      if (t) out[name] = { shape: t.rows === 1 && name.includes("threshold") ? [t.cols] : [t.rows, t.cols], data: t.read() };
    };
    for (let k = 1; k <= N; k++) {
      const lb = this.#layers[k - 1];
      put(`layer${k}.Wup`, lb.Wup);
      put(`layer${k}.Wup.filter`, lb.Dup);
      put(`layer${k}.thresholdUp`, lb.bUp);
      put(`layer${k}.thresholdUp.filter`, lb.DbUp);
      put(`layer${k}.B`, lb.B);
      put(`layer${k}.B.filter`, lb.DB);
      put(`layer${k}.WPI`, lb.WPI);
      put(`layer${k}.WPI.filter`, lb.DPI);
      put(`layer${k}.WIP`, lb.WIP);
      put(`layer${k}.WIP.filter`, lb.DIP);
      put(`layer${k}.thresholdIP`, lb.bIP);
      put(`layer${k}.thresholdIP.filter`, lb.DbIP);
    }
    const di = this.#di();
    out["noise.counter"] = { shape: [2], data: Uint32Array.from([di[H.NOISE_LO] >>> 0, di[H.NOISE_HI] >>> 0]) };
    return out;
  }

  importState(state: Record<string, NamedArray>): void {
    this.#live();
    const mine = this.exportState();
    for (const [name, cur] of Object.entries(mine)) {
      const s = state[name];
      if (s === undefined) throw new ShapeError(`importState: missing tensor '${name}'`);
      if (s.shape.length !== cur.shape.length || s.shape.some((d, i) => d !== cur.shape[i])) {
        throw new ShapeError(`importState: tensor '${name}' has shape [${s.shape.join(", ")}], this network expects [${cur.shape.join(", ")}]`);
      }
    }
    for (const name of Object.keys(state)) if (!(name in mine)) throw new ShapeError(`importState: unexpected tensor '${name}' (architecture or options differ)`);
    const N = this.depth;
    const get = (name: string, t: Tensor | null) => {
      if (t) t.write(state[name].data);
    };
    for (let k = 1; k <= N; k++) {
      const lb = this.#layers[k - 1];
      get(`layer${k}.Wup`, lb.Wup);
      get(`layer${k}.Wup.filter`, lb.Dup);
      get(`layer${k}.thresholdUp`, lb.bUp);
      get(`layer${k}.thresholdUp.filter`, lb.DbUp);
      get(`layer${k}.B`, lb.B);
      get(`layer${k}.B.filter`, lb.DB);
      get(`layer${k}.WPI`, lb.WPI);
      get(`layer${k}.WPI.filter`, lb.DPI);
      get(`layer${k}.WIP`, lb.WIP);
      get(`layer${k}.WIP.filter`, lb.DIP);
      get(`layer${k}.thresholdIP`, lb.bIP);
      get(`layer${k}.thresholdIP.filter`, lb.DbIP);
    }
    const c = state["noise.counter"].data;
    const di = this.#di();
    di[H.NOISE_LO] = c[0] | 0;
    di[H.NOISE_HI] = c[1] | 0;
    di[H.CHUNK_POS] = di[H.CHUNK];
    this.#syncedBatch = 0;
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

function checkInit(s: InitSpec, what: string): void {
  if (!s || typeof s !== "object") throw new ValueError(`${what} must be {dist:"uniform",scale} or {dist:"glorot",gain}`);
  if (s.dist === "uniform") assertFinite(s.scale, `${what}.scale`);
  else if (s.dist === "glorot") assertFinite(s.gain, `${what}.gain`);
  else throw new ValueError(`${what}.dist must be "uniform" or "glorot", got ${String((s as { dist: unknown }).dist)}`);
}

function transpose(v: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = v[i * cols + j];
  return out;
}
function sliceRows(v: Float32Array, rows: number, cols: number): Float32Array {
  return v.slice(0, rows * cols);
}
function outer(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length * b.length);
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) out[i * b.length + j] = a[i] * b[j];
  return out;
}
/** Angle in degrees between two vectors (flattened matrices). */
export function angleDeg(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  if (aa === 0 || bb === 0) return NaN;
  return (Math.acos(Math.max(-1, Math.min(1, ab / Math.sqrt(aa * bb)))) * 180) / Math.PI;
}

/** φ and φ′ in float64 (diagnostics). */
export function activationF64(name: Activation, sr: { gamma: number; beta: number; theta: number } = SCBS18.softRect): { f: (u: number) => number; df: (u: number) => number } {
  switch (name) {
    case "logistic":
      return { f: (u) => 1 / (1 + Math.exp(-u)), df: (u) => { const s = 1 / (1 + Math.exp(-u)); return s * (1 - s); } };
    case "softRect":
      return {
        f: (u) => { const z = sr.beta * (u - sr.theta); return sr.gamma * (z > 30 ? z : Math.log1p(Math.exp(z))); },
        df: (u) => sr.gamma * sr.beta / (1 + Math.exp(-sr.beta * (u - sr.theta))),
      };
    case "relu":
      return { f: (u) => Math.max(0, u), df: (u) => (u > 0 ? 1 : 0) };
    case "tanh":
      return { f: Math.tanh, df: (u) => 1 - Math.tanh(u) ** 2 };
    default:
      return { f: (u) => u, df: () => 1 };
  }
}

// =================================================================================================
// Classifier for the trainer (fast steady-state mode)
// =================================================================================================

/** Configuration of the "microcircuit" model kind (all fields JSON; defaults: the MNIST protocol of SPEC §1.10). */
export interface MicrocircuitClassifierConfig {
  sizes: number[];
  seed: number;
  maxBatch: number;
  activation: Activation;
  /** Global learning rate: η_up of the output layer in fast mode (per example, batch-averaged). */
  eta: number;
  /**
   * η_up of layer k = eta · etaLayerFactors[k−1] (layers 1..N); null: 1 at the output and
   * 2^(N−k+1) below it (4, then doubling per layer down: 8, 4, 1 for 784-500-500-10; tuned on the
   * MNIST validation split).
   */
  etaLayerFactors: number[] | null;
  /** Optional per-pathway rates overriding the ones derived from `eta`. */
  etaPathway?: Partial<Record<Pathway, number | number[]>>;
  plastic: Record<Pathway, boolean>;
  thresholds: boolean;
  /** Gain on Glorot-uniform initial weights (SPEC §1.8: ×4). */
  initGain: number;
  /** Gain of the fixed top-down weights B over their Glorot init, before the 1/ρ factor. */
  topDownGain: number;
  /** Fold 1/ρ = 1/(λ_A(1−λ_I)) per hidden layer into B (SPEC §1.8). */
  compensateRho: boolean;
  /** Target rates for the wrong / right class, mapped through the inverse logistic to potentials. */
  targetLow: number;
  targetHigh: number;
  /** Up/down sweeps per training example (1: SCBS18's single pass). */
  sweeps: number;
  gSom: number;
}

export const MICROCIRCUIT_MNIST: Readonly<MicrocircuitClassifierConfig> = Object.freeze({
  sizes: [784, 500, 500, 10],
  seed: 1,
  maxBatch: 10,
  activation: "logistic",
  eta: 0.025,
  etaLayerFactors: null,
  plastic: { up: true, ip: true, pi: false, down: false },
  thresholds: true,
  initGain: 4,
  topDownGain: 2,
  compensateRho: true,
  targetLow: 0.1,
  targetHigh: 0.9,
  sweeps: 1,
  gSom: SCBS18.gSom,
});

function parseClassifierConfig(raw: Record<string, unknown>): MicrocircuitClassifierConfig {
  const c = { ...MICROCIRCUIT_MNIST, plastic: { ...MICROCIRCUIT_MNIST.plastic }, ...raw } as MicrocircuitClassifierConfig;
  const known = new Set([...Object.keys(MICROCIRCUIT_MNIST), "etaPathway"]);
  for (const k of Object.keys(raw)) if (!known.has(k)) throw new ValueError(`microcircuit config: unknown field '${k}'; known: ${[...known].join(", ")}`);
  if (!Array.isArray(c.sizes) || c.sizes.length < 3) throw new ValueError(`microcircuit config: sizes must list input, ≥1 hidden and output sizes, got ${JSON.stringify(c.sizes)}`);
  c.sizes.forEach((n, i) => assertInt(n, `microcircuit config: sizes[${i}]`, 1, 1 << 20));
  assertInt(c.seed, "microcircuit config: seed", 0, 2 ** 32 - 1);
  assertInt(c.maxBatch, "microcircuit config: maxBatch", 1, 4096);
  assertInt(c.sweeps, "microcircuit config: sweeps", 1, 1000);
  for (const k of ["eta", "initGain", "topDownGain", "targetLow", "targetHigh", "gSom"] as const) assertFinite(c[k], `microcircuit config: ${k}`);
  if (c.eta < 0) throw new ValueError(`microcircuit config: eta must be ≥ 0, got ${c.eta}`);
  if (c.etaLayerFactors !== null) perLayer(c.etaLayerFactors, c.sizes.length - 1, () => 0, "microcircuit config: etaLayerFactors");
  if (!(c.targetLow > 0 && c.targetLow < c.targetHigh && c.targetHigh < 1)) throw new ValueError(`microcircuit config: need 0 < targetLow < targetHigh < 1, got ${c.targetLow}, ${c.targetHigh}`);
  if (typeof c.plastic !== "object" || c.plastic === null) throw new ValueError("microcircuit config: plastic must be an object {up, ip, pi, down}");
  for (const k of Object.keys(c.plastic)) if (!PATHWAYS.includes(k as Pathway)) throw new ValueError(`microcircuit config: plastic.${k} is not a pathway (${PATHWAYS.join(", ")})`);
  return c;
}

/**
 * The microcircuit as a classifier (SPEC §1.8, §1.10 MNIST protocol): fast steady-state mode,
 * random self-predicting start, B and W^PI fixed by default, targets as potentials
 * logit(targetLow/targetHigh). Prediction is the forward sweep; the class is the argmax rate.
 */
export class MicrocircuitClassifier implements TrainableModel {
  readonly kind = "microcircuit";
  readonly inputSize: number;
  readonly outputSize: number;
  readonly maxBatch: number;
  readonly net: Microcircuit;
  readonly #cfg: MicrocircuitClassifierConfig;
  #target: Float32Array;
  #uLow: number;
  #uHigh: number;

  constructor(core: Core, config: Record<string, unknown> = {}) {
    const c = parseClassifierConfig(config);
    this.#cfg = c;
    const N = c.sizes.length - 1;
    const gSom = c.gSom;
    const f = steadyFactors({ gLk: SCBS18.gLk, gB: SCBS18.gB, gA: SCBS18.gA, gD: SCBS18.gD, gSom });
    const rho = f.lambdaA * (1 - f.lambdaI);
    // η_IP keeps c_I·W^IP_k tracking ĉ_{k+1}·W^up_{k+1} (SPEC §1.7): η_IP = η_up·ĉ_{k+1}/(c_I·λ_I).
    const factors = c.etaLayerFactors ?? Array.from({ length: N }, (_, i) => (i === N - 1 ? 1 : 2 ** (N - i)));
    const etaUp = factors.map((x) => c.eta * x);
    const etaIP = Array.from({ length: N - 1 }, (_, i) => (etaUp[i + 1] * (i + 2 === N ? f.cOut : f.cHid)) / (f.cI * f.lambdaI));
    this.net = new Microcircuit(core, {
      sizes: c.sizes,
      maxBatch: c.maxBatch,
      seed: c.seed,
      activation: c.activation,
      gSom,
      sigma: 0,
      eta: { up: etaUp, ip: etaIP, pi: etaUp.slice(0, N - 1), down: etaUp.slice(0, N - 1), ...(c.etaPathway ?? {}) },
      plastic: c.plastic,
      thresholds: { up: c.thresholds, ip: c.thresholds },
      init: { up: { dist: "glorot", gain: c.initGain }, down: { dist: "glorot", gain: c.initGain }, ip: { dist: "glorot", gain: c.initGain }, pi: { dist: "glorot", gain: c.initGain } },
      topDown: "random",
      topDownGain: c.topDownGain / (c.compensateRho ? rho : 1),
      start: "selfPredicting",
      tiePI: !c.plastic.pi && !c.plastic.down,
    });
    this.inputSize = c.sizes[0];
    this.outputSize = c.sizes[N];
    this.maxBatch = c.maxBatch;
    this.#target = new Float32Array(c.maxBatch * this.outputSize);
    this.#uLow = Math.log(c.targetLow / (1 - c.targetLow));
    this.#uHigh = Math.log(c.targetHigh / (1 - c.targetHigh));
  }

  trainBatch(batch: Batch): void {
    const { n, x } = batch;
    assertInt(n, "trainBatch: n", 1, this.maxBatch);
    const nN = this.outputSize;
    if (batch.labels !== undefined) {
      const t = this.#target;
      t.fill(this.#uLow, 0, n * nN);
      for (let r = 0; r < n; r++) {
        const y = batch.labels[r];
        if (!Number.isInteger(y) || y < 0 || y >= nN) throw new ValueError(`trainBatch: label ${r} is ${y}, expected an integer in [0, ${nN - 1}]`);
        t[r * nN + y] = this.#uHigh;
      }
      this.net.steadyState(x, t, { batch: n, sweeps: this.#cfg.sweeps });
    } else if (batch.targets !== undefined) {
      this.net.steadyState(x, batch.targets, { batch: n, sweeps: this.#cfg.sweeps });
    } else {
      throw new ValueError("trainBatch: the batch has neither labels nor targets");
    }
  }

  predict(x: Float32Array, n: number, out?: Float32Array): Float32Array {
    return this.net.predict(x, n, out);
  }

  setLearningRateScale(factor: number): void {
    this.net.setLearningRateScale(factor);
  }

  exportState(): Record<string, NamedArray> {
    return this.net.exportState();
  }
  importState(state: Record<string, NamedArray>): void {
    this.net.importState(state);
  }
  config(): Record<string, unknown> {
    return JSON.parse(JSON.stringify(this.#cfg)) as Record<string, unknown>;
  }
  dispose(): void {
    this.net.dispose();
  }
}

registerModel({
  kind: "microcircuit",
  description: "SCBS18 dendritic cortical microcircuit, fast steady-state mode (SPEC §1.8); --lr sets eta",
  options: {
    sizes: "layer sizes, inputs first (default 784-500-500-10; --arch sets it)",
    eta: "learning rate of the output layer's W^up per example, batch-averaged (default 0.025; --lr sets it)",
    etaLayerFactors: "η_up of layer k = eta·factor[k−1]; null: 1 at the output, 2^(N−k+1) below (8,4,1 at depth 3) (default null)",
    plastic: "which weight classes learn, e.g. {\"up\":true,\"ip\":true,\"pi\":false,\"down\":false} (default)",
    thresholds: "learnable thresholds on W^up and W^IP (default true)",
    initGain: "gain on Glorot-uniform initial weights (default 4)",
    topDownGain: "gain of the fixed top-down weights B over their init, before 1/ρ (default 2)",
    compensateRho: "fold 1/ρ = 1/(λ_A(1−λ_I)) per hidden layer into B (default true)",
    targetLow: "target rate of the wrong classes (default 0.1; potential logit(0.1))",
    targetHigh: "target rate of the right class (default 0.9)",
    sweeps: "up/down sweeps per training example (default 1, SCBS18's single pass)",
    gSom: "nudging conductance g_som (default 0.8)",
    activation: "φ: logistic (default), softRect, relu, tanh, linear",
  },
  cliConfig: (c) => {
    if (c.rule !== undefined) throw new ValueError("--rule: the microcircuit has a single local plasticity rule (SCBS18 §1.5); choose plastic pathways with --set 'plastic={…}'");
    const cfg: Record<string, unknown> = { seed: c.seed, maxBatch: c.maxBatch };
    if (c.arch !== undefined) cfg.sizes = c.arch;
    if (c.lr !== undefined) cfg.eta = c.lr;
    return cfg;
  },
  create: (core, config) => new MicrocircuitClassifier(core, config),
});
