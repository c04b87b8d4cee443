import { suite } from "uvu";
import * as assert from "uvu/assert";
import { init, type Core } from "../src/index.ts";
import { alignmentExperiment, associationExperiment, regressionExperiment } from "../src/experiments/scbs18.ts";
import { YINYANG_RECIPE, barsExperiment, trainFullDynamics } from "../src/experiments/classify.ts";
import { bars, yinyang } from "../src/data/generators.ts";

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

t("regression (default B ~ U(−1, 1)): the student is already below the output-only control after 4000 patterns", () => {
  // SCBS18 Fig. 2: the hidden layer helps. Full 20 000-pattern runs end 40–46 % below the control
  // (docs/experiments/regression.md); with B ~ U(−0.1, 0.1) the two stay within 0.1 % here.
  const r = regressionExperiment(core, { patterns: 4000, seed: 1 });
  const j = r.json as { testMSE: number; shallowTestMSE: number; initialTestMSE: number; topDownScale: number; curve: { model: string }[] };
  assert.is(j.topDownScale, 1);
  assert.ok(j.testMSE < 0.97 * j.shallowTestMSE, `student ${j.testMSE} vs control ${j.shallowTestMSE}`);
  assert.ok(j.shallowTestMSE < 0.6 * j.initialTestMSE, "the control learns too (it is a fair baseline)");
  assert.equal(new Set(j.curve.map((c) => c.model)).size, 2, "both learning curves are in the plot data");
});

t("bars 3×3 in full dynamics reaches 100 % test accuracy within one epoch", () => {
  const r = barsExperiment(core, bars({ seed: 1 }), { epochs: 1 });
  const j = r.json as { testAccuracy: number; firstPerfectTest: { pattern: number } | null };
  assert.is(j.testAccuracy, 1);
  assert.ok(j.firstPerfectTest !== null && j.firstPerfectTest.pattern <= 3000);
});

t("yinyang 4-30-3 in full dynamics with the default recipe (the Bern lab's kept configuration): above 70 % after 2000 patterns", () => {
  // docs/experiments/fulldynamics.md: seeds 1–3 are at 76–77 % test accuracy and output MSE 0.094–0.096
  // after 2000 patterns (the lab's runs of this configuration: 74–86 % after 6000); chance is 33 %.
  assert.equal(YINYANG_RECIPE.thresholdInput, 0.5);
  assert.equal([YINYANG_RECIPE.gA, YINYANG_RECIPE.gSom, ...YINYANG_RECIPE.etaUp, ...YINYANG_RECIPE.etaIP], [0.2798, 0.3374, 6.068, 7.239e-4, 1.448e-3]);
  const r = trainFullDynamics(core, yinyang({ seed: 1, train: 2000 }), { sizes: [4, 30, 3], seed: 1, epochs: 1 });
  try {
    const curve = r.json.curve as { testAccuracy: number; testMse: number }[];
    const [first, last] = [curve[0], curve[curve.length - 1]];
    assert.ok(last.testAccuracy >= 0.7, `test accuracy ${last.testAccuracy}`);
    assert.ok(last.testMse < 0.11 && first.testMse > 0.3, `test MSE ${first.testMse} → ${last.testMse}`);
  } finally {
    r.dispose();
  }
});

t.run();
