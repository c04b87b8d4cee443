// Headless SVG rendering of Vega-Lite specifications (vega's "none" renderer needs no canvas).
import * as vega from "vega";
import * as vl from "vega-lite";

/** Renders a Vega-Lite specification to an SVG document. */
export async function vegaLiteToSvg(spec: Record<string, unknown>): Promise<string> {
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
