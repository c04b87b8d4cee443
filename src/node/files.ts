// Node-only file helpers (never imported by the browser entry point).
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeSync, type Stats } from "node:fs";
import { open, readdir, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { OutputError, ValueError } from "../core/errors.js";

const errCode = (e: unknown) => (e as NodeJS.ErrnoException)?.code ?? (e as Error)?.message ?? String(e);

function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

/** The nearest ancestor of `dir` (or `dir` itself) that exists, and the missing levels below it, top first. */
function existingAncestor(dir: string): { base: string; stats: Stats; missing: string[] } {
  const missing: string[] = [];
  let d = path.resolve(dir);
  for (;;) {
    const st = statOrUndefined(d);
    if (st) return { base: d, stats: st, missing: missing.reverse() };
    const up = path.dirname(d);
    // The root always exists; this only guards against a path that never reaches it.
    if (up === d) return { base: d, stats: statSync(d), missing: missing.reverse() };
    missing.push(d);
    d = up;
  }
}

/**
 * Creates `dir` and any missing parents, one level at a time. (Node's recursive mkdir loops
 * forever at 100 % CPU under /proc, where mkdir reports ENOENT for a parent that exists.)
 */
export function makeDirs(dir: string): void {
  const { base, stats, missing } = existingAncestor(dir);
  if (!stats.isDirectory()) throw Object.assign(new Error(`${base} is not a directory`), { code: "ENOTDIR" });
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || !statOrUndefined(d)?.isDirectory()) throw e;
    }
  }
}

let probeCounter = 0;

/**
 * Checks, before any work, that `file` can be written as an output: a non-empty path that is not
 * a directory (or another non-regular file), in a directory that exists or can be created and in
 * which files can be created (tried with a probe file, removed at once). `flag` (e.g. "--json")
 * starts the error message. Creates nothing that stays.
 */
export function checkOutputPath(file: string, flag: string): void {
  if (typeof file !== "string" || file.trim() === "") throw new ValueError(`${flag} ${JSON.stringify(file)}: expected a file path`);
  const abs = path.resolve(file);
  const st = statOrUndefined(abs);
  if (st?.isDirectory()) throw new ValueError(`${flag} ${file}: is a directory; give the path of a file (in it, or elsewhere)`);
  if (st && !st.isFile()) throw new ValueError(`${flag} ${file}: exists and is not a regular file`);
  const { base, stats } = existingAncestor(path.dirname(abs));
  if (!stats.isDirectory()) throw new ValueError(`${flag} ${file}: ${base} is not a directory`);
  const probe = path.join(base, `.dendritic-probe.${process.pid}.${probeCounter++}.tmp`);
  try {
    closeSync(openSync(probe, "wx"));
  } catch (e) {
    throw new ValueError(`${flag} ${file}: cannot create files in ${base} (${errCode(e)})`);
  }
  try {
    unlinkSync(probe);
  } catch {
    /* removed by someone else */
  }
}

/**
 * checkOutputPath for every given output (flag → path; undefined entries are skipped), and that
 * no two outputs are the same file.
 */
export function checkOutputPaths(outputs: Record<string, string | undefined>): void {
  const seen = new Map<string, string>();
  for (const [flag, file] of Object.entries(outputs)) {
    if (file === undefined) continue;
    checkOutputPath(file, flag);
    const abs = path.resolve(file);
    const other = seen.get(abs);
    if (other) throw new ValueError(`${flag} ${file}: the same file as ${other}; give each output its own path`);
    seen.set(abs, flag);
  }
}

/**
 * Writes an output atomically; if that fails (disk full, directory removed…) writes it to a
 * fallback file instead — next to the target, else in the temporary directory — and throws an
 * OutputError that names both, so the result is never lost. `what` names the content.
 */
export async function writeOutput(file: string, data: string | Uint8Array, what: string): Promise<void> {
  try {
    await writeFileAtomic(file, data);
    return;
  } catch (e) {
    throw rescue(file, data, what, e);
  }
}

/** writeOutput, synchronously. */
export function writeOutputSync(file: string, data: string | Uint8Array, what: string): void {
  try {
    writeFileAtomicSync(file, data);
  } catch (e) {
    throw rescue(file, data, what, e);
  }
}

function rescue(file: string, data: string | Uint8Array, what: string, cause: unknown): OutputError {
  const ext = path.extname(file);
  const stem = path.basename(file, ext) || "output";
  const name = `${stem}.recovered-${process.pid}${ext}`;
  const tried: string[] = [];
  for (const dir of [path.dirname(path.resolve(file)), tmpdir()]) {
    const alt = path.join(dir, name);
    try {
      writeFileAtomicSync(alt, data);
      return new OutputError(`cannot write ${file} (${errCode(cause)}); the ${what} was written to ${alt} instead`, alt);
    } catch (e) {
      tried.push(`${alt}: ${errCode(e)}`);
    }
  }
  return new OutputError(`cannot write ${file} (${errCode(cause)}), nor a fallback (${tried.join("; ")}); the ${what} is lost`);
}

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
  makeDirs(dir);
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
  makeDirs(dir);
  removeStaleTempsSync(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.${tmpCounter++}.tmp`);
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const fd = openSync(tmp, "w");
  try {
    try {
      for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, Math.min(bytes.length - off, 1 << 30));
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
