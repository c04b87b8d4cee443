// Runs sweep jobs: `dendritic train` in a child process (src/sweep/slot.ts) whose checkpoint, JSON
// summary and log live in the job's directory. A child process keeps a crash, a divergence or an
// out-of-memory in one job from taking the sweep (or a queue worker) down, and makes signals and
// kills real; it is reused for the next job only after a job that finished normally.
import { fork, type ChildProcess } from "node:child_process";
import { appendFileSync, closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
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

/**
 * Threads per job when `workers` jobs run at once on `cores` cores: the most that keeps
 * workers × threads ≤ cores, and at least 1 (more workers than cores share them).
 */
export function threadsPerJob(cores: number, workers: number): number {
  return Math.max(1, Math.floor(cores / workers));
}

/** A job while it runs. */
export interface RunningJob {
  /** Signals the job's process (SIGINT: save a checkpoint and stop; SIGKILL: stop at once). */
  kill(signal: NodeJS.Signals): void;
  /** Process id of the job's process. */
  readonly pid: number | undefined;
  /**
   * Lets the job use `n` threads from its next mini-batch on (more than it was started with, when
   * other jobs have left cores idle). The job's log and summary (`threadsChanged`) record it.
   */
  setThreads(n: number): void;
  /** The threads last given to the job (its `--threads` until setThreads). */
  readonly threads: number;
  /** Resolves when the job has ended and its outcome is known. */
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
/** The built job process entry (dist/sweep/slot.js), also when this module runs from src/ under tsx. */
const SLOT = here.endsWith(".ts") ? path.resolve(path.dirname(here), "../../dist/sweep/slot.js") : path.join(path.dirname(here), "slot.js");

/** Errors the library raises for settings it rejects: the same attempt would fail again. */
const PERMANENT = /^(dendritic: (ValueError|FormatError|ShapeError|SpecError)\b|error: )/;

/** How a job's process ended its job: exit code or signal (`error`: it could not be started at all). */
type Ended = { code: number | null; signal: NodeJS.Signals | null; error?: string };

/**
 * A long-lived job process (src/sweep/slot.ts) that runs one job at a time. It is replaced after
 * any job that did not finish normally, so a crash, a kill or a stop signal never carries over.
 */
class Slot {
  readonly proc: ChildProcess;
  private ready: Promise<void>;
  /** The running job's log file (for output that bypasses the slot's redirection, e.g. V8's fatal errors). */
  private log?: string;
  private ended?: (e: Ended) => void;
  /** Whether the running job's "run" message has gone out, and threads asked for before it had. */
  private sent = false;
  private wantedThreads?: number;
  exited = false;

  constructor() {
    // detached: a Ctrl-C typed at the terminal reaches the sweep only, which forwards exactly one
    // SIGINT (two would make train quit without saving). The IPC channel ends the slot with its parent.
    this.proc = fork(SLOT, [], { stdio: ["ignore", "pipe", "pipe", "ipc"], detached: true, execArgv: [], env: { ...process.env, FORCE_COLOR: "0" } });
    const spill = (d: Buffer) => {
      if (this.log) appendFileSync(this.log, d);
    };
    this.proc.stdout!.on("data", spill);
    this.proc.stderr!.on("data", spill);
    this.ready = new Promise<void>((resolve, reject) => {
      this.proc.once("error", (e) => {
        reject(e);
        // A process that could not be started emits no exit event.
        setImmediate(() => this.end({ code: null, signal: null, error: e.message }));
      });
      const onMessage = (m: { type?: string }) => {
        if (m?.type === "ready") {
          this.proc.off("message", onMessage);
          resolve();
        }
      };
      this.proc.on("message", onMessage);
      this.proc.once("exit", (code, signal) => reject(new Error(`the job process exited while starting (${signal ?? `exit code ${code}`})`)));
    });
    this.ready.catch(() => undefined);
    this.proc.on("message", (m: { type?: string; code?: number }) => {
      if (m?.type === "done") this.end({ code: m.code ?? 1, signal: null });
    });
    this.proc.once("exit", (code, signal) => {
      this.exited = true;
      // Let the pipes drain into the log before the outcome is read.
      setImmediate(() => this.end({ code, signal }));
    });
    this.idle();
  }

  private end(e: Ended): void {
    const f = this.ended;
    this.ended = undefined;
    this.log = undefined;
    this.sent = false;
    this.wantedThreads = undefined;
    if (!this.exited) this.idle();
    f?.(e);
  }

  /** An idle slot does not keep its parent alive. */
  private idle(): void {
    this.proc.unref();
    (this.proc.channel as { unref?: () => void } | undefined)?.unref?.();
    for (const s of [this.proc.stdout, this.proc.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
  }
  private busy(): void {
    this.proc.ref();
    (this.proc.channel as { ref?: () => void } | undefined)?.ref?.();
    for (const s of [this.proc.stdout, this.proc.stderr]) (s as unknown as { ref?: () => void } | null)?.ref?.();
  }

  /** Runs one job; resolves with how it ended (the slot's exit, if it died). */
  async run(args: string[], log: string): Promise<Ended> {
    this.busy();
    const ended = new Promise<Ended>((r) => (this.ended = r));
    this.log = log;
    try {
      await this.ready;
    } catch {
      // It died while starting (e.g. a stop signal came first): the exit (or error) handler ends the job.
      return ended;
    }
    this.proc.send({ type: "run", args, log });
    this.sent = true;
    if (this.wantedThreads !== undefined) this.threads(this.wantedThreads);
    return ended;
  }

  /** Asks the running job to use `n` threads (sent once the job has been handed over). */
  threads(n: number): void {
    if (!this.ended || this.exited) return;
    if (!this.sent) {
      this.wantedThreads = n;
      return;
    }
    if (this.proc.connected) this.proc.send({ type: "threads", threads: n });
  }

  close(): void {
    if (this.exited) return;
    if (this.proc.connected) this.proc.disconnect();
    else this.proc.kill("SIGKILL");
  }
}

/**
 * The job processes of a sweep or a queue worker: up to one per job running at once, each reused
 * for the next job when its last one finished normally. close() ends them all.
 */
export class JobRunner {
  private idleSlots: Slot[] = [];
  private all = new Set<Slot>();

  /** Starts a job. The caller may signal it (SIGINT: save a checkpoint and stop). */
  async start(job: { id: string; args: string[]; config: Record<string, unknown> }, outDir: string, opts: RunOptions): Promise<RunningJob> {
    const p = jobPaths(outDir, job.id);
    await mkdir(p.dir, { recursive: true });
    const resume = existsSync(p.checkpoint);
    const args = [...job.args];
    if (opts.threads && job.config.threads === undefined) args.push("--threads", String(opts.threads));
    args.push("--save", p.checkpoint, "--json", p.summary, "--progress", "lines");
    if (resume) args.push("--load", p.checkpoint);
    const logStart = existsSync(p.log) ? statSync(p.log).size : 0;
    let slot = this.idleSlots.pop();
    while (slot?.exited) slot = this.idleSlots.pop();
    const reused = slot !== undefined;
    if (!slot) {
      slot = new Slot();
      this.all.add(slot);
    }
    const s = slot;
    const started = Date.now();
    const header =
      `--- ${new Date(started).toISOString()} attempt ${opts.attempt ?? 1} by ${opts.runner ?? `${hostname()}:${process.pid}`}, ` +
      `${reused ? "job process" : "new job process"} ${s.proc.pid ?? "?"}${resume ? ", resuming from checkpoint.safetensors" : ""}\n--- dendritic train ${args.join(" ")}\n`;
    appendFileSync(p.log, header);
    const done = s.run(args, p.log).then(async ({ code, signal, error }): Promise<Outcome> => {
      // Only a normal finish keeps the process for the next job.
      if (code === 0 && !s.exited) this.idleSlots.push(s);
      else {
        s.close();
        this.all.delete(s);
      }
      const o: Outcome =
        error !== undefined
          ? { status: "failed", error: `cannot start the job: ${error}`, permanent: false }
          : await outcome(code, signal, p, opts.epochs, started, logStart);
      // The attempt's last line: when it ended, as the sweep saw it (the header has its start).
      const how = signal ? `killed by ${signal}` : code === null ? "not started" : `exit code ${code}`;
      try {
        appendFileSync(p.log, `--- ${new Date().toISOString()} ${o.status} (${how}) after ${((Date.now() - started) / 1000).toFixed(2)} s\n`);
      } catch {
        // The log is for people; the outcome stands without its last line.
      }
      return o;
    });
    let threads = opts.threads && job.config.threads === undefined ? opts.threads : typeof job.config.threads === "number" ? job.config.threads : 1;
    return {
      kill: (sig) => (s.exited ? undefined : s.proc.kill(sig)),
      pid: s.proc.pid,
      done,
      setThreads: (n) => {
        threads = n;
        s.threads(n);
      },
      get threads() {
        return threads;
      },
    };
  }

  /** Ends every job process (idle ones exit; a running job's process exits as if its parent died). */
  close(): void {
    for (const s of this.all) s.close();
    this.all.clear();
    this.idleSlots = [];
  }
}

async function outcome(code: number | null, signal: NodeJS.Signals | null, p: JobPaths, epochs: number, started: number, logStart: number): Promise<Outcome> {
  // Only a summary this attempt wrote tells how it ended (one left by an earlier attempt does not).
  const fresh = (() => {
    try {
      return statSync(p.summary).mtimeMs >= started - 50;
    } catch {
      return false;
    }
  })();
  const summary = fresh ? await readSummary(p.summary) : undefined;
  if (code === 0 && isComplete(summary, epochs)) return { status: "done", summary: summary! };
  if (summary?.status === "diverged") return { status: "failed", error: `diverged: ${summary.error ?? "non-finite values"}`, permanent: true };
  // 128 + SIGINT / SIGTERM / SIGHUP: stopped by a signal after saving a checkpoint.
  // Killed by one of those signals before train installed its handlers (still starting up):
  // also only interrupted; it resumes from whatever checkpoint it has.
  const stopSignal = signal === "SIGINT" || signal === "SIGTERM" || signal === "SIGHUP";
  if (summary?.status === "interrupted" || code === 130 || code === 143 || code === 129 || stopSignal) return { status: "interrupted" };
  const last = lastErrorLine(p.log, logStart);
  if (code === 0) return { status: "failed", error: `train exited without a finished summary in ${p.summary}`, permanent: false };
  const how = signal ? `killed by ${signal}` : `exit code ${code}`;
  const error = last?.replace(/^dendritic: /, "") ?? (summary?.status === "failed" ? summary.error : undefined) ?? how;
  return { status: "failed", error, permanent: !!last && PERMANENT.test(last) };
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
    const lines = buf
      .toString("utf8")
      .split("\n")
      .filter((l) => /^(dendritic: |error: )/.test(l));
    return lines.at(-1)?.trim();
  } catch {
    return undefined;
  }
}
