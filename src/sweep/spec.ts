// Sweep specifications: a grid and/or a list of `dendritic train` configurations, expanded into
// jobs with stable ids. A job is a configuration plus a seed; its id is derived from the job's own
// settings only (not from its position in the file), so editing a spec — adding a seed, a grid
// value or a list entry — keeps the ids, and with them the finished results, of the jobs it kept.
import { createHash } from "node:crypto";
import { ValueError } from "../core/errors.js";
import { importOptional } from "../core/optional.js";

/** A spec or job error: one line naming the file and the field. */
export class SpecError extends ValueError {
  override name = "SpecError";
}

type Kind = "string" | "int" | "intOrAuto" | "number" | "bool" | "arch" | "pair" | "any";

/** The `train` options a spec may set: canonical (camelCase) key → flag and value kind. */
export const TRAIN_KEYS: Readonly<Record<string, { flag: string; kind: Kind }>> = Object.freeze({
  model: { flag: "--model", kind: "string" },
  rule: { flag: "--rule", kind: "string" },
  dataset: { flag: "--dataset", kind: "string" },
  dataSeed: { flag: "--data-seed", kind: "int" },
  arch: { flag: "--arch", kind: "arch" },
  epochs: { flag: "--epochs", kind: "int" },
  batch: { flag: "--batch", kind: "int" },
  lr: { flag: "--lr", kind: "number" },
  lrSchedule: { flag: "--lr-schedule", kind: "string" },
  augment: { flag: "--augment", kind: "string" },
  patience: { flag: "--patience", kind: "int" },
  seed: { flag: "--seed", kind: "int" },
  shuffle: { flag: "--no-shuffle", kind: "bool" },
  limit: { flag: "--limit", kind: "int" },
  pixelRange: { flag: "--pixel-range", kind: "pair" },
  oneHot: { flag: "--one-hot", kind: "pair" },
  simd: { flag: "--simd", kind: "string" },
  impl: { flag: "--impl", kind: "string" },
  monitorEvery: { flag: "--monitor-every", kind: "int" },
  threads: { flag: "--threads", kind: "intOrAuto" },
});

/** Keys of the spec file itself. */
const SPEC_KEYS = ["name", "base", "grid", "list", "seeds"];

/** A flat configuration: train keys, plus `set.KEY` for model configuration keys (`--set KEY=…`). */
export type Config = Record<string, unknown>;

export interface SweepJob {
  /** Stable id: readable prefix + hash of the canonical configuration (also the job's directory name). */
  id: string;
  /** The job's settings (canonical keys, sorted). */
  config: Config;
  /** Hash of the configuration without its seed: jobs that differ only in seed share it. */
  group: string;
  /** `dendritic train` arguments (without --save, --json, --load, --progress). */
  args: string[];
  /** Where it came from in the spec, for error messages: e.g. "list[1] × grid{rule: fa} × seed 3". */
  origin: string;
}

export interface SweepSpec {
  name?: string;
  jobs: SweepJob[];
  /** Per group: a short label made of the settings that differ between groups (e.g. "rule=fa lr=0.1"). */
  groupLabels: Map<string, string>;
}

const camel = (k: string) => k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Stable JSON: object keys sorted at every level. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (isPlainObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

const hash = (s: string, n: number) => createHash("sha256").update(s).digest("hex").slice(0, n);

/**
 * Checks one setting and returns its canonical value. `where` names the place in the spec.
 * Only the type is checked here; ranges and meanings are checked by `train`'s own parsers
 * (see validateJobArgs), so a sweep accepts exactly what `dendritic train` accepts.
 */
function checkValue(key: string, value: unknown, where: string): unknown {
  if (key.startsWith("set.")) {
    if (key.length === 4) throw new SpecError(`${where}: 'set.' needs a model configuration key after the dot`);
    if (value === undefined || value === null || typeof value === "function")
      throw new SpecError(`${where}: ${key} must be a JSON value, got ${String(value)}`);
    return value;
  }
  const k = TRAIN_KEYS[key];
  const bad = (what: string) => new SpecError(`${where}: '${key}' must be ${what}, got ${JSON.stringify(value)}`);
  switch (k.kind) {
    case "string":
      if (typeof value !== "string" || value.trim() === "") throw bad("a non-empty string");
      return value;
    case "int":
      if (typeof value !== "number" || !Number.isInteger(value)) throw bad("an integer");
      return value;
    case "intOrAuto":
      if (value !== "auto" && (typeof value !== "number" || !Number.isInteger(value))) throw bad('an integer or "auto"');
      return value;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) throw bad("a finite number");
      return value;
    case "bool":
      if (typeof value !== "boolean") throw bad("true or false");
      return value;
    case "arch":
      if (Array.isArray(value) && value.length >= 2 && value.every((x) => Number.isInteger(x))) return value.join("-");
      if (typeof value === "string" && /^\d+([-,x]\d+)+$/.test(value)) return value.split(/[-,x]/).join("-");
      throw bad('layer sizes from input to output, e.g. [784, 500, 10] or "784-500-10"');
    case "pair":
      if (Array.isArray(value) && value.length === 2 && value.every((x) => typeof x === "number" && Number.isFinite(x))) return value;
      throw bad("two numbers, e.g. [0, 1]");
    default:
      return value;
  }
}

/**
 * Normalises one block of settings (base, a list entry, or the value lists of the grid): kebab-case
 * flags become camelCase, `set: {k: v}` becomes `set.k`, unknown keys are errors.
 */
function flatten(block: unknown, where: string, grid: boolean): Record<string, unknown> {
  if (!isPlainObject(block)) throw new SpecError(`${where} must be an object of train settings, got ${JSON.stringify(block)}`);
  const out: Record<string, unknown> = {};
  const put = (key: string, value: unknown, at: string) => {
    if (key in out) throw new SpecError(`${at}: '${key}' is given twice`);
    out[key] = value;
  };
  for (const [raw, value] of Object.entries(block)) {
    const key = raw.startsWith("set.") ? raw : camel(raw);
    if (key === "set") {
      if (!isPlainObject(value)) throw new SpecError(`${where}.set must be an object of model configuration keys, e.g. {momentum: 0.9}`);
      for (const [sk, sv] of Object.entries(value)) put(`set.${sk}`, sv, `${where}.set`);
    } else if (key.startsWith("set.") || key in TRAIN_KEYS) {
      put(key, value, where);
    } else if (["save", "load", "json", "saveBest", "progress", "resetTrainer"].includes(key)) {
      throw new SpecError(`${where}: '${raw}' is set by the sweep itself (each job saves its checkpoint, summary and log under DIR/<job id>/)`);
    } else {
      throw new SpecError(`${where}: unknown key '${raw}'; known: ${[...Object.keys(TRAIN_KEYS), "set"].join(", ")}`);
    }
  }
  for (const [key, value] of Object.entries(out)) {
    if (grid) {
      if (!Array.isArray(value)) throw new SpecError(`${where}.${key} must be a list of values, e.g. [${JSON.stringify(value)}]`);
      if (value.length === 0) throw new SpecError(`${where}.${key} is an empty list: the grid would have no jobs`);
      out[key] = value.map((v, i) => checkValue(key, v, `${where}.${key}[${i}]`));
    } else out[key] = checkValue(key, value, `${where}.${key}`);
  }
  return out;
}

function product(axes: [string, unknown[]][]): Record<string, unknown>[] {
  let rows: Record<string, unknown>[] = [{}];
  for (const [k, values] of axes) rows = rows.flatMap((r) => values.map((v) => ({ ...r, [k]: v })));
  return rows;
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/.*[\\/]/, "")
    .replace(/[^a-z0-9.]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 24);

/** `model-rule-dataset-sSEED-HASH`: readable, filesystem- and queue-safe, stable. */
export function jobId(config: Config): string {
  const parts = [config.model, config.rule, config.dataset]
    .filter((x) => typeof x === "string")
    .map((x) => slug(x as string))
    .filter(Boolean);
  if (config.seed !== undefined) parts.push(`s${String(config.seed)}`);
  parts.push(hash(canonicalJson(config), 8));
  return parts.join("-");
}

/** The `dendritic train` arguments of a configuration. */
export function trainArgs(config: Config): string[] {
  const args: string[] = [];
  for (const key of Object.keys(config).sort()) {
    const v = config[key];
    if (key.startsWith("set.")) {
      args.push("--set", `${key.slice(4)}=${typeof v === "string" ? v : JSON.stringify(v)}`);
      continue;
    }
    const { flag, kind } = TRAIN_KEYS[key];
    if (kind === "bool") {
      if (v === false) args.push(flag); // shuffle: false → --no-shuffle; true is the default
    } else if (kind === "pair") args.push(flag, (v as number[]).join(","));
    else args.push(flag, String(v));
  }
  return args;
}

/**
 * Parses a spec object (already read from JSON or YAML). `file` names it in errors.
 *
 *   name:  optional label
 *   base:  settings every job shares (e.g. {model: mlp, dataset: mnist-small, epochs: 10})
 *   grid:  setting → list of values; every combination is a configuration
 *   list:  explicit configurations (each combined with every grid point)
 *   seeds: a list of seeds, or a count n (seeds 1…n); every configuration runs once per seed
 */
export function expandSpec(raw: unknown, file: string): SweepSpec {
  if (!isPlainObject(raw)) throw new SpecError(`${file}: a sweep spec must be an object with 'base', 'grid', 'list' and/or 'seeds'`);
  for (const k of Object.keys(raw)) if (!SPEC_KEYS.includes(k)) throw new SpecError(`${file}: unknown key '${k}'; a spec has ${SPEC_KEYS.join(", ")}`);
  if (raw.grid === undefined && raw.list === undefined && raw.seeds === undefined) {
    throw new SpecError(`${file}: nothing to run: give 'grid', 'list' and/or 'seeds'`);
  }
  if (raw.name !== undefined && typeof raw.name !== "string") throw new SpecError(`${file}: 'name' must be a string`);
  const base = raw.base === undefined ? {} : flatten(raw.base, `${file}: base`, false);
  const grid = raw.grid === undefined ? {} : flatten(raw.grid, `${file}: grid`, true);
  if (raw.grid !== undefined && Object.keys(grid).length === 0) throw new SpecError(`${file}: grid is empty: give at least one setting with a list of values`);
  let list: Record<string, unknown>[] = [{}];
  if (raw.list !== undefined) {
    if (!Array.isArray(raw.list)) throw new SpecError(`${file}: 'list' must be a list of configurations`);
    if (raw.list.length === 0) throw new SpecError(`${file}: 'list' is empty`);
    list = raw.list.map((e, i) => flatten(e, `${file}: list[${i}]`, false));
  }
  let seeds: number[] | undefined;
  if (raw.seeds !== undefined) {
    const s = raw.seeds;
    if (typeof s === "number" && Number.isInteger(s) && s >= 1 && s <= 10000) seeds = Array.from({ length: s }, (_, i) => i + 1);
    else if (Array.isArray(s) && s.length > 0 && s.every((x) => Number.isInteger(x) && x >= 0 && x <= 2 ** 32 - 1)) seeds = s as number[];
    else throw new SpecError(`${file}: 'seeds' must be a count n ≥ 1 (seeds 1…n) or a non-empty list of integer seeds, got ${JSON.stringify(s)}`);
    if (new Set(seeds).size !== seeds.length) throw new SpecError(`${file}: 'seeds' lists a seed twice`);
    if ("seed" in grid) throw new SpecError(`${file}: give seeds either as 'seeds' or as grid.seed, not both`);
  }
  const axes = Object.entries(grid) as [string, unknown[]][];
  const jobs: SweepJob[] = [];
  const byId = new Map<string, string>();
  list.forEach((entry, li) => {
    for (const k of Object.keys(entry)) {
      if (k in grid) throw new SpecError(`${file}: '${k}' is in both list[${li}] and grid; give it in one place`);
      if (seeds && k === "seed") throw new SpecError(`${file}: list[${li}] sets 'seed' and the spec has 'seeds'; give seeds in one place`);
    }
    for (const point of product(axes)) {
      for (const seed of seeds ?? [undefined]) {
        const config: Config = { ...base, ...entry, ...point };
        if (seed !== undefined) config.seed = seed;
        const sorted: Config = {};
        for (const k of Object.keys(config).sort()) sorted[k] = config[k];
        const origin =
          [raw.list !== undefined ? `list[${li}]` : "", axes.length ? `grid ${canonicalJson(point)}` : "", seed !== undefined ? `seed ${seed}` : ""]
            .filter(Boolean)
            .join(" × ") || "base";
        const id = jobId(sorted);
        const prev = byId.get(id);
        if (prev) throw new SpecError(`${file}: ${origin} and ${prev} are the same job (${id}); each configuration and seed must appear once`);
        byId.set(id, origin);
        const { seed: _s, ...rest } = sorted;
        jobs.push({ id, config: sorted, group: hash(canonicalJson(rest), 8), args: trainArgs(sorted), origin });
      }
    }
  });
  return { name: raw.name as string | undefined, jobs, groupLabels: groupLabels(jobs) };
}

/** Labels groups by the settings (other than the seed) whose values differ between groups. */
export function groupLabels(jobs: { config: Config; group: string }[]): Map<string, string> {
  const first = new Map<string, Config>();
  for (const j of jobs) if (!first.has(j.group)) first.set(j.group, j.config);
  const keys = new Set<string>();
  for (const c of first.values()) for (const k of Object.keys(c)) keys.add(k);
  keys.delete("seed");
  const configs = [...first.values()];
  const varying = [...keys].filter((k) => new Set(configs.map((c) => canonicalJson(c[k] ?? null))).size > 1).sort();
  const labels = new Map<string, string>();
  for (const [g, c] of first) {
    const label = varying.map((k) => `${k}=${c[k] === undefined ? "(default)" : typeof c[k] === "string" ? c[k] : canonicalJson(c[k])}`).join(" ");
    labels.set(g, label || [c.model, c.rule, c.dataset].filter((x) => x !== undefined).join(" ") || "all");
  }
  return labels;
}

/** Reads a spec file's text as JSON (.json) or YAML (.yaml/.yml; other names: JSON, else YAML). */
export async function parseSpecText(text: string, file: string): Promise<unknown> {
  const lower = file.toLowerCase();
  const yaml = lower.endsWith(".yaml") || lower.endsWith(".yml");
  if (!yaml) {
    try {
      return JSON.parse(text);
    } catch (e) {
      if (lower.endsWith(".json")) throw new SpecError(`${file}: not valid JSON (${(e as Error).message})`);
    }
  }
  const { parse } = await importOptional<typeof import("yaml")>("yaml", "a YAML sweep spec");
  try {
    return parse(text, { prettyErrors: false });
  } catch (e) {
    throw new SpecError(`${file}: not valid YAML (${(e as Error).message.split("\n")[0]})`);
  }
}
