// A plain float64 transcription of the SCBS18 microcircuit equations (docs/model.md §1.2–1.8), written
// independently of the WebAssembly model as the oracle for test/microcircuit.test.ts.
// Matrices are row-major Float64Arrays without padding; batch size 1.

export interface RefParams {
  gLk: number;
  gB: number;
  gA: number;
  gD: number;
  gSom: number;
  dt: number;
  tauIn: number;
  tauW: number;
  phi: (u: number) => number;
}

export interface RefWeights {
  /** Wup[k-1]: n_k × n_{k−1} for k = 1..N */
  Wup: Float64Array[];
  /** B[k-1], WPI[k-1]: n_k × n_{k+1}; WIP[k-1]: n_{k+1} × n_k, for hidden k = 1..N−1 */
  B: Float64Array[];
  WPI: Float64Array[];
  WIP: Float64Array[];
}

export const logistic = (u: number): number => 1 / (1 + Math.exp(-u));

function matvec(W: Float64Array, x: ArrayLike<number>, m: number, n: number): Float64Array {
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += W[i * n + j] * x[j];
    y[i] = s;
  }
  return y;
}

export class RefMicrocircuit {
  readonly sizes: number[];
  readonly p: RefParams;
  readonly w: RefWeights;
  /** learning rates per layer record: up[k-1], ip/pi[k-1] for hidden k */
  eta: { up: number[]; ip: number[]; pi: number[] };
  plastic = { up: true, ip: true, pi: true };
  // state, indexed by k−1
  uP: Float64Array[] = [];
  uI: Float64Array[] = [];
  vB: Float64Array[] = [];
  vA: Float64Array[] = [];
  vI: Float64Array[] = [];
  r0: Float64Array;
  Dup: Float64Array[] = [];
  DIP: Float64Array[] = [];
  DPI: Float64Array[] = [];

  constructor(sizes: number[], p: RefParams, w: RefWeights, eta: { up: number[]; ip: number[]; pi: number[] }) {
    this.sizes = sizes;
    this.p = p;
    this.w = w;
    this.eta = eta;
    const N = sizes.length - 1;
    this.r0 = new Float64Array(sizes[0]);
    for (let k = 1; k <= N; k++) {
      const n = sizes[k];
      this.uP.push(new Float64Array(n));
      this.vB.push(new Float64Array(n));
      this.vA.push(new Float64Array(n));
      this.Dup.push(new Float64Array(n * sizes[k - 1]));
      const nn = k < N ? sizes[k + 1] : 0;
      this.uI.push(new Float64Array(nn));
      this.vI.push(new Float64Array(nn));
      this.DIP.push(new Float64Array(nn * n));
      this.DPI.push(new Float64Array(n * nn));
    }
    this.dendrites();
  }

  get N(): number {
    return this.sizes.length - 1;
  }
  rP(k: number): Float64Array {
    return this.uP[k - 1].map(this.p.phi);
  }
  rI(k: number): Float64Array {
    return this.uI[k - 1].map(this.p.phi);
  }

  /** SCBS18 §1.2: every dendritic potential from the current rates. */
  dendrites(): void {
    const N = this.N;
    for (let k = 1; k <= N; k++) {
      const n = this.sizes[k];
      const pre = k === 1 ? this.r0 : this.rP(k - 1);
      this.vB[k - 1] = matvec(this.w.Wup[k - 1], pre, n, this.sizes[k - 1]);
      if (k < N) {
        const nn = this.sizes[k + 1];
        this.vI[k - 1] = matvec(this.w.WIP[k - 1], this.rP(k), nn, n);
        const a = matvec(this.w.B[k - 1], this.rP(k + 1), n, nn);
        const b = matvec(this.w.WPI[k - 1], this.rI(k), n, nn);
        this.vA[k - 1] = a.map((v, i) => v + b[i]);
      }
    }
  }

  /**
   * One Euler step, σ = 0 (SCBS18; docs/model.md §1.3), then plasticity (§1.5) from the potentials after the step,
   * the dendritic potentials that drove the step, and the presynaptic rates that produced them.
   */
  step(x: ArrayLike<number>, target: ArrayLike<number> | null, learn: boolean): void {
    const { gLk, gB, gA, gD, gSom, dt, tauIn, tauW, phi } = this.p;
    const N = this.N;
    const f = this.factors();
    // rates and dendrites of time t
    const r0Old = this.r0.slice();
    const rPOld = Array.from({ length: N }, (_, i) => this.rP(i + 1));
    const rIOld = Array.from({ length: N }, (_, i) => this.rI(i + 1));
    const vBOld = this.vB.map((v) => v.slice());
    const vAOld = this.vA.map((v) => v.slice());
    const vIOld = this.vI.map((v) => v.slice());
    // Euler: du/dt from u(t) and V(t)
    const uPOld = this.uP.map((v) => v.slice());
    for (let k = 1; k < N; k++) {
      const u = this.uI[k - 1];
      for (let i = 0; i < u.length; i++) {
        u[i] += dt * (-gLk * u[i] + gD * (vIOld[k - 1][i] - u[i]) + gSom * (uPOld[k][i] - u[i]));
      }
    }
    for (let k = 1; k <= N; k++) {
      const u = this.uP[k - 1];
      for (let i = 0; i < u.length; i++) {
        let du = -gLk * u[i] + gB * (vBOld[k - 1][i] - u[i]);
        if (k < N) du += gA * (vAOld[k - 1][i] - u[i]);
        else if (target) du += gSom * (target[i] - u[i]);
        u[i] += dt * du;
      }
    }
    // input low-pass
    for (let i = 0; i < this.r0.length; i++) this.r0[i] += (dt / tauIn) * (x[i] - this.r0[i]);
    if (learn) {
      const a = dt / tauW;
      const filt = (D: Float64Array, W: Float64Array, e: ArrayLike<number>, pre: ArrayLike<number>, eta: number) => {
        const n = pre.length;
        for (let i = 0; i < e.length; i++) {
          for (let j = 0; j < n; j++) {
            D[i * n + j] += a * (e[i] * pre[j] - D[i * n + j]);
            W[i * n + j] += dt * eta * D[i * n + j];
          }
        }
      };
      for (let k = 1; k <= N; k++) {
        const c = k < N ? f.cHid : f.cOut;
        const rP = this.rP(k);
        const eUp = rP.map((r, i) => r - phi(c * vBOld[k - 1][i]));
        const preOld = k === 1 ? r0Old : rPOld[k - 2];
        if (this.plastic.up) filt(this.Dup[k - 1], this.w.Wup[k - 1], eUp, preOld, this.eta.up[k - 1]);
        if (k < N) {
          const rI = this.rI(k);
          const eIP = rI.map((r, i) => r - phi(f.cI * vIOld[k - 1][i]));
          const ePI = vAOld[k - 1].map((v) => -v);
          if (this.plastic.ip) filt(this.DIP[k - 1], this.w.WIP[k - 1], eIP, rPOld[k - 1], this.eta.ip[k - 1]);
          if (this.plastic.pi) filt(this.DPI[k - 1], this.w.WPI[k - 1], ePI, rIOld[k - 1], this.eta.pi[k - 1]);
        }
      }
    }
    this.dendrites();
  }

  factors() {
    const { gLk, gB, gA, gD, gSom } = this.p;
    return {
      cHid: gB / (gLk + gB + gA),
      lamA: gA / (gLk + gB + gA),
      cOut: gB / (gLk + gB),
      lamOut: gSom / (gLk + gB + gSom),
      cI: gD / (gLk + gD),
      lamI: gSom / (gLk + gD + gSom),
    };
  }

  /**
   * Fast steady-state mode (SCBS18; docs/model.md §1.8), single example: forward sweep with apical silent, output
   * nudged, backward sweep; repeated `sweeps` times; then (learn) one plasticity step with the
   * forward-sweep rates as presynaptic terms. Returns the forward-sweep rates rF[k-1].
   */
  fast(x: ArrayLike<number>, target: ArrayLike<number> | null, sweeps: number, learn: boolean, etaScale = 1): Float64Array[] {
    const N = this.N;
    const f = this.factors();
    const phi = this.p.phi;
    let rF: Float64Array[] = [];
    const vA = this.sizes.slice(1).map((n) => new Float64Array(n));
    const rPost: Float64Array[] = new Array(N);
    for (let it = 0; it < sweeps; it++) {
      rF = [];
      let pre: ArrayLike<number> = x;
      for (let k = 1; k <= N; k++) {
        const n = this.sizes[k];
        this.vB[k - 1] = matvec(this.w.Wup[k - 1], pre, n, this.sizes[k - 1]);
        const u = this.vB[k - 1].map((v, i) => (k < N ? f.cHid * v + (it > 0 ? f.lamA * vA[k - 1][i] : 0) : f.cOut * v));
        this.uP[k - 1] = u;
        rF.push(u.map(phi));
        if (k < N) this.vI[k - 1] = matvec(this.w.WIP[k - 1], rF[k - 1], this.sizes[k + 1], n);
        pre = rF[k - 1];
      }
      if (target) this.uP[N - 1] = this.vB[N - 1].map((v, i) => (1 - f.lamOut) * f.cOut * v + f.lamOut * target[i]);
      rPost[N - 1] = this.uP[N - 1].map(phi);
      for (let k = N - 1; k >= 1; k--) {
        const n = this.sizes[k];
        const nn = this.sizes[k + 1];
        this.uI[k - 1] = this.vI[k - 1].map((v, i) => (1 - f.lamI) * f.cI * v + f.lamI * this.uP[k][i]);
        const rI = this.uI[k - 1].map(phi);
        const a = matvec(this.w.B[k - 1], rPost[k], n, nn);
        const b = matvec(this.w.WPI[k - 1], rI, n, nn);
        vA[k - 1] = a.map((v, i) => v + b[i]);
        this.vA[k - 1] = vA[k - 1];
        this.uP[k - 1] = this.vB[k - 1].map((v, i) => f.cHid * v + f.lamA * vA[k - 1][i]);
        rPost[k - 1] = this.uP[k - 1].map(phi);
      }
    }
    if (learn) {
      for (let k = 1; k <= N; k++) {
        const c = k < N ? f.cHid : f.cOut;
        const pre = k === 1 ? Array.from(x) : rF[k - 2];
        const e = rPost[k - 1].map((r, i) => r - phi(c * this.vB[k - 1][i]));
        if (this.plastic.up) addOuter(this.w.Wup[k - 1], e, pre, etaScale * this.eta.up[k - 1]);
        if (k < N) {
          const rI = this.uI[k - 1].map(phi);
          const eIP = rI.map((r, i) => r - phi(f.cI * this.vI[k - 1][i]));
          if (this.plastic.ip) addOuter(this.w.WIP[k - 1], eIP, rF[k - 1], etaScale * this.eta.ip[k - 1]);
          if (this.plastic.pi)
            addOuter(
              this.w.WPI[k - 1],
              this.vA[k - 1].map((v) => -v),
              rI,
              etaScale * this.eta.pi[k - 1],
            );
        }
      }
    }
    return rF;
  }
}

/** W += eta · e preᵀ */
export function addOuter(W: Float64Array, e: ArrayLike<number>, pre: ArrayLike<number>, eta: number): void {
  const n = pre.length;
  for (let i = 0; i < e.length; i++) for (let j = 0; j < n; j++) W[i * n + j] += eta * e[i] * pre[j];
}
