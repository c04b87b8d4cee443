// A job's thread count changed while it trains: the core's setThreads() between mini-batches
// (Trainer.atNextBatch), and a sweep (local, or a queue worker on a real redis-server) giving the
// cores of an idle worker to the job still running.
// Results must be the same bits as a run that kept one thread (docs/threads.md: every kernel is
// bit-identical for every thread count).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { init, type Core } from "../src/core/core.ts";
import { loadDataset } from "../src/node/data.ts";
import { modelFactory } from "../src/models/registry.ts";
import { Trainer, type EpochRecord } from "../src/train/trainer.ts";
import { spareThreads } from "../src/sweep/local.ts";
import { RedisServer } from "./support/redis.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(root, "bin", "dendritic.js");

/** Backprop on a net whose products are large enough to be split over threads (≥ 10⁵ multiply-adds). */
const ARCH = [9, 256, 256, 3];

function train(core: Core, epochs: number, at?: (t: Trainer, epoch: number, batch: number) => void) {
  const ds = loadDataset("bars", { seed: 1 });
  const model = modelFactory("mlp").create(core, { arch: ARCH, rule: "bp", seed: 3, maxBatch: 100 });
  const t = new Trainer(model, ds, { epochs, batchSize: 10, seed: 5, limitTrain: 1200, progressMs: 0 });
  if (at) t.addEventListener("progress", (e) => at(t, e.detail.epoch, e.detail.batch));
  return { model, t };
}

const metrics = (h: EpochRecord[]) => h.map(({ trainSeconds: _t, examplesPerS: _e, ...rest }) => rest);

const lib = suite("threads changed mid-run");

lib("a run whose core goes 1 → 2 → 3 → 1 threads between mini-batches ends with the same bits as one on one thread", async () => {
  const plain = await init({ threads: 1 });
  assert.not.ok(plain.resizable);
  await plain.setThreads(2).then(
    () => assert.unreachable("the one-thread build cannot change its thread count"),
    (e: Error) => assert.match(e.message, /cannot change its thread count.*resizable: true/),
  );
  const ref = train(plain, 3);
  await ref.t.run();

  const core = await init({ threads: 1, resizable: true });
  assert.ok(core.resizable);
  assert.is(core.threads, 1);
  const seen: string[] = [];
  // Each change is asked for at a progress event (after a mini-batch) and made before the next one.
  const plan: Record<string, number> = { "1:37": 2, "2:1": 3, "3:60": 1 };
  const run = train(core, 3, (t, epoch, batch) => {
    const n = plan[`${epoch}:${batch}`];
    if (n === undefined) return;
    delete plan[`${epoch}:${batch}`];
    t.atNextBatch(async () => {
      await core.setThreads(n);
      seen.push(`${epoch}:${batch}→${core.threads}`);
    });
  });
  await run.t.run();
  assert.equal(seen, ["1:37→2", "2:1→3", "3:60→1"]);
  assert.equal(metrics(run.t.snapshot().epochs), metrics(ref.t.snapshot().epochs));
  const a = run.model.exportState();
  const b = ref.model.exportState();
  assert.equal(Object.keys(a), Object.keys(b));
  for (const k of Object.keys(a))
    assert.ok(
      Buffer.from(a[k].data.buffer, a[k].data.byteOffset, a[k].data.byteLength).equals(
        Buffer.from(b[k].data.buffer, b[k].data.byteOffset, b[k].data.byteLength),
      ),
      k,
    );
  core.dispose();
  plain.dispose();
});

lib("spare cores go to the jobs still running, evenly, never fewer than they have", () => {
  assert.equal(spareThreads([1], 2), [2]);
  assert.equal(spareThreads([1, 1], 2), [1, 1]);
  assert.equal(spareThreads([1, 1], 4), [2, 2]);
  assert.equal(spareThreads([2, 2, 2], 8), [3, 3, 2]);
  assert.equal(spareThreads([4], 2), [4]);
  assert.equal(spareThreads([], 4), []);
});

// ------------------------------------------------------------------------------------------------
const sweep = suite("sweep: an idle worker's core goes to the job still running");
let tmp: string;
sweep.before(() => {
  tmp = mkdtempSync(path.join(tmpdir(), "dendritic-sweep-threads-"));
});
sweep.after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
/** A CLI process whose output is collected while it runs. */
class Proc {
  readonly p: ChildProcess;
  out = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  constructor(args: string[]) {
    this.p = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    this.p.stdout!.on("data", (d) => (this.out += d));
    this.p.stderr!.on("data", (d) => (this.out += d));
    this.exited = new Promise((r) => this.p.once("exit", (code, signal) => r({ code, signal })));
  }
}
const read = (f: string) => (existsSync(f) ? readFileSync(f, "utf8") : "");
function metricsOnly(file: string): unknown {
  const s = JSON.parse(readFileSync(file, "utf8"));
  for (const k of ["wallS", "threads", "threadsChanged", "examplesPerS"]) delete s[k];
  delete s.checkpoint?.file;
  for (const e of s.epochs ?? []) {
    delete e.trainSeconds;
    delete e.examplesPerS;
  }
  return s;
}

/** A long job (8 epochs, starts first) and a short one (1 epoch): the long one ends alone. */
function twoJobs(name: string): string {
  const file = path.join(tmp, `${name}.json`);
  const base = { model: "mlp", dataset: "bars", arch: ARCH.join("-"), monitorEvery: 0 };
  writeFileSync(file, JSON.stringify({ base, list: [{ epochs: 8 }, { epochs: 1 }] }));
  return file;
}

/**
 * While `dir`'s two jobs run side by side: once the long one has logged its first epoch it has seven
 * to go; frozen (SIGSTOP) until `shortDone()`, it is certainly still running when its worker's other
 * core falls idle, however fast the machine. Returns the long job's id.
 */
async function holdLongJob(dir: string, shortDone: () => boolean): Promise<string> {
  let long = "";
  await until("the long job's first epoch", () => {
    for (const id of existsSync(dir) ? readdirSync(dir) : []) if (/^epoch 1\/8 \|/m.test(read(path.join(dir, id, "log.txt")))) long = id;
    return long !== "";
  });
  const pid = Number(/new job process (\d+)/.exec(read(path.join(dir, long, "log.txt")))![1]);
  process.kill(pid, "SIGSTOP");
  try {
    await until("the short job to finish", shortDone);
  } finally {
    process.kill(pid, "SIGCONT");
  }
  return long;
}

/**
 * The long job went 1 → 2 threads mid-run (log, summary) and ended with the same results as in
 * `ref`. Returns the epoch of the change ("" on a one-core machine, where no core can fall idle).
 */
function checkGrown(dir: string, long: string, ref: string): string {
  for (const id of readdirSync(ref).filter((f) => !f.includes("."))) {
    assert.equal(metricsOnly(path.join(dir, id, "summary.json")), metricsOnly(path.join(ref, id, "summary.json")), id);
    assert.ok(
      readFileSync(path.join(dir, id, "checkpoint.safetensors")).equals(readFileSync(path.join(ref, id, "checkpoint.safetensors"))),
      `${id}: checkpoint`,
    );
  }
  const log = read(path.join(dir, long, "log.txt"));
  if (availableParallelism() < 2) {
    assert.not.match(log, /^threads /m);
    return "";
  }
  const m = /^threads 1 → 2 at epoch (\d+), batch \d+$/m.exec(log);
  assert.ok(m, log);
  assert.ok(Number(m![1]) >= 1 && Number(m![1]) <= 8, m![0]);
  const s = JSON.parse(read(path.join(dir, long, "summary.json")));
  assert.is(s.threads, 2);
  assert.equal(
    s.threadsChanged.map((c: { from: number; to: number }) => [c.from, c.to]),
    [[1, 2]],
  );
  return m![1];
}

let one: string; // the two jobs one after another on one thread (one worker: no core falls idle)

sweep("2 workers, 1 thread each: when the short job ends, the long one continues on 2 threads, with the same results", async () => {
  const file = twoJobs("two");
  one = path.join(tmp, "w1");
  const r = spawnSync(process.execPath, [BIN, "sweep", file, "--out", one, "--workers", "1", "--threads", "1"], { encoding: "utf8", timeout: 120_000 });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.not.match(r.stdout, /threads 1 →/);

  const dir = path.join(tmp, "w2");
  const p = new Proc(["sweep", file, "--out", dir, "--workers", "2", "--threads", "1"]);
  const long = await holdLongJob(dir, () => /\[1\/2\]/.test(p.out));
  const e = await p.exited;
  assert.is(e.code, 0, p.out);
  const epoch = checkGrown(dir, long, one);
  if (epoch) assert.match(p.out, new RegExp(`\\[2/2\\] ${long} .* done: .*; threads 1 → 2 at epoch ${epoch}`));
});

sweep("a queue worker with two slots and nothing left on the queue gives the idle slot's core to its running job", async () => {
  const redis = await RedisServer.start();
  const w = new Proc(["worker", "--queue", redis.url, "--concurrency", "2", "--threads", "1"]);
  try {
    await until("the worker to be ready", () => /concurrency 2, 1 thread\(s\) per job/.test(w.out));
    const dir = path.join(tmp, "q2");
    const s = new Proc(["sweep", twoJobs("two"), "--out", dir, "--queue", redis.url]);
    const long = await holdLongJob(dir, () => /: done/.test(w.out));
    const e = await s.exited;
    assert.is(e.code, 0, s.out + w.out);
    const epoch = checkGrown(dir, long, one);
    if (epoch) assert.match(s.out, new RegExp(`${long} .* done: .*; threads 1 → 2 at epoch ${epoch}`));
  } finally {
    w.p.kill("SIGTERM");
    await w.exited;
    await redis.dispose();
  }
});

lib.run();
sweep.run();
