// `dendritic plot`: learning curves (error rate per epoch) from the JSON summaries `dendritic train
// --json` writes, one line per file and split (src/plot/curves.ts), rendered to SVG with Vega-Lite.
import { Command, InvalidArgumentError } from "commander";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { FormatError } from "../core/errors.js";
import { curvesOf, curveSpec, FIELD, type CurvePoint, type Split } from "../plot/curves.js";
import { vegaLiteToSvg } from "../plot/svg.js";
import { checkOutputPaths, writeOutput } from "../node/files.js";

function splitsArg(v: string): Split[] {
  const s = v.split(",").map((x) => x.trim());
  for (const x of s) if (!(x in FIELD)) throw new InvalidArgumentError(`splits must be a comma-separated subset of val,test,train, got '${x}'`);
  return s as Split[];
}

export function plotCommand(): Command {
  return new Command("plot")
    .description("Plot learning curves (error per epoch) from 'dendritic train --json' summaries as SVG")
    .argument(
      "<files...>",
      "JSON summaries written by dendritic train --json, or sweep directories (dendritic sweep --out DIR: every finished job, coloured by configuration)",
    )
    .requiredOption("--svg <file>", "write the plot here")
    .option("--splits <list>", "which error rates: val,test,train", splitsArg, ["val", "test"] as Split[])
    .option("--title <text>", "plot title")
    .option("--log-y", "logarithmic error axis", false)
    .action(async (files: string[], opts: { svg: string; splits: Split[]; title?: string; logY: boolean }) => {
      checkOutputPaths({ "--svg": opts.svg });
      const points: CurvePoint[] = [];
      const runs: { file: string; run: string; group?: string }[] = [];
      for (const f of files) runs.push(...(await expandSweepDir(f)));
      for (const { file, run, group } of runs) {
        let text: string;
        try {
          text = await readFile(file, "utf8");
        } catch (e) {
          throw new FormatError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        }
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch (e) {
          throw new FormatError(`${file}: not valid JSON (${(e as Error).message})`);
        }
        const pts = curvesOf(json, file, run, opts.splits);
        if (group !== undefined) for (const p of pts) p.group = group;
        points.push(...pts);
      }
      await writeOutput(opts.svg, await vegaLiteToSvg(curveSpec(points, { title: opts.title, logY: opts.logY })), "plot");
      console.error(`wrote ${opts.svg} (${runs.length} runs, ${points.length} points)`);
    });
}

/**
 * A file stands for itself; a sweep directory (with sweep.json) for the summaries of its jobs that
 * have one, labelled by configuration and seed.
 */
async function expandSweepDir(arg: string): Promise<{ file: string; run: string; group?: string }[]> {
  const self = [{ file: arg, run: path.basename(arg).replace(/\.json$/i, "") }];
  const isDir = await stat(arg).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) return self;
  const recFile = path.join(arg, "sweep.json");
  let rec: { jobs?: { id: string; label: string; config?: { seed?: number } }[] };
  try {
    rec = JSON.parse(await readFile(recFile, "utf8"));
  } catch (e) {
    throw new FormatError(
      `${arg}: a directory, but not a sweep directory (cannot read ${recFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  if (!Array.isArray(rec.jobs)) throw new FormatError(`${recFile}: expected an array field 'jobs'`);
  const out: { file: string; run: string; group?: string }[] = [];
  for (const j of rec.jobs) {
    const file = path.join(arg, j.id, "summary.json");
    if (
      !(await stat(file).then(
        () => true,
        () => false,
      ))
    )
      continue;
    out.push({ file, run: `${j.label}${j.config?.seed !== undefined ? ` seed ${j.config.seed}` : ""} (${j.id})`, group: j.label });
  }
  if (out.length === 0) throw new FormatError(`${arg}: no job of this sweep has a summary yet`);
  return out;
}
