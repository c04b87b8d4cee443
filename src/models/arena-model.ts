// What every model that keeps its buffers in one Arena shares: the arena's lifetime, a clear error
// when a disposed model is used, and `using` support.
import type { Arena } from "../core/arena.js";
import { DisposedError } from "../core/errors.js";
import "../core/disposable.js";

export abstract class ArenaModel {
  #arena: Arena | null;
  readonly #what: string;

  /** `what` names the model in errors ("spiking model" → "spiking model used after dispose()"). */
  protected constructor(arena: Arena, what: string) {
    this.#arena = arena;
    this.#what = what;
  }

  /** The model's arena; a DisposedError once dispose() has run. */
  protected live(): Arena {
    if (this.#arena === null) throw new DisposedError(`${this.#what} used after dispose()`);
    return this.#arena;
  }

  /** Frees the model's WebAssembly memory; later calls do nothing. */
  dispose(): void {
    if (this.#arena === null) return;
    this.#arena.dispose();
    this.#arena = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
