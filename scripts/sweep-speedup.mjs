// How much faster a sweep runs on two workers than on one, next to what two cores can give the same
// jobs at most on this machine (docs/sweeps.md, "Measured"). Each round runs, one after another:
//   sweep --workers 1    the spec's jobs in one job process, one thread each
//   sweep --workers 2    the same jobs in two job processes
//   plain, one lane      the jobs' own `dendritic train` command lines (from `sweep --dry-run`), one after another
//   plain, two lanes     the same command lines in two lanes at once (job i in lane i mod 2)
// "plain" has no sweep at all (no spec, no job processes kept between jobs, no checkpoints of the
// sweep's own); its two-lane ratio is what this machine gives two independent runs side by side: the
// ceiling for a scheduler that hands whole jobs to cores. The rounds alternate so that both ratios
// see the same drift of the machine. Output: a table and, with a third argument, a JSON file.
//   node scripts/sweep-speedup.mjs [spec = examples/sweeps/mnist-small-rules.yaml] [rounds = 3] [json]
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, loadavg, cpus } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(root, "bin", "dendritic.js");
const spec = path.resolve(process.argv[2] ?? path.join(root, "examples/sweeps/mnist-small-rules.yaml"));
const rounds = Number(process.argv[3] ?? 3);
const jsonOut = process.argv[4];
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`sweep-speedup: rounds must be a positive integer; got ${process.argv[3]}`);
  process.exit(1);
}
const tmp = mkdtempSync(path.join(tmpdir(), "dendritic-speedup-"));
function fail(message) {
  rmSync(tmp, { recursive: true, force: true });
  console.error(`sweep-speedup: ${message}`);
  process.exit(1);
}

// The jobs' train command lines, as the sweep itself would run them.
const dry = spawnSync(process.execPath, [bin, "sweep", spec, "--out", path.join(tmp, "dry"), "--dry-run", "--threads", "1"], { encoding: "utf8" });
if (dry.status !== 0) fail(`${spec}: ${dry.stderr.trim() || "sweep --dry-run failed"}`);
const lines = dry.stdout
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l.startsWith("dendritic train "));
// The lines are split at spaces, so an argument the dry run had to quote cannot be passed on.
const quoted = lines.find((l) => /['"\\]/.test(l));
if (quoted) fail(`${spec}: a job's command line has quoted arguments, which this script does not parse: ${quoted}`);
const jobs = lines.map((l) => l.split(/\s+/).slice(1));
if (jobs.length < 2) fail(`${spec} has ${jobs.length} job(s); two workers need at least two`);
// --threads 1 unless the spec pins its own thread count, as `sweep --threads 1` does.
for (const args of jobs) if (!args.includes("--threads")) args.push("--threads", "1");

function run(args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`dendritic ${args.join(" ")}: exit ${code}\n${err}`))));
  });
}

async function lane(list, dir) {
  for (const [i, args] of list) await run([...args, "--progress", "none", "--json", path.join(dir, `job${i}.json`)], dir);
}

const sweep = (workers) => (dir) => run(["sweep", spec, "--out", path.join(dir, "out"), "--workers", String(workers), "--threads", "1"], dir);
// Job i in lane i mod k, the lanes at once.
const lanes = (k) => (dir) =>
  Promise.all(
    Array.from({ length: k }, (_, l) =>
      lane(
        jobs.map((a, i) => [i, a]).filter(([i]) => i % k === l),
        dir,
      ),
    ),
  );
const variants = { "sweep, 1 worker": sweep(1), "sweep, 2 workers": sweep(2), "plain, 1 lane": lanes(1), "plain, 2 lanes": lanes(2) };

const results = [];
try {
  for (let r = 1; r <= rounds; r++) {
    for (const [name, fn] of Object.entries(variants)) {
      const dir = mkdtempSync(path.join(tmp, "run-"));
      const load0 = loadavg()[0];
      const t0 = performance.now();
      await fn(dir);
      const s = (performance.now() - t0) / 1000;
      const load1 = loadavg()[0];
      results.push({ round: r, variant: name, seconds: s, load: [load0, load1] });
      console.log(`round ${r}  ${name.padEnd(17)} ${s.toFixed(1).padStart(6)} s   load ${load0.toFixed(2)} → ${load1.toFixed(2)}`);
      rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const time = (r, v) => results.find((x) => x.round === r && x.variant === v).seconds;
const ratios = [];
console.log("\nround  sweep 2 ÷ 1  plain 2 ÷ 1 (ceiling)");
for (let r = 1; r <= rounds; r++) {
  const sweep = time(r, "sweep, 1 worker") / time(r, "sweep, 2 workers");
  const plain = time(r, "plain, 1 lane") / time(r, "plain, 2 lanes");
  ratios.push({ round: r, sweep, plain });
  console.log(`${String(r).padStart(5)}  ${sweep.toFixed(2).padStart(10)}×  ${plain.toFixed(2).padStart(10)}×`);
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = median(ratios.map((x) => x.sweep));
const mp = median(ratios.map((x) => x.plain));
console.log(`median ${ms.toFixed(2).padStart(10)}×  ${mp.toFixed(2).padStart(10)}×`);
console.log(
  `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} logical cores, Node ${process.version}, ${jobs.length} jobs from ${path.relative(root, spec)}`,
);
if (jsonOut) {
  const machine = { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, date: new Date().toISOString() };
  writeFileSync(
    jsonOut,
    JSON.stringify({ spec: path.relative(root, spec), jobs: jobs.length, results, ratios, median: { sweep: ms, plain: mp }, machine }, null, 2) + "\n",
  );
  console.log(`wrote ${jsonOut}`);
}
