// A sweep's job process: a child that the sweep (or a queue worker) forks with an IPC channel and
// that runs `dendritic train ARGS…` jobs one after another, as the parent sends them. Keeping the
// process between jobs saves what every job would otherwise repeat — starting Node, loading the
// modules, compiling the WebAssembly core, parsing a packaged data set (about a second per job for
// mnist-small) — while a job still runs in a process of its own: the parent starts a fresh one
// after any job that did not finish normally, and a crash ends only the job that was running.
//
// Protocol (parent → slot): { type: "run", args, log } — run one job, its output appended to `log`;
// { type: "threads", threads } — the running job may use that many threads from its next
// mini-batch on (cores other jobs have left; results are the same bits for every thread count).
// (slot → parent): { type: "ready" } once loaded, { type: "done", code } after each job (the exit
// code `dendritic train` would have had: 0, 1, 3 when it diverged, 128 + signal when stopped).
//
// The channel is also a lifeline: when the parent dies — even by SIGKILL — the channel closes and
// the slot exits at once, so an orphaned run can never keep writing into a job directory that
// another worker has taken over. Its last atomic checkpoint stays.
import { closeSync, openSync, writeSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { CommanderError } from "commander";
import { resizableTrainRuns, trainCommand, wantThreads } from "../cli/train.js";
import { keepPackageDatasets } from "../node/data.js";

interface RunMessage {
  type: "run";
  args: string[];
  log: string;
}
interface ThreadsMessage {
  type: "threads";
  threads: number;
}

let busy = false;
process.on("disconnect", () => process.exit(busy ? 137 : 0));

// A stop signal while no run has its handlers installed (between jobs, or while a job is still
// starting): exit as an interrupted run would, with 128 + the signal's number. While a job trains,
// its run control handles the signal (checkpoint, then stop) and this handler does nothing.
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    if (process.listenerCount(sig) === 1) process.exit(128 + osConstants.signals[sig]);
  });
}

keepPackageDatasets();
resizableTrainRuns(true);

type Write = typeof process.stdout.write;
const realOut = process.stdout.write.bind(process.stdout) as Write;
const realErr = process.stderr.write.bind(process.stderr) as Write;

/** Sends everything written to process.stdout / process.stderr to `fd` (synchronously, in order). */
function redirect(fd: number | undefined): void {
  if (fd === undefined) {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
    return;
  }
  const write = ((chunk: string | Uint8Array, enc?: BufferEncoding | ((e?: Error | null) => void), cb?: (e?: Error | null) => void): boolean => {
    writeSync(fd, typeof chunk === "string" ? Buffer.from(chunk, typeof enc === "string" ? enc : "utf8") : chunk);
    const done = typeof enc === "function" ? enc : cb;
    if (done) process.nextTick(done);
    return true;
  }) as Write;
  process.stdout.write = write;
  process.stderr.write = write;
}

async function run(m: RunMessage): Promise<number> {
  const fd = openSync(m.log, "a");
  redirect(fd);
  process.exitCode = undefined;
  try {
    await trainCommand().exitOverride().parseAsync(m.args, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    // Commander has already printed its own "error: …" line.
    if (err instanceof CommanderError) return err.exitCode || 1;
    // As bin/dendritic.js: errors the library raises on purpose are one line, without a stack trace.
    const e = err as Error;
    const ours = e && typeof e.name === "string" && /Error$/.test(e.name) && e.name !== "Error" && e.name !== "TypeError";
    console.error(`dendritic: ${ours ? `${e.name}: ${e.message}` : (e?.stack ?? String(err))}`);
    return e?.name === "NonFiniteError" ? 3 : 1;
  } finally {
    process.exitCode = undefined;
    redirect(undefined);
    closeSync(fd);
  }
}

process.on("message", (m: RunMessage | ThreadsMessage) => {
  if (m?.type === "threads") {
    if (busy && Number.isInteger(m.threads) && m.threads >= 1) wantThreads(m.threads);
    return;
  }
  if (m?.type !== "run" || busy) return;
  busy = true;
  wantThreads(undefined);
  void run(m).then((code) => {
    busy = false;
    process.send!({ type: "done", code });
  });
});
process.send!({ type: "ready" });
