// One trainer for every model and rule: epochs of shuffled mini-batches, a learning-rate schedule,
// evaluation on the validation and test splits after each epoch, early stopping on validation,
// and a state that checkpoints save so a run resumes bit-identically (also from the middle of an
// epoch). Runs in Node and in browsers: no Node built-ins here; progress is reported through
// EventTarget events and optional callbacks.
import { ValueError, assertFinite, assertInt } from "../core/errors.js";
import { BatchFiller, type Dataset, type EncodingOptions, type Split, type SplitName } from "../data/dataset.js";
import { checkAugment, formatAugment, shiftOf, type Augment } from "../data/augment.js";
import type { TrainableModel } from "./model.js";
import { Rng } from "../core/random.js";

/** Learning-rate scale per epoch (0-based), applied through model.setLearningRateScale. */
export type Schedule =
  | { kind: "constant" }
  /** scale = factor^⌊epoch / every⌋ (e.g. halve every 50 epochs: every 50, factor 0.5). */
  | { kind: "step"; every: number; factor: number }
  /** scale = gamma^epoch. */
  | { kind: "exp"; gamma: number }
  /** scale = factor^(number of milestones ≤ epoch), e.g. ÷10 at 50 % and 75 % of 20 epochs: at [10, 15], factor 0.1. */
  | { kind: "milestones"; at: number[]; factor: number };

export function checkSchedule(s: Schedule): Schedule {
  switch (s?.kind) {
    case "constant":
      return s;
    case "step":
      assertInt(s.every, "schedule step 'every' (epochs)", 1);
      assertFinite(s.factor, "schedule step factor");
      if (s.factor <= 0) throw new ValueError(`schedule step factor must be > 0, got ${s.factor}`);
      return s;
    case "exp":
      assertFinite(s.gamma, "schedule exp gamma");
      if (s.gamma <= 0) throw new ValueError(`schedule exp gamma must be > 0, got ${s.gamma}`);
      return s;
    case "milestones":
      if (!Array.isArray(s.at) || s.at.length === 0) throw new ValueError("schedule milestones: 'at' must list at least one epoch");
      s.at.forEach((e, i) => assertInt(e, `schedule milestone ${i + 1} (epoch)`, 1));
      assertFinite(s.factor, "schedule milestones factor");
      if (s.factor <= 0) throw new ValueError(`schedule milestones factor must be > 0, got ${s.factor}`);
      return s;
    default:
      throw new ValueError(`unknown schedule ${JSON.stringify(s)}; expected constant, step or exp`);
  }
}

/** The learning-rate scale of a 0-based epoch. */
export function scheduleScale(s: Schedule, epoch: number): number {
  switch (s.kind) {
    case "constant":
      return 1;
    case "step":
      return Math.pow(s.factor, Math.floor(epoch / s.every));
    case "exp":
      return Math.pow(s.gamma, epoch);
    case "milestones":
      return Math.pow(s.factor, s.at.filter((e) => e <= epoch).length);
  }
}

/** Parses `constant`, `step:EVERY:FACTOR`, `exp:GAMMA` or `milestones:E1,E2,…:FACTOR`. */
export function parseSchedule(text: string): Schedule {
  const [kind, ...args] = text.split(":");
  const num = (s: string | undefined, what: string) => {
    const v = Number(s);
    if (s === undefined || s.trim() === "" || !Number.isFinite(v)) throw new ValueError(`schedule '${text}': ${what} must be a number`);
    return v;
  };
  if (kind === "constant" && args.length === 0) return { kind: "constant" };
  if (kind === "step" && args.length === 2) return checkSchedule({ kind: "step", every: num(args[0], "EVERY"), factor: num(args[1], "FACTOR") });
  if (kind === "exp" && args.length === 1) return checkSchedule({ kind: "exp", gamma: num(args[0], "GAMMA") });
  if (kind === "milestones" && args.length === 2) {
    return checkSchedule({ kind: "milestones", at: args[0].split(",").map((e) => num(e, "each milestone epoch")), factor: num(args[1], "FACTOR") });
  }
  throw new ValueError(
    `bad schedule '${text}'; expected constant, step:EVERY:FACTOR (e.g. step:50:0.5), exp:GAMMA or milestones:E1,E2,…:FACTOR (e.g. milestones:10,15:0.1)`,
  );
}

export interface TrainerOptions {
  /** Total epochs (a resumed run continues up to this number). */
  epochs: number;
  batchSize: number;
  /** Reshuffle the training split every epoch (seeded). Default true. */
  shuffle?: boolean;
  /** Seed of the shuffling generator. Default 1. */
  seed?: number;
  /** Default constant. */
  schedule?: Schedule;
  /** Stop after this many epochs without a new best validation metric. Default: never. */
  patience?: number;
  /** Pixel scaling and target encoding (see EncodingOptions). */
  encoding?: EncodingOptions;
  /**
   * Augmentation of the training images (image data sets only; validation and test images are
   * never changed). Default none. `{ kind: "shift", pixels: P }` translates each training image by
   * whole pixels drawn from −P…P on each axis, anew every epoch (data/augment.ts).
   */
  augment?: Augment;
  /**
   * Every k-th training batch is also predicted (before its learning step) to estimate the running
   * training error shown in progress reports. Default 10; 0 turns it off. Prediction has no side
   * effects on the model, so this does not change what is learned.
   */
  monitorEvery?: number;
  /** Use only the first N training examples (quick runs). Default all. */
  limitTrain?: number;
  /** Evaluate the test split after every epoch (default true; the best epoch's value is reported). */
  testEveryEpoch?: boolean;
  /** Keep a copy of the model state at the best validation epoch (`bestState`). Default false. */
  keepBest?: boolean;
  /** Minimum milliseconds between progress events (default 100). */
  progressMs?: number;
  /**
   * Aborting it stops training after the current mini-batch: run() rejects with the signal's
   * reason (an "AbortError" DOMException unless given another), and the trainer state stays
   * consistent, so state() can be checkpointed and a later run() continues exactly.
   */
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  onEpoch?: (r: EpochRecord) => void;
}

/** Per-call options of run() and epochs(). */
export interface RunOptions {
  /** Aborts this call as TrainerOptions.signal does (either signal aborts). */
  signal?: AbortSignal;
}

export interface Progress {
  epoch: number; // 1-based epoch in progress
  epochs: number;
  batch: number;
  batches: number;
  /** Examples trained in this epoch so far. */
  examples: number;
  epochExamples: number;
  /** Training throughput of this epoch so far. */
  examplesPerS: number;
  /** Running training error on the monitored batches of this epoch (classification), or MSE (regression). */
  runningError?: number;
  runningMse?: number;
}

export interface EvalResult {
  n: number;
  /** Fraction misclassified (classification). */
  error?: number;
  /** Mean squared error per output value, against the regression targets or the one-hot code. */
  mse?: number;
  /** K × K counts, row = true class, column = predicted class (classification). */
  confusion?: number[][];
  /** Error of each of the model's other readouts (TrainableModel.readouts), classification only. */
  readoutErrors?: Record<string, number>;
}

export interface EpochRecord {
  epoch: number; // 1-based
  lrScale: number;
  /**
   * Training time and throughput of the epoch. Checkpoints do not store them (identical runs give
   * identical files), so epochs run before a resume lack them.
   */
  trainSeconds?: number;
  examplesPerS?: number;
  /** Running training error / MSE on the monitored batches (before each of their learning steps). */
  trainError?: number;
  trainMse?: number;
  valError?: number;
  valMse?: number;
  testError?: number;
  testMse?: number;
  /** Validation and test error of the model's other readouts (e.g. the spiking model's "rate"). */
  readouts?: Record<string, { valError?: number; testError?: number }>;
}

export interface TrainSummary {
  dataset: string;
  model: string;
  /** Epochs completed (including those before a resume). */
  epochsRun: number;
  /** 1-based epoch with the best validation metric (0 if none completed). */
  bestEpoch: number;
  valError?: number;
  valMse?: number;
  /** Test metrics at the best-validation epoch. */
  testError?: number;
  testMse?: number;
  /** Test confusion matrix at the best epoch (row = true class). */
  testConfusion?: number[][];
  /** The other readouts' errors at the best-validation epoch (chosen by predict()'s validation error). */
  readouts?: Record<string, { valError?: number; testError?: number }>;
  epochs: EpochRecord[];
  /** Training examples per second over all epochs of this run (learning steps only, no evaluation). */
  examplesPerS: number;
  /** Wall time of this run, seconds. */
  wallS: number;
  stoppedEarly: boolean;
  interrupted: boolean;
}

/** Everything a checkpoint needs to continue a run exactly (JSON-serialisable). */
export interface TrainerState {
  version: 1;
  /** Completed epochs. */
  epoch: number;
  /** Batches completed in the epoch in progress (0 at an epoch boundary). */
  batch: number;
  /** Shuffle generator state at the start of the epoch in progress (or of the next epoch). */
  rngAtEpochStart: number[];
  batchSize: number;
  shuffle: boolean;
  seed: number;
  schedule: Schedule;
  limitTrain: number;
  /** Training-image augmentation; absent means none. */
  augment?: Augment;
  bestEpoch: number;
  bestMetric: number | null;
  sinceBest: number;
  stoppedEarly: boolean;
  history: EpochRecord[];
  bestConfusion?: number[][];
  /** Running-metric sums of the epoch in progress (so progress after a mid-epoch resume matches). */
  monitor: { n: number; wrong: number; sq: number; values: number; trainSeconds: number };
}

const now = () => (typeof performance !== "undefined" ? performance.now() : Date.now());
// Browsers clamp nested setTimeout(0) to ≥ 4 ms (HTML standard, timer initialisation steps), which
// would idle a training worker ~8 % of the time at one yield per 50 ms; a MessageChannel message is
// delivered as its own task without that delay.
const yieldToEventLoop = (): Promise<void> =>
  new Promise((r) => {
    if (typeof setImmediate === "function") return void setImmediate(r);
    if (typeof MessageChannel === "function") {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        r();
      };
      ch.port2.postMessage(null);
      return;
    }
    setTimeout(r, 0);
  });

/** The events a Trainer dispatches, with the type of each event's `detail`. */
export interface TrainerEventMap {
  /** During an epoch, at most every `progressMs`. */
  progress: CustomEvent<Progress>;
  /** After each epoch's evaluation. */
  epoch: CustomEvent<EpochRecord>;
  /** When run() (or an epochs() loop) finishes, with the summary it returns. */
  done: CustomEvent<TrainSummary>;
}

type TrainerListener<K extends keyof TrainerEventMap> = (this: Trainer, ev: TrainerEventMap[K]) => unknown;

// Typed overloads of EventTarget's methods (merged into the class below): `e.detail` is a
// Progress, an EpochRecord or a TrainSummary according to the event name.
export interface Trainer {
  addEventListener<K extends keyof TrainerEventMap>(type: K, listener: TrainerListener<K> | null, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof TrainerEventMap>(type: K, listener: TrainerListener<K> | null, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
}

export class Trainer extends EventTarget {
  readonly model: TrainableModel;
  readonly dataset: Dataset;
  readonly options: Readonly<
    Required<
      Pick<TrainerOptions, "epochs" | "batchSize" | "shuffle" | "seed" | "schedule" | "augment" | "monitorEvery" | "testEveryEpoch" | "keepBest" | "progressMs">
    >
  > &
    TrainerOptions;
  /** Model state at the best validation epoch (when options.keepBest). */
  bestState?: ReturnType<TrainableModel["exportState"]>;

  private rng: Rng;
  private rngAtEpochStart: number[];
  private order: Uint32Array;
  private readonly nTrain: number;
  private readonly filler: BatchFiller;
  private readonly evalFiller: BatchFiller;
  /** dx, dy per example of a training batch (augment shift). */
  private readonly shifts?: Int8Array;
  private predictOut: Float32Array;
  private epoch = 0;
  private batch = 0;
  private bestEpoch = 0;
  private bestMetric: number | null = null;
  private sinceBest = 0;
  private stoppedEarly = false;
  private history: EpochRecord[] = [];
  private bestConfusion?: number[][];
  private monitor = { n: 0, wrong: 0, sq: 0, values: 0, trainSeconds: 0 };
  /** Examples trained in the epoch in progress by this process (the ones monitor.trainSeconds times). */
  private timedExamples = 0;
  private stopRequested = false;
  /** Work to run at the next mini-batch boundary (atNextBatch). */
  private betweenBatches: (() => unknown)[] = [];
  private orderReady = false;
  // Counters of the current (or last) run() call, for summaries.
  private runStart = 0;
  private runTrained = 0;
  private runTrainSeconds = 0;

  constructor(model: TrainableModel, dataset: Dataset, options: TrainerOptions) {
    super();
    assertInt(options.epochs, "epochs", 0);
    assertInt(options.batchSize, "batchSize", 1);
    if (options.batchSize > model.maxBatch) throw new ValueError(`batchSize ${options.batchSize} exceeds the model's maxBatch ${model.maxBatch}`);
    if (dataset.inputSize !== model.inputSize)
      throw new ValueError(`data set ${dataset.name} has ${dataset.inputSize} inputs, the model expects ${model.inputSize}`);
    if (dataset.outputSize !== model.outputSize) {
      throw new ValueError(
        `data set ${dataset.name} has ${dataset.outputSize} ${dataset.task === "classification" ? "classes" : "targets"}, the model has ${model.outputSize} outputs`,
      );
    }
    const seed = options.seed ?? 1;
    assertInt(seed, "seed", 0, 2 ** 32 - 1);
    if (options.patience !== undefined) assertInt(options.patience, "patience", 1);
    const monitorEvery = options.monitorEvery ?? 10;
    assertInt(monitorEvery, "monitorEvery", 0);
    const progressMs = options.progressMs ?? 100;
    assertFinite(progressMs, "progressMs");
    this.options = {
      ...options,
      shuffle: options.shuffle ?? true,
      seed,
      schedule: checkSchedule(options.schedule ?? { kind: "constant" }),
      augment: checkAugment(options.augment ?? { kind: "none" }),
      monitorEvery,
      testEveryEpoch: options.testEveryEpoch ?? true,
      keepBest: options.keepBest ?? false,
      progressMs,
    };
    this.model = model;
    this.dataset = dataset;
    this.nTrain = dataset.train.n;
    if (options.limitTrain !== undefined) {
      assertInt(options.limitTrain, "limitTrain", 1);
      this.nTrain = Math.min(options.limitTrain, dataset.train.n);
    }
    if (this.nTrain < 1) throw new ValueError(`data set ${dataset.name} has no training examples`);
    this.rng = new Rng(seed);
    this.rngAtEpochStart = this.rng.state();
    this.order = new Uint32Array(this.nTrain);
    this.filler = new BatchFiller(dataset, this.options.batchSize, options.encoding);
    if (this.options.augment.kind === "shift") {
      const why = BatchFiller.canShift(dataset);
      if (why) throw new ValueError(`augment shift:${this.options.augment.pixels} translates images, but ${why}`);
      this.shifts = new Int8Array(2 * this.options.batchSize);
    }
    this.evalFiller = new BatchFiller(dataset, model.maxBatch, options.encoding);
    this.predictOut = new Float32Array(model.maxBatch * model.outputSize);
  }

  /** Completed epochs. */
  get epochsDone(): number {
    return this.epoch;
  }

  /** Asks run() to stop after the current mini-batch; the state stays consistent and resumable. */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Runs `fn` at the next mini-batch boundary of the run in progress (or before the first
   * mini-batch of the next run) and waits for the promise it returns before training on: the place
   * to change what the model runs on between two steps, e.g. `core.setThreads(n)`, which must not
   * overlap a kernel. Training calls nothing in the core meanwhile; the wait is not training time.
   * A rejection ends the run with its error. A run that ends first never calls `fn`.
   */
  atNextBatch(fn: () => unknown): void {
    this.betweenBatches.push(fn);
  }

  /** The state a checkpoint stores; restore() continues from it exactly. */
  state(): TrainerState {
    return {
      version: 1,
      epoch: this.epoch,
      batch: this.batch,
      rngAtEpochStart: this.orderReady ? [...this.rngAtEpochStart] : this.rng.state(),
      batchSize: this.options.batchSize,
      shuffle: this.options.shuffle,
      seed: this.options.seed,
      schedule: this.options.schedule,
      limitTrain: this.nTrain,
      ...(this.options.augment.kind !== "none" ? { augment: { ...this.options.augment } } : {}),
      bestEpoch: this.bestEpoch,
      bestMetric: this.bestMetric,
      sinceBest: this.sinceBest,
      stoppedEarly: this.stoppedEarly,
      history: this.history.map((r) => ({ ...r })),
      bestConfusion: this.bestConfusion,
      monitor: { ...this.monitor },
    };
  }

  /**
   * Continues from a saved state. The batch size, shuffling, seed, schedule and training-set size
   * must match the ones this trainer was built with (a different value would silently change the
   * run); a mismatch is a ValueError naming the field.
   */
  restore(s: TrainerState): void {
    if (s?.version !== 1) throw new ValueError(`trainer state version ${String(s?.version)} is not supported (expected 1)`);
    const same: [string, unknown, unknown][] = [
      ["batchSize", s.batchSize, this.options.batchSize],
      ["shuffle", s.shuffle, this.options.shuffle],
      ["seed", s.seed, this.options.seed],
      ["schedule", JSON.stringify(s.schedule), JSON.stringify(this.options.schedule)],
      ["training examples (limitTrain)", s.limitTrain, this.nTrain],
      ["augmentation", formatAugment(s.augment ?? { kind: "none" }), formatAugment(this.options.augment)],
    ];
    for (const [what, saved, mine] of same) {
      if (saved !== mine) throw new ValueError(`cannot resume: the checkpoint was trained with ${what} ${String(saved)}, this run has ${String(mine)}`);
    }
    assertInt(s.epoch, "trainer state epoch", 0);
    const batches = Math.ceil(this.nTrain / this.options.batchSize);
    assertInt(s.batch, "trainer state batch", 0, batches - 1);
    this.epoch = s.epoch;
    this.batch = s.batch;
    this.rngAtEpochStart = [...s.rngAtEpochStart];
    this.rng = Rng.fromState(s.rngAtEpochStart);
    this.bestEpoch = s.bestEpoch;
    this.bestMetric = s.bestMetric;
    this.sinceBest = s.sinceBest;
    this.stoppedEarly = s.stoppedEarly;
    this.history = s.history.map((r) => ({ ...r }));
    this.bestConfusion = s.bestConfusion;
    // Time spent before the checkpoint is not this process's: the epoch's rate counts from here.
    this.monitor = { ...s.monitor, trainSeconds: 0 };
    this.timedExamples = 0;
    this.orderReady = false;
    if (this.batch > 0) this.prepareOrder();
  }

  /** Draws this epoch's example order from the shuffle generator (identity when shuffling is off). */
  private prepareOrder(): void {
    this.rngAtEpochStart = this.rng.state();
    const o = this.order;
    for (let i = 0; i < o.length; i++) o[i] = i;
    if (this.options.shuffle) this.rng.shuffle(o);
    this.orderReady = true;
  }

  /** Test-mode metrics on a split (all of it). */
  evaluate(which: SplitName | Split, withConfusion = false): EvalResult {
    const split = typeof which === "string" ? this.dataset[which] : which;
    const d = this.dataset;
    const K = d.outputSize;
    const classification = d.task === "classification";
    const confusion = classification && withConfusion ? Array.from({ length: K }, () => new Array<number>(K).fill(0)) : undefined;
    let wrong = 0;
    let sq = 0;
    const others = classification && this.model.predictWith ? (this.model.readouts ?? []) : [];
    const otherWrong = others.map(() => 0);
    const hasTargets = !classification || this.options.encoding?.oneHot !== undefined;
    const B = this.model.maxBatch;
    for (let start = 0; start < split.n; start += B) {
      const n = Math.min(B, split.n - start);
      const batch = this.evalFiller.fill(split, null, start, n);
      const out = this.model.predict(batch.x, n, this.predictOut);
      const r = scoreBatch(out, batch.labels, hasTargets ? batch.targets : undefined, n, K, confusion);
      wrong += r.wrong;
      sq += r.sq;
      others.forEach((name, i) => {
        const o = this.model.predictWith!(name, batch.x, n, this.predictOut);
        otherWrong[i] += scoreBatch(o, batch.labels, undefined, n, K, undefined).wrong;
      });
    }
    const res: EvalResult = { n: split.n };
    if (split.n === 0) return res;
    if (classification) res.error = wrong / split.n;
    if (others.length) res.readoutErrors = Object.fromEntries(others.map((name, i) => [name, otherWrong[i] / split.n]));
    if (hasTargets) res.mse = sq / (split.n * K);
    if (confusion) res.confusion = confusion;
    return res;
  }

  private emitProgress(p: Progress): void {
    this.options.onProgress?.(p);
    this.dispatchEvent(new CustomEvent("progress", { detail: p }));
  }

  /**
   * Trains until `epochs` are done, early stopping triggers, or stop() is called, and resolves with
   * the summary. An aborted signal (options or TrainerOptions) rejects it with the signal's reason.
   */
  async run(options: RunOptions = {}): Promise<TrainSummary> {
    const it = this.loop(options.signal);
    for (;;) {
      const r = await it.next();
      if (r.done) return r.value;
    }
  }

  /**
   * The same training as run(), one epoch at a time: `for await (const epoch of trainer.epochs())`
   * receives each epoch's record after its evaluation; training waits while the loop body runs.
   * Leaving the loop (break, return, throw) stops at that epoch boundary, where the state is
   * consistent and a later run() or epochs() continues.
   */
  epochs(options: RunOptions = {}): AsyncGenerator<EpochRecord, TrainSummary, void> {
    return this.loop(options.signal);
  }

  private async *loop(callSignal: AbortSignal | undefined): AsyncGenerator<EpochRecord, TrainSummary, void> {
    const signals = [this.options.signal, callSignal].filter((x): x is AbortSignal => x !== undefined);
    const aborted = () => signals.find((x) => x.aborted);
    const first = aborted();
    if (first) throw first.reason;
    const t0 = now();
    const o = this.options;
    const d = this.dataset;
    const classification = d.task === "classification";
    const hasTargets = !classification || o.encoding?.oneHot !== undefined;
    const K = d.outputSize;
    const batches = Math.ceil(this.nTrain / o.batchSize);
    this.runStart = t0;
    this.runTrained = 0;
    this.runTrainSeconds = 0;
    this.stopRequested = false;
    let lastYield = now();
    let lastProgress = -Infinity;

    while (this.epoch < o.epochs && !this.stoppedEarly && !this.stopRequested && !aborted()) {
      if (!this.orderReady) {
        if (this.batch === 0) {
          this.monitor = { n: 0, wrong: 0, sq: 0, values: 0, trainSeconds: 0 };
          this.timedExamples = 0;
        }
        this.prepareOrder();
      }
      const lrScale = scheduleScale(o.schedule, this.epoch);
      this.model.setLearningRateScale(lrScale);
      let segStart = now();
      const closeSegment = (t: number) => {
        this.monitor.trainSeconds += (t - segStart) / 1000;
        this.runTrainSeconds += (t - segStart) / 1000;
        segStart = t;
      };
      while (this.batch < batches) {
        if (this.betweenBatches.length > 0) {
          closeSegment(now());
          for (const fn of this.betweenBatches.splice(0)) await fn();
          lastYield = segStart = now();
        }
        const start = this.batch * o.batchSize;
        const n = Math.min(o.batchSize, this.nTrain - start);
        const sh = this.shifts;
        if (sh && o.augment.kind === "shift") {
          for (let i = 0; i < n; i++) shiftOf(o.seed, this.epoch, this.order[start + i], o.augment.pixels, sh, 2 * i);
        }
        const batch = this.filler.fill(d.train, this.order, start, n, sh);
        if (o.monitorEvery > 0 && this.batch % o.monitorEvery === 0) {
          const out = this.model.predict(batch.x, n, this.predictOut);
          const r = scoreBatch(out, batch.labels, hasTargets ? batch.targets : undefined, n, K, undefined);
          this.monitor.n += n;
          this.monitor.wrong += r.wrong;
          this.monitor.sq += r.sq;
          this.monitor.values += n * K;
        }
        this.model.trainBatch(batch);
        this.batch++;
        this.runTrained += n;
        this.timedExamples += n;
        const t = now();
        if (t - lastProgress >= o.progressMs || this.batch === batches) {
          lastProgress = t;
          const secs = this.monitor.trainSeconds + (t - segStart) / 1000;
          const done = Math.min(this.batch * o.batchSize, this.nTrain);
          this.emitProgress({
            epoch: this.epoch + 1,
            epochs: o.epochs,
            batch: this.batch,
            batches,
            examples: done,
            epochExamples: this.nTrain,
            examplesPerS: secs > 0 ? done / secs : 0,
            runningError: classification && this.monitor.n ? this.monitor.wrong / this.monitor.n : undefined,
            runningMse: hasTargets && this.monitor.values ? this.monitor.sq / this.monitor.values : undefined,
          });
        }
        if (t - lastYield >= 50) {
          // Let Ctrl-C handlers, UI events and timers run; time spent away is not training time.
          closeSegment(t);
          await yieldToEventLoop();
          lastYield = segStart = now();
        }
        // A stop request or an abort ends the epoch early unless it is complete (then it is evaluated first).
        if ((this.stopRequested || aborted()) && this.batch < batches) break;
      }
      closeSegment(now());
      if (this.batch < batches) break;
      yield this.finishEpoch(lrScale);
      // At least once an epoch, however short the epochs: a stop request (Ctrl-C, a sweep stopping
      // its jobs) is then seen before the next epoch starts, not only after 50 ms of training.
      await yieldToEventLoop();
      lastYield = now();
    }
    const abort = aborted();
    if (abort && this.epoch < o.epochs && !this.stoppedEarly) throw abort.reason;
    const interrupted = this.stopRequested && this.epoch < o.epochs && !this.stoppedEarly;
    const s = this.snapshot(interrupted);
    this.dispatchEvent(new CustomEvent("done", { detail: s }));
    return s;
  }

  private finishEpoch(lrScale: number): EpochRecord {
    const d = this.dataset;
    const m = this.monitor;
    const rec: EpochRecord = {
      epoch: this.epoch + 1,
      lrScale,
      trainSeconds: m.trainSeconds,
      examplesPerS: m.trainSeconds > 0 ? this.timedExamples / m.trainSeconds : 0,
    };
    if (m.n > 0 && d.task === "classification") rec.trainError = m.wrong / m.n;
    if (m.values > 0) rec.trainMse = m.sq / m.values;
    const val = this.evaluate("validation");
    if (val.error !== undefined) rec.valError = val.error;
    if (val.mse !== undefined) rec.valMse = val.mse;
    let testConfusion: number[][] | undefined;
    let testOthers: Record<string, number> | undefined;
    if (this.options.testEveryEpoch) {
      const test = this.evaluate("test", true);
      if (test.error !== undefined) rec.testError = test.error;
      if (test.mse !== undefined) rec.testMse = test.mse;
      testConfusion = test.confusion;
      testOthers = test.readoutErrors;
    }
    if (val.readoutErrors || testOthers) {
      rec.readouts = {};
      for (const name of new Set([...Object.keys(val.readoutErrors ?? {}), ...Object.keys(testOthers ?? {})])) {
        rec.readouts[name] = { valError: val.readoutErrors?.[name], testError: testOthers?.[name] };
      }
    }
    this.history.push(rec);
    this.epoch++;
    this.batch = 0;
    this.orderReady = false;
    // Validation metric: error rate for classification, MSE for regression. Without a validation
    // split the latest epoch counts as best.
    const metric = d.task === "classification" ? val.error : val.mse;
    if (metric === undefined || this.bestMetric === null || metric < this.bestMetric) {
      this.bestMetric = metric ?? null;
      this.bestEpoch = rec.epoch;
      this.bestConfusion = testConfusion;
      this.sinceBest = 0;
      if (this.options.keepBest) this.bestState = copyState(this.model.exportState());
    } else {
      this.sinceBest++;
      if (this.options.patience !== undefined && this.sinceBest >= this.options.patience) this.stoppedEarly = true;
    }
    this.options.onEpoch?.(rec);
    this.dispatchEvent(new CustomEvent("epoch", { detail: rec }));
    return { ...rec };
  }

  /**
   * The summary of the epochs completed so far (during a run, after it, or after run() threw):
   * what run() returns at its end, without the "done" event.
   */
  snapshot(interrupted = false): TrainSummary {
    const trained = this.runTrained;
    const trainSeconds = this.runTrainSeconds;
    const wallS = this.runStart > 0 ? (now() - this.runStart) / 1000 : 0;
    const best = this.history.find((r) => r.epoch === this.bestEpoch);
    const s: TrainSummary = {
      dataset: this.dataset.name,
      model: this.model.kind,
      epochsRun: this.epoch,
      bestEpoch: this.bestEpoch,
      epochs: this.history.map((r) => ({ ...r })),
      examplesPerS: trainSeconds > 0 ? trained / trainSeconds : 0,
      wallS,
      stoppedEarly: this.stoppedEarly,
      interrupted,
    };
    if (best) {
      if (best.valError !== undefined) s.valError = best.valError;
      if (best.valMse !== undefined) s.valMse = best.valMse;
      if (best.testError !== undefined) s.testError = best.testError;
      if (best.testMse !== undefined) s.testMse = best.testMse;
      if (this.bestConfusion) s.testConfusion = this.bestConfusion;
      if (best.readouts) s.readouts = best.readouts;
    }
    return s;
  }
}

/** Misclassified count (argmax vs label) and summed squared error against targets, for n rows. */
export function scoreBatch(
  out: Float32Array,
  labels: Int32Array | undefined,
  targets: Float32Array | undefined,
  n: number,
  K: number,
  confusion: number[][] | undefined,
): { wrong: number; sq: number } {
  let wrong = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const row = i * K;
    if (labels) {
      let arg = 0;
      let best = out[row];
      for (let k = 1; k < K; k++) {
        if (out[row + k] > best) {
          best = out[row + k];
          arg = k;
        }
      }
      // A NaN output never wins the argmax; count such a row as wrong rather than as class 0.
      if (Number.isNaN(best)) arg = -1;
      if (arg !== labels[i]) wrong++;
      if (confusion && arg >= 0) confusion[labels[i]][arg]++;
    }
    if (targets) {
      for (let k = 0; k < K; k++) {
        const e = out[row + k] - targets[row + k];
        sq += e * e;
      }
    }
  }
  return { wrong, sq };
}

function copyState(s: ReturnType<TrainableModel["exportState"]>): ReturnType<TrainableModel["exportState"]> {
  const c: ReturnType<TrainableModel["exportState"]> = {};
  for (const [k, v] of Object.entries(s)) c[k] = { shape: [...v.shape], data: v.data.slice() };
  return c;
}
