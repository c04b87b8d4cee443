// Loads the core with each build this runtime accepts and runs one kernel, reporting raw results
// for the Node side of test/browser.test.ts to check against its float64 reference.
import { init, detectFeatures, kernels } from "../../dist/index.js";

/** Y = X Wᵀ with X 3×5 and W 7×5 holding small integers, so every product is exact in float32. */
function product(core) {
  const a = core.arena();
  const X = a.matrix(3, 5).write(Array.from({ length: 15 }, (_, i) => (i % 7) - 3));
  const W = a.matrix(7, 5).write(Array.from({ length: 35 }, (_, i) => (i % 5) - 2));
  const Y = a.matrix(3, 7);
  kernels.gemmNT(Y, X, W);
  const out = Array.from(Y.read());
  a.dispose();
  return out;
}

/**
 * Makes this realm look like a runtime without WebAssembly SIMD: WebAssembly.validate rejects any
 * module using the SIMD opcode prefix 0xfd (a v128 result type 0x7b is how the feature probe starts).
 */
export function pretendNoSimd() {
  const validate = WebAssembly.validate;
  WebAssembly.validate = (bytes) => {
    const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes.buffer ?? bytes);
    if (u8.includes(0x7b) && u8.includes(0xfd)) return false;
    return validate(bytes);
  };
}

export async function run(where, wasmBase) {
  const features = detectFeatures();
  const auto = await init(wasmBase ? { wasmBase } : {});
  const scalar = await init({ impl: "scalar", ...(wasmBase ? { wasmBase } : {}) });
  return {
    where,
    features,
    autoImpl: auto.impl,
    autoSimd: auto.exports.simdEnabled(),
    scalarImpl: scalar.impl,
    scalarSimd: scalar.exports.simdEnabled(),
    autoY: product(auto),
    scalarY: product(scalar),
    isWorker: typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope,
  };
}
