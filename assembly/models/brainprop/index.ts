// BrainProp and its backprop baseline (docs/model.md §3): layer steps and the output step.
export * from "./layers";
export * from "./network";
