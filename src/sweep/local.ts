// Runs a sweep's jobs on this machine, N at a time, each in its own child process. Finished jobs
// (a completed summary in their directory) are skipped; interrupted ones resume from their
// checkpoint; failures are retried; Ctrl-C / SIGTERM / SIGHUP stop every job at its next
// mini-batch with a checkpoint saved, so the same command continues where it stopped.
import { existsSync } from "node:fs";
import { formatDuration } from "../cli/progress.js";
import { metricsOf, type JobRecord } from "./results.js";
import { isComplete, jobPaths, JobRunner, readSummary, type Outcome, type RunningJob } from "./run.js";
import type { SweepJob } from "./spec.js";

export interface LocalOptions {
  workers: number;
  /** Further attempts after a failure that may be transient (crash, kill). */
  retries: number;
  /** Threads per job (passed as `train --threads`), 0: not passed. */
  threads: number;
  /**
   * Cores the sweep uses (at most workers × threads). When a worker falls idle with no job left to
   * start, the jobs still running share its cores (spareThreads) from their next mini-batch on.
   * 0: never.
   */
  cores: number;
  /** Total epochs of each job (by id). */
  epochs: (job: SweepJob) => number;
  /** Called after every change of a job's record (to rewrite sweep.json). */
  changed: () => Promise<void>;
  log: (line: string) => void;
}

/** Marks the jobs whose directory already holds a finished summary as done. Returns how many. */
export async function markFinished(jobs: SweepJob[], records: JobRecord[], outDir: string, epochs: (j: SweepJob) => number): Promise<number> {
  let n = 0;
  for (let i = 0; i < jobs.length; i++) {
    const s = await readSummary(jobPaths(outDir, jobs[i].id).summary);
    if (isComplete(s, epochs(jobs[i]))) {
      records[i].status = "done";
      records[i].metrics = metricsOf(s!);
      delete records[i].error;
      n++;
    }
  }
  return n;
}

export function describeOutcome(o: Outcome, wallS?: number): string {
  if (o.status === "done") {
    const s = o.summary;
    const m =
      typeof s.testError === "number"
        ? `test error ${(100 * s.testError).toFixed(2)} %`
        : typeof s.testMse === "number"
          ? `test MSE ${s.testMse.toPrecision(4)}`
          : "no test metric";
    // Threads given to the job while it ran (train's `threadsChanged`): "threads 1 → 2 at epoch 7".
    const changed = Array.isArray(s.threadsChanged)
      ? (s.threadsChanged as { epoch?: number; from?: number; to?: number }[]).map((c) => `; threads ${c.from} → ${c.to} at epoch ${c.epoch}`).join("")
      : "";
    return `done: ${m} at epoch ${s.bestEpoch ?? "?"} of ${s.epochsRun ?? "?"}${wallS === undefined ? "" : `, ${formatDuration(wallS)}`}${changed}`;
  }
  return o.status === "failed" ? `failed: ${o.error}` : "interrupted (checkpoint saved)";
}

/**
 * The order in which the jobs `todo` (indices into `jobs`) start: most epochs left first, the
 * spec's order among equals. A job that resumes with few epochs left then fills a gap near the end
 * instead of starting last and running alone while the other workers idle (longest processing
 * time first, Graham 1969). Epochs left: the job's epochs less those its summary says it ran, when
 * it has a checkpoint to resume from.
 */
export async function scheduleOrder(jobs: SweepJob[], todo: number[], outDir: string, epochs: (j: SweepJob) => number): Promise<number[]> {
  const left = new Map<number, number>();
  for (const i of todo) {
    const p = jobPaths(outDir, jobs[i].id);
    // Epochs run count only when there is a checkpoint to resume from.
    const s = existsSync(p.checkpoint) ? await readSummary(p.summary) : undefined;
    const run = typeof s?.epochsRun === "number" ? s.epochsRun : 0;
    left.set(i, epochs(jobs[i]) - Math.max(0, Math.min(run, epochs(jobs[i]))));
  }
  return [...todo].sort((a, b) => left.get(b)! - left.get(a)! || a - b);
}

/**
 * Threads for each of `running` jobs (their current counts) once no job is left to start: the
 * cores split as evenly as they go (the first jobs get the remainder), never fewer than a job has.
 * A job that trains alone at the end of a sweep then uses every core instead of one, and two that
 * end together on four cores two each.
 */
export function spareThreads(running: number[], cores: number): number[] {
  const k = running.length;
  return running.map((t, i) => Math.max(t, Math.floor(cores / k) + (i < cores % k ? 1 : 0)));
}

/** Gives the `growable` running jobs their share of `cores` (spareThreads) from their next mini-batch on. */
export function shareSpareCores(growable: RunningJob[], cores: number): void {
  const more = spareThreads(
    growable.map((r) => r.threads),
    cores,
  );
  growable.forEach((r, k) => {
    if (more[k] > r.threads) r.setThreads(more[k]);
  });
}

/** Runs the records that are not done. Resolves with true when stopped by a signal. */
export async function runLocal(jobs: SweepJob[], records: JobRecord[], outDir: string, opts: LocalOptions): Promise<boolean> {
  const todo = await scheduleOrder(
    jobs,
    records.flatMap((r, i) => (r.status !== "done" ? [i] : [])),
    outDir,
    opts.epochs,
  );
  const total = todo.length;
  let finished = 0;
  const running = new Map<number, RunningJob | undefined>();
  const runner = new JobRunner();
  let stopping = false;

  const onSignal = (sig: NodeJS.Signals) => {
    if (!stopping)
      opts.log(`${sig}: stopping ${running.size} running job(s) after their current mini-batch (checkpoints are saved; run the same command to continue)`);
    stopping = true;
    for (const child of running.values()) child?.kill("SIGINT");
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const s of signals) process.on(s, onSignal);

  try {
    await new Promise<void>((resolveAll, rejectAll) => {
      const next = () => {
        if (stopping && running.size === 0) return resolveAll();
        while (!stopping && running.size < opts.workers && todo.length > 0) {
          const i = todo.shift()!;
          launch(i).catch(rejectAll);
        }
        if (todo.length === 0 && running.size === 0) resolveAll();
        // Nothing left to start: the running jobs take the cores that idle workers leave. Only
        // jobs whose threads the sweep chose (not the spec) and that train supports.
        if (!stopping && todo.length === 0 && opts.cores > 0 && opts.threads > 0) {
          const growable: RunningJob[] = [];
          let taken = 0;
          for (const [i, r] of running) {
            const own = jobs[i].config.threads;
            if (r !== undefined && own === undefined) growable.push(r);
            else taken += r?.threads ?? (typeof own === "number" ? own : own === undefined ? opts.threads : opts.cores);
          }
          shareSpareCores(growable, opts.cores - taken);
        }
      };
      const launch = async (i: number) => {
        const job = jobs[i];
        const rec = records[i];
        rec.attempts++;
        rec.status = "running";
        running.set(i, undefined);
        const t0 = performance.now();
        let outcome: Outcome;
        try {
          const run = await runner.start(job, outDir, { epochs: opts.epochs(job), threads: opts.threads, attempt: rec.attempts });
          running.set(i, run);
          if (stopping) run.kill("SIGINT");
          // Cores may have fallen idle while this job's process started.
          else if (todo.length === 0) next();
          await opts.changed();
          outcome = await run.done;
        } catch (e) {
          outcome = { status: "failed", error: (e as Error).message, permanent: true };
        }
        running.delete(i);
        const wallS = (performance.now() - t0) / 1000;
        if (outcome.status === "done") {
          rec.status = "done";
          rec.metrics = metricsOf(outcome.summary);
          delete rec.error;
        } else if (outcome.status === "interrupted") {
          rec.status = "interrupted";
        } else if (!outcome.permanent && rec.attempts <= opts.retries && !stopping) {
          rec.status = "pending";
          rec.error = outcome.error;
          todo.unshift(i);
          opts.log(`${job.id}: attempt ${rec.attempts} failed (${outcome.error}); retrying`);
        } else {
          rec.status = "failed";
          rec.error = outcome.error;
        }
        if (rec.status !== "pending") {
          finished++;
          opts.log(`[${finished}/${total}] ${job.id} (${rec.label}) ${describeOutcome(outcome, wallS)}`);
        }
        await opts.changed();
        next();
      };
      next();
    });
  } finally {
    for (const s of signals) process.off(s, onSignal);
    runner.close();
  }
  return stopping;
}
