// `dendritic plot`: learning curves (error rate per epoch) from the JSON summaries `dendritic train
// --json` writes, one line per file and split (src/plot/curves.ts), rendered to SVG with Vega-Lite.
import { Command, InvalidArgumentError } from "commander";
import { readFile } from "node:fs/promises";
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
    .argument("<files...>", "JSON summaries written by dendritic train --json")
    .requiredOption("--svg <file>", "write the plot here")
    .option("--splits <list>", "which error rates: val,test,train", splitsArg, ["val", "test"] as Split[])
    .option("--title <text>", "plot title")
    .option("--log-y", "logarithmic error axis", false)
    .action(async (files: string[], opts: { svg: string; splits: Split[]; title?: string; logY: boolean }) => {
      checkOutputPaths({ "--svg": opts.svg });
      const points: CurvePoint[] = [];
      for (const file of files) {
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
        points.push(...curvesOf(json, file, path.basename(file).replace(/\.json$/i, ""), opts.splits));
      }
      await writeOutput(opts.svg, await vegaLiteToSvg(curveSpec(points, { title: opts.title, logY: opts.logY })), "plot");
      console.error(`wrote ${opts.svg} (${files.length} runs, ${points.length} points)`);
    });
}
