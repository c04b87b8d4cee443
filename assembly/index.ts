// The WebAssembly export surface: numbers only (pointers, element counts, scalars).
// Parameter order everywhere: outputs, inputs, sizes (elements), scalars.
export * from "./memory";

// Kernels (assembly/kernels/): the TypeScript layer calls them directly (src/kernels/) and the kernel
// tests check each against a float64 reference. Some (convolution, batch norm, dropout, locally
// connected, softmax, sign, transpose, philox) are called from TypeScript only by the tests, and the
// models reach them from inside the module; they are exported so they can be tested one by one.
export * from "./kernels/conv";
export * from "./kernels/batchnorm";
export * from "./kernels/dropout";
export * from "./kernels/local";
export { gemv, gemvT } from "./kernels/gemv";
export { gemmNT, gemmNN } from "./kernels/gemm";
export { ger, gerK } from "./kernels/outer";
export * from "./kernels/elementwise";
export { philox4x32, gaussian, uniform } from "./kernels/noise";
export * from "./kernels/softmax";
export * from "./kernels/sign";
export { filteredGerGemm, filteredGerGemv } from "./kernels/filtered";
export * from "./kernels/transpose";

// Models (assembly/models/): whole layer-steps, presentations and mini-batches in the papers' symbols.
export * from "./models/mlp";
export * from "./models/brainprop";
export * from "./models/microcircuit";

// Benchmark-only: the register-only multiply-add ceiling that `dendritic bench kernels` reports as
// `peak`. No model or library function calls it.
export { simdPeak } from "./kernels/peak";
export * from "./kernels/spikes";
export { spikingWindow, spikingRates, spikingRefreshFeedback } from "./models/spiking/network";
export { poolBind, poolThreads, poolGeneration, poolWait, poolWork, simdPeakThreads, poolNop, poolLayer } from "./kernels/pool";
