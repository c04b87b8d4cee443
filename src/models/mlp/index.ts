// Feedforward baselines (docs/model.md §2): BP, FA, DFA and sign-concordant FA, split by concern:
//   params.ts   configuration, defaults and validation
//   layout.ts   the descriptor layout shared with assembly/models/mlp/
//   network.ts  Mlp: buffers, training steps and prediction over WebAssembly
import type { ModelFactory } from "../registry.js";
import { Mlp } from "./network.js";

export { Mlp } from "./network.js";
export {
  MLP_DEFAULTS,
  mlpConfig,
  type MlpActivation,
  type MlpConfig,
  type MlpOptions,
  type MlpInit,
  type MlpLoss,
  type MlpOutputActivation,
  type MlpRule,
} from "./params.js";
import type { MlpOptions } from "./params.js";

export const mlpFactory: ModelFactory = {
  kind: "mlp",
  description: "feedforward net trained by backprop, FA, DFA or sign-concordant FA (uSF, frSF, brSF)",
  // The configuration is checked field by field at run time (mlpConfig).
  create: (core, config) => new Mlp(core, config as unknown as MlpOptions),
};
