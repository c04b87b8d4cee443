// Output paths are checked before any work, with one-line errors naming the flag and the reason;
// no path hangs; a write that fails late goes to a fallback file that the error names.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { OutputError, ValueError } from "../src/core/errors.ts";
import { checkOutputPath, checkOutputPaths, makeDirs, writeFileAtomic, writeOutput } from "../src/node/files.ts";
import { evalCommand, trainCommand } from "../src/cli/train.ts";
import { plotCommand } from "../src/cli/plot.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(root, "bin", "dendritic.js");
// A generous timeout: a hang (the old recursive mkdir under /proc) fails the test instead of CI.
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 60_000 });

const o = suite("output paths");
let dir: string;
let afile: string;
o.before(() => {
  dir = mkdtempSync(path.join(tmpdir(), "outputs-"));
  afile = path.join(dir, "afile");
  writeFileSync(afile, "a regular file");
});
o.after(() => rmSync(dir, { recursive: true, force: true }));

o(
  "checkOutputPath: empty, a directory, under a regular file, under /proc and /sys, a device — each a ValueError naming the flag; nothing is left behind",
  () => {
    const cases: [string, RegExp][] = [
      ["", /^--json "": expected a file path$/],
      ["  ", /^--json "  ": expected a file path$/],
      [dir, /^--json .*: is a directory; give the path of a file/],
      [path.join(afile, "x.json"), /^--json .*afile\/x\.json: .*afile is not a directory$/],
      [path.join(afile, "deeper", "x.json"), /afile is not a directory$/],
      ["/proc/nope/x.json", /^--json \/proc\/nope\/x\.json: cannot create files in \/proc \(E[A-Z]+\)$/],
      ["/dev/null", /^--json \/dev\/null: exists and is not a regular file$/],
    ];
    if (existsSync("/sys/kernel")) cases.push(["/sys/x.st", /^--json \/sys\/x\.st: cannot create files in \/sys \(E[A-Z]+\)$/]);
    for (const [p, re] of cases) {
      assert.throws(
        () => checkOutputPath(p, "--json"),
        (e: Error) => e instanceof ValueError && re.test(e.message),
        p,
      );
    }
    // Missing directories are fine (created at write time) and are not created by the check.
    checkOutputPath(path.join(dir, "new", "sub", "x.json"), "--json");
    assert.not.ok(existsSync(path.join(dir, "new")));
    assert.equal(readdirSync(dir).sort(), ["afile"], "no probe file left");
    assert.throws(
      () => checkOutputPaths({ "--save": path.join(dir, "x.st"), "--json": path.join(dir, ".", "x.st") }),
      /--json .*x\.st: the same file as --save/,
    );
  },
);

o("no hang under /proc: makeDirs and writeFileAtomic fail at once", async () => {
  assert.throws(
    () => makeDirs("/proc/nope/deeper"),
    (e: NodeJS.ErrnoException) => typeof e.code === "string",
  );
  await writeFileAtomic("/proc/nope/x.json", "{}").then(
    () => assert.unreachable("should fail"),
    (e: NodeJS.ErrnoException) => assert.ok(typeof e.code === "string", String(e)),
  );
});

async function inProcess(make: () => import("commander").Command, ...args: string[]): Promise<Error> {
  const cmd = make().exitOverride();
  cmd.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  return cmd.parseAsync(args, { from: "user" }).then(
    () => assert.unreachable(`${args.join(" ")} should fail`) as never,
    (e: Error) => e,
  );
}

o("train, eval and plot check every output before any work (in process)", async () => {
  const t0 = performance.now();
  const bad: [() => import("commander").Command, string[], RegExp][] = [
    [trainCommand, ["--dataset", "bars", "--epochs", "1", "--json", path.join(afile, "x.json")], /^--json .*: .*afile is not a directory$/],
    [trainCommand, ["--dataset", "bars", "--epochs", "1", "--save", dir], /^--save .*: is a directory/],
    [trainCommand, ["--dataset", "bars", "--epochs", "1", "--save-best", "/proc/nope/b.st"], /^--save-best \/proc\/nope\/b\.st: cannot create files in \/proc/],
    [trainCommand, ["--dataset", "bars", "--epochs", "1", "--json", ""], /^--json "": expected a file path$/],
    [trainCommand, ["--dataset", "bars", "--epochs", "1", "--save", path.join(dir, "s"), "--json", path.join(dir, "s")], /the same file as --save/],
    [evalCommand, ["--load", "/nonexistent.st", "--json", path.join(afile, "e.json")], /^--json .*afile is not a directory$/],
    [plotCommand, ["/nonexistent.json", "--svg", "/proc/nope/p.svg"], /^--svg \/proc\/nope\/p\.svg: cannot create files in \/proc/],
  ];
  for (const [make, args, re] of bad) {
    const e = await inProcess(make, ...args);
    assert.ok(e instanceof ValueError, `${args.join(" ")}: ${e.name}: ${e.message}`);
    assert.match(e.message, re, args.join(" "));
  }
  // Checked before any work: the bars runs would train, eval would fail on the missing checkpoint.
  assert.ok(performance.now() - t0 < 30_000);
});

o("built CLI: a bad output path is a one-line error and exit 1 before training; /proc paths do not hang; --json '' is refused", () => {
  for (const args of [
    ["train", "--dataset", "bars", "--epochs", "1", "--json", "/proc/nope/x.json"],
    ["train", "--dataset", "bars", "--epochs", "1", "--json", ""],
    ["experiment", "sps", "--patterns", "10", "--json", path.join(afile, "x.json")],
  ]) {
    const r = cli(...args);
    assert.is(r.status, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.is(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
    assert.match(r.stderr, /^dendritic: ValueError: --json /);
    assert.not.match(r.stdout, /epoch 1/);
  }
});

o("writeOutput: a failing write goes to a fallback next to the target and the OutputError names it", async () => {
  const target = path.join(dir, "target.json");
  mkdirSync(target);
  const e = await writeOutput(target, '{"a":1}\n', "summary").then(
    () => assert.unreachable("should fail") as never,
    (e: Error) => e,
  );
  assert.ok(e instanceof OutputError);
  const alt = path.join(dir, `target.recovered-${process.pid}.json`);
  assert.is((e as OutputError).savedTo, alt);
  assert.match(
    e.message,
    new RegExp(`^cannot write .*target\\.json \\(EISDIR\\); the summary was written to .*target\\.recovered-${process.pid}\\.json instead$`),
  );
  assert.equal(JSON.parse(readFileSync(alt, "utf8")), { a: 1 });
  rmSync(alt);
  rmSync(target, { recursive: true });
});

o("built CLI: a reader that closes the pipe early (`| head -1`) does not crash the run; it completes and writes its outputs", async () => {
  const json = path.join(dir, "piped.json");
  const child = spawn(process.execPath, [bin, "train", "--model", "mlp", "--dataset", "bars", "--epochs", "40", "--json", json, "--progress", "lines"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (b) => (stderr += b));
  // Like `head -1`: read the first chunk, then close the read end.
  child.stdout.once("data", () => child.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  assert.is(code, 0, stderr);
  assert.not.match(stderr, /EPIPE|at .*\.js:\d+/);
  const s = JSON.parse(readFileSync(json, "utf8"));
  assert.is(s.status, "completed");
  assert.is(s.epochs.length, 40);
});

o(
  "built CLI: when the output directory disappears during the run, the final checkpoint and summary go to fallbacks, named in a one-line error (exit 1)",
  async () => {
    const out = path.join(dir, "vanishing");
    mkdirSync(out);
    const save = path.join(out, "run.st");
    const json = path.join(out, "run.json");
    const child = spawn(
      process.execPath,
      [bin, "train", "--model", "mlp", "--dataset", "bars", "--arch", "9-30-3", "--epochs", "100000", "--save", save, "--json", json, "--progress", "lines"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    let broken = false;
    child.stderr.on("data", (b) => (stderr += b));
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on("data", (b) => {
        stdout += b;
        if (!broken && /epoch 2\/100000 \|/.test(stdout)) {
          broken = true;
          // The directory becomes a regular file: every later write into it fails. The child is
          // paused meanwhile and the directory renamed away in one step (removing it in place
          // races with the child's next checkpoint, which can refill it between unlink and rmdir).
          child.kill("SIGSTOP");
          renameSync(out, `${out}.gone`);
          writeFileSync(out, "not a directory any more");
          child.kill("SIGTERM");
          child.kill("SIGCONT");
          rmSync(`${out}.gone`, { recursive: true });
        }
      });
      child.on("exit", (c) => resolve(c));
    });
    assert.is(code, 1, stderr);
    const line = stderr.trim().split("\n").pop()!;
    assert.match(
      line,
      /^dendritic: OutputError: cannot write .*run\.st \(ENOTDIR\); the checkpoint was written to (\S+) instead; cannot write .*run\.json \(ENOTDIR\); the summary was written to (\S+) instead$/,
    );
    const [, ck, sj] = /checkpoint was written to (\S+) instead.*summary was written to (\S+) instead/.exec(line)!;
    const s = JSON.parse(readFileSync(sj, "utf8"));
    assert.is(s.status, "interrupted");
    assert.ok(readFileSync(ck).length > 100);
    rmSync(ck);
    rmSync(sj);
  },
);

o.run();
