// The descriptor layout of the mlp, one file shared with TypeScript (src/models/mlp/layout.ts).
export * from "../../../src/models/mlp/layout";
