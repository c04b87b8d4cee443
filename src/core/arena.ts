// WebAssembly-owned float32 buffers behind handles. The bytes live in the core's linear memory;
// a handle keeps {ptr, rows, cols, stride} and makes a Float32Array view only at the point of use,
// because memory growth detaches every view made before it.
//
// Layout contract shared with every kernel (assembly/kernels/*):
// - row-major, each row padded to `stride = ceil4(cols)` floats, base 16-byte aligned;
// - padding lanes are exactly 0 and kernels keep them 0 (0 × NaN would be NaN);
// - a vector is a 1 × n tensor.
import { DisposedError, ShapeError, ValueError, assertInt } from "./errors.js";
import { SHARED_MAXIMUM_PAGES } from "./instantiate.js";
import type { CoreExports } from "./wasm.js";
import "./disposable.js";

export const ceil4 = (n: number): number => (n + 3) & ~3;

/**
 * The largest WebAssembly memory (wasm32): 65 536 pages of 64 KiB = 4 GiB. Addresses above 2 GiB
 * are valid and handled as unsigned numbers throughout (`>>> 0` where they come out of the core).
 */
export const MEMORY_LIMIT_BYTES = 2 ** 32;
/**
 * The memory limit of a core: 4 GiB for the single-threaded builds, 2 GiB for the threads builds,
 * whose shared memory declares that maximum (SHARED_MAXIMUM_PAGES: a shared memory must declare
 * one, and it is reserved up front).
 */
export function memoryLimit(core: CoreExports): number {
  const shared = typeof SharedArrayBuffer !== "undefined" && core.memory.buffer instanceof SharedArrayBuffer;
  return shared ? SHARED_MAXIMUM_PAGES * 65536 : MEMORY_LIMIT_BYTES;
}

/** The largest single block the core's allocator (AssemblyScript's TLSF) hands out: 1 GiB less its header. */
export const MAX_TENSOR_BYTES = 2 ** 30 - 16;
/** Allocator overhead per tensor (TLSF block header and alignment), for size estimates. */
const BLOCK_OVERHEAD = 16;

/** Bytes a rows × cols tensor occupies in memory (padded rows plus allocator overhead). */
export function tensorBytes(rows: number, cols: number): number {
  return rows * ceil4(cols) * 4 + BLOCK_OVERHEAD;
}

const inUse = new WeakMap<CoreExports, { bytes: number }>();

/** Bytes currently held by all live tensors of a core (every arena of it). */
export function bytesInUse(core: CoreExports): number {
  return inUse.get(core)?.bytes ?? 0;
}

const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;

/**
 * Refuses, before anything is allocated, an object that needs `bytes` of WebAssembly memory when
 * that would not fit under the core's limit (memoryLimit: 4 GiB, 2 GiB for a threads build) next
 * to what the core already holds. `what` names it.
 */
export function checkFits(core: CoreExports, bytes: number, what: string): void {
  const used = bytesInUse(core);
  const limit = memoryLimit(core);
  if (bytes + used > limit) {
    const threads = limit < MEMORY_LIMIT_BYTES;
    throw new ValueError(
      `${what} needs ${gib(bytes)} of WebAssembly memory; the limit${threads ? " of this threads build" : ""} is ${gib(limit)}` +
        (used > 0 ? `, of which ${gib(used)} are held by other models and tensors` : "") +
        (threads ? ` (single-threaded builds: ${gib(MEMORY_LIMIT_BYTES)})` : ""),
    );
  }
}

export class Tensor {
  /** Byte address in linear memory (16-byte aligned). */
  readonly ptr: number;
  readonly rows: number;
  readonly cols: number;
  /** Floats per row in memory: cols rounded up to a multiple of 4. */
  readonly stride: number;
  #owner: Arena | null;

  /** @internal use Arena.tensor / Arena.vector / Arena.matrix */
  constructor(owner: Arena, ptr: number, rows: number, cols: number) {
    this.#owner = owner;
    this.ptr = ptr;
    this.rows = rows;
    this.cols = cols;
    this.stride = ceil4(cols);
  }

  /** Logical element count rows × cols. */
  get length(): number {
    return this.rows * this.cols;
  }
  /** Padded element count rows × stride (what lives in memory). */
  get paddedLength(): number {
    return this.rows * this.stride;
  }
  get disposed(): boolean {
    return this.#owner === null;
  }

  /** @internal the owning arena; throws if disposed. */
  live(what = "tensor"): Arena {
    if (this.#owner === null || this.#owner.disposed) throw new DisposedError(`${what} used after dispose()`);
    return this.#owner;
  }

  /** Zero-copy view of the padded storage (rows × stride). Invalid after memory grows: do not keep it. */
  peek(): Float32Array {
    const a = this.live();
    return new Float32Array(a.memory.buffer, this.ptr, this.paddedLength);
  }

  /** Copy of the logical values (rows × cols, padding removed). */
  read(): Float32Array {
    const v = this.peek();
    if (this.stride === this.cols) return v.slice();
    const out = new Float32Array(this.length);
    for (let r = 0; r < this.rows; r++) out.set(v.subarray(r * this.stride, r * this.stride + this.cols), r * this.cols);
    return out;
  }

  /** Copies logical values (rows × cols) in; padding stays 0. */
  write(src: ArrayLike<number>): this {
    if (src.length !== this.length) {
      throw new ShapeError(`write: expected ${this.length} values for a ${this.rows}×${this.cols} tensor, got ${src.length}`);
    }
    const v = this.peek();
    if (this.stride === this.cols) {
      v.set(src);
    } else {
      for (let r = 0; r < this.rows; r++) {
        const o = r * this.stride;
        for (let c = 0; c < this.cols; c++) v[o + c] = src[r * this.cols + c];
      }
    }
    return this;
  }

  /** Sets every logical element to `x` (padding stays 0). */
  fill(x: number): this {
    const v = this.peek();
    if (this.stride === this.cols) v.fill(x);
    else for (let r = 0; r < this.rows; r++) v.fill(x, r * this.stride, r * this.stride + this.cols);
    return this;
  }

  dispose(): void {
    if (this.#owner === null) return;
    const a = this.#owner;
    this.#owner = null;
    a.release(this);
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Owns a set of tensors; `dispose()` frees them all. Networks allocate everything through one arena at construction. */
export class Arena {
  #core: CoreExports | null;
  #live = new Set<Tensor>();

  constructor(core: CoreExports) {
    this.#core = core;
  }

  get disposed(): boolean {
    return this.#core === null;
  }
  get memory(): WebAssembly.Memory {
    return this.#exports().memory;
  }
  /** The raw exports of the core this arena allocates in. */
  get exports(): CoreExports {
    return this.#exports();
  }
  /** Number of tensors currently allocated by this arena. */
  get size(): number {
    return this.#live.size;
  }

  #exports(): CoreExports {
    if (this.#core === null) throw new DisposedError("arena used after dispose()");
    return this.#core;
  }

  /** A zeroed rows × cols tensor. */
  tensor(rows: number, cols: number): Tensor {
    const core = this.#exports();
    assertInt(rows, "rows", 1);
    assertInt(cols, "cols", 1);
    const bytes = rows * ceil4(cols) * 4;
    if (bytes > MAX_TENSOR_BYTES) throw new ValueError(`a ${rows}×${cols} tensor needs ${gib(bytes)}; a single tensor is limited to 1 GiB`);
    let ptr: number;
    try {
      // The core returns a u32 address as an i32: above 2 GiB it arrives negative.
      ptr = core.alloc(bytes) >>> 0;
    } catch (e) {
      // The allocator traps when memory.grow fails; its state is unchanged, so the core stays usable.
      throw new ValueError(
        `out of WebAssembly memory: a ${rows}×${cols} tensor (${gib(bytes)}) does not fit; ${gib(bytesInUse(core))} are in use, the limit is ${gib(memoryLimit(core))} (${(e as Error).message})`,
      );
    }
    if (ptr === 0 || ptr % 16 !== 0) throw new ValueError(`allocation of ${bytes} bytes failed (ptr ${ptr})`);
    const t = new Tensor(this, ptr, rows, cols);
    this.#live.add(t);
    this.#count(tensorBytes(rows, cols));
    return t;
  }
  vector(n: number): Tensor {
    return this.tensor(1, n);
  }
  matrix(rows: number, cols: number): Tensor {
    return this.tensor(rows, cols);
  }
  /** A tensor initialised from logical values. */
  from(rows: number, cols: number, values: ArrayLike<number>): Tensor {
    return this.tensor(rows, cols).write(values);
  }

  #count(delta: number): void {
    const core = this.#core!;
    let u = inUse.get(core);
    if (!u) inUse.set(core, (u = { bytes: 0 }));
    u.bytes += delta;
  }

  /** @internal */
  release(t: Tensor): void {
    if (this.#core === null || !this.#live.delete(t)) return;
    this.#core.free(t.ptr);
    this.#count(-tensorBytes(t.rows, t.cols));
  }

  dispose(): void {
    if (this.#core === null) return;
    const core = this.#core;
    for (const t of [...this.#live]) {
      this.#live.delete(t);
      core.free(t.ptr);
      this.#count(-tensorBytes(t.rows, t.cols));
      t.dispose();
    }
    this.#core = null;
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}
