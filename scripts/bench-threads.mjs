// The thread and build ratios of the models in ONE process: every workload on every variant
// (build × thread count), the variants interleaved round by round so they share the machine's load.
// Writes the benchmark JSON shape {"results":[{suite, case, build, threads, unit, median, min, max}], "machine"}.
// Usage (after npm run build):
//   node scripts/bench-threads.mjs [workloads] [rounds] [seconds per case per round] [out.json]
//   workloads: comma-separated of steady, bp, conv, euler784, euler30, peak (default all)
//   VARIANTS=relaxed:1,relaxed:2,simd:1,simd:2 (default) selects build:threads pairs
import os from "node:os";
import { writeFileSync } from "node:fs";
import { init, Microcircuit, MicrocircuitClassifier, Mlp, BrainPropNet } from "../dist/index.js";

const which = (process.argv[2] ?? "steady,bp,conv,euler784,euler30,peak").split(",");
const rounds = Number(process.argv[3] ?? 3);
const secs = Number(process.argv[4] ?? 1.5);
const out = process.argv[5];

function rnd(seed) { let a = seed >>> 0; return () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32; }; }

const variants = (process.env.VARIANTS ?? "relaxed:1,relaxed:2,simd:1,simd:2").split(",").map((v) => { const [b, t] = v.split(":"); return [b, Number(t)]; });
const cores = new Map();
for (const [b, t] of variants) cores.set(`${b}:${t}`, await init({ impl: b, threads: t }));
const cases = [];
const next = rnd(7);
const xs = Float32Array.from({ length: 100 * 7840 }, next);
const labels = Int32Array.from({ length: 1000 }, () => Math.floor(next() * 10));
const convX = Float32Array.from({ length: 4 * 128 * 784 }, next);
const convL = Int32Array.from({ length: 4 * 128 }, () => Math.floor(next() * 10));
for (const [b, t] of variants) {
  const core = cores.get(`${b}:${t}`);
  const build = core.impl, threads = core.threads;
  if (which.includes("steady")) {
    const m = new MicrocircuitClassifier(core, { sizes: [784, 500, 500, 10], maxBatch: 10, seed: 1 });
    let i = 0;
    cases.push({ suite: "microcircuit", case: "steady 784-500-500-10 batch 10", build, threads, unit: "examples/s", units: 10, times: [], step: () => { const k = i++ % 100; m.trainBatch({ n: 10, x: xs.subarray(k * 7840, (k + 1) * 7840), labels: labels.subarray(k * 10, (k + 1) * 10) }); } });
  }
  if (which.includes("bp")) {
    const m = new Mlp(core, { arch: [784, 500, 500, 10], activation: "logistic", loss: "softmax-ce", rule: "bp", lr: 0.01, seed: 1, maxBatch: 10 });
    let i = 0;
    cases.push({ suite: "mlp", case: "bp 784-500-500-10 batch 10", build, threads, unit: "examples/s", units: 10, times: [], step: () => { const k = i++ % 100; m.trainBatch({ n: 10, x: xs.subarray(k * 7840, (k + 1) * 7840), labels: labels.subarray(k * 10, (k + 1) * 10) }); } });
  }
  if (which.includes("conv")) {
    const m = new BrainPropNet(core, { net: "conv", rule: "brainprop", maxBatch: 128, seed: 1 });
    let i = 0;
    cases.push({ suite: "conv", case: "brainprop conv-MNIST batch 128", build, threads, unit: "examples/s", units: 128, times: [], step: () => { const k = i++ % 4; m.trainBatch({ n: 128, x: convX.subarray(k * 128 * 784, (k + 1) * 128 * 784), labels: convL.subarray(k * 128, (k + 1) * 128) }); } });
  }
  for (const [key, sizes, steps] of [["euler784", [784, 500, 500, 10], 50], ["euler30", [30, 50, 10], 1000]]) {
    if (!which.includes(key)) continue;
    const g = { dist: "glorot", gain: 1 };
    const net = new Microcircuit(core, { sizes: [...sizes], sigma: 0.1, seed: 1, start: "selfPredicting", init: { up: g, down: g, ip: g, pi: g } });
    const pool = Array.from({ length: 16 }, () => Float32Array.from({ length: sizes[0] }, next));
    const target = Float32Array.from({ length: sizes.at(-1) }, () => next() * 2 - 1);
    let i = 0;
    cases.push({ suite: "microcircuit", case: `euler ${sizes.join("-")}`, build, threads, unit: "Euler steps/s", units: steps, times: [], step: () => net.present(pool[i++ % 16], { steps, target, learn: true }) });
  }
  if (which.includes("peak")) {
    const f = core.fn(threads > 1 ? "simdPeakThreads" : "simdPeak");
    cases.push({ suite: "kernels", case: "peak (registers only)", build, threads, unit: "GFLOP/s", units: (96 * 100000 * threads) / 1e9, times: [], step: () => void f(100000, 0.999, 0.001) });
  }
}
const load0 = os.loadavg();
for (let r = 0; r < rounds; r++) {
  for (const c of cases) {
    c.step(); c.step();
    const end = performance.now() + secs * 1000;
    while (performance.now() < end) { const t0 = performance.now(); c.step(); c.times.push((performance.now() - t0) / 1000); }
  }
  console.error(`round ${r + 1}/${rounds}, load ${os.loadavg()[0].toFixed(1)}`);
}
for (const c of cores.values()) c.dispose();
const results = cases.map((c) => { const s = [...c.times].sort((a, b) => a - b); const med = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; return { suite: c.suite, case: c.case, build: c.build, threads: c.threads, unit: c.unit, median: c.units / med, min: c.units / s[s.length - 1], max: c.units / s[0], samples: s.length }; });
const machine = { cpu: os.cpus()[0]?.model, logicalCores: os.availableParallelism(), node: process.versions.node, loadAverageStart: load0, loadAverageEnd: os.loadavg(), date: new Date().toISOString() };
if (out) writeFileSync(out, JSON.stringify({ results, machine }, null, 2) + "\n");
for (const r of results) {
  const one = results.find((o) => o.case === r.case && o.build === r.build && o.threads === 1);
  const simd = results.find((o) => o.case === r.case && o.build === "wasm-simd" && o.threads === r.threads);
  console.log(`${r.case.padEnd(34)} ${r.build.padEnd(13)} ×${r.threads}  ${r.median.toFixed(1).padStart(9)} ${r.unit}  (${r.min.toFixed(1)}–${r.max.toFixed(1)}, n=${r.samples})  ÷1thr ${one ? (r.median / one.median).toFixed(2) : "–"}  ÷simd ${simd ? (r.median / simd.median).toFixed(2) : "–"}`);
}
console.log(JSON.stringify(machine));
