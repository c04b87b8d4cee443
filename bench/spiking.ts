// `dendritic bench spiking`: the spiking microcircuit on 784-500-500-10, T = 60 (T₀ = 10),
// mini-batch 100, scfa-frsf, on MNIST, through the public API (Spiking.trainBatch). The event path's
// work follows the spikes, and the error spikes fall by two orders of magnitude once the net has
// learned, so the suite measures three phases in one run:
//   1. at initialisation (MNIST test images), interleaved in every round:
//        events   event-driven propagation and plasticity (the default)
//        dense    the same window as matrix products over all cells
//        predict  a test-mode window (no teacher, error pathway or plasticity), event-driven
//        mlp      the rate model of the same net (Mlp, rule frSF, batch 100): one mini-batch step
//   2. one training epoch (55 000 MNIST training images in batches of 100, in order), the spiking
//      window and the rate model's step on each batch timed back to back: the epoch ratio;
//   3. the spiking net as trained by phase 2: events, dense and predict again, interleaved.
// From the same run: synaptic events per window and per second, the additions the event path did
// and the fraction of the dense multiply-adds it left out, event ÷ dense speed at both states.
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
const EPOCH_BATCHES = 550;

interface Case {
  name: string;
  step: () => void;
  seconds: number[];
}

/** Measurements of one network state (initial or trained). */
export interface SpikingStateResult {
  windowsPerS: { events: number; dense: number; predict: number };
  synapticEventsPerWindow: { forward: number; feedback: number; plasticity: number; total: number };
  synapticEventsPerS: number;
  /** Row-element additions the event path did per training window (forward, error pathway, plasticity). */
  workPerWindow: number;
  denseOpsPerWindow: number;
  /** 1 − work ÷ dense multiply-adds. */
  denseWorkAvoided: number;
  eventOverDense: number;
  /** Spikes per cell and step of every population (inputs first) in training windows. */
  firingRates: number[];
  /** E⁺ + E⁻ spikes per pair and learning step of every population (0 for the inputs). */
  errorRates: number[];
  samples: Record<string, number[]>;
}

export interface SpikingBenchResult {
  clock: "cpu" | "wall";
  impl: string;
  init: SpikingStateResult;
  trained: SpikingStateResult;
  /** Rate-model (Mlp frSF) mini-batch steps per second at initialisation, batch 100. */
  mlpStepsPerS: number;
  /** One epoch (or its first `batches` mini-batches), spiking window and rate step timed back to back per batch. */
  epoch: { batches: number; examples: number; spikingSeconds: number; mlpSeconds: number; ratio: number };
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

type Batch = { n: number; x: Float32Array; labels: Int32Array };

/** Interleaved rounds over the cases; returns the median seconds of each. */
function runCases(
  cases: Case[],
  reps: Record<string, number>,
  rounds: number,
  clock: "cpu" | "wall",
  log: (l: string) => void,
  label: string,
): Record<string, number> {
  for (const c of cases) c.step(); // warm-up
  for (let r = 0; r < rounds; r++) {
    log(`bench spiking: ${label}, round ${r + 1}/${rounds} (${cases.length} cases, ${clock} clock)`);
    for (const c of cases) for (let k = 0; k < (reps[c.name] ?? 1); k++) c.seconds.push(timeOnce(clock, c.step));
  }
  return Object.fromEntries(cases.map((c) => [c.name, median(c.seconds)]));
}

/** Per-window counts of training windows of `net` on the batches (weights left unchanged). */
function windowCounts(net: Spiking, batches: Batch[]) {
  const sum = (v: number[]) => v.reduce((a, z) => a + z, 0);
  const c = { forward: 0, feedback: 0, plasticity: 0, dense: 0, work: 0, rates: ARCH.map(() => 0), errors: ARCH.map(() => 0) };
  for (const b of batches) {
    net.accumulate(b);
    const s = net.windowStats();
    c.forward += sum(s.forwardEvents) / batches.length;
    c.feedback += sum(s.feedbackEvents) / batches.length;
    c.plasticity += sum(s.plasticityEvents) / batches.length;
    c.dense += sum(s.denseOps) / batches.length;
    c.work += sum(s.work) / batches.length;
    net.populationRates().forEach((r, p) => (c.rates[p] += r / batches.length));
    s.errorPlus.forEach((e, p) => (c.errors[p] += p === 0 ? 0 : (e + s.errorMinus[p]) / (s.samples * (60 - 10) * ARCH[p]) / batches.length));
  }
  return c;
}

function stateResult(t: Record<string, number>, c: ReturnType<typeof windowCounts>, samples: Record<string, number[]>): SpikingStateResult {
  const total = c.forward + c.feedback + c.plasticity;
  return {
    windowsPerS: { events: 1 / t.events, dense: 1 / t.dense, predict: 1 / t.predict },
    synapticEventsPerWindow: { forward: c.forward, feedback: c.feedback, plasticity: c.plasticity, total },
    synapticEventsPerS: total / t.events,
    workPerWindow: c.work,
    denseOpsPerWindow: c.dense,
    denseWorkAvoided: 1 - c.work / c.dense,
    eventOverDense: t.dense / t.events,
    firingRates: c.rates,
    errorRates: c.errors,
    samples,
  };
}

export async function benchSpiking(
  o: {
    quick?: boolean;
    rounds?: number;
    clock?: "cpu" | "wall";
    impl?: "auto" | "simd" | "relaxed" | "scalar";
    threads?: number;
    epochBatches?: number;
    log?: (l: string) => void;
  } = {},
): Promise<SpikingBenchResult> {
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
  const take = (split: typeof data.test, start: number): Batch => {
    const b = filler.fill(split, null, start, BATCH);
    return { n: BATCH, x: b.x.slice(0, BATCH * ARCH[0]), labels: Int32Array.from(b.labels!.subarray(0, BATCH)) };
  };
  const batches = Array.from({ length: POOL }, (_, k) => take(data.test, k * BATCH));
  const cfg = { arch: ARCH, steps: 60, settle: 10, rule: "scfa-frsf" as const, maxBatch: BATCH, seed: 1 };
  const events = new Spiking(core, { ...cfg, propagation: "events" });
  const dense = new Spiking(core, { ...cfg, propagation: "dense" });
  const mlp = new Mlp(core, { arch: ARCH, rule: "frsf", lr: 0.1, maxBatch: BATCH, seed: 1 });
  try {
    let i = 0;
    const next = () => batches[i++ % POOL];
    const reps: Record<string, number> = { events: o.quick ? 1 : 3, dense: 1, predict: o.quick ? 1 : 3, mlp: o.quick ? 5 : 20 };

    // The timed windows train their own copies (events, dense); counts come from a third copy's
    // accumulate() on the same batches, with the initial weights or `state`.
    const windowCases = (ev: Spiking, de: Spiking): Case[] => [
      { name: "events", step: () => ev.trainBatch(next()), seconds: [] },
      { name: "dense", step: () => de.trainBatch(next()), seconds: [] },
      { name: "predict", step: () => void ev.predict(next().x, BATCH), seconds: [] },
    ];
    const countsAt = (state?: ReturnType<Spiking["exportState"]>) => {
      const probe = new Spiking(core, cfg);
      try {
        if (state) probe.importState(state);
        return windowCounts(probe, batches);
      } finally {
        probe.dispose();
      }
    };

    // 1. Initial state.
    const initCounts = countsAt();
    const initCases: Case[] = [...windowCases(events, dense), { name: "mlp", step: () => mlp.trainBatch(next()), seconds: [] }];
    const t0 = runCases(initCases, reps, rounds, clock, log, "initial state");

    // 2. One epoch from a fresh initialisation, both models on every batch.
    const nb = Math.min(o.epochBatches ?? (o.quick ? 20 : EPOCH_BATCHES), Math.floor(data.train.n / BATCH));
    const net = new Spiking(core, { ...cfg, propagation: "events" });
    const rate = new Mlp(core, { arch: ARCH, rule: "frsf", lr: 0.1, maxBatch: BATCH, seed: 1 });
    let spikingSeconds = 0;
    let mlpSeconds = 0;
    for (let k = 0; k < nb; k++) {
      if (k % 50 === 0) log(`bench spiking: epoch, batch ${k + 1}/${nb}`);
      const b = take(data.train, k * BATCH);
      spikingSeconds += timeOnce(clock, () => net.trainBatch(b));
      mlpSeconds += timeOnce(clock, () => rate.trainBatch(b));
    }
    rate.dispose();

    // 3. The trained state: the epoch's weights in an event-driven and a dense copy.
    const state = net.exportState();
    net.dispose();
    const tEvents = new Spiking(core, { ...cfg, propagation: "events" });
    const tDense = new Spiking(core, { ...cfg, propagation: "dense" });
    for (const m of [tEvents, tDense]) m.importState(state);
    const trainedCounts = countsAt(state);
    const trainedCases = windowCases(tEvents, tDense);
    const t1 = runCases(trainedCases, reps, rounds, clock, log, "trained state");
    tEvents.dispose();
    tDense.dispose();

    const sampleMap = (cs: Case[]) => Object.fromEntries(cs.map((c) => [c.name, c.seconds]));
    return {
      clock,
      impl: core.impl,
      init: stateResult(t0, initCounts, sampleMap(initCases)),
      trained: stateResult(t1, trainedCounts, sampleMap(trainedCases)),
      mlpStepsPerS: 1 / t0.mlp,
      epoch: { batches: nb, examples: nb * BATCH, spikingSeconds, mlpSeconds, ratio: spikingSeconds / mlpSeconds },
    };
  } finally {
    events.dispose();
    dense.dispose();
    mlp.dispose();
    core.dispose();
  }
}

export function formatSpikingTable(r: SpikingBenchResult): string {
  const rows = [["case", "per second", "seconds each"]];
  for (const [label, st] of [
    ["initial", r.init],
    ["trained", r.trained],
  ] as const) {
    rows.push([`training window, events (${label})`, st.windowsPerS.events.toFixed(2), (1 / st.windowsPerS.events).toFixed(3)]);
    rows.push([`training window, dense (${label})`, st.windowsPerS.dense.toFixed(2), (1 / st.windowsPerS.dense).toFixed(3)]);
    rows.push([`test window, events (${label})`, st.windowsPerS.predict.toFixed(2), (1 / st.windowsPerS.predict).toFixed(3)]);
  }
  rows.push(["rate model (mlp frSF) step", r.mlpStepsPerS.toFixed(1), (1 / r.mlpStepsPerS).toFixed(4)]);
  return alignColumns(rows, 1);
}

export const spikingSuite: BenchSuite = {
  name: "spiking",
  description:
    "spiking microcircuit 784-500-500-10, T = 60, batch 100: windows/s (event-driven vs dense) at initialisation and after one epoch, synaptic events/s, dense work avoided, epoch time vs the rate model",
  options(cmd) {
    cmd
      .option("--rounds <n>", "rounds over all cases, interleaved (default 3, 1 with --quick)")
      .option("--epoch-batches <n>", `mini-batches of the timed epoch (default ${EPOCH_BATCHES}, the whole MNIST training set; 20 with --quick)`)
      .option("--clock <clock>", "cpu (process CPU time, default: for machines shared with other jobs) or wall", "cpu");
    variantOptions(cmd, "relaxed");
  },
  async run(opts) {
    const rounds = parseRounds(opts.rounds);
    if (opts.clock !== "wall" && opts.clock !== "cpu") throw new ValueError(`--clock must be wall or cpu, got ${String(opts.clock)}`);
    let epochBatches: number | undefined;
    if (opts.epochBatches !== undefined) {
      epochBatches = Number(opts.epochBatches);
      if (!Number.isInteger(epochBatches) || epochBatches < 1)
        throw new ValueError(`--epoch-batches must be a positive integer, got ${String(opts.epochBatches)}`);
    }
    const load = os.loadavg();
    const results: BenchResult[] = [];
    // The suite interleaves its cases on one variant; the variants (--simd × --threads) run one after another.
    for (const build of parseBuilds(opts.simd))
      for (const threads of parseThreads(opts.threads)) {
        if (build === "scalar" && threads > 1) continue;
        const r = await benchSpiking({ quick: Boolean(opts.quick), rounds, clock: opts.clock, impl: build, threads, epochBatches });
        console.log(`${r.impl} ×${threads}`);
        console.log(formatSpikingTable(r));
        const M = (x: number) => (x / 1e6).toFixed(0);
        for (const [label, st] of [
          ["initial", r.init],
          ["trained", r.trained],
        ] as const) {
          console.log(
            `${label}: synaptic events per window ${M(st.synapticEventsPerWindow.total)} M (forward ${M(st.synapticEventsPerWindow.forward)} M, error pathway ${M(st.synapticEventsPerWindow.feedback)} M, plasticity ${M(st.synapticEventsPerWindow.plasticity)} M), ` +
              `${(st.synapticEventsPerS / 1e9).toFixed(2)} G events/s; additions done ${M(st.workPerWindow)} M, dense work avoided ${(100 * st.denseWorkAvoided).toFixed(1)} %; events ÷ dense speed ${st.eventOverDense.toFixed(2)}×; ` +
              `firing rates ${st.firingRates.map((x) => x.toFixed(3)).join(" / ")}, error-pair rates ${st.errorRates
                .slice(1)
                .map((x) => x.toFixed(3))
                .join(" / ")} spikes/step`,
          );
        }
        console.log(
          `epoch (${r.epoch.batches} mini-batches, ${r.epoch.examples} examples): spiking ${r.epoch.spikingSeconds.toFixed(1)} s, rate model ${r.epoch.mlpSeconds.toFixed(2)} s, spiking epoch ÷ rate-model epoch ${r.epoch.ratio.toFixed(1)}×`,
        );
        // One record per timed case, in calls per second (windows or steps).
        for (const [label, st] of [
          ["initial", r.init],
          ["trained", r.trained],
        ] as const) {
          for (const [k, secs] of Object.entries(st.samples)) {
            const v = secs.map((t) => 1 / t).sort((x, z) => x - z);
            const kase =
              k === "mlp" ? "rate model (mlp frSF) step" : `${k === "predict" ? "test" : "training"} window, ${k === "dense" ? "dense" : "events"} (${label})`;
            results.push({
              suite: "spiking",
              case: kase,
              build: r.impl,
              threads,
              unit: k === "mlp" ? "steps/s" : "windows/s",
              median: median(v),
              min: v[0],
              max: v[v.length - 1],
            });
          }
        }
        // The epoch (one sample each) and the ratios the suite exists for, from the same run.
        const one = (kase: string, unit: string, v: number): BenchResult => ({
          suite: "spiking",
          case: kase,
          build: r.impl,
          threads,
          unit,
          median: v,
          min: v,
          max: v,
        });
        results.push(one(`epoch, spiking (${r.epoch.batches} mini-batches)`, `s (${r.clock})`, r.epoch.spikingSeconds));
        results.push(one(`epoch, rate model (${r.epoch.batches} mini-batches)`, `s (${r.clock})`, r.epoch.mlpSeconds));
        results.push(one("epoch, spiking ÷ rate model", "ratio", r.epoch.ratio));
        results.push(one("training window, events ÷ dense speed (initial)", "ratio", r.init.eventOverDense));
        results.push(one("training window, events ÷ dense speed (trained)", "ratio", r.trained.eventOverDense));
      }
    console.log(`net ${ARCH.join("-")}, T = 60, T₀ = 10, batch ${BATCH}, scfa-frsf, MNIST`);
    await report(results, machine(opts.clock, rounds ?? (opts.quick ? 1 : 3), load), opts.json);
  },
};
