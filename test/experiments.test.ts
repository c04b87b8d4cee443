import { suite } from "uvu";
import * as assert from "uvu/assert";
import { init, type Core } from "../src/index.ts";
import { alignmentExperiment, associationExperiment } from "../src/experiments/scbs18.ts";

const t = suite("SCBS18 experiments");
let core: Core;
t.before(async () => {
  core = await init({ impl: "simd" });
});

t("alignment: the angle to backprop grows with the nudging conductance; the plot encodes the curve", () => {
  // SCBS18; docs/model.md §1.7: the backprop limit is the weak-nudging limit.
  const r = alignmentExperiment(core, { sizes: [12, 8, 4], seed: 3 });
  const sym = (r.json.curve as { gSom: number; regime: string; angleDeg: number }[]).filter((c) => c.regime.startsWith("symmetric"));
  for (let i = 1; i < sym.length; i++) assert.ok(sym[i].angleDeg > sym[i - 1].angleDeg, `g_som ${sym[i].gSom}`);
  assert.ok((r.json.angleBP as number) < 10);
  // (SVG rendering is exercised by `dendritic experiment`; vega's Node build needs real ESM, not uvu's require hook.)
  assert.equal((r.plot as { data: { values: unknown } }).data.values, r.json.curve);
});

t("association: the free-running output moves toward the target within a few patterns", () => {
  const r = associationExperiment(core, { patterns: 20, seed: 2 });
  assert.ok((r.json.rmseFinal as number) < 0.9 * (r.json.rmseInitial as number), `rmse ${r.json.rmseInitial} → ${r.json.rmseFinal}`);
});

t.run();
