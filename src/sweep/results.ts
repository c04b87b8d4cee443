// The sweep's record (DIR/sweep.json) and its summary: per configuration, mean ± sd over seeds of
// the test error at the best-validation epoch, epochs run and wall time per job.
import { writeFileAtomic, writeJson } from "../node/files.js";
import { formatDuration } from "../cli/progress.js";
import type { SweepJob } from "./spec.js";
import type { TrainJson } from "./run.js";

export type JobStatus = "pending" | "queued" | "running" | "done" | "failed" | "interrupted";

export interface Metrics {
  /** At the best-validation epoch (classification). */
  testError?: number;
  valError?: number;
  /** At the best-validation epoch (regression). */
  testMse?: number;
  valMse?: number;
  bestEpoch?: number;
  epochsRun?: number;
  /** Wall time of the job's last attempt (a resumed job: of the part after the resume). */
  wallS?: number;
}

export interface JobRecord {
  id: string;
  group: string;
  label: string;
  origin: string;
  config: Record<string, unknown>;
  status: JobStatus;
  attempts: number;
  error?: string;
  metrics?: Metrics;
}

export interface GroupSummary {
  label: string;
  group: string;
  jobs: number;
  /** Finished jobs (the n of the statistics). */
  n: number;
  failed: number;
  metric: "testError" | "testMse";
  mean?: number;
  sd?: number;
  epochsMean?: number;
  wallSMean?: number;
}

export interface SweepRecord {
  version: 1;
  name?: string;
  spec: string;
  mode: "local" | "queue";
  workers?: number;
  queue?: { url: string; name: string };
  updated: string;
  /** Wall time of this invocation of `dendritic sweep`, seconds. */
  wallS?: number;
  jobs: JobRecord[];
  summary: GroupSummary[];
}

export function metricsOf(s: TrainJson): Metrics {
  const m: Metrics = {};
  for (const k of ["testError", "valError", "testMse", "valMse", "bestEpoch", "epochsRun", "wallS"] as const) {
    if (typeof s[k] === "number") m[k] = s[k] as number;
  }
  return m;
}

export function newRecords(jobs: SweepJob[], labels: Map<string, string>): JobRecord[] {
  return jobs.map((j) => ({
    id: j.id,
    group: j.group,
    label: labels.get(j.group) ?? j.group,
    origin: j.origin,
    config: j.config,
    status: "pending",
    attempts: 0,
  }));
}

function meanSd(xs: number[]): { mean?: number; sd?: number } {
  if (xs.length === 0) return {};
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length === 1) return { mean };
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, sd: Math.sqrt(v) };
}

/** Per configuration (in spec order): statistics over the finished jobs. sd is the sample sd (n − 1). */
export function summarise(jobs: JobRecord[]): GroupSummary[] {
  const order: string[] = [];
  const by = new Map<string, JobRecord[]>();
  for (const j of jobs) {
    if (!by.has(j.group)) {
      by.set(j.group, []);
      order.push(j.group);
    }
    by.get(j.group)!.push(j);
  }
  return order.map((g) => {
    const js = by.get(g)!;
    const done = js.filter((j) => j.status === "done" && j.metrics);
    const metric = done.some((j) => j.metrics!.testError === undefined && j.metrics!.testMse !== undefined) ? "testMse" : "testError";
    const vals = done.map((j) => j.metrics![metric]).filter((x): x is number => typeof x === "number");
    const { mean, sd } = meanSd(vals);
    const ep = meanSd(done.map((j) => j.metrics!.epochsRun).filter((x): x is number => typeof x === "number")).mean;
    const wall = meanSd(done.map((j) => j.metrics!.wallS).filter((x): x is number => typeof x === "number")).mean;
    return {
      label: js[0].label,
      group: g,
      jobs: js.length,
      n: vals.length,
      failed: js.filter((j) => j.status === "failed").length,
      metric,
      mean,
      sd,
      epochsMean: ep,
      wallSMean: wall,
    };
  });
}

function fmtMetric(g: GroupSummary): string {
  if (g.mean === undefined) return "–";
  const f = (x: number) => (g.metric === "testError" ? (100 * x).toFixed(2) : x.toPrecision(3));
  return `${f(g.mean)} ± ${g.sd === undefined ? "–" : f(g.sd)}${g.metric === "testError" ? " %" : ""}`;
}

/** The summary as a plain-text table (one row per configuration). */
export function summaryTable(rows: GroupSummary[]): string {
  const head = ["configuration", "n", rows.some((r) => r.metric === "testMse") ? "test MSE" : "test error", "epochs", "wall/job", "failed"];
  const body = rows.map((r) => [
    r.label,
    `${r.n}/${r.jobs}`,
    fmtMetric(r),
    r.epochsMean === undefined ? "–" : r.epochsMean.toFixed(1),
    r.wallSMean === undefined ? "–" : formatDuration(r.wallSMean),
    String(r.failed),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  return [line(head), ...body.map(line)].join("\n");
}

const csvCell = (v: unknown) => {
  const s = v === undefined || v === null ? "" : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** The summary as CSV: one row per configuration, raw numbers (error rates as fractions). */
export function summaryCsv(rows: GroupSummary[]): string {
  const head = ["configuration", "n", "jobs", "failed", "metric", "mean", "sd", "epochs_mean", "wall_s_mean"];
  const lines = [head.join(",")];
  for (const r of rows) lines.push([r.label, r.n, r.jobs, r.failed, r.metric, r.mean, r.sd, r.epochsMean, r.wallSMean].map(csvCell).join(","));
  return lines.join("\n") + "\n";
}

export async function writeSweepRecord(file: string, rec: SweepRecord): Promise<void> {
  rec.updated = new Date().toISOString();
  rec.summary = summarise(rec.jobs);
  await writeJson(file, rec);
}

export async function writeCsv(file: string, rows: GroupSummary[]): Promise<void> {
  await writeFileAtomic(file, summaryCsv(rows));
}
