// Node-only file helpers (never imported by the browser entry point).
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { mkdir, open, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";

/** Temporary files this process is writing now (a concurrent write's file is not stale). */
const inFlight = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes temporary files of earlier writes of `file` that cannot finish any more: their process
 * is gone (killed during a save) or is this one and no write of it is in flight.
 */
export async function removeStaleTemps(file: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(path.dirname(path.resolve(file)));
  } catch {
    return [];
  }
  const stale = staleTemps(file, names);
  for (const f of stale) await rm(f, { force: true });
  return stale;
}

/** removeStaleTemps, synchronously. */
export function removeStaleTempsSync(file: string): string[] {
  let names: string[];
  try {
    names = readdirSync(path.dirname(path.resolve(file)));
  } catch {
    return [];
  }
  const stale = staleTemps(file, names);
  for (const f of stale) rmSync(f, { force: true });
  return stale;
}

function staleTemps(file: string, names: string[]): string[] {
  const dir = path.dirname(path.resolve(file));
  const prefix = `.${path.basename(file)}.`;
  const out: string[] = [];
  for (const n of names) {
    if (!n.startsWith(prefix) || !n.endsWith(".tmp")) continue;
    const m = /^(\d+)\.\d+(?:\.\d+)?\.tmp$/.exec(n.slice(prefix.length));
    if (!m) continue;
    const full = path.join(dir, n);
    const pid = Number(m[1]);
    if (inFlight.has(full) || (pid !== process.pid && processAlive(pid))) continue;
    out.push(full);
  }
  return out;
}

let tmpCounter = 0;

/**
 * Writes `data` to `file` atomically: a temporary file in the same directory is written, flushed
 * to disk, then renamed over the target, so a crash leaves either the old file or the new one.
 * Temporary files left by an earlier write of the same target that was killed are removed first.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  await mkdir(dir, { recursive: true });
  await removeStaleTemps(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.${tmpCounter++}.tmp`);
  inFlight.add(tmp);
  try {
    const fh = await open(tmp, "w");
    try {
      await fh.writeFile(data);
      await fh.sync();
    } catch (e) {
      await fh.close();
      await rm(tmp, { force: true });
      throw e;
    }
    await fh.close();
    try {
      await rename(tmp, file);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  } finally {
    inFlight.delete(tmp);
  }
}

/**
 * writeFileAtomic, synchronously: for writes that must be on disk before the caller goes on (a
 * checkpoint at an epoch end, while training keeps the event loop busy).
 */
export function writeFileAtomicSync(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(path.resolve(file));
  mkdirSync(dir, { recursive: true });
  removeStaleTempsSync(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.${tmpCounter++}.tmp`);
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const fd = openSync(tmp, "w");
  try {
    try {
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, Math.min(bytes.length - off, 1 << 30));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Writes a JSON document atomically, pretty-printed. */
export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + "\n");
}
