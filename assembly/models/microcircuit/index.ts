// The SCBS18 microcircuit in the papers' symbols (docs/model.md §1), split as on the TypeScript
// side: layout (shared descriptor), cells (φ, dendrites, checks), steady (fast steady-state mode),
// dynamics (Euler steps of the full dynamics), monitor (recording during a presentation).
export { mcFastForward, mcFastTrain, mcSyncDendrites } from "./steady";
export { mcPresent, mcClearFilters, mcRestoreNoise } from "./dynamics";
