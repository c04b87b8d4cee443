// `dendritic bench microcircuit`: simulation speed of the SCBS18 microcircuit through the public API.
// - euler 30-50-10, euler 784-500-500-10 (Euler steps/s): full dynamics of one sample (batch 1)
//   with noise (σ = 0.1) and plasticity with the τ_w filter on every default-plastic pathway (W^up,
//   W^IP, W^PI), one present() call per sample (1000 steps at 30-50-10, 50 at 784-500-500-10);
// - steady 784-500-500-10 batch 10 (examples/s): fast steady-state training (SCBS18; docs/model.md
//   §1.8) with the MNIST configuration (MicrocircuitClassifier.trainBatch, including the copy of the
//   batch into WebAssembly memory).
// Every case runs on every variant (--simd builds × --threads counts), interleaved round by round
// (bench/variants.ts).
import { Microcircuit, MicrocircuitClassifier, mulberry32, ValueError, type Core } from "dendritic";
import { parseRounds, type BenchSuite } from "./suite.js";
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
  type Variant,
} from "./variants.js";

export const EULER_CASES = [
  { sizes: [30, 50, 10], steps: 1000 },
  { sizes: [784, 500, 500, 10], steps: 50 },
];

function eulerCase(v: Variant, sizes: number[], steps: number): Case {
  const g = { dist: "glorot", gain: 1 } as const;
  const net = new Microcircuit(v.core, { sizes, sigma: 0.1, seed: 1, start: "selfPredicting", init: { up: g, down: g, ip: g, pi: g } });
  const next = mulberry32(5);
  const pool = Array.from({ length: 16 }, () => Float32Array.from({ length: sizes[0] }, next));
  const target = Float32Array.from({ length: sizes.at(-1)! }, () => next() * 2 - 1);
  let i = 0;
  return {
    case: `euler ${sizes.join("-")}`,
    build: v.build,
    threads: v.threads,
    unit: "Euler steps/s",
    units: steps,
    minSamples: 10,
    step: () => net.present(pool[i++ % pool.length], { steps, target, learn: true }),
    dispose: () => net.dispose(),
  };
}

function steadyCase(core: Core, v: Variant, sizes: number[], batch: number): Case {
  const m = new MicrocircuitClassifier(core, { sizes, maxBatch: batch, seed: 1 });
  const next = mulberry32(7);
  const POOL = 100;
  const n0 = sizes[0];
  const x = Float32Array.from({ length: POOL * batch * n0 }, next);
  const labels = Int32Array.from({ length: POOL * batch }, () => Math.floor(next() * sizes.at(-1)!));
  let i = 0;
  return {
    case: `steady ${sizes.join("-")} batch ${batch}`,
    build: v.build,
    threads: v.threads,
    unit: "examples/s",
    units: batch,
    minSamples: 10,
    step: () => {
      const k = i++ % POOL;
      m.trainBatch({ n: batch, x: x.subarray(k * batch * n0, (k + 1) * batch * n0), labels: labels.subarray(k * batch, (k + 1) * batch) });
    },
    dispose: () => m.dispose(),
  };
}

export interface MicrocircuitBenchOptions {
  quick?: boolean;
  rounds?: number;
  /** Builds (default relaxed, simd, scalar) and thread counts (default 1). */
  simd?: string;
  threads?: string;
  /** Which cases: "euler30", "euler784", "steady" (default all). */
  cases?: string[];
  /** Network sizes of the steady and larger Euler cases (default 784-500-500-10): smaller for smoke tests. */
  sizes?: number[];
  log?: (l: string) => void;
}

export async function benchMicrocircuit(options: MicrocircuitBenchOptions = {}): Promise<{ results: BenchResult[]; load: number[] }> {
  const quick = options.quick ?? false;
  const rounds = options.rounds ?? (quick ? 1 : 5);
  const which = options.cases ?? ["euler30", "euler784", "steady"];
  for (const c of which) if (!["euler30", "euler784", "steady"].includes(c)) throw new ValueError(`case must be one of euler30, euler784, steady; got ${c}`);
  const sizes = options.sizes ?? [784, 500, 500, 10];
  const load = (await import("node:os")).loadavg();
  const variants = await openVariants(parseBuilds(options.simd ?? "relaxed,simd,scalar"), parseThreads(options.threads ?? "1"), options.log);
  try {
    const cases: Case[] = [];
    for (const v of variants) {
      if (which.includes("euler30")) cases.push(eulerCase(v, EULER_CASES[0].sizes, EULER_CASES[0].steps));
      if (which.includes("euler784")) cases.push(eulerCase(v, sizes, EULER_CASES[1].steps));
      if (which.includes("steady")) cases.push(steadyCase(v.core, v, sizes, 10));
    }
    return { results: await runInterleaved("microcircuit", cases, { rounds, quick, log: options.log }), load };
  } finally {
    closeVariants(variants);
  }
}

export const microcircuitSuite: BenchSuite = {
  name: "microcircuit",
  description:
    "SCBS18 microcircuit: Euler steps/s (30-50-10, 784-500-500-10; noise and τ_w-filtered plasticity on) and steady-state examples/s (784-500-500-10, batch 10)",
  options(cmd) {
    cmd
      .option("--rounds <n>", "rounds over all cases, interleaved (default 5, 1 with --quick)")
      .option("--case <names>", "comma-separated subset: euler30,euler784,steady");
    variantOptions(cmd);
  },
  async run(opts) {
    const rounds = parseRounds(opts.rounds) ?? (opts.quick ? 1 : 5);
    const cases = typeof opts.case === "string" ? opts.case.split(",").map((s) => s.trim()) : undefined;
    const { results, load } = await benchMicrocircuit({ quick: opts.quick, rounds, simd: opts.simd as string, threads: opts.threads as string, cases });
    await report(results, machine("wall", rounds, load), opts.json);
  },
};
