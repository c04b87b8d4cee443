// The thread pool: every parallel kernel and every model gives the same bits on 1, 2, 3 and 4
// threads (one thread is the ordinary build, so this also compares the threads build with it); a
// worker's exception rejects the call; dispose() ends the workers and lets Node exit.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { init, createModel, digestState, Microcircuit, WorkerError, type Core, type Tensor, type TrainableModel } from "../src/index.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const THREADS = [1, 2, 3, 4];

const t = suite("threads: bit-identical results for every thread count, faults, dispose");
const cores = new Map<string, Core>();

t.before(async () => {
  for (const impl of ["simd", "relaxed"] as const) for (const n of THREADS) cores.set(`${impl}/${n}`, await init({ impl, threads: n }));
});
t.after(() => {
  for (const c of cores.values()) c.dispose();
});

function values(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return a / 2 ** 32 - 0.5;
  });
}

function hash(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
}

t("the pools have the threads asked for", () => {
  for (const [key, core] of cores) assert.is(core.threads, Number(key.split("/")[1]), key);
});

// Shapes with every tail: m and n not multiples of the tile sizes (4, 6, 16, 24 floats).
const SHAPES: [number, number, number][] = [
  [10, 500, 784],
  [7, 257, 331],
  [33, 203, 129],
  [3, 1001, 97],
  // gemmNN's wide-row blocks (more than 32 rows, rows not a multiple of 4 KB) cut by threads; gerK's
  // 2-vector row tails over 130 terms
  [130, 37, 1030],
];

function kernelDigests(core: Core, b: number, m: number, n: number): Record<string, string> {
  const a = core.arena();
  const ex = core.exports as unknown as Record<string, (...args: number[]) => void>;
  const mk = (r: number, c: number, seed: number): Tensor => a.from(r, c, values(r * c, seed));
  const X = mk(b, n, 1),
    W = mk(m, n, 2),
    E = mk(b, m, 3),
    P = mk(b, n, 4),
    D = mk(m, n, 5);
  const x = mk(1, n, 6),
    e = mk(1, m, 7),
    y = mk(1, m, 8),
    yn = mk(1, n, 9);
  const Ybm = mk(b, m, 10),
    Ybn = mk(b, n, 11);
  const out: Record<string, string> = {};
  ex.gemmNT(Ybm.ptr, X.ptr, W.ptr, b, m, n, 1);
  out.gemmNT = hash(Ybm.read());
  ex.gemmNN(Ybn.ptr, E.ptr, W.ptr, b, m, n, 0);
  out.gemmNN = hash(Ybn.read());
  ex.gemv(y.ptr, W.ptr, x.ptr, m, n, 1);
  out.gemv = hash(y.read());
  ex.gemvT(yn.ptr, W.ptr, e.ptr, m, n, 0);
  out.gemvT = hash(yn.read());
  ex.gerK(W.ptr, E.ptr, P.ptr, b, m, n, 0.01);
  out.gerK = hash(W.read());
  ex.ger(W.ptr, e.ptr, x.ptr, m, n, -0.02);
  out.ger = hash(W.read());
  ex.filteredGerGemm(Ybm.ptr, W.ptr, D.ptr, E.ptr, P.ptr, X.ptr, b, m, n, 0.9, 0.05, 0.1, 0);
  out.filteredGerGemm = hash(Ybm.read()) + hash(W.read()) + hash(D.read());
  ex.filteredGerGemv(y.ptr, W.ptr, D.ptr, e.ptr, x.ptr, x.ptr, m, n, 0.9, 0.05, 0.1, 1);
  out.filteredGerGemv = hash(y.read()) + hash(W.read()) + hash(D.read());
  a.dispose();
  return out;
}

t("every parallel kernel gives the one-thread bits on 2, 3 and 4 threads (simd and relaxed builds, shapes with every tail)", () => {
  for (const impl of ["simd", "relaxed"]) {
    for (const [b, m, n] of SHAPES) {
      const want = kernelDigests(cores.get(`${impl}/1`)!, b, m, n);
      for (const th of THREADS.slice(1)) {
        const got = kernelDigests(cores.get(`${impl}/${th}`)!, b, m, n);
        for (const k of Object.keys(want)) assert.ok(got[k] === want[k], `${impl} ${k} ${b}×${m}×${n} on ${th} threads differs from one thread`);
      }
    }
  }
});

// The elementwise passes split by rows (and batch norm's statistics by columns): shapes with a
// column tail, more than one 64-byte column group, and rows that do not divide among the threads.
const PASS_SHAPES: [number, number][] = [
  [3001, 45],
  [1203, 32],
  [517, 203],
];

function passDigests(core: Core, rows: number, cols: number): Record<string, string> {
  const a = core.arena();
  const ex = core.exports as unknown as Record<string, (...args: number[]) => number>;
  const mk = (r: number, c: number, seed: number): Tensor => a.from(r, c, values(r * c, seed));
  const X = mk(rows, cols, 21),
    DY = mk(rows, cols, 22);
  const Y = a.tensor(rows, cols),
    M = a.tensor(rows, cols),
    U = a.tensor(rows, cols),
    XH = a.tensor(rows, cols),
    DX = a.tensor(rows, cols);
  const v = () => a.tensor(1, cols);
  const [mean, vr, inv, rm, rv, dg, db] = [v(), v(), v(), v(), v(), v(), v()];
  const gamma = a.from(
    1,
    cols,
    values(cols, 23).map((x) => 1 + x),
  );
  const beta = a.from(1, cols, values(cols, 24));
  const out: Record<string, string> = {};
  ex.convnetReluForward(Y.ptr, X.ptr, rows, cols);
  out.relu = hash(Y.read());
  ex.convnetReluBackward(DX.ptr, DY.ptr, Y.ptr, rows, cols);
  out.reluBackward = hash(DX.read());
  ex.convnetDropoutForward(Y.ptr, M.ptr, U.ptr, X.ptr, rows, cols, 0.3, 7, 1003, 0xfffffff0, 5);
  out.dropout = hash(Y.read()) + hash(M.read()) + hash(U.read());
  ex.convnetDropoutBackward(DX.ptr, DY.ptr, M.ptr, rows, cols);
  out.dropoutBackward = hash(DX.read());
  ex.convnetBatchNormTrain(Y.ptr, XH.ptr, mean.ptr, vr.ptr, inv.ptr, rm.ptr, rv.ptr, X.ptr, gamma.ptr, beta.ptr, rows, cols, 1e-3, 0.01);
  out.batchNorm = [Y, XH, mean, vr, inv, rm, rv].map((t) => hash(t.read())).join();
  ex.convnetBatchNormBackward(DX.ptr, dg.ptr, db.ptr, gamma.ptr, beta.ptr, DY.ptr, XH.ptr, inv.ptr, rows, cols, -0.1);
  out.batchNormBackward = [DX, dg, db, gamma, beta].map((t) => hash(t.read())).join();
  ex.gaussian(U.ptr, rows, cols, 9, 3, 0xfffffffe, 1);
  out.gaussian = hash(U.read());
  out.allFinite = String(ex.allFinite(X.ptr, rows, cols));
  // one NaN in the last row, one infinity in the first: each thread's rows can hold the bad value
  for (const at of [rows * cols - 1, 0]) {
    const bad = X.read();
    bad[at] = at === 0 ? Infinity : NaN;
    X.write(bad);
    out.allFinite += String(ex.allFinite(X.ptr, rows, cols));
  }
  a.dispose();
  return out;
}

t("every parallel elementwise pass gives the one-thread bits on 2, 3 and 4 threads (ReLU, dropout, batch norm, Gaussian noise, allFinite)", () => {
  for (const impl of ["simd", "relaxed"]) {
    for (const [rows, cols] of PASS_SHAPES) {
      const want = passDigests(cores.get(`${impl}/1`)!, rows, cols);
      assert.is(want.allFinite, "100", "allFinite: finite, then a NaN, then also an infinity");
      for (const th of THREADS.slice(1)) {
        const got = passDigests(cores.get(`${impl}/${th}`)!, rows, cols);
        for (const k of Object.keys(want)) assert.ok(got[k] === want[k], `${impl} ${k} ${rows}×${cols} on ${th} threads differs from one thread`);
      }
    }
  }
});

/** Trains `model` on `batches` deterministic mini-batches and returns the digest of its state. */
async function trainDigest(model: TrainableModel, batches: number, batch: number): Promise<string> {
  for (let i = 0; i < batches; i++) {
    const x = values(batch * model.inputSize, 100 + i).map((v) => v + 0.5);
    const labels = Int32Array.from({ length: batch }, (_, r) => (i * 7 + r * 3) % model.outputSize);
    model.trainBatch({ n: batch, x, labels });
  }
  const d = await digestState(model.exportState());
  model.dispose();
  return d;
}

const MODELS: { name: string; batch: number; batches: number; make: (core: Core) => TrainableModel }[] = [
  {
    name: "microcircuit (fast steady state) 784-500-500-10",
    batch: 10,
    batches: 3,
    make: (c) => createModel(c, "microcircuit", { sizes: [784, 500, 500, 10], maxBatch: 10, seed: 3 }),
  },
  {
    name: "microcircuit (fast steady state) 301-203-101-10, 2 sweeps",
    batch: 9,
    batches: 3,
    make: (c) => createModel(c, "microcircuit", { sizes: [301, 203, 101, 10], maxBatch: 9, seed: 4, sweeps: 2 }),
  },
  {
    // Layers wide enough that the induction terms and the interneurons' rates are split by rows.
    name: "microcircuit (fast steady state) 301-503-451-10, soft rectifier, plastic W^PI (untied)",
    batch: 9,
    batches: 3,
    make: (c) =>
      createModel(c, "microcircuit", {
        sizes: [301, 503, 451, 10],
        maxBatch: 9,
        seed: 11,
        activation: "softRect",
        plastic: { up: true, ip: true, pi: true, down: false },
      }),
  },
  {
    name: "mlp bp 784-500-500-10",
    batch: 10,
    batches: 3,
    make: (c) => createModel(c, "mlp", { arch: [784, 500, 500, 10], rule: "bp", lr: 0.1, seed: 5, maxBatch: 10 }),
  },
  {
    name: "mlp bp 784-500-500-10, momentum 0.9",
    batch: 10,
    batches: 3,
    make: (c) => createModel(c, "mlp", { arch: [784, 500, 500, 10], rule: "bp", lr: 0.1, momentum: 0.9, seed: 5, maxBatch: 10 }),
  },
  {
    name: "mlp dfa 333-257-10",
    batch: 31,
    batches: 2,
    make: (c) => createModel(c, "mlp", { arch: [333, 257, 10], rule: "dfa", lr: 0.1, seed: 6, maxBatch: 31 }),
  },
  { name: "brainprop conv (batch norm, dropout)", batch: 16, batches: 2, make: (c) => createModel(c, "brainprop", { net: "conv", maxBatch: 16, seed: 7 }) },
  {
    name: "spiking (dense propagation) 784-200-10",
    batch: 10,
    batches: 2,
    make: (c) => createModel(c, "spiking", { arch: [784, 200, 10], propagation: "dense", steps: 20, settle: 5, maxBatch: 10, seed: 9 }),
  },
  {
    name: "spiking (event propagation) 784-300-10",
    batch: 10,
    batches: 2,
    make: (c) => createModel(c, "spiking", { arch: [784, 300, 10], steps: 20, settle: 5, maxBatch: 10, seed: 10 }),
  },
  { name: "brainprop dense bp", batch: 24, batches: 2, make: (c) => createModel(c, "brainprop", { net: "dense", rule: "bp", maxBatch: 24, seed: 8 }) },
];

for (const m of MODELS) {
  t(`${m.name}: the same state digest on 1, 2, 3 and 4 threads (simd)`, async () => {
    const want = await trainDigest(m.make(cores.get("simd/1")!), m.batches, m.batch);
    for (const th of THREADS.slice(1)) {
      assert.is(await trainDigest(m.make(cores.get(`simd/${th}`)!), m.batches, m.batch), want, `${th} threads`);
    }
  });
}

t("microcircuit full dynamics 784-500-500-10 (noise, plasticity, τ_w filter): the same state on 1, 2, 3 and 4 threads (relaxed)", async () => {
  const run = async (core: Core) => {
    const g = { dist: "glorot", gain: 1 } as const;
    const net = new Microcircuit(core, { sizes: [784, 500, 500, 10], sigma: 0.1, seed: 9, start: "selfPredicting", init: { up: g, down: g, ip: g, pi: g } });
    const target = values(10, 12);
    for (let p = 0; p < 2; p++)
      net.present(
        values(784, 20 + p).map((v) => v + 0.5),
        { steps: 15, target, learn: true },
      );
    const d = await digestState(net.exportState());
    net.dispose();
    return d;
  };
  const want = await run(cores.get("relaxed/1")!);
  for (const th of THREADS.slice(1)) assert.is(await run(cores.get(`relaxed/${th}`)!), want, `${th} threads`);
});

t("an exception in a worker rejects the call with that worker's error, and the pool keeps working", () => {
  const core = cores.get("simd/2")!;
  const a = core.arena();
  const [b, m, n] = [10, 500, 784];
  const X = a.from(b, n, values(b * n, 1));
  const W = a.from(m, n, values(m * n, 2));
  const ex = core.exports as unknown as Record<string, (...args: number[]) => void>;
  // Each thread does exactly its own rows: Y's columns 0…247 (thread 0's 8 of 16 chunks of 4 rows
  // of W: 62 of 125 tiles) lie in memory, the rest (the worker's) beyond its end.
  core.pool!.stealing = false;
  try {
    const end = core.memory.buffer.byteLength;
    const Y = end - 4 * 248;
    assert.throws(
      () => ex.gemmNT(Y, X.ptr, W.ptr, 1, m, n, 0),
      (e: Error) => e instanceof WorkerError && /^worker thread 1 failed in gemmNT: RuntimeError: memory access out of bounds/.test(e.message),
    );
  } finally {
    core.pool!.stealing = true;
  }
  // The fault is cleared: the next call runs on both threads again.
  const Yok = a.tensor(b, m);
  ex.gemmNT(Yok.ptr, X.ptr, W.ptr, b, m, n, 0);
  const one = cores.get("simd/1")!;
  const a1 = one.arena();
  const Y1 = a1.tensor(b, m);
  (one.exports as unknown as Record<string, (...args: number[]) => void>).gemmNT(
    Y1.ptr,
    a1.from(b, n, values(b * n, 1)).ptr,
    a1.from(m, n, values(m * n, 2)).ptr,
    b,
    m,
    n,
    0,
  );
  assert.is(hash(Yok.read()), hash(Y1.read()));
  a1.dispose();
  a.dispose();
});

t("a worker's fault inside a model names the layer and the variable the kernel was computing", () => {
  const core = cores.get("simd/2")!;
  const net = createModel(core, "brainprop", { net: "dense", rule: "bp", maxBatch: 24, seed: 8 });
  // The first dense layer's weights moved so that their last 4 rows (in the worker's half of
  // y = x Wᵀ) lie beyond the end of memory and thread 0's rows inside it.
  const layer = net.layers.find((l) => "w" in l && "units" in l) as unknown as { index: number; units: number; n: number; w: Tensor };
  const saved = layer.w;
  const rowBytes = 4 * ((layer.n + 3) & ~3);
  Object.defineProperty(layer, "w", { value: { ptr: core.memory.buffer.byteLength - (layer.units - 4) * rowBytes }, configurable: true });
  core.pool!.stealing = false;
  try {
    const batch = { n: 24, x: values(24 * net.inputSize, 3).map((v) => v + 0.5), labels: Int32Array.from({ length: 24 }, (_, r) => r % net.outputSize) };
    assert.throws(
      () => net.trainBatch(batch),
      (e: Error) =>
        e instanceof WorkerError &&
        new RegExp(`^worker thread 1 failed in gemmNT \\(layer ${layer.index}, y\\): RuntimeError: memory access out of bounds`).test(e.message),
    );
  } finally {
    core.pool!.stealing = true;
    Object.defineProperty(layer, "w", { value: saved, configurable: true });
    net.dispose();
  }
});

t("with stealing on, a fault in any thread's chunk rejects the call (no hang) and the pool recovers", () => {
  const core = cores.get("simd/4")!;
  const a = core.arena();
  const [b, m, n] = [10, 500, 784];
  const X = a.from(b, n, values(b * n, 1));
  const W = a.from(m, n, values(m * n, 2));
  const ex = core.exports as unknown as Record<string, (...args: number[]) => void>;
  const Y = core.memory.buffer.byteLength - 4 * 100;
  for (let i = 0; i < 20; i++) assert.throws(() => ex.gemmNT(Y, X.ptr, W.ptr, 1, m, n, 0), /memory access out of bounds/);
  const Yok = a.tensor(b, m);
  ex.gemmNT(Yok.ptr, X.ptr, W.ptr, b, m, n, 0);
  const one = cores.get("simd/1")!;
  const a1 = one.arena();
  const Y1 = a1.tensor(b, m);
  (one.exports as unknown as Record<string, (...args: number[]) => void>).gemmNT(
    Y1.ptr,
    a1.from(b, n, values(b * n, 1)).ptr,
    a1.from(m, n, values(m * n, 2)).ptr,
    b,
    m,
    n,
    0,
  );
  assert.is(hash(Yok.read()), hash(Y1.read()));
  a1.dispose();
  a.dispose();
});

t("where threads cannot run (the scalar build) the core runs on one thread and says so once", async () => {
  const warn = console.warn;
  const lines: string[] = [];
  console.warn = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    const core = await init({ impl: "scalar", threads: 3 });
    assert.is(core.threads, 1);
    assert.equal(lines, ["dendritic: running on one thread (3 asked for): the scalar build has no threads"]);
  } finally {
    console.warn = warn;
  }
  await init({ threads: 0 }).then(
    () => assert.unreachable("threads 0 is an error"),
    (e: Error) => assert.match(e.message, /threads must be an integer in \[1, 256\] or "auto"; got 0/),
  );
});

t("with no spinning every wait sleeps at once: 1, 2 and 3 threads give the same bits and no wake-up is lost (no hang)", () => {
  // Spins 0: a worker sleeps in memory.atomic.wait32 as soon as it has no job, and the calling
  // thread as soon as its share is done before the others', so every job goes through the
  // sleeping workers' count and the calling thread's sleep flag (assembly/kernels/pool.ts). A lost
  // wake-up would hang, so the runs are in a child process with a time limit.
  const script = `
    import { init, createModel, digestState } from ${JSON.stringify(path.join(root, "src/index.ts"))};
    const out = [];
    for (const n of [1, 2, 3]) {
      const core = await init({ impl: "simd", threads: n });
      if (core.pool) core.pool.spins = 0;
      const m = createModel(core, "mlp", { arch: [784, 500, 500, 10], rule: "bp", lr: 0.1, seed: 5, maxBatch: 10 });
      let a = 1;
      for (let i = 0; i < 40; i++) {
        const x = Float32Array.from({ length: 7840 }, () => ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0) / 2 ** 32));
        m.trainBatch({ n: 10, x, labels: Int32Array.from({ length: 10 }, (_, r) => (i + r) % 10) });
      }
      out.push(n + " " + (await digestState(m.exportState())));
      m.dispose();
      core.dispose();
    }
    console.log(out.join("\\n"));
  `;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", cwd: root, timeout: 120_000 });
  assert.is(r.signal, null, "the runs did not finish within 120 s: a thread slept through a wake-up");
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.is(lines.length, 3, r.stdout);
  const digest = (l: string) => l.split(" ")[1];
  assert.ok(digest(lines[0]).length > 8, r.stdout);
  assert.is(digest(lines[1]), digest(lines[0]), "2 threads");
  assert.is(digest(lines[2]), digest(lines[0]), "3 threads");
});

t("dispose() ends the workers: a Node process with a 4-thread core exits on its own afterwards", () => {
  const script = `
    import { init } from ${JSON.stringify(path.join(root, "src/index.ts"))};
    const core = await init({ threads: 4 });
    const a = core.arena();
    const X = a.matrix(10, 784), W = a.matrix(500, 784), Y = a.matrix(10, 500);
    core.exports.gemmNT(Y.ptr, X.ptr, W.ptr, 10, 500, 784, 0);
    console.log("threads " + core.threads);
    core.dispose();
    console.log("after dispose " + core.threads);
    core.exports.gemmNT(Y.ptr, X.ptr, W.ptr, 10, 500, 784, 0);
    console.log("still usable");
  `;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", cwd: root, timeout: 60_000 });
  assert.is(r.signal, null, `the process did not exit on its own within 60 s (${Date.now() - t0} ms)`);
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split("\n"), ["threads 4", "after dispose 1", "still usable"]);
});

t.run();
