// Entry point of one sweep job: `dendritic train ARGS…` in a child process that the sweep (or a
// queue worker) forks with an IPC channel. The channel is only a lifeline: when the parent dies —
// even by SIGKILL — the channel closes and the job exits at once, so an orphaned run can never keep
// writing into a job directory that another worker has taken over. Its last atomic checkpoint stays.
// Only the train command is loaded (not the whole CLI): a job starts in a fraction of the time.
import { trainCommand } from "../cli/train.js";

process.on("disconnect", () => process.exit(137));
// The channel must not keep the process alive after training ends.
(process.channel as { unref?: () => void } | undefined)?.unref?.();

trainCommand()
  .parseAsync(process.argv.slice(2), { from: "user" })
  .catch((err: unknown) => {
    // As bin/dendritic.js: errors the library raises on purpose are one line, without a stack trace.
    const e = err as Error;
    const ours = e && typeof e.name === "string" && /Error$/.test(e.name) && e.name !== "Error" && e.name !== "TypeError";
    console.error(`dendritic: ${ours ? `${e.name}: ${e.message}` : (e?.stack ?? String(err))}`);
    process.exit(1);
  });
