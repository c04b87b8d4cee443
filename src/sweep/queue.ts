// Sweeps across machines: jobs on a BullMQ queue in Redis, pulled by `dendritic worker` processes.
//
// Where things live: every job's checkpoint, summary and log are in the sweep directory
// (DIR/<job id>/), which every worker must reach at the same path (a shared or network file
// system). Redis holds only the queue — which jobs wait, run, finished or failed, with their
// settings, attempts, errors and final metrics — so `dendritic sweep status --queue` works from any
// machine. A worker that dies mid-job loses its lock; BullMQ's stalled-job check hands the job to
// another worker, which resumes from the job's last checkpoint in DIR.
//
// bullmq and ioredis are imported on first use only (library users never load them).
import { existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { availableParallelism, hostname } from "node:os";
import path from "node:path";
import { ValueError } from "../core/errors.js";
import { metricsOf, type Metrics } from "./results.js";
import { shareSpareCores } from "./local.js";
import { JobRunner, type RunningJob } from "./run.js";
import { importOptional } from "../core/optional.js";

type BullMQ = typeof import("bullmq");
type IORedisModule = typeof import("ioredis");
type Redis = import("ioredis").Redis;

export const DEFAULT_QUEUE_NAME = "dendritic";

/** What a queued job carries: everything a worker needs, no matter which machine it is on. */
export interface QueuedJob {
  /** Absolute path of the sweep directory (the same on every worker). */
  dir: string;
  id: string;
  label: string;
  group: string;
  args: string[];
  config: Record<string, unknown>;
  epochs: number;
}

export interface QueueResult {
  metrics: Metrics;
  worker: string;
}

async function load(): Promise<{ bullmq: BullMQ; IORedis: IORedisModule["default"] }> {
  const use = "a sweep on a queue (--queue, dendritic worker)";
  const bullmq = await importOptional<BullMQ>("bullmq", use, ["ioredis"]);
  const io = await importOptional<IORedisModule>("ioredis", use, ["bullmq"]);
  return { bullmq, IORedis: io.default ?? (io as unknown as IORedisModule["default"]) };
}

/** The URL with its password replaced by ***, for messages and sweep.json. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url.replace(/\/\/([^@/]*):[^@/]*@/, "//$1:***@");
  }
}

/** Checks the URL form: redis://[user[:password]@]host[:port][/db] or rediss:// (TLS). */
export function checkQueueUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ValueError(`--queue ${url}: not a URL; expected redis://[user:password@]host[:port][/db] (rediss:// for TLS)`);
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw new ValueError(`--queue ${redactUrl(url)}: expected a redis:// or rediss:// URL`);
  if (u.pathname.length > 1 && !/^\/\d+$/.test(u.pathname))
    throw new ValueError(`--queue ${redactUrl(url)}: the path must be a database number, e.g. redis://host:6379/0`);
}

export function checkQueueName(name: string): string {
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(name)) throw new ValueError(`--queue-name '${name}': use letters, digits, '.', '_' or '-' (BullMQ forbids ':')`);
  return name;
}

/**
 * Connects to Redis: first a probe that fails fast (unreachable host, wrong password, no TLS) with
 * a one-line error, then the long-lived connection, which reconnects for ever (a Redis restart
 * only pauses the sweep) and queues commands while disconnected (maxRetriesPerRequest: null, as
 * BullMQ requires).
 */
export async function connect(url: string, timeoutMs = 5000): Promise<{ redis: Redis; bullmq: BullMQ }> {
  checkQueueUrl(url);
  // ioredis switches TLS on for a lower-case "rediss://" only.
  url = url.replace(/^rediss?:/i, (m) => m.toLowerCase());
  const tls = url.startsWith("rediss:");
  const { bullmq, IORedis } = await load();
  const probe = new IORedis(url, {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    enableOfflineQueue: false,
  });
  // The connection's own error (ECONNREFUSED, WRONGPASS, a TLS failure) says more than the rejection.
  let cause: Error | undefined;
  probe.on("error", (e: Error) => (cause ??= e));
  try {
    await probe.connect();
    await probe.ping();
  } catch (e) {
    const why = (cause ?? (e as Error)).message.split("\n")[0];
    throw new ValueError(`cannot reach Redis at ${redactUrl(url)}: ${why}${connectHint(why, tls)}`);
  } finally {
    probe.disconnect();
  }
  const redis = new IORedis(url, { maxRetriesPerRequest: null, retryStrategy: (times: number) => Math.min(200 * times, 2000) });
  let lastWarn = 0;
  redis.on("error", (e: Error) => {
    if (Date.now() - lastWarn > 10_000) {
      lastWarn = Date.now();
      console.error(`redis ${redactUrl(url)}: ${e.message.split("\n")[0]} (reconnecting)`);
    }
  });
  return { redis, bullmq };
}

/** A hint for the usual causes of a failed TLS or plain connection (none for other errors). */
function connectHint(why: string, tls: boolean): string {
  if (tls && /self[- ]signed|unable to (get|verify)|certificate/i.test(why)) {
    return " (the server's certificate is not trusted: give its CA to Node with NODE_EXTRA_CA_CERTS=/path/to/ca.pem)";
  }
  if (tls && /ETIMEDOUT|ECONNRESET|wrong version number|packet length/i.test(why))
    return " (does this port speak TLS? rediss:// is for TLS ports, redis:// for plain ones)";
  if (!tls && /ECONNRESET|socket hang up|Connection is closed/i.test(why)) return " (a TLS port? use rediss://)";
  return "";
}

/** The queue's job id of a sweep job: unique per sweep directory, stable across re-runs. */
export function queueJobId(dir: string, id: string): string {
  return `${createHash("sha256").update(path.resolve(dir)).digest("hex").slice(0, 8)}.${id}`;
}

export interface WorkerOptions {
  url: string;
  queueName: string;
  concurrency: number;
  threads: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
  log: (line: string) => void;
}

/**
 * Runs a queue worker until SIGINT/SIGTERM/SIGHUP: each job is `dendritic train` in a child
 * process (resuming from the job's checkpoint when one exists). On a stop signal, running jobs
 * save a checkpoint and go back to the queue for another worker; their attempts are not counted.
 */
export async function runWorker(o: WorkerOptions): Promise<number> {
  const { redis, bullmq } = await connect(o.url);
  const me = `${hostname()}:${process.pid}`;
  const children = new Map<string, RunningJob>();
  /** Running jobs whose spec sets their threads (they keep them). */
  const pinned = new Set<string>();
  const runner = new JobRunner();
  let stopping = false;
  let exitCode = 0;
  // The queue has run dry (BullMQ's "drained": a fetch found no job) and no job has started since:
  // a slot of this worker that falls idle stays idle, so its cores go to the jobs still running
  // here, as in a local sweep (spareThreads). A job queued later starts with the usual threads.
  let drained = false;
  const cores = Math.min(availableParallelism(), o.concurrency * o.threads);
  const spare = () => {
    if (!drained || stopping || !o.threads || children.size === 0 || children.size >= o.concurrency) return;
    const growable: RunningJob[] = [];
    let taken = 0;
    for (const [id, r] of children) {
      if (pinned.has(id)) taken += r.threads;
      else growable.push(r);
    }
    shareSpareCores(growable, cores - taken);
  };
  const worker = new bullmq.Worker<QueuedJob, QueueResult>(
    o.queueName,
    async (job, token) => {
      const d = job.data;
      if (!existsSync(path.join(d.dir, "sweep.json"))) {
        // This machine does not see the sweep directory: give the job back and stop taking jobs.
        o.log(
          `${d.id}: ${d.dir} is not reachable from ${hostname()} (mount the sweep directory at the same path); returning the job to the queue and stopping`,
        );
        exitCode = 1;
        await job.moveToWait(token);
        void shutdown("unreachable sweep directory");
        throw new bullmq.WaitingError();
      }
      drained = false;
      const attempt = job.attemptsMade + 1;
      o.log(`${d.id} (${d.label}): started (attempt ${attempt}${job.stalledCounter ? `, recovered after ${job.stalledCounter} stall(s)` : ""})`);
      const run = await runner.start({ id: d.id, args: d.args, config: d.config }, d.dir, {
        epochs: d.epochs,
        threads: o.threads,
        attempt,
        runner: `worker ${me}`,
      });
      children.set(job.id!, run);
      if (d.config.threads !== undefined) pinned.add(job.id!);
      if (stopping) run.kill("SIGINT");
      const out = await run.done;
      children.delete(job.id!);
      pinned.delete(job.id!);
      spare();
      if (out.status === "done") {
        o.log(`${d.id}: done${typeof out.summary.testError === "number" ? `, test error ${(100 * out.summary.testError).toFixed(2)} %` : ""}`);
        return { metrics: metricsOf(out.summary), worker: me };
      }
      if (out.status === "interrupted") {
        o.log(`${d.id}: stopped with a checkpoint; back on the queue`);
        await job.moveToWait(token);
        throw new bullmq.WaitingError();
      }
      o.log(`${d.id}: failed: ${out.error}`);
      if (out.permanent) throw new bullmq.UnrecoverableError(out.error);
      throw new Error(out.error);
    },
    {
      connection: redis,
      concurrency: o.concurrency,
      lockDuration: o.lockDurationMs,
      stalledInterval: o.stalledIntervalMs,
      maxStalledCount: o.maxStalledCount,
      // A job's metrics stay in Redis until the queue is cleaned; the files are the lasting record.
      removeOnComplete: { count: 100_000 },
      removeOnFail: { count: 100_000 },
    },
  );
  worker.on("error", (e) => o.log(`worker: ${e.message}`));
  worker.on("drained", () => {
    drained = true;
    spare();
  });
  // A lost lock means the job may already run elsewhere (it was declared stalled): stop our copy at
  // once, without saving, so only one process ever writes the job's directory.
  worker.on("lockRenewalFailed", (ids: string[]) => {
    for (const id of ids) {
      const c = children.get(id);
      if (!c) continue;
      o.log(`${id}: lost the job's lock (it may have gone to another worker); stopping this copy`);
      c.kill("SIGKILL");
    }
  });
  let closed!: () => void;
  const done = new Promise<void>((r) => (closed = r));
  const shutdown = async (why: string) => {
    if (stopping) {
      for (const c of children.values()) c.kill("SIGINT"); // second signal: train quits without saving
      return;
    }
    stopping = true;
    o.log(`${why}: ${children.size ? `stopping ${children.size} running job(s) with a checkpoint` : "stopping"}`);
    for (const c of children.values()) c.kill("SIGINT");
    await worker.close();
    runner.close();
    await redis.quit().catch(() => redis.disconnect());
    closed();
  };
  const onSignal = (sig: NodeJS.Signals) => void shutdown(sig);
  for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(s, onSignal);
  await worker.waitUntilReady();
  o.log(`worker ${me} on queue '${o.queueName}' at ${redactUrl(o.url)}: concurrency ${o.concurrency}${o.threads ? `, ${o.threads} thread(s) per job` : ""}`);
  await done;
  for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.off(s, onSignal);
  return exitCode;
}
