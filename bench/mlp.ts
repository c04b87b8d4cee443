// `dendritic bench mlp`: training speed (examples/s) of the baselines of docs/model.md §2 on 784-500-500-10,
// mini-batch 10, logistic hidden units, softmax cross-entropy, biases, plain SGD — through the public
// API (Mlp.trainBatch, including the copy of each batch into WebAssembly memory). Every rule runs on
// every variant (--simd builds × --threads counts; the scalar build runs backprop only), and
// backprop also runs as plain JavaScript (Float32Array, straightforward loops) for scale, all
// interleaved round by round (bench/variants.ts).
//
// Clocks: "wall" (default) times samples with benny (wall-clock). "cpu" times each sample with
// process.cpuUsage() (user + system time of this process), which leaves out the time the process
// waits for a core — the usable measure of one thread on a machine shared with other jobs (with a
// pool it adds up the threads' time).
import os from "node:os";
import { Mlp, mulberry32, ValueError, type Core, type MlpRule } from "dendritic";
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
      const nIn = ARCH[l],
        nOut = ARCH[l + 1];
      const inp = l === 0 ? x : h[l - 1];
      const Wl = W[l],
        out = h[l],
        bl = b[l];
      for (let r = 0; r < BATCH; r++) {
        for (let i = 0; i < nOut; i++) {
          let s = bl[i];
          const wo = i * nIn,
            xo = r * nIn;
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
      const nIn = ARCH[l],
        nOut = ARCH[l + 1];
      const Wl = W[l],
        dl = delta[l];
      if (l > 0) {
        const dp = delta[l - 1],
          hp = h[l - 1];
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
  /** Builds (default relaxed, simd, scalar; the scalar build runs backprop only) and thread counts (default 1). */
  simd?: string;
  threads?: string;
  /** Plain-JavaScript backprop beside them (default true). */
  js?: boolean;
  /** "wall" (benny, default) or "cpu" (process CPU time per sample). */
  clock?: "wall" | "cpu";
  log?: (line: string) => void;
}

export async function benchMlp(options: MlpBenchOptions = {}): Promise<{ results: BenchResult[]; load: number[] }> {
  const quick = options.quick ?? false;
  const rounds = options.rounds ?? (quick ? 1 : 5);
  const rules = options.rules ?? RULES;
  for (const r of rules) if (!RULES.includes(r)) throw new ValueError(`rule must be one of ${RULES.join(", ")}; got ${String(r)}`);
  const d = data();
  const load = os.loadavg();
  const variants = await openVariants(parseBuilds(options.simd ?? "relaxed,simd,scalar"), parseThreads(options.threads ?? "1"), options.log);
  try {
    const cases: Case[] = [];
    const push = (name: string, build: string, threads: number, c: { step: () => void; dispose: () => void }, slow: boolean) =>
      cases.push({
        case: name,
        build,
        threads,
        unit: "examples/s",
        units: BATCH,
        step: c.step,
        dispose: c.dispose,
        minSamples: slow ? 5 : 20,
        maxTime: slow ? 0.5 : 1,
        calls: slow ? 5 : 20,
      });
    for (const v of variants) {
      const slow = v.build === "wasm-scalar";
      for (const rule of slow ? rules.filter((r) => r === "bp") : rules) push(rule, v.build, v.threads, wasmCase(v.core, rule, 0, d), slow);
      if (!slow && rules.includes("bp")) push("bp momentum 0.9", v.build, v.threads, wasmCase(v.core, "bp", 0.9, d), false);
    }
    if ((options.js ?? true) && rules.includes("bp"))
      cases.push({ case: "bp", build: "js", threads: 1, unit: "examples/s", units: BATCH, minSamples: 5, maxTime: 0.5, calls: 1, ...jsCase(d) });
    return { results: await runInterleaved("mlp", cases, { rounds, quick, clock: options.clock, log: options.log }), load };
  } finally {
    closeVariants(variants);
  }
}

export const mlpSuite: BenchSuite = {
  name: "mlp",
  description: "training examples/s of BP, FA, DFA, uSF, frSF, brSF on 784-500-500-10, batch 10, logistic, softmax-CE (plus scalar and plain-JS backprop)",
  options(cmd) {
    cmd
      .option("--rounds <n>", "rounds over all cases, interleaved (default 5, 1 with --quick)")
      .option("--rule <names>", `comma-separated subset: ${RULES.join(",")}`)
      .option("--no-js", "leave out the plain-JavaScript backprop")
      .option("--clock <clock>", "wall (benny, default) or cpu (process CPU time: for machines shared with other jobs; one thread only)", "wall");
    variantOptions(cmd);
  },
  async run(opts) {
    const rounds = parseRounds(opts.rounds) ?? (opts.quick ? 1 : 5);
    const rules = parseList(opts.rule) as MlpRule[] | undefined;
    if (opts.clock !== "wall" && opts.clock !== "cpu") throw new ValueError(`--clock must be wall or cpu, got ${String(opts.clock)}`);
    const { results, load } = await benchMlp({
      quick: Boolean(opts.quick),
      rounds,
      rules,
      clock: opts.clock,
      simd: opts.simd as string,
      threads: opts.threads as string,
      js: opts.js !== false,
    });
    console.log(`net ${ARCH.join("-")}, batch ${BATCH}, logistic, softmax-CE, SGD`);
    await report(results, machine(opts.clock, rounds, load), opts.json);
  },
};
