// Learning curves (error rate per epoch) from the JSON summaries `dendritic train --json` writes,
// as points and as a Vega-Lite line chart (rendered by src/plot/svg.ts; `dendritic plot`).
import { FormatError } from "../core/errors.js";

export type Split = "val" | "test" | "train";

export interface CurvePoint {
  run: string;
  /** Runs of one group (a sweep's configuration, over seeds) share a colour. */
  group?: string;
  split: Split;
  epoch: number;
  /** Error rate in percent. */
  error: number;
}

export const FIELD: Record<Split, string> = { val: "valError", test: "testError", train: "trainError" };

/**
 * The per-epoch error rates of one `train --json` summary. Throws FormatError naming the file and
 * the field when the file is not such a summary (no `epochs` array, an epoch without a number).
 */
export function curvesOf(summary: unknown, file: string, run: string, splits: Split[]): CurvePoint[] {
  const epochs = (summary as { epochs?: unknown })?.epochs;
  if (!Array.isArray(epochs)) throw new FormatError(`${file}: not a 'dendritic train --json' summary (expected an array field 'epochs')`);
  const points: CurvePoint[] = [];
  epochs.forEach((e: Record<string, unknown>, i) => {
    if (typeof e?.epoch !== "number") throw new FormatError(`${file}: epochs[${i}].epoch must be a number`);
    for (const split of splits) {
      const v = e[FIELD[split]];
      if (v === undefined || v === null) continue; // e.g. no training error when monitoring was off
      if (typeof v !== "number" || !Number.isFinite(v))
        throw new FormatError(`${file}: epochs[${i}].${FIELD[split]} must be a finite number, got ${JSON.stringify(v)}`);
      points.push({ run, split, epoch: e.epoch, error: 100 * v });
    }
  });
  if (points.length === 0) throw new FormatError(`${file}: no ${splits.map((s) => FIELD[s]).join(" or ")} in any epoch`);
  return points;
}

/**
 * A Vega-Lite line chart of the curves: error (%) against epoch, colour = run, dash = split.
 * When the points carry groups (a sweep's configurations), colour = group and each run is its own line.
 */
export function curveSpec(points: CurvePoint[], opts: { title?: string; logY?: boolean } = {}): Record<string, unknown> {
  const grouped = points.some((p) => p.group !== undefined);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: opts.title ?? "error rate per epoch",
    width: 560,
    height: 320,
    background: "white",
    data: { values: points },
    encoding: {
      x: { field: "epoch", type: "quantitative", title: "epoch" },
      y: { field: "error", type: "quantitative", title: "error (%)", scale: opts.logY ? { type: "log" } : { zero: false } },
      color: grouped ? { field: "group", type: "nominal", title: "configuration" } : { field: "run", type: "nominal", title: "run" },
      ...(grouped ? { detail: { field: "run", type: "nominal" } } : {}),
    },
    // Lines carry the split legend (drawn as dashed strokes); dots mark the epochs of short runs.
    layer: [
      {
        mark: { type: "line" },
        encoding: { strokeDash: { field: "split", type: "nominal", title: "split", legend: { symbolType: "stroke", symbolStrokeWidth: 2 } } },
      },
      ...(points.length <= 400 ? [{ mark: { type: "point", filled: true, size: 14 } }] : []),
    ],
  };
}
