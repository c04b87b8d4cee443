// Heap for the TypeScript arena (src/core/arena.ts). Blocks come from AssemblyScript's TLSF
// allocator, whose payloads are 16-byte aligned; every buffer is zeroed on allocation so padding
// lanes start (and, by the kernels' contract, stay) exactly 0.

/** Allocates `bytes` zeroed bytes, 16-byte aligned. Returns 0 if bytes <= 0. */
export function alloc(bytes: i32): usize {
  if (bytes <= 0) return 0;
  const p = heap.alloc(<usize>bytes);
  memory.fill(p, 0, <usize>bytes);
  return p;
}

/** Returns a block obtained from `alloc` to the heap. */
export function free(ptr: usize): void {
  if (ptr != 0) heap.free(ptr);
}

/** 1 when this build uses 128-bit SIMD kernels, 0 for the scalar build. */
export function simdEnabled(): i32 {
  return ASC_FEATURE_SIMD ? 1 : 0;
}

/** 1 when this build uses relaxed-SIMD (fused multiply-add) kernels. */
export function relaxedSimdEnabled(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
