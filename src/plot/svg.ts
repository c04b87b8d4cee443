// Headless SVG rendering of Vega-Lite specifications (vega's "none" renderer needs no canvas).
// vega and vega-lite are optional peer dependencies, loaded on first use.
import type * as Vega from "vega";
import type * as VegaLite from "vega-lite";
import { importOptional } from "../core/optional.js";

const PLOT_PACKAGES = ["vega", "vega-lite"];

/** Loads vega and vega-lite, or throws MissingDependencyError ("… npm install vega vega-lite"). */
export async function loadPlotting(use = "SVG plotting"): Promise<{ vega: typeof Vega; vl: typeof VegaLite }> {
  const vega = await importOptional<typeof Vega>("vega", use, PLOT_PACKAGES);
  const vl = await importOptional<typeof VegaLite>("vega-lite", use, PLOT_PACKAGES);
  return { vega, vl };
}

/** Renders a Vega-Lite specification to an SVG document. */
export async function vegaLiteToSvg(spec: Record<string, unknown>): Promise<string> {
  const { vega, vl } = await loadPlotting();
  const compiled = vl.compile(spec as unknown as VegaLite.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
