// `Symbol.dispose` (explicit resource management: `using net = new Mlp(…)`) appears in the
// declarations of every class that frees WebAssembly memory. Declaring it here lets those
// declarations type-check under `lib: ["ES2022", "DOM"]` too; where the lib (ESNext.Disposable,
// ES2025) or @types/node already declares it, the declarations merge.
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}
export {};
