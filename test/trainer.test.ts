import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ValueError } from "../src/core/errors.ts";
import type { Dataset, Split } from "../src/data/dataset.ts";
import { decodeCheckpoint, encodeCheckpoint } from "../src/train/checkpoint.ts";
import { Rng } from "../src/core/random.ts";
import { Trainer, parseSchedule, scheduleScale, type EpochRecord, type Progress, type TrainerState } from "../src/train/trainer.ts";
import { ScriptedModel, TinyLinear } from "./support/tiny-models.ts";

// ------------------------------------------------------------------------------------------------
// Independent oracle of the shuffle: xoshiro128** and splitmix32 in BigInt arithmetic, Fisher–Yates
// with rejection of the top partial range (as documented in src/core/random.ts).

const M32 = 0xffffffffn;
function oracleRng(seed: number) {
  const s: bigint[] = [];
  let x = BigInt(seed);
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9n) & M32;
    let z = x;
    z = ((z ^ (z >> 16n)) * 0x85ebca6bn) & M32;
    z = ((z ^ (z >> 13n)) * 0xc2b2ae35n) & M32;
    s.push((z ^ (z >> 16n)) & M32);
  }
  const rotl = (v: bigint, k: bigint) => ((v << k) | (v >> (32n - k))) & M32;
  const next = (): bigint => {
    const result = (rotl((s[1] * 5n) & M32, 7n) * 9n) & M32;
    const t = (s[1] << 9n) & M32;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11n);
    return result;
  };
  const int = (n: number): number => {
    const N = BigInt(n);
    const limit = 2n ** 32n - (2n ** 32n % N);
    for (;;) {
      const v = next();
      if (v < limit) return Number(v % N);
    }
  };
  return { next, int };
}

function oracleOrders(seed: number, n: number, epochs: number): number[][] {
  const r = oracleRng(seed);
  const out: number[][] = [];
  for (let e = 0; e < epochs; e++) {
    const a = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
    out.push(a);
  }
  return out;
}

/** Classification data whose x[0] is the example index, x[1] its label, x[2] the split size. */
function indexed(nTrain: number, nVal: number, nTest: number, classes = 3): Dataset {
  const split = (n: number): Split => {
    const x = new Float32Array(n * 3);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = (i * 7) % classes;
      x.set([i, labels[i], n], i * 3);
    }
    return { n, x, labels };
  };
  return {
    name: "indexed",
    task: "classification",
    inputSize: 3,
    outputSize: classes,
    train: split(nTrain),
    validation: split(nVal),
    test: split(nTest),
    about: "",
  };
}

const t = suite("trainer");

t("rng: the generator equals the BigInt xoshiro128**/splitmix32 oracle for 1000 draws and round-trips its state", () => {
  const r = new Rng(12345);
  const o = oracleRng(12345);
  for (let i = 0; i < 1000; i++) assert.is(r.nextU32(), Number(o.next()));
  const s = r.state();
  const a = Array.from({ length: 10 }, () => r.nextU32());
  const b = Rng.fromState(s);
  assert.equal(
    Array.from({ length: 10 }, () => b.nextU32()),
    a,
  );
});

t("no shuffle: every epoch presents examples 0…N−1 in file order", async () => {
  const d = indexed(23, 5, 5);
  const m = new TinyLinear({ arch: [3, 3], lr: 1e-4, maxBatch: 8 });
  await new Trainer(m, d, { epochs: 3, batchSize: 4, shuffle: false }).run();
  const expect = [0, 1, 2].flatMap(() => Array.from({ length: 23 }, (_, i) => i));
  assert.equal(m.seen, expect);
});

t("seeded shuffle: each epoch's order is the oracle's Fisher–Yates permutation for that seed", async () => {
  const d = indexed(23, 5, 5);
  for (const seed of [1, 99]) {
    const m = new TinyLinear({ arch: [3, 3], lr: 1e-4, maxBatch: 8 });
    await new Trainer(m, d, { epochs: 3, batchSize: 5, seed }).run();
    assert.equal(m.seen, oracleOrders(seed, 23, 3).flat(), `seed ${seed}`);
  }
  const a = oracleOrders(1, 23, 2);
  assert.not.equal(a[0], a[1], "epochs differ");
  assert.not.equal(oracleOrders(2, 23, 1)[0], a[0], "seeds differ");
});

t("schedules: constant, step and exp scales applied at the start of each epoch", async () => {
  assert.equal(
    [0, 1, 2, 3, 4].map((e) => scheduleScale(parseSchedule("step:2:0.5"), e)),
    [1, 1, 0.5, 0.5, 0.25],
  );
  assert.equal(
    [0, 1, 2].map((e) => scheduleScale(parseSchedule("exp:0.9"), e)),
    [1, 0.9, 0.9 * 0.9],
  );
  assert.equal(
    [0, 7].map((e) => scheduleScale(parseSchedule("constant"), e)),
    [1, 1],
  );
  const m = new TinyLinear({ arch: [3, 3], lr: 1e-4, maxBatch: 8 });
  const recs: EpochRecord[] = [];
  await new Trainer(m, indexed(10, 3, 3), { epochs: 5, batchSize: 5, schedule: { kind: "step", every: 2, factor: 0.5 }, onEpoch: (r) => recs.push(r) }).run();
  assert.equal(m.scales, [1, 1, 0.5, 0.5, 0.25]);
  assert.equal(
    recs.map((r) => r.lrScale),
    [1, 1, 0.5, 0.5, 0.25],
  );
});

t("schedule strings: malformed ones are ValueErrors that show the expected forms", () => {
  for (const bad of ["step", "step:0:0.5", "step:2:-1", "exp:x", "cosine", "constant:1"]) {
    assert.throws(
      () => parseSchedule(bad),
      (e: Error) => e instanceof ValueError,
      bad,
    );
  }
  assert.throws(() => parseSchedule("cosine"), /expected constant, step:EVERY:FACTOR/);
});

t("early stopping: best = first epoch with the lowest validation error; stops `patience` epochs later; test error taken there", async () => {
  // Validation/test errors after epoch e follow the script (the model misclassifies a known share).
  const script = [0.6, 0.4, 0.2, 0.3, 0.2, 0.5, 0.1, 0.1];
  const d = indexed(16, 10, 20);
  const m = new ScriptedModel(script, 2);
  const s = await new Trainer(m, d, { epochs: 8, batchSize: 8, patience: 3, shuffle: false }).run();
  // Oracle: running minimum with strict improvement; epochs 4, 5, 6 do not beat 0.2 → stop after 6.
  let best = 0;
  let since = 0;
  let stop = script.length;
  for (let e = 0; e < script.length; e++) {
    if (e === 0 || script[e] < script[best]) {
      best = e;
      since = 0;
    } else if (++since >= 3) {
      stop = e + 1;
      break;
    }
  }
  assert.is(s.bestEpoch, best + 1);
  assert.is(s.epochsRun, stop);
  assert.ok(s.stoppedEarly);
  assert.is(s.valError, script[best]);
  assert.is(s.testError, script[best]);
  assert.equal(
    s.epochs.map((r) => r.valError),
    script.slice(0, stop),
  );
});

t("metrics: error rate and confusion matrix equal an independent count", async () => {
  const d = indexed(8, 12, 30, 4);
  const m = new ScriptedModel([0.3], 1, 4);
  const tr = new Trainer(m, d, { epochs: 1, batchSize: 8 });
  await tr.run();
  const r = tr.evaluate("test", true);
  const wrong = Math.round(0.3 * 30);
  assert.is(r.error, wrong / 30);
  const conf = Array.from({ length: 4 }, () => [0, 0, 0, 0]);
  for (let i = 0; i < 30; i++) {
    const label = (i * 7) % 4;
    conf[label][i < wrong ? (label + 1) % 4 : label]++;
  }
  assert.equal(r.confusion, conf);
});

t("metrics: regression MSE is the mean over examples and outputs of the squared error (f64 oracle)", async () => {
  const n = 13;
  const x = Float32Array.from({ length: n * 2 }, (_, i) => Math.sin(i));
  const targets = Float32Array.from({ length: n * 2 }, (_, i) => Math.cos(i));
  const d: Dataset = {
    name: "reg",
    task: "regression",
    inputSize: 2,
    outputSize: 2,
    train: { n, x, targets },
    validation: { n, x, targets },
    test: { n, x, targets },
    about: "",
  };
  const m = new TinyLinear({ arch: [2, 2], maxBatch: 4 });
  const tr = new Trainer(m, d, { epochs: 0, batchSize: 4 });
  const r = tr.evaluate("test");
  let sq = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 2; k++) {
      let y = m.b[k];
      for (let j = 0; j < 2; j++) y += m.W[k * 2 + j] * x[i * 2 + j];
      sq += (Math.fround(y) - targets[i * 2 + k]) ** 2;
    }
  }
  // Outputs are float32 in both; only the summation order differs (≈1e-16 relative).
  assert.ok(Math.abs(r.mse! - sq / (2 * n)) < 1e-12, `${r.mse} vs ${sq / (2 * n)}`);
  assert.is(r.error, undefined);
});

t("progress and epoch events reach EventTarget listeners and callbacks", async () => {
  const m = new TinyLinear({ arch: [3, 3], lr: 1e-4, maxBatch: 8 });
  const tr = new Trainer(m, indexed(20, 4, 4), { epochs: 2, batchSize: 5, progressMs: 0, monitorEvery: 1 });
  const progress: Progress[] = [];
  const epochs: EpochRecord[] = [];
  tr.addEventListener("progress", (e) => progress.push((e as CustomEvent<Progress>).detail));
  tr.addEventListener("epoch", (e) => epochs.push((e as CustomEvent<EpochRecord>).detail));
  let done = 0;
  tr.addEventListener("done", () => done++);
  await tr.run();
  assert.is(progress.length, 8, "one per batch with progressMs 0");
  assert.equal(
    progress.map((p) => p.examples),
    [5, 10, 15, 20, 5, 10, 15, 20],
  );
  assert.ok(progress.every((p) => p.runningError !== undefined && p.runningError >= 0 && p.runningError <= 1));
  assert.equal(
    epochs.map((r) => r.epoch),
    [1, 2],
  );
  assert.is(done, 1);
});

t("constructor checks: batch above maxBatch, data/model size mismatch, bad patience", () => {
  const m = new TinyLinear({ arch: [3, 3], maxBatch: 4 });
  assert.throws(() => new Trainer(m, indexed(8, 2, 2), { epochs: 1, batchSize: 5 }), /batchSize 5 exceeds the model's maxBatch 4/);
  assert.throws(() => new Trainer(m, indexed(8, 2, 2, 4), { epochs: 1, batchSize: 2 }), /has 4 classes, the model has 3 outputs/);
  assert.throws(() => new Trainer(m, indexed(8, 2, 2), { epochs: 1, batchSize: 2, patience: 0 }), /patience must be an integer/);
});

async function runStoppedAt(stopAfterBatches: number, epochs: number): Promise<{ bytes: Uint8Array; model: TinyLinear }> {
  const d = indexed(23, 5, 5);
  const m = new TinyLinear({ arch: [3, 3], lr: 0.01, maxBatch: 8, seed: 4 });
  let batches = 0;
  const tr = new Trainer(m, d, {
    epochs,
    batchSize: 4,
    seed: 11,
    schedule: { kind: "step", every: 1, factor: 0.5 },
    progressMs: 0,
    onProgress: () => {
      if (++batches === stopAfterBatches) tr.stop();
    },
  });
  const s = await tr.run();
  assert.ok(s.interrupted);
  return { bytes: encodeCheckpoint(m, tr.state()), model: m };
}

t("resume: a run stopped mid-epoch and continued from its checkpoint ends bit-identical to an uninterrupted one", async () => {
  const d = indexed(23, 5, 5);
  const ref = new TinyLinear({ arch: [3, 3], lr: 0.01, maxBatch: 8, seed: 4 });
  const refTrainer = new Trainer(ref, d, { epochs: 3, batchSize: 4, seed: 11, schedule: { kind: "step", every: 1, factor: 0.5 } });
  const refSummary = await refTrainer.run();

  // 6 batches per epoch: stop after 8 batches (epoch 2, batch 2) and after 6 (exactly at an epoch end).
  for (const stopAt of [8, 6, 1]) {
    const first = await runStoppedAt(stopAt, 3);
    const ck = decodeCheckpoint(first.bytes, "mid.safetensors");
    const m = new TinyLinear(ck.config);
    m.importState(ck.tensors);
    const tr = new Trainer(m, d, { epochs: 3, batchSize: 4, seed: 11, schedule: { kind: "step", every: 1, factor: 0.5 } });
    tr.restore(ck.trainer!);
    const s = await tr.run();
    assert.equal(Array.from(m.W), Array.from(ref.W), `W after stop at ${stopAt}`);
    assert.equal(Array.from(m.b), Array.from(ref.b));
    assert.equal(m.rng.state(), ref.rng.state());
    assert.equal([...first.model.seen, ...m.seen], ref.seen, "same example sequence");
    const strip = (r: EpochRecord) => ({ ...r, trainSeconds: 0, examplesPerS: 0 });
    assert.equal(s.epochs.map(strip), refSummary.epochs.map(strip));
    assert.is(s.bestEpoch, refSummary.bestEpoch);
    assert.equal(encodeCheckpoint(m).subarray(8), encodeCheckpoint(ref).subarray(8));
  }
});

t("restore refuses a state from a different batch size, seed or shuffling, naming the field", async () => {
  const d = indexed(23, 5, 5);
  const m = new TinyLinear({ arch: [3, 3], maxBatch: 8 });
  const a = new Trainer(m, d, { epochs: 1, batchSize: 4, seed: 3 });
  await a.run();
  const st: TrainerState = a.state();
  assert.throws(() => new Trainer(m, d, { epochs: 2, batchSize: 5, seed: 3 }).restore(st), /trained with batchSize 4, this run has 5/);
  assert.throws(() => new Trainer(m, d, { epochs: 2, batchSize: 4, seed: 9 }).restore(st), /trained with seed 3, this run has 9/);
  assert.throws(() => new Trainer(m, d, { epochs: 2, batchSize: 4, seed: 3, shuffle: false }).restore(st), /trained with shuffle true, this run has false/);
});

t.run();
