// BrainProp (PBR20; docs/model.md §3) and its backprop baseline on the same feedforward architectures:
// dense, convolutional (3×3, stride 1 or 2, same or valid padding), locally connected, with ReLU,
// batch normalisation and dropout. The layers run in the WebAssembly core
// (assembly/models/brainprop/), one call per layer step and mini-batch.
//
// PBR20; docs/model.md §3: hidden layers ReLU, no biases; the linear outputs Q are action values. With
// probability 1 − ε the network selects s = argmax Q, otherwise s ~ softmax(Q); reward
// r = [s = label]; δ = r − Q_s. Only the selected output unit feeds back (attention gating), each
// synapse forms a tag (presynaptic rate × postsynaptic derivative × feedback) and changes by
// α·δ·tag — gradient descent on ½(r − Q_s)² averaged over the mini-batch. The feedback weights are
// the forward weights (and stay equal because the same update is applied to both). At test time
// s = argmax Q.
// The backprop baseline ("bp") uses softmax cross-entropy on the same network.
import type { Core } from "../../core/core.js";
import { checkFits, tensorBytes, type Arena, type Tensor } from "../../core/arena.js";
import type { CoreExports } from "../../core/wasm.js";
import { DisposedError, NonFiniteError, ShapeError, ValueError, assertFinite, assertInt } from "../../core/errors.js";
import { checkExamples, type Batch } from "../../data/batch.js";
import type { NamedArray, TrainableModel } from "../../train/model.js";
import { BatchNorm, Dense, Dropout, layerPlan, Relu, Scratch, Spatial, STREAM_ACTIONS, STREAM_WEIGHTS, type Act, type Ctx, type Layer } from "./layers.js";
import { brainpropConfig, type BrainPropConfig, type BrainPropOptions, type LayerSpec } from "./params.js";

/** Statistics of the last training step. */
export interface StepStats {
  /** Examples in the step. */
  n: number;
  /** BrainProp: correct selections (reward 1); bp: 0. */
  rewarded: number;
  /** BrainProp: exploratory (softmax-sampled) selections. */
  explored: number;
  /** bp: mean cross-entropy; BrainProp: mean ½(r − Q_s)². */
  loss: number;
}

/**
 * WebAssembly memory (bytes) the BrainPropNet constructor allocates for a configuration: the input,
 * every layer's tensors (layerPlan), the shared patch-gradient scratch and the per-example buffers.
 */
export function brainpropMemoryBytes(config: BrainPropOptions): number {
  return brainpropBytes(brainpropConfig(config as Record<string, unknown>));
}

function brainpropBytes(cfg: BrainPropConfig): number {
  const B = cfg.maxBatch;
  const [H, W, C] = cfg.input;
  let act: Act = { h: H, w: W, c: C, packed: true };
  let n = tensorBytes(B, H * W * C);
  let scratchRows = 0;
  let scratchCols = 1;
  [...cfg.layers, { type: "dense", units: cfg.classes } as LayerSpec].forEach((s, i) => {
    const p = layerPlan(act, s, i, B, i > 0);
    for (const [r, c] of p.shapes) n += tensorBytes(r, c);
    if (p.scratch[0] > 0) {
      scratchRows = Math.max(scratchRows, p.scratch[0]);
      scratchCols = Math.max(scratchCols, p.scratch[1]);
    }
    act = p.out;
  });
  if (scratchRows > 0) n += tensorBytes(scratchRows, scratchCols);
  return n + 2 * tensorBytes(1, B) + tensorBytes(B, 2) + tensorBytes(B, cfg.classes);
}

/** "brainprop 28×28×1 conv32-relu-…-dense10 (maxBatch B)" for messages. */
function describe(cfg: BrainPropConfig): string {
  const names = [...cfg.layers, { type: "dense", units: cfg.classes } as LayerSpec].map((s) =>
    s.type === "conv" || s.type === "local" ? `${s.type}${s.filters}` : s.type === "dense" ? `dense${s.units}` : s.type,
  );
  return `brainprop ${cfg.input.join("×")} ${names.join("-")} (maxBatch ${cfg.maxBatch})`;
}

export class BrainPropNet implements TrainableModel {
  readonly kind = "brainprop";
  readonly inputSize: number;
  readonly outputSize: number;
  readonly maxBatch: number;
  readonly cfg: BrainPropConfig;
  readonly layers: Layer[];
  private readonly arena: Arena;
  private readonly ex: CoreExports;
  private readonly input: Tensor;
  private readonly labels: Tensor;
  private readonly sel: Tensor;
  private readonly u: Tensor;
  private readonly dq: Tensor;
  private readonly scratch = new Scratch();
  /** Input of each layer in the last forward pass. */
  private readonly acts: Tensor[] = [];
  private lrScale = 1;
  private step = 0;
  private disposed = false;
  last: StepStats = { n: 0, rewarded: 0, explored: 0, loss: NaN };

  constructor(core: Core, config: BrainPropOptions = {}) {
    const cfg = brainpropConfig(config);
    this.cfg = cfg;
    const ex = core.exports;
    this.ex = ex;
    const [H, W, C] = cfg.input;
    this.inputSize = H * W * C;
    this.outputSize = cfg.classes;
    this.maxBatch = cfg.maxBatch;
    checkFits(ex, brainpropBytes(cfg), describe(cfg));
    const arena = core.arena();
    this.arena = arena;
    try {
      const ctx: Ctx = { ex, arena, maxBatch: cfg.maxBatch, seed: cfg.seed };
      let act: Act = { h: H, w: W, c: C, packed: true };
      this.input = arena.tensor(cfg.maxBatch, this.inputSize);
      const specs: LayerSpec[] = [...cfg.layers, { type: "dense", units: cfg.classes }];
      const layers: Layer[] = [];
      specs.forEach((s, i) => {
        const needDx = i > 0;
        let l: Layer;
        switch (s.type) {
          case "conv":
          case "local":
            l = new Spatial(ctx, i, act, s, needDx, this.scratch);
            break;
          case "dense":
            l = new Dense(ctx, i, act, s.units, needDx);
            break;
          case "relu":
            l = new Relu(ctx, i, act, needDx);
            break;
          case "batchnorm":
            l = new BatchNorm(ctx, i, act, s.momentum ?? cfg.bnMomentum, s.eps ?? cfg.bnEps, needDx);
            break;
          case "dropout":
            l = new Dropout(ctx, i, act, s.rate, needDx);
            break;
        }
        layers.push(l);
        act = l.out;
      });
      this.layers = layers;
      if (this.scratch.need > 0) {
        let cols = 1;
        for (const l of layers) if (l instanceof Spatial && l.dx) cols = Math.max(cols, l.cols.cols);
        this.scratch.t = arena.tensor(this.scratch.need, cols);
      }
      this.labels = arena.vector(cfg.maxBatch);
      this.sel = arena.vector(cfg.maxBatch);
      this.u = arena.tensor(cfg.maxBatch, 2);
      this.dq = arena.tensor(cfg.maxBatch, cfg.classes);
      this.initWeights();
    } catch (e) {
      arena.dispose();
      throw e;
    }
  }

  /** N(0, initStd²) weights from the counter-based Gaussian stream (seed, layer index). */
  private initWeights(): void {
    for (const l of this.layers) {
      const w = l instanceof Spatial || l instanceof Dense ? l.w : null;
      if (!w) continue;
      this.ex.gaussian(w.ptr, w.rows, w.cols, this.cfg.seed, STREAM_WEIGHTS + l.index, 0, 0);
      const v = w.peek();
      const s = this.cfg.initStd;
      for (let r = 0; r < w.rows; r++) {
        for (let j = 0; j < w.cols; j++) {
          const k = r * w.stride + j;
          v[k] = l instanceof Dense && l.paddingColumn(j) ? 0 : v[k] * s;
        }
      }
    }
  }

  private live(): void {
    if (this.disposed) throw new DisposedError("brainprop: model used after dispose()");
  }

  private loadInput(x: Float32Array, offset: number, n: number): void {
    const t = this.input;
    const v = t.peek();
    const d = this.inputSize;
    if (t.stride === d) v.set(x.subarray(offset * d, (offset + n) * d));
    else for (let i = 0; i < n; i++) v.set(x.subarray((offset + i) * d, (offset + i + 1) * d), i * t.stride);
  }

  private forward(n: number, train: boolean): Tensor {
    let x = this.input;
    for (let i = 0; i < this.layers.length; i++) {
      this.acts[i] = x;
      x = this.layers[i].forward(x, n, train, this.step);
    }
    return x;
  }

  private backward(n: number): void {
    const eta = -this.cfg.lr * this.lrScale;
    let dy = this.dq;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i];
      l.backward(this.acts[i], dy, n, eta);
      if (l.dx) dy = l.dx;
    }
  }

  private checkBatch(batch: Batch): void {
    assertInt(batch.n, "batch.n", 1, this.maxBatch);
    checkExamples("brainprop.trainBatch", "batch.x", batch.x, batch.n, this.inputSize);
    if (!batch.labels) throw new ShapeError("brainprop: batch.labels must hold a class label per example (classification data)");
    checkExamples("brainprop.trainBatch", "batch.labels", batch.labels, batch.n, 1);
  }

  private loadLabels(labels: Int32Array, n: number): void {
    const v = this.labels.peek();
    for (let i = 0; i < n; i++) {
      const c = labels[i];
      if (!Number.isInteger(c) || c < 0 || c >= this.outputSize)
        throw new ValueError(`brainprop: batch.labels[${i}] = ${c}, expected 0…${this.outputSize - 1}`);
      v[i] = c;
    }
  }

  /** One learning step: forward (training mode), output step of the rule, backward with updates. */
  trainBatch(batch: Batch): void {
    this.trainStep(batch);
  }

  /**
   * One learning step with the selected output units given (BrainProp only): the update is then
   * exactly gradient descent on mean ½(r − Q_s)² for these s. Used to test the rule.
   */
  trainBatchWithActions(batch: Batch, actions: ArrayLike<number>): void {
    if (this.cfg.rule !== "brainprop") throw new ValueError("brainprop: trainBatchWithActions needs rule brainprop");
    checkExamples("brainprop.trainBatchWithActions", "actions", actions, batch.n, 1);
    for (let i = 0; i < batch.n; i++) {
      if (!Number.isInteger(actions[i]) || actions[i] < 0 || actions[i] >= this.outputSize)
        throw new ValueError(`brainprop: actions[${i}] = ${actions[i]}, expected 0…${this.outputSize - 1}`);
    }
    this.trainStep(batch, actions);
  }

  private trainStep(batch: Batch, actions?: ArrayLike<number>): void {
    this.live();
    this.checkBatch(batch);
    const n = batch.n;
    this.loadInput(batch.x, 0, n);
    // Before the forward pass: in training mode it updates the batch-norm running statistics.
    if (!this.ex.allFinite(this.input.ptr, n, this.inputSize)) {
      const i = Array.prototype.findIndex.call(batch.x.subarray(0, n * this.inputSize), (v: number) => !Number.isFinite(v));
      throw new NonFiniteError(`brainprop.trainBatch: input x[${i}] is ${batch.x[i]} (example ${Math.floor(i / this.inputSize)}); nothing was changed`);
    }
    this.loadLabels(batch.labels!, n);
    const q = this.forward(n, true);
    if (!this.ex.allFinite(q.ptr, n, this.outputSize)) {
      throw new NonFiniteError(`brainprop: non-finite output Q at training step ${this.step} (learning rate ${this.cfg.lr * this.lrScale} too large?)`);
    }
    const stats: StepStats = { n, rewarded: 0, explored: 0, loss: 0 };
    if (this.cfg.rule === "brainprop") {
      if (actions) {
        const s = this.sel.peek();
        for (let i = 0; i < n; i++) s[i] = actions[i];
      } else {
        this.ex.uniform(this.u.ptr, n, 2, this.cfg.seed, STREAM_ACTIONS, 0, this.step >>> 0, 0, 1);
        stats.explored = this.ex.brainpropSelect(this.sel.ptr, q.ptr, this.u.ptr, n, this.outputSize, this.cfg.epsilon);
      }
      stats.rewarded = this.ex.brainpropError(this.dq.ptr, q.ptr, this.sel.ptr, this.labels.ptr, n, this.outputSize, 1 / n);
      // ½δ² from dq = −δ/n at s
      const dq = this.dq.peek();
      let l = 0;
      for (let i = 0; i < n * this.dq.stride; i++) l += 0.5 * (dq[i] * n) ** 2;
      stats.loss = l / n;
    } else {
      stats.loss = this.ex.convnetSoftmaxXent(this.dq.ptr, q.ptr, this.labels.ptr, n, this.outputSize, 1 / n) / n;
    }
    this.backward(n);
    this.step++;
    this.last = stats;
  }

  predict(x: Float32Array, n: number, out?: Float32Array): Float32Array {
    this.live();
    assertInt(n, "n", 0);
    checkExamples("brainprop.predict", "x", x, n, this.inputSize);
    const k = this.outputSize;
    const res = out ?? new Float32Array(n * k);
    if (res.length < n * k) throw new ShapeError(`brainprop: predict: out has ${res.length} values, expected ${n}×${k}`);
    for (let o = 0; o < n; o += this.maxBatch) {
      const m = Math.min(this.maxBatch, n - o);
      this.loadInput(x, o, m);
      const q = this.forward(m, false);
      if (!this.ex.allFinite(q.ptr, m, this.outputSize)) this.throwNonFinite("predict", m, q, o);
      const v = q.peek();
      for (let i = 0; i < m; i++) res.set(v.subarray(i * q.stride, i * q.stride + k), (o + i) * k);
    }
    return res;
  }

  /** After a forward pass of n rows (from example `first`), names where the first non-finite value is. */
  private throwNonFinite(where: string, n: number, q: Tensor, first: number): never {
    const rows = (t: Tensor) => !this.ex.allFinite(t.ptr, n, t.cols);
    if (rows(this.input)) throw new NonFiniteError(`brainprop.${where}: non-finite input (examples ${first}…${first + n - 1}; before layer 0)`);
    for (let i = 0; i < this.layers.length; i++) {
      const out = i + 1 < this.layers.length ? this.acts[i + 1] : q;
      if (rows(out))
        throw new NonFiniteError(
          `brainprop.${where}: non-finite output of layer ${i} (${i < this.cfg.layers.length ? this.cfg.layers[i].type : "dense output"}) for examples ${first}…${first + n - 1}`,
        );
    }
    throw new NonFiniteError(`brainprop.${where}: non-finite output Q for examples ${first}…${first + n - 1}`);
  }

  setLearningRateScale(factor: number): void {
    assertFinite(factor, "learning-rate scale");
    if (factor < 0) throw new ValueError(`learning-rate scale must be ≥ 0, got ${factor}`);
    this.lrScale = factor;
  }

  private named(): Record<string, { t: Tensor; shape: number[] }> {
    const out: Record<string, { t: Tensor; shape: number[] }> = {};
    for (const l of this.layers) for (const [k, v] of Object.entries(l.params())) out[`layers.${l.index}.${k}`] = v;
    return out;
  }

  exportState(): Record<string, NamedArray> {
    this.live();
    const s: Record<string, NamedArray> = {};
    for (const [name, { t, shape }] of Object.entries(this.named())) s[name] = { shape, data: t.read() };
    s["rng.step"] = { shape: [1], data: Uint32Array.of(this.step >>> 0) };
    return s;
  }

  importState(state: Record<string, NamedArray>): void {
    this.live();
    const named = this.named();
    for (const [name, { t, shape }] of Object.entries(named)) {
      const a = state[name];
      if (!a) throw new ShapeError(`brainprop: state has no '${name}'`);
      if (a.shape.length !== shape.length || a.shape.some((d, i) => d !== shape[i]))
        throw new ShapeError(`brainprop: state '${name}' has shape [${a.shape}], expected [${shape}]`);
      if (!(a.data instanceof Float32Array)) throw new ShapeError(`brainprop: state '${name}' must be float32`);
    }
    const st = state["rng.step"];
    if (!st || st.data.length !== 1) throw new ShapeError("brainprop: state has no 'rng.step' (one u32)");
    for (const [name, { t }] of Object.entries(named)) t.write(state[name].data);
    this.step = Number(st.data[0]);
  }

  config(): Record<string, unknown> {
    const c = this.cfg;
    return {
      rule: c.rule,
      input: [...c.input],
      classes: c.classes,
      net: c.net,
      layers: c.layers.map((l) => ({ ...l })),
      epsilon: c.epsilon,
      lr: c.lr,
      initStd: c.initStd,
      bnMomentum: c.bnMomentum,
      bnEps: c.bnEps,
      maxBatch: c.maxBatch,
      seed: c.seed,
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.arena.dispose();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}
