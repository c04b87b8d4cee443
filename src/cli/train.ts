// `dendritic train` and `dendritic eval`: any registered model on any data set, with progress,
// checkpoints (safetensors) and a JSON summary.
import { Command, InvalidArgumentError, Option } from "commander";
import { init, type Core } from "../core/core.js";
import { ValueError } from "../core/errors.js";
import type { ImplChoice } from "../core/wasm.js";
import { formatAugment, parseAugment, type Augment } from "../data/augment.js";
import type { Dataset, EncodingOptions } from "../data/dataset.js";
import { modelFactory, modelKinds } from "../models/registry.js";
import { readCheckpoint } from "../node/checkpoint.js";
import { DATASET_NAMES, loadDataset } from "../node/data.js";
import { checkOutputPaths, writeOutput } from "../node/files.js";
import { checkCompatible, type Checkpoint } from "../train/checkpoint.js";
import type { TrainableModel } from "../train/model.js";
import { Trainer, parseSchedule, type Schedule, type TrainSummary } from "../train/trainer.js";
import { resolveRun, storedEncoding, trainLimit, type RunDefaults, type RunRequest } from "../train/resume.js";
import { ProgressReporter, formatDuration, type ProgressMode } from "./progress.js";
import { CHECKPOINT_EVERY_HELP, EXIT_HELP, RunControl, chanceError, parseCheckpointEvery, signalExitCode, type CheckpointEvery } from "./run-control.js";
import { buildOptions, chosenBuild, runtimeLabel, threadsOption } from "./runtime.js";
import { MODEL_VOCABULARY, modelConfig, type CommonModelOptions } from "./models.js";

// ------------------------------------------------------------------------------------------------
// Argument parsers: each throws InvalidArgumentError, which commander reports with the flag name.

function intArg(min: number, max = 2 ** 31 - 1) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\s*[+-]?\d+\s*$/.test(v) || !Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer in [${min}, ${max}]`);
    return n;
  };
}

function positiveNumber(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a finite number > 0");
  return n;
}

function archArg(v: string): number[] {
  const parts = v.split(/[-,x]/);
  const sizes = parts.map(Number);
  if (parts.length < 2 || parts.some((p) => !/^\d+$/.test(p)) || sizes.some((s) => s < 1 || s > 65536)) {
    throw new InvalidArgumentError("expected layer sizes from input to output joined by '-', e.g. 784-500-500-10");
  }
  return sizes;
}

function pairArg(v: string): [number, number] {
  const p = v.split(",");
  const a = p.map(Number);
  if (p.length !== 2 || p.some((s) => s.trim() === "") || !a.every(Number.isFinite))
    throw new InvalidArgumentError("expected two numbers separated by a comma, e.g. 0,1");
  return [a[0], a[1]];
}

/** A parser of the library (which throws ValueError) as a commander argument parser: its message becomes commander's. */
function asArg<T>(parse: (text: string) => T): (v: string) => T {
  return (v) => {
    try {
      return parse(v);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

const augmentArg = asArg(parseAugment);
const scheduleArg = asArg(parseSchedule);
const checkpointEveryArg = asArg(parseCheckpointEvery);

/** `key=value`; the value is read as JSON when it parses (numbers, booleans, arrays), else as a string. */
function setArg(v: string, prev: Record<string, unknown> = {}): Record<string, unknown> {
  const i = v.indexOf("=");
  if (i < 1) throw new InvalidArgumentError("expected key=value, e.g. --set momentum=0.9");
  const key = v.slice(0, i);
  const text = v.slice(i + 1);
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    /* a plain string */
  }
  return { ...prev, [key]: value };
}

/** Default hidden layers when --arch is not given: SCBS18's MNIST net, Bern-lab toys, SCBS18 Fig. 2. */
function defaultArch(d: Dataset): number[] {
  const hidden: Record<string, number[]> = { bars: [30], yinyang: [30], teacher: [50] };
  return [d.inputSize, ...(hidden[d.name] ?? [500, 500]), d.outputSize];
}

/**
 * Training defaults of the generated data sets, per model kind: used for every setting the user
 * did not give (flags or --set) on a fresh run. MNIST-sized data keep the models' own defaults.
 * Chosen on the validation split (docs/results.md lists the runs): the MNIST-tuned rates learn
 * Bars and Yin-Yang far too slowly, and Yin-Yang needs online learning (batch 1) and a larger
 * hidden-layer rate for the microcircuit's fast mode; teacher (regression) targets are potentials,
 * so the microcircuit reads out its output potentials there.
 */
export const DATASET_DEFAULTS: Readonly<Record<string, { epochs: number; models: Record<string, { batch?: number; config: Record<string, unknown> }> }>> = {
  bars: { epochs: 10, models: { microcircuit: { config: { eta: 0.2 } }, brainprop: { config: { lr: 0.1, initStd: 0.5 } } } },
  yinyang: {
    epochs: 100,
    models: {
      microcircuit: { batch: 1, config: { eta: 0.2, etaLayerFactors: [16, 1] } },
      mlp: { config: { lr: 0.5 } },
      brainprop: { config: { lr: 0.1, initStd: 0.5 } },
    },
  },
  teacher: { epochs: 20, models: { microcircuit: { config: { eta: 0.3, readout: "potential" } } } },
};

/** The data set's defaults for this model, minus what the user set (--lr covers the model's rate key). */
function datasetDefaults(dataset: string, kind: string, given: { lr: boolean; sets: Record<string, unknown> }): Record<string, unknown> {
  const cfg = { ...(DATASET_DEFAULTS[dataset]?.models[kind]?.config ?? {}) };
  for (const k of Object.keys(cfg)) if (k in given.sets || (given.lr && (k === "lr" || k === "eta"))) delete cfg[k];
  return cfg;
}

// ------------------------------------------------------------------------------------------------
// A process that runs `train` jobs one after another on request (a sweep's job process,
// src/sweep/slot.ts) may give the run in progress more threads when cores fall idle.

let resizableRuns = false;
let threadsWanted: number | undefined;
let onThreadsWanted: ((n: number) => void) | undefined;

/**
 * Runs of this process load a core whose thread count can change (the threads build, also for one
 * thread: the same bits, docs/threads.md), so that wantThreads() can give them more.
 */
export function resizableTrainRuns(on: boolean): void {
  resizableRuns = on;
}

/**
 * Asks the run in progress (or the next one to start, if none is training yet) for `n` threads
 * from its next mini-batch on; fewer than it has are ignored. undefined withdraws a request that
 * no run has taken yet.
 */
export function wantThreads(n: number | undefined): void {
  threadsWanted = n;
  if (n !== undefined) onThreadsWanted?.(n);
}

// ------------------------------------------------------------------------------------------------

interface TrainOpts {
  model?: string;
  rule?: string;
  dataset?: string;
  dataSeed: number;
  classes?: number;
  arch?: number[];
  epochs: number;
  batch?: number;
  lr?: number;
  lrSchedule?: Schedule;
  augment?: Augment;
  patience?: number;
  seed?: number;
  shuffle: boolean;
  limit?: number;
  pixelRange?: [number, number];
  oneHot?: [number, number];
  set?: Record<string, unknown>;
  save?: string;
  saveBest?: string;
  checkpointEvery: CheckpointEvery;
  load?: string;
  resetTrainer: boolean;
  json?: string;
  simd: ImplChoice;
  impl?: ImplChoice;
  threads: number | "auto";
  progress: ProgressMode;
  monitorEvery: number;
}

function explicit(cmd: Command, name: string): boolean {
  const src = cmd.getOptionValueSource(name);
  return src === "cli" || src === "env";
}

/** The run settings used when neither a flag nor a loaded checkpoint gives one. */
const RUN_DEFAULTS: RunDefaults = {
  model: "microcircuit",
  dataset: "mnist-small",
  dataSeed: 1,
  batchSize: 10,
  seed: 1,
  shuffle: true,
  schedule: { kind: "constant" },
};

export function trainCommand(): Command {
  const cmd = new Command("train")
    .description("Train a model on a data set; prints per-epoch validation and test error, optionally saves a checkpoint and a JSON summary")
    .addOption(new Option("--model <kind>", "model kind (registered: see below)").default(RUN_DEFAULTS.model))
    .option("--rule <rule>", "learning rule, for models that have several (mlp: bp, fa, dfa, usf, frsf, brsf; spiking: scfa-frsf, scfa-usf, scfa-brsf, fa, bp)")
    .addOption(new Option("--dataset <name>", `data set: ${DATASET_NAMES.join(", ")}`).default(RUN_DEFAULTS.dataset))
    .addOption(
      new Option("--data-seed <n>", "seed of generated data sets (bars, yinyang, teacher)").default(RUN_DEFAULTS.dataSeed).argParser(intArg(0, 2 ** 32 - 1)),
    )
    .addOption(
      new Option("--classes <n>", "idx:DIR: number of classes (default: the largest label + 1, at least 10; EMNIST letters 27)").argParser(intArg(2, 256)),
    )
    .addOption(
      new Option(
        "--arch <sizes>",
        "layer sizes, inputs first (default: the model's own when it fits the data set, else inputs-500-500-outputs; bars/yinyang 30 hidden, teacher 50)",
      ).argParser(archArg),
    )
    .addOption(
      new Option("--epochs <n>", "total epochs (a resumed run continues up to this number; default 10, yinyang 100, teacher 20)")
        .default(10)
        .argParser(intArg(0)),
    )
    .addOption(new Option("--batch <n>", "mini-batch size (default 10, SCBS18; microcircuit on yinyang 1)").argParser(intArg(1, 65536)))
    .addOption(new Option("--lr <x>", "global learning rate (model-specific meaning; see the model's options)").argParser(positiveNumber))
    .addOption(
      new Option(
        "--lr-schedule <s>",
        "constant | step:EVERY:FACTOR (e.g. step:50:0.5) | exp:GAMMA | milestones:E1,E2,…:FACTOR (e.g. milestones:10,15:0.1) (default constant)",
      ).argParser(scheduleArg),
    )
    .addOption(
      new Option(
        "--augment <a>",
        "none | shift:P: translate every training image by whole pixels drawn from −P…P on each axis, anew each epoch (image data sets; default none)",
      ).argParser(augmentArg),
    )
    .addOption(new Option("--patience <n>", "early stopping: stop after n epochs without a better validation error").argParser(intArg(1)))
    .addOption(new Option("--seed <n>", "seed of the model initialisation and of shuffling (default 1)").argParser(intArg(0, 2 ** 32 - 1)))
    .option("--no-shuffle", "present training examples in file order every epoch")
    .addOption(new Option("--limit <n>", "train on the first n training examples only").argParser(intArg(1)))
    .addOption(new Option("--pixel-range <lo,hi>", "scale image bytes 0…255 to lo…hi (default 0,1)").argParser(pairArg))
    .addOption(new Option("--one-hot <off,on>", "also pass one-hot targets with these values (e.g. 0.1,0.9); labels are always passed").argParser(pairArg))
    .addOption(new Option("--set <key=value>", "set a model configuration key (repeatable); see the model options below").argParser(setArg))
    .option("--save <file>", "write a checkpoint (safetensors) during the run (see --checkpoint-every) and when it ends or is interrupted")
    .addOption(new Option("--checkpoint-every <n|Nm>", CHECKPOINT_EVERY_HELP).default({ epochs: 1 }, "1").argParser(checkpointEveryArg))
    .option("--save-best <file>", "write a checkpoint of the best-validation epoch's weights whenever a new best epoch happens")
    .option("--load <file>", "start from a checkpoint: resumes its run (epoch, shuffling, schedule) unless --reset-trainer")
    .option("--reset-trainer", "with --load: use only the checkpoint's weights and start at epoch 0", false)
    .option("--json <file>", "write a JSON summary (status, testError, valError, epochs, examplesPerS, wallS, …), updated every epoch")
    .addOption(
      new Option("--progress <mode>", "progress display: auto (bar on a TTY, else lines), bar, lines, none")
        .choices(["auto", "bar", "lines", "none"])
        .default("auto"),
    )
    .addOption(new Option("--monitor-every <k>", "estimate the running training error on every k-th batch (0: off)").default(10).argParser(intArg(0)))
    .addOption(buildOptions()[0])
    .addOption(buildOptions()[1])
    .addOption(threadsOption())
    .addHelpText("after", () => EXIT_HELP + modelHelp())
    .action(async (opts: TrainOpts, command: Command) => {
      await runTrain(opts, command);
    });
  return cmd;
}

function modelHelp(): string {
  const lines = ["", "Models:"];
  for (const kind of modelKinds()) {
    const f = modelFactory(kind);
    lines.push(`  ${kind}: ${f.description}`);
    for (const [k, d] of Object.entries(MODEL_VOCABULARY[kind]?.options ?? {})) lines.push(`      --set ${k}=…  ${d}`);
  }
  if (lines.length === 2) lines.push("  (none registered)");
  return lines.join("\n");
}

/**
 * Creates the model. Without --arch the model's own default architecture is used when it fits the
 * data set; when it does not fit (or the model has no default), the data set's default
 * (defaultArch) is used instead.
 */
function createFitting(
  core: Core,
  kind: string,
  config: Record<string, unknown>,
  dataset: Dataset,
  mayDefault: boolean,
  withArch: (arch: number[]) => Record<string, unknown>,
): TrainableModel {
  const f = modelFactory(kind);
  if (!mayDefault) return f.create(core, config);
  let model: TrainableModel | undefined;
  try {
    model = f.create(core, config);
  } catch (e) {
    if (!(e instanceof ValueError)) throw e;
  }
  if (model && model.inputSize === dataset.inputSize && model.outputSize === dataset.outputSize) return model;
  model?.dispose();
  return f.create(core, withArch(defaultArch(dataset)));
}

/** Every --set key must be a key of the model's full configuration. */
function checkSetKeys(model: TrainableModel, sets: Record<string, unknown>): void {
  const known = Object.keys(model.config());
  for (const k of Object.keys(sets)) {
    if (!known.includes(k)) throw new ValueError(`--set ${k}: '${model.kind}' has no configuration key '${k}'; known: ${known.join(", ")}`);
  }
}

async function runTrain(opts: TrainOpts, cmd: Command): Promise<void> {
  const t0 = performance.now();
  checkOutputPaths({ "--save": opts.save, "--save-best": opts.saveBest, "--json": opts.json });
  const core: Core = await init({ impl: chosenBuild(opts), threads: opts.threads, resizable: resizableRuns });
  let ckpt: Checkpoint | undefined;
  if (opts.load) ckpt = await readCheckpoint(opts.load);
  // Flags given on the command line win over the checkpoint, which wins over the defaults.
  const request: RunRequest = {
    model: explicit(cmd, "model") ? opts.model : undefined,
    dataset: explicit(cmd, "dataset") ? opts.dataset : undefined,
    dataSeed: explicit(cmd, "dataSeed") ? opts.dataSeed : undefined,
    batchSize: opts.batch,
    seed: opts.seed,
    shuffle: explicit(cmd, "shuffle") ? opts.shuffle : undefined,
    schedule: opts.lrSchedule,
    augment: opts.augment,
    limitTrain: opts.limit,
    pixelRange: opts.pixelRange,
    oneHot: opts.oneHot,
    classes: opts.classes,
    resetTrainer: opts.resetTrainer,
  };
  const run = resolveRun(ckpt, request, RUN_DEFAULTS, `the checkpoint ${opts.load}`);
  const { kind, resume, modelSeed, seed, shuffle, schedule, augment, encoding, classes } = run;
  const datasetName = run.dataset;
  const dataSeed = run.dataSeed;
  const dataset = loadDataset(datasetName, { seed: dataSeed, classes });

  // Data-set defaults apply to fresh runs only; a checkpoint carries its own configuration.
  const dsDefaults = ckpt ? undefined : DATASET_DEFAULTS[datasetName];
  const epochs = explicit(cmd, "epochs") || !dsDefaults ? opts.epochs : dsDefaults.epochs;
  const batchSize = opts.batch ?? (resume ? run.batchSize : (dsDefaults?.models[kind]?.batch ?? run.batchSize));
  const limit = trainLimit(run, request, dataset.train.n);

  const arch = opts.arch;
  if (arch && (arch[0] !== dataset.inputSize || arch[arch.length - 1] !== dataset.outputSize)) {
    throw new ValueError(
      `--arch ${arch.join("-")}: ${dataset.name} needs ${dataset.inputSize} inputs and ${dataset.outputSize} ${dataset.task === "classification" ? "classes" : "outputs"} (e.g. ${defaultArch(dataset).join("-")})`,
    );
  }
  const ckptMaxBatch = typeof ckpt?.config.maxBatch === "number" ? ckpt.config.maxBatch : 0;
  // Evaluation runs in batches of maxBatch; 100 keeps it fast without much memory.
  const common: CommonModelOptions = { arch, rule: opts.rule, lr: opts.lr, seed: modelSeed, maxBatch: Math.max(batchSize, ckptMaxBatch, 100) };
  const sets = opts.set ?? {};
  const fromDataset = dsDefaults ? datasetDefaults(datasetName, kind, { lr: opts.lr !== undefined, sets }) : {};
  const over = { ...fromDataset, ...modelConfig(kind, common, { arch: arch !== undefined, rule: opts.rule !== undefined, lr: opts.lr !== undefined }, sets) };
  // With a checkpoint its configuration is the base; flags given on the command line override it
  // (a changed architecture is then reported by the tensor-shape check below).
  const config = ckpt ? { ...ckpt.config, ...over } : over;
  const model = createFitting(core, kind, config, dataset, !arch && !ckpt && !("arch" in sets) && !("sizes" in sets), (a) => ({
    ...fromDataset,
    ...modelConfig(kind, { ...common, arch: a }, { arch: true, rule: opts.rule !== undefined, lr: opts.lr !== undefined }, sets),
  }));
  try {
    checkSetKeys(model, sets);
    if (ckpt) {
      checkCompatible(model, ckpt, opts.load!);
      model.importState(ckpt.tensors);
    }
    const regression = dataset.task === "regression";
    const reporter = new ProgressReporter(opts.progress, regression);
    const trainer = new Trainer(model, dataset, {
      epochs,
      batchSize,
      shuffle,
      seed,
      schedule,
      augment,
      patience: opts.patience,
      encoding,
      limitTrain: limit,
      monitorEvery: opts.monitorEvery,
      onProgress: (p) => reporter.progress(p),
      // Timed checkpoints are taken at progress events: keep these at least as frequent.
      ...("minutes" in opts.checkpointEvery ? { progressMs: Math.min(100, opts.checkpointEvery.minutes * 60_000) } : {}),
    });
    if (resume) trainer.restore(ckpt!.trainer!);

    // Thread changes asked for by the host process, at mini-batch boundaries (atNextBatch).
    const threadsChanged: { epoch: number; batch: number; from: number; to: number }[] = [];
    const grow = (n: number) => {
      if (!core.resizable || n <= core.threads) return;
      trainer.atNextBatch(async () => {
        const from = core.threads;
        if (n <= from) return;
        const st = trainer.state();
        try {
          await core.setThreads(n);
        } catch (e) {
          // More threads are an offer, not part of the run: it goes on with what it has.
          console.error(`warning: could not start ${n} threads (${(e as Error).message}); going on with ${core.threads}`);
        }
        if (core.threads === from) return;
        threadsChanged.push({ epoch: st.epoch + 1, batch: st.batch, from, to: core.threads });
        console.log(`threads ${from} → ${core.threads} at epoch ${st.epoch + 1}, batch ${st.batch}`);
      });
    };

    const arch0 = (model.config().arch ?? model.config().sizes) as number[] | undefined;
    if (opts.progress !== "none") {
      console.log(
        `${model.kind}${arch0 ? " " + arch0.join("-") : ""} on ${dataset.about}; batch ${batchSize}, ${shuffle ? `shuffled (seed ${seed})` : "not shuffled"}, ` +
          (augment.kind !== "none" ? `augmented (${formatAugment(augment)}), ` : "") +
          `${runtimeLabel(core)}${resume ? `, resuming after epoch ${trainer.epochsDone}` : ""}` +
          (dsDefaults
            ? `; ${datasetName} defaults: ${epochs} epochs${Object.entries(fromDataset)
                .map(([k, v]) => `, ${k} ${JSON.stringify(v)}`)
                .join("")}`
            : ""),
      );
    }

    const extra: Record<string, string> = { dataset: datasetName, data_seed: String(dataSeed), encoding: JSON.stringify(encoding) };
    if (classes !== undefined) extra.classes = String(classes);
    const control = new RunControl({
      model,
      trainer,
      save: opts.save,
      saveBest: opts.saveBest,
      json: opts.json,
      every: opts.checkpointEvery,
      extra,
      describe: () => ({
        modelConfig: model.config(),
        datasetAbout: dataset.about,
        impl: core.impl,
        threads: core.threads,
        ...(threadsChanged.length ? { threadsChanged } : {}),
        batchSize,
        seed,
        shuffle,
        schedule,
        ...(augment.kind !== "none" ? { augment: formatAugment(augment) } : {}),
        wallS: (performance.now() - t0) / 1000,
      }),
      onStopSignal: () => reporter.stopBar(),
      chanceError:
        dataset.task === "classification" && dataset.train.labels
          ? chanceError(dataset.train.labels, Math.min(limit ?? dataset.train.n, dataset.train.n), dataset.outputSize)
          : undefined,
    });
    // The epoch's line after the run control's listener has written the epoch's checkpoint and
    // summary: once a line is printed, what it reports is on disk.
    trainer.addEventListener("epoch", (e) => reporter.epoch(e.detail, epochs));
    control.installSignalHandlers();
    let failure: unknown;
    onThreadsWanted = grow;
    if (threadsWanted !== undefined) grow(threadsWanted);
    try {
      await trainer.run();
    } catch (e) {
      failure = e;
    } finally {
      onThreadsWanted = undefined;
      threadsWanted = undefined;
      reporter.stopBar();
    }
    const out = await control.finish({ error: failure });
    if (out.status === "diverged" || out.status === "failed") {
      const kept = control.lastWritten ? `; ${opts.save} keeps the last good checkpoint (after epoch ${control.lastWritten.epoch})` : "";
      const e = failure instanceof Error ? failure : new Error(String(failure));
      if (out.status === "diverged") e.message += ` (training diverged in epoch ${out.epochsRun + 1}${kept})`;
      if (control.outputError) e.message += `; ${control.outputError.message}`;
      throw e;
    }
    if (opts.progress !== "none" || !opts.json) console.log(finalLine(out, regression, out.wallS as number));
    if (control.outputError) throw control.outputError;
    if (out.status === "interrupted") {
      if (opts.save) console.log(`saved ${opts.save}; continue with --load ${opts.save}`);
      process.exitCode = signalExitCode(control.stoppedBy!);
    }
  } finally {
    model.dispose();
    core.dispose();
  }
}

function finalLine(s: TrainSummary, regression: boolean, wallS: number): string {
  if (s.bestEpoch === 0) return `no epoch completed (${formatDuration(wallS)})`;
  const what = regression
    ? `test MSE ${s.testMse?.toPrecision(4) ?? "–"} (validation MSE ${s.valMse?.toPrecision(4) ?? "–"})`
    : `test accuracy ${s.testError === undefined ? "–" : (100 * (1 - s.testError)).toFixed(2) + "%"} (test error ${s.testError === undefined ? "–" : (100 * s.testError).toFixed(2) + "%"}, validation error ${s.valError === undefined ? "–" : (100 * s.valError).toFixed(2) + "%"})`;
  const others = Object.entries(s.readouts ?? {})
    .filter(([, r]) => r.testError !== undefined)
    .map(([name, r]) => `; ${name} readout test error ${(100 * r.testError!).toFixed(2)}%`)
    .join("");
  return `${what}${others} at epoch ${s.bestEpoch} of ${s.epochsRun} (best validation)${s.stoppedEarly ? ", stopped early" : ""}; ${Math.round(s.examplesPerS)} ex/s, ${formatDuration(wallS)} total`;
}

// ------------------------------------------------------------------------------------------------

interface EvalOpts {
  load: string;
  dataset?: string;
  dataSeed?: number;
  classes?: number;
  split: "train" | "validation" | "test";
  pixelRange?: [number, number];
  oneHot?: [number, number];
  json?: string;
  simd: ImplChoice;
  impl?: ImplChoice;
  threads: number | "auto";
}

export function evalCommand(): Command {
  return new Command("eval")
    .description("Evaluate a checkpoint on a split of a data set: error rate (or MSE) and confusion matrix")
    .requiredOption("--load <file>", "checkpoint (safetensors) to evaluate")
    .option("--dataset <name>", `data set (default: the one it was trained on): ${DATASET_NAMES.join(", ")}`)
    .addOption(new Option("--data-seed <n>", "seed of generated data sets (default: the checkpoint's)").argParser(intArg(0, 2 ** 32 - 1)))
    .addOption(
      new Option("--classes <n>", "idx:DIR: number of classes (default: the checkpoint's, else the largest label + 1, at least 10)").argParser(intArg(2, 256)),
    )
    .addOption(new Option("--split <name>", "which split").choices(["train", "validation", "test"]).default("test"))
    .addOption(new Option("--pixel-range <lo,hi>", "scale image bytes 0…255 to lo…hi (default: what the checkpoint was trained with)").argParser(pairArg))
    .addOption(new Option("--one-hot <off,on>", "also report MSE against one-hot targets with these values").argParser(pairArg))
    .option("--json <file>", "write the result as JSON")
    .addOption(buildOptions()[0])
    .addOption(buildOptions()[1])
    .addOption(threadsOption())
    .action(async (opts: EvalOpts) => {
      checkOutputPaths({ "--json": opts.json });
      const core = await init({ impl: chosenBuild(opts), threads: opts.threads });
      const ckpt = await readCheckpoint(opts.load);
      const name = opts.dataset ?? ckpt.metadata.dataset;
      if (!name) throw new ValueError(`${opts.load} does not record its data set; give --dataset`);
      const classes = opts.classes ?? (ckpt.metadata.classes ? Number(ckpt.metadata.classes) : undefined);
      const dataset = loadDataset(name, { seed: opts.dataSeed ?? (ckpt.metadata.data_seed ? Number(ckpt.metadata.data_seed) : 1), classes });
      const model = modelFactory(ckpt.kind).create(core, ckpt.config);
      try {
        checkCompatible(model, ckpt, opts.load);
        model.importState(ckpt.tensors);
        const stored = storedEncoding(ckpt);
        const encoding = { pixelRange: opts.pixelRange ?? stored.pixelRange, oneHot: opts.oneHot ?? stored.oneHot };
        const trainer = new Trainer(model, dataset, { epochs: 0, batchSize: 1, encoding });
        const t = performance.now();
        const r = trainer.evaluate(opts.split, true);
        const seconds = (performance.now() - t) / 1000;
        const result = {
          checkpoint: opts.load,
          dataset: dataset.name,
          split: opts.split,
          ...r,
          examplesPerS: r.n / seconds,
          modelConfig: ckpt.config,
          impl: core.impl,
          threads: core.threads,
        };
        if (r.error !== undefined)
          console.log(
            `${dataset.name} ${opts.split}: error ${(100 * r.error).toFixed(2)}% (accuracy ${(100 * (1 - r.error)).toFixed(2)}%) on ${r.n} examples (${runtimeLabel(core)})`,
          );
        if (r.mse !== undefined) console.log(`${dataset.name} ${opts.split}: MSE ${r.mse.toPrecision(4)} on ${r.n} examples (${runtimeLabel(core)})`);
        if (r.confusion) {
          console.log("confusion matrix (rows: true class, columns: predicted):");
          for (const row of r.confusion) console.log("  " + row.map((v) => String(v).padStart(5)).join(""));
        }
        if (opts.json) await writeOutput(opts.json, JSON.stringify(result, null, 2) + "\n", "evaluation result");
      } finally {
        model.dispose();
        core.dispose();
      }
    });
}
