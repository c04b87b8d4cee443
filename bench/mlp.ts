// `dendritic bench mlp`: training speed (examples/s) of the baselines of docs/model.md §2 on 784-500-500-10,
// mini-batch 10, logistic hidden units, softmax cross-entropy, biases, plain SGD — through the public API (Mlp.trainBatch, including the copy of each batch into
// WebAssembly memory). Every rule runs on the SIMD build (and relaxed SIMD where the runtime
// validates it); backprop also runs on the scalar build and as plain JavaScript (Float32Array,
// straightforward loops) for scale. Each round runs every case once, in turn, so all see the same
// machine noise; samples are pooled over the rounds. The top-level `examplesPerS` is the median of
// backprop on the fastest WebAssembly build.
//
// Clocks: "wall" (default) times samples with benny (wall-clock). "cpu" times each sample with
// process.cpuUsage() (user + system time of this process), which leaves out the time the process
// waits for a core — the usable measure on a machine shared with other jobs, where wall-clock
// rates mostly measure the scheduler. Both are single-thread rates.
import { add, suite } from "benny";
import { writeFile } from "node:fs/promises";
import { detectFeatures, init, Mlp, mulberry32, ValueError, type Core, type Impl, type MlpRule } from "dendritic";
import { alignColumns, parseRounds, type BenchSuite } from "./suite.js";

export type MlpBenchImpl = Impl | "js";

export interface MlpBenchResult {
  rule: MlpRule;
  impl: MlpBenchImpl;
  momentum: number;
  examplesPerS: { median: number; min: number; max: number };
}

const ARCH = [784, 500, 500, 10];
const BATCH = 10;
/** Distinct batches cycled through, so inputs are not the same cache-hot block every step. */
const POOL = 100;
const RULES: MlpRule[] = ["bp", "fa", "dfa", "usf", "frsf", "brsf"];

/** MNIST-like inputs in [0, 1) and labels 0–9. */
function data(): { x: Float32Array; labels: Int32Array } {
  const next = mulberry32(7);
  const x = Float32Array.from({ length: POOL * BATCH * ARCH[0] }, next);
  const labels = Int32Array.from({ length: POOL * BATCH }, () => Math.floor(next() * 10));
  return { x, labels };
}

function wasmCase(core: Core, rule: MlpRule, momentum: number, d: ReturnType<typeof data>): { step: () => void; dispose: () => void } {
  // lr 0.01 keeps thousands of steps on random labels finite and in the normal float range.
  const m = new Mlp(core, { arch: ARCH, activation: "logistic", loss: "softmax-ce", rule, lr: 0.01, momentum, seed: 1, maxBatch: BATCH });
  let i = 0;
  const n = ARCH[0] * BATCH;
  return {
    step: () => {
      const k = i++ % POOL;
      m.trainBatch({ n: BATCH, x: d.x.subarray(k * n, (k + 1) * n), labels: d.labels.subarray(k * BATCH, (k + 1) * BATCH) });
    },
    dispose: () => m.dispose(),
  };
}

/** Backprop step in plain JavaScript on the same net (the reference formulas of docs/model.md §2, unpadded). */
function jsCase(d: ReturnType<typeof data>): { step: () => void; dispose: () => void } {
  const L = ARCH.length - 1;
  const next = mulberry32(3);
  const W = ARCH.slice(1).map((nOut, l) => {
    const a = Math.sqrt(6 / (ARCH[l] + nOut));
    return Float32Array.from({ length: nOut * ARCH[l] }, () => (2 * next() - 1) * a);
  });
  const b = ARCH.slice(1).map((n) => new Float32Array(n));
  const h = ARCH.slice(1).map((n) => new Float32Array(BATCH * n));
  const delta = ARCH.slice(1).map((n) => new Float32Array(BATCH * n));
  const lr = 0.01;
  let it = 0;
  const step = () => {
    const k = it++ % POOL;
    const x = d.x.subarray(k * BATCH * ARCH[0], (k + 1) * BATCH * ARCH[0]);
    const labels = d.labels.subarray(k * BATCH, (k + 1) * BATCH);
    for (let l = 0; l < L; l++) {
      const nIn = ARCH[l], nOut = ARCH[l + 1];
      const inp = l === 0 ? x : h[l - 1];
      const Wl = W[l], out = h[l], bl = b[l];
      for (let r = 0; r < BATCH; r++) {
        for (let i = 0; i < nOut; i++) {
          let s = bl[i];
          const wo = i * nIn, xo = r * nIn;
          for (let j = 0; j < nIn; j++) s += Wl[wo + j] * inp[xo + j];
          out[r * nOut + i] = l < L - 1 ? 1 / (1 + Math.exp(-s)) : s;
        }
        if (l === L - 1) {
          let m = -Infinity;
          for (let i = 0; i < nOut; i++) m = Math.max(m, out[r * nOut + i]);
          let z = 0;
          for (let i = 0; i < nOut; i++) z += out[r * nOut + i] = Math.exp(out[r * nOut + i] - m);
          for (let i = 0; i < nOut; i++) out[r * nOut + i] /= z;
        }
      }
    }
    const top = delta[L - 1];
    for (let r = 0; r < BATCH; r++) for (let i = 0; i < ARCH[L]; i++) top[r * ARCH[L] + i] = h[L - 1][r * ARCH[L] + i] - (labels[r] === i ? 1 : 0);
    for (let l = L - 1; l >= 0; l--) {
      const nIn = ARCH[l], nOut = ARCH[l + 1];
      const Wl = W[l], dl = delta[l];
      if (l > 0) {
        const dp = delta[l - 1], hp = h[l - 1];
        dp.fill(0);
        for (let r = 0; r < BATCH; r++)
          for (let i = 0; i < nOut; i++) {
            const e = dl[r * nOut + i];
            for (let j = 0; j < nIn; j++) dp[r * nIn + j] += e * Wl[i * nIn + j];
          }
        for (let q = 0; q < dp.length; q++) dp[q] *= hp[q] * (1 - hp[q]);
      }
      const inp = l === 0 ? x : h[l - 1];
      const c = -lr / BATCH;
      for (let r = 0; r < BATCH; r++)
        for (let i = 0; i < nOut; i++) {
          const e = c * dl[r * nOut + i];
          b[l][i] += e;
          for (let j = 0; j < nIn; j++) Wl[i * nIn + j] += e * inp[r * nIn + j];
        }
    }
  };
  return { step, dispose: () => {} };
}

export interface MlpBenchOptions {
  quick?: boolean;
  /** Rounds over all cases (default 5; 1 when quick). */
  rounds?: number;
  rules?: MlpRule[];
  /** "wall" (benny, default) or "cpu" (process CPU time per sample). */
  clock?: "wall" | "cpu";
  log?: (line: string) => void;
}

/** Seconds of process CPU time per call of `step`, one value per sample of `calls` calls. */
function cpuSamples(step: () => void, samples: number, calls: number): number[] {
  const out: number[] = [];
  for (let s = 0; s < samples; s++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < calls; i++) step();
    const c = process.cpuUsage(c0);
    out.push((c.user + c.system) / 1e6 / calls);
  }
  return out;
}

export async function benchMlp(options: MlpBenchOptions = {}): Promise<MlpBenchResult[]> {
  const quick = options.quick ?? false;
  const rounds = options.rounds ?? (quick ? 1 : 5);
  const log = options.log ?? ((l: string) => console.error(l));
  const rules = options.rules ?? RULES;
  for (const r of rules) if (!RULES.includes(r)) throw new ValueError(`rule must be one of ${RULES.join(", ")}; got ${String(r)}`);
  const d = data();
  const fastImpls: Impl[] = detectFeatures().relaxedSimd ? ["wasm-relaxed", "wasm-simd"] : ["wasm-simd"];
  const choice = { "wasm-relaxed": "relaxed", "wasm-simd": "simd", "wasm-scalar": "scalar" } as const;
  const cores = new Map<Impl, Core>();
  for (const i of [...fastImpls, "wasm-scalar" as Impl]) cores.set(i, await init({ impl: choice[i] }));

  interface Entry { rule: MlpRule; impl: MlpBenchImpl; momentum: number; name: string; c: { step: () => void; dispose: () => void }; seconds: number[]; slow: boolean }
  const entries: Entry[] = [];
  const addEntry = (rule: MlpRule, impl: MlpBenchImpl, momentum: number, slow: boolean) => {
    const c = impl === "js" ? jsCase(d) : wasmCase(cores.get(impl)!, rule, momentum, d);
    entries.push({ rule, impl, momentum, c, slow, seconds: [], name: `${rule} ${impl}${momentum ? ` momentum ${momentum}` : ""}` });
  };
  for (const impl of fastImpls) {
    for (const rule of rules) addEntry(rule, impl, 0, false);
    if (rules.includes("bp")) addEntry("bp", impl, 0.9, false);
  }
  if (rules.includes("bp")) {
    addEntry("bp", "wasm-scalar", 0, true);
    addEntry("bp", "js", 0, true);
  }

  const clock = options.clock ?? "wall";
  for (let r = 0; r < rounds; r++) {
    log(`bench mlp: round ${r + 1}/${rounds} (${entries.length} cases, ${clock} clock)`);
    if (clock === "cpu") {
      for (const e of entries) {
        for (let w = 0; w < 3; w++) e.c.step();
        // A sample is ≥ 10 ms of CPU time (cpuUsage has microsecond resolution).
        e.seconds.push(...cpuSamples(e.c.step, quick ? 3 : e.slow ? 3 : 10, e.impl === "js" ? 1 : e.slow ? 5 : 20));
      }
      continue;
    }
    const summary = await suite(
      `mlp round ${r + 1}`,
      ...entries.map((e) =>
        add(e.name, () => e.c.step, quick ? { minSamples: e.slow ? 2 : 5, maxTime: e.slow ? 0.1 : 0.2, delay: 0.005 } : { minSamples: e.slow ? 5 : 20, maxTime: e.slow ? 0.5 : 1, delay: 0.005 }),
      ),
    );
    for (const res of summary.results) entries.find((x) => x.name === res.name)!.seconds.push(...res.details.sampleResults);
  }
  for (const e of entries) e.c.dispose();

  return entries.map((e) => {
    const s = [...e.seconds].sort((a, z) => a - z);
    const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    const rate = (t: number) => BATCH / t;
    return { rule: e.rule, impl: e.impl, momentum: e.momentum, examplesPerS: { median: rate(median), min: rate(s[s.length - 1]), max: rate(s[0]) } };
  });
}

export function formatMlpTable(results: MlpBenchResult[]): string {
  const rows = [["rule", "impl", "momentum", "examples/s median", "min", "max"]];
  for (const r of results) {
    rows.push([r.rule, r.impl, String(r.momentum), r.examplesPerS.median.toFixed(0), r.examplesPerS.min.toFixed(0), r.examplesPerS.max.toFixed(0)]);
  }
  return alignColumns(rows, 3);
}

export const mlpSuite: BenchSuite = {
  name: "mlp",
  description: "training examples/s of BP, FA, DFA, uSF, frSF, brSF on 784-500-500-10, batch 10, logistic, softmax-CE (plus scalar and plain-JS backprop)",
  options(cmd) {
    cmd
      .option("--rounds <n>", "rounds over all cases, interleaved (default 5, 1 with --quick)")
      .option("--rule <names>", `comma-separated subset: ${RULES.join(",")}`)
      .option("--clock <clock>", "wall (benny, default) or cpu (process CPU time: for machines shared with other jobs)", "wall");
  },
  async run(opts) {
    const rounds = parseRounds(opts.rounds);
    const rules = typeof opts.rule === "string" ? (opts.rule.split(",").map((s) => s.trim()).filter(Boolean) as MlpRule[]) : undefined;
    if (opts.clock !== "wall" && opts.clock !== "cpu") throw new ValueError(`--clock must be wall or cpu, got ${String(opts.clock)}`);
    const clock = opts.clock;
    const results = await benchMlp({ quick: Boolean(opts.quick), rounds, rules, clock });
    console.log(formatMlpTable(results));
    console.log(`net ${ARCH.join("-")}, batch ${BATCH}, logistic, softmax-CE, SGD; single thread, ${clock} clock, Node ${process.version}, ${new Date().toISOString()}`);
    const bp = results.filter((r) => r.rule === "bp" && r.impl !== "js" && r.impl !== "wasm-scalar" && r.momentum === 0);
    const best = bp.sort((a, z) => z.examplesPerS.median - a.examplesPerS.median)[0];
    if (opts.json) {
      const doc = {
        examplesPerS: best?.examplesPerS.median ?? null,
        impl: best?.impl ?? null,
        clock,
        workload: { arch: ARCH, batch: BATCH, activation: "logistic", loss: "softmax-ce", biases: true, optimizer: "sgd" },
        node: process.version,
        date: new Date().toISOString(),
        results,
      };
      await writeFile(opts.json, JSON.stringify(doc, null, 2) + "\n");
      console.log(`wrote ${opts.json}`);
    }
  },
};
