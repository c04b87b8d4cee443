// Configuration of BrainProp and its backprop baseline (PBR20; docs/model.md §3): the published
// settings, the preset architectures, and the validation that names the offending field.
import { ValueError, assertFinite, assertInt } from "../../core/errors.js";

export type Rule = "brainprop" | "bp";
export type Padding = "same" | "valid";

export type LayerSpec =
  | { type: "conv"; filters: number; stride?: number; padding?: Padding }
  | { type: "local"; filters: number; stride?: number; padding?: Padding }
  | { type: "dense"; units: number }
  | { type: "relu" }
  | { type: "batchnorm"; momentum?: number; eps?: number }
  | { type: "dropout"; rate: number };

/** What `new BrainPropNet(core, options)` and `createModel(core, "brainprop", options)` take (defaults fill the rest). */
export type BrainPropOptions = Partial<BrainPropConfig>;

export interface BrainPropConfig {
  /** "brainprop" (PBR20) or "bp" (backprop with softmax cross-entropy on the same network). */
  rule: Rule;
  /** Input image shape [H, W, C], pixels stored H, W, C (channels last). MNIST: [28, 28, 1]. */
  input: [number, number, number];
  /** Number of classes = linear output units (action values). */
  classes: number;
  /** Named architecture of PBR20 (docs/model.md §3: "dense", "conv", "local") or "custom" (use `layers`). */
  net: "dense" | "conv" | "local" | "custom";
  /** Hidden layers (the linear output layer is appended). Filled from `net` unless net = "custom". */
  layers: LayerSpec[];
  /** Exploration probability ε (PBR20: 0.02). */
  epsilon: number;
  /** SGD learning rate α (PBR20: 0.1, halved every 100 epochs by the trainer's schedule). */
  lr: number;
  /** Weights N(0, initStd²) (PBR20: 0.005; 0.01 for dense MNIST). */
  initStd: number;
  /** Batch-norm momentum of the running statistics and ε (Keras defaults 0.99 → 0.01, 1e-3). */
  bnMomentum: number;
  bnEps: number;
  maxBatch: number;
  seed: number;
}

/** PBR20 settings (docs/model.md §3). */
export const PBR20 = Object.freeze({ epsilon: 0.02, lr: 0.1, initStd: 0.005, initStdDense: 0.01, batch: 128, dropout: 0.3 });

/** The architectures of PBR20 (docs/model.md §3; hidden layers; the linear output layer is appended). */
export function presetLayers(net: "dense" | "conv" | "local"): LayerSpec[] {
  if (net === "dense") {
    return [
      { type: "dense", units: 1500 },
      { type: "relu" },
      { type: "dense", units: 1000 },
      { type: "relu" },
      { type: "dense", units: 500 },
      { type: "relu" },
    ];
  }
  // 32@3×3 s1 same → ReLU → BN → 32@3×3 s2 → ReLU → BN → dropout 0.3 → dense 500 → dropout 0.3 → out.
  // The padding of the stride-2 layer is not stated in PBR20 (docs/model.md §3); "same" is our choice (28 → 14).
  const t = net === "conv" ? "conv" : "local";
  return [
    { type: t, filters: 32, stride: 1, padding: "same" },
    { type: "relu" },
    { type: "batchnorm" },
    { type: t, filters: 32, stride: 2, padding: "same" },
    { type: "relu" },
    { type: "batchnorm" },
    { type: "dropout", rate: PBR20.dropout },
    { type: "dense", units: 500 },
    { type: "relu" },
    { type: "dropout", rate: PBR20.dropout },
  ];
}

const KEYS = ["arch", "rule", "input", "classes", "net", "layers", "epsilon", "lr", "initStd", "bnMomentum", "bnEps", "maxBatch", "seed"];

/** Validates a (partial) configuration and fills defaults; errors name the field. */
export function brainpropConfig(c: Record<string, unknown>): BrainPropConfig {
  for (const k of Object.keys(c)) if (!KEYS.includes(k)) throw new ValueError(`brainprop: unknown configuration key '${k}'; known: ${KEYS.join(", ")}`);
  const rule = (c.rule ?? "brainprop") as Rule;
  if (rule !== "brainprop" && rule !== "bp") throw new ValueError(`brainprop: rule must be "brainprop" or "bp", got ${JSON.stringify(c.rule)}`);
  // Without an input shape, a dense `arch` whose first size is not MNIST's 784 (Bars, Yin-Yang, …)
  // takes a flat input of that size.
  const flatArch =
    c.input === undefined && c.net === undefined && c.layers === undefined && Array.isArray(c.arch) && Number.isInteger(c.arch[0]) && c.arch[0] !== 784;
  const input = (c.input ?? (flatArch ? [1, 1, (c.arch as number[])[0]] : [28, 28, 1])) as [number, number, number];
  if (!Array.isArray(input) || input.length !== 3) throw new ValueError(`brainprop: input must be [H, W, C], got ${JSON.stringify(c.input)}`);
  input.forEach((v, i) => assertInt(v, `brainprop: input[${i}]`, 1, 4096));
  const classes = (c.classes ?? 10) as number;
  assertInt(classes, "brainprop: classes", 2, 65536);
  // An explicit net or layer list takes precedence over arch: the CLI always supplies an arch (the
  // data set's default when --arch is absent), so `--set net=conv` must win over it.
  if (c.arch !== undefined && c.net === undefined && c.layers === undefined) {
    // `arch` [inputs, hidden…, classes] (the CLI's --arch): a dense ReLU network of these sizes
    const a = c.arch as number[];
    if (!Array.isArray(a) || a.length < 2) throw new ValueError(`brainprop: arch must be [inputs, hidden…, classes], got ${JSON.stringify(c.arch)}`);
    a.forEach((v, i) => assertInt(v, `brainprop: arch[${i}]`, 1, 1 << 20));
    const hw = input[0] * input[1] * input[2];
    if (a[0] !== hw) throw new ValueError(`brainprop: arch[0] = ${a[0]} does not match input ${JSON.stringify(input)} (${hw} values)`);
    if (c.classes !== undefined && c.classes !== a[a.length - 1])
      throw new ValueError(`brainprop: arch ends in ${a[a.length - 1]} outputs but classes = ${String(c.classes)}`);
    const rest = Object.fromEntries(Object.entries(c).filter(([k]) => k !== "arch"));
    return brainpropConfig({
      ...rest,
      input,
      net: "custom",
      classes: a[a.length - 1],
      layers: a.slice(1, -1).flatMap((units) => [{ type: "dense", units }, { type: "relu" }]),
    });
  }
  c = Object.fromEntries(Object.entries(c).filter(([k]) => k !== "arch"));
  const net = (c.net ?? (c.layers !== undefined ? "custom" : "conv")) as BrainPropConfig["net"];
  if (!["dense", "conv", "local", "custom"].includes(net))
    throw new ValueError(`brainprop: net must be dense, conv, local or custom, got ${JSON.stringify(c.net)}`);
  let layers: LayerSpec[];
  if (net === "custom") {
    if (!Array.isArray(c.layers)) throw new ValueError(`brainprop: net "custom" needs a layers array`);
    layers = (c.layers as unknown[]).map((l, i) => checkLayer(l, i));
  } else {
    if (c.layers !== undefined && JSON.stringify(c.layers) !== JSON.stringify(presetLayers(net))) {
      throw new ValueError(`brainprop: layers given together with net "${net}"; use net "custom" for your own layers`);
    }
    layers = presetLayers(net);
  }
  const num = (k: string, d: number, lo: number, hi: number, open = false): number => {
    const v = (c[k] ?? d) as number;
    assertFinite(v, `brainprop: ${k}`);
    if (v < lo || v > hi || (open && (v === lo || v === hi)))
      throw new ValueError(`brainprop: ${k} must be in ${open ? "(" : "["}${lo}, ${hi}${open ? ")" : "]"}, got ${v}`);
    return v;
  };
  const cfg: BrainPropConfig = {
    rule,
    input: [input[0], input[1], input[2]],
    classes,
    net,
    layers,
    epsilon: num("epsilon", PBR20.epsilon, 0, 1),
    lr: num("lr", PBR20.lr, 0, 1e6),
    initStd: num("initStd", net === "dense" ? PBR20.initStdDense : PBR20.initStd, 0, 1e3),
    bnMomentum: num("bnMomentum", 0.01, 0, 1),
    bnEps: num("bnEps", 1e-3, 0, 1, true),
    maxBatch: (c.maxBatch ?? PBR20.batch) as number,
    seed: (c.seed ?? 1) as number,
  };
  assertInt(cfg.maxBatch, "brainprop: maxBatch", 1, 65536);
  assertInt(cfg.seed, "brainprop: seed", 0, 2 ** 32 - 1);
  return cfg;
}

function checkLayer(l: unknown, i: number): LayerSpec {
  const at = `brainprop: layers[${i}]`;
  if (typeof l !== "object" || l === null) throw new ValueError(`${at} must be an object with a 'type'`);
  const o = l as Record<string, unknown>;
  const allowed = (keys: string[]) => {
    for (const k of Object.keys(o)) if (k !== "type" && !keys.includes(k)) throw new ValueError(`${at}: unknown key '${k}' for a ${String(o.type)} layer`);
  };
  switch (o.type) {
    case "conv":
    case "local": {
      allowed(["filters", "stride", "padding"]);
      assertInt(o.filters as number, `${at}.filters`, 1, 65536);
      const stride = (o.stride ?? 1) as number;
      if (stride !== 1 && stride !== 2) throw new ValueError(`${at}.stride must be 1 or 2, got ${JSON.stringify(o.stride)}`);
      const padding = (o.padding ?? "same") as Padding;
      if (padding !== "same" && padding !== "valid") throw new ValueError(`${at}.padding must be "same" or "valid", got ${JSON.stringify(o.padding)}`);
      return { type: o.type, filters: o.filters as number, stride, padding };
    }
    case "dense":
      allowed(["units"]);
      assertInt(o.units as number, `${at}.units`, 1, 1 << 20);
      return { type: "dense", units: o.units as number };
    case "relu":
      allowed([]);
      return { type: "relu" };
    case "batchnorm": {
      allowed(["momentum", "eps"]);
      const out: LayerSpec = { type: "batchnorm" };
      if (o.momentum !== undefined) {
        assertFinite(o.momentum as number, `${at}.momentum`);
        if ((o.momentum as number) < 0 || (o.momentum as number) > 1) throw new ValueError(`${at}.momentum must be in [0, 1]`);
        out.momentum = o.momentum as number;
      }
      if (o.eps !== undefined) {
        assertFinite(o.eps as number, `${at}.eps`);
        if ((o.eps as number) <= 0) throw new ValueError(`${at}.eps must be > 0`);
        out.eps = o.eps as number;
      }
      return out;
    }
    case "dropout": {
      allowed(["rate"]);
      assertFinite(o.rate as number, `${at}.rate`);
      const rate = o.rate as number;
      if (rate < 0 || rate >= 1) throw new ValueError(`${at}.rate must be in [0, 1), got ${rate}`);
      return { type: "dropout", rate };
    }
    default:
      throw new ValueError(`${at}.type must be conv, local, dense, relu, batchnorm or dropout, got ${JSON.stringify(o.type)}`);
  }
}
