// The IDX file format of MNIST (LeCun et al., yann.lecun.com/exdb/mnist; docs/model.md §5): a 4-byte magic
// number (two zero bytes, a type code, the number of dimensions), then each dimension as a
// big-endian u32, then the payload. Only type 0x08 (unsigned byte) occurs in MNIST-like data sets;
// images have 3 dimensions (0x00000803), labels 1 (0x00000801).
//
// Pure: bytes in, arrays out — usable in Node and in browsers. File reading lives in src/node/.
import { FormatError } from "../core/errors.js";

export type IdxKind = "images" | "labels";

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count × rows × cols bytes, row-major (a view into the input, not a copy). */
  pixels: Uint8Array;
}

export interface IdxLabels {
  count: number;
  labels: Uint8Array;
}

const MAGIC: Record<IdxKind, number> = { images: 0x00000803, labels: 0x00000801 };
const DIMS: Record<IdxKind, number> = { images: 3, labels: 1 };

const hex = (m: number) => "0x" + (m >>> 0).toString(16).padStart(8, "0");

/** True when the bytes start with the gzip magic (RFC 1952: 0x1f 0x8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Checks the header against `kind` and the payload length against the header, and returns the
 * dimensions and a view of the payload. `name` (usually the file name) starts every error message.
 */
export function parseIdx(bytes: Uint8Array, kind: "images", name: string): IdxImages;
export function parseIdx(bytes: Uint8Array, kind: "labels", name: string): IdxLabels;
export function parseIdx(bytes: Uint8Array, kind: IdxKind, name: string): IdxImages | IdxLabels {
  if (isGzip(bytes)) throw new FormatError(`${name}: is gzip-compressed; decompress it first (gunzip)`);
  const ndim = DIMS[kind];
  const headerLen = 4 + 4 * ndim;
  if (bytes.length < 4) throw new FormatError(`${name}: file has ${bytes.length} bytes, too short for an IDX magic number`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== MAGIC[kind]) {
    let why = "";
    if (bytes[0] !== 0 || bytes[1] !== 0) why = " (not an IDX file)";
    else if (bytes[2] !== 0x08) why = ` (element type 0x${bytes[2].toString(16).padStart(2, "0")}; only unsigned bytes, 0x08, are supported)`;
    throw new FormatError(`${name}: magic ${hex(magic)}, expected ${hex(MAGIC[kind])} (${kind})${why}`);
  }
  if (bytes.length < headerLen) {
    throw new FormatError(`${name}: file has ${bytes.length} bytes, too short for the ${headerLen}-byte IDX ${kind} header`);
  }
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  if (kind === "images" && (dims[1] === 0 || dims[2] === 0)) {
    throw new FormatError(`${name}: header says images of ${dims[1]}×${dims[2]} pixels; both dimensions must be positive`);
  }
  const payload = dims.reduce((a, b) => a * b, 1);
  const have = bytes.length - headerLen;
  if (have !== payload) {
    throw new FormatError(
      `${name}: header says ${dims.join("×")} = ${payload} bytes, file has ${have}` +
        (have < payload ? " (truncated)" : " (trailing bytes)"),
    );
  }
  const data = bytes.subarray(headerLen);
  if (kind === "images") return { count: dims[0], rows: dims[1], cols: dims[2], pixels: data };
  return { count: dims[0], labels: data };
}

/** Checks that every label is below `classes`; names the file and the first bad index. */
export function checkLabels(labels: Uint8Array, classes: number, name: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes) throw new FormatError(`${name}: label ${i} is ${labels[i]}, expected 0…${classes - 1}`);
  }
}

/** Encodes an IDX file (the inverse of parseIdx), e.g. to export a data set or build test files. */
export function encodeIdx(kind: IdxKind, dims: number[], data: Uint8Array): Uint8Array {
  if (dims.length !== DIMS[kind]) throw new FormatError(`encodeIdx: ${kind} need ${DIMS[kind]} dimensions, got ${dims.length}`);
  const n = dims.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new FormatError(`encodeIdx: dims ${dims.join("×")} = ${n} bytes, data has ${data.length}`);
  const out = new Uint8Array(4 + 4 * dims.length + n);
  const v = new DataView(out.buffer);
  v.setUint32(0, MAGIC[kind], false);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/**
 * Decompresses gzip bytes with the web-standard DecompressionStream (browsers, Node ≥ 18, Deno);
 * returns the input unchanged when it is not gzip. `name` prefixes errors.
 */
export async function gunzipIfNeeded(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  if (typeof DecompressionStream === "undefined") throw new FormatError(`${name}: gzip data, but this runtime has no DecompressionStream`);
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new FormatError(`${name}: corrupt gzip data (${(e as Error).message})`);
  }
}
