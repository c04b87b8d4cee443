// `dendritic sweep` and `dendritic worker`: spec expansion and ids, local workers, resume after
// Ctrl-C, failures, and the BullMQ queue on a real redis-server (SIGKILLed worker, Redis restart).
// Jobs are short mlp runs on generated data (bars, yinyang) so the whole file stays near a minute.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expandSpec, jobId, parseSpecText, SpecError } from "../src/sweep/spec.ts";
import { summarise, type JobRecord } from "../src/sweep/results.ts";
import { threadsPerJob } from "../src/sweep/run.ts";
import { oversubscribed } from "../src/cli/sweep.ts";
import { freePort, RedisServer } from "./support/redis.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(root, "bin", "dendritic.js");
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 120_000 });
/** As cli, with extra environment variables. */
const cliEnv = (env: Record<string, string>, ...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 120_000, env: { ...process.env, ...env } });
/** As cli, without blocking (to run several at once). */
function cliAsync(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.once("exit", (status) => resolve({ status, stdout, stderr }));
  });
}

/** A CLI process whose output is collected while it runs. */
class Proc {
  readonly p: ChildProcess;
  out = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  constructor(args: string[], env?: Record<string, string>) {
    this.p = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    this.p.stdout!.on("data", (d) => (this.out += d));
    this.p.stderr!.on("data", (d) => (this.out += d));
    this.exited = new Promise((r) => this.p.once("exit", (code, signal) => r({ code, signal })));
  }
  get pid(): number {
    return this.p.pid!;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * A yinyang job (20 epochs) has logged epoch 3 or later and has at least three epochs to go. The
 * log lags the job a little, so a caller freezes the job processes (SIGSTOP), lets their last lines
 * in and asks again: a job mid-run then is certainly mid-run, however fast the machine.
 */
function midRun(dir: string, id: string): boolean {
  if (!unfinished(dir, id)) return false;
  const last = [...readFileSync(path.join(dir, id, "log.txt"), "utf8").matchAll(/^epoch (\d+)\/20 \|/gm)].at(-1);
  return last !== undefined && Number(last[1]) >= 3 && Number(last[1]) <= 17;
}

/** Alive and not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * A job's train summary without the fields that measure time, and without the thread count it ran
 * with (cores ÷ workers differs between a 1-worker and a 2-worker sweep, and a job that ends last
 * gets the cores idle workers leave; results are bit-identical for every thread count, so the
 * metrics must still agree).
 */
function metricsOnly(file: string): unknown {
  const s = JSON.parse(readFileSync(file, "utf8"));
  delete s.wallS;
  delete s.threads;
  delete s.threadsChanged;
  delete s.examplesPerS;
  delete s.checkpoint?.file; // the job's own directory
  for (const e of s.epochs ?? []) {
    delete e.trainSeconds;
    delete e.examplesPerS;
  }
  return s;
}

/** The job has started and has not finished (train rewrites its summary every epoch, with status "running"). */
function unfinished(dir: string, id: string): boolean {
  if (!existsSync(path.join(dir, id, "log.txt"))) return false;
  try {
    return JSON.parse(readFileSync(path.join(dir, id, "summary.json"), "utf8")).status !== "completed";
  } catch {
    return true;
  }
}

const jobDirs = (dir: string) =>
  readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
const attempts = (dir: string, id: string) => (readFileSync(path.join(dir, id, "log.txt"), "utf8").match(/^--- \S+ attempt /gm) ?? []).length;

let tmp: string;
const YY_BASE = { model: "mlp", dataset: "yinyang", epochs: 20, monitorEvery: 0 };
/** Six yinyang jobs of a few seconds each. */
const YY = { base: YY_BASE, grid: { rule: ["bp", "fa"] }, seeds: 3 };
let yyFile: string;
let yyRef: string; // the reference run: 2 local workers, uninterrupted

// ------------------------------------------------------------------------------------------------
const spec = suite("sweep: specs and ids");

spec("a grid × list × seeds expands in order into jobs with stable ids that depend on the settings only", () => {
  const s = expandSpec(
    {
      base: { model: "mlp", dataset: "bars", epochs: 2 },
      list: [{ lr: 0.1 }, { lr: 0.2, set: { momentum: 0.9 } }],
      grid: { rule: ["bp", "fa"] },
      seeds: [1, 2],
    },
    "s.json",
  );
  assert.is(s.jobs.length, 8);
  assert.equal(
    s.jobs.map((j) => [j.config.lr, j.config.rule, j.config.seed]),
    [
      [0.1, "bp", 1],
      [0.1, "bp", 2],
      [0.1, "fa", 1],
      [0.1, "fa", 2],
      [0.2, "bp", 1],
      [0.2, "bp", 2],
      [0.2, "fa", 1],
      [0.2, "fa", 2],
    ],
  );
  assert.equal(s.jobs[5].config, { dataset: "bars", epochs: 2, lr: 0.2, model: "mlp", rule: "bp", seed: 2, "set.momentum": 0.9 });
  assert.equal(s.jobs[5].args, ["--dataset", "bars", "--epochs", "2", "--lr", "0.2", "--model", "mlp", "--rule", "bp", "--seed", "2", "--set", "momentum=0.9"]);
  assert.match(s.jobs[0].id, /^mlp-bp-bars-s1-[0-9a-f]{8}$/);
  assert.is(new Set(s.jobs.map((j) => j.id)).size, 8);
  // Seeds of one configuration share a group; groups are labelled by what differs between them.
  assert.is(s.jobs[0].group, s.jobs[1].group);
  assert.is.not(s.jobs[0].group, s.jobs[2].group);
  assert.is(s.groupLabels.get(s.jobs[7].group), "lr=0.2 rule=fa set.momentum=0.9");
  assert.is(s.groupLabels.get(s.jobs[0].group), "lr=0.1 rule=bp set.momentum=(default)");
  // The same settings written differently (kebab-case, another key order, the grid as a list) give the same ids.
  const t = expandSpec({ list: [{ rule: "fa", "set.momentum": 0.9, lr: 0.2, seed: 2, epochs: 2, dataset: "bars", model: "mlp" }] }, "t.yaml");
  assert.is(t.jobs[0].id, s.jobs[7].id);
  assert.is(jobId(s.jobs[7].config), s.jobs[7].id);
  // Adding a seed keeps the other jobs' ids.
  const u = expandSpec(
    {
      base: { model: "mlp", dataset: "bars", epochs: 2 },
      list: [{ lr: 0.1 }, { lr: 0.2, set: { momentum: 0.9 } }],
      grid: { rule: ["bp", "fa"] },
      seeds: [1, 2, 3],
    },
    "s.json",
  );
  for (const j of s.jobs)
    assert.ok(
      u.jobs.some((k) => k.id === j.id),
      j.id,
    );
  // Kebab-case flags and architecture strings are normalised.
  const v = expandSpec({ base: { "data-seed": 3, arch: [9, 30, 3] }, seeds: 1 }, "v.json");
  assert.equal(v.jobs[0].args, ["--arch", "9-30-3", "--data-seed", "3", "--seed", "1"]);
});

spec("bad specs are SpecErrors naming the file and the field", () => {
  const bad: [unknown, RegExp][] = [
    [{ grid: { rule: ["bp"] }, bogus: 1 }, /s\.json: unknown key 'bogus'/],
    [{ base: { model: "mlp", learningRate: 0.1 }, seeds: 1 }, /s\.json: base: unknown key 'learningRate'; known: model, rule/],
    [{ grid: {} }, /grid is empty/],
    [{ grid: { rule: [] } }, /grid\.rule is an empty list/],
    [{ grid: { rule: "bp" } }, /grid\.rule must be a list of values/],
    [{ base: { model: "mlp" } }, /nothing to run/],
    [{ list: [{ seed: 1 }, { seed: 1 }] }, /list\[1\] and list\[0\] are the same job/],
    [{ list: [{ rule: "bp" }], grid: { rule: ["fa"] } }, /'rule' is in both list\[0\] and grid/],
    [{ grid: { seed: [1, 2] }, seeds: 2 }, /give seeds either as 'seeds' or as grid\.seed/],
    [{ seeds: 0 }, /'seeds' must be a count n ≥ 1/],
    [{ seeds: [1, 1] }, /lists a seed twice/],
    [{ list: [{ epochs: 2.5 }] }, /list\[0\]\.epochs: 'epochs' must be an integer, got 2\.5/],
    [{ list: [{ arch: "9-x-3" }] }, /'arch' must be layer sizes/],
    [{ list: [{ save: "x" }] }, /'save' is set by the sweep itself/],
    [[1, 2], /a sweep spec must be an object/],
  ];
  for (const [raw, re] of bad) {
    assert.throws(
      () => expandSpec(raw, "s.json"),
      (e: Error) => e instanceof SpecError && re.test(e.message) && !e.message.includes("\n"),
      JSON.stringify(raw),
    );
  }
});

spec("JSON and YAML specs parse to the same object; syntax errors name the file", async () => {
  const yaml = "base:\n  model: mlp\n  set: {momentum: 0.9}\ngrid:\n  rule: [bp, fa]\nseeds: [1, 2]\n";
  const json = '{"base": {"model": "mlp", "set": {"momentum": 0.9}}, "grid": {"rule": ["bp", "fa"]}, "seeds": [1, 2]}';
  assert.equal(await parseSpecText(yaml, "a.yml"), await parseSpecText(json, "a.json"));
  assert.equal(await parseSpecText(yaml, "a.spec"), JSON.parse(json)); // neither extension: JSON, else YAML
  await parseSpecText("{", "b.json").then(
    () => assert.unreachable(),
    (e: Error) => assert.ok(e instanceof SpecError && /^b\.json: not valid JSON/.test(e.message), e.message),
  );
  await parseSpecText("grid: {rule: [bp\n", "c.yaml").then(
    () => assert.unreachable(),
    (e: Error) => assert.ok(e instanceof SpecError && /^c\.yaml: not valid YAML/.test(e.message) && !e.message.includes("\n"), e.message),
  );
});

spec("the summary gives mean ± sample sd and n per configuration, over finished jobs only", () => {
  const rec = (group: string, status: JobRecord["status"], testError?: number): JobRecord => ({
    id: `${group}${testError}`,
    group,
    label: group,
    origin: "",
    config: {},
    status,
    attempts: 1,
    metrics: testError === undefined ? undefined : { testError, epochsRun: 4, wallS: 2 },
  });
  const rows = summarise([
    rec("a", "done", 0.1),
    rec("a", "done", 0.2),
    rec("a", "done", 0.3),
    rec("a", "failed"),
    rec("b", "done", 0.05),
    rec("b", "interrupted"),
  ]);
  assert.is(rows.length, 2);
  assert.is(rows[0].n, 3);
  assert.is(rows[0].jobs, 4);
  assert.is(rows[0].failed, 1);
  assert.ok(Math.abs(rows[0].mean! - 0.2) < 1e-15);
  assert.ok(Math.abs(rows[0].sd! - 0.1) < 1e-15, String(rows[0].sd)); // sqrt((0.01 + 0 + 0.01) / 2)
  assert.is(rows[1].n, 1);
  assert.is(rows[1].sd, undefined);
});

spec("threads per job: workers × threads ≤ cores (at least one thread); more is a warning", () => {
  const cases: [number, number, number][] = [
    // cores, workers, threads per job
    [2, 1, 2],
    [2, 2, 1],
    [2, 3, 1],
    [8, 3, 2],
    [16, 4, 4],
    [1, 1, 1],
  ];
  for (const [cores, workers, t] of cases) {
    assert.is(threadsPerJob(cores, workers), t, `${cores} cores, ${workers} workers`);
    if (workers <= cores) assert.ok(workers * threadsPerJob(cores, workers) <= cores);
    assert.is(oversubscribed(workers, threadsPerJob(cores, workers), cores, "workers"), undefined);
  }
  assert.match(oversubscribed(2, 2, 2, "workers")!, /2 workers × 2 threads per job = 4 threads on 2 cores/);
  assert.is(oversubscribed(4, 1, 2, "workers"), undefined); // one thread per job cannot be fewer
});

spec.before(() => {
  tmp = mkdtempSync(path.join(tmpdir(), "dendritic-sweep-"));
  yyFile = path.join(tmp, "yy.json");
  writeFileSync(yyFile, JSON.stringify(YY));
});

spec("bad specs, unreachable Redis and unwritable DIR: one-line error, exit 1, nothing written", async () => {
  const out = path.join(tmp, "never");
  const write = (name: string, text: string) => {
    const f = path.join(tmp, name);
    writeFileSync(f, text);
    return f;
  };
  const port = await freePort(); // nothing listens there
  const cases: [string[], RegExp][] = [
    [[write("unknown.yaml", "base: {model: mlp}\ngrid: {rule: [bp]}\nepoch: 3\n"), "--out", out], /unknown\.yaml: unknown key 'epoch'/],
    [[write("empty.json", JSON.stringify({ grid: {} })), "--out", out], /empty\.json: grid is empty/],
    [[write("dup.json", JSON.stringify({ list: [{ seed: 1 }, { seed: 1 }] })), "--out", out], /dup\.json: list\[1\] and list\[0\] are the same job/],
    [
      [write("badval.json", JSON.stringify({ base: { dataset: "bars" }, list: [{ epochs: -1 }] })), "--out", out],
      /badval\.json: list\[0\]: option '--epochs <n>' argument '-1' is invalid/,
    ],
    [[write("badmodel.json", JSON.stringify({ list: [{ model: "nope" }] })), "--out", out], /unknown model 'nope'/],
    [[write("syntax.yaml", "grid: {rule: [bp\n"), "--out", out], /syntax\.yaml: not valid YAML/],
    [[yyFile, "--out", path.join(yyFile, "sub")], /--out .*yy\.json\/sub: .*yy\.json is not a directory/],
    [[yyFile, "--out", out, "--queue", `redis://127.0.0.1:${port}`], new RegExp(`cannot reach Redis at redis://127\\.0\\.0\\.1:${port}`)],
    [[yyFile, "--out", out, "--queue", "http://x"], /expected a redis:\/\/ or rediss:\/\/ URL/],
    [[yyFile], /required option '--out <dir>' not specified/],
  ];
  const results = await Promise.all(cases.map(([args]) => cliAsync("sweep", ...args)));
  for (const [i, [args, re]] of cases.entries()) {
    const r = results[i];
    assert.is(r.status, 1, `${args.join(" ")}: exit 1\n${r.stdout}${r.stderr}`);
    const lines = r.stderr.trim().split("\n");
    assert.is(lines.length, 1, `${args.join(" ")}: one line\n${r.stderr}`);
    assert.match(lines[0], re, args.join(" "));
    assert.is(r.stdout, "", args.join(" "));
    assert.not.ok(existsSync(out), `${args.join(" ")}: nothing written`);
  }
});

// ------------------------------------------------------------------------------------------------
const local = suite("sweep: local workers");
local.before(() => {
  if (!tmp) {
    tmp = mkdtempSync(path.join(tmpdir(), "dendritic-sweep-"));
    yyFile = path.join(tmp, "yy.json");
    writeFileSync(yyFile, JSON.stringify(YY));
  }
});

local("2 local workers give bit-identical per-job summaries (timing aside) to running the jobs one by one; a YAML spec; CSV", () => {
  const file = path.join(tmp, "bars.yaml");
  writeFileSync(file, "name: bars\nbase:\n  model: mlp\n  dataset: bars\n  epochs: 3\ngrid:\n  rule: [bp, fa]\nseeds: 2\n");
  const one = path.join(tmp, "one");
  const two = path.join(tmp, "two");
  const csv = path.join(tmp, "two.csv");
  const r1 = cli("sweep", file, "--out", one, "--workers", "1");
  assert.is(r1.status, 0, r1.stdout + r1.stderr);
  const r2 = cli("sweep", file, "--out", two, "--workers", "2", "--csv", csv);
  assert.is(r2.status, 0, r2.stdout + r2.stderr);
  assert.match(r2.stdout, /4 jobs in 2 configuration\(s\); 2 worker\(s\)/);
  assert.match(r2.stdout, /rule=bp\s+2\/2\s+\d+\.\d\d ± \d+\.\d\d %\s+3\.0/);
  const ids = jobDirs(one);
  assert.is(ids.length, 4);
  assert.equal(jobDirs(two), ids);
  for (const id of ids) {
    assert.equal(metricsOnly(path.join(two, id, "summary.json")), metricsOnly(path.join(one, id, "summary.json")), id);
    assert.ok(existsSync(path.join(two, id, "checkpoint.safetensors")), `${id}: checkpoint`);
    assert.match(readFileSync(path.join(two, id, "log.txt"), "utf8"), /epoch 3\/3/);
  }
  const rec = JSON.parse(readFileSync(path.join(two, "sweep.json"), "utf8"));
  assert.is(rec.name, "bars");
  assert.equal(
    rec.jobs.map((j: JobRecord) => j.status),
    ["done", "done", "done", "done"],
  );
  assert.equal(
    rec.summary.map((g: { label: string; n: number }) => [g.label, g.n]),
    [
      ["rule=bp", 2],
      ["rule=fa", 2],
    ],
  );
  // Threads per job: cores ÷ workers, so that workers × threads ≤ cores.
  const cores = availableParallelism();
  for (const id of ids) {
    assert.match(readFileSync(path.join(one, id, "log.txt"), "utf8"), new RegExp(`--- dendritic train .* --threads ${threadsPerJob(cores, 1)} `), id);
    assert.match(readFileSync(path.join(two, id, "log.txt"), "utf8"), new RegExp(`--- dendritic train .* --threads ${threadsPerJob(cores, 2)} `), id);
  }
  assert.match(r2.stdout, new RegExp(`2 worker\\(s\\), ${threadsPerJob(cores, 2)} thread\\(s\\) per job`));
  // One worker ran the four jobs one after another in the same job process; the last of them
  // gives what a fresh `dendritic train` process gives for its settings.
  const lastId = (JSON.parse(readFileSync(path.join(one, "sweep.json"), "utf8")).jobs as JobRecord[]).at(-1)!.id;
  const last = readFileSync(path.join(one, lastId, "log.txt"), "utf8")
    .match(/^--- dendritic train (.*)$/m)![1]
    .split(" ");
  const direct = path.join(tmp, "direct.json");
  const settings = last.slice(0, last.indexOf("--save"));
  const d = cli("train", ...settings, "--json", direct, "--progress", "none");
  assert.is(d.status, 0, d.stderr);
  const fresh = metricsOnly(direct) as Record<string, unknown>;
  const inSlot = metricsOnly(path.join(one, lastId, "summary.json")) as Record<string, unknown>;
  delete inSlot.checkpoint; // the direct run has no --save
  delete fresh.checkpoint;
  assert.equal(inSlot, fresh);
  const rows = readFileSync(csv, "utf8").trim().split("\n");
  assert.is(rows[0], "configuration,n,jobs,failed,metric,mean,sd,epochs_mean,wall_s_mean");
  assert.match(rows[1], /^rule=bp,2,2,0,testError,[0-9.e-]+,[0-9.e-]+,3,/);
  // The sweep's learning curves.
  const svg = path.join(tmp, "bars.svg");
  const p = cli("plot", two, "--svg", svg);
  assert.is(p.status, 0, p.stderr);
  assert.match(readFileSync(svg, "utf8"), /rule=fa/);
  // Re-running skips every finished job.
  const r3 = cli("sweep", file, "--out", two, "--workers", "2");
  assert.is(r3.status, 0);
  assert.match(r3.stdout, /4 already done/);
  for (const id of ids) assert.is(attempts(two, id), 1, id);
});

local("reference run: six yinyang jobs on 2 workers", () => {
  yyRef = path.join(tmp, "yy-ref");
  const r = cli("sweep", yyFile, "--out", yyRef, "--workers", "2");
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.is(jobDirs(yyRef).length, 6);
});

local("Ctrl-C stops every job with a checkpoint; the same command skips finished jobs and resumes the interrupted one bit-identically", async () => {
  const dir = path.join(tmp, "yy-int");
  const ids = jobDirs(yyRef);
  const s = new Proc(["sweep", yyFile, "--out", dir, "--workers", "1"]);
  await until("the sweep to start", () => /6 jobs in 2 configuration/.test(s.out));
  // A second sweep in the same directory is refused while this one runs.
  const twice = await cliAsync("sweep", yyFile, "--out", dir);
  assert.is(twice.status, 1);
  assert.match(twice.stderr, new RegExp(`another sweep \\(\\S+ pid ${s.pid}\\) is running in this directory`));
  // Wait until a job is done and another has trained a few epochs with several left, then freeze
  // the job processes (SIGSTOP) so that none can finish while the sweep is told to stop: the
  // interrupted job is the one seen mid-run, however fast the machine.
  // The log reaches the file through the sweep, so a job seen mid-run may already have finished
  // when it is frozen: look again once the frozen processes' last lines are in, else go on and retry.
  let frozen: number[] = [];
  for (;;) {
    await until("one finished job and another mid-run", () => {
      if (!/\[1\/6\]/.test(s.out)) return false;
      return ids.some((id) => midRun(dir, id));
    });
    frozen = childrenOf(s.pid);
    for (const pid of frozen) process.kill(pid, "SIGSTOP");
    await sleep(300);
    if (ids.some((id) => midRun(dir, id))) break;
    for (const pid of frozen) process.kill(pid, "SIGCONT");
  }
  s.p.kill("SIGINT");
  // The sweep has passed the stop on to its jobs once it says so; then they may go on.
  await until("the sweep to pass the stop on", () => /SIGINT: stopping 1 running job/.test(s.out));
  for (const pid of frozen) process.kill(pid, "SIGCONT");
  const e = await s.exited;
  assert.is(e.code, 130, s.out);
  assert.not.ok(existsSync(path.join(dir, "sweep.lock")), "the lock is released");
  assert.match(s.out, /SIGINT: stopping 1 running job/);
  assert.match(s.out, /run the same command again to continue/);
  const rec = JSON.parse(readFileSync(path.join(dir, "sweep.json"), "utf8"));
  const statuses: string[] = rec.jobs.map((j: JobRecord) => j.status);
  const finished = rec.jobs.filter((j: JobRecord) => j.status === "done").map((j: JobRecord) => j.id) as string[];
  assert.ok(finished.length >= 1 && finished.length < 6, statuses.join());
  assert.is(statuses.filter((x) => x === "interrupted").length, 1, statuses.join());
  assert.is(statuses.filter((x) => x === "pending").length, 5 - finished.length, statuses.join());
  const interrupted = rec.jobs.find((j: JobRecord) => j.status === "interrupted").id as string;
  assert.ok(existsSync(path.join(dir, interrupted, "checkpoint.safetensors")), "the interrupted job saved a checkpoint");

  const r = cli("sweep", yyFile, "--out", dir, "--workers", "2");
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`${finished.length} already done`));
  for (const id of finished) assert.is(attempts(dir, id), 1, "a finished job is not run again");
  assert.is(attempts(dir, interrupted), 2);
  assert.match(readFileSync(path.join(dir, interrupted, "log.txt"), "utf8"), /resuming from checkpoint[^]*resuming after epoch [1-9]/);
  for (const id of ids) assert.equal(metricsOnly(path.join(dir, id, "summary.json")), metricsOnly(path.join(yyRef, id, "summary.json")), id);
});

local("an invalid job fails fast, is not retried, and its error is recorded while the others finish", () => {
  const file = path.join(tmp, "invalid.json");
  writeFileSync(file, JSON.stringify({ base: { model: "mlp", dataset: "bars", epochs: 2 }, list: [{ rule: "bp" }, { rule: "nosuchrule" }, { rule: "fa" }] }));
  const dir = path.join(tmp, "invalid");
  const r = cli("sweep", file, "--out", dir, "--workers", "2", "--retries", "2");
  assert.is(r.status, 1, r.stdout + r.stderr);
  const rec = JSON.parse(readFileSync(path.join(dir, "sweep.json"), "utf8"));
  assert.equal(
    rec.jobs.map((j: JobRecord) => j.status),
    ["done", "failed", "done"],
  );
  const bad = rec.jobs[1] as JobRecord;
  assert.is(bad.attempts, 1);
  assert.match(bad.error!, /^ValueError: .*nosuchrule/);
  assert.match(r.stdout, /failed: mlp-nosuchrule-bars-[0-9a-f]{8} \(rule=nosuchrule\): ValueError: /);
  const st = cli("sweep", "status", dir);
  assert.is(st.status, 0, st.stderr);
  assert.match(st.stdout, /rule=nosuchrule\s+0\s+0\s+0\s+0\s+0\s+1/);
});

// ------------------------------------------------------------------------------------------------
const queue = suite("sweep: BullMQ queue on redis-server");
let redis: RedisServer | undefined;
const workers: Proc[] = [];
queue.after(async () => {
  for (const w of workers) if (w.p.exitCode === null && w.p.signalCode === null) w.p.kill("SIGKILL");
  await redis?.dispose();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function startWorker(url: string, lockMs: number): Proc {
  const w = new Proc(["worker", "--queue", url, "--lock-duration", String(lockMs), "--stalled-interval", "1000"]);
  workers.push(w);
  return w;
}

/** "done" lines per job id across the workers' logs. */
function completions(ws: Proc[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const w of ws) for (const x of w.out.matchAll(/ (\S+): done/g)) m.set(x[1], (m.get(x[1]) ?? 0) + 1);
  return m;
}

async function stopWorkers(ws: Proc[]): Promise<void> {
  for (const w of ws) if (w.p.exitCode === null && w.p.signalCode === null) w.p.kill("SIGTERM");
  for (const w of ws) {
    const e = await w.exited;
    assert.ok(e.code === 0 || e.signal === "SIGKILL", `worker exit ${e.code} ${e.signal}\n${w.out}`);
  }
}

queue(
  "two workers, one SIGKILLed mid-job: its run stops with it, another worker resumes the job, every job completes exactly once with the local run's metrics",
  async () => {
    redis = await RedisServer.start();
    const dir = path.join(tmp, "yy-queue");
    const w1 = startWorker(redis.url, 2000);
    const w2 = startWorker(redis.url, 2000);
    await until("workers ready", () => /concurrency 1/.test(w1.out) && /concurrency 1/.test(w2.out));
    const s = new Proc(["sweep", yyFile, "--out", dir, "--queue", redis.url]);
    // Kill w1 while its job is a few epochs in.
    let victim = "";
    await until("a job mid-run on worker 1", () => {
      const m = [...w1.out.matchAll(/ (\S+) \(rule=\w+\): started/g)].at(-1);
      if (!m) return false;
      victim = m[1];
      return midRun(dir, victim);
    });
    // The job process is frozen while its worker dies, so it cannot finish the job first.
    const kids = childrenOf(w1.pid);
    assert.ok(kids.length === 1, `worker 1 runs one job process (${kids.join()})`);
    process.kill(kids[0], "SIGSTOP");
    w1.p.kill("SIGKILL");
    await w1.exited;
    process.kill(kids[0], "SIGCONT");
    await until("the killed worker's job process to exit with it", () => !alive(kids[0]), 10_000);
    const e = await s.exited;
    assert.is(e.code, 0, s.out);
    assert.match(s.out, /6 done, 0 failed, 0 not finished/);
    await stopWorkers([w2]);
    const done = completions([w1, w2]);
    assert.is(done.size, 6, [...done.keys()].join());
    for (const [id, n] of done) assert.is(n, 1, `${id} completed once`);
    assert.is(attempts(dir, victim), 2, "the killed job ran twice: killed, then recovered");
    // …from the checkpoint of an epoch end the killed run had reached.
    assert.match(readFileSync(path.join(dir, victim, "log.txt"), "utf8"), /resuming from checkpoint[^]*resuming after epoch [1-9]/);
    assert.match(w2.out, new RegExp(`${victim} \\(rule=\\w+\\): started`));
    for (const id of jobDirs(yyRef)) assert.equal(metricsOnly(path.join(dir, id, "summary.json")), metricsOnly(path.join(yyRef, id, "summary.json")), id);
    // Status from the queue, from any machine.
    const st = cli("sweep", "status", "--queue", redis.url);
    assert.is(st.status, 0, st.stderr);
    assert.match(st.stdout, /0 waiting, 0 active, 6 done, 0 failed/);
    assert.match(st.stdout, /rule=bp\s+0\s+0\s+3\s+0/);
    await redis.dispose();
    redis = undefined;
  },
);

queue("a Redis restart (append-only file) mid-sweep loses no job; an invalid job fails fast with its error while the others finish", async () => {
  redis = await RedisServer.start({ appendonly: true });
  const dir = path.join(tmp, "yy-restart");
  const file = path.join(tmp, "restart.json");
  // Four of the reference jobs and one with a rule the model does not have.
  writeFileSync(
    file,
    JSON.stringify({
      base: YY_BASE,
      list: [
        { rule: "bp", seed: 1 },
        { rule: "nosuchrule", seed: 1 },
        { rule: "fa", seed: 1 },
        { rule: "bp", seed: 2 },
        { rule: "fa", seed: 2 },
      ],
    }),
  );
  const w1 = startWorker(redis.url, 10_000);
  const w2 = startWorker(redis.url, 10_000);
  await until("workers ready", () => /concurrency 1/.test(w1.out) && /concurrency 1/.test(w2.out));
  const s = new Proc(["sweep", file, "--out", dir, "--queue", redis.url, "--retries", "2"]);
  await until("two finished jobs", () => (s.out.match(/^\[\d\/5\]/gm) ?? []).length >= 2);
  await redis.stop();
  await sleep(500);
  await redis.launch();
  const e = await s.exited;
  assert.is(e.code, 1, s.out); // one job failed
  assert.match(s.out, /4 done, 1 failed, 0 not finished/);
  assert.not.match(s.out, /no longer on the queue/);
  await stopWorkers([w1, w2]);
  const done = completions([w1, w2]);
  assert.is(done.size, 4);
  for (const [id, n] of done) assert.is(n, 1, `${id} completed once`);
  const rec = JSON.parse(readFileSync(path.join(dir, "sweep.json"), "utf8"));
  const bad = rec.jobs.find((j: JobRecord) => j.config.rule === "nosuchrule");
  assert.is(bad.status, "failed");
  assert.match(bad.error, /ValueError: .*nosuchrule/);
  assert.is(bad.attempts, 1, "a bad setting is not retried");
  for (const j of rec.jobs as JobRecord[]) {
    if (j.status === "done") assert.equal(metricsOnly(path.join(dir, j.id, "summary.json")), metricsOnly(path.join(yyRef, j.id, "summary.json")), j.id);
  }
});

/** Runs a 2-job bars sweep through `url` with one worker; returns the sweep's and the worker's output. */
async function queueRoundTrip(url: string, name: string, env?: Record<string, string>): Promise<{ sweep: string; worker: string; dir: string }> {
  const dir = path.join(tmp, name);
  const file = path.join(tmp, `${name}.json`);
  writeFileSync(file, JSON.stringify({ base: { model: "mlp", dataset: "bars", epochs: 2 }, grid: { rule: ["bp", "fa"] } }));
  const w = new Proc(["worker", "--queue", url, "--queue-name", name], env);
  workers.push(w);
  await until("worker ready", () => /concurrency 1/.test(w.out));
  const s = new Proc(["sweep", file, "--out", dir, "--queue", url, "--queue-name", name], env);
  const e = await s.exited;
  assert.is(e.code, 0, s.out + w.out);
  assert.match(s.out, /2 done, 0 failed, 0 not finished/);
  await stopWorkers([w]);
  return { sweep: s.out, worker: w.out, dir };
}

/** Every file under dir, concatenated (to look for a leaked secret). */
function allText(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && !d.name.endsWith(".safetensors"))
    .map((d) => readFileSync(path.join(d.parentPath ?? (d as unknown as { path: string }).path, d.name), "utf8"))
    .join("\n");
}

function oneLineError(r: { status: number | null; stderr: string }, re: RegExp, secret: string): void {
  assert.is(r.status, 1, r.stderr);
  const lines = r.stderr.trim().split("\n");
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0], re);
  assert.not.ok(lines[0].includes(secret), "the password is not printed");
}

queue(
  "Redis with a password (requirepass): a sweep and a worker use the URL's credentials and never print or store them; a wrong one is a one-line error",
  async () => {
    const r = await RedisServer.start({ password: "s3cret-pw" });
    try {
      const url = `redis://:s3cret-pw@127.0.0.1:${r.port}`;
      const ok = cli("sweep", "status", "--queue", url, "--queue-name", "other");
      assert.is(ok.status, 0, ok.stderr);
      assert.match(ok.stdout, new RegExp(`queue 'other' at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${r.port}/?: 0 waiting, 0 active, 0 done, 0 failed`));
      const run = await queueRoundTrip(url, "pw");
      for (const text of [run.sweep, run.worker, allText(run.dir), ok.stdout + ok.stderr]) assert.not.match(text, /s3cret/);
      assert.match(JSON.parse(readFileSync(path.join(run.dir, "sweep.json"), "utf8")).queue.url, /^redis:\/\/:\*\*\*@127\.0\.0\.1/);
      oneLineError(
        cli("sweep", "status", "--queue", `redis://:wrong-pw@127.0.0.1:${r.port}`),
        /cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/?: WRONGPASS/,
        "wrong-pw",
      );
      oneLineError(cli("sweep", "status", "--queue", r.url), /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/?: NOAUTH/, "s3cret");
    } finally {
      await r.dispose();
    }
  },
);

queue("Redis ACL users (redis://user:password@host): the named user works, a wrong password or the disabled default user is refused", async () => {
  const r = await RedisServer.start({ users: [{ name: "alice", password: "al1ce-pw" }] });
  try {
    const run = await queueRoundTrip(`redis://alice:al1ce-pw@127.0.0.1:${r.port}/2`, "acl");
    assert.match(run.sweep, /at redis:\/\/alice:\*\*\*@127\.0\.0\.1:\d+\/2/);
    for (const text of [run.sweep, run.worker, allText(run.dir)]) assert.not.match(text, /al1ce-pw/);
    oneLineError(cli("sweep", "status", "--queue", `redis://alice:nope@127.0.0.1:${r.port}`), /WRONGPASS invalid username-password pair/, "nope");
    oneLineError(cli("sweep", "status", "--queue", `redis://bob:al1ce-pw@127.0.0.1:${r.port}`), /WRONGPASS/, "al1ce-pw");
    oneLineError(cli("sweep", "status", "--queue", r.url), /NOAUTH/, "al1ce-pw");
  } finally {
    await r.dispose();
  }
});

queue(
  "TLS (rediss://) on Debian's redis-server: a sweep and a worker over TLS with the server's CA trusted; an untrusted certificate or a plain/TLS mix-up is a one-line error with a hint",
  async () => {
    const r = await RedisServer.start({ tls: true, password: "tls-pw" });
    try {
      const url = `rediss://:tls-pw@127.0.0.1:${r.port}`;
      const trust = { NODE_EXTRA_CA_CERTS: r.caFile! };
      const run = await queueRoundTrip(url, "tls", trust);
      assert.match(run.worker, /at rediss:\/\/:\*\*\*@127\.0\.0\.1/);
      assert.not.match(run.sweep + run.worker, /tls-pw/);
      // The same jobs' metrics as over a plain connection (the "pw" round trip above).
      for (const id of jobDirs(run.dir))
        assert.equal(metricsOnly(path.join(run.dir, id, "summary.json")), metricsOnly(path.join(tmp, "pw", id, "summary.json")), id);
      // The scheme is case-insensitive (ioredis itself only switches TLS on for "rediss://").
      const upper = cliEnv(trust, "sweep", "status", "--queue", url.replace("rediss:", "REDISS:"), "--queue-name", "tls");
      assert.is(upper.status, 0, upper.stderr);
      assert.match(upper.stdout, /2 done/);
      oneLineError(
        cli("sweep", "status", "--queue", url),
        /cannot reach Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+\/?: self-signed certificate in certificate chain \(.*NODE_EXTRA_CA_CERTS/,
        "tls-pw",
      );
      oneLineError(
        cliEnv(trust, "sweep", "status", "--queue", url.replace("rediss:", "redis:")),
        /cannot reach Redis at redis:\/\/.*\(a TLS port\? use rediss:\/\/\)/,
        "tls-pw",
      );
    } finally {
      await r.dispose();
    }
  },
);

spec.run();
local.run();
queue.run();
