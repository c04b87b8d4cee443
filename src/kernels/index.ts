export * from "./linalg.js";
export * from "./elementwise.js";
export * from "./noise.js";
