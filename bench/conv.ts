// `dendritic bench conv`: training speed (examples/s) of the convolutional MNIST network of PBR20 (docs/model.md §3)
// (32@3×3 s1 same → ReLU → BN → 32@3×3 s2 same → ReLU → BN → dropout 0.3 → dense 500 → ReLU →
// dropout 0.3 → dense 10, no biases) at mini-batch 128, single thread, through the public API
// (BrainPropNet.trainBatch, including the copy of each batch into WebAssembly memory):
//   - BrainProp and backprop (softmax cross-entropy) on our SIMD build;
//   - the same network trained by backprop in TensorFlow.js on its WebAssembly backend
//     (@tensorflow/tfjs-backend-wasm, XNNPACK, SIMD, forced single-threaded, .wasm files read from
//     the installed package), measured in the same run. That backend has no Conv2DBackpropFilter
//     kernel; we register one composed of its own ops (a dilated convolution, the standard
//     identity for the filter gradient), so the whole step runs in its WebAssembly.
// Rounds run every case once in turn, so all see the same machine noise; samples are pooled.
import { add, suite } from "benny";
// Types only (erased): TensorFlow.js is a devDependency, loaded at run time when the suite compares with it.
import type * as tfjs from "@tensorflow/tfjs";
import type * as tfjsWasm from "@tensorflow/tfjs-backend-wasm";
import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import os from "node:os";
import { BrainPropNet, DendriticError, init, mulberry32, PBR20, type Core } from "dendritic";
import { alignColumns, parseRounds, type BenchSuite } from "./suite.js";

const BATCH = PBR20.batch;
const POOL = 8;
const SIDE = 28;

interface Case {
  name: string;
  impl: string;
  rule: string;
  step: () => void | Promise<void>;
  dispose: () => void;
  seconds: number[];
}

function data() {
  const next = mulberry32(11);
  const x = Float32Array.from({ length: POOL * BATCH * SIDE * SIDE }, next);
  const labels = Int32Array.from({ length: POOL * BATCH }, () => Math.floor(next() * 10));
  return { x, labels };
}

function oursCase(core: Core, rule: "brainprop" | "bp", d: ReturnType<typeof data>): Case {
  const m = new BrainPropNet(core, { net: "conv", rule, maxBatch: BATCH, seed: 1 });
  let i = 0;
  const n = BATCH * SIDE * SIDE;
  return {
    name: `${rule} ${core.impl}`,
    impl: core.impl,
    rule,
    seconds: [],
    step: () => {
      const k = i++ % POOL;
      m.trainBatch({ n: BATCH, x: d.x.subarray(k * n, (k + 1) * n), labels: d.labels.subarray(k * BATCH, (k + 1) * BATCH) });
    },
    dispose: () => m.dispose(),
  };
}

async function tfjsCase(d: ReturnType<typeof data>): Promise<Case> {
  let tf: typeof tfjs, wasm: typeof tfjsWasm;
  try {
    tf = await import("@tensorflow/tfjs");
    wasm = await import("@tensorflow/tfjs-backend-wasm");
  } catch (e) {
    throw new DendriticError(`bench conv: TensorFlow.js is not installed (it is a devDependency: npm install in the repository, or pass --no-tfjs): ${(e as Error).message}`);
  }
  const require = createRequire(import.meta.url);
  const dist = path.join(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + path.sep;
  // single thread: the threaded .wasm is never chosen, and no worker is started
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  wasm.setThreadsCount(1);
  wasm.setWasmPaths(dist);
  if (!tf.getKernel("Conv2DBackpropFilter", "wasm")) {
    tf.registerKernel({
      kernelName: "Conv2DBackpropFilter",
      backendName: "wasm",
      // dW[ky,kx,ci,co] = Σ_{b,i,j} Xp[b, ky + s·i, kx + s·j, ci]·dY[b,i,j,co]: a valid convolution
      // of the padded input with batch and channels swapped, by dY as a filter dilated by the stride.
      kernelFunc: ({ inputs, attrs }: any) => {
        const { strides, pad, filterShape } = attrs;
        const [sh, sw] = Array.isArray(strides) ? strides : [strides, strides];
        const [fh, fw, cin, cout] = filterShape;
        return tf.tidy(() => {
          const X = tf.engine().makeTensorFromTensorInfo(inputs.x) as tfjs.Tensor4D;
          const DY = tf.engine().makeTensorFromTensorInfo(inputs.dy) as tfjs.Tensor4D;
          const [, H, W] = X.shape;
          const [, Ho, Wo] = DY.shape;
          let pt = 0, pl = 0, pb = 0, pr = 0;
          if (pad === "same") {
            const th = Math.max((Ho - 1) * sh + fh - H, 0), tw = Math.max((Wo - 1) * sw + fw - W, 0);
            pt = Math.floor(th / 2); pb = th - pt; pl = Math.floor(tw / 2); pr = tw - pl;
          } else if (pad !== "valid") {
            throw new DendriticError(`bench conv: Conv2DBackpropFilter with padding ${JSON.stringify(pad)} is not needed here`);
          }
          const Xp = tf.pad(X, [[0, 0], [pt, pb], [pl, pr], [0, 0]]);
          const O = tf.conv2d(tf.transpose(Xp, [3, 1, 2, 0]), tf.transpose(DY, [1, 2, 0, 3]), 1, "valid", "NHWC", [sh, sw]);
          return tf.transpose(O.slice([0, 0, 0, 0], [cin, fh, fw, cout]), [1, 2, 0, 3]);
        });
      },
    });
  }
  if (!(await tf.setBackend("wasm"))) throw new DendriticError("bench conv: TensorFlow.js could not start its wasm backend");
  await tf.ready();
  if (tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT")) throw new DendriticError("bench conv: TensorFlow.js wasm backend would use threads");
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  const init = () => tf.initializers.randomNormal({ stddev: PBR20.initStd, seed: 1 });
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [SIDE, SIDE, 1], filters: 32, kernelSize: 3, strides: 1, padding: "same", useBias: false, activation: "relu", kernelInitializer: init() }));
  m.add(tf.layers.batchNormalization({ momentum: 0.99, epsilon: 1e-3 }));
  m.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: "same", useBias: false, activation: "relu", kernelInitializer: init() }));
  m.add(tf.layers.batchNormalization({ momentum: 0.99, epsilon: 1e-3 }));
  m.add(tf.layers.dropout({ rate: PBR20.dropout }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 500, useBias: false, activation: "relu", kernelInitializer: init() }));
  m.add(tf.layers.dropout({ rate: PBR20.dropout }));
  m.add(tf.layers.dense({ units: 10, useBias: false, kernelInitializer: init() }));
  m.compile({ optimizer: tf.train.sgd(PBR20.lr), loss: tf.losses.softmaxCrossEntropy });
  const xs: tfjs.Tensor[] = [], ys: tfjs.Tensor[] = [];
  for (let k = 0; k < POOL; k++) {
    xs.push(tf.tensor4d(d.x.subarray(k * BATCH * SIDE * SIDE, (k + 1) * BATCH * SIDE * SIDE), [BATCH, SIDE, SIDE, 1]));
    ys.push(tf.oneHot(tf.tensor1d(d.labels.subarray(k * BATCH, (k + 1) * BATCH), "int32"), 10));
  }
  let i = 0;
  return {
    name: `bp tfjs-wasm${simd ? "-simd" : ""}`,
    impl: `tfjs-wasm${simd ? "-simd" : ""} ${tf.version.tfjs}`,
    rule: "bp",
    seconds: [],
    step: async () => {
      const k = i++ % POOL;
      await m.trainOnBatch(xs[k], ys[k]);
    },
    dispose: () => {
      for (const t of [...xs, ...ys]) t.dispose();
      m.dispose();
    },
  };
}

export interface ConvBenchResult {
  name: string;
  impl: string;
  rule: string;
  examplesPerS: { median: number; min: number; max: number };
  samples: number;
}

export async function benchConv(options: { quick?: boolean; rounds?: number; tfjs?: boolean; log?: (l: string) => void } = {}): Promise<ConvBenchResult[]> {
  const quick = options.quick ?? false;
  const rounds = options.rounds ?? (quick ? 1 : 3);
  const log = options.log ?? ((l: string) => console.error(l));
  const d = data();
  const core = await init({ impl: "simd" });
  const cases: Case[] = [oursCase(core, "brainprop", d), oursCase(core, "bp", d)];
  if (options.tfjs ?? true) cases.push(await tfjsCase(d));
  for (let r = 0; r < rounds; r++) {
    log(`bench conv: round ${r + 1}/${rounds} (${cases.length} cases, batch ${BATCH})`);
    const summary = await suite(
      `conv round ${r + 1}`,
      ...cases.map((c) => add(c.name, () => c.step, quick ? { minSamples: 2, maxTime: 0.5, delay: 0.01 } : { minSamples: 5, maxTime: 3, delay: 0.01 })),
    );
    for (const res of summary.results) cases.find((c) => c.name === res.name)!.seconds.push(...res.details.sampleResults);
  }
  for (const c of cases) c.dispose();
  return cases.map((c) => {
    const s = [...c.seconds].sort((a, z) => a - z);
    const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    const rate = (t: number) => BATCH / t;
    return { name: c.name, impl: c.impl, rule: c.rule, samples: s.length, examplesPerS: { median: rate(median), min: rate(s[s.length - 1]), max: rate(s[0]) } };
  });
}

export const convSuite: BenchSuite = {
  name: "conv",
  description: "training examples/s of PBR20's conv-MNIST net (docs/model.md §3) at batch 128 (BrainProp, backprop) beside TensorFlow.js's WASM backend",
  options(cmd) {
    cmd.option("--rounds <n>", "rounds over all cases, interleaved (default 3, 1 with --quick)").option("--no-tfjs", "skip the TensorFlow.js comparison");
  },
  async run(opts) {
    const rounds = parseRounds(opts.rounds);
    const results = await benchConv({ quick: !!opts.quick, rounds, tfjs: opts.tfjs !== false });
    const tf = results.find((r) => r.impl.startsWith("tfjs"));
    const rows = [["case", "examples/s median", "min", "max", "samples", ...(tf ? ["× tfjs"] : [])]];
    for (const r of results) {
      rows.push([r.name, r.examplesPerS.median.toFixed(1), r.examplesPerS.min.toFixed(1), r.examplesPerS.max.toFixed(1), String(r.samples), ...(tf ? [(r.examplesPerS.median / tf.examplesPerS.median).toFixed(2)] : [])]);
    }
    console.log(alignColumns(rows, 1));
    if (opts.json) {
      const out = {
        suite: "conv",
        network: "PBR20 conv MNIST (docs/model.md §3): 32@3x3 s1 same, ReLU, BN, 32@3x3 s2 same, ReLU, BN, dropout 0.3, dense 500 ReLU, dropout 0.3, dense 10; no biases",
        batch: BATCH,
        threads: 1,
        node: process.version,
        cpu: os.cpus()[0]?.model,
        loadavg: os.loadavg(),
        results,
        speedupVsTfjs: tf ? Object.fromEntries(results.filter((r) => r !== tf).map((r) => [r.name, r.examplesPerS.median / tf.examplesPerS.median])) : undefined,
      };
      await writeFile(String(opts.json), JSON.stringify(out, null, 2) + "\n");
      console.error(`wrote ${String(opts.json)}`);
    }
  },
};
