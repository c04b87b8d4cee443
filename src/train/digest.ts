// A fingerprint of a model's exportState() for reproducibility checks: the same seed and data must
// give the same digest in Node and in browsers (bit-identical weights, filter and RNG states).
import { DendriticError } from "../core/errors.js";
import type { NamedArray } from "./model.js";

/**
 * SHA-256 (hex) over every named array in name order: the name, the element type, the shape and
 * the raw little-endian bytes of the data. Uses the Web Crypto API (Node ≥ 20, browsers on
 * https: or localhost origins).
 */
export async function digestState(state: Record<string, NamedArray>): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new DendriticError("digestState needs the Web Crypto API (crypto.subtle), which browsers offer only on https: and localhost origins");
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const name of Object.keys(state).sort()) {
    const { shape, data } = state[name];
    parts.push(enc.encode(`${name}\0${data.constructor.name}\0${shape.join("x")}\0`));
    parts.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const all = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  const h = new Uint8Array(await subtle.digest("SHA-256", all));
  return Array.from(h, (b) => b.toString(16).padStart(2, "0")).join("");
}
