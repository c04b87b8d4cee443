// `dendritic bench elementwise`: ns per element of the elementwise and noise kernels at the sizes the
// models use — one 500-unit layer (1×500, a step of the Euler simulation) and a mini-batch of 10
// (10×500) — on every variant (--simd builds × --threads counts; these kernels are not split over
// threads) beside a plain JavaScript baseline, measured in one process. Each round runs every case
// once, in turn, so all see the same machine noise; samples are pooled over the rounds. WebAssembly cases call the raw exports (what model code in
// AssemblyScript calls), so the numbers exclude the TypeScript wrappers' argument checks.
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

const KERNELS = [
  "logistic",
  "logisticGrad",
  "softRect",
  "tanh",
  "relu",
  "compartmentStep",
  "lowpass",
  "axpy",
  "gaussian",
  "uniform",
  "sumAbs",
  "allFinite",
] as const;
type Kernel = (typeof KERNELS)[number];
const SHAPES: [number, number][] = [
  [1, 500],
  [10, 500],
];
// SCBS18 (docs/model.md §1.9): dt, g_lk, g_B, g_A, σ; soft rectifier γ, β, θ; τ_w = 30 ms
const DT = 0.1,
  GL = 0.1,
  GB = 1,
  GA = 0.8,
  SIGMA = 0.1,
  GAMMA = 0.1,
  BETA = 1,
  THETA = 3,
  A_LP = DT / 30;

type Raw = (...args: number[]) => number | void;

/** The kernel call through the raw export on tensors allocated once. */
function wasmCase(core: Core, k: Kernel, rows: number, cols: number): () => void {
  const arena = core.arena();
  const next = mulberry32(42);
  const t = () =>
    arena.from(
      rows,
      cols,
      Array.from({ length: rows * cols }, () => 8 * next() - 4),
    );
  const [y, x, v, w] = [t(), t(), t(), t()];
  const f = (name: string) => core.fn<Raw>(name);
  let counter = 0;
  switch (k) {
    case "logistic": {
      const g = f("logistic");
      return () => g(y.ptr, x.ptr, rows, cols);
    }
    case "logisticGrad": {
      const g = f("logisticGrad");
      return () => g(y.ptr, x.ptr, rows, cols);
    }
    case "softRect": {
      const g = f("softRect");
      return () => g(y.ptr, x.ptr, rows, cols, GAMMA, BETA, THETA);
    }
    case "tanh": {
      const g = f("tanhAct");
      return () => g(y.ptr, x.ptr, rows, cols);
    }
    case "relu": {
      const g = f("relu");
      return () => g(y.ptr, x.ptr, rows, cols);
    }
    case "compartmentStep": {
      const g = f("compartmentStep");
      return () => g(y.ptr, x.ptr, v.ptr, w.ptr, rows, cols, DT, GL, GB, GA, SIGMA);
    }
    case "lowpass": {
      const g = f("lowpass");
      return () => g(y.ptr, x.ptr, rows, cols, A_LP);
    }
    case "axpy": {
      const g = f("axpy");
      return () => g(y.ptr, x.ptr, rows, cols, 1e-7);
    }
    case "gaussian": {
      const g = f("gaussian");
      return () => {
        g(w.ptr, rows, cols, 1, 0, counter >>> 0, 0);
        counter += rows * cols;
      };
    }
    case "uniform": {
      const g = f("uniform");
      return () => {
        g(w.ptr, rows, cols, 1, 0, counter >>> 0, 0, 0, 1);
        counter += rows * cols;
      };
    }
    case "sumAbs": {
      const g = f("sumAbs");
      return () => void g(x.ptr, rows, cols);
    }
    case "allFinite": {
      const g = f("allFinite");
      return () => void g(x.ptr, rows, cols);
    }
  }
}

// ---- plain JavaScript baseline: Float32Array in the same padded layout, straightforward loops ----

/** Gaussian baseline: Box–Muller on Math.random, the usual way to draw normal noise in JavaScript. */
function jsGaussian(y: Float32Array, rows: number, cols: number): void {
  const st = ceil4(cols);
  let spare = NaN;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (!Number.isNaN(spare)) {
        y[r * st + c] = spare;
        spare = NaN;
        continue;
      }
      const rad = Math.sqrt(-2 * Math.log(1 - Math.random()));
      const th = 2 * Math.PI * Math.random();
      y[r * st + c] = rad * Math.cos(th);
      spare = rad * Math.sin(th);
    }
  }
}

function jsCase(k: Kernel, rows: number, cols: number): () => void {
  const next = mulberry32(42);
  const st = ceil4(cols);
  const t = () => {
    const a = new Float32Array(rows * st);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) a[r * st + c] = 8 * next() - 4;
    return a;
  };
  const [y, x, v, w] = [t(), t(), t(), t()];
  // one explicit loop per kernel (a shared loop with a callback would measure the call, not the math)
  switch (k) {
    case "logistic":
      return () => {
        for (let r = 0; r < rows; r++) for (let i = r * st, e = i + cols; i < e; i++) y[i] = 1 / (1 + Math.exp(-x[i]));
      };
    case "logisticGrad":
      return () => {
        for (let r = 0; r < rows; r++)
          for (let i = r * st, e = i + cols; i < e; i++) {
            const s = 1 / (1 + Math.exp(-x[i]));
            y[i] = s * (1 - s);
          }
      };
    case "softRect":
      return () => {
        for (let r = 0; r < rows; r++)
          for (let i = r * st, e = i + cols; i < e; i++) {
            const z = BETA * (x[i] - THETA);
            y[i] = GAMMA * (Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))));
          }
      };
    case "tanh":
      return () => {
        for (let r = 0; r < rows; r++) for (let i = r * st, e = i + cols; i < e; i++) y[i] = Math.tanh(x[i]);
      };
    case "relu":
      return () => {
        for (let r = 0; r < rows; r++) for (let i = r * st, e = i + cols; i < e; i++) y[i] = Math.max(x[i], 0);
      };
    case "compartmentStep":
      return () => {
        for (let r = 0; r < rows; r++)
          for (let i = r * st, e = i + cols; i < e; i++) {
            const u = y[i];
            y[i] = u + DT * (-GL * u + GB * (x[i] - u) + GA * (v[i] - u) + SIGMA * w[i]);
          }
      };
    case "lowpass":
      return () => {
        for (let r = 0; r < rows; r++) for (let i = r * st, e = i + cols; i < e; i++) y[i] += A_LP * (x[i] - y[i]);
      };
    case "axpy":
      return () => {
        for (let r = 0; r < rows; r++) for (let i = r * st, e = i + cols; i < e; i++) y[i] += 1e-7 * x[i];
      };
    case "gaussian":
      return () => jsGaussian(w, rows, cols);
    case "uniform":
      return () => {
        for (let r = 0; r < rows; r++) for (let i = r * st, e = i + cols; i < e; i++) w[i] = Math.random();
      };
    case "sumAbs": {
      const sink = new Float64Array(1);
      return () => {
        let s = 0;
        for (let r = 0; r < rows; r++) for (let i = r * st, e = i + cols; i < e; i++) s += Math.abs(x[i]);
        sink[0] += s;
      };
    }
    case "allFinite": {
      const sink = new Int32Array(1);
      return () => {
        let ok = 1;
        for (let r = 0; r < rows; r++) for (let i = r * st, e = i + cols; i < e; i++) if (!Number.isFinite(x[i])) ok = 0;
        sink[0] += ok;
      };
    }
  }
}

// ---- running ----

export interface ElementwiseBenchOptions {
  quick?: boolean;
  /**
   * "wall" (default): benny's wall-clock samples. "cpu": this process's CPU time per sample
   * (process.cpuUsage), which leaves out time the process spends descheduled — steadier on a
   * machine shared with other jobs, still affected by cache and core sharing.
   */
  clock?: "wall" | "cpu";
  /** Rounds over all cases (default 3; 1 when quick). */
  rounds?: number;
  kernels?: string[];
  /** Builds (default relaxed, simd, scalar) and thread counts (default 1; these kernels run on the calling thread). */
  simd?: string;
  threads?: string;
  /** Plain JavaScript beside them (default true). */
  js?: boolean;
  log?: (line: string) => void;
}

export async function benchElementwise(options: ElementwiseBenchOptions = {}): Promise<{ results: BenchResult[]; load: number[] }> {
  const quick = options.quick ?? false;
  const rounds = options.rounds ?? (quick ? 1 : 3);
  const kernels = (options.kernels ?? [...KERNELS]) as Kernel[];
  for (const k of kernels) if (!KERNELS.includes(k)) throw new ValueError(`kernel must be one of ${KERNELS.join(", ")}; got ${k}`);
  const load = os.loadavg();
  const variants = await openVariants(parseBuilds(options.simd ?? "relaxed,simd,scalar"), parseThreads(options.threads ?? "1"), options.log);
  try {
    const cases: Case[] = [];
    const push = (kernel: Kernel, shape: [number, number], build: string, threads: number, fn: () => void) => {
      for (let i = 0; i < 50; i++) fn(); // warm-up (tier-up to optimised code)
      const t0 = performance.now();
      for (let i = 0; i < 50; i++) fn();
      const once = (performance.now() - t0) / 50 / 1000;
      // ≥ 5 ms of calls per CPU-clock sample
      cases.push({
        case: `${kernel} ${shape.join("×")}`,
        build,
        threads,
        unit: "ns/element",
        units: shape[0] * shape[1],
        time: 1e9,
        step: fn,
        minSamples: 10,
        maxTime: 0.25,
        calls: Math.max(1, Math.ceil(0.005 / Math.max(once, 1e-8))),
      });
    };
    for (const kernel of kernels) {
      for (const shape of SHAPES) {
        for (const v of variants) push(kernel, shape, v.build, v.threads, wasmCase(v.core, kernel, ...shape));
        if (options.js ?? true) push(kernel, shape, "js", 1, jsCase(kernel, ...shape));
      }
    }
    return { results: await runInterleaved("elementwise", cases, { rounds, quick, clock: options.clock, log: options.log }), load };
  } finally {
    closeVariants(variants);
  }
}

export const elementwiseSuite: BenchSuite = {
  name: "elementwise",
  description: "ns per element of the elementwise and noise kernels (relaxed, simd and scalar builds, plain JS) at 1×500 and 10×500",
  options(cmd) {
    cmd
      .option("--rounds <n>", "rounds over all cases, interleaved (default 3, 1 with --quick)")
      .option("--kernel <names>", `comma-separated subset: ${KERNELS.join(",")}`)
      .option("--no-js", "leave out the plain-JavaScript loops")
      .option("--clock <kind>", "wall (benny, default) or cpu (process CPU time: steadier on a shared machine)", "wall");
    variantOptions(cmd);
  },
  async run(opts) {
    const rounds = parseRounds(opts.rounds) ?? (opts.quick ? 1 : 3);
    const { results, load } = await benchElementwise({
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
