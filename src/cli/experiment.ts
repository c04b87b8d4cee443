// `dendritic experiment <name>`: the SCBS18 experiments of docs/model.md §1.10, each writing its numbers as
// JSON and the paper's curve as SVG.
import { Command, InvalidArgumentError } from "commander";

import path from "node:path";
import { init } from "../core/core.js";
import { existsSync, readFileSync } from "node:fs";
import {
  YINYANG_RECIPE,
  barsExperiment,
  yinyangExperiment,
  type ClassifyExperimentResult,
  type FullDynamicsRecipe,
  type FullDynamicsSnapshot,
} from "../experiments/classify.js";
import { EXPERIMENTS, type ExperimentName } from "../experiments/scbs18.js";
import { bars, yinyang } from "../data/generators.js";
import type { NamedArray } from "../train/model.js";
import { decodeSafetensors, encodeSafetensors } from "../train/safetensors.js";
import { loadPlotting, vegaLiteToSvg } from "../plot/svg.js";
import { checkOutputPaths, writeOutput, writeOutputSync } from "../node/files.js";
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
function num(name: string, min: number) {
  return (v: string) => {
    const a = Number(v);
    if (v.trim() === "" || !Number.isFinite(a) || a < min) throw new InvalidArgumentError(`${name} must be a number ≥ ${min}, got '${v}'`);
    return a;
  };
}
function sizesArg(v: string): number[] {
  const s = v.split("-").map(Number);
  if (s.length < 3 || s.some((n) => !Number.isInteger(n) || n < 1))
    throw new InvalidArgumentError(`sizes must look like 30-20-10 (≥ 3 positive integers), got '${v}'`);
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
    if (name === "regression")
      sub.option("--top-down-scale <a>", "fixed top-down weights B ~ U(−a, a) (default 1)", (v: string) => {
        const a = Number(v);
        if (!Number.isFinite(a) || a < 0) throw new InvalidArgumentError(`--top-down-scale must be a number ≥ 0, got '${v}'`);
        return a;
      });
    else sub.option("--sizes <a-b-c>", "layer sizes", sizesArg);
    sub.action(
      async (opts: {
        json?: string;
        svg?: string | false;
        seed: number;
        simd?: string;
        impl?: string;
        threads: number | "auto";
        patterns?: number;
        sizes?: number[];
        topDownScale?: number;
      }) => {
        const svgPath = opts.svg === false ? undefined : (opts.svg ?? (opts.json ? opts.json.replace(/\.json$/i, "") + ".svg" : `${name}.svg`));
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
        const res = EXPERIMENTS[name as ExperimentName].run(core, {
          seed: opts.seed,
          patterns: opts.patterns,
          sizes: opts.sizes,
          topDownScale: opts.topDownScale,
          onProgress,
        });
        if (tty) process.stderr.write("\n");
        const summary = Object.fromEntries(Object.entries(res.json).filter(([, v]) => typeof v === "number" || typeof v === "string"));
        console.log(JSON.stringify(summary, null, 2));
        const threads = core.threads;
        core.dispose();
        if (opts.json) await writeOutput(opts.json, JSON.stringify({ ...res.json, impl: core.impl, threads }, null, 2) + "\n", "results");
        if (svgPath) await writeOutput(svgPath, await vegaLiteToSvg(res.plot), "plot");
        if (opts.json || svgPath)
          console.error(
            `wrote ${[opts.json, svgPath]
              .filter(Boolean)
              .map((p) => path.relative(process.cwd(), path.resolve(p!)))
              .join(", ")}`,
          );
      },
    );
    cmd.addCommand(sub);
  }
  cmd.addCommand(classifyCommand("bars", "Bars 3×3 (9-30-3) in full dynamics until 100 % test accuracy; time to reach it", 5));
  cmd.addCommand(
    classifyCommand("yinyang", "Yin-Yang (4-30-3 or 4-120-3) in full dynamics with the learning lag; accuracy curve and decision regions (SVG)", 10),
  );
  cmd.addCommand(scfaEquivalenceCommand());
  return cmd;
}

interface ClassifyOpts {
  json?: string;
  svg?: string | false;
  seed: number;
  dataSeed: number;
  sizes?: number[];
  epochs: number;
  learningLag?: number;
  gA?: number;
  gSom?: number;
  etaUp?: number[];
  etaIp?: number;
  thresholdInput?: number;
  targetTau?: number;
  readout?: "steady" | "running";
  trainSize?: number;
  evalEvery?: number;
  save?: string;
  simd?: string;
  impl?: string;
}

/** A snapshot as safetensors: the network state as tensors, the run (curve, counters, options) in the metadata. */
function writeSnapshot(file: string, s: FullDynamicsSnapshot, run: Record<string, unknown>): void {
  const bytes = encodeSafetensors(s.state as Record<string, { shape: number[]; data: Float32Array }>, {
    run: JSON.stringify(run),
    progress: JSON.stringify({ epochsDone: s.epochsDone, patterns: s.patterns, wallS: s.wallS, curve: s.curve }),
  });
  writeOutputSync(file, bytes, "snapshot");
}

function readSnapshot(file: string, run: Record<string, unknown>): FullDynamicsSnapshot {
  const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(file)), file);
  if (!metadata.run || !metadata.progress) throw new ValueError(`${file}: not a snapshot of 'dendritic experiment' (metadata 'run'/'progress' missing)`);
  const saved = JSON.parse(metadata.run) as Record<string, unknown>;
  for (const k of Object.keys(run)) {
    // A key an older snapshot lacks counts as null (the option's default then).
    if (k !== "epochs" && JSON.stringify(saved[k] ?? null) !== JSON.stringify(run[k] ?? null)) {
      throw new ValueError(
        `${file}: saved with ${k} = ${JSON.stringify(saved[k])}, this run has ${JSON.stringify(run[k])}; use another --save file or the same options`,
      );
    }
  }
  const p = JSON.parse(metadata.progress) as Omit<FullDynamicsSnapshot, "state">;
  const state: Record<string, NamedArray> = {};
  for (const [k, t] of Object.entries(tensors)) state[k] = { shape: t.shape, data: t.data as Float32Array };
  return { ...p, state };
}

function classifyCommand(name: "bars" | "yinyang", description: string, epochs: number): Command {
  return new Command(name)
    .description(description)
    .option("--json <file>", "write the results to this JSON file")
    .option("--svg <file>", "write the accuracy curve here (default: the JSON path with .svg, or <name>.svg)")
    .option("--seed <n>", "seed of the network", int("seed", 0), 1)
    .option("--data-seed <n>", "seed of the generated data set", int("data-seed", 0), 1)
    .option("--sizes <a-b-c>", `layer sizes (default ${name === "bars" ? "9-30-3" : "4-30-3"})`, sizesArg)
    .option("--epochs <n>", `training epochs (default ${epochs})`, int("epochs", 1), epochs)
    .option("--learning-lag <ms>", "plasticity off for this long after each pattern switch (default 20)", (v: string) => {
      const a = Number(v);
      if (!Number.isFinite(a) || a < 0 || a >= 100) throw new InvalidArgumentError(`--learning-lag must be a number in [0, 100) ms, got '${v}'`);
      return a;
    })
    .option("--g-a <x>", `apical conductance g_A of the hidden cells (default ${YINYANG_RECIPE.gA})`, num("--g-a", 0))
    .option("--g-som <x>", `nudging conductance g_som of output cells and interneurons (default ${YINYANG_RECIPE.gSom})`, num("--g-som", 0))
    .option("--eta-up <hidden,output>", `η^up of the hidden and output layer (default ${YINYANG_RECIPE.etaUp.join(",")})`, (v: string) => {
      const a = v.split(",").map(Number);
      if (a.length !== 2 || a.some((x) => !Number.isFinite(x) || x < 0))
        throw new InvalidArgumentError(`--eta-up must be two numbers ≥ 0 like 6,7e-4, got '${v}'`);
      return a;
    })
    .option("--eta-ip <x>", `η^IP of the interneurons (default ${YINYANG_RECIPE.etaIP[0]})`, num("--eta-ip", 0))
    .option("--threshold-input <c>", `rate of the constant input feeding the thresholds (default ${YINYANG_RECIPE.thresholdInput})`, (v: string) => {
      const a = Number(v);
      if (!Number.isFinite(a) || a <= 0) throw new InvalidArgumentError(`--threshold-input must be a number > 0, got '${v}'`);
      return a;
    })
    .option(
      "--target-tau <ms>",
      `low-pass time constant of the target potentials (default ${YINYANG_RECIPE.tauTargetMs}: they switch at once)`,
      num("--target-tau", 0),
    )
    .option(
      "--readout <mode>",
      "test readout: steady (free σ = 0 steady state, default) or running (mean output over 80–100 ms in full dynamics)",
      (v: string) => {
        if (v !== "steady" && v !== "running") throw new InvalidArgumentError(`--readout must be steady or running, got '${v}'`);
        return v;
      },
    )
    .option("--train-size <n>", "training patterns per epoch (generated; default 5000 for yinyang, 3000 for bars)", int("train-size", 1))
    .option("--eval-every <n>", "training patterns between evaluations (default: one epoch; bars: 300)", int("eval-every", 1))
    .option("--save <file>", "snapshot (safetensors) after every epoch; if the file exists the run resumes from it")
    .option("--no-svg", "write no plots (they need the optional packages vega and vega-lite)")
    .addOption(buildOptions()[0])
    .addOption(buildOptions()[1])
    .action(async (opts: ClassifyOpts) => {
      if (opts.svg !== false) await loadPlotting(`dendritic experiment ${name} (its SVG plots; or pass --no-svg)`);
      const base = opts.json ? opts.json.replace(/\.json$/i, "") : name;
      const svgPath = opts.svg === false ? undefined : (opts.svg ?? `${base}.svg`);
      const plotPaths: Record<string, string | undefined> = { "--svg": svgPath };
      if (opts.svg !== false && name === "yinyang") plotPaths["decision regions"] = `${base}-regions.svg`;
      // Refuse unwritable or clashing paths before the (long) run, not after it.
      checkOutputPaths({ "--json": opts.json, "--save": opts.save, ...plotPaths });
      const core = await init({ impl: chosenBuild(opts) });
      const data = name === "bars" ? bars({ seed: opts.dataSeed, train: opts.trainSize }) : yinyang({ seed: opts.dataSeed, train: opts.trainSize });
      const recipe: Partial<FullDynamicsRecipe> = {};
      if (opts.learningLag !== undefined) recipe.learningLagMs = opts.learningLag;
      if (opts.gA !== undefined) recipe.gA = opts.gA;
      if (opts.gSom !== undefined) recipe.gSom = opts.gSom;
      if (opts.etaUp !== undefined) recipe.etaUp = opts.etaUp;
      if (opts.etaIp !== undefined) recipe.etaIP = [opts.etaIp];
      if (opts.thresholdInput !== undefined) recipe.thresholdInput = opts.thresholdInput;
      if (opts.targetTau !== undefined) recipe.tauTargetMs = opts.targetTau;
      if (opts.readout !== undefined) recipe.readout = opts.readout;
      const run = {
        experiment: name,
        seed: opts.seed,
        dataSeed: opts.dataSeed,
        sizes: opts.sizes ?? null,
        learningLag: opts.learningLag ?? null,
        epochs: opts.epochs,
        trainSize: opts.trainSize ?? null,
        evalEvery: opts.evalEvery ?? null,
        // The full recipe with its defaults: a snapshot continues only under the same one.
        recipe: { ...YINYANG_RECIPE, ...recipe },
      };
      let resume: FullDynamicsSnapshot | undefined;
      if (opts.save && existsSync(opts.save)) {
        resume = readSnapshot(opts.save, run);
        console.error(`resuming ${opts.save} after epoch ${resume.epochsDone}`);
      }
      const tty = process.stderr.isTTY;
      let last = -1;
      const onProgress = (f: number) => {
        const pct = Math.floor(f * 100);
        if (pct === last || (!tty && pct % 5 !== 0)) return;
        last = pct;
        process.stderr.write(tty ? `\r${name}: ${pct}%` : `${name}: ${pct}%\n`);
      };
      const onEpoch = (s: FullDynamicsSnapshot) => {
        const c = s.curve[s.curve.length - 1];
        process.stderr.write(
          `${tty ? "\n" : ""}epoch ${s.epochsDone}: validation ${(100 * c.validationAccuracy).toFixed(2)} %, test ${(100 * c.testAccuracy).toFixed(2)} % (${s.wallS.toFixed(0)} s)\n`,
        );
        if (opts.save) writeSnapshot(opts.save, s, run);
      };
      const o = { seed: opts.seed, sizes: opts.sizes, epochs: opts.epochs, evalEvery: opts.evalEvery, recipe, resume, onEpoch, onProgress };
      const res: ClassifyExperimentResult = name === "bars" ? barsExperiment(core, data, o) : yinyangExperiment(core, data, o);
      if (tty) process.stderr.write("\n");
      const summary = Object.fromEntries(
        Object.entries(res.json).filter(
          ([, v]) => typeof v === "number" || typeof v === "string" || (typeof v === "object" && v !== null && !Array.isArray(v) && name === "bars"),
        ),
      );
      console.log(JSON.stringify(summary, null, 2));
      if (opts.json)
        await writeOutput(
          opts.json,
          JSON.stringify({ ...res.json, impl: core.impl, command: `dendritic experiment ${process.argv.slice(3).join(" ")}` }, null, 2) + "\n",
          "results",
        );
      const written = [opts.json].filter(Boolean) as string[];
      if (svgPath) {
        await writeOutput(svgPath, await vegaLiteToSvg(res.plot), "plot");
        written.push(svgPath);
        for (const [suffix, plot] of Object.entries(res.plots)) {
          const p = `${base}-${suffix}.svg`;
          await writeOutput(p, await vegaLiteToSvg(plot), "plot");
          written.push(p);
        }
      }
      if (written.length) console.error(`wrote ${written.map((p) => path.relative(process.cwd(), path.resolve(p))).join(", ")}`);
    });
}

function scfaEquivalenceCommand(): Command {
  return new Command("scfa-equivalence")
    .description(
      "Spiking microcircuit (Yang & Li 2022 design): angles of one window's ΔW to matched and analytic sign-concordant FA, FA and backprop, at init and after one epoch; angle against T; sign concordance",
    )
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
    .action(
      async (opts: {
        json?: string;
        svg?: string;
        seed: number;
        dataset: string;
        arch?: number[];
        rule?: string;
        images: number;
        repeats: number;
        load?: string;
        trainLimit?: number;
        simd?: string;
        impl?: string;
        threads: number | "auto";
      }) => {
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
        for (const k of ["angleMatched", "angleAnalytic", "angleFA", "angleBP"])
          console.log(`${k.padEnd(14)} ${fmt(j[k] as { init: number; trained: number }[])}  (degrees per layer, init→trained)`);
        console.log(`checks ${JSON.stringify(j.checks)}; sign concordance ${JSON.stringify(j.signConcordance)}`);
        const threads = core.threads;
        core.dispose();
        if (opts.json) await writeOutput(opts.json, JSON.stringify({ ...j, impl: core.impl, threads, dataset: data.about }, null, 2) + "\n", "results");
        await writeOutput(svgPath, await vegaLiteToSvg(res.plot), "plot");
        console.error(
          `wrote ${[opts.json, svgPath]
            .filter(Boolean)
            .map((p) => path.relative(process.cwd(), path.resolve(p!)))
            .join(", ")}`,
        );
      },
    );
}
