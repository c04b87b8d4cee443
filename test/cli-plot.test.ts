// `dendritic plot`: learning curves from train --json summaries; bad files get errors naming them.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { curvesOf } from "../src/plot/curves.ts";
import { FormatError } from "../src/core/errors.ts";

// The command runs from the built package (vega's Node build needs native ESM, not the test loader).
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(root, "bin", "dendritic.js"), ...args], { encoding: "utf8" });

const dir = mkdtempSync(path.join(tmpdir(), "dendritic-plot-"));
const summary = {
  epochs: [
    { epoch: 1, valError: 0.0642, testError: 0.0778 },
    { epoch: 2, valError: 0.0494, testError: 0.0603, trainError: 0.07 },
  ],
};

test("curvesOf reads the per-epoch error rates as percent, skipping splits an epoch lacks", () => {
  const pts = curvesOf(summary, "a.json", "a", ["val", "test", "train"]);
  assert.equal(
    pts.map((p) => [p.split, p.epoch]),
    [
      ["val", 1],
      ["test", 1],
      ["val", 2],
      ["test", 2],
      ["train", 2],
    ],
  );
  assert.ok(Math.abs(pts[1].error - 7.78) < 1e-12, String(pts[1].error));
});

test("a file that is not a train summary is a FormatError naming the file and the field", () => {
  assert.throws(
    () => curvesOf({ results: [] }, "bench.json", "b", ["val"]),
    (e: Error) => e instanceof FormatError && /bench\.json: .*'epochs'/.test(e.message),
  );
  assert.throws(
    () => curvesOf({ epochs: [{ epoch: 1, valError: "x" }] }, "r.json", "r", ["val"]),
    (e: Error) => e instanceof FormatError && /r\.json: epochs\[0\]\.valError must be a finite number/.test(e.message),
  );
  assert.throws(
    () => curvesOf({ epochs: [{ valError: 0.1 }] }, "r.json", "r", ["val"]),
    (e: Error) => /r\.json: epochs\[0\]\.epoch must be a number/.test(e.message),
  );
  assert.throws(
    () => curvesOf({ epochs: [{ epoch: 1 }] }, "r.json", "r", ["val"]),
    (e: Error) => /r\.json: no valError/.test(e.message),
  );
});

test("plot writes an SVG with one line per run and split", () => {
  const a = path.join(dir, "seed1.json");
  const b = path.join(dir, "seed2.json");
  writeFileSync(a, JSON.stringify(summary));
  writeFileSync(b, JSON.stringify({ epochs: [{ epoch: 1, valError: 0.05, testError: 0.06 }] }));
  const out = path.join(dir, "curves.svg");
  const r = cli("plot", a, b, "--svg", out, "--title", "two runs");
  assert.is(r.status, 0, r.stderr);
  const svg = readFileSync(out, "utf8");
  assert.match(svg, /^<svg/);
  assert.match(svg, /two runs/);
  assert.match(svg, /seed1/);
  assert.match(svg, /seed2/);
  // 2 runs × 2 splits = 4 line marks
  assert.is((svg.match(/aria-roledescription="line mark"/g) ?? []).length, 4);
});

test("plot: a missing file, broken JSON and an unknown split are errors naming them", () => {
  const bad = path.join(dir, "broken.json");
  writeFileSync(bad, "{ not json");
  const x = path.join(dir, "x.svg");
  for (const [args, message] of [
    [[path.join(dir, "nope.json")], /nope\.json: cannot read \(ENOENT\)/],
    [[bad], /broken\.json: not valid JSON/],
    [[bad, "--splits", "val,dev"], /splits must be a comma-separated subset of val,test,train, got 'dev'/],
  ] as const) {
    const r = cli("plot", ...args, "--svg", x);
    assert.is.not(r.status, 0);
    assert.match(r.stderr, message);
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
