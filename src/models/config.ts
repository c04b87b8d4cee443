// Reading a model configuration field by field: a value or the default, checked, with errors that
// name the model and the field. Shared by the models whose params.ts validates plain records.
import { ValueError } from "../core/errors.js";

/** A value as the user wrote it (numbers bare, everything else as JSON). */
export const showValue = (v: unknown): string => (typeof v === "number" ? String(v) : JSON.stringify(v));

/** Field readers whose errors start with "`model` config:". */
export function configReader(model: string) {
  return {
    /** A string field that must be one of `allowed`. */
    pick<T extends string>(cfg: Record<string, unknown>, field: string, allowed: readonly T[], dflt: T): T {
      const v = cfg[field] ?? dflt;
      if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
        throw new ValueError(`${model} config: ${field} must be one of ${allowed.join(", ")}; got ${showValue(v)}`);
      }
      return v as T;
    },
    /** A finite number field that passes `ok`; `expect` says what was expected. */
    num(cfg: Record<string, unknown>, field: string, dflt: number, ok: (x: number) => boolean, expect: string): number {
      const v = cfg[field] ?? dflt;
      if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) throw new ValueError(`${model} config: ${field} must be ${expect}; got ${showValue(v)}`);
      return v;
    },
  };
}
