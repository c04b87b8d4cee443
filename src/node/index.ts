// Node-only helpers (file system): the "dendritic/node" entry point.
export { loadDataset, loadIdxDir, loadMnist, loadMnistSmall, readIdxFile, readMaybeGzip, DATASET_NAMES, type LoadOptions } from "./data.js";
export { saveCheckpoint, readCheckpoint, saveModel, loadModel } from "./checkpoint.js";
export { writeFileAtomic, writeJson } from "./files.js";
