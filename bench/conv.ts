// `dendritic bench conv`: training speed (examples/s) of the convolutional MNIST network of PBR20 (docs/model.md §3)
// (32@3×3 s1 same → ReLU → BN → 32@3×3 s2 same → ReLU → BN → dropout 0.3 → dense 500 → ReLU →
// dropout 0.3 → dense 10, no biases) at mini-batch 128, through the public API
// (BrainPropNet.trainBatch, including the copy of each batch into WebAssembly memory):
//   - BrainProp and backprop (softmax cross-entropy) on every variant (--simd builds × --threads);
//   - the same network trained by backprop in TensorFlow.js on its WebAssembly backend
//     (@tensorflow/tfjs-backend-wasm, XNNPACK, SIMD, forced single-threaded, .wasm files read from
//     the installed package), measured in the same run. That backend has no Conv2DBackpropFilter
//     kernel; we register one composed of its own ops (a dilated convolution, the standard
//     identity for the filter gradient), so the whole step runs in its WebAssembly.
// Rounds run every case once in turn, so all see the same machine noise; samples are pooled.
// Types only (erased): TensorFlow.js is a devDependency, loaded at run time when the suite compares with it.
import type * as tfjs from "@tensorflow/tfjs";
import type * as tfjsWasm from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import path from "node:path";
import os from "node:os";
import { BrainPropNet, DendriticError, mulberry32, PBR20 } from "dendritic";
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

const BATCH = PBR20.batch;
const POOL = 8;
const SIDE = 28;

function data() {
  const next = mulberry32(11);
  const x = Float32Array.from({ length: POOL * BATCH * SIDE * SIDE }, next);
  const labels = Int32Array.from({ length: POOL * BATCH }, () => Math.floor(next() * 10));
  return { x, labels };
}

function oursCase(v: Variant, rule: "brainprop" | "bp", d: ReturnType<typeof data>): Case {
  const m = new BrainPropNet(v.core, { net: "conv", rule, maxBatch: BATCH, seed: 1 });
  let i = 0;
  const n = BATCH * SIDE * SIDE;
  return {
    case: rule,
    build: v.build,
    threads: v.threads,
    unit: "examples/s",
    units: BATCH,
    minSamples: 5,
    maxTime: 3,
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
    throw new DendriticError(
      `bench conv: TensorFlow.js is not installed (it is a devDependency: npm install in the repository, or pass --no-tfjs): ${(e as Error).message}`,
    );
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
          let pt = 0,
            pl = 0,
            pb = 0,
            pr = 0;
          if (pad === "same") {
            const th = Math.max((Ho - 1) * sh + fh - H, 0),
              tw = Math.max((Wo - 1) * sw + fw - W, 0);
            pt = Math.floor(th / 2);
            pb = th - pt;
            pl = Math.floor(tw / 2);
            pr = tw - pl;
          } else if (pad !== "valid") {
            throw new DendriticError(`bench conv: Conv2DBackpropFilter with padding ${JSON.stringify(pad)} is not needed here`);
          }
          const Xp = tf.pad(X, [
            [0, 0],
            [pt, pb],
            [pl, pr],
            [0, 0],
          ]);
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
  m.add(
    tf.layers.conv2d({
      inputShape: [SIDE, SIDE, 1],
      filters: 32,
      kernelSize: 3,
      strides: 1,
      padding: "same",
      useBias: false,
      activation: "relu",
      kernelInitializer: init(),
    }),
  );
  m.add(tf.layers.batchNormalization({ momentum: 0.99, epsilon: 1e-3 }));
  m.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: "same", useBias: false, activation: "relu", kernelInitializer: init() }));
  m.add(tf.layers.batchNormalization({ momentum: 0.99, epsilon: 1e-3 }));
  m.add(tf.layers.dropout({ rate: PBR20.dropout }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 500, useBias: false, activation: "relu", kernelInitializer: init() }));
  m.add(tf.layers.dropout({ rate: PBR20.dropout }));
  m.add(tf.layers.dense({ units: 10, useBias: false, kernelInitializer: init() }));
  m.compile({ optimizer: tf.train.sgd(PBR20.lr), loss: tf.losses.softmaxCrossEntropy });
  const xs: tfjs.Tensor[] = [],
    ys: tfjs.Tensor[] = [];
  for (let k = 0; k < POOL; k++) {
    xs.push(tf.tensor4d(d.x.subarray(k * BATCH * SIDE * SIDE, (k + 1) * BATCH * SIDE * SIDE), [BATCH, SIDE, SIDE, 1]));
    ys.push(tf.oneHot(tf.tensor1d(d.labels.subarray(k * BATCH, (k + 1) * BATCH), "int32"), 10));
  }
  let i = 0;
  return {
    case: "bp",
    build: `tfjs-wasm${simd ? "-simd" : ""} ${tf.version.tfjs}`,
    threads: 1,
    unit: "examples/s",
    units: BATCH,
    minSamples: 5,
    maxTime: 3,
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

export interface ConvBenchOptions {
  quick?: boolean;
  rounds?: number;
  /** TensorFlow.js beside ours (default true). */
  tfjs?: boolean;
  /** Builds (default relaxed, simd) and thread counts (default 1). */
  simd?: string;
  threads?: string;
  /** Rules (default brainprop, bp). */
  rules?: ("brainprop" | "bp")[];
  log?: (l: string) => void;
}

export async function benchConv(options: ConvBenchOptions = {}): Promise<{ results: BenchResult[]; load: number[] }> {
  const quick = options.quick ?? false;
  const rounds = options.rounds ?? (quick ? 1 : 3);
  const d = data();
  const load = os.loadavg();
  const variants = await openVariants(parseBuilds(options.simd ?? "relaxed,simd"), parseThreads(options.threads ?? "1"), options.log);
  try {
    const cases: Case[] = [];
    for (const v of variants) for (const rule of options.rules ?? (["brainprop", "bp"] as const)) cases.push(oursCase(v, rule, d));
    if (options.tfjs ?? true) cases.push(await tfjsCase(d));
    return { results: await runInterleaved("conv", cases, { rounds, quick, log: options.log }), load };
  } finally {
    closeVariants(variants);
  }
}

export const convSuite: BenchSuite = {
  name: "conv",
  description: "training examples/s of PBR20's conv-MNIST net (docs/model.md §3) at batch 128 (BrainProp, backprop) beside TensorFlow.js's WASM backend",
  options(cmd) {
    cmd.option("--rounds <n>", "rounds over all cases, interleaved (default 3, 1 with --quick)").option("--no-tfjs", "skip the TensorFlow.js comparison");
    variantOptions(cmd, "relaxed,simd");
  },
  async run(opts) {
    const rounds = parseRounds(opts.rounds) ?? (opts.quick ? 1 : 3);
    const { results, load } = await benchConv({
      quick: !!opts.quick,
      rounds,
      tfjs: opts.tfjs !== false,
      simd: opts.simd as string,
      threads: opts.threads as string,
    });
    console.log(
      "PBR20 conv MNIST (docs/model.md §3): 32@3x3 s1 same, ReLU, BN, 32@3x3 s2 same, ReLU, BN, dropout 0.3, dense 500 ReLU, dropout 0.3, dense 10; no biases; batch " +
        BATCH,
    );
    const tf = results.find((r) => r.build.startsWith("tfjs"));
    if (tf) for (const r of results) if (r !== tf) console.log(`${r.case} ${r.build} ×${r.threads}: ${(r.median / tf.median).toFixed(2)}× TensorFlow.js`);
    await report(results, machine("wall", rounds, load), opts.json);
  },
};
