// Runs one sweep job: `dendritic train` in a child process whose checkpoint, JSON summary and log
// live in the job's directory. A child process keeps a crash, a divergence or an out-of-memory in
// one job from taking the sweep (or a queue worker) down, and makes signals and kills real.
import { fork, type ChildProcess } from "node:child_process";
import { existsSync, openSync, closeSync, readSync, statSync, writeSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Files of one job under the sweep directory. */
export interface JobPaths {
  dir: string;
  /** `train --json`: the run's summary with every epoch's metrics. */
  summary: string;
  /** `train --save`: the latest checkpoint (safetensors), written atomically. */
  checkpoint: string;
  /** stdout and stderr of every attempt, appended, one header line per attempt. */
  log: string;
}

export function jobPaths(outDir: string, id: string): JobPaths {
  const dir = path.join(outDir, id);
  return { dir, summary: path.join(dir, "summary.json"), checkpoint: path.join(dir, "checkpoint.safetensors"), log: path.join(dir, "log.txt") };
}

/** What `train --json` writes (the fields the sweep reads). */
export interface TrainJson {
  status?: string;
  error?: string;
  interrupted?: boolean;
  stoppedEarly?: boolean;
  epochsRun?: number;
  bestEpoch?: number;
  testError?: number;
  valError?: number;
  testMse?: number;
  valMse?: number;
  wallS?: number;
  epochs?: Record<string, unknown>[];
  [k: string]: unknown;
}

export async function readSummary(file: string): Promise<TrainJson | undefined> {
  try {
    const v = JSON.parse(await readFile(file, "utf8")) as unknown;
    return typeof v === "object" && v !== null ? (v as TrainJson) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A summary of a finished run. Summaries that carry a run status are finished when it is
 * "completed"; older ones (no status) when the run was not interrupted and did all its epochs or
 * stopped early.
 */
export function isComplete(s: TrainJson | undefined, epochs: number): boolean {
  if (!s) return false;
  if (s.status !== undefined) return s.status === "completed";
  return s.interrupted === false && ((s.epochsRun ?? -1) >= epochs || s.stoppedEarly === true);
}

export type Outcome =
  | { status: "done"; summary: TrainJson }
  /** `permanent`: retrying cannot help (a bad setting, a diverged run): no further attempts. */
  | { status: "failed"; error: string; permanent: boolean }
  | { status: "interrupted" };

export interface RunningJob {
  child: ChildProcess;
  /** Resolves when the child has exited and its outcome is known. */
  done: Promise<Outcome>;
}

export interface RunOptions {
  /** Total epochs the job trains (to recognise a finished summary without a run status). */
  epochs: number;
  /** Appended as `--threads N` unless the job sets threads itself (0/undefined: not passed). */
  threads?: number;
  /** Attempt number for the log header (1-based). */
  attempt?: number;
  /** Who runs it, for the log header (e.g. "worker host:pid"). */
  runner?: string;
}

const here = fileURLToPath(import.meta.url);
/** The built child entry (dist/sweep/child.js), also when this module runs from src/ under tsx. */
const CHILD = here.endsWith(".ts") ? path.resolve(path.dirname(here), "../../dist/sweep/child.js") : path.join(path.dirname(here), "child.js");

/** Errors the library raises for settings it rejects: the same attempt would fail again. */
const PERMANENT = /^(dendritic: (ValueError|FormatError|ShapeError|SpecError)\b|error: )/;

/** Starts a job. The caller may signal `child` (SIGINT: save a checkpoint and stop). */
export async function startJob(job: { id: string; args: string[]; config: Record<string, unknown> }, outDir: string, opts: RunOptions): Promise<RunningJob> {
  const p = jobPaths(outDir, job.id);
  await mkdir(p.dir, { recursive: true });
  const resume = existsSync(p.checkpoint);
  const args = [...job.args];
  if (opts.threads && job.config.threads === undefined) args.push("--threads", String(opts.threads));
  args.push("--save", p.checkpoint, "--json", p.summary, "--progress", "lines");
  if (resume) args.push("--load", p.checkpoint);
  const fd = openSync(p.log, "a");
  const logStart = statSync(p.log).size;
  const header = `--- ${new Date().toISOString()} attempt ${opts.attempt ?? 1} by ${opts.runner ?? `${hostname()}:${process.pid}`}${resume ? ", resuming from checkpoint.safetensors" : ""}\n--- dendritic train ${args.join(" ")}\n`;
  writeSync(fd, header);
  let child: ChildProcess;
  try {
    // detached: a Ctrl-C typed at the terminal reaches the sweep only, which forwards exactly one
    // SIGINT (two would make train quit without saving). The IPC channel ends the child with its parent.
    child = fork(CHILD, args, { stdio: ["ignore", fd, fd, "ipc"], detached: true, execArgv: [], env: { ...process.env, FORCE_COLOR: "0" } });
  } finally {
    closeSync(fd);
  }
  const started = Date.now();
  const done = new Promise<Outcome>((resolve) => {
    child.once("error", (e) => resolve({ status: "failed", error: `cannot start the job: ${e.message}`, permanent: false }));
    child.once("exit", (code, signal) => {
      void (async () => {
        // Only a summary this attempt wrote tells how it ended (one left by an earlier attempt does not).
        const fresh = (() => {
          try {
            return statSync(p.summary).mtimeMs >= started - 50;
          } catch {
            return false;
          }
        })();
        const summary = fresh ? await readSummary(p.summary) : undefined;
        if (code === 0 && isComplete(summary, opts.epochs)) return resolve({ status: "done", summary: summary! });
        if (summary?.status === "diverged") return resolve({ status: "failed", error: `diverged: ${summary.error ?? "non-finite values"}`, permanent: true });
        // 128 + SIGINT / SIGTERM / SIGHUP: stopped by a signal after saving a checkpoint.
        // Killed by one of those signals before train installed its handlers (still starting up):
        // also only interrupted; it resumes from whatever checkpoint it has.
        const stopSignal = signal === "SIGINT" || signal === "SIGTERM" || signal === "SIGHUP";
        if (summary?.status === "interrupted" || code === 130 || code === 143 || code === 129 || stopSignal) return resolve({ status: "interrupted" });
        const last = lastErrorLine(p.log, logStart);
        if (code === 0) return resolve({ status: "failed", error: `train exited without a finished summary in ${p.summary}`, permanent: false });
        const how = signal ? `killed by ${signal}` : `exit code ${code}`;
        const error = last?.replace(/^dendritic: /, "") ?? (summary?.status === "failed" ? summary.error : undefined) ?? how;
        resolve({ status: "failed", error, permanent: !!last && PERMANENT.test(last) });
      })();
    });
  });
  return { child, done };
}

/** The last error line ("dendritic: …" or commander's "error: …") the attempt wrote to its log. */
function lastErrorLine(log: string, from: number): string | undefined {
  try {
    const size = statSync(log).size;
    const start = Math.max(from, size - 8192);
    const buf = Buffer.alloc(size - start);
    const fd = openSync(log, "r");
    try {
      readSync(fd, buf, 0, buf.length, start);
    } finally {
      closeSync(fd);
    }
    const lines = buf.toString("utf8").split("\n").filter((l) => /^(dendritic: |error: )/.test(l));
    return lines.at(-1)?.trim();
  } catch {
    return undefined;
  }
}
