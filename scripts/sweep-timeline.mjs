// Where a sweep's wall time went, from its job logs (docs/sweeps.md, "Measured"):
//   node scripts/sweep-timeline.mjs DIR
// Per job, in the order they started: the job process that ran it (new or reused), when the sweep
// handed it over and when it saw it end (the first and last lines of the attempt in DIR/<id>/log.txt,
// in seconds from the first job's start), the job's training time (the epochs' trainSeconds), the
// rest of `train`'s own time (set-up, data, evaluation, checkpoints: wallS − training) and what the
// sweep and the job process added around `train` (hand-over to end, less wallS). Then per job
// process its idle time between jobs, and the spread of the processes' last ends (the tail). A job
// the sweep gave more threads while it ran (the cores of idle workers) says when.
// Reads the last attempt of each job; jobs without a finished summary are listed as such.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const dir = process.argv[2];
if (!dir || !existsSync(path.join(dir, "sweep.json"))) {
  console.error("usage: node scripts/sweep-timeline.mjs DIR (a sweep directory with sweep.json)");
  process.exit(1);
}
const jobs = [];
for (const id of readdirSync(dir)) {
  const log = path.join(dir, id, "log.txt");
  if (!statSync(path.join(dir, id)).isDirectory() || !existsSync(log)) continue;
  const text = readFileSync(log, "utf8");
  const heads = [...text.matchAll(/^--- (\S+Z) attempt \d+ by [^,\n]*, (new job process|job process) (\d+)/gm)];
  const ends = [...text.matchAll(/^--- (\S+Z) (done|failed|interrupted) \(/gm)];
  if (heads.length === 0 || ends.length === 0) continue;
  const h = heads.at(-1);
  const e = ends.at(-1);
  let s;
  try {
    s = JSON.parse(readFileSync(path.join(dir, id, "summary.json"), "utf8"));
  } catch {
    s = undefined;
  }
  const train = s?.epochs?.reduce((a, x) => a + (x.trainSeconds ?? 0), 0);
  // Threads the sweep gave the job while it ran (cores that idle workers left).
  const threads = (s?.threadsChanged ?? []).map((c) => `threads ${c.from} → ${c.to} at epoch ${c.epoch}`).join(", ");
  jobs.push({
    id,
    fresh: h[2] === "new job process",
    pid: h[3],
    start: Date.parse(h[1]),
    end: Date.parse(e[1]),
    status: e[2],
    wallS: s?.wallS,
    train,
    threads,
  });
}
if (jobs.length === 0) {
  console.error(`${dir}: no job log with start and end lines`);
  process.exit(1);
}
jobs.sort((a, b) => a.start - b.start);
const t0 = jobs[0].start;
const sec = (ms) => (ms / 1000).toFixed(2).padStart(7);
const num = (x) => (x === undefined ? "      –" : x.toFixed(2).padStart(7));
const w = Math.max(...jobs.map((j) => j.id.length));
console.log(`${"job".padEnd(w)}  process        start      end    train  in train  around`);
for (const j of jobs) {
  const around = j.wallS === undefined ? undefined : (j.end - j.start) / 1000 - j.wallS;
  const rest = j.wallS === undefined || j.train === undefined ? undefined : j.wallS - j.train;
  console.log(
    `${j.id.padEnd(w)}  ${(j.fresh ? "new " : "").padStart(4)}${j.pid.padStart(8)}  ${sec(j.start - t0)}  ${sec(j.end - t0)}  ${num(j.train)}  ${num(rest)}  ${num(around)}${j.status === "done" ? "" : `  (${j.status})`}${j.threads ? `  ${j.threads}` : ""}`,
  );
}
const byPid = new Map();
for (const j of jobs) byPid.set(j.pid, [...(byPid.get(j.pid) ?? []), j]);
const lastEnds = [];
for (const [pid, js] of byPid) {
  let idle = 0;
  for (let i = 1; i < js.length; i++) idle += js[i].start - js[i - 1].end;
  lastEnds.push(js.at(-1).end);
  console.log(`job process ${pid}: ${js.length} job(s), idle between them ${(idle / 1000).toFixed(3)} s in all, last end ${sec(js.at(-1).end - t0).trim()} s`);
}
console.log(`tail: the job processes' last ends spread over ${((Math.max(...lastEnds) - Math.min(...lastEnds)) / 1000).toFixed(2)} s`);
const rec = JSON.parse(readFileSync(path.join(dir, "sweep.json"), "utf8"));
if (typeof rec.wallS === "number") {
  const ran = (Math.max(...jobs.map((j) => j.end)) - t0) / 1000;
  console.log(`sweep: ${rec.wallS.toFixed(2)} s in all (its own wall time), ${ran.toFixed(2)} s from the first job's start to the last job's end`);
}
