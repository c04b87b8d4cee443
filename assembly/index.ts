// The WebAssembly export surface: numbers only (pointers, element counts, scalars).
// Parameter order everywhere: outputs, inputs, sizes (elements), scalars.
export * from "./memory";
