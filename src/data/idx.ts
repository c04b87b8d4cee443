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
      `${name}: header says ${dims.join("×")} = ${payload} bytes, file has ${have}` + (have < payload ? " (truncated)" : " (trailing bytes)"),
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
 * Deflate's largest expansion: a 258-byte match costs at least 2 bits, so compressed data grow at
 * most ≈ 1032× (zlib technical details, "maximum compression factor"). Headroom for the gzip
 * header and small files is added on top.
 */
export const MAX_DEFLATE_RATIO = 1032;

/**
 * The total size (header + payload) an IDX file declares, from its first bytes; undefined while
 * fewer bytes than the header are available. Only the magic's element type 0x08 (one byte per
 * value) is sized; other types give the header size (parseIdx then names the real problem).
 */
export function idxDeclaredSize(head: Uint8Array): number | undefined {
  if (head.length < 4) return undefined;
  const ndim = head[3];
  const headerLen = 4 + 4 * ndim;
  if (head[0] !== 0 || head[1] !== 0 || head[2] !== 0x08 || ndim === 0) return 4;
  if (head.length < headerLen) return undefined;
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let n = 1;
  for (let i = 0; i < ndim; i++) n *= v.getUint32(4 + 4 * i, false);
  return headerLen + n;
}

/**
 * Refuses a compressed IDX file whose header declares more bytes than its compressed size can
 * possibly hold (a corrupt header, or a decompression bomb), before anything large is allocated.
 */
export function checkIdxDeclaredSize(declared: number, compressedBytes: number, name: string): void {
  const most = MAX_DEFLATE_RATIO * compressedBytes + 4096;
  if (declared > most) {
    throw new FormatError(
      `${name}: the IDX header declares ${declared} bytes, more than ${compressedBytes} bytes of gzip data can hold (deflate expands at most ${MAX_DEFLATE_RATIO}×); corrupt header`,
    );
  }
}

/**
 * Decompresses gzip bytes with the web-standard DecompressionStream (browsers, Node ≥ 18, Deno);
 * returns the input unchanged when it is not gzip. `name` prefixes errors. With `idx`, the data are
 * an IDX file: its header is checked as soon as it is decompressed, and decompression stops with
 * a FormatError when the declared size is impossible or exceeded, so memory stays bounded by what
 * the header declares.
 */
export async function gunzipIfNeeded(bytes: Uint8Array, name: string, idx = false): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  if (typeof DecompressionStream === "undefined") throw new FormatError(`${name}: gzip data, but this runtime has no DecompressionStream`);
  const reader = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip")).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let declared: number | undefined;
  try {
    for (;;) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        throw new FormatError(`${name}: corrupt gzip data (${(e as Error).message})`);
      }
      if (r.done) break;
      chunks.push(r.value);
      total += r.value.length;
      if (idx && declared === undefined) {
        declared = idxDeclaredSize(concat(chunks, Math.min(total, 4 + 4 * 255)));
        if (declared !== undefined) checkIdxDeclaredSize(declared, bytes.length, name);
      }
      if (declared !== undefined && total > declared) {
        throw new FormatError(`${name}: decompresses to more than the ${declared} bytes its IDX header declares (trailing bytes)`);
      }
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return concat(chunks, total);
}

function concat(chunks: Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    if (o >= n) break;
    const part = c.subarray(0, n - o);
    out.set(part, o);
    o += part.length;
  }
  return out;
}
