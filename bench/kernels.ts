// `dendritic bench kernels`: GFLOP/s of the linear-algebra kernels at the sizes the models use, on
// every variant (--simd builds × --threads counts) beside a plain JavaScript baseline, measured in
// one process; each round runs every case once, in turn, so all see the same machine noise
// (bench/variants.ts). With more than one thread, `peak` runs the register-only loop on every
// thread at once (the ceiling of any parallel kernel), and `handoff` times an empty job handed to
// the pool and waited for: the synchronisation a parallel kernel pays per call.
//
// Shapes are those of the matrix product (M×K)·(K×N) written [M, K, N]: gemmNT [b, n, m] computes
// Y = X Wᵀ with X b×n and W m×n; gemmNN [b, m, n] computes Y = X W with W m×n. Matrix-vector and
// rank-1 shapes are W's [m, n]; rank-k is [k, m, n]. FLOPs are counted as 2 per multiply-add.
import os from "node:os";
import { ceil4, mulberry32, ValueError, type Core } from "dendritic";
import { parseList, parseRounds, type BenchSuite } from "./suite.js";
import {
  closeVariants,
  machine,
  openVariants,
  parseBuilds,
  parseThreads,
  report,
  runInterleaved,
  variantOptions,
  type BenchResult,
  type Case,
} from "./variants.js";

/** Benchmark operands: mulberry32 mapped to [−1, 1), so every implementation sees the same numbers. */
function signed(seed: number): () => number {
  const u = mulberry32(seed);
  return () => 2 * u() - 1;
}

type Kind = "gemmNT" | "gemmNN" | "gemv" | "gemvT" | "ger" | "gerK" | "peak";

interface Workload {
  kernel: Kind;
  /** What the row stands for in the table. */
  label: string;
  shape: number[];
  flops: number;
}

/** The kernel workloads at the sizes of a 784-500-500-10 network with mini-batches of 10. */
function workloads(): Workload[] {
  const nt = (label: string, bsz: number, n: number, m: number): Workload => ({ kernel: "gemmNT", label, shape: [bsz, n, m], flops: 2 * bsz * n * m });
  const nn = (label: string, bsz: number, m: number, n: number): Workload => ({ kernel: "gemmNN", label, shape: [bsz, m, n], flops: 2 * bsz * m * n });
  return [
    nt("Y = X Wᵀ", 10, 784, 500),
    nt("Y = X Wᵀ", 10, 500, 500),
    nt("Y = X Wᵀ", 10, 500, 10),
    nn("Y = X W", 10, 784, 500),
    nn("Y = X W", 10, 500, 500),
    nn("Y = X W", 10, 500, 10),
    nn("dX = dY W", 10, 500, 784),
    { kernel: "gemv", label: "y = W x", shape: [500, 784], flops: 2 * 500 * 784 },
    { kernel: "gemvT", label: "y = Wᵀ x", shape: [500, 784], flops: 2 * 500 * 784 },
    { kernel: "ger", label: "W += η a cᵀ", shape: [500, 784], flops: 2 * 500 * 784 },
    { kernel: "gerK", label: "W += η Aᵀ C", shape: [10, 500, 784], flops: 2 * 10 * 500 * 784 },
    nt("Y = X Wᵀ", 1024, 1024, 1024),
    nn("Y = X W", 1024, 1024, 1024),
    // The ceiling: multiply-adds on registers only (assembly/kernels/peak.ts), 96 FLOPs per step.
    { kernel: "peak", label: "c ← c·a + b, registers only", shape: [PEAK_STEPS], flops: 96 * PEAK_STEPS },
  ];
}

/** Steps of the register-only ceiling loop per call (≈ 10 MFLOP). */
const PEAK_STEPS = 100_000;
const PEAK_A = 0.999,
  PEAK_B = 0.001; // c → b/(1 − a) = 1: finite and normal for any number of steps

/** Operand shapes (rows, cols) of a workload: [output, input1, input2] in the kernel's argument order. */
function operands(w: Workload): [number, number][] {
  const s = w.shape;
  switch (w.kernel) {
    case "gemmNT":
      return [
        [s[0], s[2]],
        [s[0], s[1]],
        [s[2], s[1]],
      ]; // Y b×m, X b×n, W m×n
    case "gemmNN":
      return [
        [s[0], s[2]],
        [s[0], s[1]],
        [s[1], s[2]],
      ]; // Y b×n, X b×m, W m×n
    case "gemv":
      return [
        [1, s[0]],
        [s[0], s[1]],
        [1, s[1]],
      ]; // y, W, x
    case "gemvT":
      return [
        [1, s[1]],
        [s[0], s[1]],
        [1, s[0]],
      ];
    case "ger":
      return [
        [s[0], s[1]],
        [1, s[0]],
        [1, s[1]],
      ]; // W, a, c
    case "gerK":
      return [
        [s[1], s[2]],
        [s[0], s[1]],
        [s[0], s[2]],
      ]; // W, A, C
    case "peak":
      return [];
  }
}

// Small, finite, non-growing learning rate so thousands of in-place updates stay in range.
const ETA = 1e-7;

/** The WebAssembly kernel call, through the raw export (no per-call wrapper checks). */
function wasmCase(core: Core, w: Workload, threads: number): () => void {
  if (w.kernel === "peak") {
    const f = core.fn<(iters: number, a: number, b: number) => number>(threads > 1 ? "simdPeakThreads" : "simdPeak");
    return () => f(w.shape[0], PEAK_A, PEAK_B);
  }
  const arena = core.arena();
  const next = signed(42);
  const [o, p, q] = operands(w).map(([r, c]) => arena.from(r, c, Array.from({ length: r * c }, next)));
  const s = w.shape;
  switch (w.kernel) {
    case "gemmNT": {
      const f = core.fn<(Y: number, X: number, W: number, b: number, m: number, n: number, acc: number) => void>("gemmNT");
      return () => f(o.ptr, p.ptr, q.ptr, s[0], s[2], s[1], 0);
    }
    case "gemmNN": {
      const f = core.fn<(Y: number, X: number, W: number, b: number, m: number, n: number, acc: number) => void>("gemmNN");
      return () => f(o.ptr, p.ptr, q.ptr, s[0], s[1], s[2], 0);
    }
    case "gemv":
    case "gemvT": {
      const f = core.fn<(y: number, W: number, x: number, m: number, n: number, acc: number) => void>(w.kernel);
      return () => f(o.ptr, p.ptr, q.ptr, s[0], s[1], 0);
    }
    case "ger": {
      const f = core.fn<(W: number, a: number, c: number, m: number, n: number, eta: number) => void>("ger");
      return () => f(o.ptr, p.ptr, q.ptr, s[0], s[1], ETA);
    }
    case "gerK": {
      const f = core.fn<(W: number, A: number, C: number, k: number, m: number, n: number, eta: number) => void>("gerK");
      return () => f(o.ptr, p.ptr, q.ptr, s[0], s[1], s[2], ETA);
    }
  }
}

// ---- the plain JavaScript baseline: Float32Array, the same padded layout, straightforward loops ----

function padded(rows: number, cols: number, next: () => number): Float32Array {
  const st = ceil4(cols);
  const a = new Float32Array(rows * st);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) a[r * st + c] = next();
  return a;
}

/** Y (b×m) = X (b×n) · Wᵀ: W rows outer, rows of X, dot product innermost (the kernel's order). */
function jsGemmNT(Y: Float32Array, X: Float32Array, W: Float32Array, bsz: number, m: number, n: number): void {
  const sx = ceil4(n),
    sy = ceil4(m);
  for (let i = 0; i < m; i++) {
    for (let r = 0; r < bsz; r++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += X[r * sx + k] * W[i * sx + k];
      Y[r * sy + i] = s;
    }
  }
}

/** Y (b×n) = X (b×m) · W: rows of X, then Y[r, :] += X[r, i] W[i, :] (row-wise axpy). */
function jsGemmNN(Y: Float32Array, X: Float32Array, W: Float32Array, bsz: number, m: number, n: number): void {
  const sx = ceil4(m),
    sw = ceil4(n);
  for (let r = 0; r < bsz; r++) {
    const yo = r * sw;
    for (let j = 0; j < n; j++) Y[yo + j] = 0;
    for (let i = 0; i < m; i++) {
      const a = X[r * sx + i];
      const wo = i * sw;
      for (let j = 0; j < n; j++) Y[yo + j] += a * W[wo + j];
    }
  }
}

function jsGemv(y: Float32Array, W: Float32Array, x: Float32Array, m: number, n: number): void {
  const sw = ceil4(n);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += W[i * sw + k] * x[k];
    y[i] = s;
  }
}

function jsGemvT(y: Float32Array, W: Float32Array, x: Float32Array, m: number, n: number): void {
  const sw = ceil4(n);
  for (let j = 0; j < n; j++) y[j] = 0;
  for (let i = 0; i < m; i++) {
    const a = x[i];
    for (let j = 0; j < n; j++) y[j] += a * W[i * sw + j];
  }
}

function jsGer(W: Float32Array, a: Float32Array, c: Float32Array, m: number, n: number, eta: number): void {
  const sw = ceil4(n);
  for (let i = 0; i < m; i++) {
    const s = eta * a[i];
    for (let j = 0; j < n; j++) W[i * sw + j] += s * c[j];
  }
}

/** W (m×n) += eta Aᵀ C: rows of W outer, then each of the k rank-1 terms on that row. */
function jsGerK(W: Float32Array, A: Float32Array, C: Float32Array, k: number, m: number, n: number, eta: number): void {
  const sw = ceil4(n),
    sa = ceil4(m);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const s = eta * A[p * sa + i];
      for (let j = 0; j < n; j++) W[i * sw + j] += s * C[p * sw + j];
    }
  }
}

/** The ceiling loop in plain JavaScript: the same 48 chains as the scalar twin (12 chains × 4 steps). */
function jsPeak(steps: number, a: number, b: number): number {
  let c0 = 0.1,
    c1 = 0.2,
    c2 = 0.3,
    c3 = 0.4,
    c4 = 0.5,
    c5 = 0.6,
    c6 = 0.7,
    c7 = 0.8,
    c8 = 0.9,
    c9 = 1.0,
    c10 = 1.1,
    c11 = 1.2;
  for (let i = 0; i < steps * 4; i++) {
    c0 = c0 * a + b;
    c1 = c1 * a + b;
    c2 = c2 * a + b;
    c3 = c3 * a + b;
    c4 = c4 * a + b;
    c5 = c5 * a + b;
    c6 = c6 * a + b;
    c7 = c7 * a + b;
    c8 = c8 * a + b;
    c9 = c9 * a + b;
    c10 = c10 * a + b;
    c11 = c11 * a + b;
  }
  return c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
}

function jsCase(w: Workload): () => void {
  if (w.kernel === "peak") return () => jsPeak(w.shape[0], PEAK_A, PEAK_B);
  const next = signed(42);
  const [o, p, q] = operands(w).map(([r, c]) => padded(r, c, next));
  const s = w.shape;
  switch (w.kernel) {
    case "gemmNT":
      return () => jsGemmNT(o, p, q, s[0], s[2], s[1]);
    case "gemmNN":
      return () => jsGemmNN(o, p, q, s[0], s[1], s[2]);
    case "gemv":
      return () => jsGemv(o, p, q, s[0], s[1]);
    case "gemvT":
      return () => jsGemvT(o, p, q, s[0], s[1]);
    case "ger":
      return () => jsGer(o, p, q, s[0], s[1], ETA);
    case "gerK":
      return () => jsGerK(o, p, q, s[0], s[1], s[2], ETA);
  }
}

// ---- running ----

export interface KernelBenchOptions {
  /** Shorter runs: 1 round and short sampling (smoke test; noisier numbers). */
  quick?: boolean;
  /** Rounds over all cases (default 5; 1 when quick). */
  rounds?: number;
  /** Only workloads whose kernel name is listed (default all; "handoff" is the pool's hand-off). */
  kernels?: string[];
  /** Builds (default relaxed, simd, scalar) and thread counts (default 1). */
  simd?: string;
  threads?: string;
  /** Plain JavaScript beside them (default true). */
  js?: boolean;
  /** Called with a progress line per round. */
  log?: (line: string) => void;
  /**
   * "wall" (default): benny (benchmark.js) samples of elapsed time. "cpu": samples of this
   * process's CPU time (process.cpuUsage) around batches of calls, for a machine shared with other
   * jobs, where elapsed time counts the time slices other processes run in (one thread only).
   */
  clock?: "wall" | "cpu";
}

/** Calls of poolNop per sample of the hand-off case. */
const HANDOFFS = 1000;

export async function benchKernels(options: KernelBenchOptions = {}): Promise<{ results: BenchResult[]; load: number[] }> {
  const quick = options.quick ?? false;
  const rounds = options.rounds ?? (quick ? 1 : 5);
  const clock = options.clock ?? "wall";
  if (clock !== "wall" && clock !== "cpu") throw new ValueError(`clock must be wall or cpu, got ${String(clock)}`);
  let loads = workloads();
  const known = [...new Set(loads.map((w) => w.kernel as string)), "handoff"];
  for (const k of options.kernels ?? []) if (!known.includes(k)) throw new ValueError(`kernel must be one of ${known.join(", ")}; got ${k}`);
  if (options.kernels) loads = loads.filter((w) => options.kernels!.includes(w.kernel));
  const handoff = !options.kernels || options.kernels.includes("handoff");
  const builds = parseBuilds(options.simd ?? "relaxed,simd,scalar");
  const threads = parseThreads(options.threads ?? "1");
  const load = os.loadavg();
  const variants = await openVariants(builds, threads, options.log);
  try {
    const cases: Case[] = [];
    const add = (w: Workload, build: string, nThreads: number, fn: () => void) => {
      // One timed call decides the sampling: slow cases (the 1024³ JS and scalar products) get
      // fewer, single-call samples so a full run stays within minutes.
      fn();
      const t0 = performance.now();
      fn();
      const once = (performance.now() - t0) / 1000;
      const slow = once > 0.05;
      // Batches of ≥ 20 ms of calls with the CPU clock (its tick is the scheduler's, ms).
      const calls = Math.max(1, Math.round(0.02 / Math.max(once, 1e-7)));
      const peakThreads = w.kernel === "peak" ? nThreads : 1;
      cases.push({
        case: `${w.kernel} ${w.shape.join("×")}`,
        build,
        threads: nThreads,
        unit: "GFLOP/s",
        units: (w.flops * peakThreads) / 1e9,
        step: fn,
        minSamples: slow ? 2 : clock === "cpu" ? 10 : 5,
        maxTime: slow ? 0 : 0.5,
        calls: slow ? 1 : calls,
      });
    };
    for (const w of loads) {
      for (const v of variants) add(w, v.build, v.threads, wasmCase(v.core, w, v.threads));
      if (options.js ?? true) add(w, "js", 1, jsCase(w));
    }
    if (handoff) {
      for (const v of variants) {
        if (v.threads < 2) continue;
        // The pool's synchronisation alone: an empty job handed to every thread and waited for.
        const nop = v.core.exports.poolNop;
        cases.push({
          case: "handoff (empty job)",
          build: v.build,
          threads: v.threads,
          unit: "µs/hand-off",
          units: HANDOFFS,
          time: 1e6,
          step: () => nop(HANDOFFS),
          minSamples: 10,
          calls: 10,
        });
      }
    }
    return { results: await runInterleaved("kernels", cases, { rounds, quick, clock, log: options.log }), load };
  } finally {
    closeVariants(variants);
  }
}

export const kernelsSuite: BenchSuite = {
  name: "kernels",
  description:
    "GFLOP/s of the linear-algebra kernels (relaxed, simd and scalar builds, plain JS) at the model sizes and 1024³, the register-only peak, and the pool's hand-off",
  options(cmd) {
    cmd
      .option("--rounds <n>", "rounds over all cases, interleaved (default 5, 1 with --quick)")
      .option("--kernel <names>", "comma-separated subset: gemmNT,gemmNN,gemv,gemvT,ger,gerK,peak,handoff")
      .option("--no-js", "leave out the plain-JavaScript loops")
      .option("--clock <kind>", "wall (benny, default) or cpu (process CPU time; for a shared, loaded machine; one thread only)", "wall");
    variantOptions(cmd);
  },
  async run(opts) {
    const rounds = parseRounds(opts.rounds) ?? (opts.quick ? 1 : 5);
    const { results, load } = await benchKernels({
      quick: Boolean(opts.quick),
      rounds,
      kernels: parseList(opts.kernel),
      simd: opts.simd as string,
      threads: opts.threads as string,
      js: opts.js !== false,
      clock: opts.clock as "wall" | "cpu",
    });
    await report(results, machine(opts.clock as "wall" | "cpu", rounds, load), opts.json);
  },
};
