/** Base class of every error the library raises on purpose. */
export class DendriticError extends Error {
  override name = "DendriticError";
}

/** A shape, length or layout that does not fit the operation. */
export class ShapeError extends DendriticError {
  override name = "ShapeError";
}

/** A scalar or option outside its domain (NaN, ±Infinity, negative size, unknown name…). */
export class ValueError extends DendriticError {
  override name = "ValueError";
}

/** Use of a buffer, arena or network after `dispose()`. */
export class DisposedError extends DendriticError {
  override name = "DisposedError";
}

/** Non-finite simulation state; names the layer and variable where it appeared. */
export class NonFiniteError extends DendriticError {
  override name = "NonFiniteError";
}

/**
 * An output file could not be written. When the content was saved elsewhere instead, `savedTo`
 * names that file.
 */
export class OutputError extends DendriticError {
  override name = "OutputError";
  constructor(
    message: string,
    readonly savedTo?: string,
  ) {
    super(message);
  }
}

/** A file or its content does not have the expected format. */
export class FormatError extends DendriticError {
  override name = "FormatError";
}

/** Throws ValueError unless `x` is a finite number. `what` names the argument. */
export function assertFinite(x: number, what: string): void {
  if (typeof x !== "number" || !Number.isFinite(x)) {
    throw new ValueError(`${what} must be a finite number, got ${String(x)}`);
  }
}

/** Throws ValueError unless `n` is an integer in [min, max]. */
export function assertInt(n: number, what: string, min = 0, max = 2 ** 31 - 1): void {
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    throw new ValueError(`${what} must be an integer in [${min}, ${max}], got ${String(n)}`);
  }
}

/** An optional package (full MNIST data, plotting, benchmarks) is needed and not installed. */
export class MissingDependencyError extends DendriticError {
  override name = "MissingDependencyError";
}
