// Training progress on the terminal: a cli-progress bar (TTY) or plain periodic lines (logs, CI).
import cliProgress from "cli-progress";
import type { EpochRecord, Progress } from "../train/trainer.js";

export type ProgressMode = "auto" | "bar" | "lines" | "none";

const pct = (x: number | undefined, digits = 2) => (x === undefined ? "–" : `${(100 * x).toFixed(digits)}%`);
const num = (x: number | undefined) => (x === undefined ? "–" : x.toPrecision(4));

export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return "–";
  if (s < 9.95) return `${s.toFixed(1)}s`;
  const r = Math.round(s);
  if (r < 60) return `${r}s`;
  if (r < 3600) return `${Math.floor(r / 60)}m${String(r % 60).padStart(2, "0")}s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** One line per finished epoch (both modes). */
export function epochLine(r: EpochRecord, epochs: number, regression: boolean): string {
  const parts = [`epoch ${r.epoch}/${epochs}`];
  if (regression) parts.push(`train mse ${num(r.trainMse)}`, `val mse ${num(r.valMse)}`, `test mse ${num(r.testMse)}`);
  else parts.push(`train err ${pct(r.trainError)}`, `val err ${pct(r.valError)}`, `test err ${pct(r.testError)}`);
  for (const [name, o] of Object.entries(r.readouts ?? {})) parts.push(`${name} readout val/test err ${pct(o.valError)}/${pct(o.testError)}`);
  if (r.examplesPerS !== undefined && r.trainSeconds !== undefined) parts.push(`${Math.round(r.examplesPerS)} ex/s`, `${r.trainSeconds.toFixed(1)}s`);
  if (r.lrScale !== 1) parts.push(`lr×${r.lrScale.toPrecision(3)}`);
  return parts.join(" | ");
}

export class ProgressReporter {
  private bar?: cliProgress.SingleBar;
  private lastLine = 0;
  private readonly mode: "bar" | "lines" | "none";
  private readonly out: NodeJS.WriteStream;

  constructor(
    mode: ProgressMode,
    private readonly regression: boolean,
    out: NodeJS.WriteStream = process.stdout,
    private readonly lineEveryMs = 10000,
  ) {
    this.out = out;
    this.mode = mode === "auto" ? (out.isTTY ? "bar" : "lines") : mode;
    this.lastLine = Date.now();
  }

  /** ETA for the whole run (remaining epochs at this epoch's rate; evaluation time excluded). */
  private eta(p: Progress): number {
    if (p.examplesPerS <= 0) return NaN;
    const remaining = p.epochExamples - p.examples + (p.epochs - p.epoch) * p.epochExamples;
    return remaining / p.examplesPerS;
  }

  private running(p: Progress): string {
    return this.regression ? `mse ${num(p.runningMse)}` : `err ${pct(p.runningError, 1)}`;
  }

  progress(p: Progress): void {
    if (this.mode === "none") return;
    if (this.mode === "bar") {
      const payload = {
        epochs: `${p.epoch}/${p.epochs}`,
        rate: Math.round(p.examplesPerS),
        runEta: formatDuration(this.eta(p)),
        running: this.running(p),
      };
      if (!this.bar) {
        this.bar = new cliProgress.SingleBar(
          {
            format: "epoch {epochs} [{bar}] {percentage}% | {value}/{total} | {rate} ex/s | ETA {runEta} | {running}",
            barsize: 24,
            hideCursor: true,
            stream: this.out,
            fps: 8,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        this.bar.start(p.epochExamples, p.examples, payload);
      } else this.bar.update(p.examples, payload);
      return;
    }
    const t = Date.now();
    if (t - this.lastLine < this.lineEveryMs) return;
    this.lastLine = t;
    this.out.write(
      `epoch ${p.epoch}/${p.epochs} ${((100 * p.examples) / p.epochExamples).toFixed(0)}% ${p.examples}/${p.epochExamples} | ` +
        `${Math.round(p.examplesPerS)} ex/s | ETA ${formatDuration(this.eta(p))} | running ${this.running(p)}\n`,
    );
  }

  epoch(r: EpochRecord, epochs: number): void {
    this.stopBar();
    if (this.mode === "none") return;
    this.lastLine = Date.now();
    this.out.write(epochLine(r, epochs, this.regression) + "\n");
  }

  stopBar(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = undefined;
    }
  }
}
