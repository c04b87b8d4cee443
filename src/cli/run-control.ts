// Run control for `dendritic train`: nothing of a run is lost however it ends.
// - `--save F` is written at epoch ends (every N epochs, or at the first mini-batch boundary after
//   N minutes), and at the end of the run;
// - `--save-best B` is written as soon as an epoch sets a new best validation metric;
// - the `--json` summary is rewritten after every epoch (status "running") and finalised with how
//   the run ended ("completed", "interrupted", "diverged", "failed");
// - SIGINT, SIGTERM and SIGHUP stop after the current mini-batch, save, finalise and exit with
//   128 + the signal number; a second signal exits at once;
// - a diverged run (NonFiniteError) keeps the last good checkpoint and exits with code 3.
// Every write is atomic (src/node/files.ts) and synchronous: a checkpoint is on disk before the
// next mini-batch starts (a kill -9 at any moment leaves the last one whole).
import { constants as osConstants } from "node:os";
import { DendriticError, NonFiniteError, OutputError, ValueError } from "../core/errors.js";
import { writeFileAtomicSync, writeOutput, writeOutputSync } from "../node/files.js";
import { encodeCheckpoint } from "../train/checkpoint.js";
import type { TrainableModel } from "../train/model.js";
import type { EpochRecord, Progress, Trainer, TrainSummary } from "../train/trainer.js";

/** How a run ended, as recorded in the `--json` summary's `status` field. */
export type RunStatus = "running" | "completed" | "interrupted" | "diverged" | "failed";

/** Exit codes of `dendritic train` (documented in its help and in docs/reliability.md). */
export const EXIT_CODES = {
  completed: 0,
  /** Bad arguments or input files, an output that cannot be written, or an unexpected error. */
  error: 1,
  /** Training produced a non-finite value (NonFiniteError); the last good checkpoint is kept. */
  diverged: 3,
} as const;

/** The signals a run handles like Ctrl-C. */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** 128 + signal number, the shell's convention (SIGHUP 129, SIGINT 130, SIGTERM 143). */
export function signalExitCode(sig: StopSignal): number {
  return 128 + osConstants.signals[sig];
}

/** `--checkpoint-every`: every N epochs (0: only at the end of the run), or every N minutes. */
export type CheckpointEvery = { epochs: number } | { minutes: number };

/** Parses `N` (epochs, 0 = only at the end) or `Nm` (minutes, e.g. `10m`, `0.5m`). */
export function parseCheckpointEvery(text: string): CheckpointEvery {
  const t = text.trim();
  if (/^\d+$/.test(t)) return { epochs: Number(t) };
  const m = /^(\d+(?:\.\d+)?)m$/.exec(t);
  if (m && Number(m[1]) > 0) return { minutes: Number(m[1]) };
  throw new ValueError(`expected a number of epochs (e.g. 1, 5; 0 = only at the end) or of minutes (e.g. 10m), got '${text}'`);
}

export const CHECKPOINT_EVERY_HELP =
  "when --save is given, write the checkpoint every N epochs (default 1; 0: only at the end) or every N minutes (e.g. 10m, at the next mini-batch)";

export const EXIT_HELP = `
Outputs during a run:
  --save F is written atomically at epoch ends (see --checkpoint-every) and when the run ends;
  --save-best B when an epoch sets a new best validation metric; --json J after every epoch
  with "status": "running", and at the end with "status" one of "completed", "interrupted"
  (also "signal"), "diverged" or "failed" (also "error"). Continue any of these runs with the
  same flags plus --load F: the result is bit-identical to an uninterrupted run.

Exit codes:
  0        completed (all epochs, or stopped early by --patience)
  1        error: bad arguments or input files, an output path that cannot be written (checked
           before training; a late write failure saves to a fallback file named in the error)
  3        diverged: a non-finite value appeared; F keeps the last good checkpoint
  129/130/143  interrupted by SIGHUP / SIGINT (Ctrl-C) / SIGTERM after saving (128 + signal number);
           a second signal exits at once without saving
`;

interface Outputs {
  save?: string;
  saveBest?: string;
  json?: string;
}

type Role = "best" | "save" | "json";
const ORDER: Role[] = ["best", "save", "json"];
interface WriteJob {
  file: string;
  /** Bytes captured when queued, or text produced when written (the JSON summary). */
  data: Uint8Array | (() => string);
  /** What a written checkpoint holds (epoch, batch), recorded once the write succeeded. */
  holds?: { epoch: number; batch: number };
}

export interface RunControlOptions extends Outputs {
  model: TrainableModel;
  trainer: Trainer;
  every: CheckpointEvery;
  /** Free-form checkpoint metadata (data set, encoding…). */
  extra: Record<string, string>;
  /** Fields of the JSON summary besides the trainer's (model config, impl, batch size…). */
  describe: () => Record<string, unknown>;
  /** Called on the first stop signal (e.g. to remove a progress bar before printing). */
  onStopSignal?: (sig: StopSignal) => void;
  /** Warnings (write failures that training survives); default stderr. */
  warn?: (line: string) => void;
  /**
   * Classification: the training error of always answering the most frequent class. An epoch
   * after the first whose training error is statistically indistinguishable from it gets a warning.
   */
  chanceError?: number;
}

/** The final `--json` document: the trainer's summary plus how the run ended. */
export type RunSummary = TrainSummary & { status: RunStatus; signal?: StopSignal; error?: string; warnings?: string[] } & Record<string, unknown>;

/**
 * The training error of the best constant answer (the most frequent label among the first n).
 * Labels outside [0, classes) are ignored.
 */
export function chanceError(labels: ArrayLike<number>, n: number, classes: number): number {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < n; i++) if (labels[i] >= 0 && labels[i] < classes) counts[labels[i]]++;
  return n > 0 ? 1 - Math.max(...counts) / n : 0;
}

export class RunControl {
  private readonly o: RunControlOptions;
  /**
   * Writes not yet done (see queue()), at most one per role. A newer epoch replaces what is still
   * waiting; they are written best, save, json, so a --save file never holds a later epoch than
   * the --save-best written for it (a resume from it replays and rewrites any later best).
   */
  private pending = new Map<Role, WriteJob>();
  private nextWriteAt = 0;
  private lastSaveAt = Date.now();
  /** (epoch, batch) of the last --save queued and of the last one written. */
  private queuedSave?: { epoch: number; batch: number };
  private written?: { epoch: number; batch: number };
  private status: RunStatus = "running";
  private readonly warnings: string[] = [];
  /** Set by finish() when an output had to be written to a fallback file (or could not be written). */
  outputError?: OutputError;
  private signal?: StopSignal;
  private error?: string;
  private handlers = new Map<StopSignal, () => void>();
  private readonly onEpoch = (e: Event) => this.epochEnded((e as CustomEvent<EpochRecord>).detail);
  private readonly onProgress = (e: Event) => this.progressed((e as CustomEvent<Progress>).detail);
  private readonly warn: (line: string) => void;

  constructor(options: RunControlOptions) {
    this.o = options;
    this.warn = options.warn ?? ((l) => process.stderr.write(l + "\n"));
    options.trainer.addEventListener("epoch", this.onEpoch);
    options.trainer.addEventListener("progress", this.onProgress);
  }

  /** The signal that stopped the run, if any. */
  get stoppedBy(): StopSignal | undefined {
    return this.signal;
  }

  /** Handles SIGINT, SIGTERM and SIGHUP like Ctrl-C until finish(). */
  installSignalHandlers(): void {
    for (const sig of STOP_SIGNALS) {
      const h = () => {
        if (this.signal) process.exit(signalExitCode(sig));
        this.signal = sig;
        if (sig === "SIGHUP") {
          // The terminal is gone: further writes to it fail (EIO/EPIPE); the run still saves.
          for (const s of [process.stdout, process.stderr]) s.on("error", () => undefined);
        }
        this.o.onStopSignal?.(sig);
        this.safeWarn(
          `\n${sig === "SIGINT" ? "interrupted" : `${sig} received`}: stopping after this mini-batch (${sig === "SIGINT" ? "Ctrl-C again" : "send it again"} to quit without saving)`,
        );
        this.o.trainer.stop();
      };
      this.handlers.set(sig, h);
      process.on(sig, h);
    }
  }

  private safeWarn(line: string): void {
    try {
      this.warn(line);
    } catch {
      /* the terminal may be gone (SIGHUP) */
    }
  }

  private epochEnded(rec: EpochRecord): void {
    const t = this.o.trainer;
    const state = t.state();
    this.checkChance(rec, state.monitor.n);
    const jobs = new Map<Role, WriteJob>();
    if (this.o.saveBest && state.bestEpoch === rec.epoch) {
      jobs.set("best", { file: this.o.saveBest, data: encodeCheckpoint(this.o.model, undefined, { ...this.o.extra, best_epoch: String(rec.epoch) }) });
    }
    if (this.o.save && this.saveDue(rec.epoch)) jobs.set("save", this.saveJob(this.o.save));
    if (this.o.json) jobs.set("json", this.jsonJob(this.o.json));
    this.queue(jobs);
  }

  /**
   * Warns (once) when an epoch after the first trains at chance level: its running training error
   * (measured on n examples) is within three binomial standard deviations of the error of always
   * answering the most frequent class — the usual sign of a learning rate far too high or too low.
   */
  private checkChance(rec: EpochRecord, n: number): void {
    const c = this.o.chanceError;
    if (c === undefined || c <= 0 || rec.epoch < 2 || rec.trainError === undefined || n <= 0 || this.warnings.length) return;
    if (rec.trainError < c - 3 * Math.sqrt((c * (1 - c)) / n)) return;
    const w = `epoch ${rec.epoch}: the training error ${(100 * rec.trainError).toFixed(1)}% is at chance level (${(100 * c).toFixed(1)}%, always answering the most frequent class); the learning rate may be far too high or too low`;
    this.warnings.push(w);
    this.safeWarn(`warning: ${w}`);
  }

  private progressed(p: Progress): void {
    // Timed checkpoints between epoch ends; the last batch of an epoch is saved at its end.
    const every = this.o.every;
    if (!this.o.save || !("minutes" in every) || p.batch >= p.batches) return;
    if (Date.now() - this.lastSaveAt < every.minutes * 60_000) return;
    this.queue(new Map([["save", this.saveJob(this.o.save)]]));
  }

  private saveDue(epoch: number): boolean {
    const every = this.o.every;
    if ("epochs" in every) return every.epochs > 0 && epoch % every.epochs === 0;
    return Date.now() - this.lastSaveAt >= every.minutes * 60_000;
  }

  private saveJob(file: string): WriteJob {
    const state = this.o.trainer.state();
    this.lastSaveAt = Date.now();
    this.queuedSave = { epoch: state.epoch, batch: state.batch };
    return { file, data: encodeCheckpoint(this.o.model, state, this.o.extra), holds: { epoch: state.epoch, batch: state.batch } };
  }

  private jsonJob(file: string): WriteJob {
    const summary = this.summary();
    return { file, data: () => JSON.stringify({ ...summary, checkpoint: this.checkpointInfo() }, null, 2) + "\n" };
  }

  private checkpointInfo(): { file: string; epoch: number; batch: number } | undefined {
    return this.o.save && this.written ? { file: this.o.save, ...this.written } : undefined;
  }

  /** The summary as of now, with the run's status. */
  summary(): RunSummary {
    const s = this.o.trainer.snapshot(this.status === "interrupted");
    const out: RunSummary = { status: this.status, ...s, ...this.o.describe() };
    if (this.signal && this.status === "interrupted") out.signal = this.signal;
    if (this.error !== undefined) out.error = this.error;
    if (this.warnings.length) out.warnings = [...this.warnings];
    return out;
  }

  /**
   * Merges jobs into the pending writes and writes them now unless that would cost more than
   * about a tenth of the run: after a write of d ms, the next one waits 9·d ms (epochs shorter
   * than that are checkpointed less often; the end of the run always writes).
   */
  private queue(jobs: Map<Role, WriteJob>, force = false, final = false): OutputError[] {
    const merged = new Map<Role, WriteJob>();
    for (const r of ORDER) {
      const j = jobs.get(r) ?? this.pending.get(r);
      if (j) merged.set(r, j);
    }
    this.pending = merged;
    const failed: OutputError[] = [];
    if (!force && performance.now() < this.nextWriteAt) return failed;
    const t0 = performance.now();
    for (const job of this.pending.values()) {
      const data = typeof job.data === "function" ? job.data() : job.data;
      try {
        if (final) writeOutputSync(job.file, data, job.holds ? "checkpoint" : "best checkpoint");
        else writeFileAtomicSync(job.file, data);
        if (job.holds) this.written = job.holds;
      } catch (e) {
        if (e instanceof OutputError) failed.push(e);
        else this.safeWarn(`warning: could not write ${job.file} (${describeError(e)}); training continues and retries at the next checkpoint`);
      }
    }
    this.pending = new Map();
    const t1 = performance.now();
    this.nextWriteAt = t1 + 9 * (t1 - t0);
    return failed;
  }

  /**
   * Ends the run: on completion or interruption writes the final --save (unless it already holds
   * this exact state); on divergence or failure writes no checkpoint (the files keep the last good
   * state); finalises the --json summary; removes the signal handlers. Returns the final summary.
   * A final write that fails goes to a fallback file instead, reported in `outputError`.
   */
  async finish(outcome: { error?: unknown }): Promise<RunSummary> {
    const e = outcome.error;
    if (e === undefined) this.status = this.signal && this.wasStopped() ? "interrupted" : "completed";
    else {
      this.status = e instanceof NonFiniteError ? "diverged" : "failed";
      this.error = e instanceof DendriticError ? `${e.name}: ${e.message}` : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
    const jobs = new Map<Role, WriteJob>();
    if (this.o.save && (this.status === "completed" || this.status === "interrupted")) {
      const st = this.o.trainer.state();
      const q = this.queuedSave;
      if (!q || q.epoch !== st.epoch || q.batch !== st.batch) jobs.set("save", this.saveJob(this.o.save));
    }
    this.pending.delete("json");
    const failed = this.queue(jobs, true, true);
    // The final summary is written after the checkpoints so that it names the one on disk.
    let final: RunSummary = this.summary();
    if (this.o.json) {
      final = { ...final, checkpoint: this.checkpointInfo() };
      try {
        await writeOutput(this.o.json, JSON.stringify(final, null, 2) + "\n", "summary");
      } catch (e) {
        if (!(e instanceof OutputError)) throw e;
        failed.push(e);
      }
    }
    this.dispose();
    // Every output was written somewhere; the error says where.
    if (failed.length) this.outputError = new OutputError(failed.map((e) => e.message).join("; "), failed[0].savedTo);
    return final;
  }

  private wasStopped(): boolean {
    const st = this.o.trainer.state();
    const done = st.epoch >= this.o.trainer.options.epochs || st.stoppedEarly;
    return !done;
  }

  /** The checkpoint on disk written by this run (epoch, batch), if any. */
  get lastWritten(): { epoch: number; batch: number } | undefined {
    return this.written;
  }

  dispose(): void {
    for (const [sig, h] of this.handlers) process.off(sig, h);
    this.handlers.clear();
    this.o.trainer.removeEventListener("epoch", this.onEpoch);
    this.o.trainer.removeEventListener("progress", this.onProgress);
  }
}

function describeError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code ? `${code}: ${(e as Error).message.split("\n")[0]}` : e instanceof Error ? e.message.split("\n")[0] : String(e);
}
