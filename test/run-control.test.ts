// Nothing of a training run is lost however it ends: epoch-end checkpoints, --save-best when a best
// epoch happens, an incremental --json summary with the run's status, SIGTERM/SIGHUP handled like
// Ctrl-C, a diverged run keeping its last good checkpoint, and kills at random points (SIGTERM and
// SIGKILL) resumed with --load to the bit-identical result of an uninterrupted run.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, watch, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseCheckpointEvery, signalExitCode } from "../src/cli/run-control.ts";
import { trainCommand } from "../src/cli/train.ts";
import { readCheckpoint } from "../src/node/checkpoint.ts";
import { removeStaleTemps, writeFileAtomic } from "../src/node/files.ts";
import { Rng } from "../src/core/random.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(root, "bin", "dendritic.js");
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

let dir: string;
const t = suite("run control: checkpoints during the run, signals, divergence, resume");
t.before(() => {
  dir = mkdtempSync(path.join(tmpdir(), "runctl-"));
});
t.after(() => rmSync(dir, { recursive: true, force: true }));

const temps = () => readdirSync(dir).filter((f) => f.endsWith(".tmp"));

t("--checkpoint-every takes epochs (0 = only at the end) or minutes; anything else is refused", () => {
  assert.equal(parseCheckpointEvery("1"), { epochs: 1 });
  assert.equal(parseCheckpointEvery("0"), { epochs: 0 });
  assert.equal(parseCheckpointEvery("10m"), { minutes: 10 });
  assert.equal(parseCheckpointEvery("0.5m"), { minutes: 0.5 });
  for (const bad of ["", "-1", "1.5", "0m", "m", "10s", "1e3"]) assert.throws(() => parseCheckpointEvery(bad), /expected a number of epochs/, bad);
  assert.is(signalExitCode("SIGINT"), 130);
  assert.is(signalExitCode("SIGTERM"), 143);
  assert.is(signalExitCode("SIGHUP"), 129);
  const r = cli("train", "--checkpoint-every", "5s");
  assert.is(r.status, 1);
  assert.match(r.stderr, /--checkpoint-every <n\|Nm>' argument '5s' is invalid/);
  const h = cli("train", "--help");
  assert.match(h.stdout, /Exit codes:/);
  assert.match(h.stdout, /"status"/);
});

t("a diverging run keeps the epoch-1 checkpoint, the best checkpoint and a 'diverged' summary, and exits 3 naming the error (built CLI)", () => {
  const [a, b, c] = ["a.st", "b.st", "c.json"].map((f) => path.join(dir, f));
  // The mlp with ReLU units and the learning rate ×10 000 in epoch 2 diverges in that epoch.
  const r = cli(
    "train",
    "--model",
    "mlp",
    "--set",
    "activation=relu",
    "--dataset",
    "mnist-small",
    "--limit",
    "2000",
    "--epochs",
    "6",
    "--lr",
    "0.1",
    "--lr-schedule",
    "exp:1e4",
    "--save",
    a,
    "--save-best",
    b,
    "--json",
    c,
    "--progress",
    "none",
  );
  assert.is(r.status, 3, r.stderr);
  assert.match(
    r.stderr,
    /^dendritic: NonFiniteError: .*non-finite.*training diverged in epoch 2; .*a\.st keeps the last good checkpoint \(after epoch 1\)\)\n$/,
  );
  const s = JSON.parse(readFileSync(c, "utf8"));
  assert.is(s.status, "diverged");
  assert.match(s.error, /^NonFiniteError: /);
  assert.is(s.epochsRun, 1);
  assert.is(s.epochs.length, 1);
  assert.equal(s.checkpoint, { file: a, epoch: 1, batch: 0 });
  return Promise.all([readCheckpoint(a), readCheckpoint(b)]).then(([ca, cb]) => {
    assert.is(ca.trainer!.epoch, 1);
    assert.is(cb.metadata.best_epoch, "1");
    for (const [k, v] of Object.entries(ca.tensors)) {
      if (v.data instanceof Float32Array) assert.ok(v.data.every(Number.isFinite), `${k} finite`);
    }
    // The best epoch is epoch 1, whose weights the --save file also holds.
    for (const k of Object.keys(cb.tensors)) assert.equal(cb.tensors[k].data, ca.tensors[k].data, k);
  });
});

/** Starts the built CLI; resolves with the exit code and signal once it ends. */
function start(args: string[], onStdout?: (text: string, child: ReturnType<typeof spawn>) => void) {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (b) => {
    out += b;
    onStdout?.(out, child);
  });
  child.stderr!.on("data", (b) => (err += b));
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, out, err })),
  );
}

for (const sig of ["SIGTERM", "SIGHUP"] as const) {
  t(`${sig} is handled like Ctrl-C: stops after the mini-batch, saves, finalises the summary as interrupted, exits ${signalExitCode(sig)}`, async () => {
    const ck = path.join(dir, `${sig}.st`);
    const js = path.join(dir, `${sig}.json`);
    let sent = false;
    const r = await start(
      ["train", "--model", "mlp", "--dataset", "bars", "--arch", "9-30-3", "--epochs", "100000", "--save", ck, "--json", js, "--progress", "lines"],
      (out, child) => {
        if (!sent && /epoch 2\/100000 \|/.test(out)) {
          sent = true;
          child.kill(sig);
        }
      },
    );
    assert.is(r.code, signalExitCode(sig), r.err);
    assert.match(r.err, new RegExp(`${sig} received: stopping after this mini-batch`));
    const s = JSON.parse(readFileSync(js, "utf8"));
    assert.is(s.status, "interrupted");
    assert.is(s.signal, sig);
    const c = await readCheckpoint(ck);
    assert.ok(c.trainer!.epoch >= 2 && c.trainer!.epoch === s.epochsRun, `checkpoint epoch ${c.trainer!.epoch}, summary ${s.epochsRun}`);
    assert.equal({ epoch: c.trainer!.epoch, batch: c.trainer!.batch }, { epoch: s.checkpoint.epoch, batch: s.checkpoint.batch });
    assert.equal(temps(), []);
  });
}

t("an epoch's line is printed after its checkpoint and summary are on disk (a kill right after the line loses nothing it reports)", async () => {
  const save = path.join(dir, "order.st");
  const json = path.join(dir, "order.json");
  const seen: { epoch: number; saved: number; summarised: number }[] = [];
  const write = process.stdout.write;
  // Writes are synchronous: at the moment the line is written, the files hold what they hold.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const m = /^epoch (\d+)\/3 \|/m.exec(String(chunk));
    if (m) {
      const summary = existsSync(json) ? JSON.parse(readFileSync(json, "utf8")) : { epochsRun: 0 };
      const header = existsSync(save)
        ? JSON.parse(
            readFileSync(save)
              .subarray(8, 8 + Number(readFileSync(save).readBigUInt64LE(0)))
              .toString("utf8"),
          )
        : undefined;
      const trainerState = header ? JSON.parse(header.__metadata__.trainer_state) : { epoch: 0 };
      seen.push({ epoch: Number(m[1]), saved: trainerState.epoch, summarised: summary.epochsRun });
    }
    return (write as (...a: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
  }) as typeof process.stdout.write;
  try {
    const cmd = trainCommand().exitOverride();
    await cmd.parseAsync(["--model", "mlp", "--dataset", "bars", "--arch", "9-30-3", "--epochs", "3", "--save", save, "--json", json, "--progress", "lines"], {
      from: "user",
    });
  } finally {
    process.stdout.write = write;
  }
  assert.equal(
    seen.map((x) => x.epoch),
    [1, 2, 3],
  );
  // Epoch 1's writes are never deferred (the first ones); later ones may be, under the write-time
  // budget (a tenth of the run), but never run ahead of the line.
  assert.equal(seen[0], { epoch: 1, saved: 1, summarised: 1 });
  for (const x of seen) assert.ok(x.saved >= 1 && x.saved <= x.epoch && x.summarised >= 1 && x.summarised <= x.epoch, JSON.stringify(x));
});

// The kill test. A short mlp run (momentum, a schedule, shuffling: every kind of state) is killed
// at a seeded random moment, with SIGTERM (graceful) or SIGKILL (nothing runs after it), then
// continued with the same flags plus --load; the final checkpoint must equal the uninterrupted
// run's tensor for tensor, and so must the per-epoch validation and test errors.
// The uninterrupted reference and the resumed runs run in this process (the same code as the
// built CLI, without the start-up cost); the killed runs are separate processes.
const EPOCHS = 10;
const RUN = [
  "--model",
  "mlp",
  "--dataset",
  "yinyang",
  "--arch",
  "4-200-200-3",
  "--set",
  "momentum=0.9",
  "--lr-schedule",
  "exp:0.9",
  "--epochs",
  String(EPOCHS),
  "--seed",
  "5",
];

async function train(...args: string[]): Promise<void> {
  const cmd = trainCommand().exitOverride();
  cmd.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  await cmd.parseAsync(["--progress", "none", ...args], { from: "user" });
}

/**
 * Waits, without any timing assumption, for the moment to kill a run: its "epoch k/N |" line on
 * stdout, then (when `midEpochWrites` > 0) that many further writes of `save` holding a mid-epoch
 * checkpoint, seen through a directory watch. At each such write the run is frozen (SIGSTOP) while
 * the file is read back, and the kill (SIGKILL also ends a stopped process) lands while it is still
 * frozen, so the checkpoint on disk is exactly the one that triggered it. Everything is driven by
 * what the run prints and writes: a busy machine makes the test slower, never wrong.
 */
function killAt(args: string[], sig: NodeJS.Signals, save: string, epoch: number, midEpochWrites: number) {
  let sent = false;
  let armed = false;
  let writes = 0;
  let trigger: { epoch: number; batch: number } | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  const kill = () => {
    if (sent) return;
    sent = true;
    child!.kill(sig);
  };
  // The run is stopped: look at its checkpoint, then kill it there or let it go on to the next write.
  const inspect = () =>
    readCheckpoint(save)
      .catch(() => undefined)
      .then((c) => {
        if (sent) return;
        // A write seen late may be from before the epoch line: only later epochs count.
        if (c?.trainer && c.trainer.epoch >= epoch && c.trainer.batch > 0 && ++writes >= midEpochWrites) {
          trigger = { epoch: c.trainer.epoch, batch: c.trainer.batch };
          kill();
        } else {
          armed = true;
          child!.kill("SIGCONT");
        }
      });
  const watcher = watch(path.dirname(save), (_event, name) => {
    if (name !== path.basename(save) || !armed || sent || !child) return;
    armed = false;
    child!.kill("SIGSTOP");
    void inspect();
  });
  let epochSeen = false;
  const done = start(["train", ...args], (out, c) => {
    child = c;
    if (!epochSeen && new RegExp(`^epoch ${epoch}/${EPOCHS} \\|`, "m").test(out)) {
      epochSeen = true;
      if (midEpochWrites === 0) kill();
      else armed = true;
    }
  });
  return done.finally(() => watcher.close()).then((r) => ({ ...r, sent, trigger }));
}

t("killed at random points with SIGTERM and SIGKILL, then resumed with --load: bit-identical to an uninterrupted run", async () => {
  const refSave = path.join(dir, "ref.st");
  const refJson = path.join(dir, "ref.json");
  await train(...RUN, "--save", refSave, "--json", refJson);
  const refCk = await readCheckpoint(refSave);
  const refSummary = JSON.parse(readFileSync(refJson, "utf8"));
  const errors = (s: { epochs: { valError: number; testError: number }[] }) => s.epochs.map((e) => [e.valError, e.testError]);
  // The kill points are drawn from a seeded generator (KILL_TEST_SEED picks other points).
  const rng = new Rng(Number(process.env.KILL_TEST_SEED ?? 2026));
  const cases: { sig: "SIGTERM" | "SIGKILL"; every: string; midEpochWrites: number }[] = [
    // Graceful: stops after the current mini-batch and saves there (mid-epoch).
    { sig: "SIGTERM", every: "1", midEpochWrites: 0 },
    // Nothing runs after SIGKILL: the last epoch-end checkpoint remains.
    { sig: "SIGKILL", every: "1", midEpochWrites: 0 },
    // Timed checkpoints (every 6 ms, at mini-batch boundaries, most in the middle of epochs — an
    // epoch of this run takes 50 ms on a fast machine, so the interval must be well below that):
    // the kill follows the first mid-epoch one after the line of epoch 1 or 2, and the run resumes
    // from exactly that one.
    { sig: "SIGKILL", every: "0.0001m", midEpochWrites: 1 },
  ];
  for (const { sig, every, midEpochWrites } of cases) {
    const save = path.join(dir, `k-${sig}-${every}.st`);
    const json = path.join(dir, `k-${sig}-${every}.json`);
    const args = [...RUN, "--save", save, "--json", json, "--checkpoint-every", every, "--progress", "lines"];
    // An epoch from 1 to EPOCHS - 6 (1 or 2 for timed checkpoints): several epochs are left to run
    // when the kill comes.
    const epoch = 1 + Math.floor(rng.range(0, midEpochWrites ? 2 : EPOCHS - 6));
    const first = await killAt(args, sig, save, epoch, midEpochWrites);
    const what = `${sig} (--checkpoint-every ${every}) after the epoch-${epoch} line${midEpochWrites ? ` and ${midEpochWrites} mid-epoch checkpoint(s) (the last: epoch ${first.trigger?.epoch}, batch ${first.trigger?.batch})` : ""}`;
    assert.ok(first.sent, `${what}: the kill was sent before the run ended (${first.code} ${first.signal})\n${first.out}${first.err}`);
    if (sig === "SIGTERM") assert.is(first.code, 143, `${what}: ${first.err}`);
    else assert.is(first.signal, "SIGKILL", what);
    assert.ok(existsSync(save), `${what}: a checkpoint exists`);
    const mid = await readCheckpoint(save);
    const midEpoch = mid.trainer!.epoch;
    assert.ok(midEpoch >= 1 && midEpoch < EPOCHS, `${what}: checkpoint after epoch ${midEpoch}`);
    if (sig === "SIGTERM") assert.ok(midEpoch >= epoch, `${what}: saved where it stopped (epoch ${midEpoch})`);
    if (every === "1" && sig === "SIGKILL") assert.is(mid.trainer!.batch, 0, `${what}: an epoch-end checkpoint (epoch ${midEpoch})`);
    if (midEpochWrites)
      assert.equal(
        { epoch: midEpoch, batch: mid.trainer!.batch },
        first.trigger,
        `${what}: the run resumes from the middle of epoch ${midEpoch + 1}, where it was killed`,
      );
    // The summary: finalised by SIGTERM; after SIGKILL, the last one written ("running"). A kill
    // frozen right after a timed checkpoint may come before the summary of that write is written.
    if (sig === "SIGTERM" || every === "1" || existsSync(json)) {
      const partial = JSON.parse(readFileSync(json, "utf8"));
      assert.is(partial.status, sig === "SIGTERM" ? "interrupted" : "running", what);
      assert.ok(partial.epochs.length >= 1, what);
    }
    await train(...args.filter((a) => a !== "--progress" && a !== "lines"), "--load", save);
    const fin = await readCheckpoint(save);
    assert.equal(Object.keys(fin.tensors).sort(), Object.keys(refCk.tensors).sort());
    for (const k of Object.keys(refCk.tensors))
      assert.ok(Buffer.from(fin.tensors[k].data.buffer).equals(Buffer.from(refCk.tensors[k].data.buffer)), `${what}: tensor ${k} bit-identical`);
    const s = JSON.parse(readFileSync(json, "utf8"));
    assert.is(s.status, "completed");
    assert.equal(errors(s), errors(refSummary), `${what}: per-epoch errors`);
    assert.equal(temps(), [], `${what}: no temporary files left`);
  }
});

t("a temporary file left by a killed save is removed by the next save of the same target; others are kept", async () => {
  const target = path.join(dir, "stale.st");
  // A process id that has certainly ended.
  const gone = spawnSync(process.execPath, ["-e", ""]).pid!;
  const stale = path.join(dir, `.stale.st.${gone}.1700000000000.tmp`);
  const alive = path.join(dir, `.stale.st.${process.ppid}.1700000000000.tmp`);
  const other = path.join(dir, `.other.st.${gone}.1700000000000.tmp`);
  for (const f of [stale, alive, other]) writeFileSync(f, "x".repeat(1000));
  await writeFileAtomic(target, "new");
  assert.is(readFileSync(target, "utf8"), "new");
  assert.not.ok(existsSync(stale), "the dead process's temporary file is gone");
  assert.ok(existsSync(alive), "a live process's temporary file is kept");
  assert.ok(existsSync(other), "another target's temporary file is kept");
  assert.equal(await removeStaleTemps(path.join(dir, "other.st")), [other]);
  rmSync(alive);
});

t.run();
