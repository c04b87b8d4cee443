// `dendritic bench elementwise`: throughput (10⁹ elements/s) of the elementwise and noise kernels at
// the sizes the models use — one 500-unit layer (1×500, a step of the Euler simulation) and a
// mini-batch of 10 (10×500) — in every build (wasm-simd, wasm-scalar, wasm-relaxed where the
// runtime validates it) beside a plain JavaScript baseline, measured in one process. Each round
// runs every (kernel, shape, impl) case once, in turn, so all see the same machine noise; samples
// are pooled over the rounds. WebAssembly cases call the raw exports (what model code in
// AssemblyScript calls), so the numbers exclude the TypeScript wrappers' argument checks.
import { add, suite } from "benny";
import { writeFile } from "node:fs/promises";
import { ceil4, detectFeatures, init, mulberry32, ValueError, type Core, type Impl } from "dendritic";
import { alignColumns, parseRounds, type BenchSuite } from "./suite.js";

export type ElementwiseBenchImpl = Impl | "js";

export interface ElementwiseResult {
  kernel: string;
  shape: number[];
  impl: ElementwiseBenchImpl;
  /** 10⁹ logical elements per second. */
  gelemPerS: { median: number; min: number; max: number };
}

const KERNELS = ["logistic", "logisticGrad", "softRect", "tanh", "relu", "compartmentStep", "lowpass", "axpy", "gaussian", "uniform", "sumAbs", "allFinite"] as const;
type Kernel = (typeof KERNELS)[number];
const SHAPES: [number, number][] = [[1, 500], [10, 500]];
// SCBS18 (docs/model.md §1.9): dt, g_lk, g_B, g_A, σ; soft rectifier γ, β, θ; τ_w = 30 ms
const DT = 0.1, GL = 0.1, GB = 1, GA = 0.8, SIGMA = 0.1, GAMMA = 0.1, BETA = 1, THETA = 3, A_LP = DT / 30;

type Raw = (...args: number[]) => number | void;

/** The kernel call through the raw export on tensors allocated once. */
function wasmCase(core: Core, k: Kernel, rows: number, cols: number): () => void {
  const arena = core.arena();
  const next = mulberry32(42);
  const t = () => arena.from(rows, cols, Array.from({ length: rows * cols }, () => 8 * next() - 4));
  const [y, x, v, w] = [t(), t(), t(), t()];
  const f = (name: string) => core.fn<Raw>(name);
  let counter = 0;
  switch (k) {
    case "logistic": { const g = f("logistic"); return () => g(y.ptr, x.ptr, rows, cols); }
    case "logisticGrad": { const g = f("logisticGrad"); return () => g(y.ptr, x.ptr, rows, cols); }
    case "softRect": { const g = f("softRect"); return () => g(y.ptr, x.ptr, rows, cols, GAMMA, BETA, THETA); }
    case "tanh": { const g = f("tanhAct"); return () => g(y.ptr, x.ptr, rows, cols); }
    case "relu": { const g = f("relu"); return () => g(y.ptr, x.ptr, rows, cols); }
    case "compartmentStep": { const g = f("compartmentStep"); return () => g(y.ptr, x.ptr, v.ptr, w.ptr, rows, cols, DT, GL, GB, GA, SIGMA); }
    case "lowpass": { const g = f("lowpass"); return () => g(y.ptr, x.ptr, rows, cols, A_LP); }
    case "axpy": { const g = f("axpy"); return () => g(y.ptr, x.ptr, rows, cols, 1e-7); }
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
    case "sumAbs": { const g = f("sumAbs"); return () => void g(x.ptr, rows, cols); }
    case "allFinite": { const g = f("allFinite"); return () => void g(x.ptr, rows, cols); }
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
      return () => { for (let r = 0; r < rows; r++) for (let i = r * st, e = i + cols; i < e; i++) y[i] = 1 / (1 + Math.exp(-x[i])); };
    case "logisticGrad":
      return () => { for (let r = 0; r < rows; r++) for (let i = r * st, e = i + cols; i < e; i++) { const s = 1 / (1 + Math.exp(-x[i])); y[i] = s * (1 - s); } };
    case "softRect":
      return () => { for (let r = 0; r < rows; r++) for (let i = r * st, e = i + cols; i < e; i++) { const z = BETA * (x[i] - THETA); y[i] = GAMMA * (Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)))); } };
    case "tanh":
      return () => { for (let r = 0; r < rows; r++) for (let i = r * st, e = i + cols; i < e; i++) y[i] = Math.tanh(x[i]); };
    case "relu":
      return () => { for (let r = 0; r < rows; r++) for (let i = r * st, e = i + cols; i < e; i++) y[i] = Math.max(x[i], 0); };
    case "compartmentStep":
      return () => { for (let r = 0; r < rows; r++) for (let i = r * st, e = i + cols; i < e; i++) { const u = y[i]; y[i] = u + DT * (-GL * u + GB * (x[i] - u) + GA * (v[i] - u) + SIGMA * w[i]); } };
    case "lowpass":
      return () => { for (let r = 0; r < rows; r++) for (let i = r * st, e = i + cols; i < e; i++) y[i] += A_LP * (x[i] - y[i]); };
    case "axpy":
      return () => { for (let r = 0; r < rows; r++) for (let i = r * st, e = i + cols; i < e; i++) y[i] += 1e-7 * x[i]; };
    case "gaussian":
      return () => jsGaussian(w, rows, cols);
    case "uniform":
      return () => { for (let r = 0; r < rows; r++) for (let i = r * st, e = i + cols; i < e; i++) w[i] = Math.random(); };
    case "sumAbs": {
      const sink = new Float64Array(1);
      return () => { let s = 0; for (let r = 0; r < rows; r++) for (let i = r * st, e = i + cols; i < e; i++) s += Math.abs(x[i]); sink[0] += s; };
    }
    case "allFinite": {
      const sink = new Int32Array(1);
      return () => { let ok = 1; for (let r = 0; r < rows; r++) for (let i = r * st, e = i + cols; i < e; i++) if (!Number.isFinite(x[i])) ok = 0; sink[0] += ok; };
    }
  }
}

// ---- running ----

/** CPU seconds per call: `samples` samples of ≥ 5 ms CPU each (calls per sample calibrated once). */
function cpuSamples(fn: () => void, samples: number): number[] {
  const cpu = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1e6;
  for (let i = 0; i < 50; i++) fn(); // warm-up (tier-up to optimised code)
  let calls = 1;
  for (;;) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < calls; i++) fn();
    if (cpu(process.cpuUsage(c0)) >= 0.005) break;
    calls *= 2;
  }
  const out: number[] = [];
  for (let s = 0; s < samples; s++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < calls; i++) fn();
    out.push(cpu(process.cpuUsage(c0)) / calls);
  }
  return out;
}

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
  impls?: ElementwiseBenchImpl[];
  log?: (line: string) => void;
}

export async function benchElementwise(options: ElementwiseBenchOptions = {}): Promise<ElementwiseResult[]> {
  const quick = options.quick ?? false;
  const rounds = options.rounds ?? (quick ? 1 : 3);
  const log = options.log ?? ((l: string) => console.error(l));
  const available: ElementwiseBenchImpl[] = ["wasm-simd", "wasm-scalar", "js"];
  if (detectFeatures().relaxedSimd) available.splice(1, 0, "wasm-relaxed");
  const impls = options.impls ?? available;
  for (const i of impls) if (!available.includes(i)) throw new ValueError(`impl must be one of ${available.join(", ")} on this runtime; got ${String(i)}`);
  const kernels = (options.kernels ?? [...KERNELS]) as Kernel[];
  for (const k of kernels) if (!KERNELS.includes(k)) throw new ValueError(`kernel must be one of ${KERNELS.join(", ")}; got ${k}`);

  const cores = new Map<ElementwiseBenchImpl, Core>();
  for (const i of impls) if (i !== "js") cores.set(i, await init({ impl: i === "wasm-simd" ? "simd" : i === "wasm-scalar" ? "scalar" : "relaxed" }));

  interface Entry { kernel: Kernel; shape: [number, number]; impl: ElementwiseBenchImpl; name: string; fn: () => void; seconds: number[] }
  const entries: Entry[] = [];
  for (const kernel of kernels) {
    for (const shape of SHAPES) {
      for (const impl of impls) {
        const fn = impl === "js" ? jsCase(kernel, ...shape) : wasmCase(cores.get(impl)!, kernel, ...shape);
        entries.push({ kernel, shape, impl, fn, seconds: [], name: `${kernel} [${shape.join("×")}] ${impl}` });
      }
    }
  }
  const clock = options.clock ?? "wall";
  if (clock !== "wall" && clock !== "cpu") throw new ValueError(`clock must be wall or cpu; got ${String(clock)}`);
  const opts = quick ? { minSamples: 3, maxTime: 0.05, delay: 0.002 } : { minSamples: 10, maxTime: 0.25, delay: 0.005 };
  for (let r = 0; r < rounds; r++) {
    log(`bench elementwise: round ${r + 1}/${rounds} (${entries.length} cases, ${clock} clock)`);
    if (clock === "wall") {
      const summary = await suite(`elementwise round ${r + 1}`, ...entries.map((e) => add(e.name, () => e.fn, opts)));
      for (const res of summary.results) entries.find((x) => x.name === res.name)!.seconds.push(...res.details.sampleResults);
    } else {
      for (const e of entries) e.seconds.push(...cpuSamples(e.fn, quick ? 3 : 10));
    }
  }
  return entries.map((e) => {
    const s = [...e.seconds].sort((a, z) => a - z);
    const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    const g = (t: number) => (e.shape[0] * e.shape[1]) / t / 1e9;
    return { kernel: e.kernel, shape: e.shape, impl: e.impl, gelemPerS: { median: g(median), min: g(s[s.length - 1]), max: g(s[0]) } };
  });
}

/** One row per kernel, shape and implementation, with ns per element and the speed-up over plain JS. */
export function formatElementwiseTable(results: ElementwiseResult[]): string {
  const rows = [["kernel", "shape", "impl", "Gelem/s median", "min", "max", "ns/elem", "× js"]];
  for (const r of results) {
    const js = results.find((x) => x.kernel === r.kernel && x.shape.join() === r.shape.join() && x.impl === "js");
    rows.push([
      r.kernel,
      r.shape.join("×"),
      r.impl,
      r.gelemPerS.median.toFixed(3),
      r.gelemPerS.min.toFixed(3),
      r.gelemPerS.max.toFixed(3),
      (1 / r.gelemPerS.median).toFixed(2),
      js ? (r.gelemPerS.median / js.gelemPerS.median).toFixed(1) : "",
    ]);
  }
  return alignColumns(rows, 3);
}

export const elementwiseSuite: BenchSuite = {
  name: "elementwise",
  description: "throughput of the elementwise and noise kernels (wasm-simd, wasm-scalar, wasm-relaxed where available, plain JS) at 1×500 and 10×500",
  options(cmd) {
    cmd
      .option("--rounds <n>", "rounds over all cases, interleaved (default 3, 1 with --quick)")
      .option("--kernel <names>", `comma-separated subset: ${KERNELS.join(",")}`)
      .option("--impl <names>", "comma-separated subset: wasm-simd,wasm-scalar,wasm-relaxed,js")
      .option("--clock <kind>", "wall (benny, default) or cpu (process CPU time: steadier on a shared machine)", "wall");
  },
  async run(opts) {
    const rounds = parseRounds(opts.rounds);
    const list = (v: unknown) => (typeof v === "string" ? v.split(",").map((s) => s.trim()).filter(Boolean) : undefined);
    const results = await benchElementwise({ quick: Boolean(opts.quick), rounds, kernels: list(opts.kernel), impls: list(opts.impl) as ElementwiseBenchImpl[] | undefined, clock: opts.clock as "wall" | "cpu" });
    console.log(formatElementwiseTable(results));
    console.log(`single thread, ${String(opts.clock)} clock, Node ${process.version}, ${new Date().toISOString()}`);
    if (opts.json) {
      await writeFile(opts.json, JSON.stringify({ clock: opts.clock, node: process.version, date: new Date().toISOString(), results }, null, 2) + "\n");
      console.log(`wrote ${opts.json}`);
    }
  },
};
