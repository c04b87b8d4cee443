// The SCBS18 dendritic cortical microcircuit (docs/model.md §1): the user-facing network object over
// the WebAssembly model in assembly/models/microcircuit/.
//
// One Arena owns every buffer; a descriptor tensor (an i32/f32 table in linear memory, slots in
// layout.ts) tells the WebAssembly side where each weight, filter and state buffer of each layer
// lives. A whole presentation (all Euler steps) or a whole mini-batch (fast steady-state mode) is
// one call.
import type { Core } from "../../core/core.js";
import { checkFits, tensorBytes, type Arena, type Tensor } from "../../core/arena.js";
import type { CoreExports } from "../../core/wasm.js";
import { DisposedError, NonFiniteError, ShapeError, ValueError, assertFinite, assertInt } from "../../core/errors.js";
import { checkExamples } from "../../data/batch.js";
import { SplitMix32 } from "../../core/random.js";
import type { NamedArray } from "../../train/model.js";
import { alignment, type Alignment } from "./diagnostics.js";
import {
  H_NLAYERS,
  H_MAXBATCH,
  H_ACT,
  H_SEED,
  H_NOISE_LO,
  H_NOISE_HI,
  H_N0,
  H_R0,
  H_R0OLD,
  H_ONES,
  H_CHUNK,
  H_CHUNK_POS,
  H_SINCE_SWITCH,
  H_LAG_STEPS,
  H_STEPS_LO,
  H_MON_COUNT,
  H_MON_TABLE,
  H_STATUS_STEP,
  H_CHUNK_B,
  H_TGTF,
  F_DT,
  F_GLK,
  F_GB,
  F_GA,
  F_GD,
  F_GSOM,
  F_SIGMA,
  F_TAU_IN,
  F_TAU_W,
  F_C_HID,
  F_LAM_A,
  F_C_OUT,
  F_LAM_OUT,
  F_C_I,
  F_LAM_I,
  F_GAMMA,
  F_BETA,
  F_THETA,
  F_TAU_TGT,
  LAYER0,
  LREC,
  L_N,
  L_NPREV,
  L_NNEXT,
  L_FLAGS,
  L_WUP,
  L_DUP,
  L_BUP,
  L_DBUP,
  L_B,
  L_DB,
  L_WPI,
  L_DPI,
  L_WIP,
  L_DIP,
  L_BIP,
  L_DBIP,
  L_UP,
  L_RP,
  L_VB,
  L_VA,
  L_VAB,
  L_UI,
  L_RI,
  L_VI,
  L_RPOLD,
  L_RIOLD,
  L_RF,
  L_EUP,
  L_EIP,
  L_EPI,
  L_EDN,
  L_XIP,
  L_XII,
  L_TMP,
  L_SUM,
  L_SUMI,
  L_ETA_UP,
  L_ETA_IP,
  L_ETA_PI,
  L_ETA_DN,
  L_ETA_BUP,
  L_ETA_BIP,
  PLASTIC_UP,
  PLASTIC_IP,
  PLASTIC_PI,
  PLASTIC_DN,
  BIAS_UP,
  BIAS_IP,
  TIED_PI,
  M_WRITTEN,
  MREC,
  P_NUDGE,
  P_LEARN,
  P_SWITCH,
  MAX_MONITORS,
} from "./layout.js";
import { Monitor, VARIABLES, VARIABLE_DESCRIPTION, type Variable } from "./monitor.js";
import {
  ACT_CODE,
  PATHWAYS,
  SCBS18,
  steadyFactors,
  type Activation,
  type InitSpec,
  type MicrocircuitOptions,
  type Pathway,
  type SteadyFactors,
} from "./params.js";

/** The step clocks and noise position in exportState(), besides the noise counter. */
const CLOCK_NAMES = ["noise.chunk", "clock.steps", "clock.syncedRows"] as const;

/** Descriptor slot of each per-layer state buffer, by the name it has in `LayerBuffers.state`. */
const STATE_SLOT: Readonly<Record<string, number>> = {
  UP: L_UP,
  RP: L_RP,
  VB: L_VB,
  RPOLD: L_RPOLD,
  RF: L_RF,
  EUP: L_EUP,
  TMP: L_TMP,
  SUM: L_SUM,
  XIP: L_XIP,
  VA: L_VA,
  VAB: L_VAB,
  EPI: L_EPI,
  EDN: L_EDN,
  UI: L_UI,
  RI: L_RI,
  VI: L_VI,
  RIOLD: L_RIOLD,
  EIP: L_EIP,
  SUMI: L_SUMI,
  XII: L_XII,
};

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

export function perLayer(v: number | number[] | undefined, count: number, dflt: (k: number) => number, what: string): number[] {
  if (v === undefined) return Array.from({ length: count }, (_, i) => dflt(i));
  if (typeof v === "number") {
    assertFinite(v, what);
    return Array.from({ length: count }, () => v);
  }
  if (!Array.isArray(v) || v.length !== count) throw new ValueError(`${what} must be a number or an array of ${count} numbers, got ${JSON.stringify(v)}`);
  v.forEach((x, i) => assertFinite(x, `${what}[${i}]`));
  return v.slice();
}

/** Every key of MicrocircuitOptions; others are refused (a misspelt option would be silently ignored). */
const MICROCIRCUIT_OPTION_KEYS = [
  "sizes",
  "maxBatch",
  "seed",
  "activation",
  "softRect",
  "gLk",
  "gB",
  "gA",
  "gD",
  "gSom",
  "dtMs",
  "tauInMs",
  "tauWMs",
  "sigma",
  "eta",
  "plastic",
  "thresholds",
  "init",
  "topDown",
  "topDownGain",
  "start",
  "learningLagMs",
  "tauTargetMs",
  "tiePI",
];
const PRESENT_KEYS = ["target", "steps", "learn", "batch", "newPattern"];
const STEADY_KEYS = ["batch", "sweeps", "learn"];

/** Throws a ValueError naming the first key of `o` not in `known`, with the valid ones. */
function checkKeys(o: object, known: readonly string[], what: string): void {
  if (typeof o !== "object" || o === null) throw new ValueError(`${what} must be an object, got ${String(o)}`);
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new ValueError(`${what}: unknown key '${k}'; valid keys: ${known.join(", ")}`);
}

/**
 * Throws a NonFiniteError naming the first non-finite value of the first b·n0 inputs, before
 * anything is written: a NaN presented to the network would otherwise reach the weights.
 */
function checkFiniteInput(x: ArrayLike<number>, count: number, what: string): void {
  for (let i = 0; i < count; i++) {
    const v = x[i];
    if (typeof v !== "number" || !Number.isFinite(v)) throw new NonFiniteError(`${what}: input x[${i}] is ${String(v)} (layer 0); nothing was changed`);
  }
}

/**
 * The SCBS18 dendritic cortical microcircuit: pyramidal cells with basal and apical dendrites,
 * one interneuron per upper-layer pyramidal cell, conductance-based nudging, noise, input
 * smoothing, τ_w-filtered dendritic-prediction plasticity; full dynamics and fast steady state.
 */
/**
 * WebAssembly memory (bytes) the Microcircuit constructor allocates: the same tensors, counted
 * from the sizes, the batch capacity and which pathways learn or have thresholds. Monitors
 * (allocated when they are added) are not included.
 */
export function microcircuitMemoryBytes(
  sizes: readonly number[],
  maxBatch: number,
  plastic: { up: boolean; down: boolean; ip: boolean; pi: boolean },
  thresholds: { up: boolean; ip: boolean },
): number {
  const N = sizes.length - 1;
  const B = maxBatch;
  const chunk = Math.max(1, Math.floor(64 / B));
  let n = tensorBytes(1, LAYER0 + N * LREC) + tensorBytes(1, MAX_MONITORS * MREC) + 3 * tensorBytes(B, sizes[0]) + tensorBytes(B, sizes[N]) + tensorBytes(1, B);
  for (let k = 1; k <= N; k++) {
    const [nk, nPrev, nNext, hid] = [sizes[k], sizes[k - 1], k < N ? sizes[k + 1] : 0, k < N];
    n += 7 * tensorBytes(B, nk) + tensorBytes(1, nk) + tensorBytes(chunk * B, nk);
    if (hid) n += 4 * tensorBytes(B, nk) + 5 * tensorBytes(B, nNext) + tensorBytes(1, nNext) + tensorBytes(chunk * B, nNext);
    n += tensorBytes(nk, nPrev) * (plastic.up ? 2 : 1);
    if (thresholds.up) n += tensorBytes(1, nk) * (plastic.up ? 2 : 1);
    if (hid) {
      n += tensorBytes(nk, nNext) * (2 + (plastic.down ? 1 : 0) + (plastic.pi ? 1 : 0));
      n += tensorBytes(nNext, nk) * (plastic.ip ? 2 : 1);
      if (thresholds.ip) n += tensorBytes(1, nNext) * (plastic.ip ? 2 : 1);
    }
  }
  return n;
}

export class Microcircuit {
  readonly sizes: readonly number[];
  readonly maxBatch: number;
  readonly params: Readonly<Required<Omit<MicrocircuitOptions, "sizes" | "eta" | "plastic" | "thresholds" | "init" | "softRect" | "tiePI">>> & {
    softRect: { gamma: number; beta: number; theta: number };
  };
  readonly factors: SteadyFactors;
  readonly eta: Record<Pathway, number[]>;
  readonly plastic: Readonly<Record<Pathway, boolean>>;
  readonly thresholds: Readonly<{ up: boolean; ip: boolean; input: number }>;
  readonly tiePI: boolean;
  #core: Core;
  #arena: Arena | null;
  #ex: CoreExports;
  #desc: Tensor;
  #monTable: Tensor;
  #monitors: Monitor[] = [];
  #layers: LayerBuffers[] = [];
  #x: Tensor;
  #t: Tensor;
  #tf: Tensor | null = null;
  #r0: Tensor;
  #r0old: Tensor;
  #syncedBatch = 0;

  constructor(core: Core, options: MicrocircuitOptions) {
    const o = options;
    if (!o || !Array.isArray(o.sizes) || o.sizes.length < 2)
      throw new ValueError(`sizes must list at least the input and output layer sizes, got ${JSON.stringify(o?.sizes)}`);
    checkKeys(o, MICROCIRCUIT_OPTION_KEYS, "Microcircuit options");
    if (o.thresholds !== undefined) checkKeys(o.thresholds, ["up", "ip", "input"], "Microcircuit options.thresholds");
    if (o.softRect !== undefined) checkKeys(o.softRect, ["gamma", "beta", "theta"], "Microcircuit options.softRect");
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
      tauTargetMs: o.tauTargetMs ?? 0,
      softRect: { ...(o.softRect ?? SCBS18.softRect) },
    };
    assertInt(p.seed, "seed", 0, 2 ** 32 - 1);
    for (const k of ["gLk", "gB", "gA", "gD", "gSom", "sigma", "learningLagMs", "tauTargetMs"] as const) {
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
    for (const key of Object.keys(o.eta ?? {}))
      if (!PATHWAYS.includes(key as Pathway)) throw new ValueError(`eta.${key}: unknown pathway; expected one of ${PATHWAYS.join(", ")}`);
    for (const key of Object.keys(o.plastic ?? {}))
      if (!PATHWAYS.includes(key as Pathway)) throw new ValueError(`plastic.${key}: unknown pathway; expected one of ${PATHWAYS.join(", ")}`);
    this.plastic = Object.freeze({ up: o.plastic?.up ?? true, down: o.plastic?.down ?? false, ip: o.plastic?.ip ?? true, pi: o.plastic?.pi ?? true });
    this.thresholds = Object.freeze({ up: o.thresholds?.up ?? false, ip: o.thresholds?.ip ?? false, input: o.thresholds?.input ?? 1 });
    assertFinite(this.thresholds.input, "thresholds.input");
    if (this.thresholds.input <= 0) throw new ValueError(`thresholds.input must be > 0, got ${this.thresholds.input}`);
    this.tiePI = o.tiePI ?? false;
    if (this.tiePI && (this.plastic.pi || this.plastic.down || p.start !== "selfPredicting")) {
      throw new ValueError('tiePI needs start "selfPredicting" and plastic.pi = plastic.down = false (W^PI is held at −B)');
    }
    const init: Record<Pathway, InitSpec> = {
      up: o.init?.up ?? { dist: "uniform", scale: 1 },
      down: o.init?.down ?? { dist: "uniform", scale: 1 },
      ip: o.init?.ip ?? { dist: "uniform", scale: 1 },
      pi: o.init?.pi ?? { dist: "uniform", scale: 1 },
    };
    for (const k of PATHWAYS) checkInit(init[k], `init.${k}`);

    this.#core = core;
    this.#ex = core.exports;
    checkFits(
      core.exports,
      microcircuitMemoryBytes(this.sizes, this.maxBatch, this.plastic, this.thresholds) + (p.tauTargetMs > 0 ? tensorBytes(this.maxBatch, this.sizes[N]) : 0),
      `microcircuit ${this.sizes.join("-")} (maxBatch ${this.maxBatch})`,
    );
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
      if (p.tauTargetMs > 0) this.#tf = arena.matrix(B, this.sizes[N]);
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
          n,
          nPrev,
          nNext,
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
      di[H_NLAYERS] = N;
      di[H_MAXBATCH] = B;
      di[H_ACT] = ACT_CODE[activation];
      di[H_SEED] = p.seed | 0;
      di[H_N0] = n0;
      di[H_R0] = this.#r0.ptr;
      di[H_R0OLD] = this.#r0old.ptr;
      di[H_ONES] = ones.ptr;
      di[H_CHUNK] = chunk;
      di[H_CHUNK_POS] = chunk;
      di[H_LAG_STEPS] = Math.round(p.learningLagMs / p.dtMs);
      di[H_MON_TABLE] = this.#monTable.ptr;
      di[H_TGTF] = this.#tf ? this.#tf.ptr : 0;
      df[F_DT] = p.dtMs;
      df[F_GLK] = p.gLk;
      df[F_GB] = p.gB;
      df[F_GA] = p.gA;
      df[F_GD] = p.gD;
      df[F_GSOM] = p.gSom;
      df[F_SIGMA] = p.sigma;
      df[F_TAU_IN] = p.tauInMs;
      df[F_TAU_W] = p.tauWMs;
      df[F_C_HID] = f.cHid;
      df[F_LAM_A] = f.lambdaA;
      df[F_C_OUT] = f.cOut;
      df[F_LAM_OUT] = f.lambdaOut;
      df[F_C_I] = f.cI;
      df[F_LAM_I] = f.lambdaI;
      df[F_GAMMA] = p.softRect.gamma;
      df[F_BETA] = p.softRect.beta;
      df[F_THETA] = p.softRect.theta;
      df[F_TAU_TGT] = p.tauTargetMs;
      for (let k = 1; k <= N; k++) {
        const lb = this.#layers[k - 1];
        const base = LAYER0 + (k - 1) * LREC;
        const ptr = (t: Tensor | null | undefined) => (t ? t.ptr : 0);
        di[base + L_N] = lb.n;
        di[base + L_NPREV] = lb.nPrev;
        di[base + L_NNEXT] = lb.nNext;
        let flags = 0;
        if (this.plastic.up) flags |= PLASTIC_UP;
        if (k < N && this.plastic.ip) flags |= PLASTIC_IP;
        if (k < N && this.plastic.pi) flags |= PLASTIC_PI;
        if (k < N && this.plastic.down) flags |= PLASTIC_DN;
        if (this.thresholds.up) flags |= BIAS_UP;
        if (k < N && this.thresholds.ip) flags |= BIAS_IP;
        if (k < N && this.tiePI) flags |= TIED_PI;
        di[base + L_FLAGS] = flags;
        di[base + L_WUP] = lb.Wup.ptr;
        di[base + L_DUP] = ptr(lb.Dup);
        di[base + L_BUP] = ptr(lb.bUp);
        di[base + L_DBUP] = ptr(lb.DbUp);
        di[base + L_B] = ptr(lb.B);
        di[base + L_DB] = ptr(lb.DB);
        di[base + L_WPI] = ptr(lb.WPI);
        di[base + L_DPI] = ptr(lb.DPI);
        di[base + L_WIP] = ptr(lb.WIP);
        di[base + L_DIP] = ptr(lb.DIP);
        di[base + L_BIP] = ptr(lb.bIP);
        di[base + L_DBIP] = ptr(lb.DbIP);
        for (const [name, t] of Object.entries(lb.state)) di[base + STATE_SLOT[name]] = t.ptr;
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
      // A threshold fed by a constant input of rate c acts as c·w and learns at c²·η (docs/model.md §1.1).
      const c2 = this.thresholds.input * this.thresholds.input;
      df[base + L_ETA_UP] = scale * this.eta.up[k - 1];
      df[base + L_ETA_BUP] = scale * c2 * this.eta.up[k - 1];
      if (k < N) {
        df[base + L_ETA_IP] = scale * this.eta.ip[k - 1];
        df[base + L_ETA_BIP] = scale * c2 * this.eta.ip[k - 1];
        df[base + L_ETA_PI] = scale * this.eta.pi[k - 1];
        df[base + L_ETA_DN] = scale * this.eta.down[k - 1];
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
   * Exact self-predicting weights (SCBS18; docs/model.md §1.6): W^PI_k = −B_k and
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
    this.#tf?.fill(0);
    this.#ex.mcClearFilters(this.#desc.ptr);
    const di = this.#di();
    di[H_SINCE_SWITCH] = 0;
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
    if (values.length !== t.length)
      throw new ShapeError(`setWeights(${pathway}, ${k}): expected ${t.rows}×${t.cols} = ${t.length} values, got ${values.length}`);
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
      pathway === "up"
        ? lb.Wup
        : pathway === "down"
          ? lb.B
          : pathway === "ip"
            ? lb.WIP
            : pathway === "pi"
              ? lb.WPI
              : pathway === "thresholdUp"
                ? lb.bUp
                : pathway === "thresholdIP"
                  ? lb.bIP
                  : undefined;
    if (t === undefined) throw new ValueError(`pathway must be one of up, down, ip, pi, thresholdUp, thresholdIP; got ${pathway}`);
    if (t === null)
      throw new ValueError(
        `layer ${k} has no ${pathway} weights (${k === N ? "the output layer has no apical compartment or interneurons" : "thresholds are off"})`,
      );
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
    // Exactly b patterns: more values than batch·n_0 would otherwise be silently ignored.
    if (x.length !== b * n0) {
      const hint = x.length > b * n0 && x.length % n0 === 0 ? ` (${x.length / n0} patterns: pass { batch: ${x.length / n0} } and a maxBatch that large)` : "";
      throw new ShapeError(`${what}: x must hold batch·n_0 = ${b}×${n0} = ${b * n0} values, got ${x.length}${hint}`);
    }
    const v = this.#x.peek();
    const s = this.#x.stride;
    if (ArrayBuffer.isView(x)) {
      // A typed array: row copies (set() converts each element as the assignment below does),
      // checked in the core; only a batch with a non-finite value is searched here, for the message.
      const a = x as unknown as Float32Array;
      if (s === n0) v.set(a.subarray(0, b * n0));
      else for (let r = 0; r < b; r++) v.set(a.subarray(r * n0, (r + 1) * n0), r * s);
      if (!this.#ex.allFinite(this.#x.ptr, b, n0)) checkFiniteInput(x, b * n0, what);
    } else {
      checkFiniteInput(x, b * n0, what);
      for (let r = 0; r < b; r++) for (let c = 0; c < n0; c++) v[r * s + c] = x[r * n0 + c];
    }
  }
  #writeTarget(t: ArrayLike<number>, b: number, what: string): void {
    const nN = this.sizes[this.depth];
    if (t.length !== b * nN) throw new ShapeError(`${what}: target must hold batch·n_N = ${b}×${nN} = ${b * nN} values, got ${t.length}`);
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
    const step = this.#di()[H_STATUS_STEP];
    throw new NonFiniteError(
      `${where}: non-finite ${VARIABLE_DESCRIPTION[v] ?? `variable ${v}`} in layer ${layer}${where === "present" ? ` at step ${step} of the call` : ""}; ` +
        "the state diverged (an unbounded φ with large weights, too large a learning rate, or a non-self-predicting start)",
    );
  }

  /**
   * Full dynamics (SCBS18; docs/model.md §1.2–1.5): presents the pattern(s) x for `steps` Euler steps in one
   * WebAssembly call, with the output nudged toward `target` when given. State carries over
   * between calls (patterns follow each other without reset, as in SCBS18).
   */
  present(x: ArrayLike<number>, opts: PresentOptions = {}): void {
    this.#live();
    checkKeys(opts, PRESENT_KEYS, "present: options");
    const b = opts.batch ?? 1;
    const steps = opts.steps ?? Math.round(SCBS18.presentMs / this.params.dtMs);
    assertInt(steps, "present: steps", 0);
    this.#writeInput(x, b, "present");
    if (opts.target !== undefined) this.#writeTarget(opts.target, b, "present");
    if (this.#syncedBatch < b) this.#sync(b);
    const flags = (opts.target !== undefined ? P_NUDGE : 0) | ((opts.learn ?? true) ? P_LEARN : 0) | ((opts.newPattern ?? true) ? P_SWITCH : 0);
    this.#status(this.#ex.mcPresent(this.#desc.ptr, this.#x.ptr, opts.target !== undefined ? this.#t.ptr : 0, b, steps, flags), "present");
  }

  /**
   * Fast steady-state mode (docs/model.md §1.8) on b examples: `sweeps` up/down sweeps (1 = SCBS18's single
   * pass), then (learn) one plasticity step with batch-averaged induction terms and rates η per example.
   */
  steadyState(x: ArrayLike<number>, target: ArrayLike<number> | null, opts: { batch?: number; sweeps?: number; learn?: boolean } = {}): void {
    this.#live();
    checkKeys(opts, STEADY_KEYS, "steadyState: options");
    const b = opts.batch ?? 1;
    this.#writeInput(x, b, "steadyState");
    if (target !== null) this.#writeTarget(target, b, "steadyState");
    const sweeps = opts.sweeps ?? 1;
    assertInt(sweeps, "steadyState: sweeps", 1, 100000);
    this.#status(this.#ex.mcFastTrain(this.#desc.ptr, this.#x.ptr, target !== null ? this.#t.ptr : 0, b, sweeps, (opts.learn ?? true) ? 1 : 0), "steadyState");
    this.#syncedBatch = 0;
  }

  /** Test pass (forward sweep, no noise, no plasticity): n × n_N output rates. */
  predict(x: ArrayLike<number>, n: number, out?: Float32Array): Float32Array {
    this.#live();
    const n0 = this.sizes[0];
    const nN = this.sizes[this.depth];
    assertInt(n, "predict: n", 0);
    checkExamples("predict", "x", x, n, n0);
    checkFiniteInput(x, n * n0, "predict");
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
    if (!(variable in VARIABLES) || (VARIABLES[variable] >= 12 && variable !== "r0"))
      throw new ValueError(
        `monitor: unknown variable ${String(variable)}; expected one of uP, vB, vA, uI, vI, rP, rI, r0, apical, normUp, normIP, normPI, normDown`,
      );
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
    this.#di()[H_MON_COUNT] = slot + 1;
    const m = new Monitor(this, slot, flat, variable, layer, index, intervalSteps, capacity, width, this.#di()[H_STEPS_LO], this.params.dtMs);
    this.#monitors.push(m);
    return m;
  }
  /** @internal */
  _monitorWritten(slot: number): number {
    this.#live();
    return new Int32Array(this.#core.memory.buffer, this.#monTable.ptr + slot * MREC * 4, MREC)[M_WRITTEN];
  }

  /**
   * Angles (degrees) between the microcircuit's bottom-up update and the backprop and
   * feedback-alignment updates of the equivalent feedforward net; see diagnostics.ts.
   */
  alignment(x: ArrayLike<number>, target: ArrayLike<number>, sweeps = 200): Alignment {
    this.#live();
    return alignment(this, x, target, sweeps);
  }

  /** The weights and plasticity filters by state name (docs/checkpoints.md). */
  #weightEntries(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const put = (name: string, t: Tensor | null) => {
      if (t) out.push([name, t]);
    };
    for (let k = 1; k <= this.depth; k++) {
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
    return out;
  }

  /**
   * The neuron state by state name, maxBatch rows each: every somatic and dendritic potential and
   * rate that the next Euler step reads (u^P, v^B, v^A, its top-down part B φ(u^P_{k+1}), φ(u^P);
   * u^I, v^I, φ(u^I) of hidden layers) and the input filter r_0. The buffers a step overwrites
   * before reading (rates of the previous step, induction terms, scratch) are not state.
   */
  #neuronEntries(): [string, Tensor][] {
    const out: [string, Tensor][] = [["input.r0", this.#r0]];
    if (this.#tf) out.push(["target.filtered", this.#tf]);
    for (let k = 1; k <= this.depth; k++) {
      const st = this.#layers[k - 1].state;
      out.push([`layer${k}.uP`, st.UP], [`layer${k}.vB`, st.VB], [`layer${k}.rP`, st.RP]);
      if (k < this.depth)
        out.push([`layer${k}.vA`, st.VA], [`layer${k}.vA.topDown`, st.VAB], [`layer${k}.uI`, st.UI], [`layer${k}.vI`, st.VI], [`layer${k}.rI`, st.RI]);
    }
    return out;
  }

  /** Names of the neuron state and clocks in exportState(): absent from older checkpoints, which then load with the neurons at rest. */
  neuronStateNames(): string[] {
    this.#live();
    return [...this.#neuronEntries().map(([name]) => name), ...CLOCK_NAMES];
  }

  /**
   * Everything that determines the network's future, by stable name (docs/checkpoints.md): weights
   * and plasticity filters; the neuron state (potentials, rates, input filter; maxBatch rows); the
   * noise generator (counter, position in the drawn chunk and the chunk's batch size); the step
   * clocks (steps since the last pattern switch for the learning lag, total Euler steps for
   * monitors) and how many rows of dendritic potentials are in step with the weights. A network
   * built with the same options and given this state continues bit-identically.
   * `{ neurons: false }`: only the weights, filters and noise counter — what a network with
   * another maxBatch (a probe evaluating many patterns at once) can import.
   */
  exportState(opts: { neurons?: boolean } = {}): Record<string, NamedArray> {
    this.#live();
    const out: Record<string, NamedArray> = {};
    for (const [name, t] of this.#weightEntries())
      out[name] = { shape: t.rows === 1 && name.includes("threshold") ? [t.cols] : [t.rows, t.cols], data: t.read() };
    const di = this.#di();
    out["noise.counter"] = { shape: [2], data: Uint32Array.of(di[H_NOISE_LO] >>> 0, di[H_NOISE_HI] >>> 0) };
    if (opts.neurons === false) return out;
    for (const [name, t] of this.#neuronEntries()) out[name] = { shape: [t.rows, t.cols], data: t.read() };
    out["noise.chunk"] = { shape: [2], data: Uint32Array.of(di[H_CHUNK_POS] >>> 0, di[H_CHUNK_B] >>> 0) };
    out["clock.steps"] = { shape: [2], data: Uint32Array.of(di[H_SINCE_SWITCH] >>> 0, di[H_STEPS_LO] >>> 0) };
    out["clock.syncedRows"] = { shape: [1], data: Uint32Array.of(this.#syncedBatch) };
    return out;
  }

  /**
   * Restores exportState()'s output. Everything is checked before anything is written (a failed
   * import leaves the network unchanged). A state without the neuron state and clocks (a checkpoint
   * written before they were stored) is accepted: weights, filters and the noise counter are
   * restored and the neurons start at rest, as after reset().
   */
  importState(state: Record<string, NamedArray>): void {
    this.#live();
    const weights = this.#weightEntries();
    const neurons = this.#neuronEntries();
    const di = this.#di();
    const f32 = (name: string, t: Tensor, shape: number[]) => {
      const s = state[name];
      if (s === undefined) throw new ShapeError(`importState: missing tensor '${name}'`);
      if (!(s.data instanceof Float32Array)) throw new ShapeError(`importState: tensor '${name}' must be float32, got ${s.data?.constructor?.name}`);
      if (s.shape.length !== shape.length || s.shape.some((d, i) => d !== shape[i]) || s.data.length !== t.length) {
        throw new ShapeError(`importState: tensor '${name}' has shape [${s.shape.join(", ")}], this network expects [${shape.join(", ")}]`);
      }
    };
    const u32 = (name: string, len: number) => {
      const s = state[name];
      if (s === undefined) throw new ShapeError(`importState: missing tensor '${name}'`);
      if (!(s.data instanceof Uint32Array) || s.data.length !== len)
        throw new ShapeError(`importState: tensor '${name}' must be a uint32 array of shape [${len}]`);
      return s.data;
    };
    const known = new Set([...weights.map(([n]) => n), ...neurons.map(([n]) => n), "noise.counter", ...CLOCK_NAMES]);
    for (const name of Object.keys(state))
      if (!known.has(name)) throw new ShapeError(`importState: unexpected tensor '${name}' (architecture or options differ)`);
    for (const [name, t] of weights) f32(name, t, t.rows === 1 && name.includes("threshold") ? [t.cols] : [t.rows, t.cols]);
    const counter = u32("noise.counter", 2);
    // The neuron state and clocks come as a whole, or not at all (older checkpoints).
    const dynamic = [...neurons.map(([n]) => n), ...CLOCK_NAMES];
    const present = dynamic.filter((n) => n in state);
    if (present.length > 0 && present.length < dynamic.length) {
      throw new ShapeError(
        `importState: the neuron state is incomplete: missing ${dynamic
          .filter((n) => !(n in state))
          .slice(0, 5)
          .join(", ")} (a state holds all of ${dynamic.join(", ")}, or none of them)`,
      );
    }
    const withNeurons = present.length > 0;
    let chunk: Uint32Array | undefined, steps: Uint32Array | undefined, synced: Uint32Array | undefined;
    if (withNeurons) {
      for (const [name, t] of neurons) f32(name, t, [t.rows, t.cols]);
      chunk = u32("noise.chunk", 2);
      steps = u32("clock.steps", 2);
      synced = u32("clock.syncedRows", 1);
      if (chunk[0] > di[H_CHUNK] || chunk[1] > this.maxBatch)
        throw new ShapeError(
          `importState: noise.chunk (${chunk[0]}, ${chunk[1]}) does not fit this network (chunk of ${di[H_CHUNK]} steps, maxBatch ${this.maxBatch})`,
        );
      if (synced[0] > this.maxBatch) throw new ShapeError(`importState: clock.syncedRows ${synced[0]} exceeds maxBatch ${this.maxBatch}`);
    }
    for (const [name, t] of weights) t.write(state[name].data);
    di[H_NOISE_LO] = counter[0] | 0;
    di[H_NOISE_HI] = counter[1] | 0;
    if (withNeurons) {
      for (const [name, t] of neurons) t.write(state[name].data);
      di[H_CHUNK_POS] = chunk![0] | 0;
      di[H_CHUNK_B] = chunk![1] | 0;
      di[H_SINCE_SWITCH] = steps![0] | 0;
      di[H_STEPS_LO] = steps![1] | 0;
      this.#ex.mcRestoreNoise(this.#desc.ptr);
      this.#syncedBatch = synced![0];
      // The clock jumped: existing monitors start over, with records on the restored clock.
      this.#monitors.forEach((m, slot) => {
        new Int32Array(this.#core.memory.buffer, this.#monTable.ptr + slot * MREC * 4, MREC)[M_WRITTEN] = 0;
        m._restart(steps![1]);
      });
    } else {
      for (const [, t] of neurons) t.fill(0);
      di[H_CHUNK_POS] = di[H_CHUNK];
      di[H_SINCE_SWITCH] = 0;
      this.#sync(this.maxBatch);
    }
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
