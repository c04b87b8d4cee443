// `dendritic experiment <name>`: the SCBS18 experiments of docs/model.md §1.10, each writing its numbers as
// JSON and the paper's curve as SVG.
import { Command, InvalidArgumentError } from "commander";

import path from "node:path";
import { init } from "../core/core.js";
import { EXPERIMENTS, type ExperimentName } from "../experiments/scbs18.js";
import { loadPlotting, vegaLiteToSvg } from "../plot/svg.js";
import { writeJson, writeFileAtomic } from "../node/files.js";
import { buildOptions, chosenBuild } from "./runtime.js";

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
      .addOption(buildOptions()[1]);
    if (name !== "alignment") sub.option("--patterns <n>", "number of 100 ms patterns (default: the experiment's own)", int("patterns", 1));
    if (name === "regression") sub.option("--top-down-scale <a>", "fixed top-down weights B ~ U(−a, a) (default 0.1)", (v: string) => {
      const a = Number(v);
      if (!Number.isFinite(a) || a < 0) throw new InvalidArgumentError(`--top-down-scale must be a number ≥ 0, got '${v}'`);
      return a;
    });
    else sub.option("--sizes <a-b-c>", "layer sizes", sizesArg);
    sub.action(async (opts: { json?: string; svg?: string | false; seed: number; simd?: string; impl?: string; patterns?: number; sizes?: number[]; topDownScale?: number }) => {
      if (opts.svg !== false) await loadPlotting(`dendritic experiment ${name} (its SVG plot; or pass --no-svg)`);
      const core = await init({ impl: chosenBuild(opts) });
      process.stderr.write(`${name}: seed ${opts.seed}, ${core.impl}\n`);
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
      if (opts.json) await writeJson(opts.json, { ...res.json, impl: core.impl });
      const svgPath = opts.svg === false ? undefined : opts.svg ?? (opts.json ? opts.json.replace(/\.json$/i, "") + ".svg" : `${name}.svg`);
      if (svgPath) await writeFileAtomic(svgPath, await vegaLiteToSvg(res.plot));
      if (opts.json || svgPath) console.error(`wrote ${[opts.json, svgPath].filter(Boolean).map((p) => path.relative(process.cwd(), path.resolve(p!))).join(", ")}`);
    });
    cmd.addCommand(sub);
  }
  return cmd;
}

