// `dendritic sweep SPEC --out DIR` (grids and lists of train configurations over seeds, on this
// machine or on a Redis queue), `dendritic sweep status` and `dendritic worker`.
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { access, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { constants as fsc } from "node:fs";
import { availableParallelism, hostname } from "node:os";
import path from "node:path";
import { ValueError } from "../core/errors.js";
import { modelKinds } from "../models/registry.js";
import { describeOutcome, markFinished, runLocal, scheduleOrder } from "../sweep/local.js";
import { metricsOf, newRecords, summarise, summaryTable, writeCsv, writeSweepRecord, type JobRecord, type SweepRecord } from "../sweep/results.js";
import { isComplete, jobPaths, readSummary, threadsPerJob } from "../sweep/run.js";
import { expandSpec, parseSpecText, SpecError, type SweepJob } from "../sweep/spec.js";
import { formatDuration } from "./progress.js";
import { trainCommand } from "./train.js";

function intArg(min: number, max = 2 ** 31 - 1) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\s*\d+\s*$/.test(v) || n < min || n > max) throw new InvalidArgumentError(`expected an integer in [${min}, ${max}]`);
    return n;
  };
}

/** Whether `dendritic train` has a --threads option (threads per job are chosen only then). */
function trainHasThreads(): boolean {
  return trainCommand().options.some((o) => o.long === "--threads");
}

/**
 * Checks a job's arguments with `dendritic train`'s own parser (without running it), so a sweep
 * rejects exactly what train rejects, before anything is written. Returns the parsed options.
 */
async function validateJob(job: SweepJob, file: string): Promise<{ epochs: number }> {
  const cmd = trainCommand()
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
    .action(() => undefined);
  try {
    await cmd.parseAsync(job.args, { from: "user" });
  } catch (e) {
    const msg = e instanceof CommanderError ? e.message.replace(/^error: /, "") : (e as Error).message;
    throw new SpecError(`${file}: ${job.origin}: ${msg}`);
  }
  const model = job.config.model;
  if (typeof model === "string" && !modelKinds().includes(model))
    throw new SpecError(`${file}: ${job.origin}: unknown model '${model}'; available: ${modelKinds().join(", ")}`);
  return { epochs: cmd.opts().epochs as number };
}

async function loadSpec(file: string): Promise<{ spec: ReturnType<typeof expandSpec>; epochs: Map<string, number> }> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new SpecError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const spec = expandSpec(await parseSpecText(text, file), file);
  const epochs = new Map<string, number>();
  for (const j of spec.jobs) epochs.set(j.id, (await validateJob(j, file)).epochs);
  return { spec, epochs };
}

/** DIR must be a directory we can write, or not exist yet with a writable parent. Nothing is created here. */
async function checkOutDir(dir: string): Promise<void> {
  let d = path.resolve(dir);
  for (;;) {
    try {
      const s = await stat(d);
      if (!s.isDirectory()) throw new ValueError(`--out ${dir}: ${d} is not a directory`);
      await access(d, fsc.W_OK | fsc.X_OK);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (e instanceof ValueError) throw e;
      if ((code === "ENOENT" || code === "ENOTDIR") && path.dirname(d) !== d) {
        d = path.dirname(d);
        continue;
      }
      throw new ValueError(`--out ${dir}: cannot write to ${d} (${code ?? (e as Error).message})`);
    }
  }
}

interface SweepOpts {
  out: string;
  workers: number;
  retries: number;
  threads?: number;
  csv?: string;
  queue?: string;
  queueName: string;
  wait: boolean;
  dryRun: boolean;
}

export function sweepCommand(): Command {
  const cmd = new Command("sweep")
    .description("Run a grid and/or list of train configurations over seeds (SPEC: JSON or YAML), here or on a Redis queue; re-running continues")
    .argument("<spec>", "sweep specification (.json, .yaml or .yml)")
    .option("--out <dir>", "(required) sweep directory: DIR/sweep.json and one DIR/<job id>/ per job (summary.json, log.txt, checkpoint.safetensors)")
    .addOption(new Option("--workers <n>", "jobs run at once on this machine").default(1).argParser(intArg(1, 1024)))
    .addOption(
      new Option("--retries <k>", "further attempts for a job that crashed or was killed (bad settings are not retried)").default(1).argParser(intArg(0, 100)),
    )
    .addOption(new Option("--threads <n>", "threads per job (default: cores ÷ workers, when train supports --threads)").argParser(intArg(1, 1024)))
    .option("--csv <file>", "also write the summary table as CSV")
    .option(
      "--queue <url>",
      "put the jobs on a BullMQ queue in Redis (redis://[user:password@]host[:port][/db], rediss:// for TLS) for 'dendritic worker' processes",
    )
    .option("--queue-name <name>", "BullMQ queue name", "dendritic")
    .option("--no-wait", "with --queue: enqueue and return without waiting for the results")
    .option("--dry-run", "list the jobs and their ids, run nothing", false)
    .enablePositionalOptions()
    .action(async (file: string, opts: SweepOpts, command: Command) => {
      // Not a commander requiredOption: those are also demanded of the `status` subcommand.
      if (!opts.out) command.error("error: required option '--out <dir>' not specified");
      process.exitCode = await runSweep(file, opts);
    });
  cmd.addCommand(statusCommand());
  return cmd;
}

async function runSweep(file: string, opts: SweepOpts): Promise<number> {
  const t0 = performance.now();
  const { spec, epochs } = await loadSpec(file);
  const jobs = spec.jobs;
  const outDir = path.resolve(opts.out);
  if (opts.dryRun) {
    for (const j of jobs) console.log(`${j.id}  ${spec.groupLabels.get(j.group)}  (${j.origin})\n    dendritic train ${j.args.join(" ")}`);
    console.log(`${jobs.length} jobs in ${spec.groupLabels.size} configuration(s)`);
    return 0;
  }
  await checkOutDir(opts.out);
  const epochsOf = (j: SweepJob) => epochs.get(j.id)!;
  const records = newRecords(jobs, spec.groupLabels);
  const sweepFile = path.join(outDir, "sweep.json");
  const rec: SweepRecord = {
    version: 1,
    name: spec.name,
    spec: path.resolve(file),
    mode: opts.queue ? "queue" : "local",
    updated: "",
    jobs: records,
    summary: [],
  };

  if (opts.queue) return runQueued(jobs, rec, outDir, sweepFile, opts, epochsOf, t0);

  const cores = availableParallelism();
  const threads = opts.threads ?? (trainHasThreads() ? threadsPerJob(cores, opts.workers) : 0);
  if (opts.threads && !trainHasThreads()) throw new ValueError("--threads: this version of 'dendritic train' has no --threads option");
  const most = Math.max(threads, ...jobs.map((j) => (typeof j.config.threads === "number" ? j.config.threads : 0)));
  const over = oversubscribed(opts.workers, most, cores, "workers");
  if (over) console.error(over);
  rec.workers = opts.workers;
  await mkdir(outDir, { recursive: true });
  const unlock = await lockDir(outDir);
  try {
    return await runLocalSweep(jobs, rec, outDir, sweepFile, opts, epochsOf, threads, t0);
  } finally {
    await unlock();
  }
}

/** A warning when N jobs at once × T threads each ask for more threads than the machine has cores. */
export function oversubscribed(jobs: number, threads: number, cores: number, what: string): string | undefined {
  if (jobs * threads <= cores || threads <= 1) return undefined;
  return `note: ${jobs} ${what} × ${threads} threads per job = ${jobs * threads} threads on ${cores} cores: the jobs will compete for the cores (by default threads per job are cores ÷ ${what})`;
}

/**
 * One local sweep per directory at a time: DIR/sweep.lock holds the owner's host and pid. A lock
 * whose process is gone (a killed sweep) is taken over.
 */
async function lockDir(dir: string): Promise<() => Promise<void>> {
  const file = path.join(dir, "sweep.lock");
  const me = `${hostname()} ${process.pid}`;
  for (let tries = 0; ; tries++) {
    try {
      await writeFile(file, me + "\n", { flag: "wx" });
      return () => rm(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || tries > 0) throw e;
    }
    const [host, pidText] = (await readFile(file, "utf8").catch(() => "")).trim().split(" ");
    const pid = Number(pidText);
    let alive = false;
    if (host === hostname() && Number.isInteger(pid) && pid > 0) {
      try {
        process.kill(pid, 0);
        alive = true;
      } catch (e) {
        alive = (e as NodeJS.ErrnoException).code === "EPERM";
      }
    }
    if (alive || (host && host !== hostname()))
      throw new ValueError(
        `--out ${dir}: another sweep (${host} pid ${pidText}) is running in this directory (${file}); wait for it, or remove the file if it is gone`,
      );
    await rm(file, { force: true });
  }
}

async function runLocalSweep(
  jobs: SweepJob[],
  rec: SweepRecord,
  outDir: string,
  sweepFile: string,
  opts: SweepOpts,
  epochsOf: (j: SweepJob) => number,
  threads: number,
  t0: number,
): Promise<number> {
  const records = rec.jobs;
  const already = await markFinished(jobs, records, outDir, epochsOf);
  let saving = Promise.resolve();
  const save = () => (saving = saving.then(() => writeSweepRecord(sweepFile, rec)));
  await save();
  // Jobs that set `threads` in the spec keep their own count.
  const own = jobs.filter((j) => j.config.threads !== undefined).length;
  const perJob =
    threads && own < jobs.length ? `, ${threads} thread(s) per job${own ? ` (${own} job(s) set their own)` : ""}` : own ? ", threads as each job sets" : "";
  console.log(
    `${jobs.length} jobs in ${new Set(jobs.map((j) => j.group)).size} configuration(s)${already ? `, ${already} already done` : ""}; ${opts.workers} worker(s)` +
      `${perJob}; results in ${outDir}`,
  );
  const stopped = await runLocal(jobs, records, outDir, {
    workers: opts.workers,
    retries: opts.retries,
    threads,
    // The cores the sweep was given: an idle worker's share goes to the jobs still running.
    cores: Math.min(availableParallelism(), opts.workers * threads),
    epochs: epochsOf,
    changed: save,
    log: (l) => console.log(l),
  });
  rec.wallS = (performance.now() - t0) / 1000;
  await save();
  return finish(rec, opts, stopped);
}

async function finish(rec: SweepRecord, opts: SweepOpts, stopped: boolean): Promise<number> {
  const rows = summarise(rec.jobs);
  console.log("\n" + summaryTable(rows));
  if (opts.csv) await writeCsv(opts.csv, rows);
  const failed = rec.jobs.filter((j) => j.status === "failed");
  const open = rec.jobs.filter((j) => j.status !== "done" && j.status !== "failed");
  for (const j of failed) console.log(`failed: ${j.id} (${j.label}): ${j.error}`);
  console.log(`${rec.jobs.length - open.length - failed.length} done, ${failed.length} failed, ${open.length} not finished; ${formatDuration(rec.wallS ?? 0)}`);
  if (stopped) {
    console.log("stopped: run the same command again to continue (finished jobs are skipped, interrupted ones resume from their checkpoints)");
    return 130;
  }
  return failed.length || open.length ? 1 : 0;
}

// ------------------------------------------------------------------------------------------------
// Queue mode

async function runQueued(
  jobs: SweepJob[],
  rec: SweepRecord,
  outDir: string,
  sweepFile: string,
  opts: SweepOpts,
  epochsOf: (j: SweepJob) => number,
  t0: number,
): Promise<number> {
  if (opts.workers !== 1)
    throw new ValueError("--workers applies to local sweeps; with --queue start 'dendritic worker --queue …' processes (--concurrency N each)");
  const q = await import("../sweep/queue.js");
  const queueName = q.checkQueueName(opts.queueName);
  const { redis, bullmq } = await q.connect(opts.queue!);
  const queue = new bullmq.Queue<import("../sweep/queue.js").QueuedJob>(queueName, { connection: redis });
  let stopped = false;
  let events: { queueEvents: import("bullmq").QueueEvents; conn: import("ioredis").Redis } | undefined;
  let wake: (() => void) | undefined;
  const onSignal = () => {
    stopped = true;
    wake?.();
  };
  try {
    rec.queue = { url: q.redactUrl(opts.queue!), name: queueName };
    await mkdir(outDir, { recursive: true });
    const records = rec.jobs;
    const already = await markFinished(jobs, records, outDir, epochsOf);
    await writeSweepRecord(sweepFile, rec);
    const jid = jobs.map((j) => q.queueJobId(outDir, j.id));
    let added = 0;
    const enqueue = async (i: number) => {
      const j = jobs[i];
      const data = { dir: outDir, id: j.id, label: records[i].label, group: j.group, args: j.args, config: j.config, epochs: epochsOf(j) };
      await queue.add(j.id, data, { jobId: jid[i], attempts: opts.retries + 1 });
      records[i].status = "queued";
      added++;
    };
    // Added in the order a local sweep would start them (workers take the oldest first).
    const order = await scheduleOrder(
      jobs,
      records.flatMap((r, i) => (r.status !== "done" ? [i] : [])),
      outDir,
      epochsOf,
    );
    for (const i of order) {
      const state = await queue.getJobState(jid[i]);
      if (state === "failed" || state === "completed") {
        // A fresh start for a job that failed earlier, or finished without its files in DIR.
        await (await queue.getJob(jid[i]))?.remove();
        await enqueue(i);
      } else if (state === "unknown") await enqueue(i);
      else records[i].status = state === "active" ? "running" : "queued";
    }
    await writeSweepRecord(sweepFile, rec);
    console.log(
      `${jobs.length} jobs in ${new Set(jobs.map((j) => j.group)).size} configuration(s)${already ? `, ${already} already done` : ""}; ${added} added to queue '${queueName}' at ${rec.queue.url}; results in ${outDir}`,
    );
    if (!opts.wait) {
      console.log(
        `not waiting: follow with 'dendritic sweep status ${opts.out} --queue …', results with 'dendritic sweep ${path.basename(rec.spec)} --out ${opts.out} --queue …' again`,
      );
      return 0;
    }
    for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(s, onSignal);
    // The queue's event stream wakes the wait below as soon as a job starts, finishes or fails;
    // the 0.5 s poll remains for what has no event (a job lost in a Redis restart).
    const conn = redis.duplicate();
    conn.on("error", () => undefined); // the main connection reports connection trouble
    const queueEvents = new bullmq.QueueEvents(queueName, { connection: conn });
    queueEvents.on("error", () => undefined);
    events = { queueEvents, conn };
    for (const e of ["active", "completed", "failed"] as const) queueEvents.on(e, () => wake?.());
    let lastLine = "";
    let finished = records.filter((r) => r.status === "done").length;
    const total = jobs.length;
    while (!stopped) {
      let changed = false;
      for (let i = 0; i < jobs.length; i++) {
        const r = records[i];
        if (r.status === "done" || r.status === "failed") continue;
        const state = await queue.getJobState(jid[i]);
        if (state === "completed") {
          const job = await queue.getJob(jid[i]);
          const s = await readSummary(jobPaths(outDir, jobs[i].id).summary);
          r.status = "done";
          r.metrics = isComplete(s, epochsOf(jobs[i])) ? metricsOf(s!) : (job?.returnvalue as { metrics?: JobRecord["metrics"] } | undefined)?.metrics;
          r.attempts = (job?.attemptsMade ?? 0) + 1;
          delete r.error;
          finished++;
          console.log(
            `[${finished}/${total}] ${r.id} (${r.label}) ${describeOutcome({ status: "done", summary: s ?? {} })}${job?.returnvalue?.worker ? ` on ${job.returnvalue.worker}` : ""}`,
          );
          changed = true;
        } else if (state === "failed") {
          const job = await queue.getJob(jid[i]);
          r.status = "failed";
          r.error = job?.failedReason ?? "failed";
          r.attempts = job?.attemptsMade ?? r.attempts;
          finished++;
          console.log(`[${finished}/${total}] ${r.id} (${r.label}) failed: ${r.error}`);
          changed = true;
        } else if (state === "unknown") {
          // The queue lost the job (e.g. Redis restarted without persistence): put it back.
          const s = await readSummary(jobPaths(outDir, jobs[i].id).summary);
          if (isComplete(s, epochsOf(jobs[i]))) continue;
          console.log(`${r.id}: no longer on the queue; adding it again`);
          await enqueue(i);
          changed = true;
        } else {
          const st = state === "active" ? "running" : "queued";
          if (r.status !== st) {
            r.status = st;
            changed = true;
          }
        }
      }
      if (changed) await writeSweepRecord(sweepFile, rec);
      const counts = { running: 0, queued: 0 };
      for (const r of records) if (r.status === "running" || r.status === "queued") counts[r.status]++;
      if (counts.running + counts.queued === 0) break;
      const line = `${finished}/${total} finished, ${counts.running} running, ${counts.queued} waiting`;
      if (line !== lastLine) {
        console.log(line);
        lastLine = line;
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, 500);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
      wake = undefined;
    }
    rec.wallS = (performance.now() - t0) / 1000;
    await writeSweepRecord(sweepFile, rec);
    if (stopped) {
      console.log("stopped waiting; the jobs stay on the queue and the workers go on. Run the same command again to wait for them and collect the results.");
      await finish(rec, opts, false);
      return 130;
    }
    return finish(rec, opts, false);
  } finally {
    for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.off(s, onSignal);
    if (events) {
      await events.queueEvents.close().catch(() => undefined);
      events.conn.disconnect();
    }
    await queue.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}

// ------------------------------------------------------------------------------------------------
// Status

function statusCommand(): Command {
  return new Command("status")
    .description("Show a sweep's jobs per configuration: waiting / running / done / failed (from DIR, or from the queue with --queue)")
    .argument("[dir]", "sweep directory (its sweep.json); with --queue, limits the listing to this sweep")
    .option("--queue <url>", "read the BullMQ queue in Redis instead")
    .option("--queue-name <name>", "BullMQ queue name", "dendritic")
    .action(async (dir: string | undefined, opts: { queue?: string; queueName: string }) => {
      if (opts.queue) return queueStatus(opts.queue, opts.queueName, dir);
      if (!dir) throw new ValueError("sweep status: give the sweep directory, or --queue URL");
      await dirStatus(dir);
    });
}

function countTable(rows: { label: string; counts: Record<string, number>; extra?: string }[], cols: string[]): string {
  const head = ["configuration", ...cols, "test error"];
  const body = rows.map((r) => [r.label, ...cols.map((c) => String(r.counts[c] ?? 0)), r.extra ?? "–"]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  return [head, ...body].map((cells) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ")).join("\n");
}

async function dirStatus(dir: string): Promise<void> {
  const file = path.join(dir, "sweep.json");
  let rec: SweepRecord;
  try {
    rec = JSON.parse(await readFile(file, "utf8")) as SweepRecord;
  } catch (e) {
    throw new ValueError(`${file}: cannot read a sweep record (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  // Job directories are the truth (a queue worker or an interrupted run may have moved on).
  for (const j of rec.jobs) {
    const s = await readSummary(jobPaths(dir, j.id).summary);
    if (j.status !== "done" && s && (s.status === "completed" || (s.status === undefined && s.interrupted === false && j.status === "running"))) {
      j.status = "done";
      j.metrics = metricsOf(s);
    }
  }
  const cols = ["pending", "queued", "running", "interrupted", "done", "failed"];
  const rows = summarise(rec.jobs).map((g) => {
    const counts: Record<string, number> = {};
    for (const j of rec.jobs) if (j.group === g.group) counts[j.status] = (counts[j.status] ?? 0) + 1;
    return {
      label: g.label,
      counts,
      extra: g.mean === undefined ? undefined : `${(100 * g.mean).toFixed(2)}${g.sd === undefined ? "" : ` ± ${(100 * g.sd).toFixed(2)}`} % (n ${g.n})`,
    };
  });
  console.log(`${dir}: ${rec.jobs.length} jobs (${rec.mode}${rec.queue ? ` on queue '${rec.queue.name}' at ${rec.queue.url}` : ""}), updated ${rec.updated}`);
  console.log(countTable(rows, cols));
}

async function queueStatus(url: string, queueName: string, dir?: string): Promise<void> {
  const q = await import("../sweep/queue.js");
  const name = q.checkQueueName(queueName);
  const { redis, bullmq } = await q.connect(url);
  const queue = new bullmq.Queue<import("../sweep/queue.js").QueuedJob>(name, { connection: redis });
  try {
    const states = ["waiting", "prioritized", "delayed", "active", "completed", "failed"] as const;
    const bySweep = new Map<string, Map<string, { label: string; counts: Record<string, number>; errs: number[] }>>();
    const want = dir ? path.resolve(dir) : undefined;
    for (const st of states) {
      const list = await queue.getJobs([st], 0, -1);
      for (const job of list) {
        const d = job.data;
        if (!d || typeof d.dir !== "string" || (want && d.dir !== want)) continue;
        const groups = bySweep.get(d.dir) ?? new Map();
        bySweep.set(d.dir, groups);
        const g = groups.get(d.group) ?? { label: d.label, counts: {}, errs: [] };
        groups.set(d.group, g);
        const col = st === "completed" ? "done" : st === "active" ? "active" : st === "failed" ? "failed" : "waiting";
        g.counts[col] = (g.counts[col] ?? 0) + 1;
        const e = (job.returnvalue as { metrics?: { testError?: number } } | undefined)?.metrics?.testError;
        if (st === "completed" && typeof e === "number") g.errs.push(e);
      }
    }
    const c = await queue.getJobCounts("waiting", "active", "completed", "failed", "delayed", "prioritized");
    console.log(
      `queue '${name}' at ${q.redactUrl(url)}: ${c.waiting + c.prioritized + c.delayed} waiting, ${c.active} active, ${c.completed} done, ${c.failed} failed`,
    );
    if (bySweep.size === 0) console.log(want ? `no jobs of ${want} on the queue` : "no sweep jobs on the queue");
    for (const [d, groups] of bySweep) {
      console.log(`\n${d}`);
      const rows = [...groups.values()].map((g) => {
        const n = g.errs.length;
        const mean = n ? g.errs.reduce((a, b) => a + b, 0) / n : undefined;
        return { label: g.label, counts: g.counts, extra: mean === undefined ? undefined : `${(100 * mean).toFixed(2)} % (n ${n})` };
      });
      console.log(countTable(rows, ["waiting", "active", "done", "failed"]));
    }
  } finally {
    await queue.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}

// ------------------------------------------------------------------------------------------------
// Worker

export function workerCommand(): Command {
  return new Command("worker")
    .description("Run sweep jobs from a BullMQ queue in Redis until stopped (Ctrl-C / SIGTERM: running jobs save a checkpoint and go back to the queue)")
    .requiredOption("--queue <url>", "Redis URL: redis://[user:password@]host[:port][/db], rediss:// for TLS")
    .option("--queue-name <name>", "BullMQ queue name", "dendritic")
    .addOption(new Option("--concurrency <n>", "jobs this worker runs at once").default(1).argParser(intArg(1, 1024)))
    .addOption(new Option("--threads <n>", "threads per job (default: cores ÷ concurrency, when train supports --threads)").argParser(intArg(1, 1024)))
    .addOption(
      new Option("--lock-duration <ms>", "a job whose worker stops renewing its lock this long is stalled and goes to another worker")
        .default(30000)
        .argParser(intArg(1000)),
    )
    .addOption(new Option("--stalled-interval <ms>", "how often this worker looks for stalled jobs").default(30000).argParser(intArg(1000)))
    .addOption(new Option("--max-stalled <n>", "a job that stalls more often than this fails").default(3).argParser(intArg(0, 1000)))
    .action(
      async (opts: {
        queue: string;
        queueName: string;
        concurrency: number;
        threads?: number;
        lockDuration: number;
        stalledInterval: number;
        maxStalled: number;
      }) => {
        const { runWorker, checkQueueName } = await import("../sweep/queue.js");
        const has = trainHasThreads();
        if (opts.threads && !has) throw new ValueError("--threads: this version of 'dendritic train' has no --threads option");
        const threads = opts.threads ?? (has ? threadsPerJob(availableParallelism(), opts.concurrency) : 0);
        const over = oversubscribed(opts.concurrency, threads, availableParallelism(), "concurrent jobs");
        if (over) console.error(over);
        process.exitCode = await runWorker({
          url: opts.queue,
          queueName: checkQueueName(opts.queueName),
          concurrency: opts.concurrency,
          threads,
          lockDurationMs: opts.lockDuration,
          stalledIntervalMs: opts.stalledInterval,
          maxStalledCount: opts.maxStalled,
          log: (l) => console.log(`${new Date().toISOString()} ${l}`),
        });
      },
    );
}
