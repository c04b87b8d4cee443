// Feedforward nets trained by backprop (BP), feedback alignment (FA, Lillicrap et al. 2016), direct
// feedback alignment (DFA, Nøkland 2016) and sign-concordant feedback alignment (uSF, frSF, brSF;
// Liao, Leibo & Poggio 2016) — the baselines of docs/model.md §2. The equations are in
// assembly/models/mlp/; this file owns the buffers, writes the descriptor (layout.ts) and crosses
// into WebAssembly once per mini-batch.
//
// State names (exportState / importState, checkpoints), l = 0 … L−1 indexes the weight layers,
// layer l maps n_l inputs to n_{l+1} outputs (arch = [n_0, …, n_L]):
//   layers.l.W   [n_{l+1}, n_l]  forward weights
//   layers.l.b   [n_{l+1}]       biases (biases: true)
//   layers.l.vW  [n_{l+1}, n_l]  momentum of W (momentum > 0)
//   layers.l.vb  [n_{l+1}]       momentum of b (momentum > 0 and biases: true)
//   layers.l.B   FA, l ≥ 1:      [n_l, n_{l+1}]  the B_l of docs/model.md §2, carries δ of layer l's output back to its input
//                DFA, l ≤ L−2:   [n_{l+1}, n_L]  the B of docs/model.md §2, projects the output error e onto layer l's output
//   layers.l.M   frSF, l ≥ 1:    [n_l, n_{l+1}]  fixed magnitudes, B_l = M ⊙ sign(W_l)ᵀ
//   rng.seed     Uint32 [1]      key of the brSF magnitude draws (brSF only; the configured seed)
//   rng.counter  Uint32 [2]      (lo, hi) counter of the brSF magnitude draws (brSF only)
// uSF and brSF feedback is derived from W (and the counter), so it is not stored.
import type { Core } from "../../core/core.js";
import { checkFits, tensorBytes, type Tensor } from "../../core/arena.js";
import type { CoreExports } from "../../core/wasm.js";
import { NonFiniteError, ShapeError, ValueError, assertFinite } from "../../core/errors.js";
import { checkExamples, type Batch } from "../../data/batch.js";
import type { NamedArray, TrainableModel } from "../../train/model.js";
import {
  HEADER,
  LAYER_SLOTS,
  H_LAYERS,
  H_LOSS,
  H_RULE,
  H_ACT,
  H_OUT_ACT,
  H_BIASES,
  H_X,
  H_T,
  H_COEF,
  H_SEED,
  L_IN,
  L_OUT,
  L_W,
  L_B,
  L_VW,
  L_VB,
  L_FB,
  L_M,
  L_A,
  L_H,
  L_D,
  L_G,
  L_SCALE,
  L_STREAM,
  RULE_BP,
  RULE_FA,
  RULE_DFA,
  RULE_USF,
  RULE_FRSF,
  RULE_BRSF,
  ACT_LOGISTIC,
  ACT_RELU,
  ACT_TANH,
  ACT_LINEAR,
  LOSS_SOFTMAX_CE,
  LOSS_MSE,
  STREAMS_PER_LAYER,
} from "./layout.js";
import { ArenaModel } from "../arena-model.js";
import { checkStateTensors, readStateTensors, writeStateTensors, type StateEntry } from "../state.js";
import { initLaw, mlpConfig, type InitLaw, type MlpConfig, type MlpOptions, type MlpRule } from "./params.js";

const RULE_CODE: Readonly<Record<MlpRule, number>> = { bp: RULE_BP, fa: RULE_FA, dfa: RULE_DFA, usf: RULE_USF, frsf: RULE_FRSF, brsf: RULE_BRSF };
const ACT_CODE: Readonly<Record<string, number>> = { logistic: ACT_LOGISTIC, relu: ACT_RELU, tanh: ACT_TANH, linear: ACT_LINEAR, softmax: ACT_LINEAR };

interface Layer {
  nIn: number;
  nOut: number;
  W: Tensor;
  b: Tensor | null;
  vW: Tensor | null;
  vb: Tensor | null;
  /** Feedback in forward orientation (FA/SCFA: nOut × nIn; DFA: n_L × nOut). */
  fb: Tensor | null;
  M: Tensor | null;
  a: Tensor;
  h: Tensor;
  d: Tensor;
  g: Tensor;
}

/** WebAssembly memory (bytes) an Mlp with this configuration allocates. */
export function mlpMemoryBytes(config: Record<string, unknown> | MlpConfig): number {
  return mlpBytes(mlpConfig(config as Record<string, unknown>));
}

/** WebAssembly memory the constructor below allocates for a configuration (the same tensors). */
function mlpBytes(c: MlpConfig): number {
  const arch = c.arch;
  const L = arch.length - 1;
  const nL = arch[L];
  const B = c.maxBatch;
  const scfa = c.rule === "usf" || c.rule === "frsf" || c.rule === "brsf";
  let n = tensorBytes(1, HEADER + L * LAYER_SLOTS) + tensorBytes(B, arch[0]) + tensorBytes(B, nL) + tensorBytes(1, B);
  for (let l = 0; l < L; l++) {
    const [nIn, nOut] = [arch[l], arch[l + 1]];
    n += tensorBytes(nOut, nIn) * (1 + (c.momentum > 0 ? 1 : 0));
    if ((c.rule === "fa" || scfa) && l >= 1) n += tensorBytes(nOut, nIn) * (c.rule === "frsf" || c.rule === "brsf" ? 2 : 1);
    if (c.rule === "dfa" && l < L - 1) n += tensorBytes(nL, nOut);
    if (c.biases) n += tensorBytes(1, nOut) * (c.momentum > 0 ? 2 : 1);
    n += 4 * tensorBytes(B, nOut);
  }
  return n;
}

export class Mlp extends ArenaModel implements TrainableModel {
  readonly kind = "mlp";
  readonly inputSize: number;
  readonly outputSize: number;
  readonly maxBatch: number;
  readonly #cfg: MlpConfig;
  readonly #core: Core;
  readonly #layers: Layer[];
  readonly #desc: Tensor;
  readonly #x: Tensor;
  readonly #t: Tensor;
  #lrScale = 1;
  /** brSF draw counter (64-bit as two u32 halves). */
  #ctr = new Uint32Array(2);
  #steps = 0;
  readonly #step: CoreExports["mlpStep"];
  readonly #forward: CoreExports["mlpForward"];
  /** Variates one brSF draw takes from each layer's stream (the largest layer's n_out · n_in; noise.ts indexing). */
  readonly #drawSize: number;

  constructor(core: Core, config: MlpOptions) {
    const c = mlpConfig(config as Record<string, unknown>);
    checkFits(core.exports, mlpBytes(c), `mlp ${c.arch.join("-")} (rule ${c.rule}${c.momentum > 0 ? ", momentum" : ""}, maxBatch ${c.maxBatch})`);
    const arena = core.arena();
    super(arena, "mlp");
    this.#cfg = c;
    this.#core = core;
    const ex = core.exports;
    this.#step = ex.mlpStep;
    this.#forward = ex.mlpForward;
    const { uniform, gaussian, scaleInto } = ex;
    const arch = c.arch;
    const L = arch.length - 1;
    const nL = arch[L];
    this.inputSize = arch[0];
    this.outputSize = nL;
    this.maxBatch = c.maxBatch;
    const B = c.maxBatch;
    try {
      this.#desc = arena.vector(HEADER + L * LAYER_SLOTS);
      this.#x = arena.matrix(B, arch[0]);
      this.#t = arena.matrix(B, nL);
      const coef = arena.vector(B);
      const draw = (t: Tensor, law: InitLaw, stream: number) => {
        if (law.kind === "uniform") uniform(t.ptr, t.rows, t.cols, c.seed, stream, 0, 0, -law.scale, law.scale);
        else {
          gaussian(t.ptr, t.rows, t.cols, c.seed, stream, 0, 0);
          scaleInto(t.ptr, t.ptr, t.rows, t.cols, law.scale);
        }
      };
      const scfa = c.rule === "usf" || c.rule === "frsf" || c.rule === "brsf";
      const scales: number[] = [];
      this.#layers = [];
      let drawSize = 0;
      for (let l = 0; l < L; l++) {
        const nIn = arch[l];
        const nOut = arch[l + 1];
        const law = initLaw(c, nOut, nIn);
        const scfaScale = (c.scfaMagnitude === "init" ? law.meanAbs : 1) * c.feedbackGain;
        const W = arena.matrix(nOut, nIn);
        draw(W, law, STREAMS_PER_LAYER * l);
        let fb: Tensor | null = null;
        let M: Tensor | null = null;
        if ((c.rule === "fa" || scfa) && l >= 1) {
          fb = arena.matrix(nOut, nIn);
          if (c.rule === "fa") draw(fb, { ...law, scale: law.scale * c.feedbackGain }, STREAMS_PER_LAYER * l + 1);
          if (c.rule === "frsf" || c.rule === "brsf") M = arena.matrix(nOut, nIn);
          // frSF: M ~ U(0, 2 s_l), fixed; the mean s_l matches uSF (MlpConfig.feedbackGain).
          if (c.rule === "frsf" && M) uniform(M.ptr, nOut, nIn, c.seed, STREAMS_PER_LAYER * l + 2, 0, 0, 0, 2 * scfaScale);
          drawSize = Math.max(drawSize, nOut * nIn);
        }
        if (c.rule === "dfa" && l < L - 1) {
          // DFA projection B_l (docs/model.md §2), stored n_L × n_{l+1}, drawn like a forward matrix of that shape.
          fb = arena.matrix(nL, nOut);
          const fl = initLaw(c, nOut, nL);
          draw(fb, { ...fl, scale: fl.scale * c.feedbackGain }, STREAMS_PER_LAYER * l + 1);
        }
        scales.push(scfaScale);
        this.#layers.push({
          nIn,
          nOut,
          W,
          b: c.biases ? arena.vector(nOut) : null,
          vW: c.momentum > 0 ? arena.matrix(nOut, nIn) : null,
          vb: c.momentum > 0 && c.biases ? arena.vector(nOut) : null,
          fb,
          M,
          a: arena.matrix(B, nOut),
          h: arena.matrix(B, nOut),
          d: arena.matrix(B, nOut),
          g: arena.matrix(B, nOut),
        });
      }
      this.#drawSize = drawSize;
      const d = new Int32Array(this.#desc.live().memory.buffer, this.#desc.ptr, HEADER + L * LAYER_SLOTS);
      const f = new Float32Array(d.buffer, d.byteOffset, d.length);
      d[H_LAYERS] = L;
      d[H_LOSS] = c.loss === "softmax-ce" ? LOSS_SOFTMAX_CE : LOSS_MSE;
      d[H_RULE] = RULE_CODE[c.rule];
      d[H_ACT] = ACT_CODE[c.activation];
      d[H_OUT_ACT] = ACT_CODE[c.outputActivation];
      d[H_BIASES] = c.biases ? 1 : 0;
      d[H_X] = this.#x.ptr;
      d[H_T] = this.#t.ptr;
      d[H_COEF] = coef.ptr;
      d[H_SEED] = c.seed | 0;
      const p = (t: Tensor | null) => (t === null ? 0 : t.ptr);
      this.#layers.forEach((ly, l) => {
        const o = HEADER + l * LAYER_SLOTS;
        d[o + L_IN] = ly.nIn;
        d[o + L_OUT] = ly.nOut;
        d[o + L_W] = ly.W.ptr;
        d[o + L_B] = p(ly.b);
        d[o + L_VW] = p(ly.vW);
        d[o + L_VB] = p(ly.vb);
        d[o + L_FB] = p(ly.fb);
        d[o + L_M] = p(ly.M);
        d[o + L_A] = ly.a.ptr;
        d[o + L_H] = ly.h.ptr;
        d[o + L_D] = ly.d.ptr;
        d[o + L_G] = ly.g.ptr;
        f[o + L_SCALE] = scales[l];
        d[o + L_STREAM] = STREAMS_PER_LAYER * l + 3;
      });
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** The validated configuration (a copy). */
  config(): Record<string, unknown> {
    return { ...this.#cfg, arch: [...this.#cfg.arch] } as unknown as Record<string, unknown>;
  }

  /** Mini-batch steps taken since construction. */
  get steps(): number {
    return this.#steps;
  }

  #loadInputs(x: Float32Array, start: number, n: number): void {
    const cols = this.inputSize;
    const view = this.#x.peek();
    const stride = this.#x.stride;
    if (stride === cols) view.set(x.subarray(start * cols, (start + n) * cols));
    else for (let r = 0; r < n; r++) view.set(x.subarray((start + r) * cols, (start + r + 1) * cols), r * stride);
  }

  /**
   * Fills the target buffer. Squared error uses batch.targets when given (the data pipeline's own
   * encoding), else the labels coded targetOn/targetOff; cross-entropy uses the labels as one-hot
   * rows when given, else batch.targets as target distributions.
   */
  #loadTargets(batch: Batch): void {
    const n = batch.n;
    const k = this.outputSize;
    const view = this.#t.peek();
    const stride = this.#t.stride;
    const ce = this.#cfg.loss === "softmax-ce";
    const { labels, targets } = batch;
    if (labels !== undefined && (ce || targets === undefined)) {
      checkExamples("mlp.trainBatch", "batch.labels", labels, n, 1);
      const on = ce ? 1 : this.#cfg.targetOn;
      const off = ce ? 0 : this.#cfg.targetOff;
      for (let r = 0; r < n; r++) {
        const y = labels[r];
        if (!Number.isInteger(y) || y < 0 || y >= k) throw new ValueError(`mlp.trainBatch: batch.labels[${r}] must be a class in [0, ${k - 1}], got ${y}`);
        view.fill(off, r * stride, r * stride + k);
        view[r * stride + y] = on;
      }
    } else if (targets !== undefined) {
      checkExamples("mlp.trainBatch", "batch.targets", targets, n, k);
      if (stride === k) view.set(targets.subarray(0, n * k));
      else for (let r = 0; r < n; r++) view.set(targets.subarray(r * k, (r + 1) * k), r * stride);
    } else {
      throw new ValueError("mlp.trainBatch: batch needs labels (classification) or targets (regression)");
    }
  }

  #checkBatch(op: string, x: Float32Array, n: number, limit: number): void {
    if (!Number.isInteger(n) || n < 1 || n > limit) throw new ValueError(`${op}: n must be an integer in [1, ${limit}], got ${n}`);
    if (!(x instanceof Float32Array)) throw new ShapeError(`${op}: x must be a Float32Array`);
    checkExamples(op, "x", x, n, this.inputSize);
  }

  trainBatch(batch: Batch): void {
    this.live();
    this.#checkBatch("mlp.trainBatch", batch.x, batch.n, this.maxBatch);
    this.#loadInputs(batch.x, 0, batch.n);
    this.#loadTargets(batch);
    const lr = this.#cfg.lr * this.#lrScale;
    const rc = this.#step(this.#desc.ptr, batch.n, lr, this.#cfg.momentum, this.#ctr[0], this.#ctr[1]);
    if (rc !== 0) this.#nonFinite(rc, "trainBatch");
    this.#steps++;
    if (this.#cfg.rule === "brsf") this.#advanceCounter();
  }

  /** The descriptor as i32 slots (a fresh view: memory growth detaches old ones). */
  #descI32(): Int32Array {
    return new Int32Array(this.#desc.live().memory.buffer, this.#desc.ptr, this.#desc.cols);
  }

  #seed(): number {
    return this.#descI32()[H_SEED] >>> 0;
  }

  #advanceCounter(): void {
    const lo = this.#ctr[0] + this.#drawSize;
    this.#ctr[1] += Math.floor(lo / 2 ** 32);
    this.#ctr[0] = lo >>> 0;
  }

  #nonFinite(rc: number, op: string): never {
    const l = (rc >> 4) - 1;
    const v = (rc & 15) === 1 ? "pre-activation a" : "error δ";
    const bad = this.#scanState();
    const where = bad.length ? `; non-finite values in ${bad.join(", ")}` : "";
    throw new NonFiniteError(`mlp.${op}: non-finite ${v} in layer ${l} (layers.${l}) at step ${this.#steps}${where}; lower lr or check the inputs`);
  }

  /** Names of exported state arrays that hold a NaN or ±Infinity. */
  #scanState(): string[] {
    const bad: string[] = [];
    for (const [name, arr] of Object.entries(this.exportState())) {
      if (arr.data instanceof Float32Array && !arr.data.every(Number.isFinite)) bad.push(name);
    }
    return bad;
  }

  /** Throws NonFiniteError naming every weight or momentum array holding a NaN or ±Infinity. */
  checkFinite(): void {
    this.live();
    const bad = this.#scanState();
    if (bad.length) throw new NonFiniteError(`mlp: non-finite values in ${bad.join(", ")} after ${this.#steps} steps`);
  }

  predict(x: Float32Array, n: number, out?: Float32Array): Float32Array {
    this.live();
    this.#checkBatch("mlp.predict", x, n, Number.MAX_SAFE_INTEGER);
    const k = this.outputSize;
    const res = out ?? new Float32Array(n * k);
    if (res.length < n * k) throw new ShapeError(`mlp.predict: out holds ${res.length} values, need n × outputSize = ${n * k}`);
    const top = this.#layers[this.#layers.length - 1].h;
    for (let s = 0; s < n; s += this.maxBatch) {
      const m = Math.min(this.maxBatch, n - s);
      this.#loadInputs(x, s, m);
      const rc = this.#forward(this.#desc.ptr, m);
      if (rc !== 0) this.#nonFinite(rc, "predict");
      const v = top.peek();
      const stride = top.stride;
      for (let r = 0; r < m; r++) res.set(v.subarray(r * stride, r * stride + k), (s + r) * k);
    }
    return res;
  }

  setLearningRateScale(factor: number): void {
    assertFinite(factor, "mlp.setLearningRateScale: factor");
    if (factor < 0) throw new ValueError(`mlp.setLearningRateScale: factor must be ≥ 0, got ${factor}`);
    this.#lrScale = factor;
  }

  /** Stored arrays by state name, with the orientation they are exported in. */
  #stateTensors(): StateEntry[] {
    const out: StateEntry[] = [];
    const mat = (name: string, t: Tensor): StateEntry => ({ name, t, transpose: false, shape: [t.rows, t.cols] });
    const vec = (name: string, t: Tensor): StateEntry => ({ name, t, transpose: false, shape: [t.cols] });
    const tr = (name: string, t: Tensor): StateEntry => ({ name, t, transpose: true, shape: [t.cols, t.rows] });
    this.#layers.forEach((ly, l) => {
      out.push(mat(`layers.${l}.W`, ly.W));
      if (ly.b) out.push(vec(`layers.${l}.b`, ly.b));
      if (ly.vW) out.push(mat(`layers.${l}.vW`, ly.vW));
      if (ly.vb) out.push(vec(`layers.${l}.vb`, ly.vb));
      if (ly.fb && (this.#cfg.rule === "fa" || this.#cfg.rule === "dfa")) out.push(tr(`layers.${l}.B`, ly.fb));
      if (ly.M && this.#cfg.rule === "frsf") out.push(tr(`layers.${l}.M`, ly.M));
    });
    return out;
  }

  exportState(): Record<string, NamedArray> {
    this.live();
    const state = readStateTensors(this.#stateTensors());
    if (this.#cfg.rule === "brsf") {
      state["rng.seed"] = { shape: [1], data: Uint32Array.of(this.#seed()) };
      state["rng.counter"] = { shape: [2], data: this.#ctr.slice() };
    }
    return state;
  }

  importState(state: Record<string, NamedArray>): void {
    this.live();
    const want = this.#stateTensors();
    const counters: Record<string, number> = this.#cfg.rule === "brsf" ? { "rng.seed": 1, "rng.counter": 2 } : {};
    const c = this.#cfg;
    checkStateTensors("mlp.importState", `rule ${c.rule}, arch ${c.arch.join("-")}, momentum ${c.momentum}, biases ${c.biases}`, want, state, counters);
    writeStateTensors(want, state);
    if (this.#cfg.rule === "brsf") {
      this.#ctr.set(state["rng.counter"].data as Uint32Array);
      this.#descI32()[H_SEED] = state["rng.seed"].data[0] | 0;
    }
  }
}
