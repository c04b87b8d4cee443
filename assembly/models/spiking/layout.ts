// The descriptor layout of the spiking microcircuit, one file shared with TypeScript
// (src/models/spiking/layout.ts).
export * from "../../../src/models/spiking/layout";
