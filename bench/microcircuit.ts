// `dendritic bench microcircuit`: simulation speed of the SCBS18 microcircuit through the public API.
// - eulerStepsPerS: full dynamics of one sample (batch 1) with noise (σ = 0.1) and plasticity with
//   the τ_w filter on every default-plastic pathway (W^up, W^IP, W^PI), one present() call per
//   sample of the measurement (1000 steps at 30-50-10, 50 steps at 784-500-500-10);
// - steadyExamplesPerS: fast steady-state training (SCBS18; docs/model.md §1.8) of 784-500-500-10 at mini-batch 10
//   with the MNIST configuration (MicrocircuitClassifier.trainBatch, including the copy of the batch
//   into WebAssembly memory).
// Every case runs on the SIMD build (and relaxed SIMD where the runtime validates it); the scalar
// build runs beside them for scale. Rounds interleave the cases so that all see the same machine
// noise; the reported number is the median over the pooled samples of the fastest build. Beside the
// wall-clock rates, each case also reports its rate per second of this process's CPU time
// (process.cpuUsage around every call), which stays meaningful on a machine shared with other work.
import { add, suite } from "benny";
import { detectFeatures, init, Microcircuit, MicrocircuitClassifier, mulberry32, type Core, type Impl } from "dendritic";
import { writeJson } from "dendritic/node";
import { alignColumns, parseRounds, type BenchSuite } from "./suite.js";

interface Case {
  name: string;
  metric: "eulerStepsPerS" | "steadyExamplesPerS";
  arch: string;
  impl: Impl;
  /** Work units (Euler steps or examples) per call of step(). */
  units: number;
  step: () => void;
  dispose: () => void;
  seconds: number[];
  cpuMicros: number;
  calls: number;
}

function eulerCase(core: Core, impl: Impl, sizes: number[], steps: number): Case {
  const g = { dist: "glorot", gain: 1 } as const;
  const net = new Microcircuit(core, { sizes, sigma: 0.1, seed: 1, start: "selfPredicting", init: { up: g, down: g, ip: g, pi: g } });
  const next = mulberry32(5);
  const pool = Array.from({ length: 16 }, () => Float32Array.from({ length: sizes[0] }, next));
  const target = Float32Array.from({ length: sizes.at(-1)! }, () => next() * 2 - 1);
  let i = 0;
  return {
    name: `euler ${sizes.join("-")} ${impl}`, metric: "eulerStepsPerS", arch: sizes.join("-"), impl, units: steps, seconds: [], cpuMicros: 0, calls: 0,
    step: () => net.present(pool[i++ % pool.length], { steps, target, learn: true }),
    dispose: () => net.dispose(),
  };
}

function steadyCase(core: Core, impl: Impl): Case {
  const m = new MicrocircuitClassifier(core, { sizes: [784, 500, 500, 10], maxBatch: 10, seed: 1 });
  const next = mulberry32(7);
  const POOL = 100;
  const x = Float32Array.from({ length: POOL * 10 * 784 }, next);
  const labels = Int32Array.from({ length: POOL * 10 }, () => Math.floor(next() * 10));
  let i = 0;
  return {
    name: `steady 784-500-500-10 batch 10 ${impl}`, metric: "steadyExamplesPerS", arch: "784-500-500-10", impl, units: 10, seconds: [], cpuMicros: 0, calls: 0,
    step: () => {
      const k = i++ % POOL;
      m.trainBatch({ n: 10, x: x.subarray(k * 7840, (k + 1) * 7840), labels: labels.subarray(k * 10, (k + 1) * 10) });
    },
    dispose: () => m.dispose(),
  };
}

export interface MicrocircuitBenchResult {
  eulerStepsPerS: Record<string, number>;
  steadyExamplesPerS: Record<string, number>;
  impl: Impl;
  /** The same rates per second of process CPU time (fastest build). */
  cpuTime: { eulerStepsPerS: Record<string, number>; steadyExamplesPerS: Record<string, number> };
  cases: { name: string; metric: string; arch: string; impl: Impl; median: number; min: number; max: number; samples: number; perCpuSecond: number }[];
}

export async function benchMicrocircuit(options: { quick?: boolean; rounds?: number; log?: (l: string) => void } = {}): Promise<MicrocircuitBenchResult> {
  const quick = options.quick ?? false;
  const rounds = options.rounds ?? (quick ? 1 : 5);
  const log = options.log ?? ((l: string) => console.error(l));
  const fast: Impl[] = detectFeatures().relaxedSimd ? ["wasm-relaxed", "wasm-simd"] : ["wasm-simd"];
  const choice = { "wasm-relaxed": "relaxed", "wasm-simd": "simd", "wasm-scalar": "scalar" } as const;
  const cases: Case[] = [];
  for (const impl of [...fast, "wasm-scalar" as Impl]) {
    const core = await init({ impl: choice[impl] });
    cases.push(eulerCase(core, impl, [30, 50, 10], 1000));
    cases.push(eulerCase(core, impl, [784, 500, 500, 10], 50));
    cases.push(steadyCase(core, impl));
  }
  for (let r = 0; r < rounds; r++) {
    log(`bench microcircuit: round ${r + 1}/${rounds} (${cases.length} cases)`);
    const summary = await suite(
      `microcircuit round ${r + 1}`,
      ...cases.map((c) => add(c.name, () => () => {
        const t0 = process.cpuUsage();
        c.step();
        const d = process.cpuUsage(t0);
        c.cpuMicros += d.user + d.system;
        c.calls++;
      }, quick ? { minSamples: 3, maxTime: 0.2, delay: 0.005 } : { minSamples: 10, maxTime: 1, delay: 0.005 })),
    );
    for (const res of summary.results) cases.find((c) => c.name === res.name)!.seconds.push(...res.details.sampleResults);
  }
  for (const c of cases) c.dispose();
  const stats = cases.map((c) => {
    const s = [...c.seconds].sort((a, z) => a - z);
    const med = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    return { name: c.name, metric: c.metric, arch: c.arch, impl: c.impl, median: c.units / med, min: c.units / s[s.length - 1], max: c.units / s[0], samples: s.length, perCpuSecond: (c.units * c.calls) / (c.cpuMicros / 1e6) };
  });
  const best = (metric: string, arch: string, key: "median" | "perCpuSecond" = "median") => Math.max(...stats.filter((s) => s.metric === metric && s.arch === arch && s.impl !== "wasm-scalar").map((s) => s[key]));
  const bestImpl = fast[0];
  return {
    eulerStepsPerS: { "30-50-10": best("eulerStepsPerS", "30-50-10"), "784-500-500-10": best("eulerStepsPerS", "784-500-500-10") },
    steadyExamplesPerS: { "784-500-500-10": best("steadyExamplesPerS", "784-500-500-10") },
    impl: bestImpl,
    cpuTime: {
      eulerStepsPerS: { "30-50-10": best("eulerStepsPerS", "30-50-10", "perCpuSecond"), "784-500-500-10": best("eulerStepsPerS", "784-500-500-10", "perCpuSecond") },
      steadyExamplesPerS: { "784-500-500-10": best("steadyExamplesPerS", "784-500-500-10", "perCpuSecond") },
    },
    cases: stats,
  };
}

export const microcircuitSuite: BenchSuite = {
  name: "microcircuit",
  description: "SCBS18 microcircuit: Euler steps/s (30-50-10, 784-500-500-10; noise and τ_w-filtered plasticity on) and steady-state examples/s (784-500-500-10, batch 10)",
  options(cmd) {
    cmd.option("--rounds <n>", "rounds over all cases, interleaved (default 5, 1 with --quick)");
  },
  async run(opts) {
    const rounds = parseRounds(opts.rounds);
    const r = await benchMicrocircuit({ quick: opts.quick, rounds });
    const rows = [["case", "median /s", "min", "max", "per CPU s"], ...r.cases.map((c) => [c.name, c.median.toFixed(0), c.min.toFixed(0), c.max.toFixed(0), c.perCpuSecond.toFixed(0)])];
    console.log(alignColumns(rows, 1));
    console.log(JSON.stringify({ eulerStepsPerS: r.eulerStepsPerS, steadyExamplesPerS: r.steadyExamplesPerS, cpuTime: r.cpuTime }));
    if (opts.json) await writeJson(opts.json, r);
  },
};
