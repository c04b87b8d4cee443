// The spiking microcircuit with sign-concordant feedback (Yang & Li 2022): model kind "spiking".
import type { ModelFactory } from "../registry.js";
import { Spiking } from "./network.js";
import { SPIKING_RULES } from "./params.js";

export { Spiking, type WindowStats } from "./network.js";
export {
  SPIKING_DEFAULTS,
  SPIKING_RULES,
  spikingConfig,
  initSigma,
  layerRateFactor,
  type SpikingConfig,
  type SpikingOptions,
  type SpikingRule,
} from "./params.js";

export const spikingFactory: ModelFactory = {
  kind: "spiking",
  description: `spiking microcircuit with sign-concordant feedback (Yang & Li 2022); rules ${SPIKING_RULES.join(", ")}`,
  create: (core, config) => new Spiking(core, config),
};
