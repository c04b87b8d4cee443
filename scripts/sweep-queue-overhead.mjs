// What the Redis queue costs per sweep job on loopback (docs/sweeps.md):
//  1. BullMQ alone: N no-op jobs added, processed by one in-process worker, seen completed — ms per job;
//  2. whole sweeps of zero-epoch bars jobs (each job still generates its data, builds the model,
//     writes its checkpoint and summary, in a job process reused from the previous job):
//     `dendritic sweep --workers 1` against
//     `dendritic sweep --queue` with one `dendritic worker`, interleaved; (queue − local) ÷ jobs.
// Starts its own redis-server on a free loopback port and removes everything it wrote.
//   node scripts/sweep-queue-overhead.mjs [noop jobs = 500] [sweep jobs = 12] [rounds = 2]
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(root, "bin", "dendritic.js");
const [NOOP = 500, JOBS = 12, ROUNDS = 2] = process.argv.slice(2).map(Number);
const tmp = mkdtempSync(path.join(tmpdir(), "dendritic-qoverhead-"));

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", tmp, "--save", "", "--appendonly", "no"], { stdio: "ignore" });
const url = `redis://127.0.0.1:${port}`;
const { Queue, Worker, QueueEvents } = await import("bullmq");
const { default: IORedis } = await import("ioredis");
const conns = [];
const conn = () => {
  const c = new IORedis(url, { maxRetriesPerRequest: null });
  conns.push(c);
  return c;
};
for (let i = 0; ; i++) {
  try {
    const c = new IORedis(url, { lazyConnect: true, retryStrategy: () => null });
    c.on("error", () => {});
    await c.connect();
    await c.ping();
    c.disconnect();
    break;
  } catch {
    if (i > 100) throw new Error("redis-server did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
}

try {
  console.log(
    `load average before: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
  // 1. BullMQ alone.
  {
    const q = new Queue("noop", { connection: conn() });
    const ev = new QueueEvents("noop", { connection: conn() });
    await ev.waitUntilReady();
    const w = new Worker("noop", async () => 0, { connection: conn(), concurrency: 1 });
    await w.waitUntilReady();
    let seen = 0;
    const all = new Promise((r) => ev.on("completed", () => ++seen === NOOP && r()));
    const t0 = performance.now();
    await q.addBulk(Array.from({ length: NOOP }, (_, i) => ({ name: "j", data: { i }, opts: { jobId: `n${i}` } })));
    await all;
    const ms = performance.now() - t0;
    console.log(
      `BullMQ alone: ${NOOP} no-op jobs added, processed one at a time and seen completed in ${ms.toFixed(0)} ms: ${(ms / NOOP).toFixed(2)} ms per job`,
    );
    await w.close();
    await ev.close();
    await q.close();
  }
  // 2. Whole sweeps.
  const spec = path.join(tmp, "zero.json");
  writeFileSync(spec, JSON.stringify({ base: { model: "mlp", dataset: "bars", epochs: 0 }, seeds: JOBS }));
  const worker = spawn(process.execPath, [bin, "worker", "--queue", url], { stdio: "ignore" });
  const times = { local: [], queue: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of ["local", "queue"]) {
      const out = path.join(tmp, `${mode}${r}`);
      const args = ["sweep", spec, "--out", out, ...(mode === "queue" ? ["--queue", url] : ["--workers", "1"])];
      const t0 = performance.now();
      const p = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
      const s = (performance.now() - t0) / 1000;
      if (p.status !== 0) throw new Error(`${args.join(" ")}: exit ${p.status}\n${p.stdout}${p.stderr}`);
      times[mode].push(s);
      console.log(`round ${r + 1} ${mode}: ${JOBS} jobs in ${s.toFixed(2)} s`);
    }
  }
  worker.kill("SIGTERM");
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const per = ((mean(times.queue) - mean(times.local)) / JOBS) * 1000;
  console.log(
    `sweep of ${JOBS} zero-epoch jobs, mean of ${ROUNDS}: local ${mean(times.local).toFixed(2)} s, queue ${mean(times.queue).toFixed(2)} s: ${per.toFixed(0)} ms per job through the queue`,
  );
  console.log(
    `load average after: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
} finally {
  for (const c of conns) c.disconnect();
  redis.kill("SIGTERM");
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(0);
