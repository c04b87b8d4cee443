export * from "./linalg.js";
