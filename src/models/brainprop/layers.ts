// The layers of the BrainProp networks (docs/model.md §3): dense, convolutional or locally
// connected, ReLU, batch normalisation, dropout. Each runs in the WebAssembly core
// (assembly/models/brainprop/), one call per layer step and mini-batch.
import type { Arena, Tensor } from "../../core/arena.js";
import type { CoreExports } from "../../core/wasm.js";
import { ShapeError, ValueError } from "../../core/errors.js";
import type { LayerSpec, Padding } from "./params.js";

const ceil4 = (n: number) => (n + 3) & ~3;

export const STREAM_WEIGHTS = 0;
export const STREAM_DROPOUT = 1000;
export const STREAM_ACTIONS = 2000;

// ------------------------------------------------------------------------------------------------
// Activation layouts (assembly/kernels/conv.ts): "packed" images (one row per image, H·W·C floats)
// or one row per pixel (C floats, stride ceil4(C)). Dense outputs are 1×1 images with C = units.

export interface Act {
  h: number;
  w: number;
  c: number;
  packed: boolean;
}
export const rowsPerImage = (a: Act) => (a.packed ? 1 : a.h * a.w);
export const colsOf = (a: Act) => (a.packed ? a.h * a.w * a.c : a.c);
const pixStride = (a: Act) => (a.packed ? a.c : ceil4(a.c));
const imgStride = (a: Act) => (a.packed ? ceil4(a.h * a.w * a.c) : a.h * a.w * ceil4(a.c));
/** Floats per image seen by a dense layer (pixel padding lanes included, their weights kept 0). */
const flatLen = (a: Act) => (a.packed || a.h * a.w === 1 ? a.h * a.w * a.c : a.h * a.w * ceil4(a.c));

export interface Ctx {
  ex: CoreExports;
  arena: Arena;
  maxBatch: number;
  seed: number;
}

export abstract class Layer {
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

/** A 3×3 conv or local layer's stride, output sizes and padding; refuses an input smaller than the kernel. */
function convGeometry(spec: Extract<LayerSpec, { type: "conv" | "local" }>, inp: Act, index: number) {
  const stride = spec.stride ?? 1;
  const padding = spec.padding ?? "same";
  const ho = outSize(inp.h, stride, padding);
  const wo = outSize(inp.w, stride, padding);
  if (ho.o < 1 || wo.o < 1)
    throw new ShapeError(`brainprop: layers[${index}] (${spec.type} 3×3, ${padding}) needs an input of at least 3×3, got ${inp.h}×${inp.w}`);
  return { stride, ho, wo };
}

/**
 * What a layer's constructor below allocates, without allocating it: its output geometry, the
 * [rows, cols] of every tensor it creates, and the rows × cols of the shared patch-gradient scratch
 * it needs (0 rows: none). Used to refuse a network that cannot fit before anything is allocated;
 * the geometry checks are the constructors' own.
 */
export function layerPlan(
  inp: Act,
  spec: LayerSpec,
  index: number,
  maxBatch: number,
  needDx: boolean,
): { out: Act; shapes: [number, number][]; scratch: [number, number] } {
  const B = maxBatch;
  const io = (out: Act): [number, number][] => [
    [B * rowsPerImage(out), colsOf(out)],
    ...(needDx ? [[B * rowsPerImage(inp), colsOf(inp)] as [number, number]] : []),
  ];
  switch (spec.type) {
    case "conv":
    case "local": {
      const { ho, wo } = convGeometry(spec, inp, index);
      const out: Act = { h: ho.o, w: wo.o, c: spec.filters, packed: false };
      const P = ho.o * wo.o;
      const n = 9 * inp.c;
      return { out, shapes: [...io(out), [B * P, n], spec.type === "conv" ? [spec.filters, n] : [P * spec.filters, n]], scratch: needDx ? [B * P, n] : [0, 0] };
    }
    case "dense": {
      const out: Act = { h: 1, w: 1, c: spec.units, packed: false };
      return { out, shapes: [...io(out), [spec.units, flatLen(inp)], [spec.units, B]], scratch: [0, 0] };
    }
    case "relu":
      return { out: inp, shapes: io(inp), scratch: [0, 0] };
    case "batchnorm": {
      if (inp.packed && inp.h * inp.w > 1)
        throw new ShapeError(`brainprop: layers[${index}] (batchnorm) must follow a conv, local or dense layer, not the packed input image`);
      const c = inp.c;
      return { out: inp, shapes: [...io(inp), ...Array.from({ length: 9 }, () => [1, c] as [number, number]), [B * rowsPerImage(inp), c]], scratch: [0, 0] };
    }
    case "dropout":
      return { out: inp, shapes: [...io(inp), [B * rowsPerImage(inp), colsOf(inp)], [B * rowsPerImage(inp), colsOf(inp)]], scratch: [0, 0] };
  }
}

/** Shared scratch for the patch-gradient matrices of all spatial layers (used one layer at a time). */
export class Scratch {
  t: Tensor | null = null;
  need = 0;
}

export class Spatial extends Layer {
  readonly w: Tensor;
  readonly cols: Tensor;
  /** H, W, C, pixel stride, image stride, filters, stride, top pad, left pad, Ho, Wo (the kernels' geometry arguments). */
  private geo: [number, number, number, number, number, number, number, number, number, number, number];
  constructor(
    ctx: Ctx,
    index: number,
    inp: Act,
    readonly spec: Extract<LayerSpec, { type: "conv" | "local" }>,
    needDx: boolean,
    private scratch: Scratch,
  ) {
    const { stride, ho, wo } = convGeometry(spec, inp, index);
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
    this.ctx.ex.poolLayer(this.index); // names the layer in a worker thread's fault
    f(this.y.ptr, this.cols.ptr, x.ptr, this.w.ptr, n, ...this.geo);
    return this.y;
  }
  backward(_x: Tensor, dy: Tensor, n: number, eta: number): void {
    const f = this.spec.type === "conv" ? this.ctx.ex.convnetConvBackward : this.ctx.ex.convnetLocalBackward;
    this.ctx.ex.poolLayer(this.index);
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

export class Dense extends Layer {
  readonly w: Tensor;
  readonly n: number;
  /** units × maxBatch scratch for the transposed, scaled output gradient. */
  private dyT: Tensor;
  constructor(
    ctx: Ctx,
    index: number,
    inp: Act,
    readonly units: number,
    needDx: boolean,
  ) {
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
    this.ctx.ex.poolLayer(this.index);
    this.ctx.ex.convnetDenseForward(this.y.ptr, x.ptr, this.w.ptr, n, this.units, this.n);
    return this.y;
  }
  backward(x: Tensor, dy: Tensor, n: number, eta: number): void {
    this.ctx.ex.poolLayer(this.index);
    this.ctx.ex.convnetDenseBackward(this.dx ? this.dx.ptr : 0, this.dyT.ptr, this.w.ptr, dy.ptr, x.ptr, n, this.units, this.n, eta);
  }
  override params() {
    return { W: { t: this.w, shape: [this.units, this.n] } };
  }
}

export class Relu extends Layer {
  constructor(ctx: Ctx, index: number, inp: Act, needDx: boolean) {
    super(ctx, index, inp, inp, needDx);
  }
  forward(x: Tensor, n: number): Tensor {
    this.ctx.ex.poolLayer(this.index);
    this.ctx.ex.convnetReluForward(this.y.ptr, x.ptr, n * rowsPerImage(this.inp), colsOf(this.inp));
    return this.y;
  }
  backward(_x: Tensor, dy: Tensor, n: number): void {
    this.ctx.ex.poolLayer(this.index);
    if (this.dx) this.ctx.ex.convnetReluBackward(this.dx.ptr, dy.ptr, this.y.ptr, n * rowsPerImage(this.inp), colsOf(this.inp));
  }
}

export class BatchNorm extends Layer {
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
  constructor(
    ctx: Ctx,
    index: number,
    inp: Act,
    readonly momentum: number,
    readonly eps: number,
    needDx: boolean,
  ) {
    if (inp.packed && inp.h * inp.w > 1)
      throw new ShapeError(`brainprop: layers[${index}] (batchnorm) must follow a conv, local or dense layer, not the packed input image`);
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
    this.ctx.ex.poolLayer(this.index);
    if (train) {
      this.ctx.ex.convnetBatchNormTrain(
        this.y.ptr,
        this.xhat.ptr,
        this.mean.ptr,
        this.variance.ptr,
        this.invStd.ptr,
        this.runMean.ptr,
        this.runVar.ptr,
        x.ptr,
        this.gamma.ptr,
        this.beta.ptr,
        rows,
        c,
        this.eps,
        this.momentum,
      );
    } else {
      this.ctx.ex.convnetBatchNormTest(
        this.y.ptr,
        this.xhat.ptr,
        this.invStd.ptr,
        x.ptr,
        this.runMean.ptr,
        this.runVar.ptr,
        this.gamma.ptr,
        this.beta.ptr,
        rows,
        c,
        this.eps,
      );
    }
    return this.y;
  }
  backward(_x: Tensor, dy: Tensor, n: number, eta: number): void {
    const rows = n * rowsPerImage(this.inp);
    // dx is needed even for a first-layer BN's parameter gradients; write it to dgamma-sized scratch otherwise
    this.ctx.ex.poolLayer(this.index);
    this.ctx.ex.convnetBatchNormBackward(
      this.dx ? this.dx.ptr : this.xhat.ptr,
      this.dgamma.ptr,
      this.dbeta.ptr,
      this.gamma.ptr,
      this.beta.ptr,
      dy.ptr,
      this.xhat.ptr,
      this.invStd.ptr,
      rows,
      this.inp.c,
      eta,
    );
  }
  override params() {
    const c = this.inp.c;
    return {
      gamma: { t: this.gamma, shape: [c] },
      beta: { t: this.beta, shape: [c] },
      runMean: { t: this.runMean, shape: [c] },
      runVar: { t: this.runVar, shape: [c] },
    };
  }
}

export class Dropout extends Layer {
  private mask: Tensor;
  private u: Tensor;
  constructor(
    ctx: Ctx,
    index: number,
    inp: Act,
    readonly rate: number,
    needDx: boolean,
  ) {
    super(ctx, index, inp, inp, needDx);
    this.mask = ctx.arena.tensor(ctx.maxBatch * rowsPerImage(inp), colsOf(inp));
    this.u = ctx.arena.tensor(ctx.maxBatch * rowsPerImage(inp), colsOf(inp));
  }
  forward(x: Tensor, n: number, train: boolean, step: number): Tensor {
    // test mode of inverted dropout is the identity
    if (!train) return x;
    // stream = 1000 + layer index; the 64-bit counter's high word is the training step, so every
    // step draws fresh variates and any step's mask can be recomputed on its own
    this.ctx.ex.poolLayer(this.index);
    this.ctx.ex.convnetDropoutForward(
      this.y.ptr,
      this.mask.ptr,
      this.u.ptr,
      x.ptr,
      n * rowsPerImage(this.inp),
      colsOf(this.inp),
      this.rate,
      this.ctx.seed,
      STREAM_DROPOUT + this.index,
      0,
      step >>> 0,
    );
    return this.y;
  }
  backward(_x: Tensor, dy: Tensor, n: number): void {
    this.ctx.ex.poolLayer(this.index);
    if (this.dx) this.ctx.ex.convnetDropoutBackward(this.dx.ptr, dy.ptr, this.mask.ptr, n * rowsPerImage(this.inp), colsOf(this.inp));
  }
}
