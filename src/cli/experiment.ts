// `dendritic experiment <name>`: the SCBS18 experiments of docs/model.md §1.10, each writing its numbers as
// JSON and the paper's curve as SVG.
import { Command, InvalidArgumentError } from "commander";

import path from "node:path";
import { init } from "../core/core.js";
import { EXPERIMENTS, type ExperimentName } from "../experiments/scbs18.js";
import { loadPlotting, vegaLiteToSvg } from "../plot/svg.js";
import { checkOutputPaths, writeOutput } from "../node/files.js";
import { readCheckpoint } from "../node/checkpoint.js";
import { loadDataset } from "../node/data.js";
import { ValueError } from "../core/errors.js";
import { scfaEquivalence } from "../experiments/yl22.js";
import { buildOptions, chosenBuild, runtimeLabel, threadsOption } from "./runtime.js";

function int(name: string, min: number) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got '${v}'`);
    return n;
  };
}
function sizesArg(v: string): number[] {
  const s = v.split("-").map(Number);
  if (s.length < 3 || s.some((n) => !Number.isInteger(n) || n < 1)) throw new InvalidArgumentError(`sizes must look like 30-20-10 (≥ 3 positive integers), got '${v}'`);
  return s;
}

export function experimentCommand(): Command {
  const cmd = new Command("experiment").description("Run an SCBS18 experiment (docs/model.md §1.10); writes JSON and an SVG plot");
  for (const [name, e] of Object.entries(EXPERIMENTS)) {
    const sub = new Command(name)
      .description(e.description)
      .option("--json <file>", "write the results to this JSON file")
      .option("--svg <file>", "write the plot here (default: the JSON path with .svg, or <name>.svg)")
      .option("--no-svg", "write no plot (the plot needs the optional packages vega and vega-lite)")
      .option("--seed <n>", "seed for weights, inputs and noise", int("seed", 0), 1)
      .addOption(buildOptions()[0])
      .addOption(buildOptions()[1])
      .addOption(threadsOption());
    if (name !== "alignment") sub.option("--patterns <n>", "number of 100 ms patterns (default: the experiment's own)", int("patterns", 1));
    if (name === "regression") sub.option("--top-down-scale <a>", "fixed top-down weights B ~ U(−a, a) (default 0.1)", (v: string) => {
      const a = Number(v);
      if (!Number.isFinite(a) || a < 0) throw new InvalidArgumentError(`--top-down-scale must be a number ≥ 0, got '${v}'`);
      return a;
    });
    else sub.option("--sizes <a-b-c>", "layer sizes", sizesArg);
    sub.action(async (opts: { json?: string; svg?: string | false; seed: number; simd?: string; impl?: string; threads: number | "auto"; patterns?: number; sizes?: number[]; topDownScale?: number }) => {
      const svgPath = opts.svg === false ? undefined : opts.svg ?? (opts.json ? opts.json.replace(/\.json$/i, "") + ".svg" : `${name}.svg`);
      checkOutputPaths({ "--json": opts.json, "--svg": svgPath });
      if (opts.svg !== false) await loadPlotting(`dendritic experiment ${name} (its SVG plot; or pass --no-svg)`);
      const core = await init({ impl: chosenBuild(opts), threads: opts.threads });
      process.stderr.write(`${name}: seed ${opts.seed}, ${runtimeLabel(core)}\n`);
      const tty = process.stderr.isTTY;
      let last = -1;
      const onProgress = (f: number) => {
        const pct = Math.floor(f * 100);
        if (pct === last || (!tty && pct % 10 !== 0)) return;
        last = pct;
        process.stderr.write(tty ? `\r${name}: ${pct}%` : `${name}: ${pct}%\n`);
      };
      const res = EXPERIMENTS[name as ExperimentName].run(core, { seed: opts.seed, patterns: opts.patterns, sizes: opts.sizes, topDownScale: opts.topDownScale, onProgress });
      if (tty) process.stderr.write("\n");
      const summary = Object.fromEntries(Object.entries(res.json).filter(([, v]) => typeof v === "number" || typeof v === "string"));
      console.log(JSON.stringify(summary, null, 2));
      const threads = core.threads;
      core.dispose();
      if (opts.json) await writeOutput(opts.json, JSON.stringify({ ...res.json, impl: core.impl, threads }, null, 2) + "\n", "results");
      if (svgPath) await writeOutput(svgPath, await vegaLiteToSvg(res.plot), "plot");
      if (opts.json || svgPath) console.error(`wrote ${[opts.json, svgPath].filter(Boolean).map((p) => path.relative(process.cwd(), path.resolve(p!))).join(", ")}`);
    });
    cmd.addCommand(sub);
  }
  cmd.addCommand(scfaEquivalenceCommand());
  return cmd;
}

function scfaEquivalenceCommand(): Command {
  return new Command("scfa-equivalence")
    .description("Spiking microcircuit (Yang & Li 2022 design): angles of one window's ΔW to matched and analytic sign-concordant FA, FA and backprop, at init and after one epoch; angle against T; sign concordance")
    .option("--json <file>", "write the results to this JSON file")
    .option("--svg <file>", "write the plot here (default: the JSON path with .svg, or scfa-equivalence.svg)")
    .option("--seed <n>", "seed of the weights, dither and shuffling", int("seed", 0), 1)
    .option("--dataset <name>", "data set (mnist, mnist-small, idx:DIR)", "mnist")
    .option("--arch <sizes>", "layer sizes (default inputs-500-500-classes)", sizesArg)
    .option("--rule <rule>", "feedback of the circuit: scfa-frsf (default), scfa-usf, scfa-brsf, fa, bp")
    .option("--images <n>", "test images the angles are measured on", int("images", 1), 100)
    .option("--repeats <n>", "dithered windows averaged for the trained analytic angle", int("repeats", 1), 10)
    .option("--load <checkpoint>", "measure this trained spiking checkpoint instead of training one epoch here")
    .option("--train-limit <n>", "train on the first n (shuffled) training examples instead of the whole epoch", int("train-limit", 1))
    .addOption(buildOptions()[0])
    .addOption(buildOptions()[1])
    .addOption(threadsOption())
    .action(async (opts: { json?: string; svg?: string; seed: number; dataset: string; arch?: number[]; rule?: string; images: number; repeats: number; load?: string; trainLimit?: number; simd?: string; impl?: string; threads: number | "auto" }) => {
      const svgPath = opts.svg ?? (opts.json ? opts.json.replace(/\.json$/i, "") + ".svg" : "scfa-equivalence.svg");
      checkOutputPaths({ "--json": opts.json, "--svg": svgPath });
      const core = await init({ impl: chosenBuild(opts), threads: opts.threads });
      process.stderr.write(`scfa-equivalence: seed ${opts.seed}, ${runtimeLabel(core)}\n`);
      const data = loadDataset(opts.dataset);
      let trainedState;
      let model: Record<string, unknown> = opts.rule ? { rule: opts.rule } : {};
      if (opts.load) {
        const ckpt = await readCheckpoint(opts.load);
        if (ckpt.kind !== "spiking") throw new ValueError(`${opts.load} holds a '${ckpt.kind}' model, not a spiking one`);
        trainedState = ckpt.tensors;
        const { arch: _a, steps: _s, settle: _t, maxBatch: _m, seed: _d, ...rest } = ckpt.config;
        model = { ...rest, ...model };
        if (!opts.arch) opts.arch = ckpt.config.arch as number[];
      }
      const tty = process.stderr.isTTY;
      let last = "";
      const res = await scfaEquivalence(core, data, {
        arch: opts.arch,
        seed: opts.seed,
        images: opts.images,
        repeats: opts.repeats,
        trainedState,
        trainLimit: opts.trainLimit,
        model,
        onProgress: (f, what) => {
          const line = `scfa-equivalence: ${what} ${Math.floor(f * 100)}%`;
          if (line === last) return;
          last = line;
          process.stderr.write(tty ? `\r${line}` : `${line}\n`);
        },
      });
      if (tty) process.stderr.write("\n");
      const j = res.json as Record<string, unknown>;
      const fmt = (rows: { init: number; trained: number }[]) => rows.map((r) => `${r.init.toFixed(1)}→${r.trained.toFixed(1)}`).join(" / ");
      for (const k of ["angleMatched", "angleAnalytic", "angleFA", "angleBP"]) console.log(`${k.padEnd(14)} ${fmt(j[k] as { init: number; trained: number }[])}  (degrees per layer, init→trained)`);
      console.log(`checks ${JSON.stringify(j.checks)}; sign concordance ${JSON.stringify(j.signConcordance)}`);
      const threads = core.threads;
      core.dispose();
      if (opts.json) await writeOutput(opts.json, JSON.stringify({ ...j, impl: core.impl, threads, dataset: data.about }, null, 2) + "\n", "results");
      await writeOutput(svgPath, await vegaLiteToSvg(res.plot), "plot");
      console.error(`wrote ${[opts.json, svgPath].filter(Boolean).map((p) => path.relative(process.cwd(), path.resolve(p!))).join(", ")}`);
    });
}

