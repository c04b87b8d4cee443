// Training-time data augmentation: random translations of image inputs.
//
// Translating each training image by a pixel or two is the oldest augmentation of MNIST (LeCun,
// Bottou, Bengio & Haffner 1998, §III; Simard, Steinkraus & Platt 2003, "Best practices for
// convolutional neural networks applied to visual document analysis", §2). Each example's shift is
// a hash of (seed, epoch, example index), not a draw from a running generator: a run resumed in the
// middle of an epoch sees the same shifts as an uninterrupted one without any saved state, and the
// shift of an example does not depend on the order or the batch it is trained in.
import { ValueError, assertInt } from "../core/errors.js";

/** How training images are augmented. `none`: not at all (validation and test never are). */
export type Augment = { kind: "none" } | { kind: "shift"; pixels: number };

/** The largest shift `shift:P` accepts (a shift of more than a few pixels moves digits off a 28×28 image). */
export const MAX_SHIFT = 8;

/** Checks an Augment value (from an option or a checkpoint); returns it. */
export function checkAugment(a: Augment): Augment {
  if (a?.kind === "none") return a;
  if (a?.kind === "shift") {
    assertInt(a.pixels, "augment shift pixels", 1, MAX_SHIFT);
    return a;
  }
  throw new ValueError(`augment must be {kind: "none"} or {kind: "shift", pixels: 1…${MAX_SHIFT}}, got ${JSON.stringify(a)}`);
}

/** Parses `none` or `shift:P` (P whole pixels, 1…8). */
export function parseAugment(text: string): Augment {
  if (text === "none") return { kind: "none" };
  const m = /^shift:(\d+)$/.exec(text);
  const p = m ? Number(m[1]) : NaN;
  if (!m || p < 1 || p > MAX_SHIFT) {
    throw new ValueError(`bad augmentation '${text}'; expected none or shift:P with P from 1 to ${MAX_SHIFT} pixels (e.g. shift:2)`);
  }
  return { kind: "shift", pixels: p };
}

/** The text parseAugment reads back. */
export function formatAugment(a: Augment): string {
  return a.kind === "none" ? "none" : `shift:${a.pixels}`;
}

// MurmurHash3's 32-bit finaliser (Appleby): a bijection of u32 with full avalanche.
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The translation of example `index` in epoch `epoch` (0-based) of a run seeded `seed`: writes
 * (dx, dy), each uniform over the whole numbers −P…P, to out[at], out[at+1]. A positive dx moves
 * the image right, a positive dy down.
 */
export function shiftOf(seed: number, epoch: number, index: number, pixels: number, out: Int8Array, at: number): void {
  const h = fmix32(fmix32(fmix32(seed ^ 0x5f356495) ^ epoch) ^ index);
  const k = 2 * pixels + 1;
  // Multiply-shift range reduction of each 16-bit half (bias below k/65536).
  out[at] = (((h & 0xffff) * k) >>> 16) - pixels;
  out[at + 1] = (((h >>> 16) * k) >>> 16) - pixels;
}

/**
 * Copies one rows × cols image of bytes (channels-last, `channels` bytes per pixel) from src[from …]
 * to dst[to …] through the lookup table, translated by (dx, dy): dst pixel (r, c) is src pixel
 * (r − dy, c − dx), and pixels that come from outside the image are byte 0 (the background).
 */
export function shiftImage(
  src: Uint8Array,
  from: number,
  rows: number,
  cols: number,
  dx: number,
  dy: number,
  lut: Float32Array,
  dst: Float32Array,
  to: number,
  channels = 1,
): void {
  const bg = lut[0];
  const width = cols * channels;
  const c0 = Math.max(0, dx) * channels;
  const c1 = Math.min(cols, cols + dx) * channels;
  const off = dx * channels;
  for (let r = 0; r < rows; r++) {
    const o = to + r * width;
    const sr = r - dy;
    if (sr < 0 || sr >= rows || c0 >= c1) {
      dst.fill(bg, o, o + width);
      continue;
    }
    const s = from + sr * width - off;
    for (let c = 0; c < c0; c++) dst[o + c] = bg;
    for (let c = c0; c < c1; c++) dst[o + c] = lut[src[s + c]];
    for (let c = c1; c < width; c++) dst[o + c] = bg;
  }
}
