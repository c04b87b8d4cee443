// The WebAssembly export surface: numbers only (pointers, element counts, scalars).
// Parameter order everywhere: outputs, inputs, sizes (elements), scalars.
export * from "./memory";
export * from "./kernels/conv";
export * from "./kernels/batchnorm";
export * from "./kernels/dropout";
export * from "./kernels/local";
export { gemv, gemvT } from "./kernels/gemv";
export { gemmNT, gemmNN } from "./kernels/gemm";
export { ger, gerK } from "./kernels/outer";
export * from "./kernels/elementwise";
export * from "./kernels/noise";
export * from "./kernels/softmax";
export * from "./kernels/sign";
export * from "./models/mlp";
export * from "./models/convnet";
export { filteredGerGemm, filteredGerGemv } from "./kernels/filtered";
export * from "./models/microcircuit";
export * from "./kernels/transpose";
export { simdPeak } from "./kernels/peak";
export * from "./kernels/spikes";
export { spikingWindow, spikingRates, spikingRefreshFeedback } from "./models/spiking/network";
export { poolBind, poolThreads, poolGeneration, poolWait, poolWork, simdPeakThreads, poolNop } from "./kernels/pool";
