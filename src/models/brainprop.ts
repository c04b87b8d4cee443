// BrainProp (PBR20, SPEC §3) and its backprop baseline on the same feedforward architectures:
// dense, convolutional (3×3, stride 1 or 2, same or valid padding), locally connected, with ReLU,
// batch normalisation and dropout. The layers run in the WebAssembly core
// (assembly/models/convnet.ts), one call per layer step and mini-batch.
//
// PBR20 §2 / SPEC §3: hidden layers ReLU, no biases; the linear outputs Q are action values. With
// probability 1 − ε the network selects s = argmax Q, otherwise s ~ softmax(Q); reward
// r = [s = label]; δ = r − Q_s. Only the selected output unit feeds back (attention gating), each
// synapse forms a tag (presynaptic rate × postsynaptic derivative × feedback) and changes by
// α·δ·tag — gradient descent on ½(r − Q_s)² averaged over the mini-batch. The feedback weights are
// the forward weights (and stay equal because the same update is applied to both). At test time
// s = argmax Q.
// The backprop baseline ("bp") uses softmax cross-entropy on the same network.
import type { Core } from "../core/core.js";
import type { Arena, Tensor } from "../core/arena.js";
import { NonFiniteError, ShapeError, ValueError, assertFinite, assertInt } from "../core/errors.js";
import type { Batch } from "../data/batch.js";
import type { NamedArray, TrainableModel } from "../train/model.js";
import { registerModel, type ModelFactory } from "./registry.js";


const ceil4 = (n: number) => (n + 3) & ~3;
type Fn = (...a: number[]) => number;

// ------------------------------------------------------------------------------------------------
// Configuration

export type Rule = "brainprop" | "bp";
export type Padding = "same" | "valid";

export type LayerSpec =
  | { type: "conv"; filters: number; stride?: number; padding?: Padding }
  | { type: "local"; filters: number; stride?: number; padding?: Padding }
  | { type: "dense"; units: number }
  | { type: "relu" }
  | { type: "batchnorm"; momentum?: number; eps?: number }
  | { type: "dropout"; rate: number };

export interface BrainPropConfig {
  /** "brainprop" (PBR20) or "bp" (backprop with softmax cross-entropy on the same network). */
  rule: Rule;
  /** Input image shape [H, W, C], pixels stored H, W, C (channels last). MNIST: [28, 28, 1]. */
  input: [number, number, number];
  /** Number of classes = linear output units (action values). */
  classes: number;
  /** Named architecture of SPEC §3 ("dense", "conv", "local") or "custom" (use `layers`). */
  net: "dense" | "conv" | "local" | "custom";
  /** Hidden layers (the linear output layer is appended). Filled from `net` unless net = "custom". */
  layers: LayerSpec[];
  /** Exploration probability ε (PBR20: 0.02). */
  epsilon: number;
  /** SGD learning rate α (PBR20: 0.1, halved every 100 epochs by the trainer's schedule). */
  lr: number;
  /** Weights N(0, initStd²) (PBR20: 0.005; 0.01 for dense MNIST). */
  initStd: number;
  /** Batch-norm momentum of the running statistics and ε (Keras defaults 0.99 → 0.01, 1e-3). */
  bnMomentum: number;
  bnEps: number;
  maxBatch: number;
  seed: number;
}

/** PBR20 settings (SPEC §3). */
export const PBR20 = Object.freeze({ epsilon: 0.02, lr: 0.1, initStd: 0.005, initStdDense: 0.01, batch: 128, dropout: 0.3 });

/** The architectures of SPEC §3 (hidden layers; the linear output layer is appended). */
export function presetLayers(net: "dense" | "conv" | "local"): LayerSpec[] {
  if (net === "dense") {
    return [{ type: "dense", units: 1500 }, { type: "relu" }, { type: "dense", units: 1000 }, { type: "relu" }, { type: "dense", units: 500 }, { type: "relu" }];
  }
  // 32@3×3 s1 same → ReLU → BN → 32@3×3 s2 → ReLU → BN → dropout 0.3 → dense 500 → dropout 0.3 → out.
  // The padding of the stride-2 layer is not stated in SPEC §3; "same" is our choice (28 → 14).
  const t = net === "conv" ? "conv" : "local";
  return [
    { type: t, filters: 32, stride: 1, padding: "same" },
    { type: "relu" },
    { type: "batchnorm" },
    { type: t, filters: 32, stride: 2, padding: "same" },
    { type: "relu" },
    { type: "batchnorm" },
    { type: "dropout", rate: PBR20.dropout },
    { type: "dense", units: 500 },
    { type: "relu" },
    { type: "dropout", rate: PBR20.dropout },
  ];
}

const KEYS = ["arch", "rule", "input", "classes", "net", "layers", "epsilon", "lr", "initStd", "bnMomentum", "bnEps", "maxBatch", "seed"];

/** Validates a (partial) configuration and fills defaults; errors name the field. */
export function brainpropConfig(c: Record<string, unknown>): BrainPropConfig {
  for (const k of Object.keys(c)) if (!KEYS.includes(k)) throw new ValueError(`brainprop: unknown configuration key '${k}'; known: ${KEYS.join(", ")}`);
  const rule = (c.rule ?? "brainprop") as Rule;
  if (rule !== "brainprop" && rule !== "bp") throw new ValueError(`brainprop: rule must be "brainprop" or "bp", got ${JSON.stringify(c.rule)}`);
  const input = (c.input ?? [28, 28, 1]) as [number, number, number];
  if (!Array.isArray(input) || input.length !== 3) throw new ValueError(`brainprop: input must be [H, W, C], got ${JSON.stringify(c.input)}`);
  input.forEach((v, i) => assertInt(v, `brainprop: input[${i}]`, 1, 4096));
  const classes = (c.classes ?? 10) as number;
  assertInt(classes, "brainprop: classes", 2, 65536);
  // An explicit net or layer list takes precedence over arch: the CLI always supplies an arch (the
  // data set's default when --arch is absent), so `--set net=conv` must win over it.
  if (c.arch !== undefined && c.net === undefined && c.layers === undefined) {
    // `arch` [inputs, hidden…, classes] (the CLI's --arch): a dense ReLU network of these sizes
    const a = c.arch as number[];
    if (!Array.isArray(a) || a.length < 2) throw new ValueError(`brainprop: arch must be [inputs, hidden…, classes], got ${JSON.stringify(c.arch)}`);
    a.forEach((v, i) => assertInt(v, `brainprop: arch[${i}]`, 1, 1 << 20));
    const hw = input[0] * input[1] * input[2];
    if (a[0] !== hw) throw new ValueError(`brainprop: arch[0] = ${a[0]} does not match input ${JSON.stringify(input)} (${hw} values)`);
    if (c.classes !== undefined && c.classes !== a[a.length - 1]) throw new ValueError(`brainprop: arch ends in ${a[a.length - 1]} outputs but classes = ${String(c.classes)}`);
    const rest = Object.fromEntries(Object.entries(c).filter(([k]) => k !== "arch"));
    return brainpropConfig({ ...rest, net: "custom", classes: a[a.length - 1], layers: a.slice(1, -1).flatMap((units) => [{ type: "dense", units }, { type: "relu" }]) });
  }
  c = Object.fromEntries(Object.entries(c).filter(([k]) => k !== "arch"));
  const net = (c.net ?? (c.layers !== undefined ? "custom" : "conv")) as BrainPropConfig["net"];
  if (!["dense", "conv", "local", "custom"].includes(net)) throw new ValueError(`brainprop: net must be dense, conv, local or custom, got ${JSON.stringify(c.net)}`);
  let layers: LayerSpec[];
  if (net === "custom") {
    if (!Array.isArray(c.layers)) throw new ValueError(`brainprop: net "custom" needs a layers array`);
    layers = (c.layers as unknown[]).map((l, i) => checkLayer(l, i));
  } else {
    if (c.layers !== undefined && JSON.stringify(c.layers) !== JSON.stringify(presetLayers(net))) {
      throw new ValueError(`brainprop: layers given together with net "${net}"; use net "custom" for your own layers`);
    }
    layers = presetLayers(net);
  }
  const num = (k: string, d: number, lo: number, hi: number, open = false): number => {
    const v = (c[k] ?? d) as number;
    assertFinite(v, `brainprop: ${k}`);
    if (v < lo || v > hi || (open && (v === lo || v === hi))) throw new ValueError(`brainprop: ${k} must be in ${open ? "(" : "["}${lo}, ${hi}${open ? ")" : "]"}, got ${v}`);
    return v;
  };
  const cfg: BrainPropConfig = {
    rule,
    input: [input[0], input[1], input[2]],
    classes,
    net,
    layers,
    epsilon: num("epsilon", PBR20.epsilon, 0, 1),
    lr: num("lr", PBR20.lr, 0, 1e6),
    initStd: num("initStd", net === "dense" ? PBR20.initStdDense : PBR20.initStd, 0, 1e3),
    bnMomentum: num("bnMomentum", 0.01, 0, 1),
    bnEps: num("bnEps", 1e-3, 0, 1, true),
    maxBatch: (c.maxBatch ?? PBR20.batch) as number,
    seed: (c.seed ?? 1) as number,
  };
  assertInt(cfg.maxBatch, "brainprop: maxBatch", 1, 65536);
  assertInt(cfg.seed, "brainprop: seed", 0, 2 ** 32 - 1);
  return cfg;
}

function checkLayer(l: unknown, i: number): LayerSpec {
  const at = `brainprop: layers[${i}]`;
  if (typeof l !== "object" || l === null) throw new ValueError(`${at} must be an object with a 'type'`);
  const o = l as Record<string, unknown>;
  const allowed = (keys: string[]) => {
    for (const k of Object.keys(o)) if (k !== "type" && !keys.includes(k)) throw new ValueError(`${at}: unknown key '${k}' for a ${String(o.type)} layer`);
  };
  switch (o.type) {
    case "conv":
    case "local": {
      allowed(["filters", "stride", "padding"]);
      assertInt(o.filters as number, `${at}.filters`, 1, 65536);
      const stride = (o.stride ?? 1) as number;
      if (stride !== 1 && stride !== 2) throw new ValueError(`${at}.stride must be 1 or 2, got ${JSON.stringify(o.stride)}`);
      const padding = (o.padding ?? "same") as Padding;
      if (padding !== "same" && padding !== "valid") throw new ValueError(`${at}.padding must be "same" or "valid", got ${JSON.stringify(o.padding)}`);
      return { type: o.type, filters: o.filters as number, stride, padding };
    }
    case "dense":
      allowed(["units"]);
      assertInt(o.units as number, `${at}.units`, 1, 1 << 20);
      return { type: "dense", units: o.units as number };
    case "relu":
      allowed([]);
      return { type: "relu" };
    case "batchnorm": {
      allowed(["momentum", "eps"]);
      const out: LayerSpec = { type: "batchnorm" };
      if (o.momentum !== undefined) {
        assertFinite(o.momentum as number, `${at}.momentum`);
        if ((o.momentum as number) < 0 || (o.momentum as number) > 1) throw new ValueError(`${at}.momentum must be in [0, 1]`);
        out.momentum = o.momentum as number;
      }
      if (o.eps !== undefined) {
        assertFinite(o.eps as number, `${at}.eps`);
        if ((o.eps as number) <= 0) throw new ValueError(`${at}.eps must be > 0`);
        out.eps = o.eps as number;
      }
      return out;
    }
    case "dropout": {
      allowed(["rate"]);
      assertFinite(o.rate as number, `${at}.rate`);
      const rate = o.rate as number;
      if (rate < 0 || rate >= 1) throw new ValueError(`${at}.rate must be in [0, 1), got ${rate}`);
      return { type: "dropout", rate };
    }
    default:
      throw new ValueError(`${at}.type must be conv, local, dense, relu, batchnorm or dropout, got ${JSON.stringify(o.type)}`);
  }
}

// ------------------------------------------------------------------------------------------------
// Activation layouts (assembly/kernels/conv.ts): "packed" images (one row per image, H·W·C floats)
// or one row per pixel (C floats, stride ceil4(C)). Dense outputs are 1×1 images with C = units.

interface Act {
  h: number;
  w: number;
  c: number;
  packed: boolean;
}
const rowsPerImage = (a: Act) => (a.packed ? 1 : a.h * a.w);
const colsOf = (a: Act) => (a.packed ? a.h * a.w * a.c : a.c);
const pixStride = (a: Act) => (a.packed ? a.c : ceil4(a.c));
const imgStride = (a: Act) => (a.packed ? ceil4(a.h * a.w * a.c) : a.h * a.w * ceil4(a.c));
/** Floats per image seen by a dense layer (pixel padding lanes included, their weights kept 0). */
const flatLen = (a: Act) => (a.packed || a.h * a.w === 1 ? a.h * a.w * a.c : a.h * a.w * ceil4(a.c));

interface Ctx {
  ex: Record<string, Fn>;
  arena: Arena;
  maxBatch: number;
  seed: number;
}

abstract class Layer {
  readonly out: Act;
  /** Output activations (maxBatch · rowsPerImage(out)) × cols(out). */
  readonly y: Tensor;
  /** Gradient w.r.t. this layer's input (absent for the first layer). */
  readonly dx: Tensor | null;
  constructor(
    protected ctx: Ctx,
    readonly index: number,
    readonly inp: Act,
    out: Act,
    needDx: boolean,
  ) {
    this.out = out;
    this.y = ctx.arena.tensor(ctx.maxBatch * rowsPerImage(out), colsOf(out));
    this.dx = needDx ? ctx.arena.tensor(ctx.maxBatch * rowsPerImage(inp), colsOf(inp)) : null;
  }
  /** Returns the output (this.y, or x itself for a layer that is the identity in this mode). */
  abstract forward(x: Tensor, n: number, train: boolean, step: number): Tensor;
  /** dy: gradient w.r.t. this layer's output; eta: −learning rate (0: no update). */
  abstract backward(x: Tensor, dy: Tensor, n: number, eta: number): void;
  params(): Record<string, { t: Tensor; shape: number[] }> {
    return {};
  }
}

function outSize(n: number, stride: number, padding: Padding): { o: number; pad: number } {
  if (padding === "valid") return { o: Math.floor((n - 3) / stride) + 1, pad: 0 };
  const o = Math.ceil(n / stride);
  // TensorFlow "same": total padding max((o − 1)·stride + 3 − n, 0), the smaller half first.
  return { o, pad: Math.floor(Math.max((o - 1) * stride + 3 - n, 0) / 2) };
}

/** Shared scratch for the patch-gradient matrices of all spatial layers (used one layer at a time). */
class Scratch {
  t: Tensor | null = null;
  need = 0;
}

class Spatial extends Layer {
  readonly w: Tensor;
  readonly cols: Tensor;
  private geo: number[];
  constructor(
    ctx: Ctx,
    index: number,
    inp: Act,
    readonly spec: Extract<LayerSpec, { type: "conv" | "local" }>,
    needDx: boolean,
    private scratch: Scratch,
  ) {
    const stride = spec.stride ?? 1;
    const padding = spec.padding ?? "same";
    const ho = outSize(inp.h, stride, padding);
    const wo = outSize(inp.w, stride, padding);
    if (ho.o < 1 || wo.o < 1) throw new ShapeError(`brainprop: layers[${index}] (${spec.type} 3×3, ${padding}) needs an input of at least 3×3, got ${inp.h}×${inp.w}`);
    super(ctx, index, inp, { h: ho.o, w: wo.o, c: spec.filters, packed: false }, needDx);
    const P = ho.o * wo.o;
    const n = 9 * inp.c;
    this.cols = ctx.arena.tensor(ctx.maxBatch * P, n);
    this.w = spec.type === "conv" ? ctx.arena.tensor(spec.filters, n) : ctx.arena.tensor(P * spec.filters, n);
    this.geo = [inp.h, inp.w, inp.c, pixStride(inp), imgStride(inp), spec.filters, stride, ho.pad, wo.pad, ho.o, wo.o];
    if (needDx) scratch.need = Math.max(scratch.need, ctx.maxBatch * P);
  }
  forward(x: Tensor, n: number): Tensor {
    const f = this.spec.type === "conv" ? this.ctx.ex.convnetConvForward : this.ctx.ex.convnetLocalForward;
    f(this.y.ptr, this.cols.ptr, x.ptr, this.w.ptr, n, ...this.geo);
    return this.y;
  }
  backward(_x: Tensor, dy: Tensor, n: number, eta: number): void {
    const f = this.spec.type === "conv" ? this.ctx.ex.convnetConvBackward : this.ctx.ex.convnetLocalBackward;
    let dcols = 0;
    if (this.dx) {
      // sized at construction for the widest patch matrix of any spatial layer
      dcols = this.scratch.t!.ptr;
    }
    f(this.dx ? this.dx.ptr : 0, dcols, this.w.ptr, dy.ptr, this.cols.ptr, n, ...this.geo, eta);
  }
  override params() {
    const { c } = this.inp;
    const shape = this.spec.type === "conv" ? [this.spec.filters, 3, 3, c] : [this.out.h * this.out.w, this.spec.filters, 3, 3, c];
    return { W: { t: this.w, shape } };
  }
}

class Dense extends Layer {
  readonly w: Tensor;
  readonly n: number;
  /** units × maxBatch scratch for the transposed, scaled output gradient. */
  private dyT: Tensor;
  constructor(ctx: Ctx, index: number, inp: Act, readonly units: number, needDx: boolean) {
    super(ctx, index, inp, { h: 1, w: 1, c: units, packed: false }, needDx);
    this.n = flatLen(inp);
    this.w = ctx.arena.tensor(units, this.n);
    this.dyT = ctx.arena.tensor(units, ctx.maxBatch);
  }
  /** Columns that are pixel padding lanes of the input (their weights stay 0). */
  paddingColumn(j: number): boolean {
    return !this.inp.packed && this.inp.h * this.inp.w > 1 && j % ceil4(this.inp.c) >= this.inp.c;
  }
  forward(x: Tensor, n: number): Tensor {
    this.ctx.ex.convnetDenseForward(this.y.ptr, x.ptr, this.w.ptr, n, this.units, this.n);
    return this.y;
  }
  backward(x: Tensor, dy: Tensor, n: number, eta: number): void {
    this.ctx.ex.convnetDenseBackward(this.dx ? this.dx.ptr : 0, this.dyT.ptr, this.w.ptr, dy.ptr, x.ptr, n, this.units, this.n, eta);
  }
  override params() {
    return { W: { t: this.w, shape: [this.units, this.n] } };
  }
}

class Relu extends Layer {
  constructor(ctx: Ctx, index: number, inp: Act, needDx: boolean) {
    super(ctx, index, inp, inp, needDx);
  }
  forward(x: Tensor, n: number): Tensor {
    this.ctx.ex.convnetReluForward(this.y.ptr, x.ptr, n * rowsPerImage(this.inp), colsOf(this.inp));
    return this.y;
  }
  backward(_x: Tensor, dy: Tensor, n: number): void {
    if (this.dx) this.ctx.ex.convnetReluBackward(this.dx.ptr, dy.ptr, this.y.ptr, n * rowsPerImage(this.inp), colsOf(this.inp));
  }
}

class BatchNorm extends Layer {
  readonly gamma: Tensor;
  readonly beta: Tensor;
  readonly runMean: Tensor;
  readonly runVar: Tensor;
  private xhat: Tensor;
  private mean: Tensor;
  private variance: Tensor;
  private invStd: Tensor;
  private dgamma: Tensor;
  private dbeta: Tensor;
  constructor(ctx: Ctx, index: number, inp: Act, readonly momentum: number, readonly eps: number, needDx: boolean) {
    if (inp.packed && inp.h * inp.w > 1) throw new ShapeError(`brainprop: layers[${index}] (batchnorm) must follow a conv, local or dense layer, not the packed input image`);
    super(ctx, index, inp, inp, needDx);
    const c = inp.c;
    const a = ctx.arena;
    this.gamma = a.vector(c).fill(1);
    this.beta = a.vector(c);
    this.runMean = a.vector(c);
    this.runVar = a.vector(c).fill(1);
    this.xhat = a.tensor(ctx.maxBatch * rowsPerImage(inp), c);
    this.mean = a.vector(c);
    this.variance = a.vector(c);
    this.invStd = a.vector(c);
    this.dgamma = a.vector(c);
    this.dbeta = a.vector(c);
  }
  forward(x: Tensor, n: number, train: boolean): Tensor {
    const rows = n * rowsPerImage(this.inp);
    const c = this.inp.c;
    if (train) {
      this.ctx.ex.convnetBatchNormTrain(
        this.y.ptr, this.xhat.ptr, this.mean.ptr, this.variance.ptr, this.invStd.ptr, this.runMean.ptr, this.runVar.ptr,
        x.ptr, this.gamma.ptr, this.beta.ptr, rows, c, this.eps, this.momentum,
      );
    } else {
      this.ctx.ex.convnetBatchNormTest(this.y.ptr, this.xhat.ptr, this.invStd.ptr, x.ptr, this.runMean.ptr, this.runVar.ptr, this.gamma.ptr, this.beta.ptr, rows, c, this.eps);
    }
    return this.y;
  }
  backward(_x: Tensor, dy: Tensor, n: number, eta: number): void {
    const rows = n * rowsPerImage(this.inp);
    // dx is needed even for a first-layer BN's parameter gradients; write it to dgamma-sized scratch otherwise
    this.ctx.ex.convnetBatchNormBackward(this.dx ? this.dx.ptr : this.xhat.ptr, this.dgamma.ptr, this.dbeta.ptr, this.gamma.ptr, this.beta.ptr, dy.ptr, this.xhat.ptr, this.invStd.ptr, rows, this.inp.c, eta);
  }
  override params() {
    const c = this.inp.c;
    return { gamma: { t: this.gamma, shape: [c] }, beta: { t: this.beta, shape: [c] }, runMean: { t: this.runMean, shape: [c] }, runVar: { t: this.runVar, shape: [c] } };
  }
}

class Dropout extends Layer {
  private mask: Tensor;
  private u: Tensor;
  constructor(ctx: Ctx, index: number, inp: Act, readonly rate: number, needDx: boolean) {
    super(ctx, index, inp, inp, needDx);
    this.mask = ctx.arena.tensor(ctx.maxBatch * rowsPerImage(inp), colsOf(inp));
    this.u = ctx.arena.tensor(ctx.maxBatch * rowsPerImage(inp), colsOf(inp));
  }
  forward(x: Tensor, n: number, train: boolean, step: number): Tensor {
    // test mode of inverted dropout is the identity
    if (!train) return x;
    // stream = 1000 + layer index; the 64-bit counter's high word is the training step, so every
    // step draws fresh variates and any step's mask can be recomputed on its own
    this.ctx.ex.convnetDropoutForward(this.y.ptr, this.mask.ptr, this.u.ptr, x.ptr, n * rowsPerImage(this.inp), colsOf(this.inp), this.rate, this.ctx.seed, STREAM_DROPOUT + this.index, 0, step >>> 0);
    return this.y;
  }
  backward(_x: Tensor, dy: Tensor, n: number): void {
    if (this.dx) this.ctx.ex.convnetDropoutBackward(this.dx.ptr, dy.ptr, this.mask.ptr, n * rowsPerImage(this.inp), colsOf(this.inp));
  }
}

const STREAM_WEIGHTS = 0;
const STREAM_DROPOUT = 1000;
const STREAM_ACTIONS = 2000;

const EXPORTS = [
  "convnetConvForward", "convnetConvBackward", "convnetLocalForward", "convnetLocalBackward",
  "convnetDenseForward", "convnetDenseBackward", "convnetReluForward", "convnetReluBackward",
  "convnetDropoutForward", "convnetDropoutBackward", "convnetBatchNormTrain", "convnetBatchNormTest",
  "convnetBatchNormBackward", "brainpropSelect", "brainpropError", "convnetSoftmaxXent", "convnetGreedyCorrect",
  "gaussian", "uniform", "allFinite",
];

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

export class BrainPropNet implements TrainableModel {
  readonly kind = "brainprop";
  readonly inputSize: number;
  readonly outputSize: number;
  readonly maxBatch: number;
  readonly cfg: BrainPropConfig;
  readonly layers: Layer[];
  private readonly arena: Arena;
  private readonly ex: Record<string, Fn>;
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

  constructor(core: Core, config: Record<string, unknown> = {}) {
    const cfg = brainpropConfig(config);
    this.cfg = cfg;
    const ex: Record<string, Fn> = {};
    for (const name of EXPORTS) ex[name] = core.fn<Fn>(name);
    this.ex = ex;
    const [H, W, C] = cfg.input;
    this.inputSize = H * W * C;
    this.outputSize = cfg.classes;
    this.maxBatch = cfg.maxBatch;
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
    if (this.disposed) throw new ValueError("brainprop: model used after dispose()");
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
    if (batch.x.length < batch.n * this.inputSize) throw new ShapeError(`brainprop: batch.x has ${batch.x.length} values, expected ${batch.n}×${this.inputSize}`);
    if (!batch.labels || batch.labels.length < batch.n) throw new ShapeError("brainprop: batch.labels must hold a class label per example (classification data)");
  }

  private loadLabels(labels: Int32Array, n: number): void {
    const v = this.labels.peek();
    for (let i = 0; i < n; i++) {
      const c = labels[i];
      if (!Number.isInteger(c) || c < 0 || c >= this.outputSize) throw new ValueError(`brainprop: batch.labels[${i}] = ${c}, expected 0…${this.outputSize - 1}`);
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
    if (actions.length < batch.n) throw new ShapeError(`brainprop: actions must have ${batch.n} entries, got ${actions.length}`);
    for (let i = 0; i < batch.n; i++) {
      if (!Number.isInteger(actions[i]) || actions[i] < 0 || actions[i] >= this.outputSize) throw new ValueError(`brainprop: actions[${i}] = ${actions[i]}, expected 0…${this.outputSize - 1}`);
    }
    this.trainStep(batch, actions);
  }

  private trainStep(batch: Batch, actions?: ArrayLike<number>): void {
    this.live();
    this.checkBatch(batch);
    const n = batch.n;
    this.loadInput(batch.x, 0, n);
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
    if (x.length < n * this.inputSize) throw new ShapeError(`brainprop: predict: x has ${x.length} values, expected ${n}×${this.inputSize}`);
    const k = this.outputSize;
    const res = out ?? new Float32Array(n * k);
    if (res.length < n * k) throw new ShapeError(`brainprop: predict: out has ${res.length} values, expected ${n}×${k}`);
    for (let o = 0; o < n; o += this.maxBatch) {
      const m = Math.min(this.maxBatch, n - o);
      this.loadInput(x, o, m);
      const q = this.forward(m, false);
      const v = q.peek();
      for (let i = 0; i < m; i++) res.set(v.subarray(i * q.stride, i * q.stride + k), (o + i) * k);
    }
    return res;
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
      if (a.shape.length !== shape.length || a.shape.some((d, i) => d !== shape[i])) throw new ShapeError(`brainprop: state '${name}' has shape [${a.shape}], expected [${shape}]`);
      if (!(a.data instanceof Float32Array)) throw new ShapeError(`brainprop: state '${name}' must be float32`);
    }
    const st = state["rng.step"];
    if (!st || st.data.length !== 1) throw new ShapeError("brainprop: state has no 'rng.step' (one u32)");
    for (const [name, { t }] of Object.entries(named)) t.write(state[name].data);
    this.step = Number(st.data[0]);
  }

  config(): Record<string, unknown> {
    const c = this.cfg;
    return { rule: c.rule, input: [...c.input], classes: c.classes, net: c.net, layers: c.layers.map((l) => ({ ...l })), epsilon: c.epsilon, lr: c.lr, initStd: c.initStd, bnMomentum: c.bnMomentum, bnEps: c.bnEps, maxBatch: c.maxBatch, seed: c.seed };
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

export const brainpropFactory: ModelFactory = {
  kind: "brainprop",
  description: "BrainProp (PBR20): reward-based, attention-gated learning of linear action values; rule bp = backprop with softmax cross-entropy on the same net",
  create: (core, config) => new BrainPropNet(core, config),
  options: {
    rule: "brainprop (default) | bp",
    net: "dense (784-1500-1000-500-10) | conv (default) | local | custom (with layers=[…])",
    layers: 'hidden layers as JSON, e.g. [{"type":"conv","filters":32,"stride":1,"padding":"same"},{"type":"relu"}]',
    input: "input image shape [H,W,C] (default [28,28,1]; CIFAR-10 [32,32,3])",
    classes: "number of classes (default 10)",
    epsilon: "exploration probability ε (default 0.02)",
    lr: "SGD learning rate (default 0.1)",
    initStd: "weights N(0, initStd²) (default 0.005; 0.01 for net=dense)",
    bnMomentum: "batch-norm running-statistics momentum (default 0.01)",
    bnEps: "batch-norm ε (default 1e-3)",
    arch: "[inputs, hidden…, classes] (also --arch): a dense ReLU net of these sizes, used when neither net nor layers is set",
  },
};

registerModel(brainpropFactory);
