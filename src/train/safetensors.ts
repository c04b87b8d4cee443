// The safetensors format (huggingface/safetensors, docs "Format"): an 8-byte little-endian u64 N,
// an N-byte UTF-8 JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__":
// {string: string}}, then the tensor bytes, little-endian, offsets relative to the end of the
// header, covering the buffer without holes or overlaps. The header is padded with spaces to a
// multiple of 8 bytes (as the reference writer does) so every tensor starts 8-byte aligned.
//
// Pure: bytes in, bytes out (Node writes them atomically through src/node/).
import { FormatError, ValueError } from "../core/errors.js";

export type DType = "F64" | "F32" | "I32" | "U32" | "I16" | "U16" | "I8" | "U8";
export type TypedArray = Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

export interface Tensor {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

const CTOR = {
  F64: Float64Array,
  F32: Float32Array,
  I32: Int32Array,
  U32: Uint32Array,
  I16: Int16Array,
  U16: Uint16Array,
  I8: Int8Array,
  U8: Uint8Array,
} as const;

/** The safetensors dtype of a typed array. */
export function dtypeOf(a: TypedArray): DType {
  for (const [k, C] of Object.entries(CTOR)) if (a instanceof C) return k as DType;
  throw new ValueError(`unsupported array type ${Object.prototype.toString.call(a)}`);
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Serialises tensors (in name order) and string metadata. */
export function encodeSafetensors(tensors: Record<string, { shape: number[]; data: TypedArray }>, metadata: Record<string, string> = {}): Uint8Array {
  if (!littleEndian) throw new ValueError("safetensors writing needs a little-endian platform");
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== "string") throw new ValueError(`safetensors metadata '${k}' must be a string, got ${typeof v}`);
  }
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    if (name === "__metadata__") throw new ValueError("'__metadata__' is reserved and cannot name a tensor");
    const t = tensors[name];
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0))
      throw new ValueError(`tensor '${name}': shape ${JSON.stringify(t.shape)} must be non-negative integers`);
    if (n !== t.data.length) throw new ValueError(`tensor '${name}': shape ${JSON.stringify(t.shape)} holds ${n} values, data has ${t.data.length}`);
    const end = offset + t.data.byteLength;
    header[name] = { dtype: dtypeOf(t.data), shape: t.shape, data_offsets: [offset, end] };
    offset = end;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const name of names) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}

/** Parses and validates a safetensors file. `name` (the file name) starts every error message. */
export function decodeSafetensors(bytes: Uint8Array, name = "safetensors"): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  if (!littleEndian) throw new ValueError("safetensors reading needs a little-endian platform");
  if (bytes.length < 8) throw new FormatError(`${name}: ${bytes.length} bytes, too short for a safetensors header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8))
    throw new FormatError(`${name}: header length ${n64} exceeds the file (${bytes.length} bytes); not a safetensors file or truncated`);
  const n = Number(n64);
  let header: Record<string, unknown>;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
    if (!text.startsWith("{")) throw new Error("header does not start with '{'");
    header = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new FormatError(`${name}: bad safetensors header (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw new FormatError(`${name}: header is not a JSON object`);
  const buf = bytes.subarray(8 + n);
  const metadata: Record<string, string> = {};
  const tensors: Record<string, Tensor> = {};
  const spans: [number, number, string][] = [];
  for (const [key, value] of Object.entries(header)) {
    if (key === "__metadata__") {
      if (typeof value !== "object" || value === null) throw new FormatError(`${name}: __metadata__ must be an object`);
      for (const [mk, mv] of Object.entries(value)) {
        if (typeof mv !== "string") throw new FormatError(`${name}: __metadata__.${mk} must be a string`);
        metadata[mk] = mv;
      }
      continue;
    }
    const e = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== "object" || e === null) throw new FormatError(`${name}: entry '${key}' is not an object`);
    if (typeof e.dtype !== "string" || !(e.dtype in CTOR)) throw new FormatError(`${name}: tensor '${key}' has unsupported dtype ${JSON.stringify(e.dtype)}`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0))
      throw new FormatError(`${name}: tensor '${key}' has a bad shape ${JSON.stringify(e.shape)}`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[1] < off[0]) {
      throw new FormatError(`${name}: tensor '${key}' has bad data_offsets ${JSON.stringify(off)}`);
    }
    const C = CTOR[e.dtype as DType];
    const count = (e.shape as number[]).reduce((a, b) => a * b, 1);
    if (off[1] - off[0] !== count * C.BYTES_PER_ELEMENT) {
      throw new FormatError(
        `${name}: tensor '${key}' (${e.dtype} ${JSON.stringify(e.shape)}) needs ${count * C.BYTES_PER_ELEMENT} bytes, data_offsets span ${off[1] - off[0]}`,
      );
    }
    if (off[1] > buf.length) throw new FormatError(`${name}: tensor '${key}' ends at byte ${off[1]}, the data has ${buf.length} (truncated?)`);
    spans.push([off[0], off[1], key]);
    // Copy so the array is aligned and independent of the file buffer.
    const data = new C(count);
    new Uint8Array(data.buffer).set(buf.subarray(off[0], off[1]));
    tensors[key] = { dtype: e.dtype as DType, shape: e.shape as number[], data };
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let pos = 0;
  for (const [b, e, key] of spans) {
    if (b !== pos) throw new FormatError(`${name}: tensor '${key}' starts at ${b}, expected ${pos} (holes or overlaps in the data)`);
    pos = e;
  }
  if (pos !== buf.length) throw new FormatError(`${name}: tensors cover ${pos} bytes, the data has ${buf.length}`);
  return { tensors, metadata };
}
