// `dendritic bench spiking`: training windows per second of the spiking microcircuit on
// 784-500-500-10, T = 60 (T₀ = 10), mini-batch 100, scfa-frsf, on MNIST test images (firing rates
// matter: the event path's work is proportional to the spikes), through the public API
// (Spiking.trainBatch). Cases, interleaved in every round so all see the same machine noise:
//   events   event-driven propagation and plasticity (the default)
//   dense    the same window as matrix products over all cells
//   predict  a test-mode window (no teacher, error pathway or plasticity), event-driven
//   mlp      the rate model of the same net (Mlp, rule frSF, batch 100): one mini-batch step
// From the same run: synaptic events per window and per second, the fraction of the dense
// multiply-adds the event path leaves out, event ÷ dense speed, and the ratio of a training epoch
// (55 000 examples in batches of 100) of the spiking model to one of the rate model.
//
// Clocks: "cpu" (default) times each sample with process.cpuUsage() (user + system time of this
// process), which leaves out the time spent waiting for a core on a shared machine; "wall" uses
// performance.now(). Both are single-thread rates.
import os from "node:os";
import { BatchFiller, init, Mlp, Spiking, ValueError, type Core } from "dendritic";
import { loadDataset } from "dendritic/node";
import { alignColumns, parseRounds, type BenchSuite } from "./suite.js";
import { machine, parseBuilds, parseThreads, report, variantOptions, type BenchResult } from "./variants.js";

const ARCH = [784, 500, 500, 10];
const BATCH = 100;
const POOL = 5;

interface Case {
  name: string;
  step: () => void;
  seconds: number[];
  dispose: () => void;
}

export interface SpikingBenchResult {
  clock: "cpu" | "wall";
  impl: string;
  windowsPerS: { events: number; dense: number; predict: number };
  /** Rate-model (Mlp frSF) mini-batch steps per second, batch 100. */
  mlpStepsPerS: number;
  synapticEventsPerWindow: { forward: number; feedback: number; plasticity: number; total: number };
  synapticEventsPerS: number;
  denseOpsPerWindow: number;
  denseWorkAvoided: number;
  eventOverDense: number;
  /** Spiking training epoch time ÷ rate-model epoch time (same net, batch, examples). */
  epochRatio: number;
  firingRates: number[];
  samples: Record<string, number[]>;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function timeOnce(clock: "cpu" | "wall", f: () => void): number {
  if (clock === "cpu") {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1e6;
  }
  const t0 = performance.now();
  f();
  return (performance.now() - t0) / 1000;
}

export async function benchSpiking(o: { quick?: boolean; rounds?: number; clock?: "cpu" | "wall"; impl?: "auto" | "simd" | "relaxed" | "scalar"; threads?: number; log?: (l: string) => void } = {}): Promise<SpikingBenchResult> {
  const clock = o.clock ?? "cpu";
  const rounds = o.rounds ?? (o.quick ? 1 : 3);
  const log = o.log ?? ((l: string) => console.error(l));
  const core: Core = await init({ impl: o.impl ?? "auto", threads: o.threads ?? 1 });
  let data;
  try {
    data = loadDataset("mnist");
  } catch {
    data = loadDataset("mnist-small");
  }
  const filler = new BatchFiller(data, BATCH);
  const batches = Array.from({ length: POOL }, (_, k) => {
    const b = filler.fill(data.test, null, k * BATCH, BATCH);
    return { n: BATCH, x: b.x.slice(0, BATCH * ARCH[0]), labels: Int32Array.from(b.labels!.subarray(0, BATCH)) };
  });
  const cfg = { arch: ARCH, steps: 60, settle: 10, rule: "scfa-frsf" as const, maxBatch: BATCH, seed: 1 };
  const events = new Spiking(core, { ...cfg, propagation: "events" });
  const dense = new Spiking(core, { ...cfg, propagation: "dense" });
  const mlp = new Mlp(core, { arch: ARCH, rule: "frsf", lr: 0.1, maxBatch: BATCH, seed: 1 });
  let i = 0;
  const next = () => batches[i++ % POOL];
  const cases: Case[] = [
    { name: "events", step: () => events.trainBatch(next()), seconds: [], dispose: () => events.dispose() },
    { name: "dense", step: () => dense.trainBatch(next()), seconds: [], dispose: () => dense.dispose() },
    { name: "predict", step: () => void events.predict(next().x, BATCH), seconds: [], dispose: () => {} },
    { name: "mlp", step: () => mlp.trainBatch(next()), seconds: [], dispose: () => mlp.dispose() },
  ];
  // Event counts of training windows on the pool (before timing: the counts are per window).
  const counts = { forward: 0, feedback: 0, plasticity: 0, dense: 0, spikes: [0, 0, 0, 0] };
  const probe = new Spiking(core, cfg);
  for (const b of batches) {
    probe.trainBatch(b);
    const s = probe.windowStats();
    const sum = (v: number[]) => v.reduce((a, z) => a + z, 0);
    counts.forward += sum(s.forwardEvents) / POOL;
    counts.feedback += sum(s.feedbackEvents) / POOL;
    counts.plasticity += sum(s.plasticityEvents) / POOL;
    counts.dense += sum(s.denseOps) / POOL;
    probe.populationRates().forEach((r, p) => (counts.spikes[p] += r / POOL));
  }
  probe.dispose();
  const reps: Record<string, number> = { events: o.quick ? 1 : 3, dense: 1, predict: o.quick ? 1 : 3, mlp: o.quick ? 5 : 20 };
  for (const c of cases) c.step(); // warm-up
  for (let r = 0; r < rounds; r++) {
    log(`bench spiking: round ${r + 1}/${rounds} (${cases.length} cases, ${clock} clock)`);
    for (const c of cases) for (let k = 0; k < reps[c.name]; k++) c.seconds.push(timeOnce(clock, c.step));
  }
  for (const c of cases) c.dispose();
  core.dispose();
  const t = Object.fromEntries(cases.map((c) => [c.name, median(c.seconds)]));
  const total = counts.forward + counts.feedback + counts.plasticity;
  return {
    clock,
    impl: core.impl,
    windowsPerS: { events: 1 / t.events, dense: 1 / t.dense, predict: 1 / t.predict },
    mlpStepsPerS: 1 / t.mlp,
    synapticEventsPerWindow: { forward: counts.forward, feedback: counts.feedback, plasticity: counts.plasticity, total },
    synapticEventsPerS: total / t.events,
    denseOpsPerWindow: counts.dense,
    denseWorkAvoided: 1 - total / counts.dense,
    eventOverDense: t.dense / t.events,
    epochRatio: t.events / t.mlp,
    firingRates: counts.spikes,
    samples: Object.fromEntries(cases.map((c) => [c.name, c.seconds])),
  };
}

export function formatSpikingTable(r: SpikingBenchResult): string {
  const rows = [["case", "per second", "seconds each"]];
  rows.push(["training window, events", r.windowsPerS.events.toFixed(2), (1 / r.windowsPerS.events).toFixed(3)]);
  rows.push(["training window, dense", r.windowsPerS.dense.toFixed(2), (1 / r.windowsPerS.dense).toFixed(3)]);
  rows.push(["test window, events", r.windowsPerS.predict.toFixed(2), (1 / r.windowsPerS.predict).toFixed(3)]);
  rows.push(["rate model (mlp frSF) step", r.mlpStepsPerS.toFixed(1), (1 / r.mlpStepsPerS).toFixed(4)]);
  return alignColumns(rows, 1);
}

export const spikingSuite: BenchSuite = {
  name: "spiking",
  description: "spiking microcircuit 784-500-500-10, T = 60, batch 100: windows/s (event-driven vs dense), synaptic events/s, dense work avoided, epoch time vs the rate model",
  options(cmd) {
    cmd
      .option("--rounds <n>", "rounds over all cases, interleaved (default 3, 1 with --quick)")
      .option("--clock <clock>", "cpu (process CPU time, default: for machines shared with other jobs) or wall", "cpu");
    variantOptions(cmd, "relaxed");
  },
  async run(opts) {
    const rounds = parseRounds(opts.rounds) ?? (opts.quick ? 1 : 3);
    if (opts.clock !== "wall" && opts.clock !== "cpu") throw new ValueError(`--clock must be wall or cpu, got ${String(opts.clock)}`);
    const load = os.loadavg();
    // The suite interleaves its cases on one variant; the variants run one after another.
    const results: BenchResult[] = [];
    for (const build of parseBuilds(opts.simd)) {
      for (const threads of parseThreads(opts.threads)) {
        if (build === "scalar" && threads > 1) continue;
        const r = await benchSpiking({ quick: Boolean(opts.quick), rounds, clock: opts.clock, impl: build, threads });
        console.log(`${r.impl} ×${threads}`);
        console.log(formatSpikingTable(r));
        const M = (x: number) => (x / 1e6).toFixed(0);
        console.log(
          `synaptic events per window ${M(r.synapticEventsPerWindow.total)} M (forward ${M(r.synapticEventsPerWindow.forward)} M, error pathway ${M(r.synapticEventsPerWindow.feedback)} M, plasticity ${M(r.synapticEventsPerWindow.plasticity)} M); ` +
            `${(r.synapticEventsPerS / 1e9).toFixed(2)} G events/s; dense work avoided ${(100 * r.denseWorkAvoided).toFixed(1)} %; events ÷ dense speed ${r.eventOverDense.toFixed(2)}×; ` +
            `spiking epoch ÷ rate-model epoch ${r.epochRatio.toFixed(1)}×; firing rates ${r.firingRates.map((x) => x.toFixed(3)).join(" / ")} spikes/step`,
        );
        const names: Record<string, [string, string]> = { events: ["training window, events", "windows/s"], dense: ["training window, dense", "windows/s"], predict: ["test window, events", "windows/s"], mlp: ["rate model (mlp frSF) step", "steps/s"] };
        for (const [k, secs] of Object.entries(r.samples)) {
          const v = secs.map((t) => 1 / t).sort((x, z) => x - z);
          results.push({ suite: "spiking", case: names[k]?.[0] ?? k, build: r.impl, threads, unit: names[k]?.[1] ?? "calls/s", median: median(v), min: v[0], max: v[v.length - 1] });
        }
      }
    }
    console.log(`net ${ARCH.join("-")}, T = 60, T₀ = 10, batch ${BATCH}, scfa-frsf, MNIST test images`);
    await report(results, machine(opts.clock, rounds, load), opts.json);
  },
};
